//! Per-account entries. Another account's key is indistinguishable from a
//! missing one: every query is scoped by the caller's id.

use chrono::{NaiveDateTime, SubsecRound, TimeDelta};

use super::{Service, cursor, now, validation};
use crate::db::{self, DbConnection, UniqueIndex, Violation, entries::EntryRow};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::model::{Entry, EntryChange, EntryCheck, EntryWrite, Precondition, UserId};

impl Service {
    /// Reads one entry.
    pub async fn read_entry(&self, user: UserId, key: &str) -> AppResult<Entry> {
        to_entry(self.read_row(user, key).await?)
    }

    /// Reads only an entry's value and version, for callers that need
    /// nothing else (REST, whose `ETag` is the version): the same rules and
    /// errors as [`Service::read_entry`].
    pub async fn read_entry_value(&self, user: UserId, key: &str) -> AppResult<VersionedValue> {
        let row = self.read_row(user, key).await?;
        Ok(VersionedValue {
            value: row.value,
            version: row.version,
        })
    }

    /// Reads go through the [`EntryReader`](crate::db::EntryReader), which
    /// answers concurrent reads with one query. Entries are deleted with
    /// their account (the foreign key cascades), so a hit proves the account
    /// exists; only a miss costs a second query to tell a missing key from a
    /// deleted account.
    async fn read_row(&self, user: UserId, key: &str) -> AppResult<EntryRow> {
        validation::key(key)?;
        if let Some(row) = self.entry_reader.find(user, key.as_bytes()).await? {
            return Ok(row);
        }
        let mut conn = self.db.conn().await?;
        Err(missing_key_or_account(&mut conn, user).await)
    }

    /// Creates an entry, expiring after `ttl_secs` when given; `KEY_EXISTS`
    /// when the caller already has this key (an expired entry does not
    /// count: it is deleted, and the key is free).
    pub async fn create_entry(
        &self,
        user: UserId,
        key: &str,
        value: &str,
        ttl_secs: Option<i64>,
    ) -> AppResult<Entry> {
        let ttl_secs = self.check_entry_write(key, value, ttl_secs)?;
        let created_at = now();
        let expires_at = expiry(created_at, ttl_secs);
        let row = db::entries::NewEntryRow::first_version(
            user,
            key.as_bytes(),
            value,
            created_at,
            expires_at,
        );
        let mut conn = self.db.conn().await?;
        let inserted = db::entries::insert_freeing_expired(&mut conn, &row).await;
        inserted.map_err(|err| match db::violation(&err) {
            Some(Violation::Unique(UniqueIndex::EntryKey)) => {
                AppError::new(ErrorCode::KeyExists, "Data with this key already exists.")
            }
            Some(Violation::ForeignKey) => AppError::invalid_token(),
            _ => err.into(),
        })?;
        Ok(Entry {
            key: key.to_owned(),
            value: value.to_owned(),
            version: 1,
            created_at: created_at.and_utc(),
            updated_at: created_at.and_utc(),
            expires_at: expires_at.map(|at| at.and_utc()),
        })
    }

    /// Replaces a value, bumping its version, if `precondition` holds, in
    /// one statement: for callers that do not need the entry back (REST), a
    /// single round trip. `VERSION_MISMATCH` when the entry is at another
    /// version; nothing is written then.
    /// The entry then expires after `ttl_secs`, or never when none is
    /// given (a TTL is not kept across writes).
    pub async fn update_entry(
        &self,
        user: UserId,
        key: &str,
        value: &str,
        precondition: Precondition,
        ttl_secs: Option<i64>,
    ) -> AppResult<()> {
        let ttl_secs = self.check_entry_write(key, value, ttl_secs)?;
        let expected = precondition.version();
        let updated_at = now();
        let expires_at = expiry(updated_at, ttl_secs);
        let mut conn = self.db.conn().await?;
        let changed = db::entries::update_value(
            &mut conn,
            user,
            key.as_bytes(),
            value,
            updated_at,
            expires_at,
            expected,
        )
        .await?;
        if changed == 0 {
            return Err(why_not_written(&mut conn, user, key, expected, updated_at).await);
        }
        Ok(())
    }

