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

/// What a login checks: the password hash and the failures since the last
/// success.
#[derive(Debug, Queryable)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub login_failures: i32,
    pub login_failures_since: Option<NaiveDateTime>,
}

/// The credentials of the account with this lower-cased username.
pub async fn credentials(
    conn: &mut DbConnection,
    username_key: &[u8],
) -> QueryResult<Option<Credentials>> {
    let query = users::table
        .filter(users::username_key.eq(username_key))
        .select((
            users::id,
            users::password_hash,
            users::login_failures,
            users::login_failures_since,
        ));
    conn.run(async |db| on_backend!(db, c => query.first(c).await.optional()))
        .await
}

/// Loads an account by id with its password hash, for a change that must
/// be confirmed with the password.
pub async fn find_with_password_hash(
    conn: &mut DbConnection,
    id: UserId,
) -> QueryResult<Option<(UserRow, String)>> {
    conn.run(async |db| {
        on_backend!(db, c => {
            users::table
                .find(id.0)
                .select((UserRow::as_select(), users::password_hash))
                .first(c)
                .await
                .optional()
        })
    })
    .await
}

/// Counts a failed login: the first failure after `window_start` (or
/// after none) starts a new count at `now`.
pub async fn record_login_failure(
    conn: &mut DbConnection,
    id: UserId,
    window_start: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    // Two statements rather than a CASE, so both backends take the same text.
    let restart = diesel::update(
        users::table.find(id.0).filter(
            users::login_failures_since
                .is_null()
                .or(users::login_failures_since.lt(window_start)),
        ),
    )
    .set((
        users::login_failures.eq(1),
        users::login_failures_since.eq(Some(now)),
    ));
    let restarted = conn
        .run(async |db| on_backend!(db, c => restart.execute(c).await))
        .await?;
    if restarted == 0 {
        let count = diesel::update(users::table.find(id.0))
            .set(users::login_failures.eq(users::login_failures + 1));
        conn.run(async |db| on_backend!(db, c => count.execute(c).await))
            .await?;
    }
    Ok(())
}

/// Clears the failure count after a successful login.
pub async fn reset_login_failures(conn: &mut DbConnection, id: UserId) -> QueryResult<()> {
    let query = diesel::update(users::table.find(id.0).filter(users::login_failures.ne(0))).set((
        users::login_failures.eq(0),
        users::login_failures_since.eq(None::<NaiveDateTime>),
    ));
    conn.run(async |db| on_backend!(db, c => query.execute(c).await))
        .await
        .map(drop)
}

/// Replaces an account's password hash.
pub async fn set_password_hash(
    conn: &mut DbConnection,
    id: UserId,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let query = diesel::update(users::table.find(id.0))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)));
    conn.run(async |db| on_backend!(db, c => query.execute(c).await))
        .await
        .map(drop)
}

/// New values for an account's profile; `None` keeps a column.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = users)]
pub struct ProfileChangeset<'a> {
    pub email: Option<&'a str>,
    pub email_key: Option<&'a [u8]>,
    pub full_name: Option<&'a str>,
    pub age: Option<i16>,
    pub gender: Option<&'a str>,
    pub updated_at: NaiveDateTime,
}

/// Changes an account's profile; the unique index refuses a taken email.
pub async fn update_profile(
    conn: &mut DbConnection,
    id: UserId,
    changes: &ProfileChangeset<'_>,
) -> QueryResult<usize> {
    let query = diesel::update(users::table.find(id.0)).set(changes);
    conn.run(async |db| on_backend!(db, c => query.execute(c).await))
        .await
}

/// Deletes an account; its entries and sessions go with it (cascades).
pub async fn delete(conn: &mut DbConnection, id: UserId) -> QueryResult<usize> {
    let query = diesel::delete(users::table.find(id.0));
    conn.run(async |db| on_backend!(db, c => query.execute(c).await))
        .await
}

/// The password hashes of the newest accounts (at most `limit`), for the
/// cost most of them were made with.
pub async fn recent_password_hashes(
    conn: &mut DbConnection,
    limit: i64,
) -> QueryResult<Vec<String>> {
    let query = users::table
        .order(users::id.desc())
        .limit(limit)
        .select(users::password_hash);
    conn.run(async |db| on_backend!(db, c => query.load(c).await))
        .await
}

/// True when the account still exists.
pub async fn exists(conn: &mut DbConnection, id: UserId) -> QueryResult<bool> {
    let query = diesel::select(diesel::dsl::exists(users::table.find(id.0)));
    conn.run(async |db| on_backend!(db, c => query.get_result(c).await))
        .await
}
