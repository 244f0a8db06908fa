//! Listing cursors, the same on both transports (GraphQL `after`, REST
//! `cursor`): the base64url (no padding) of the last key a page held. A
//! cursor is opaque to clients; it names a key, so it stays valid whatever
//! is written or deleted meanwhile (keyset pagination).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{AppError, AppResult, ErrorCode};

/// The cursor that resumes a listing after `key`.
pub fn encode(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// The key `cursor` resumes after; `INVALID_REQUEST` naming `parameter`
/// (`after`, `cursor`) when it is not a cursor this server made.
pub fn decode(cursor: &str, parameter: &str) -> AppResult<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidRequest,
                format!("{parameter} is not a valid cursor."),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_survives_the_round_trip_and_junk_is_refused() {
        for key in ["a", "settings/theme", "kéy ", "\u{0}"] {
            assert_eq!(decode(&encode(key), "after").unwrap(), key);
        }
        for junk in ["***", "//8"] {
            let error = decode(junk, "cursor").unwrap_err();
            assert_eq!(error.code(), ErrorCode::InvalidRequest);
            assert_eq!(error.message(), "cursor is not a valid cursor.");
        }
    }
}
