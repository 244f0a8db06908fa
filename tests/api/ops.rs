//! What operators and browsers rely on: health and readiness, CORS, JSON
//! answers for unknown routes and methods, request ids, and behaviour while
//! the database is unreachable.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{
    Backend, Reply, TestApp, assert_error, assert_error_envelope, assert_success,
    backend_independent_test, backend_test, data_path, mysql_test, send,
};

async fn health_and_readiness_answer_200_with_the_database_up(backend: Backend) {
    let app = TestApp::new(backend).await;
    let health = send(app.get("/healthz")).await;
    assert_eq!(health.status, StatusCode::OK, "{health:?}");
    let ready = send(app.get("/readyz")).await;
    assert_eq!(ready.status, StatusCode::OK, "{ready:?}");
}
backend_test!(health_and_readiness_answer_200_with_the_database_up);

async fn unknown_routes_answer_404_in_the_json_envelope(backend: Backend) {
    let app = TestApp::new(backend).await;
    for path in ["/", "/api", "/api/nope", "/api/data/a/b", "/api/register/x"] {
        let reply = send(app.get(path)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "GET {path}: {reply:?}");
        assert_error_envelope(&reply);
        assert_ne!(
            reply.body["code"], "KEY_NOT_FOUND",
            "an unknown route is not a missing key: {reply:?}"
        );
    }
}
backend_independent_test!(unknown_routes_answer_404_in_the_json_envelope);

async fn wrong_methods_answer_405_in_the_json_envelope(backend: Backend) {
    let app = TestApp::new(backend).await;
    let attempts = [
        (Method::GET, "/api/register".to_owned()),
        (Method::GET, "/api/token".to_owned()),
        (Method::DELETE, "/api/token".to_owned()),
        (Method::DELETE, "/api/data".to_owned()),
        (Method::PUT, "/api/data".to_owned()),
        (Method::POST, data_path("k")),
        (Method::PATCH, data_path("k")),
        (Method::POST, "/healthz".to_owned()),
    ];
    for (method, path) in attempts {
        let reply = send(app.request(method.clone(), &path)).await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {reply:?}"
        );
        assert_error_envelope(&reply);
        // RFC 9110: a 405 lists the methods the route does serve.
        assert!(
            reply.header("allow").is_some(),
            "no Allow header: {reply:?}"
        );
    }
}
backend_independent_test!(wrong_methods_answer_405_in_the_json_envelope);

async fn every_response_carries_a_request_id(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "k", "v").await;
    let replies = [
        send(app.get("/healthz")).await,
        send(app.get("/api/nope")).await,
        app.read(&user, "k").await,
        app.read(&user, "missing").await,
        send(app.post_json("/api/token", &json!({}))).await,
    ];
    let mut ids: Vec<&str> = replies
        .iter()
        .map(|reply| {
            reply
                .header("x-request-id")
                .filter(|id| !id.is_empty())
                .unwrap_or_else(|| panic!("no x-request-id: {reply:?}"))
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), replies.len(), "request ids must differ");
}
backend_test!(every_response_carries_a_request_id);

async fn a_request_id_sent_by_the_client_is_echoed(backend: Backend) {
    // Lets a client or proxy correlate its own logs with the server's.
    let app = TestApp::new(backend).await;
    let reply = send(
        app.get("/healthz")
            .header("x-request-id", "client-chosen-42"),
    )
    .await;
    assert_eq!(reply.header("x-request-id"), Some("client-chosen-42"));
}
backend_independent_test!(a_request_id_sent_by_the_client_is_echoed);

/// A browser's preflight for a JSON POST with a bearer token.
async fn preflight(app: &TestApp, origin: &str) -> Reply {
    send(
        app.request(Method::OPTIONS, "/api/data")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            ),
    )
    .await
}

/// True when a comma-separated header lists `item` (case-insensitively), or is `*`.
fn lists(reply: &Reply, header: &str, item: &str) -> bool {
    reply.header(header).is_some_and(|value| {
        value
            .split(',')
            .map(str::trim)
            .any(|listed| listed == "*" || listed.eq_ignore_ascii_case(item))
    })
}

async fn cors_preflight_is_answered_with_the_allow_headers(backend: Backend) {
    let app = TestApp::new(backend).await;
    let reply = preflight(&app, "https://app.example").await;

    assert!(reply.status.is_success(), "preflight status: {reply:?}");
    let allowed_origin = reply.header("access-control-allow-origin");
    assert!(
        matches!(allowed_origin, Some("*" | "https://app.example")),
        "{reply:?}"
    );
    assert!(
        lists(&reply, "access-control-allow-methods", "POST"),
        "{reply:?}"
    );
    for header in ["authorization", "content-type"] {
        assert!(
            lists(&reply, "access-control-allow-headers", header),
            "{header} not allowed: {reply:?}"
        );
    }
}
backend_independent_test!(cors_preflight_is_answered_with_the_allow_headers);