    /// Replaces a value, bumping its version; returns the entry as updated,
    /// read in the same transaction so the version is the one this write made.
    /// `expected` is the version the entry must be at, if any; the entry
    /// then expires after `ttl_secs`, or never.
    pub async fn update_entry_and_return(
        &self,
        user: UserId,
        key: &str,
        value: &str,
        expected: Option<i64>,
        ttl_secs: Option<i64>,
    ) -> AppResult<Entry> {
        let ttl_secs = self.check_entry_write(key, value, ttl_secs)?;
        let updated_at = now();
        let expires_at = expiry(updated_at, ttl_secs);
        let mut conn = self.db.conn().await?;
        conn.write_transaction(async |conn| {
            let changed = db::entries::update_value(
                conn,
                user,
                key.as_bytes(),
                value,
                updated_at,
                expires_at,
                expected,
            )
            .await?;
            if changed == 0 {
                return Err(why_not_written(conn, user, key, expected, updated_at).await);
            }
            let row = db::entries::find(conn, user, key.as_bytes(), false, updated_at).await?;
            to_entry(row.ok_or_else(AppError::key_not_found)?)
        })
        .await
    }

    /// Creates the entry or replaces its value (bumping its version), and
    /// returns it as written. `expected`: the version it must be at, 0 for
    /// "must not exist yet"; otherwise `VERSION_MISMATCH` and nothing is
    /// written (an absent or expired entry counts as version 0). The entry
    /// then expires after `ttl_secs`, or never.
    pub async fn put_entry(
        &self,
        user: UserId,
        key: &str,
        value: &str,
        expected: Option<i64>,
        ttl_secs: Option<i64>,
    ) -> AppResult<Entry> {
        let ttl_secs = self.check_entry_write(key, value, ttl_secs)?;
        let written_at = now();
        let row = db::entries::NewEntryRow::first_version(
            user,
            key.as_bytes(),
            value,
            written_at,
            expiry(written_at, ttl_secs),
        );
        let mut conn = self.db.conn().await?;
        conn.write_transaction(async |conn| {
            let unwritten = match expected {
                None => db::entries::upsert(conn, &row).await.err(),
                Some(0) => db::entries::insert_freeing_expired(conn, &row).await.err(),
                Some(version) => {
                    let changed = db::entries::update_value(
                        conn,
                        user,
                        key.as_bytes(),
                        value,
                        written_at,
                        row.expires_at,
                        Some(version),
                    )
                    .await?;
                    if changed == 0 {
                        return Err(put_refused(conn, user, key, written_at).await);
                    }
                    None
                }
            };
            match unwritten.as_ref().and_then(db::violation) {
                None => {}
                Some(Violation::Unique(UniqueIndex::EntryKey)) => {
                    return Err(put_refused(conn, user, key, written_at).await);
                }
                Some(Violation::ForeignKey) => return Err(AppError::invalid_token()),
                Some(_) => {}
            }
            if let Some(err) = unwritten {
                return Err(err.into());
            }
            let row = db::entries::find(conn, user, key.as_bytes(), false, written_at).await?;
            to_entry(row.ok_or_else(|| AppError::internal("an upserted entry is missing"))?)
        })
        .await
    }

    /// Applies `writes` if every one of `checks` holds, all or nothing, in
    /// one transaction (contract section 8): up to
    /// [`validation::MAX_ATOMIC_WRITES`]
    /// writes on distinct keys. Returns each write's entry as written, in
    /// order (`None` for a delete). A failed check is `VERSION_MISMATCH`
    /// naming its key; nothing is written then, nor when anything fails
    /// midway (the transaction rolls back).
    pub async fn atomic_write(
        &self,
        user: UserId,
        checks: &[EntryCheck],
        writes: &[EntryWrite],
    ) -> AppResult<Vec<Option<Entry>>> {
        validation::atomic_write(checks, writes, self.max_value_bytes)?;
        let written_at = now();
        let mut conn = self.db.conn().await?;
        conn.write_transaction(async |conn| {
            for check in checks {
                // Locked (MySQL) until the commit: no write slips in after the check.
                let row =
                    db::entries::find(conn, user, check.key.as_bytes(), true, written_at).await?;
                let actual = row.map(|row| row.version);
                if actual != check.version {
                    return Err(AppError::version_mismatch(actual).about_key(&check.key));
                }
            }
            let mut written = Vec::with_capacity(writes.len());
            for write in writes {
                let key = write.key.as_bytes();
                let EntryChange::Set { value, ttl_secs } = &write.change else {
                    db::entries::delete(conn, user, key, None, written_at).await?;
                    written.push(None);
                    continue;
                };
                let expires_at = expiry(written_at, *ttl_secs);
                let row = db::entries::NewEntryRow::first_version(
                    user, key, value, written_at, expires_at,
                );
                db::entries::upsert(conn, &row)
                    .await
                    .map_err(|err| match db::violation(&err) {
                        Some(Violation::ForeignKey) => AppError::invalid_token(),
                        _ => err.into(),
                    })?;
                let row = db::entries::find(conn, user, key, false, written_at).await?;
                let row = row.ok_or_else(|| AppError::internal("a written entry is missing"))?;
                written.push(Some(to_entry(row)?));
            }
            Ok(written)
        })
        .await
    }

