//! `POST /api/register`: the success envelope, every validation rule of
//! contract section 2, uniqueness, and racing registrations.

mod fields;
mod passwords;
mod uniqueness;

use std::process::Command;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{
    Backend, PASSWORD, Reply, TestApp, assert_error, assert_success, backend_independent_test,
    backend_test, registration, send, unique_username,
};

/// A valid registration body for a fresh username.
fn valid_body() -> Value {
    let username = unique_username();
    let email = format!("{username}@example.com");
    registration(&username, &email, PASSWORD)
}

/// A valid body with one field replaced (`Value::Null` is sent as JSON null).
fn with(field: &str, value: Value) -> Value {
    let mut body = valid_body();
    body[field] = value;
    body
}

/// A valid body without one field.
fn without(field: &str) -> Value {
    let mut body = valid_body();
    body.as_object_mut()
        .expect("registration bodies are objects")
        .remove(field);
    body
}

async fn register(app: &TestApp, body: &Value) -> Reply {
    send(app.post_json("/api/register", body)).await
}

/// Sends each body and expects a 400 with `code` for every one of them.
async fn expect_rejected(app: &TestApp, code: &str, bodies: &[Value]) {
    for body in bodies {
        let reply = register(app, body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{code} expected for {body}: {reply:?}"
        );
        assert_error(&reply, StatusCode::BAD_REQUEST, code);
    }
}

/// Sends each body and expects 201 for every one of them.
async fn expect_accepted(app: &TestApp, bodies: &[Value]) {
    for body in bodies {
        let reply = register(app, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "for {body}: {reply:?}");
    }
}

async fn register_returns_the_account_in_the_documented_envelope(backend: Backend) {
    let app = TestApp::new(backend).await;
    let username = unique_username();
    let email = format!("{username}@Example.com");
    let body = json!({
        "username": username,
        "email": email,
        "password": PASSWORD,
        "full_name": "Ada Lovelace",
        "age": 36,
        "gender": "female",
    });

    let reply = register(&app, &body).await;

    assert_success(&reply, StatusCode::CREATED, "User successfully registered!");
    let data = &reply.body["data"];
    let user_id = data["user_id"].as_str().expect("user_id is a string");
    assert!(
        !user_id.is_empty() && user_id.bytes().all(|b| b.is_ascii_digit()),
        "user_id is the id as a string: {user_id:?}"
    );
    assert_eq!(data["username"], username.as_str());
    assert_eq!(data["email"], email.as_str());
    assert_eq!(data["full_name"], "Ada Lovelace");
    assert_eq!(data["age"], 36);
    assert_eq!(data["gender"], "female");
    assert_no_secrets(&reply);
}
backend_test!(register_returns_the_account_in_the_documented_envelope);

/// Neither the password nor anything shaped like its hash is ever sent back.
fn assert_no_secrets(reply: &Reply) {
    assert!(!reply.text.contains(PASSWORD), "password echoed: {reply:?}");
    assert!(!reply.text.contains("$2"), "bcrypt hash leaked: {reply:?}");
    let lowered = reply.text.to_lowercase();
    assert!(
        !lowered.contains("password") && !lowered.contains("hash"),
        "password fields in {reply:?}"
    );
}

async fn each_registration_gets_its_own_id(backend: Backend) {
    let app = TestApp::new(backend).await;
    let first = app.register_account().await;
    let second = app.register_account().await;
    assert_ne!(first.user_id, second.user_id);
}
backend_test!(each_registration_gets_its_own_id);
