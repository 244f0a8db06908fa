//! The common passwords a new password may not be: every entry of 8 to 72
//! bytes in the list of the 30,000 most common passwords that zxcvbn ships
//! (MIT licence), lower-cased, in `common_passwords.txt`. The zxcvbn crate
//! keeps the list private and answers only "what is the best explanation of
//! this password", which for `11111111` or `passw0rd` is a repeat or a l33t
//! word rather than "on the list": 1,371 entries got through that way.
//! `scripts/update-common-passwords` rebuilds the copy, and a test checks it
//! against the crate's list.

use std::collections::HashSet;
use std::sync::LazyLock;

static LIST: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common_passwords.txt").lines().collect());

/// True when `password`, in any letter case, is on the list.
pub fn is_common(password: &str) -> bool {
    LIST.contains(password.to_lowercase().as_str())
}
