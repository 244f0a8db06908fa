//! Which unique index a write ran into, told by the index's name.
//!
//! Neither MariaDB/MySQL nor SQLite hands the name over as a field (diesel's
//! `constraint_name()` is `None` for both); each puts it at a fixed place in
//! its message: MariaDB and MySQL end it with `for key '<index>'` (MySQL 8
//! as `'<table>.<index>'`), SQLite starts it with `UNIQUE constraint failed:
//! ` and the index's columns. Only that place is read. The rest of the
//! message holds the duplicate value, which is user data: searching it for
//! a word once answered EMAIL_EXISTS to a username containing "email".

/// The schema's unique indexes (their names are those of the migrations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueIndex {
    /// `users_username_key`: lower-cased usernames.
    Username,
    /// `users_email_key`: lower-cased emails.
    Email,
    /// The primary key of `entries`: one entry per (account, key).
    EntryKey,
    /// An index this list does not know.
    Other,
}

/// Each index as MariaDB/MySQL names it and as SQLite lists its columns.
const INDEXES: [(UniqueIndex, &str, &str); 3] = [
    (
        UniqueIndex::Username,
        "users_username_key",
        "users.username_key",
    ),
    (UniqueIndex::Email, "users_email_key", "users.email_key"),
    (
        UniqueIndex::EntryKey,
        "PRIMARY",
        "entries.user_id, entries.key",
    ),
];

impl UniqueIndex {
    /// The index a unique-violation `message` names.
    pub fn named_in(message: &str) -> Self {
        let named = |(_, mysql, sqlite): &&(UniqueIndex, &str, &str)| {
            mysql_index(message) == Some(*mysql) || sqlite_columns(message) == Some(*sqlite)
        };
        INDEXES
            .iter()
            .find(named)
            .map_or(Self::Other, |(index, ..)| *index)
    }
}

/// `users_email_key` in `Duplicate entry '…' for key 'users_email_key'`
/// (or in `… for key 'users.users_email_key'`). The last occurrence: the
/// duplicate value before it may contain anything.
fn mysql_index(message: &str) -> Option<&str> {
    let (_, key) = message.rsplit_once(" for key '")?;
    let key = key.strip_suffix('\'')?;
    Some(key.rsplit_once('.').map_or(key, |(_, index)| index))
}

/// `users.email_key` in `UNIQUE constraint failed: users.email_key`.
fn sqlite_columns(message: &str) -> Option<&str> {
    message.strip_prefix("UNIQUE constraint failed: ")
}

#[cfg(test)]
mod tests {
    use super::UniqueIndex;

    #[test]
    fn the_index_is_read_from_its_place_not_from_the_value() {
        let cases = [
            (
                "Duplicate entry 'email_fan' for key 'users_username_key'",
                UniqueIndex::Username,
            ),
            (
                "Duplicate entry 'email_fan' for key 'users.users_username_key'",
                UniqueIndex::Username,
            ),
            (
                "Duplicate entry '\"x' for key 'users_username_key\"@example.com' for key 'users_email_key'",
                UniqueIndex::Email,
            ),
            (
                "Duplicate entry '7-k' for key 'PRIMARY'",
                UniqueIndex::EntryKey,
            ),
            (
                "UNIQUE constraint failed: users.username_key",
                UniqueIndex::Username,
            ),
            (
                "UNIQUE constraint failed: users.email_key",
                UniqueIndex::Email,
            ),
            (
                "UNIQUE constraint failed: entries.user_id, entries.key",
                UniqueIndex::EntryKey,
            ),
            (
                "Duplicate entry 'x' for key 'something_else'",
                UniqueIndex::Other,
            ),
        ];
        for (message, index) in cases {
            assert_eq!(UniqueIndex::named_in(message), index, "{message}");
        }
    }
}
