//! The input rules of the contract (section 2), written once for every
//! transport. Each check returns the contract's code with a message that
//! says which rule was broken.

use email_address::{EmailAddress, Options};

use super::common_passwords;
use crate::auth::MAX_PASSWORD_BYTES;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::model::{EntryChange, EntryCheck, EntryWrite};

/// Longest entry key, in bytes.
pub const MAX_KEY_BYTES: usize = 255;

fn fail<T>(code: ErrorCode, message: &'static str) -> AppResult<T> {
    Err(AppError::new(code, message))
}

/// 3–32 characters from `A-Z a-z 0-9 _ . -`.
pub fn username(username: &str) -> AppResult<()> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    if !(3..=32).contains(&username.len()) || !username.bytes().all(allowed) {
        return fail(
            ErrorCode::InvalidUsername,
            "Username must be 3-32 characters of letters, digits, '_', '.' or '-'.",
        );
    }
    Ok(())
}

/// A syntactically valid address (RFC 5321/5322, no display name) of at most 254 characters.
pub fn email(email: &str) -> AppResult<()> {
    let strict = Options::default().without_display_text();
    if email.chars().count() > 254 || EmailAddress::parse_with_options(email, strict).is_err() {
        return fail(
            ErrorCode::InvalidEmail,
            "Email must be a valid address of at most 254 characters.",
        );
    }
    Ok(())
}

/// 8–72 bytes, not the username or email, not a well-known password.
pub fn password(password: &str, username: &str, email: &str) -> AppResult<()> {
    if password.len() < 8 {
        return fail(
            ErrorCode::InvalidPassword,
            "Password must be at least 8 bytes long.",
        );
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return fail(
            ErrorCode::InvalidPassword,
            "Password must be at most 72 bytes long (bcrypt's limit).",
        );
    }
    let lowered = password.to_lowercase();
    if lowered == username.to_lowercase() || lowered == email.to_lowercase() {
        return fail(
            ErrorCode::InvalidPassword,
            "Password must not be the same as the username or email.",
        );
    }
    if common_passwords::is_common(password) {
        return fail(
            ErrorCode::InvalidPassword,
            "Password is too common; choose a less guessable one.",
        );
    }
    Ok(())
}

/// 1–255 characters, not only whitespace.
pub fn full_name(full_name: &str) -> AppResult<()> {
    if full_name.trim().is_empty() || full_name.chars().count() > 255 {
        return fail(
            ErrorCode::InvalidRequest,
            "full_name must be 1-255 characters and not only whitespace.",
        );
    }
    Ok(())
}

/// An integer from 1 to 150; `None` stands for missing or not an integer.
pub fn age(age: Option<i64>) -> AppResult<i16> {
    match age {
        Some(age @ 1..=150) => Ok(age as i16),
        _ => fail(
            ErrorCode::InvalidAge,
            "Age must be an integer from 1 to 150.",
        ),
    }
}

/// A non-blank string of at most 64 characters; `None` stands for missing, null or not a string.
pub fn gender(gender: Option<&str>) -> AppResult<&str> {
    match gender {
        Some(g) if !g.trim().is_empty() && g.chars().count() <= 64 => Ok(g),
        _ => fail(
            ErrorCode::GenderRequired,
            "Gender is required: a non-empty string of at most 64 characters.",
        ),
    }
}

/// 1–255 bytes of UTF-8 (any characters).
pub fn key(key: &str) -> AppResult<()> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return fail(ErrorCode::InvalidKey, "Key must be 1-255 bytes of UTF-8.");
    }
    Ok(())
}

/// At most `max_bytes` bytes (empty allowed).
pub fn value(value: &str, max_bytes: usize) -> AppResult<()> {
    if value.len() > max_bytes {
        return Err(AppError::new(
            ErrorCode::InvalidValue,
            format!("Value must be a string of at most {max_bytes} bytes."),
        ));
    }
    Ok(())
}

/// Entries in a listing page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Most entries in a listing page.
pub const MAX_PAGE_SIZE: usize = 100;

/// The longest time to live an entry may have: 365 days.
pub const MAX_TTL_SECS: i64 = 31_536_000;

