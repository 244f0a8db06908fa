//! Database errors as the contract's: the one place they are turned into
//! [`AppError`]s. The db layer speaks diesel's errors only.

use diesel::result::Error as DieselError;

use crate::db::{is_connection_failure, is_lock_conflict};
use crate::error::AppError;

/// Errors no rule anticipated: a database that cannot be used right now, or
/// a transaction that lost a race for a lock (rolled back whole), is 503
/// (the client may retry), anything else a bug (500). The detail goes to
/// the request's log line.
impl From<DieselError> for AppError {
    fn from(err: DieselError) -> Self {
        if is_connection_failure(&err) || is_lock_conflict(&err) {
            Self::unavailable(err)
        } else {
            Self::internal(err)
        }
    }
}
