//! Credentials: bcrypt password hashing and HS256 access tokens.

mod jwt;
mod password;
mod verified_tokens;

pub use jwt::TokenCodec;
pub use password::{MAX_PASSWORD_BYTES, PasswordHasher};

/// Extracts the token from an `Authorization: Bearer <token>` header value
/// (the scheme is case-insensitive, as RFC 7235 says).
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
