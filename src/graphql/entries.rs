//! Entries: `entry`, `entries`, `storeEntry`, `updateEntry`, `deleteEntry`.

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{Context, ErrorExtensions, ID, InputObject, Object, Result, ResultExt};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::scalars::Timestamp;
use super::{caller, service};
use crate::error::{AppError, ErrorCode};
use crate::model::{self, Entry, UserId};
use crate::service::{PageRequest, cursor};

/// An entry with its owner, who is part of its `id`.
struct EntryObject {
    owner: UserId,
    entry: Entry,
}

/// A key/value pair owned by the caller.
#[Object(name = "Entry")]
impl EntryObject {
    /// Stable and unique per account and key, for normalised client caches:
    /// the same entry has the same id across writes, versions and sessions.
    async fn id(&self) -> ID {
        ID(entry_id(self.owner, &self.entry.key))
    }

    /// The key: 1-255 bytes of UTF-8, compared byte for byte.
    async fn key(&self) -> &str {
        &self.entry.key
    }

    /// The value (may be empty).
    async fn value(&self) -> &str {
        &self.entry.value
    }

    /// Starts at 1 and grows by 1 on every update.
    async fn version(&self) -> Result<i32> {
        i32::try_from(self.entry.version)
            .map_err(|_| AppError::internal("entry version exceeds GraphQL Int"))
            .extend()
    }

    /// When the entry was created (RFC 3339).
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.entry.created_at)
    }

    /// When the entry was last written (RFC 3339).
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.entry.updated_at)
    }

    /// From this instant on the entry is as if absent; null: never. Set by
    /// a write's `ttlSeconds` (rounded up to the second); a write without
    /// one clears it.
    async fn expires_at(&self) -> Option<Timestamp> {
        self.entry.expires_at.map(Timestamp)
    }
}

/// The opaque id of `owner`'s entry `key`: the base64url of
/// `<owner>:<key>`, so it is unique across accounts and costs no column.
fn entry_id(owner: UserId, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{owner}:{key}"))
}

/// A listing cursor (`service::cursor`); async-graphql's connection type
/// needs one per edge.
struct KeyCursor(String);

impl CursorType for KeyCursor {
    type Error = AppError;

    fn decode_cursor(s: &str) -> Result<Self, AppError> {
        cursor::decode(s, "after").map(Self)
    }

    fn encode_cursor(&self) -> String {
        cursor::encode(&self.0)
    }
}

/// Entry queries.
#[derive(Default)]
pub struct EntriesQuery;

#[Object]
impl EntriesQuery {
    /// One of the caller's entries; null plus a KEY_NOT_FOUND error when absent.
    async fn entry(&self, ctx: &Context<'_>, key: String) -> Option<EntryObject> {
        let read = match caller(ctx) {
            Ok(caller) => {
                (service(ctx).read_entry(caller.user, &key).await).map(|entry| EntryObject {
                    owner: caller.user,
                    entry,
                })
            }
            Err(error) => Err(error),
        };
        match read {
            Ok(entry) => Some(entry),
            Err(error) => {
                // The field is nullable: answer null for it and report the
                // error, rather than nulling the whole response.
                ctx.add_error(ctx.set_error_path(error.extend().into_server_error(ctx.item.pos)));
                None
            }
        }
    }

    /// The caller's entries in byte order of their keys, `first` (1-100,
    /// default 20) at a time after the cursor `after`, optionally only keys
    /// starting with `prefix` (taken literally).
    async fn entries(
        &self,
        ctx: &Context<'_>,
        prefix: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<KeyCursor, EntryObject>> {
        let user = caller(ctx).extend()?.user;
        let request = PageRequest {
            prefix: prefix.as_deref(),
            size: first.map(i64::from),
            cursor: after.as_deref(),
            names: ("first", "after"),
        };
        let page = service(ctx).list_entries(user, request).await.extend()?;
        let mut connection = Connection::new(after.is_some(), page.has_next);
        connection
            .edges
            .extend(page.entries.into_iter().map(|entry| {
                Edge::new(
                    KeyCursor(entry.key.clone()),
                    EntryObject { owner: user, entry },
                )
            }));
        Ok(connection)
    }
}

/// A precondition of `atomicWrite`: the entry is at `version` (null: it
/// must be absent).
#[derive(InputObject)]
struct EntryCheck {
    key: String,
    version: Option<i32>,
}

/// One write of `atomicWrite`: a `value` to store (creating or replacing),
/// or `delete: true`, not both.
#[derive(InputObject)]
struct EntryWrite {
    key: String,
    value: Option<String>,
    delete: Option<bool>,
    /// With `value`: the entry expires after this many seconds (1-31536000).
    ttl_seconds: Option<i32>,
}

impl EntryWrite {
    fn into_model(self) -> Result<model::EntryWrite, AppError> {
        let change = match (self.value, self.delete.unwrap_or(false)) {
            (Some(value), false) => model::EntryChange::Set {
                value,
                ttl_secs: self.ttl_seconds.map(i64::from),
            },
            (None, true) if self.ttl_seconds.is_none() => model::EntryChange::Delete,
            _ => {
                return Err(AppError::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "The write of {:?} must set value (and maybe ttlSeconds) or delete: true.",
                        self.key
                    ),
                ));
            }
        };
        Ok(model::EntryWrite {
            key: self.key,
            change,
        })
    }
}