/// A time to live in seconds, if one is given: 1..=[`MAX_TTL_SECS`], else
/// `INVALID_TTL`.
pub fn ttl(seconds: Option<i64>) -> AppResult<Option<i64>> {
    match seconds {
        None => Ok(None),
        Some(seconds @ 1..=MAX_TTL_SECS) => Ok(Some(seconds)),
        Some(_) => fail(
            ErrorCode::InvalidTtl,
            "ttl_seconds must be an integer from 1 to 31536000.",
        ),
    }
}

/// Most writes (and most checks) one atomic write may hold.
pub const MAX_ATOMIC_WRITES: usize = 100;

/// An atomic write's checks and writes: at most [`MAX_ATOMIC_WRITES`] of
/// each, every key valid, each key written once, every value valid.
pub fn atomic_write(
    checks: &[EntryCheck],
    writes: &[EntryWrite],
    max_value_bytes: usize,
) -> AppResult<()> {
    if writes.len() > MAX_ATOMIC_WRITES || checks.len() > MAX_ATOMIC_WRITES {
        return Err(AppError::new(
            ErrorCode::InvalidRequest,
            format!(
                "An atomic write holds at most {MAX_ATOMIC_WRITES} writes and {MAX_ATOMIC_WRITES} checks."
            ),
        ));
    }
    for check in checks {
        key(&check.key)?;
    }
    let mut written = std::collections::HashSet::with_capacity(writes.len());
    for write in writes {
        key(&write.key)?;
        if !written.insert(write.key.as_bytes()) {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                format!("The key {:?} is written more than once.", write.key),
            ));
        }
        if let EntryChange::Set {
            value: text,
            ttl_secs,
        } = &write.change
        {
            value(text, max_value_bytes)?;
            ttl(*ttl_secs)?;
        }
    }
    Ok(())
}

/// Page size of a listing: 1..=100, 20 when not given. Out of range is an
/// error, never silently clamped.
pub fn page_size(size: Option<i64>, parameter: &str) -> AppResult<usize> {
    let size = size.unwrap_or(DEFAULT_PAGE_SIZE as i64);
    match usize::try_from(size) {
        Ok(size @ 1..=MAX_PAGE_SIZE) => Ok(size),
        _ => Err(AppError::new(
            ErrorCode::InvalidRequest,
            format!("{parameter} must be between 1 and {MAX_PAGE_SIZE}."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_refused_whole_and_in_any_case() {
        let common = |p| common_passwords::is_common(p);
        assert!(common("password"));
        assert!(common("PassWord1"));
        assert!(common("qwerty123"));
        // Once let through: not a plain dictionary word to zxcvbn's matcher.
        for p in ["11111111", "passw0rd", "drowssap", "P@ssw0rd"] {
            assert!(common(p), "{p}");
        }
        assert!(!common("correct horse battery staple"));
        assert!(!common("Tr0ub4dor&3xk"));
    }

    #[test]
    fn password_length_counts_bytes() {
        let seventy_two = "é".repeat(36);
        assert!(password(&seventy_two, "alice", "a@b.co").is_ok());
        let seventy_four = "é".repeat(37);
        assert_eq!(
            password(&seventy_four, "alice", "a@b.co")
                .unwrap_err()
                .code(),
            ErrorCode::InvalidPassword
        );
    }

    #[test]
    fn usernames_and_emails() {
        assert!(username("a.b-c_9").is_ok());
        assert!(username("ab").is_err());
        assert!(username("kéy").is_err());
        assert!(email("a@example.com").is_ok());
        assert!(email("Name <a@example.com>").is_err());
        assert!(email("not-an-email").is_err());
    }

    #[test]
    fn ages_and_genders() {
        assert_eq!(age(Some(150)).unwrap(), 150);
        assert!(age(Some(0)).is_err());
        assert!(age(None).is_err());
        assert!(gender(Some("non-binary")).is_ok());
        assert!(gender(Some("  ")).is_err());
        assert!(gender(Some(&"x".repeat(65))).is_err());
    }
}
