//! Account rows and their queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Unsigned};
use diesel_async::RunQueryDsl;

use super::DbConnection;
use super::schema::users;
use crate::model::{User, UserId};

/// An account as read for display: every column but the password hash.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub full_name: String,
    pub age: i16,
    pub gender: String,
    pub created_at: NaiveDateTime,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: UserId(row.id),
            username: row.username,
            email: row.email,
            full_name: row.full_name,
            age: i32::from(row.age),
            gender: row.gender,
            created_at: row.created_at.and_utc(),
        }
    }
}

/// A new account, borrowed from the validated request.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow<'a> {
    pub username: &'a str,
    pub username_key: &'a [u8],
    pub email: &'a str,
    pub email_key: &'a [u8],
    pub password_hash: &'a str,
    pub full_name: &'a str,
    pub age: i16,
    pub gender: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Inserts an account and returns its new id. Uniqueness is left to the
/// database's unique indexes, so two racing registrations cannot both win.
pub async fn insert(conn: &mut DbConnection, row: &NewUserRow<'_>) -> QueryResult<UserId> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .await?;
    // LAST_INSERT_ID() is per connection, so this is the id of the row above.
    let id: u64 = diesel::select(diesel::dsl::sql::<Unsigned<BigInt>>("LAST_INSERT_ID()"))
        .get_result(conn)
        .await?;
    i64::try_from(id)
        .map(UserId)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// Loads an account by id.
pub async fn find(conn: &mut DbConnection, id: UserId) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id.0)
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The id and password hash of the account with this lower-cased username.
pub async fn credentials(
    conn: &mut DbConnection,
    username_key: &[u8],
) -> QueryResult<Option<(i64, String)>> {
    users::table
        .filter(users::username_key.eq(username_key))
        .select((users::id, users::password_hash))
        .first(conn)
        .await
        .optional()
}

/// True when the account still exists.
pub async fn exists(conn: &mut DbConnection, id: UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.find(id.0)))
        .get_result(conn)
        .await
}
