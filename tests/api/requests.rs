//! What every request and response share (contract section 11): JSON
//! bodies name each member once, every response says `nosniff`, and token
//! and data responses are never cached.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{
    Backend, PASSWORD, Reply, TestApp, assert_error, backend_test, registration, send,
    unique_username,
};

/// `body` sent as JSON text exactly as written, to `path`.
async fn post_text(app: &TestApp, path: &str, token: Option<&str>, body: String) -> Reply {
    let mut request = app
        .request(Method::POST, path)
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send(request).await
}

async fn a_duplicate_member_is_an_invalid_request_and_stores_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let first = unique_username();
    let second = unique_username();
    // Both usernames in one body: which was meant cannot be told.
    let body = format!(
        r#"{{"username":"{first}","username":"{second}","email":"{second}@example.com",
            "password":"{PASSWORD}","full_name":"A B","age":30,"gender":"f"}}"#
    );
    let reply = post_text(&app, "/api/register", None, body).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    // Neither account exists: both names are still free.
    for name in [&first, &second] {
        let email = format!("{name}@example.com");
        let reply =
            send(app.post_json("/api/register", &registration(name, &email, PASSWORD))).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    }

    let user = app.signed_in().await;
    let reply = post_text(
        &app,
        "/api/data",
        Some(&user.token),
        r#"{"key":"k","value":"a","value":"b"}"#.to_owned(),
    )
    .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    // An escaped name is the same name.
    let reply = post_text(
        &app,
        "/api/data",
        Some(&user.token),
        r#"{"key":"k","\u006bey":"j","value":"a"}"#.to_owned(),
    )
    .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    assert_error(
        &app.read(&user, "k").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
    assert_error(
        &app.read(&user, "j").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );

    // Over GraphQL, nested in the variables too.
    let mutation =
        "mutation($key: String!, $value: String!) { storeEntry(key: $key, value: $value) { key } }";
    let body =
        format!(r#"{{"query":"{mutation}","variables":{{"key":"g","value":"a","value":"b"}}}}"#);
    let reply = post_text(&app, "/graphql", Some(&user.token), body).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_eq!(
        reply.body["errors"][0]["extensions"]["code"],
        "INVALID_REQUEST"
    );
    assert_error(
        &app.read(&user, "g").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );

    // The same members in separate objects are fine.
    let reply = post_text(
        &app,
        "/api/data",
        Some(&user.token),
        r#"{"key":"k","value":"v","extra":{"key":"x","value":"y"}}"#.to_owned(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
}
backend_test!(a_duplicate_member_is_an_invalid_request_and_stores_nothing);

#[track_caller]
fn assert_nosniff(reply: &Reply, what: &str) {
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{what}: {reply:?}"
    );
}

#[track_caller]
fn assert_no_store(reply: &Reply, what: &str) {
    assert_eq!(
        reply.header("cache-control"),
        Some("no-store"),
        "{what}: {reply:?}"
    );
}

async fn every_response_says_nosniff_and_tokens_and_data_are_not_cached(backend: Backend) {
    let app = TestApp::new(backend).await;
    let account = app.register_account().await;
    let token = send(app.post_json(
        "/api/token",
        &json!({ "username": account.username, "password": account.password }),
    ))
    .await;
    assert_eq!(token.status, StatusCode::OK, "{token:?}");
    let user = app.signed_in().await;
    app.store(&user, "k", "v").await;

    let graphql = send(
        app.post_json(
            "/graphql",
            &json!({ "query": "{ entry(key: \"k\") { value } }" }),
        )
        .bearer_auth(&user.token),
    )
    .await;
    let token_over_graphql = send(app.post_json(
        "/graphql",
        &json!({ "query": format!(
            "mutation {{ token(username: \"{}\", password: \"{}\") {{ accessToken }} }}",
            account.username, account.password
        ) }),
    ))
    .await;
    let responses = [
        ("token", token),
        ("data read", app.read(&user, "k").await),
        ("data update", app.update(&user, "k", "w").await),
        ("graphql data", graphql),
        ("graphql token", token_over_graphql),
    ];
    for (what, reply) in &responses {
        assert!(reply.status.is_success(), "{what}: {reply:?}");
        assert_nosniff(reply, what);
        assert_no_store(reply, what);
    }

    let errors = [
        ("unknown route", send(app.get("/nowhere")).await),
        ("no token", send(app.get("/api/data/k")).await),
        ("missing key", app.read(&user, "absent").await),
        ("healthz", send(app.get("/healthz")).await),
        ("graphiql", send(app.get("/graphql")).await),
        (
            "preflight",
            send(
                app.request(Method::OPTIONS, "/graphql")
                    .header("origin", "https://app.example")
                    .header("access-control-request-method", "POST"),
            )
            .await,
        ),
    ];
    for (what, reply) in &errors {
        assert_nosniff(reply, what);
    }
    assert_no_store(&errors[1].1, "an error about a token");
}
backend_test!(every_response_says_nosniff_and_tokens_and_data_are_not_cached);
