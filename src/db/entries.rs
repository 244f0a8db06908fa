//! Entry rows and their queries. Every query is scoped by owner: there is no
//! way to name another account's entry from here.

use chrono::NaiveDateTime;
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Binary, Nullable, Text, Timestamp};
use diesel_async::RunQueryDsl;

use super::schema::entries;
use super::{Backend, DbConnection};
use crate::model::{Entry, UserId};
use crate::on_backend;

/// An entry as stored. The key is raw bytes (VARBINARY / BLOB) so that it
/// compares byte for byte; it is always valid UTF-8 because only validated
/// strings are written.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = entries)]
pub struct EntryRow {
    pub key: Vec<u8>,
    pub value: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// From this instant on the entry is as if absent (`None`: never).
    pub expires_at: Option<NaiveDateTime>,
}

impl EntryRow {
    /// Converts to the domain type; fails only if the stored key is not UTF-8.
    pub fn into_entry(self) -> Result<Entry, std::string::FromUtf8Error> {
        Ok(Entry {
            key: String::from_utf8(self.key)?,
            value: self.value,
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
            expires_at: self.expires_at.map(|at| at.and_utc()),
        })
    }
}

/// A new entry, borrowed from the validated request.
#[derive(Debug)]
pub struct NewEntryRow<'a> {
    pub user_id: i64,
    pub key: &'a [u8],
    pub value: &'a str,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

impl<'a> NewEntryRow<'a> {
    /// A new entry at version 1, created and updated `at`.
    pub fn first_version(
        owner: UserId,
        key: &'a [u8],
        value: &'a str,
        at: NaiveDateTime,
        expires_at: Option<NaiveDateTime>,
    ) -> Self {
        Self {
            user_id: owner.0,
            key,
            value,
            version: 1,
            created_at: at,
            updated_at: at,
            expires_at,
        }
    }
}

/// Entries still alive at `now`: no expiry, or one still to come. From its
/// expiry on an entry is as if absent, whether or not it was reclaimed yet.
macro_rules! live_at {
    ($now:expr) => {
        entries::expires_at
            .is_null()
            .or(entries::expires_at.gt($now))
    };
}

/// Loads one entry by its primary key, if alive at `now`. Inside a write
/// transaction on MySQL the row is locked (`FOR UPDATE`), expired or not;
/// SQLite has no row locks and needs none, since its write transactions
/// hold the database's single write lock from the start.
pub async fn find(
    conn: &mut DbConnection,
    owner: UserId,
    key: &[u8],
    for_update: bool,
    now: NaiveDateTime,
) -> QueryResult<Option<EntryRow>> {
    let row = entries::table.find((owner.0, key)).filter(live_at!(now));
    // Built per backend: `as_select()` is typed by the backend it runs on.
    conn.run(async |db| match db {
        Backend::Mysql(c) if for_update => {
            let select = row.select(EntryRow::as_select()).for_update();
            select.get_result(c).await.optional()
        }
        other => on_backend!(other, c => {
            row.select(EntryRow::as_select()).get_result(c).await.optional()
        }),
    })
    .await
}

/// An entry with its owner, as [`find_many`] returns it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = entries)]
pub struct OwnedEntryRow {
    pub user_id: i64,
    #[diesel(embed)]
    pub entry: EntryRow,
}

/// Loads the entries named by `wanted` (owner and key) in one query; those
/// that do not exist are absent from the result. The list is padded to a
/// power of two by repeating its last pair, so that the statement texts, and
/// the prepared statements each connection caches, stay few (six up to 32).
pub async fn find_many(
    conn: &mut DbConnection,
    wanted: &[(UserId, &[u8])],
    now: NaiveDateTime,
) -> QueryResult<Vec<OwnedEntryRow>> {
    let Some(&last) = wanted.last() else {
        return Ok(Vec::new());
    };
    let padding = wanted.len().next_power_of_two() - wanted.len();
    let pairs = wanted.iter().chain(std::iter::repeat_n(&last, padding));
    conn.run(async |db| {
        on_backend!(db, c => {
            let mut query = entries::table.select(OwnedEntryRow::as_select()).into_boxed();
            for (owner, key) in pairs {
                query = query.or_filter(entries::user_id.eq(owner.0).and(entries::key.eq(*key)));
            }
            query.filter(live_at!(now)).load(c).await
        })
    })
    .await
}

