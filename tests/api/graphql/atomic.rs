//! `atomicWrite(checks, writes)` (contract section 8): every write or none,
//! in one transaction; a failed check is `VERSION_MISMATCH` naming its key;
//! bad input changes nothing; a database failure midway leaves nothing
//! written.

use super::*;
use crate::harness::mysql_test;

const ATOMIC: &str = "mutation($checks: [EntryCheck!], $writes: [EntryWrite!]!) {
    atomicWrite(checks: $checks, writes: $writes) { key value version } }";

async fn atomic(app: &TestApp, token: &str, checks: Value, writes: Value) -> Value {
    let variables = json!({ "checks": checks, "writes": writes });
    gql(app, Some(token), ATOMIC, variables).await
}

/// The value of `key`, or `None` when it is absent.
async fn value_of(app: &TestApp, token: &str, key: &str) -> Option<String> {
    let body = entry(app, token, key).await;
    body["data"]["entry"]["value"].as_str().map(str::to_owned)
}

async fn checks_and_writes_apply_together(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    store(&app, &token, "a", "a1").await;
    store(&app, &token, "gone", "x").await;
    let body = atomic(
        &app,
        &token,
        json!([{ "key": "a", "version": 1 }, { "key": "new", "version": null }]),
        json!([
            { "key": "a", "value": "a2" },
            { "key": "new", "value": "n1" },
            { "key": "gone", "delete": true },
            { "key": "never-there", "delete": true },
        ]),
    )
    .await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["atomicWrite"],
        json!([
            { "key": "a", "value": "a2", "version": 2 },
            { "key": "new", "value": "n1", "version": 1 },
            null,
            null,
        ])
    );
    assert_eq!(value_of(&app, &token, "a").await.as_deref(), Some("a2"));
    assert_eq!(value_of(&app, &token, "new").await.as_deref(), Some("n1"));
    assert_eq!(value_of(&app, &token, "gone").await, None);
}
backend_test!(checks_and_writes_apply_together);

async fn a_failed_check_names_its_key_and_writes_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    store(&app, &token, "a", "a1").await;
    store(&app, &token, "b", "b1").await;
    for (checks, key) in [
        (
            json!([{ "key": "a", "version": 1 }, { "key": "b", "version": 7 }]),
            "b",
        ),
        (json!([{ "key": "a", "version": null }]), "a"),
        (json!([{ "key": "absent", "version": 1 }]), "absent"),
    ] {
        let body = atomic(
            &app,
            &token,
            checks,
            json!([{ "key": "a", "value": "changed" }, { "key": "c", "value": "new" }, { "key": "b", "delete": true }]),
        )
        .await;
        assert_rejected(&body, "VERSION_MISMATCH");
        assert_eq!(errors_of(&body)[0]["extensions"]["key"], key, "{body}");
    }
    assert_eq!(value_of(&app, &token, "a").await.as_deref(), Some("a1"));
    assert_eq!(value_of(&app, &token, "b").await.as_deref(), Some("b1"));
    assert_eq!(value_of(&app, &token, "c").await, None);
}
backend_test!(a_failed_check_names_its_key_and_writes_nothing);

async fn bad_batches_are_refused_whole(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    let many: Vec<Value> = (0..101)
        .map(|n| json!({ "key": format!("k{n}"), "value": "v" }))
        .collect();
    let cases = [
        (Value::Null, Value::Array(many), "INVALID_REQUEST"),
        (
            Value::Null,
            json!([{ "key": "k", "value": "1" }, { "key": "k", "value": "2" }]),
            "INVALID_REQUEST",
        ),
        (
            Value::Null,
            json!([{ "key": "ok", "value": "1" }, { "key": "k", "value": "2", "delete": true }]),
            "INVALID_REQUEST",
        ),
        (
            Value::Null,
            json!([{ "key": "ok", "value": "1" }, { "key": "k" }]),
            "INVALID_REQUEST",
        ),
        (
            Value::Null,
            json!([{ "key": "ok", "value": "1" }, { "key": "", "value": "2" }]),
            "INVALID_KEY",
        ),
        (
            json!([{ "key": "", "version": null }]),
            json!([{ "key": "ok", "value": "1" }]),
            "INVALID_KEY",
        ),
    ];
    for (checks, writes, code) in cases {
        let body = atomic(&app, &token, checks, writes).await;
        assert_rejected(&body, code);
    }
    assert_eq!(value_of(&app, &token, "ok").await, None);
    assert_eq!(value_of(&app, &token, "k0").await, None);
    // Exactly 100 is allowed.
    let hundred: Vec<Value> = (0..100)
        .map(|n| json!({ "key": format!("k{n}"), "value": "v" }))
        .collect();
    let body = atomic(&app, &token, Value::Null, Value::Array(hundred)).await;
    assert_no_errors(&body);
    assert_eq!(value_of(&app, &token, "k99").await.as_deref(), Some("v"));
}
backend_test!(bad_batches_are_refused_whole);

/// Halfway through a 100-key write, the database stops answering: a row the
/// write needs is locked by another connection until the server's
/// statement clock (2 s in tests) runs out. The request fails with
/// `SERVICE_UNAVAILABLE` and the keys written before it are gone with the
/// transaction.
async fn a_database_failure_midway_leaves_nothing_written(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    store(&app, &token, "k50", "locked").await;
    let me = gql(&app, Some(&token), "{ me { id } }", Value::Null).await;
    let user_id = me["data"]["me"]["id"].as_str().expect("an id").to_owned();
    let writes: Vec<Value> = (0..100)
        .map(|n| json!({ "key": format!("k{n}"), "value": "new" }))
        .collect();
    let body = json!({ "query": ATOMIC, "variables": { "writes": writes } });

    let mut blocker = app.db().await;
    let reply = blocker
        .write_transaction(async |conn| {
            let id = datakeep::model::UserId(user_id.parse().expect("a numeric id"));
            datakeep::db::entries::find(conn, id, b"k50", true, chrono::Utc::now().naive_utc())
                .await
                .expect("locking k50");
            let reply = post_graphql(&app, Some(&token), &body).await;
            Ok::<_, diesel::result::Error>(reply)
        })
        .await
        .expect("the blocking transaction");
    // GraphQL answers 200 with the error (and Retry-After).
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.header("retry-after"), Some("1"), "{reply:?}");
    assert_rejected(&reply.body, "SERVICE_UNAVAILABLE");
    for key in ["k0", "k49", "k51", "k99"] {
        assert_eq!(value_of(&app, &token, key).await, None, "{key}");
    }
    assert_eq!(
        value_of(&app, &token, "k50").await.as_deref(),
        Some("locked")
    );
}
mysql_test!(a_database_failure_midway_leaves_nothing_written);
