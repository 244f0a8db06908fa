//! Credentials: bcrypt password hashing, HS256 access tokens and refresh tokens.

mod jwt;
mod password;
mod refresh;
mod verified_tokens;

pub use jwt::{TokenCodec, TokenSettings};
pub use password::{MAX_PASSWORD_BYTES, PasswordHasher, cost_of};
pub use refresh::{RefreshTokenHash, hash_refresh_token, new_refresh_token};

/// Extracts the token from an `Authorization: Bearer <token>` header value
/// (the scheme is case-insensitive, as RFC 7235 says).
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