/// Inserts a new entry; the primary key rejects a duplicate.
///
/// The values are a tuple of `column = value` rather than a derived
/// `Insertable`: diesel renders a derived struct's fields as "value or
/// DEFAULT" and so marks the statement uncacheable, which made every insert
/// prepare, run and close its statement (two round trips instead of one).
pub async fn insert(conn: &mut DbConnection, row: &NewEntryRow<'_>) -> QueryResult<()> {
    let query = diesel::insert_into(entries::table).values((
        entries::user_id.eq(row.user_id),
        entries::key.eq(row.key),
        entries::value.eq(row.value),
        entries::version.eq(row.version),
        entries::created_at.eq(row.created_at),
        entries::updated_at.eq(row.updated_at),
        entries::expires_at.eq(row.expires_at),
    ));
    conn.run(async |db| on_backend!(db, c => query.execute(c).await))
        .await
        .map(drop)
}

/// Inserts a new entry like [`insert`]; when its key is held by an entry
/// that expired by the row's creation but is not reclaimed yet, frees the
/// key and tries once more (only then: the common insert is one statement).
pub async fn insert_freeing_expired(
    conn: &mut DbConnection,
    row: &NewEntryRow<'_>,
) -> QueryResult<()> {
    let inserted = insert(conn, row).await;
    let clash = matches!(
        inserted.as_ref().err().and_then(super::violation),
        Some(super::Violation::Unique(super::UniqueIndex::EntryKey))
    );
    if clash && delete_expired(conn, UserId(row.user_id), row.key, row.created_at).await? == 1 {
        return insert(conn, row).await;
    }
    inserted
}

/// Deletes the entry if it has expired by `now` (so that its key is free
/// for a new one); returns how many rows went (0 or 1).
pub async fn delete_expired(
    conn: &mut DbConnection,
    owner: UserId,
    key: &[u8],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let query = diesel::delete(
        entries::table
            .find((owner.0, key))
            .filter(entries::expires_at.le(now)),
    );
    conn.run(async |db| on_backend!(db, c => query.execute(c).await))
        .await
}

