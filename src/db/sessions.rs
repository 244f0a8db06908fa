//! Sign-in sessions, their refresh tokens and the revocation list, and
//! their queries. A session that ends is deleted (its refresh tokens go
//! with it) and its id is added to the revocation list, which every server
//! polls.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::DbConnection;
use super::schema::{refresh_tokens, session_revocations, sessions};
use crate::model::{SessionId, UserId};
use crate::on_backend;

/// Deletes at most `$limit` rows of `$table` whose `$time` is before
/// `$before`, found first and then deleted by their `$key`: a bounded batch
/// by primary key, so housekeeping never holds a long or range lock.
/// Evaluates to how many went.
macro_rules! delete_batch_before {
    ($conn:expr, $table:ident, $key:ident, $time:ident, $before:expr, $limit:expr) => {{
        let keys: Vec<Vec<u8>> = $conn
            .run(async |db| {
                on_backend!(db, c => {
                    $table::table
                        .filter($table::$time.lt($before))
                        .select($table::$key)
                        .limit($limit)
                        .load(c)
                        .await
                })
            })
            .await?;
        if keys.is_empty() {
            return Ok(0);
        }
        let query = diesel::delete($table::table.filter($table::$key.eq_any(&keys)));
        $conn
            .run(async |db| on_backend!(db, c => query.execute(c).await))
            .await
    }};
}

/// A session as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: Vec<u8>,
    pub user_id: i64,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub user_agent: Option<String>,
}

impl SessionRow {
    /// The session's id, if the stored bytes are one (they always are).
    pub fn session_id(&self) -> Option<SessionId> {
        self.id.as_slice().try_into().ok().map(SessionId)
    }
}

/// A refresh token as found by its hash, with its session.
#[derive(Debug, Clone)]
pub struct PresentedToken {
    pub session: SessionRow,
    /// Set when the token was already exchanged for a newer one.
    pub retired_at: Option<NaiveDateTime>,
}

/// Starts a session with its first refresh token.
pub async fn insert(
    conn: &mut DbConnection,
    session: &SessionRow,
    token_hash: &[u8],
) -> QueryResult<()> {
    let row = (
        sessions::id.eq(&session.id),
        sessions::user_id.eq(session.user_id),
        sessions::created_at.eq(session.created_at),
        sessions::last_used_at.eq(session.last_used_at),
        sessions::user_agent.eq(&session.user_agent),
    );
    let query = diesel::insert_into(sessions::table).values(row);
    conn.run(async |db| on_backend!(db, c => query.execute(c).await))
        .await?;
    insert_token(conn, &session.id, token_hash, session.created_at).await
}

async fn insert_token(
    conn: &mut DbConnection,
    session: &[u8],
    token_hash: &[u8],
    issued_at: NaiveDateTime,
) -> QueryResult<()> {
    let row = (
        refresh_tokens::token_hash.eq(token_hash),
        refresh_tokens::session_id.eq(session),
        refresh_tokens::issued_at.eq(issued_at),
    );
    let query = diesel::insert_into(refresh_tokens::table).values(row);
    conn.run(async |db| on_backend!(db, c => query.execute(c).await))
        .await
        .map(drop)
}

/// The refresh token with this hash and its session, if both exist. Inside
/// a write transaction on MySQL the token's row is locked, so of two
/// refreshes with one token, one waits and then sees it retired.
pub async fn presented_token(
    conn: &mut DbConnection,
    token_hash: &[u8],
) -> QueryResult<Option<PresentedToken>> {
    let found = conn
        .run(async |db| match db {
            super::Backend::Mysql(c) => refresh_tokens::table
                .inner_join(sessions::table)
                .filter(refresh_tokens::token_hash.eq(token_hash))
                .select((SessionRow::as_select(), refresh_tokens::retired_at))
                .for_update()
                .first(c)
                .await
                .optional(),
            super::Backend::Sqlite(c) => refresh_tokens::table
                .inner_join(sessions::table)
                .filter(refresh_tokens::token_hash.eq(token_hash))
                .select((SessionRow::as_select(), refresh_tokens::retired_at))
                .first(c)
                .await
                .optional(),
        })
        .await?;
    Ok(found.map(|(session, retired_at)| PresentedToken {
        session,
        retired_at,
    }))
}

/// Retires the presented token, stores its successor and marks the session
/// used: statements on single rows by their keys only, so concurrent
/// refreshes of different sessions take no range locks that could deadlock
/// (a range delete here did, under 64 concurrent refreshes on MariaDB).
pub async fn rotate(
    conn: &mut DbConnection,
    session: &[u8],
    old_hash: &[u8],
    new_hash: &[u8],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let retire = diesel::update(refresh_tokens::table.find(old_hash))
        .set(refresh_tokens::retired_at.eq(Some(now)));
    conn.run(async |db| on_backend!(db, c => retire.execute(c).await))
        .await?;
    insert_token(conn, session, new_hash, now).await?;
    let touch = diesel::update(sessions::table.find(session)).set(sessions::last_used_at.eq(now));
    conn.run(async |db| on_backend!(db, c => touch.execute(c).await))
        .await
        .map(drop)
}

