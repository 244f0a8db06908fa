//! Versions as preconditions over REST (contract section 8): `GET` sends
//! the version in `data` and as `ETag`; `PUT` and `DELETE` honour
//! `If-Match` (412 `VERSION_MISMATCH`, nothing changed), and of racing
//! writers expecting the same version exactly one wins.

use super::*;

/// `PUT /api/data/{key}` with `If-Match: if_match`.
async fn put_if(app: &TestApp, user: &User, key: &str, value: &str, if_match: &str) -> Reply {
    send(
        app.put_json(&data_path(key), &json!({ "value": value }))
            .bearer_auth(&user.token)
            .header("if-match", if_match),
    )
    .await
}

/// `DELETE /api/data/{key}` with `If-Match: if_match`.
async fn delete_if(app: &TestApp, user: &User, key: &str, if_match: &str) -> Reply {
    send(
        app.delete(&data_path(key))
            .bearer_auth(&user.token)
            .header("if-match", if_match),
    )
    .await
}

/// The value and version `GET` answers, after checking `ETag` agrees.
async fn value_and_version(app: &TestApp, user: &User, key: &str) -> (String, i64) {
    let reply = app.read(user, key).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let version = reply.body["data"]["version"].as_i64().expect("a version");
    assert_eq!(
        reply.header("etag"),
        Some(format!("\"{version}\"").as_str()),
        "{reply:?}"
    );
    let value = reply.body["data"]["value"].as_str().expect("a value");
    (value.to_owned(), version)
}

async fn get_gives_the_version_and_if_match_guards_writes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "k", "one").await;
    assert_eq!(
        value_and_version(&app, &user, "k").await,
        ("one".to_owned(), 1)
    );

    let reply = put_if(&app, &user, "k", "two", "\"1\"").await;
    assert_success(&reply, StatusCode::OK, "Data updated successfully.");
    assert_eq!(
        value_and_version(&app, &user, "k").await,
        ("two".to_owned(), 2)
    );

    // A stale version changes nothing.
    let reply = put_if(&app, &user, "k", "stale", "\"1\"").await;
    assert_error(&reply, StatusCode::PRECONDITION_FAILED, "VERSION_MISMATCH");
    let reply = delete_if(&app, &user, "k", "\"1\"").await;
    assert_error(&reply, StatusCode::PRECONDITION_FAILED, "VERSION_MISMATCH");
    assert_eq!(
        value_and_version(&app, &user, "k").await,
        ("two".to_owned(), 2)
    );

    // `*`: must exist.
    let reply = put_if(&app, &user, "k", "three", "*").await;
    assert_success(&reply, StatusCode::OK, "Data updated successfully.");
    let reply = put_if(&app, &user, "absent", "x", "*").await;
    assert_error(&reply, StatusCode::NOT_FOUND, "KEY_NOT_FOUND");
    let reply = put_if(&app, &user, "absent", "x", "\"1\"").await;
    assert_error(&reply, StatusCode::NOT_FOUND, "KEY_NOT_FOUND");

    let reply = delete_if(&app, &user, "k", "\"3\"").await;
    assert_success(&reply, StatusCode::OK, "Data deleted successfully.");
    assert_eq!(app.read(&user, "k").await.status, StatusCode::NOT_FOUND);
}
backend_test!(get_gives_the_version_and_if_match_guards_writes);

async fn malformed_if_match_is_an_invalid_request(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "k", "v").await;
    for if_match in [
        "1",
        "W/\"1\"",
        "\"1\", \"2\"",
        "\"\"",
        "\"-1\"",
        "\"one\"",
        "",
    ] {
        let reply = put_if(&app, &user, "k", "changed", if_match).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
        let reply = delete_if(&app, &user, "k", if_match).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    }
    assert_eq!(
        value_and_version(&app, &user, "k").await,
        ("v".to_owned(), 1)
    );
}
backend_test!(malformed_if_match_is_an_invalid_request);

async fn of_racing_compare_and_swaps_exactly_one_wins(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let user = Arc::new(app.signed_in().await);
    app.store(&user, "counter", "0").await;
    let racers: Vec<_> = (0..20)
        .map(|n| {
            let (app, user) = (Arc::clone(&app), Arc::clone(&user));
            tokio::spawn(async move {
                put_if(&app, &user, "counter", &format!("racer {n}"), "\"1\"").await
            })
        })
        .collect();
    let mut winners = Vec::new();
    for (n, racer) in racers.into_iter().enumerate() {
        let reply = racer.await.expect("a racer");
        match reply.status {
            StatusCode::OK => winners.push(n),
            _ => assert_error(&reply, StatusCode::PRECONDITION_FAILED, "VERSION_MISMATCH"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let expected = format!("racer {}", winners[0]);
    assert_eq!(
        value_and_version(&app, &user, "counter").await,
        (expected, 2)
    );
}
backend_test!(of_racing_compare_and_swaps_exactly_one_wins);
