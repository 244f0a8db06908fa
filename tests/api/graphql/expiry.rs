//! `ttlSeconds` and `Entry.expiresAt` (contract section 8): from its expiry
//! second on an entry is as if absent; a write without a TTL clears it;
//! `putEntry` and `atomicWrite` replace an expired entry rather than
//! continue it.

use std::time::Duration;

use super::*;

const STORE_TTL: &str = "mutation($key: String!, $ttl: Int) {
    storeEntry(key: $key, value: \"v\", ttlSeconds: $ttl) { version expiresAt } }";

async fn ttl_seconds_set_expires_at_and_the_entry_goes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    let before = chrono::Utc::now();
    let body = gql(
        &app,
        Some(&token),
        STORE_TTL,
        json!({ "key": "t", "ttl": 1 }),
    )
    .await;
    assert_no_errors(&body);
    let expires_at = body["data"]["storeEntry"]["expiresAt"]
        .as_str()
        .expect("expiresAt");
    let expires_at = DateTime::parse_from_rfc3339(expires_at).expect("RFC 3339");
    assert!(
        expires_at >= before + chrono::TimeDelta::seconds(1),
        "{expires_at}"
    );
    assert!(
        expires_at <= before + chrono::TimeDelta::seconds(2),
        "{expires_at}"
    );
    assert_eq!(
        expires_at.timestamp_subsec_nanos(),
        0,
        "a whole second: {expires_at}"
    );

    let none = gql(
        &app,
        Some(&token),
        STORE_TTL,
        json!({ "key": "n", "ttl": null }),
    )
    .await;
    assert!(none["data"]["storeEntry"]["expiresAt"].is_null(), "{none}");
    let put = "mutation { putEntry(key: \"p\", value: \"1\", ttlSeconds: 1) { version } }";
    assert_no_errors(&gql(&app, Some(&token), put, Value::Null).await);

    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_key_not_found(&entry(&app, &token, "t").await);
    let page = gql(
        &app,
        Some(&token),
        "{ entries { nodes { key } } }",
        Value::Null,
    )
    .await;
    assert_eq!(
        page["data"]["entries"]["nodes"],
        json!([{ "key": "n" }]),
        "{page}"
    );
    let update = gql(
        &app,
        Some(&token),
        &update_mutation(),
        json!({ "key": "t", "value": "x" }),
    )
    .await;
    assert_rejected(&update, "KEY_NOT_FOUND");
    // Replaced, not continued: version 1 again.
    let again = gql(&app, Some(&token), put, Value::Null).await;
    assert_eq!(again["data"]["putEntry"]["version"], 1, "{again}");
    let stored = gql(
        &app,
        Some(&token),
        STORE_TTL,
        json!({ "key": "t", "ttl": null }),
    )
    .await;
    assert_eq!(stored["data"]["storeEntry"]["version"], 1, "{stored}");
    let atomic = "mutation { atomicWrite(checks: [{ key: \"p\", version: 1 }],
        writes: [{ key: \"p\", value: \"2\", ttlSeconds: 60 }]) { version expiresAt } }";
    let written = gql(&app, Some(&token), atomic, Value::Null).await;
    assert_eq!(written["data"]["atomicWrite"][0]["version"], 2, "{written}");
    assert!(
        written["data"]["atomicWrite"][0]["expiresAt"].is_string(),
        "{written}"
    );
}
backend_test!(ttl_seconds_set_expires_at_and_the_entry_goes);

async fn a_write_without_ttl_clears_expires_at(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    gql(
        &app,
        Some(&token),
        STORE_TTL,
        json!({ "key": "k", "ttl": 30 }),
    )
    .await;
    let update = "mutation { updateEntry(key: \"k\", value: \"w\") { version expiresAt } }";
    let body = gql(&app, Some(&token), update, Value::Null).await;
    assert_eq!(
        body["data"]["updateEntry"],
        json!({ "version": 2, "expiresAt": null })
    );
}
backend_test!(a_write_without_ttl_clears_expires_at);

async fn bad_ttls_are_invalid_ttl(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    store(&app, &token, "k", "v").await;
    for ttl in [0, -5, 31_536_001] {
        let body = gql(
            &app,
            Some(&token),
            STORE_TTL,
            json!({ "key": "new", "ttl": ttl }),
        )
        .await;
        assert_rejected(&body, "INVALID_TTL");
        let update = "mutation($ttl: Int) { updateEntry(key: \"k\", value: \"w\", ttlSeconds: $ttl) { version } }";
        assert_rejected(
            &gql(&app, Some(&token), update, json!({ "ttl": ttl })).await,
            "INVALID_TTL",
        );
        let atomic = "mutation($ttl: Int) { atomicWrite(writes: [{ key: \"a\", value: \"1\", ttlSeconds: $ttl }]) { version } }";
        assert_rejected(
            &gql(&app, Some(&token), atomic, json!({ "ttl": ttl })).await,
            "INVALID_TTL",
        );
    }
    assert_key_not_found(&entry(&app, &token, "new").await);
    assert_key_not_found(&entry(&app, &token, "a").await);
    let kept = entry(&app, &token, "k").await;
    assert_eq!(kept["data"]["entry"]["version"], 1, "{kept}");
}
backend_test!(bad_ttls_are_invalid_ttl);

async fn an_expired_key_counts_as_absent_for_put_entry(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    gql(
        &app,
        Some(&token),
        STORE_TTL,
        json!({ "key": "k", "ttl": 1 }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let put = "mutation($v: Int) { putEntry(key: \"k\", value: \"new\", expectedVersion: $v) { version expiresAt } }";
    assert_rejected(
        &gql(&app, Some(&token), put, json!({ "v": 1 })).await,
        "VERSION_MISMATCH",
    );
    let body = gql(&app, Some(&token), put, json!({ "v": 0 })).await;
    assert_eq!(
        body["data"]["putEntry"],
        json!({ "version": 1, "expiresAt": null }),
        "{body}"
    );
}
backend_test!(an_expired_key_counts_as_absent_for_put_entry);