/// Deletes up to `limit` entries that expired before `now`, oldest expiry
/// first (through the index); returns how many went. Bounded so that no
/// statement holds locks for long; an entry written again meanwhile (a new
/// TTL, or none) is kept, since the delete checks the expiry again.
pub async fn reclaim_expired(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<usize> {
    let expired: Vec<(i64, Vec<u8>)> = conn
        .run(async |db| {
            on_backend!(db, c => {
                entries::table
                    .filter(entries::expires_at.le(now))
                    .order(entries::expires_at.asc())
                    .select((entries::user_id, entries::key))
                    .limit(limit)
                    .load(c)
                    .await
            })
        })
        .await?;
    if expired.is_empty() {
        return Ok(0);
    }
    conn.run(async |db| {
        on_backend!(db, c => {
            let mut query = diesel::delete(entries::table).into_boxed();
            for (owner, key) in &expired {
                query = query.or_filter(entries::user_id.eq(owner).and(entries::key.eq(key)));
            }
            query.filter(entries::expires_at.le(now)).execute(c).await
        })
    })
    .await
}

/// Creates the entry or, when the key exists, replaces its value and bumps
/// its version, in one statement (`ON DUPLICATE KEY UPDATE` on MySQL, `ON
/// CONFLICT DO UPDATE` on SQLite), so racing upserts never collide; an
/// expired row is replaced as if new. (Deleting it first took gap locks on
/// MySQL, on which racing upserts of a new key deadlocked.)
pub async fn upsert(conn: &mut DbConnection, row: &NewEntryRow<'_>) -> QueryResult<()> {
    let values = (
        entries::user_id.eq(row.user_id),
        entries::key.eq(row.key),
        entries::value.eq(row.value),
        entries::version.eq(row.version),
        entries::created_at.eq(row.created_at),
        entries::updated_at.eq(row.updated_at),
        entries::expires_at.eq(row.expires_at),
    );
    // An entry that expired by now is replaced anew (version 1, created
    // now), not continued. MySQL evaluates these assignments left to right
    // on the updated row, so both tests of the old expiry come before
    // `expires_at` is set; SQLite reads the old row throughout.
    let now = row.updated_at;
    let expired = entries::expires_at.le(now);
    let replace = (
        entries::version
            .eq(case_when(expired, 1_i64.into_sql::<BigInt>()).otherwise(entries::version + 1)),
        entries::created_at.eq(case_when(expired, row.created_at.into_sql::<Timestamp>())
            .otherwise(entries::created_at)),
        entries::value.eq(row.value),
        entries::updated_at.eq(row.updated_at),
        entries::expires_at.eq(row.expires_at),
    );
    conn.run(async |db| match db {
        Backend::Mysql(c) => {
            diesel::insert_into(entries::table)
                .values(values)
                .on_conflict(diesel::dsl::DuplicatedKeys)
                .do_update()
                .set(replace)
                .execute(c)
                .await
        }
        Backend::Sqlite(c) => {
            diesel::insert_into(entries::table)
                .values(values)
                .on_conflict((entries::user_id, entries::key))
                .do_update()
                .set(replace)
                .execute(c)
                .await
        }
    })
    .await
    .map(drop)
}

/// Replaces a value and bumps its version, only if the entry is at
/// `expected_version` when one is given (the check and the write are one
/// statement, so of racing writers expecting the same version exactly one
/// changes the row); returns how many rows changed (0 or 1).
pub async fn update_value(
    conn: &mut DbConnection,
    owner: UserId,
    key: &[u8],
    value: &str,
    now: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
    expected_version: Option<i64>,
) -> QueryResult<usize> {
    let owner = owner.0;
    match expected_version {
        None => {
            let query = ReplaceValue::<false> {
                owner,
                key,
                value,
                now,
                expires_at,
                expected_version: 0,
            };
            query.execute_on(conn).await
        }
        Some(expected_version) => {
            let query = ReplaceValue::<true> {
                owner,
                key,
                value,
                now,
                expires_at,
                expected_version,
            };
            query.execute_on(conn).await
        }
    }
}

/// `UPDATE entries SET value = ?, version = version + 1, updated_at = ?,
/// expires_at = ? WHERE user_id = ? AND key = ? AND (expires_at IS NULL OR
/// expires_at > ?)` (and `AND version = ?` when `CHECKED`), as a statement
/// of its own. diesel marks
/// every `UPDATE` it builds as not cacheable (a changeset's optional fields
/// can change its text), so the driver prepared, ran and closed the DSL's
/// update on every call: two round trips, and a statement for the database
/// to parse each time. This text never changes, so it is prepared once per
/// connection and each replace is one round trip.
struct ReplaceValue<'a, const CHECKED: bool> {
    owner: i64,
    key: &'a [u8],
    value: &'a str,
    now: NaiveDateTime,
    /// The new expiry (a write without a TTL clears it).
    expires_at: Option<NaiveDateTime>,
    /// Compared only when `CHECKED`.
    expected_version: i64,
}

impl<const CHECKED: bool> ReplaceValue<'_, CHECKED> {
    /// Runs the statement; returns how many rows changed (0 or 1).
    async fn execute_on(self, conn: &mut DbConnection) -> QueryResult<usize> {
        conn.run(async |db| on_backend!(db, c => self.execute(c).await))
            .await
    }
}

/// One statement text per `CHECKED`, so one cache entry each (diesel's
/// derive does not take borrowed fields).
impl<const CHECKED: bool> QueryId for ReplaceValue<'_, CHECKED> {
    type QueryId = ReplaceValue<'static, CHECKED>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB, const CHECKED: bool> QueryFragment<DB> for ReplaceValue<'_, CHECKED>
