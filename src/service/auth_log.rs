//! The auth events (contract section 11 via issue 12): every login success,
//! failure and limit, every refresh, reuse and session end, on one log line
//! each, with the client's address and the request's id. A username is
//! logged as a short hash (to tell attempts on one account apart without
//! writing the name), never a password or a token.

use sha2::{Digest, Sha256};

use crate::model::{ClientInfo, SessionId, UserId};

/// A login attempt's outcome.
pub fn login(event: &'static str, username: &str, client: &ClientInfo) {
    tracing::info!(
        target: "datakeep::auth",
        event,
        username_hash = %username_hash(username),
        client = %client.address,
        request_id = %client.request_id,
        "auth"
    );
}

/// Something that happened to an account's sessions.
pub fn sessions(event: &'static str, user: UserId, sessions: &[SessionId], client: &ClientInfo) {
    let sessions: Vec<String> = sessions.iter().map(SessionId::to_string).collect();
    tracing::info!(
        target: "datakeep::auth",
        event,
        user_id = user.0,
        sessions = %sessions.join(","),
        client = %client.address,
        request_id = %client.request_id,
        "auth"
    );
}

/// A refresh token nobody holds any more (unknown, or its session ended):
/// a stale client, or someone guessing.
pub fn refresh_refused(client: &ClientInfo) {
    tracing::info!(
        target: "datakeep::auth",
        event = "refresh_refused",
        client = %client.address,
        request_id = %client.request_id,
        "auth"
    );
}

/// The first 16 hex digits of the SHA-256 of the lower-cased username.
fn username_hash(username: &str) -> String {
    let digest = Sha256::digest(username.to_lowercase().as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}
