//! Transport-neutral domain types: what the service returns and each
//! transport renders. Database rows (`db::*Row`) and wire types stay separate.

use std::fmt;

use chrono::{DateTime, Utc};

/// An account's id. A newtype so an owner id is never mixed up with another integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A registered account, without its password hash (which never leaves the db layer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub full_name: String,
    pub age: i32,
    pub gender: String,
    pub created_at: DateTime<Utc>,
}

/// One key/value pair owned by an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    /// Starts at 1, grows by 1 on every update.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// From this instant on the entry is as if absent (`None`: never).
    pub expires_at: Option<DateTime<Utc>>,
}

/// What a write expects of the entry it changes (contract section 8):
/// GraphQL's `expectedVersion`, REST's `If-Match`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// No expectation beyond the operation's own (update: must exist).
    None,
    /// The entry must exist (`If-Match: *`).
    Exists,
    /// The entry must be at exactly this version.
    Version(i64),
}

impl Precondition {
    /// The version the entry must be at, if any (existence is what an
    /// update or delete requires anyway).
    pub fn version(self) -> Option<i64> {
        match self {
            Self::None | Self::Exists => None,
            Self::Version(version) => Some(version),
        }
    }
}

/// One precondition of an atomic write: the entry `key` is at `version`
/// (`None`: it must be absent).
#[derive(Clone, Debug)]
pub struct EntryCheck {
    pub key: String,
    pub version: Option<i64>,
}

/// One write of an atomic write.
#[derive(Clone, Debug)]
pub struct EntryWrite {
    pub key: String,
    pub change: EntryChange,
}

/// What an atomic write does to its key.
#[derive(Clone, Debug)]
pub enum EntryChange {
    /// Create or replace with this value (bumping the version), expiring
    /// after `ttl_secs` when given.
    Set {
        value: String,
        ttl_secs: Option<i64>,
    },
    /// Delete (an absent key is not an error).
    Delete,
}

/// The tokens a login or a refresh hands out.
#[derive(Clone, Debug)]
pub struct AccessToken {
    /// The signed access token (a JWT).
    pub access_token: String,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// The opaque token that gets the next pair (once).
    pub refresh_token: String,
    /// How long the session lasts without a refresh, in seconds.
    pub refresh_expires_in: u64,
}

/// A registration request as a transport decoded it. `age` and `gender` are
/// `None` when missing or of the wrong JSON type, so the service can report
/// them with their own codes in the contract's order.
#[derive(Clone, Debug, Default)]
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password: String,
    pub full_name: String,
    pub age: Option<i64>,
    pub gender: Option<String>,
}

/// A sign-in session's id: 16 random bytes, shown as 32 lowercase hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub [u8; 16]);

impl SessionId {
    /// A fresh id from the operating system's generator.
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// Reads the 32-hex-digit form (either case), or `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 32 {
            return None;
        }
        let mut id = [0; 16];
        for (byte, pair) in id.iter_mut().zip(bytes.chunks_exact(2)) {
            let pair = std::str::from_utf8(pair).ok()?;
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Self(id))
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

/// Who a valid access token speaks for: an account, in one of its sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user: UserId,
    pub session: SessionId,
}

/// A sign-in session as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub created_at: DateTime<Utc>,
    /// When it last refreshed its tokens (or was created).
    pub last_used_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    /// The session the asking token belongs to.
    pub current: bool,
}

/// Changes to an account's profile; `None` leaves a field as it is. `age`
/// is `Some(None)` when given but not an integer (a transport decoded it).
#[derive(Clone, Debug, Default)]
pub struct ProfileChanges {
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub age: Option<Option<i64>>,
    pub gender: Option<String>,
}

impl ProfileChanges {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.full_name.is_none()
            && self.age.is_none()
            && self.gender.is_none()
    }
}

/// Where a request came from, for rate limits, sessions and the auth log.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    /// The client's address (from `X-Forwarded-For` only behind a trusted proxy).
    pub address: std::net::IpAddr,
    /// Its `User-Agent`, shown in the session list.
    pub user_agent: Option<String>,
    /// The request's id, for the auth log.
    pub request_id: String,
}

#[cfg(test)]
mod tests {
    use super::SessionId;

    #[test]
    fn session_ids_round_trip_through_hex() {
        let id = SessionId([0xab; 16]);
        assert_eq!(id.to_string(), "ab".repeat(16));
        assert_eq!(SessionId::parse(&id.to_string()), Some(id));
        assert_eq!(SessionId::parse(&"AB".repeat(16)), Some(id));
        assert_eq!(SessionId::parse("abc"), None);
        assert_eq!(SessionId::parse(&"zz".repeat(16)), None);
    }
}