async fn cors_allows_only_the_configured_origins(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--cors-origins", "https://a.example")
        .build()
        .await;

    let allowed = preflight(&app, "https://a.example").await;
    assert!(allowed.status.is_success(), "{allowed:?}");
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://a.example")
    );

    let other = preflight(&app, "https://b.example").await;
    assert_eq!(
        other.header("access-control-allow-origin"),
        None,
        "{other:?}"
    );

    // Plain requests are no different.
    let simple = send(app.get("/healthz").header("origin", "https://b.example")).await;
    assert_eq!(simple.header("access-control-allow-origin"), None);
    let simple = send(app.get("/healthz").header("origin", "https://a.example")).await;
    assert_eq!(
        simple.header("access-control-allow-origin"),
        Some("https://a.example")
    );
}
backend_independent_test!(cors_allows_only_the_configured_origins);

/// The contract's fail-fast bound for a 503, with `--db-timeout-secs 2`.
const FAIL_FAST: Duration = Duration::from_secs(5);

/// Sends a request and asserts it failed fast with 503 SERVICE_UNAVAILABLE
/// and a `Retry-After`.
async fn assert_unavailable(what: &str, request: reqwest::RequestBuilder) {
    assert_unavailable_within(what, request, FAIL_FAST).await;
}

async fn assert_unavailable_within(what: &str, request: reqwest::RequestBuilder, bound: Duration) {
    let started = Instant::now();
    let reply = send(request).await;
    let took = started.elapsed();
    assert_error(
        &reply,
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
    );
    assert!(
        reply.header("retry-after").is_some(),
        "{what}: 503 comes with Retry-After: {reply:?}"
    );
    assert!(took < bound, "{what} took {took:?} to answer 503");
}

/// MySQL only: the outage is simulated by cutting the TCP connections to the
/// database server, and an SQLite file in the server's own process has no
/// connection to cut.
async fn a_database_outage_is_503_and_the_server_recovers_by_itself(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--db-timeout-secs", "2")
        .with_db_proxy()
        .build()
        .await;
    let user = app.signed_in().await;
    let account = user.account.clone();
    app.store(&user, "before", "stored before the outage").await;

    app.db_proxy().stop().await;

    assert_unavailable(
        "GET",
        app.get(&data_path("before")).bearer_auth(&user.token),
    )
    .await;
    assert_unavailable(
        "POST",
        app.post_json("/api/data", &json!({ "key": "during", "value": "v" }))
            .bearer_auth(&user.token),
    )
    .await;
    assert_unavailable(
        "PUT",
        app.put_json(&data_path("before"), &json!({ "value": "changed" }))
            .bearer_auth(&user.token),
    )
    .await;
    assert_unavailable(
        "DELETE",
        app.delete(&data_path("before")).bearer_auth(&user.token),
    )
    .await;
    // Not INVALID_CREDENTIALS: the server cannot know the password is wrong.
    assert_unavailable(
        "token",
        app.post_json(
            "/api/token",
            &json!({ "username": account.username, "password": account.password }),
        ),
    )
    .await;
    // The same registration is refused now and accepted after recovery.
    let registration = crate::harness::registration(
        "during_outage",
        "during@example.com",
        crate::harness::PASSWORD,
    );
    assert_unavailable("register", app.post_json("/api/register", &registration)).await;
    assert_unavailable("readyz", app.get("/readyz")).await;
    // Liveness is about the process, which is fine.
    let health = send(app.get("/healthz")).await;
    assert_eq!(health.status, StatusCode::OK, "{health:?}");

    app.db_proxy().start().await;

    // The pool heals without a restart; give it a few seconds.
    let recovered = poll_until_ok(&app, &user).await;
    assert_eq!(recovered, "stored before the outage");
    let ready = send(app.get("/readyz")).await;
    assert_eq!(ready.status, StatusCode::OK, "{ready:?}");
    // Nothing was half-written while the database was away.
    assert_error(
        &app.read(&user, "during").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
    assert_eq!(
        app.entry_version(&user.account.user_id, "before").await,
        Some(1)
    );
    app.store(&user, "after", "stored after the outage").await;
    let registered = send(app.post_json("/api/register", &registration)).await;
    assert_success(
        &registered,
        StatusCode::CREATED,
        "User successfully registered!",
    );
}
mysql_test!(a_database_outage_is_503_and_the_server_recovers_by_itself);

/// MySQL only, like the outage above. A database that accepts connections
/// but never answers makes every attempt wait out the timeout; reads queued
/// behind one reader task must each still fail within the bound, not one
/// timeout after another.
async fn reads_queued_behind_a_stuck_database_each_fail_fast(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--db-timeout-secs", "2")
        .option("--db-readers", "1")
        .with_db_proxy()
        .build()
        .await;
    let user = app.signed_in().await;
    app.store(&user, "before", "stored before the outage").await;

    app.db_proxy().hang().await;
    // More reads than one query takes (32), so they queue behind each other.
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let read = app.get(&data_path("before")).bearer_auth(&user.token);
        reads.spawn(assert_unavailable("a queued GET", read));
    }
    while let Some(read) = reads.join_next().await {
        read.expect("a queued GET failed its check");
    }

    app.db_proxy().stop().await;
    app.db_proxy().start().await;
    assert_eq!(poll_until_ok(&app, &user).await, "stored before the outage");
}
mysql_test!(reads_queued_behind_a_stuck_database_each_fail_fast);

