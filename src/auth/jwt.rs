//! HS256 access tokens (RFC 9068's profile, RFC 8725's checks): header
//! `typ: at+jwt`; claims `iss`, `aud`, `sub` (the account), `sid` (the
//! session), `jti`, `iat`, `exp`, every one required and checked.

use std::num::NonZeroUsize;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::verified_tokens::VerifiedTokens;
use crate::error::{AppError, AppResult};
use crate::model::{Caller, SessionId, UserId};

/// The shortest signing secret accepted: HS256's key should be at least as
/// long as its 256-bit output.
pub const MIN_SECRET_BYTES: usize = 32;

/// How many verified tokens are remembered (about 1 MiB at most): one per
/// active client covers the clients of a busy instance.
const VERIFIED_TOKENS: NonZeroUsize = NonZeroUsize::new(4096).unwrap();

/// The header's `typ` (RFC 9068), so an ID token or another JWT signed with
/// the same secret is never taken for an access token.
const ACCESS_TOKEN_TYPE: &str = "at+jwt";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    sid: String,
    jti: String,
    iat: u64,
    exp: u64,
}

/// How access tokens are signed and checked.
pub struct TokenSettings {
    /// The signing secret (at least 32 bytes).
    pub secret: Vec<u8>,
    /// A secret still accepted for verification (when rotating secrets).
    pub previous_secret: Option<Vec<u8>>,
    /// Lifetime of an access token, in seconds.
    pub ttl_secs: u64,
    /// `iss`: who issues the tokens.
    pub issuer: String,
    /// `aud`: who they are for.
    pub audience: String,
}

/// Issues and checks access tokens.
pub struct TokenCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    previous: Option<DecodingKey>,
    validation: Validation,
    header: Header,
    settings: TokenSettings,
    verified: VerifiedTokens,
}

impl TokenCodec {
    /// Builds a codec; refuses a secret shorter than 32 bytes.
    pub fn new(settings: TokenSettings) -> anyhow::Result<Self> {
        for (name, secret) in [
            ("JWT_SECRET", Some(&settings.secret)),
            ("JWT_PREVIOUS_SECRET", settings.previous_secret.as_ref()),
        ] {
            if let Some(secret) = secret
                && secret.len() < MIN_SECRET_BYTES
            {
                anyhow::bail!(
                    "{name} must be at least {MIN_SECRET_BYTES} bytes long (it is {})",
                    secret.len()
                );
            }
        }
        // Only HS256 is accepted (never `none` or another algorithm); every
        // claim is required; the leeway is zero, since jsonwebtoken's default
        // would honour expired tokens for 60 s more.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub", "iat", "iss", "aud"]);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.leeway = 0;
        validation.validate_exp = true;
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(ACCESS_TOKEN_TYPE.to_owned());
        Ok(Self {
            encoding: EncodingKey::from_secret(&settings.secret),
            decoding: DecodingKey::from_secret(&settings.secret),
            previous: settings
                .previous_secret
                .as_deref()
                .map(DecodingKey::from_secret),
            validation,
            header,
            settings,
            verified: VerifiedTokens::new(VERIFIED_TOKENS),
        })
    }

    /// An access token's lifetime, in seconds.
    pub fn ttl_secs(&self) -> u64 {
        self.settings.ttl_secs
    }

    /// Signs an access token for a caller: a new `jti` every time, so two
    /// logins never get the same token.
    pub fn issue(&self, caller: Caller) -> AppResult<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(AppError::internal)?
            .as_secs();
        let claims = Claims {
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            sub: caller.user.0.to_string(),
            sid: caller.session.to_string(),
            jti: SessionId::random().to_string(),
            iat: now,
            exp: now + self.settings.ttl_secs,
        };
        jsonwebtoken::encode(&self.header, &claims, &self.encoding).map_err(AppError::internal)
    }

    /// Checks the type, signature (the current secret, or the previous one),
    /// issuer, audience and times, and returns who the token speaks for.
    /// Whether its session has ended is the caller's check. A token that
    /// passed once is remembered, so its next uses only check expiry.
    pub fn verify(&self, token: &str) -> AppResult<Caller> {
        let now = jsonwebtoken::get_current_timestamp();
        if let Some(caller) = self.verified.get(token, now) {
            return Ok(caller);
        }
        let data = match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
            Err(err) if *err.kind() == ErrorKind::InvalidSignature && self.previous.is_some() => {
                let previous = self.previous.as_ref().expect("checked above");
                jsonwebtoken::decode::<Claims>(token, previous, &self.validation)
            }
            decoded => decoded,
        }
        .map_err(|_| AppError::invalid_token())?;
        let claims = data.claims;
        let well_formed = data.header.typ.as_deref() == Some(ACCESS_TOKEN_TYPE)
            // Issued in the future, or for longer than this server issues: not ours.
            && claims.iat <= now
            && claims.exp.saturating_sub(claims.iat) <= self.settings.ttl_secs;
        let user = claims.sub.parse().ok().map(UserId);
        let session = SessionId::parse(&claims.sid);
        let (true, Some(user), Some(session)) = (well_formed, user, session) else {
            return Err(AppError::invalid_token());
        };
        let caller = Caller { user, session };
        self.verified.put(token, caller, claims.exp);
        Ok(caller)
    }
}
