//! The auth events of section 11 / issue 12: one log line per login outcome,
//! limit, refresh, reuse and session end, with the client's address and the
//! request's id, and never a password, a token or a username.

use super::*;
use crate::harness::{PASSWORD, auth_events, registration, unique_username};

async fn auth_events_are_logged_without_secrets(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--token-rate-limit", "3")
        .option("--registrations-per-address", "1")
        .build()
        .await;
    let account = app.register_account().await;
    // Request ids of this test's own (tests share the process's log).
    let tag = unique_username();
    let id = |step: &str| format!("{tag}-{step}");
    let login = |password: &str, step: &str| {
        app.post_json(
            "/api/token",
            &json!({ "username": account.username, "password": password }),
        )
        .header("x-request-id", id(step))
    };

    let first = send(login(PASSWORD, "login")).await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let first = Tokens::from_data(&first.body["data"]);
    assert_error(
        &send(login("wrong password 1", "wrong")).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    );
    let second = Tokens::from_data(&send(login(PASSWORD, "login-2")).await.body["data"]);
    assert_error(
        &send(login(PASSWORD, "limited")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
    );
    let again = registration(&unique_username(), "again@example.com", PASSWORD);
    let reply = send(
        app.post_json("/api/register", &again)
            .header("x-request-id", id("register")),
    )
    .await;
    assert_error(&reply, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED");

    let refresh_as = |token: &str, step: &str| {
        send(
            app.post_json("/api/token/refresh", &json!({ "refresh_token": token }))
                .header("x-request-id", id(step)),
        )
    };
    let refreshed = refresh_as(&first.refresh, "refresh").await;
    assert_eq!(refreshed.status, StatusCode::OK, "{refreshed:?}");
    let newer = Tokens::from_data(&refreshed.body["data"]);
    assert_refused(&refresh_as(&first.refresh, "reuse").await);
    assert_refused(&refresh_as("never-issued", "unknown").await);
    let logout = app
        .request(Method::POST, "/api/logout")
        .bearer_auth(&second.access)
        .header("x-request-id", id("logout"));
    assert_eq!(send(logout).await.status, StatusCode::OK);

    let username_hash = |line: &str| {
        line.split_whitespace()
            .find_map(|field| field.strip_prefix("username_hash="))
            .map(str::to_owned)
    };
    let mut hashes = Vec::new();
    for (step, event) in [
        ("login", "login_succeeded"),
        ("wrong", "login_failed"),
        ("login-2", "login_succeeded"),
        ("limited", "login_limited"),
        ("register", "registration_limited"),
        ("refresh", "refreshed"),
        ("reuse", "refresh_token_reused"),
        ("unknown", "refresh_refused"),
        ("logout", "logged_out"),
    ] {
        let lines = auth_events(&id(step));
        assert_eq!(lines.len(), 1, "{step}: {lines:?}");
        let line = &lines[0];
        assert!(
            line.contains(&format!("event=\"{event}\"")),
            "{step}: {line}"
        );
        assert!(line.contains("client=127.0.0.1"), "{step}: {line}");
        for secret in [
            PASSWORD,
            "wrong password 1",
            account.username.as_str(),
            &first.refresh,
            &first.access,
            &second.access,
            &newer.refresh,
        ] {
            assert!(!line.contains(secret), "{step} logs a secret: {line}");
        }
        if step.starts_with("login") || step == "wrong" || step == "limited" {
            hashes.push(username_hash(line).expect("a username hash"));
        }
    }
    // One account, one hash: attempts on it can be told apart from others'.
    hashes.dedup();
    assert_eq!(hashes.len(), 1, "{hashes:?}");
}
backend_test!(auth_events_are_logged_without_secrets);
