//! Sessions and account self-service (contract section 7): refresh-token
//! rotation and reuse, ending sessions (here and on another server), the
//! caller's account, the access token's claims, and the login defences of
//! section 11.

mod account;
mod auth_log;
mod claims;
mod defence;
mod ending;
mod graphql;
mod refresh;

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{
    Account, Backend, Reply, TestApp, Tokens, assert_error, assert_success, backend_test, send,
};

/// `POST /api/token/refresh` with `refresh_token`.
async fn refresh(app: &TestApp, refresh_token: &str) -> Reply {
    send(app.post_json(
        "/api/token/refresh",
        &json!({ "refresh_token": refresh_token }),
    ))
    .await
}

/// A request with a bearer token and, unless `Value::Null`, a JSON body.
async fn authorized(app: &TestApp, method: Method, path: &str, token: &str, body: Value) -> Reply {
    let mut request = app.request(method, path).bearer_auth(token);
    if !body.is_null() {
        request = request.json(&body);
    }
    send(request).await
}

/// `GET /api/me` with `token`.
async fn me(app: &TestApp, token: &str) -> Reply {
    authorized(app, Method::GET, "/api/me", token, Value::Null).await
}

/// The ids of the account's sessions, newest first, as `token` sees them.
async fn session_ids(app: &TestApp, token: &str) -> Vec<String> {
    let reply = authorized(app, Method::GET, "/api/sessions", token, Value::Null).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.body["data"]["sessions"]
        .as_array()
        .expect("sessions is a list")
        .iter()
        .map(|session| session["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Asserts `token` is refused as an access token.
#[track_caller]
fn assert_refused(reply: &Reply) {
    assert_error(reply, StatusCode::UNAUTHORIZED, "INVALID_TOKEN");
}

/// Polls `GET /api/me` with `token` until it is refused; how long it took.
async fn time_until_refused(app: &TestApp, token: &str, patience: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let reply = me(app, token).await;
        if reply.status == StatusCode::UNAUTHORIZED {
            assert_refused(&reply);
            return started.elapsed();
        }
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert!(
            started.elapsed() < patience,
            "the token still worked after {patience:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A fresh account and a session of it.
async fn logged_in(app: &TestApp) -> (Account, Tokens) {
    let account = app.register_account().await;
    let tokens = app.login(&account).await;
    (account, tokens)
}
