//! `/api/data` and `/api/data/{key}`: the entry lifecycle, key and value
//! rules and limits, byte-exact keys, isolation between accounts, versions,
//! and racing writes.

mod expiry;
mod input;
mod lifecycle;
mod listing;
mod versions;

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{
    Backend, Reply, TestApp, User, assert_error, assert_success, backend_test, data_path, send,
};

/// The contract's value limit by default: 1 MiB.
const MIB: usize = 1_048_576;

/// `POST /api/data` with an arbitrary JSON body.
async fn post(app: &TestApp, user: &User, body: &Value) -> Reply {
    send(app.post_json("/api/data", body).bearer_auth(&user.token)).await
}

/// `POST /api/data` with `{"key","value"}`.
async fn create(app: &TestApp, user: &User, key: &str, value: &str) -> Reply {
    post(app, user, &json!({ "key": key, "value": value })).await
}

/// `PUT` on a raw (already encoded) path with an arbitrary JSON body.
async fn put_raw(app: &TestApp, user: &User, path: &str, body: &Value) -> Reply {
    send(app.put_json(path, body).bearer_auth(&user.token)).await
}

/// Runs GET, PUT and DELETE on a raw path and returns the three replies.
async fn every_method_on(app: &TestApp, user: &User, path: &str) -> [Reply; 3] {
    [
        send(app.get(path).bearer_auth(&user.token)).await,
        put_raw(app, user, path, &json!({ "value": "v" })).await,
        send(app.delete(path).bearer_auth(&user.token)).await,
    ]
}
