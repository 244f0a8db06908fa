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
}

/// A freshly issued bearer token.
#[derive(Clone, Debug)]
pub struct AccessToken {
    pub access_token: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
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