    /// Deletes an entry if `precondition` holds, in one statement, for
    /// callers that do not need it back (REST).
    pub async fn delete_entry(
        &self,
        user: UserId,
        key: &str,
        precondition: Precondition,
    ) -> AppResult<()> {
        validation::key(key)?;
        let expected = precondition.version();
        let at = now();
        let mut conn = self.db.conn().await?;
        if db::entries::delete(&mut conn, user, key.as_bytes(), expected, at).await? == 0 {
            return Err(why_not_written(&mut conn, user, key, expected, at).await);
        }
        Ok(())
    }

    /// Deletes an entry, if it is at the version `expected` (when given),
    /// and returns it as it was.
    pub async fn delete_entry_and_return(
        &self,
        user: UserId,
        key: &str,
        expected: Option<i64>,
    ) -> AppResult<Entry> {
        validation::key(key)?;
        let at = now();
        let mut conn = self.db.conn().await?;
        conn.write_transaction(async |conn| {
            // Locked until the delete, so no write slips between the check and it.
            let Some(row) = db::entries::find(conn, user, key.as_bytes(), true, at).await? else {
                return Err(missing_key_or_account(conn, user).await);
            };
            if expected.is_some_and(|version| version != row.version) {
                return Err(AppError::version_mismatch(Some(row.version)));
            }
            db::entries::delete(conn, user, key.as_bytes(), None, at).await?;
            to_entry(row)
        })
        .await
    }
}

impl Service {
    /// The rules every write of a value shares: a valid key and value, and
    /// a TTL in range if one is given (returned as given).
    fn check_entry_write(
        &self,
        key: &str,
        value: &str,
        ttl_secs: Option<i64>,
    ) -> AppResult<Option<i64>> {
        validation::key(key)?;
        validation::value(value, self.max_value_bytes)?;
        validation::ttl(ttl_secs)
    }

    /// Deletes expired entries in batches of [`RECLAIM_BATCH`], oldest
    /// expiry first, with a pause between batches and the connection given
    /// back each time, so that reclaiming never holds locks for long nor
    /// takes the database from requests; runs until a batch comes up short.
    /// Returns how many went (and logs it). Expired entries are already
    /// absent to every read; this only frees their storage.
    pub async fn reclaim_expired_entries(&self) -> usize {
        let mut total = 0;
        loop {
            let batch = async {
                let mut conn = self.db.conn().await?;
                db::entries::reclaim_expired(&mut conn, now(), RECLAIM_BATCH).await
            };
            let deleted = match batch.await {
                Ok(deleted) => deleted,
                Err(err) => {
                    tracing::warn!(error = %err, reclaimed = total, "could not reclaim expired entries");
                    break;
                }
            };
            total += deleted;
            if deleted < RECLAIM_BATCH as usize {
                break;
            }
            if total % 10_000 < RECLAIM_BATCH as usize {
                tracing::info!(reclaimed = total, "reclaiming expired entries");
            }
            tokio::time::sleep(RECLAIM_PAUSE).await;
        }
        if total > 0 {
            tracing::info!(reclaimed = total, "reclaimed expired entries");
        }
        total
    }
}

/// Expired entries deleted per statement: small enough that each delete
/// holds its locks for milliseconds.
const RECLAIM_BATCH: i64 = 500;

/// The pause between two reclaiming batches, so requests get the database
/// in between.
const RECLAIM_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

/// When an entry written at `at` with `ttl_secs` expires: `at + ttl`,
/// rounded up to the whole second ("from its expiry second on"), so it
/// lives at least its TTL; `None` without a TTL.
fn expiry(at: NaiveDateTime, ttl_secs: Option<i64>) -> Option<NaiveDateTime> {
    let end = at + TimeDelta::seconds(ttl_secs?);
    let whole = end.trunc_subsecs(0);
    Some(if whole < end {
        whole + TimeDelta::seconds(1)
    } else {
        whole
    })
}

/// An entry's value and version (REST's GET, whose `ETag` is the version).
#[derive(Debug)]
pub struct VersionedValue {
    pub value: String,
    pub version: i64,
}