where
    DB: diesel::backend::Backend
        + diesel::sql_types::HasSqlType<BigInt>
        + diesel::sql_types::HasSqlType<Binary>
        + diesel::sql_types::HasSqlType<Text>
        + diesel::sql_types::HasSqlType<Timestamp>,
    i64: ToSql<BigInt, DB>,
    [u8]: ToSql<Binary, DB>,
    str: ToSql<Text, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
    Option<NaiveDateTime>: ToSql<Nullable<Timestamp>, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE ");
        entries::table.walk_ast(out.reborrow())?;
        out.push_sql(" SET ");
        out.push_identifier(entries::value::NAME)?;
        out.push_sql(" = ");
        out.push_bind_param::<Text, _>(self.value)?;
        out.push_sql(", ");
        out.push_identifier(entries::version::NAME)?;
        out.push_sql(" = ");
        out.push_identifier(entries::version::NAME)?;
        out.push_sql(" + 1, ");
        out.push_identifier(entries::updated_at::NAME)?;
        out.push_sql(" = ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(", ");
        out.push_identifier(entries::expires_at::NAME)?;
        out.push_sql(" = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&self.expires_at)?;
        out.push_sql(" WHERE ");
        out.push_identifier(entries::user_id::NAME)?;
        out.push_sql(" = ");
        out.push_bind_param::<BigInt, _>(&self.owner)?;
        out.push_sql(" AND ");
        out.push_identifier(entries::key::NAME)?;
        out.push_sql(" = ");
        out.push_bind_param::<Binary, _>(self.key)?;
        // An expired entry is as if absent: nothing to update.
        out.push_sql(" AND (");
        out.push_identifier(entries::expires_at::NAME)?;
        out.push_sql(" IS NULL OR ");
        out.push_identifier(entries::expires_at::NAME)?;
        out.push_sql(" > ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(")");
        if CHECKED {
            out.push_sql(" AND ");
            out.push_identifier(entries::version::NAME)?;
            out.push_sql(" = ");
            out.push_bind_param::<BigInt, _>(&self.expected_version)?;
        }
        Ok(())
    }
}

/// Deletes an entry, only if it is at `expected_version` when one is given
/// (one statement, as in [`update_value`]); returns how many rows went (0 or 1).
pub async fn delete(
    conn: &mut DbConnection,
    owner: UserId,
    key: &[u8],
    expected_version: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    // An expired entry is as if absent: deleting it is KEY_NOT_FOUND, and
    // the reclaimer takes it.
    let row = entries::table.find((owner.0, key)).filter(live_at!(now));
    match expected_version {
        None => {
            let query = diesel::delete(row);
            conn.run(async |db| on_backend!(db, c => query.execute(c).await))
                .await
        }
        Some(version) => {
            let query = diesel::delete(row.filter(entries::version.eq(version)));
            conn.run(async |db| on_backend!(db, c => query.execute(c).await))
                .await
        }
    }
}

/// Which keys a listing covers: strictly after `after`, and within
/// `[from, until)` (the byte range of a prefix).
#[derive(Debug, Default)]
pub struct KeyRange<'a> {
    pub after: Option<&'a [u8]>,
    pub from: Option<&'a [u8]>,
    pub until: Option<Vec<u8>>,
}

/// One page of entries in byte order of their keys, by keyset pagination on
/// the primary key (never OFFSET), so a deep page costs what the first does.
pub async fn page(
    conn: &mut DbConnection,
    owner: UserId,
    range: &KeyRange<'_>,
    limit: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<EntryRow>> {
    conn.run(async |db| {
        on_backend!(db, c => {
            let mut query = entries::table
                .filter(entries::user_id.eq(owner.0))
                .select(EntryRow::as_select())
                .order(entries::key.asc())
                .limit(limit)
                .into_boxed();
            if let Some(after) = range.after {
                query = query.filter(entries::key.gt(after));
            }
            if let Some(from) = range.from {
                query = query.filter(entries::key.ge(from));
            }
            if let Some(until) = &range.until {
                query = query.filter(entries::key.lt(until));
            }
            query.filter(live_at!(now)).load(c).await
        })
    })
    .await
}