/// Forgets refresh tokens retired before `before` (reuse of one that old is
/// an unknown token, refused all the same), at most `limit` at a time;
/// returns how many went.
pub async fn prune_retired_tokens(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    limit: i64,
) -> QueryResult<usize> {
    delete_batch_before!(conn, refresh_tokens, token_hash, retired_at, before, limit)
}

/// The account's sessions used since `active_since`, newest first.
pub async fn of_user(
    conn: &mut DbConnection,
    user: UserId,
    active_since: NaiveDateTime,
) -> QueryResult<Vec<SessionRow>> {
    conn.run(async |db| {
        on_backend!(db, c => {
            sessions::table
                .filter(sessions::user_id.eq(user.0))
                .filter(sessions::last_used_at.ge(active_since))
                .order((sessions::created_at.desc(), sessions::id.desc()))
                .select(SessionRow::as_select())
                .load(c)
                .await
        })
    })
    .await
}

/// The ids of the account's sessions, but `except`.
pub async fn ids_of_user(
    conn: &mut DbConnection,
    user: UserId,
    except: Option<SessionId>,
) -> QueryResult<Vec<SessionId>> {
    let except = except.map(|id| id.0.to_vec()).unwrap_or_default();
    let ids: Vec<Vec<u8>> = conn
        .run(async |db| {
            on_backend!(db, c => {
                sessions::table
                    .filter(sessions::user_id.eq(user.0))
                    .filter(sessions::id.ne(&except))
                    .select(sessions::id)
                    .load(c)
                    .await
            })
        })
        .await?;
    Ok(ids
        .iter()
        .filter_map(|id| id.as_slice().try_into().ok().map(SessionId))
        .collect())
}

/// Deletes those of `ids` that are sessions of `user`, in one statement;
/// returns how many there were.
pub async fn delete(
    conn: &mut DbConnection,
    user: UserId,
    ids: &[SessionId],
) -> QueryResult<usize> {
    let ids: Vec<&[u8]> = ids.iter().map(|id| id.0.as_slice()).collect();
    let query = diesel::delete(
        sessions::table
            .filter(sessions::id.eq_any(&ids))
            .filter(sessions::user_id.eq(user.0)),
    );
    conn.run(async |db| on_backend!(db, c => query.execute(c).await))
        .await
}

/// Adds sessions to the revocation list (again is fine: the time moves on).
pub async fn revoke(
    conn: &mut DbConnection,
    ids: &[SessionId],
    now: NaiveDateTime,
) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let keys: Vec<&[u8]> = ids.iter().map(|id| id.0.as_slice()).collect();
    // Portable upsert: delete, then insert, in the caller's transaction.
    let forget = diesel::delete(
        session_revocations::table.filter(session_revocations::session_id.eq_any(&keys)),
    );
    conn.run(async |db| on_backend!(db, c => forget.execute(c).await))
        .await?;
    // A row at a time: diesel-async's SQLite connection has no multi-row insert.
    for key in keys {
        let row = (
            session_revocations::session_id.eq(key),
            session_revocations::revoked_at.eq(now),
        );
        let insert = diesel::insert_into(session_revocations::table).values(row);
        conn.run(async |db| on_backend!(db, c => insert.execute(c).await))
            .await?;
    }
    Ok(())
}

/// The revocation list from `since` on.
pub async fn revoked_since(
    conn: &mut DbConnection,
    since: NaiveDateTime,
) -> QueryResult<Vec<(SessionId, NaiveDateTime)>> {
    let rows: Vec<(Vec<u8>, NaiveDateTime)> = conn
        .run(async |db| {
            on_backend!(db, c => {
                session_revocations::table
                    .filter(session_revocations::revoked_at.ge(since))
                    .select((session_revocations::session_id, session_revocations::revoked_at))
                    .load(c)
                    .await
            })
        })
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| Some((SessionId(id.as_slice().try_into().ok()?), at)))
        .collect())
}

/// Forgets revocations from before `before` (their access tokens have
/// expired), at most `limit` at a time; returns how many went.
pub async fn prune_revocations(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    limit: i64,
) -> QueryResult<usize> {
    delete_batch_before!(
        conn,
        session_revocations,
        session_id,
        revoked_at,
        before,
        limit
    )
}

/// Deletes sessions unused since `before` (idle past the refresh lifetime),
/// at most `limit` at a time; returns how many went. Their access tokens
/// expired long ago, so they need no revocation.
pub async fn prune_idle(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    limit: i64,
) -> QueryResult<usize> {
    delete_batch_before!(conn, sessions, id, last_used_at, before, limit)
}