/// Why a `putEntry` with an expected version wrote nothing: the entry is at
/// another version, or absent, or the account is gone.
async fn put_refused(
    conn: &mut DbConnection,
    user: UserId,
    key: &str,
    at: NaiveDateTime,
) -> AppError {
    match db::entries::find(conn, user, key.as_bytes(), false, at).await {
        Ok(Some(row)) => AppError::version_mismatch(Some(row.version)),
        Ok(None) => match missing_key_or_account(conn, user).await {
            error if error.code() == ErrorCode::KeyNotFound => AppError::version_mismatch(None),
            error => error,
        },
        Err(err) => err.into(),
    }
}

/// After a write touched no row: with a version `expected`, an entry at
/// another version is `VERSION_MISMATCH`; otherwise the key is missing or
/// the account gone.
async fn why_not_written(
    conn: &mut DbConnection,
    user: UserId,
    key: &str,
    expected: Option<i64>,
    at: NaiveDateTime,
) -> AppError {
    if expected.is_some() {
        match db::entries::find(conn, user, key.as_bytes(), false, at).await {
            Ok(Some(row)) => return AppError::version_mismatch(Some(row.version)),
            Ok(None) => {}
            Err(err) => return err.into(),
        }
    }
    missing_key_or_account(conn, user).await
}

/// After a write touched no row: was the key missing, or the account gone?
async fn missing_key_or_account(conn: &mut DbConnection, user: UserId) -> AppError {
    match db::users::exists(conn, user).await {
        Ok(true) => AppError::key_not_found(),
        Ok(false) => AppError::invalid_token(),
        Err(err) => err.into(),
    }
}

fn to_entry(row: EntryRow) -> AppResult<Entry> {
    row.into_entry().map_err(AppError::internal)
}

/// A page of a listing, and whether more entries follow it.
#[derive(Debug)]
pub struct EntryPage {
    pub entries: Vec<Entry>,
    pub has_next: bool,
}

impl EntryPage {
    /// The cursor of the next page, when there is one.
    pub fn next_cursor(&self) -> Option<String> {
        let last = self.entries.last().filter(|_| self.has_next)?;
        Some(cursor::encode(&last.key))
    }
}

/// What a listing asks for, as either transport names it.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    /// Only keys that start with it (taken literally); empty: all.
    pub prefix: Option<&'a str>,
    /// Page size, 1..=100 (20 when absent).
    pub size: Option<i64>,
    /// Resume after the key this cursor names.
    pub cursor: Option<&'a str>,
    /// The transport's names of `size` and `cursor`, for error messages
    /// (`first`/`after` in GraphQL, `limit`/`cursor` over REST).
    pub names: (&'static str, &'static str),
}

impl Service {
    /// Lists the caller's entries in byte order of their keys, optionally
    /// only those starting with a prefix (a literal prefix: `%` and `_` mean
    /// themselves), a page at a time after a cursor: one implementation for
    /// GraphQL `entries` and REST `GET /api/data`.
    pub async fn list_entries(&self, user: UserId, page: PageRequest<'_>) -> AppResult<EntryPage> {
        let first = validation::page_size(page.size, page.names.0)?;
        let after = page
            .cursor
            .map(|text| cursor::decode(text, page.names.1))
            .transpose()?;
        let prefix = page.prefix.filter(|p| !p.is_empty()).map(str::as_bytes);
        let range = db::entries::KeyRange {
            after: after.as_deref().map(str::as_bytes),
            from: prefix,
            until: prefix.and_then(prefix_upper_bound),
        };
        let mut conn = self.db.conn().await?;
        // One row more than asked tells whether another page follows.
        let mut rows = db::entries::page(&mut conn, user, &range, first as i64 + 1, now()).await?;
        if rows.is_empty() && !db::users::exists(&mut conn, user).await? {
            return Err(AppError::invalid_token());
        }
        let has_next = rows.len() > first;
        rows.truncate(first);
        let entries = rows.into_iter().map(to_entry).collect::<AppResult<_>>()?;
        Ok(EntryPage { entries, has_next })
    }
}

/// The smallest byte string greater than every string that starts with
/// `prefix`, or `None` when there is none (all bytes 0xFF).
fn prefix_upper_bound(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut upper = prefix.to_vec();
    while let Some(last) = upper.pop() {
        if last < u8::MAX {
            upper.push(last + 1);
            return Some(upper);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::prefix_upper_bound;

    #[test]
    fn prefix_upper_bound_increments_the_last_byte_that_can_grow() {
        assert_eq!(prefix_upper_bound(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_upper_bound(&[b'a', 0xFF]), Some(b"b".to_vec()));
        assert_eq!(prefix_upper_bound(&[0xFF, 0xFF]), None);
    }
}