/// MySQL only, like the outage above. A database that stops answering
/// (frozen, as by SIGSTOP) leaves statements on open connections without an
/// answer: each must fail within the statement timeout, and `/readyz` must
/// answer within `DB_TIMEOUT_SECS` + 1 s (contract section 11).
async fn a_database_frozen_mid_statement_fails_each_request_within_the_timeout(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--db-timeout-secs", "1")
        .with_db_proxy()
        .build()
        .await;
    let user = app.signed_in().await;
    let account = user.account.clone();
    app.store(&user, "before", "stored before the freeze").await;
    // Open connections, so statements go out on them and hang half-way.
    for _ in 0..4 {
        app.value_of(&user, "before").await;
    }

    app.db_proxy().freeze();
    let graphql = |query: &str| {
        app.post_json("/graphql", &json!({ "query": query }))
            .bearer_auth(&user.token)
    };
    let requests = [
        (
            "GET",
            app.get(&data_path("before")).bearer_auth(&user.token),
        ),
        (
            "PUT",
            app.put_json(&data_path("before"), &json!({ "value": "changed" }))
                .bearer_auth(&user.token),
        ),
        (
            "POST",
            app.post_json("/api/data", &json!({ "key": "during", "value": "v" }))
                .bearer_auth(&user.token),
        ),
        (
            "DELETE",
            app.delete(&data_path("before")).bearer_auth(&user.token),
        ),
        (
            "token",
            app.post_json(
                "/api/token",
                &json!({ "username": account.username, "password": account.password }),
            ),
        ),
    ];
    let mut waiting = tokio::task::JoinSet::new();
    for (what, request) in requests {
        waiting.spawn(assert_unavailable(what, request));
    }
    // The contract's bound for readiness: DB_TIMEOUT_SECS + 1 s.
    waiting.spawn(assert_unavailable_within(
        "readyz",
        app.get("/readyz"),
        Duration::from_secs(2),
    ));
    for (what, query) in [
        ("GraphQL entry", "{ entry(key: \"before\") { value } }"),
        (
            "GraphQL updateEntry",
            "mutation { updateEntry(key: \"before\", value: \"x\") { version } }",
        ),
    ] {
        let request = graphql(query);
        waiting.spawn(async move {
            let started = Instant::now();
            let reply = send(request).await;
            assert_eq!(
                reply.body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
                "{what}: {reply:?}"
            );
            assert!(reply.header("retry-after").is_some(), "{what}: {reply:?}");
            assert!(
                started.elapsed() < FAIL_FAST,
                "{what} took {:?}",
                started.elapsed()
            );
        });
    }
    while let Some(done) = waiting.join_next().await {
        done.expect("a request during the freeze failed its check");
    }

    app.db_proxy().thaw();
    // The connections that hung were dropped; the pool opens new ones.
    poll_until_ok(&app, &user).await;
    let ready = send(app.get("/readyz")).await;
    assert_eq!(ready.status, StatusCode::OK, "{ready:?}");
    app.store(&user, "after", "stored after the freeze").await;
    assert_eq!(
        app.value_of(&user, "after").await,
        "stored after the freeze"
    );
}
mysql_test!(a_database_frozen_mid_statement_fails_each_request_within_the_timeout);

/// Reads `before` until it answers 200 (for up to 10 s); returns the value.
async fn poll_until_ok(app: &TestApp, user: &crate::harness::User) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = app.read(user, "before").await;
        if reply.status == StatusCode::OK {
            return reply.body["data"]["value"]
                .as_str()
                .expect("value")
                .to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "still failing 10 s after the database came back: {reply:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
