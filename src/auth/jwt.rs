//! HS256 access tokens carrying `sub` (the account id), `iat` and `exp`.

use std::num::NonZeroUsize;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::verified_tokens::VerifiedTokens;
use crate::error::{AppError, AppResult};
use crate::model::{AccessToken, UserId};

/// The shortest signing secret accepted: HS256's key should be at least as
/// long as its 256-bit output.
pub const MIN_SECRET_BYTES: usize = 32;

/// How many verified tokens are remembered (about 1 MiB at most): one per
/// active client covers the clients of a busy instance.
const VERIFIED_TOKENS: NonZeroUsize = NonZeroUsize::new(4096).unwrap();

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: u64,
    exp: u64,
}

/// Issues and checks access tokens with one secret.
pub struct TokenCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
    verified: VerifiedTokens,
}

impl TokenCodec {
    /// Builds a codec; refuses a secret shorter than 32 bytes.
    pub fn new(secret: &[u8], ttl_secs: u64) -> anyhow::Result<Self> {
        if secret.len() < MIN_SECRET_BYTES {
            anyhow::bail!(
                "JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long (it is {})",
                secret.len()
            );
        }
        // Only HS256 is accepted (never `none` or another algorithm); `exp`
        // and `sub` must be present; and the leeway is zero, since
        // jsonwebtoken's default would honour expired tokens for 60 s more.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        validation.leeway = 0;
        validation.validate_exp = true;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
            verified: VerifiedTokens::new(VERIFIED_TOKENS),
        })
    }

    /// Signs a token for an account.
    pub fn issue(&self, user: UserId) -> AppResult<AccessToken> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(AppError::internal)?
            .as_secs();
        let claims = Claims {
            sub: user.0.to_string(),
            iat: now,
            exp: now + self.ttl_secs,
        };
        let access_token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
                .map_err(AppError::internal)?;
        Ok(AccessToken {
            access_token,
            expires_in: self.ttl_secs,
        })
    }

    /// Checks signature, algorithm and expiry, and returns the account id the
    /// token names. Whether that account still exists is the caller's query.
    /// A token that passed once is remembered, so its next uses only check
    /// expiry.
    pub fn verify(&self, token: &str) -> AppResult<UserId> {
        if let Some(user) = self
            .verified
            .get(token, jsonwebtoken::get_current_timestamp())
        {
            return Ok(user);
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| AppError::invalid_token())?
            .claims;
        let user = claims
            .sub
            .parse()
            .map(UserId)
            .map_err(|_| AppError::invalid_token())?;
        self.verified.put(token, user, claims.exp);
        Ok(user)
    }
}
