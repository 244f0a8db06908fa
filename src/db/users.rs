//! Account rows and their queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::DbConnection;
use super::schema::users;
use crate::model::{User, UserId};
use crate::on_backend;

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
    conn.run(async |db| on_backend!(db, c => diesel::insert_into(users::table).values(row).execute(c).await)).await?;
    // Read the id back by the unique key: portable, unlike LAST_INSERT_ID()
    // and last_insert_rowid().
    let id = users::table
        .filter(users::username_key.eq(row.username_key))
        .select(users::id);
    conn.run(async |db| on_backend!(db, c => id.first(c).await))
        .await
        .map(UserId)
}

/// Loads an account by id.
pub async fn find(conn: &mut DbConnection, id: UserId) -> QueryResult<Option<UserRow>> {
    // Built per backend: `as_select()` is typed by the backend it runs on.
    conn.run(async |db| {
        on_backend!(db, c => {
            users::table
                .find(id.0)
                .select(UserRow::as_select())
                .first(c)
                .await
                .optional()
        })
    })
    .await
}

/// The id and password hash of the account with this lower-cased username.
pub async fn credentials(
    conn: &mut DbConnection,
    username_key: &[u8],
) -> QueryResult<Option<(i64, String)>> {
    let query = users::table
        .filter(users::username_key.eq(username_key))
        .select((users::id, users::password_hash));
    conn.run(async |db| on_backend!(db, c => query.first(c).await.optional()))
        .await
}

/// True when the account still exists.
pub async fn exists(conn: &mut DbConnection, id: UserId) -> QueryResult<bool> {
    let query = diesel::select(diesel::dsl::exists(users::table.find(id.0)));
    conn.run(async |db| on_backend!(db, c => query.get_result(c).await))
        .await
}
