//! `expectedVersion` on `updateEntry` and `deleteEntry` (contract section
//! 8): `VERSION_MISMATCH` and nothing changed when the entry is at another
//! version; of racing updates expecting one version exactly one wins.

use std::sync::Arc;

use super::*;

const UPDATE_IF: &str = "mutation($key: String!, $value: String!, $v: Int) {
    updateEntry(key: $key, value: $value, expectedVersion: $v) { value version } }";
const DELETE_IF: &str = "mutation($key: String!, $v: Int) {
    deleteEntry(key: $key, expectedVersion: $v) { value version } }";

async fn expected_versions_guard_updates_and_deletes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    store(&app, &token, "k", "one").await;

    let body = gql(
        &app,
        Some(&token),
        UPDATE_IF,
        json!({ "key": "k", "value": "two", "v": 1 }),
    )
    .await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["updateEntry"],
        json!({ "value": "two", "version": 2 })
    );

    for (document, variables) in [
        (UPDATE_IF, json!({ "key": "k", "value": "stale", "v": 1 })),
        (DELETE_IF, json!({ "key": "k", "v": 1 })),
        (DELETE_IF, json!({ "key": "k", "v": 0 })),
    ] {
        let body = gql(&app, Some(&token), document, variables).await;
        assert_rejected(&body, "VERSION_MISMATCH");
    }
    let kept = entry(&app, &token, "k").await;
    assert_eq!(kept["data"]["entry"]["value"], "two", "{kept}");
    assert_eq!(kept["data"]["entry"]["version"], 2, "{kept}");

    let missing = gql(
        &app,
        Some(&token),
        UPDATE_IF,
        json!({ "key": "nope", "value": "x", "v": 1 }),
    )
    .await;
    assert_rejected(&missing, "KEY_NOT_FOUND");

    let body = gql(&app, Some(&token), DELETE_IF, json!({ "key": "k", "v": 2 })).await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["deleteEntry"],
        json!({ "value": "two", "version": 2 })
    );
    assert_key_not_found(&entry(&app, &token, "k").await);
}
backend_test!(expected_versions_guard_updates_and_deletes);

async fn of_racing_expected_versions_exactly_one_wins(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let token: Arc<str> = signed_in(&app).await.into();
    store(&app, &token, "counter", "0").await;
    let racers: Vec<_> = (0..20)
        .map(|n| {
            let (app, token) = (Arc::clone(&app), Arc::clone(&token));
            tokio::spawn(async move {
                let variables = json!({ "key": "counter", "value": format!("racer {n}"), "v": 1 });
                gql(&app, Some(&token), UPDATE_IF, variables).await
            })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        let body = racer.await.expect("a racer");
        if errors_of(&body).is_empty() {
            winners += 1;
        } else {
            assert_rejected(&body, "VERSION_MISMATCH");
        }
    }
    assert_eq!(winners, 1);
    let kept = entry(&app, &token, "counter").await;
    assert_eq!(kept["data"]["entry"]["version"], 2, "{kept}");
}
backend_test!(of_racing_expected_versions_exactly_one_wins);

const PUT: &str = "mutation($key: String!, $value: String!, $v: Int) {
    putEntry(key: $key, value: $value, expectedVersion: $v) { key value version } }";

async fn put_entry_creates_or_replaces_under_its_preconditions(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    let put = |key: &str, value: &str, v: Value| {
        gql(
            &app,
            Some(&token),
            PUT,
            json!({ "key": key, "value": value, "v": v }),
        )
    };
    let created = put("p", "one", Value::Null).await;
    assert_no_errors(&created);
    assert_eq!(
        created["data"]["putEntry"],
        json!({ "key": "p", "value": "one", "version": 1 })
    );
    let replaced = put("p", "two", Value::Null).await;
    assert_eq!(replaced["data"]["putEntry"]["version"], 2, "{replaced}");

    // 0: must not exist yet.
    assert_rejected(&put("p", "again", json!(0)).await, "VERSION_MISMATCH");
    let fresh = put("q", "new", json!(0)).await;
    assert_eq!(fresh["data"]["putEntry"]["version"], 1, "{fresh}");

    // n: must be at n; an absent entry is at no version.
    assert_rejected(&put("p", "stale", json!(1)).await, "VERSION_MISMATCH");
    assert_rejected(&put("absent", "x", json!(1)).await, "VERSION_MISMATCH");
    let swapped = put("p", "three", json!(2)).await;
    assert_eq!(
        swapped["data"]["putEntry"],
        json!({ "key": "p", "value": "three", "version": 3 })
    );

    let kept = entry(&app, &token, "p").await;
    assert_eq!(kept["data"]["entry"]["value"], "three", "{kept}");
    assert_key_not_found(&entry(&app, &token, "absent").await);

    // The rules of storeEntry hold for the key and value.
    assert_rejected(&put("", "x", Value::Null).await, "INVALID_KEY");
}
backend_test!(put_entry_creates_or_replaces_under_its_preconditions);

async fn racing_upserts_of_a_new_key_all_land(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let token: Arc<str> = signed_in(&app).await.into();
    let racers: Vec<_> = (0..10)
        .map(|n| {
            let (app, token) = (Arc::clone(&app), Arc::clone(&token));
            tokio::spawn(async move {
                let variables =
                    json!({ "key": "shared", "value": format!("racer {n}"), "v": null });
                gql(&app, Some(&token), PUT, variables).await
            })
        })
        .collect();
    let mut versions = Vec::new();
    for racer in racers {
        let body = racer.await.expect("a racer");
        assert_no_errors(&body);
        versions.push(
            body["data"]["putEntry"]["version"]
                .as_i64()
                .expect("a version"),
        );
    }
    versions.sort_unstable();
    assert_eq!(
        versions,
        (1..=10).collect::<Vec<_>>(),
        "each write is one version"
    );
}
backend_test!(racing_upserts_of_a_new_key_all_land);