/// Entry mutations.
#[derive(Default)]
pub struct EntriesMutation;

#[Object]
impl EntriesMutation {
    /// Creates an entry, expiring after `ttlSeconds` (1-31536000) when
    /// given; KEY_EXISTS when the caller already has the key (an expired
    /// entry does not count).
    async fn store_entry(
        &self,
        ctx: &Context<'_>,
        key: String,
        value: String,
        ttl_seconds: Option<i32>,
    ) -> Result<EntryObject> {
        let user = caller(ctx).extend()?.user;
        let entry = service(ctx)
            .create_entry(user, &key, &value, ttl_seconds.map(i64::from))
            .await
            .extend()?;
        Ok(EntryObject { owner: user, entry })
    }

    /// Applies every write if every check holds, all or nothing, in one
    /// transaction: up to 100 writes on distinct keys. Returns each write's
    /// entry as written, in order (null for a delete; deleting an absent key
    /// is no error). A failed check is VERSION_MISMATCH with its key in
    /// `extensions.key`, and nothing is written.
    async fn atomic_write(
        &self,
        ctx: &Context<'_>,
        checks: Option<Vec<EntryCheck>>,
        writes: Vec<EntryWrite>,
    ) -> Result<Vec<Option<EntryObject>>> {
        let user = caller(ctx).extend()?.user;
        let checks: Vec<model::EntryCheck> = checks
            .unwrap_or_default()
            .into_iter()
            .map(|check| model::EntryCheck {
                key: check.key,
                version: check.version.map(i64::from),
            })
            .collect();
        let writes = writes
            .into_iter()
            .map(EntryWrite::into_model)
            .collect::<Result<Vec<_>, _>>()
            .extend()?;
        let written = service(ctx)
            .atomic_write(user, &checks, &writes)
            .await
            .extend()?;
        Ok(written
            .into_iter()
            .map(|entry| entry.map(|entry| EntryObject { owner: user, entry }))
            .collect())
    }

    /// Creates the entry or replaces its value (bumping its version; an
    /// expired entry is replaced anew) and returns it as written; it then
    /// expires after `ttlSeconds`, or never. With `expectedVersion`, only if the entry is
    /// at that version (0: only if it does not exist yet); otherwise
    /// VERSION_MISMATCH and nothing is written.
    async fn put_entry(
        &self,
        ctx: &Context<'_>,
        key: String,
        value: String,
        expected_version: Option<i32>,
        ttl_seconds: Option<i32>,
    ) -> Result<EntryObject> {
        let user = caller(ctx).extend()?.user;
        let entry = service(ctx)
            .put_entry(
                user,
                &key,
                &value,
                expected_version.map(i64::from),
                ttl_seconds.map(i64::from),
            )
            .await
            .extend()?;
        Ok(EntryObject { owner: user, entry })
    }

    /// Replaces an entry's value and bumps its version; it then expires
    /// after `ttlSeconds`, or never. KEY_NOT_FOUND when absent; with
    /// `expectedVersion`, VERSION_MISMATCH (and nothing
    /// written) when the entry is at another version.
    async fn update_entry(
        &self,
        ctx: &Context<'_>,
        key: String,
        value: String,
        expected_version: Option<i32>,
        ttl_seconds: Option<i32>,
    ) -> Result<EntryObject> {
        let user = caller(ctx).extend()?.user;
        let entry = service(ctx)
            .update_entry_and_return(
                user,
                &key,
                &value,
                expected_version.map(i64::from),
                ttl_seconds.map(i64::from),
            )
            .await
            .extend()?;
        Ok(EntryObject { owner: user, entry })
    }

    /// Deletes an entry and returns it as it was; KEY_NOT_FOUND when
    /// absent; with `expectedVersion`, VERSION_MISMATCH (and nothing
    /// deleted) when the entry is at another version.
    async fn delete_entry(
        &self,
        ctx: &Context<'_>,
        key: String,
        expected_version: Option<i32>,
    ) -> Result<EntryObject> {
        let user = caller(ctx).extend()?.user;
        let entry = service(ctx)
            .delete_entry_and_return(user, &key, expected_version.map(i64::from))
            .await
            .extend()?;
        Ok(EntryObject { owner: user, entry })
    }
}
