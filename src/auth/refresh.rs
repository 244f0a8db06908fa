//! Refresh tokens: 256 random bits, given to the client once and stored only
//! as their SHA-256 (the token is as random as a key, so a plain hash is
//! enough: nothing to guess, nothing to salt).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A refresh token's stored form.
pub type RefreshTokenHash = [u8; 32];

/// A new refresh token (43 base64url characters) and its hash.
pub fn new_refresh_token() -> (String, RefreshTokenHash) {
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// The stored form of a token a client presents.
pub fn hash_refresh_token(token: &str) -> RefreshTokenHash {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_hash_to_what_was_stored() {
        let (token, hash) = new_refresh_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_eq!(hash_refresh_token(&token), hash);
        assert_ne!(new_refresh_token().0, token);
    }
}
