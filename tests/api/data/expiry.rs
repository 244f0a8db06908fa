//! Expiring entries over REST (contract section 8): `ttl_seconds` on POST
//! and PUT; from its expiry second on an entry is as if absent to every
//! read, list and write, and its key is free; a write without a TTL clears
//! it; storage is reclaimed in the background.

use std::time::Duration;

use super::*;

/// Waits until the entries written now with a 1-second TTL have expired
/// (expiry is rounded up to the whole second: at most 2 s).
async fn past_a_one_second_ttl() {
    tokio::time::sleep(Duration::from_millis(2_100)).await;
}

async fn post_ttl(app: &TestApp, user: &User, key: &str, ttl: Value) -> Reply {
    post(
        app,
        user,
        &json!({ "key": key, "value": "v", "ttl_seconds": ttl }),
    )
    .await
}

fn listed_keys(reply: &Reply) -> Vec<String> {
    reply.body["data"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["key"].as_str().expect("a key").to_owned())
        .collect()
}

async fn an_expired_entry_is_absent_everywhere_and_its_key_free(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    for key in ["short", "gone-for-put", "gone-for-delete"] {
        let reply = post_ttl(&app, &user, key, json!(1)).await;
        assert_success(&reply, StatusCode::CREATED, "Data stored successfully.");
    }
    app.store(&user, "stays", "v").await;
    assert_eq!(app.read(&user, "short").await.status, StatusCode::OK);
    let listing = send(app.get("/api/data").bearer_auth(&user.token)).await;
    let short = &listing.body["data"]["entries"][2];
    assert_eq!(short["key"], "short", "{listing:?}");
    assert!(short["expires_at"].is_string(), "{listing:?}");

    past_a_one_second_ttl().await;
    assert_error(
        &app.read(&user, "short").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
    let listing = send(app.get("/api/data").bearer_auth(&user.token)).await;
    assert_eq!(listed_keys(&listing), ["stays"]);
    assert_error(
        &app.update(&user, "gone-for-put", "x").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
    assert_error(
        &app.remove(&user, "gone-for-delete").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
    // The key is free: a new entry, at version 1.
    let reply = create(&app, &user, "short", "again").await;
    assert_success(&reply, StatusCode::CREATED, "Data stored successfully.");
    let reply = app.read(&user, "short").await;
    assert_eq!(reply.body["data"]["value"], "again", "{reply:?}");
    assert_eq!(reply.body["data"]["version"], 1, "{reply:?}");
}
backend_test!(an_expired_entry_is_absent_everywhere_and_its_key_free);

async fn a_write_without_a_ttl_clears_it(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    post_ttl(&app, &user, "k", json!(1)).await;
    assert_eq!(app.update(&user, "k", "kept").await.status, StatusCode::OK);
    let reply = put_raw(&app, &user, &data_path("other"), &json!({ "value": "x" })).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // And PUT with a TTL sets one.
    app.store(&user, "later", "v").await;
    let reply = put_raw(
        &app,
        &user,
        &data_path("later"),
        &json!({ "value": "w", "ttl_seconds": 1 }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    past_a_one_second_ttl().await;
    assert_eq!(app.value_of(&user, "k").await, "kept");
    assert_error(
        &app.read(&user, "later").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
}
backend_test!(a_write_without_a_ttl_clears_it);

async fn bad_ttls_are_invalid_ttl_and_change_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "k", "v").await;
    for ttl in [
        json!(0),
        json!(-1),
        json!(31_536_001),
        json!("10"),
        json!(1.5),
        Value::Null,
        json!([1]),
    ] {
        let reply = post_ttl(&app, &user, "new", ttl.clone()).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_TTL");
        let reply = put_raw(
            &app,
            &user,
            &data_path("k"),
            &json!({ "value": "w", "ttl_seconds": ttl }),
        )
        .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_TTL");
    }
    assert_eq!(app.read(&user, "new").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.value_of(&user, "k").await, "v");
    let reply = post_ttl(&app, &user, "year", json!(31_536_000)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
}
backend_test!(bad_ttls_are_invalid_ttl_and_change_nothing);

async fn expired_entries_are_reclaimed_in_the_background(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--expired-reclaim-interval-secs", "1")
        .build()
        .await;
    let user = app.signed_in().await;
    for n in 0..3 {
        post_ttl(&app, &user, &format!("t{n}"), json!(1)).await;
    }
    app.store(&user, "stays", "v").await;
    assert_eq!(
        app.entry_version(&user.account.user_id, "t0").await,
        Some(1)
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut left = 0;
        for n in 0..3 {
            left += app
                .entry_version(&user.account.user_id, &format!("t{n}"))
                .await
                .is_some() as u32;
        }
        if left == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{left} expired rows still stored"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        app.entry_version(&user.account.user_id, "stays").await,
        Some(1)
    );
}
backend_test!(expired_entries_are_reclaimed_in_the_background);
