//! `/api/data` and `/api/data/{key}`: the entry lifecycle, key and value
//! rules and limits, byte-exact keys, isolation between accounts, versions,
//! and racing writes.

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

async fn an_entry_goes_through_its_whole_life(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;

    let created = create(&app, &user, "greeting", "hello").await;
    assert_success(&created, StatusCode::CREATED, "Data stored successfully.");

    let read = app.read(&user, "greeting").await;
    assert_eq!(read.status, StatusCode::OK, "{read:?}");
    assert_eq!(read.body["status"], "success");
    assert_eq!(read.body["data"]["key"], "greeting");
    assert_eq!(read.body["data"]["value"], "hello");

    let updated = app.update(&user, "greeting", "bonjour").await;
    assert_success(&updated, StatusCode::OK, "Data updated successfully.");
    assert_eq!(app.value_of(&user, "greeting").await, "bonjour");

    let deleted = app.remove(&user, "greeting").await;
    assert_success(&deleted, StatusCode::OK, "Data deleted successfully.");
    let gone = app.read(&user, "greeting").await;
    assert_error(&gone, StatusCode::NOT_FOUND, "KEY_NOT_FOUND");
}
backend_test!(an_entry_goes_through_its_whole_life);

async fn storing_a_key_twice_is_key_exists_and_keeps_the_first_value(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "theme", "dark").await;

    let again = create(&app, &user, "theme", "light").await;
    assert_error(&again, StatusCode::CONFLICT, "KEY_EXISTS");
    assert_eq!(app.value_of(&user, "theme").await, "dark");
}
backend_test!(storing_a_key_twice_is_key_exists_and_keeps_the_first_value);

async fn a_missing_key_is_key_not_found_for_every_method(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    for reply in every_method_on(&app, &user, &data_path("nothing-here")).await {
        assert_error(&reply, StatusCode::NOT_FOUND, "KEY_NOT_FOUND");
    }
    // A failed update must not have created the key.
    assert_error(
        &app.read(&user, "nothing-here").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
}
backend_test!(a_missing_key_is_key_not_found_for_every_method);

async fn a_deleted_key_can_be_stored_again_from_version_1(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "cycle", "one").await;
    app.update(&user, "cycle", "two").await;
    assert_success(
        &app.remove(&user, "cycle").await,
        StatusCode::OK,
        "Data deleted successfully.",
    );
    assert_error(
        &app.remove(&user, "cycle").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );

    app.store(&user, "cycle", "three").await;
    assert_eq!(app.value_of(&user, "cycle").await, "three");
    assert_eq!(
        app.entry_version(&user.account.user_id, "cycle").await,
        Some(1)
    );
}
backend_test!(a_deleted_key_can_be_stored_again_from_version_1);

async fn data_routes_need_a_token(backend: Backend) {
    let app = TestApp::new(backend).await;
    let path = data_path("k");
    let replies = [
        send(app.post_json("/api/data", &json!({ "key": "k", "value": "v" }))).await,
        send(app.get(&path)).await,
        send(app.put_json(&path, &json!({ "value": "v" }))).await,
        send(app.delete(&path)).await,
    ];
    for reply in &replies {
        assert_error(reply, StatusCode::UNAUTHORIZED, "INVALID_TOKEN");
        assert!(reply.header("www-authenticate").is_some(), "{reply:?}");
    }
}
backend_test!(data_routes_need_a_token);

async fn keys_in_the_body_must_be_strings_of_1_to_255_bytes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    let bad_keys = [
        json!(""),
        json!("k".repeat(256)),
        // 128 characters but 256 bytes: the limit counts bytes.
        json!("é".repeat(128)),
        json!(42),
        json!(null),
        json!(true),
        json!(["k"]),
        json!({ "k": "v" }),
    ];
    for key in bad_keys {
        let reply = post(&app, &user, &json!({ "key": key, "value": "v" })).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_KEY");
    }
}
backend_test!(keys_in_the_body_must_be_strings_of_1_to_255_bytes);

async fn keys_in_the_path_over_255_bytes_are_invalid(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    for key in ["k".repeat(256), "é".repeat(128)] {
        for reply in every_method_on(&app, &user, &data_path(&key)).await {
            assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_KEY");
        }
    }
}
backend_test!(keys_in_the_path_over_255_bytes_are_invalid);

async fn malformed_percent_encoding_in_the_path_is_invalid_key(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    // Not hex, cut short, and escapes that decode to bytes that are not UTF-8.
    for raw in ["%zz", "abc%2", "%", "%FF", "%C3", "k%E9y"] {
        for reply in every_method_on(&app, &user, &format!("/api/data/{raw}")).await {
            assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_KEY");
        }
    }
}
backend_test!(malformed_percent_encoding_in_the_path_is_invalid_key);

async fn values_must_be_strings(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "existing", "v").await;
    let bad_values = [
        json!(42),
        json!(null),
        json!(false),
        json!(["v"]),
        json!({ "v": 1 }),
    ];
    for value in &bad_values {
        let reply = post(&app, &user, &json!({ "key": "fresh", "value": value })).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_VALUE");
        let reply = put_raw(
            &app,
            &user,
            &data_path("existing"),
            &json!({ "value": value }),
        )
        .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_VALUE");
    }

    // A missing value is just as invalid.
    let reply = post(&app, &user, &json!({ "key": "fresh" })).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_VALUE");
    let reply = put_raw(&app, &user, &data_path("existing"), &json!({})).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_VALUE");

    // Nothing was written by any of the rejected requests.
    assert_eq!(app.value_of(&user, "existing").await, "v");
    assert_error(
        &app.read(&user, "fresh").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
}
backend_test!(values_must_be_strings);

async fn data_bodies_must_be_json_objects(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "existing", "v").await;
    for body in ["[]", "\"text\"", "{", "not json"] {
        for path in ["/api/data".to_owned(), data_path("existing")] {
            let method = if path == "/api/data" {
                reqwest::Method::POST
            } else {
                reqwest::Method::PUT
            };
            let reply = send(
                app.request(method, &path)
                    .bearer_auth(&user.token)
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
            assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
        }
    }
}
backend_test!(data_bodies_must_be_json_objects);

async fn an_empty_value_is_allowed(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "blank", "").await;
    assert_eq!(app.value_of(&user, "blank").await, "");

    app.update(&user, "blank", "filled").await;
    let emptied = app.update(&user, "blank", "").await;
    assert_success(&emptied, StatusCode::OK, "Data updated successfully.");
    assert_eq!(app.value_of(&user, "blank").await, "");
}
backend_test!(an_empty_value_is_allowed);

async fn a_255_byte_key_is_accepted_and_returned_exactly(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    let ascii = "k".repeat(255);
    // 127 two-byte characters and one one-byte character: 255 bytes.
    let multibyte = format!("{}k", "é".repeat(127));
    for key in [ascii, multibyte] {
        assert_eq!(key.len(), 255);
        app.store(&user, &key, "v").await;
        assert_eq!(app.value_of(&user, &key).await, "v");
        let updated = app.update(&user, &key, "w").await;
        assert_success(&updated, StatusCode::OK, "Data updated successfully.");
        let deleted = app.remove(&user, &key).await;
        assert_success(&deleted, StatusCode::OK, "Data deleted successfully.");
    }
}
backend_test!(a_255_byte_key_is_accepted_and_returned_exactly);

async fn a_value_of_exactly_1_mib_is_stored_byte_for_byte(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    let values = [
        ("ascii", "a".repeat(MIB)),
        // Two-byte characters: 524288 characters, 1048576 bytes.
        ("two-byte", "é".repeat(MIB / 2)),
        // Three-byte characters plus one byte: 1048576 bytes.
        ("three-byte", format!("{}a", "€".repeat(MIB / 3))),
    ];
    for (key, value) in &values {
        assert_eq!(value.len(), MIB);
        app.store(&user, key, value).await;
        let read = app.value_of(&user, key).await;
        assert!(read == *value, "value of {key} came back changed");
    }
    // Updating to a maximal value is allowed too.
    let updated = app.update(&user, "ascii", &"z".repeat(MIB)).await;
    assert_success(&updated, StatusCode::OK, "Data updated successfully.");
    assert!(app.value_of(&user, "ascii").await == "z".repeat(MIB));
}
backend_test!(a_value_of_exactly_1_mib_is_stored_byte_for_byte);

async fn a_value_one_byte_over_1_mib_is_invalid_value(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "existing", "v").await;
    for value in ["a".repeat(MIB + 1), format!("{}a", "é".repeat(MIB / 2))] {
        assert_eq!(value.len(), MIB + 1);
        let created = create(&app, &user, "too-big", &value).await;
        assert_error(&created, StatusCode::BAD_REQUEST, "INVALID_VALUE");
        let updated = app.update(&user, "existing", &value).await;
        assert_error(&updated, StatusCode::BAD_REQUEST, "INVALID_VALUE");
    }
    assert_eq!(app.value_of(&user, "existing").await, "v");
    assert_error(
        &app.read(&user, "too-big").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
}
backend_test!(a_value_one_byte_over_1_mib_is_invalid_value);

async fn a_maximal_value_is_accepted_however_its_json_is_escaped(backend: Backend) {
    // With the default limits any value the rules allow must get through,
    // even when JSON escaping makes its body several times larger.
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    let quotes = "\"".repeat(MIB);
    let controls = "\u{1}".repeat(MIB);
    for (key, value) in [("quotes", &quotes), ("controls", &controls)] {
        app.store(&user, key, value).await;
        assert!(app.value_of(&user, key).await == *value, "{key} changed");
    }
}
backend_test!(a_maximal_value_is_accepted_however_its_json_is_escaped);

async fn the_value_limit_is_configurable_and_counts_bytes(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--max-value-bytes", "16")
        .build()
        .await;
    let user = app.signed_in().await;
    app.store(&user, "ascii", &"a".repeat(16)).await;
    app.store(&user, "multibyte", &"é".repeat(8)).await;

    for value in ["a".repeat(17), "é".repeat(9), format!("{}a", "é".repeat(8))] {
        let created = create(&app, &user, "over", &value).await;
        assert_error(&created, StatusCode::BAD_REQUEST, "INVALID_VALUE");
        let updated = app.update(&user, "ascii", &value).await;
        assert_error(&updated, StatusCode::BAD_REQUEST, "INVALID_VALUE");
    }
}
backend_test!(the_value_limit_is_configurable_and_counts_bytes);

async fn a_body_over_the_limit_is_payload_too_large(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--max-body-bytes", "2048")
        .build()
        .await;
    let user = app.signed_in().await;
    app.store(&user, "existing", "v").await;
    let big = "x".repeat(4096);

    let created = create(&app, &user, "big", &big).await;
    assert_error(&created, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE");
    let updated = app.update(&user, "existing", &big).await;
    assert_error(&updated, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE");
    let mut registration = crate::harness::registration("bigname", "big@example.com", &big);
    registration["full_name"] = json!(big);
    let registered = send(app.post_json("/api/register", &registration)).await;
    assert_error(
        &registered,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    );

    // A body under the limit still gets through.
    app.store(&user, "small", &"x".repeat(1024)).await;
    assert_eq!(app.value_of(&user, "existing").await, "v");
}
backend_test!(a_body_over_the_limit_is_payload_too_large);

async fn keys_compare_byte_for_byte(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    // Case, trailing space, accents, emoji and an encoded slash all make
    // different keys: six entries, not fewer.
    let keys = ["Key", "key", "key ", "kéy", "🔑key", "a/b"];
    for (i, key) in keys.iter().enumerate() {
        app.store(&user, key, &format!("value {i}")).await;
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(app.value_of(&user, key).await, format!("value {i}"));
    }
    // A similar key that was never stored stays missing.
    assert_error(
        &app.read(&user, "KEY").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
    // Deleting one of them leaves the others alone.
    app.remove(&user, "key").await;
    assert_eq!(app.value_of(&user, "Key").await, "value 0");
    assert_eq!(app.value_of(&user, "key ").await, "value 2");
}
backend_test!(keys_compare_byte_for_byte);

async fn an_encoded_slash_in_the_path_is_part_of_the_key(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "a/b", "slashed").await;
    let reply = send(app.get("/api/data/a%2Fb").bearer_auth(&user.token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["data"]["key"], "a/b");
    assert_eq!(reply.body["data"]["value"], "slashed");
    // Lower-case hex is the same key.
    let lower = send(app.get("/api/data/a%2fb").bearer_auth(&user.token)).await;
    assert_eq!(lower.body["data"]["value"], "slashed", "{lower:?}");
}
backend_test!(an_encoded_slash_in_the_path_is_part_of_the_key);

async fn keys_with_special_characters_round_trip_through_percent_encoding(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    let keys = [
        "what?",
        "100%",
        "%41",
        "#hash",
        "with space",
        "a+b",
        "q?x=1&y=2",
        "semi;colon",
        "tab\tand\nnewline",
        "...",
        "emoji 🎉🔑",
        "日本語のキー",
        "mixed/sep\\arators",
    ];
    for key in keys {
        app.store(&user, key, "first").await;
        assert_eq!(app.value_of(&user, key).await, "first", "key {key:?}");
        let updated = app.update(&user, key, "second").await;
        assert_success(&updated, StatusCode::OK, "Data updated successfully.");
        assert_eq!(app.value_of(&user, key).await, "second", "key {key:?}");
    }
    // `%41` was stored as those three characters, not as `A`.
    assert_error(
        &app.read(&user, "A").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
    for key in keys {
        let deleted = app.remove(&user, key).await;
        assert_success(&deleted, StatusCode::OK, "Data deleted successfully.");
    }
}
backend_test!(keys_with_special_characters_round_trip_through_percent_encoding);

async fn another_accounts_key_looks_exactly_like_a_missing_one(backend: Backend) {
    let app = TestApp::new(backend).await;
    let owner = app.signed_in().await;
    let other = app.signed_in().await;
    app.store(&owner, "secret", "owner's value").await;

    let theirs = every_method_on(&app, &other, &data_path("secret")).await;
    let missing = every_method_on(&app, &other, &data_path("no-such-key")).await;
    for (theirs, missing) in theirs.iter().zip(&missing) {
        assert_error(theirs, StatusCode::NOT_FOUND, "KEY_NOT_FOUND");
        assert_eq!(theirs.status, missing.status);
        assert_eq!(theirs.text, missing.text, "bodies must not differ");
        assert!(!theirs.text.contains("owner's value"));
    }

    // None of that touched the owner's entry.
    assert_eq!(app.value_of(&owner, "secret").await, "owner's value");
    assert_eq!(
        app.entry_version(&owner.account.user_id, "secret").await,
        Some(1)
    );
}
backend_test!(another_accounts_key_looks_exactly_like_a_missing_one);

async fn two_accounts_keep_separate_entries_under_one_key(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.signed_in().await;
    let bob = app.signed_in().await;
    app.store(&alice, "theme", "dark").await;
    // Not KEY_EXISTS: keys are scoped per account.
    app.store(&bob, "theme", "light").await;
    assert_eq!(app.value_of(&alice, "theme").await, "dark");
    assert_eq!(app.value_of(&bob, "theme").await, "light");

    app.update(&bob, "theme", "solarized").await;
    assert_eq!(app.value_of(&alice, "theme").await, "dark");
    assert_eq!(app.value_of(&bob, "theme").await, "solarized");

    assert_success(
        &app.remove(&bob, "theme").await,
        StatusCode::OK,
        "Data deleted successfully.",
    );
    assert_eq!(app.value_of(&alice, "theme").await, "dark");
    assert_error(
        &app.read(&bob, "theme").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
}
backend_test!(two_accounts_keep_separate_entries_under_one_key);

async fn the_version_starts_at_1_and_grows_by_1_per_update(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    let id = &user.account.user_id;
    app.store(&user, "counter", "0").await;
    assert_eq!(app.entry_version(id, "counter").await, Some(1));

    for n in 1..=3 {
        app.update(&user, "counter", &n.to_string()).await;
        assert_eq!(app.entry_version(id, "counter").await, Some(n + 1));
    }
    // Writing the same value again is still an update.
    app.update(&user, "counter", "3").await;
    assert_eq!(app.entry_version(id, "counter").await, Some(5));

    // Failed writes do not count.
    let rejected = app.update(&user, "counter", &"x".repeat(MIB + 1)).await;
    assert_error(&rejected, StatusCode::BAD_REQUEST, "INVALID_VALUE");
    let duplicate = create(&app, &user, "counter", "again").await;
    assert_error(&duplicate, StatusCode::CONFLICT, "KEY_EXISTS");
    assert_eq!(app.entry_version(id, "counter").await, Some(5));

    app.remove(&user, "counter").await;
    assert_eq!(app.entry_version(id, "counter").await, None);
}
backend_test!(the_version_starts_at_1_and_grows_by_1_per_update);

async fn concurrent_stores_of_one_key_have_one_winner(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let user = Arc::new(app.signed_in().await);
    let attempts: Vec<_> = (0..16)
        .map(|i| {
            let (app, user) = (Arc::clone(&app), Arc::clone(&user));
            tokio::spawn(async move { create(&app, &user, "race", &format!("writer {i}")).await })
        })
        .collect();

    let mut winners = Vec::new();
    for (i, attempt) in attempts.into_iter().enumerate() {
        let reply = attempt.await.expect("store task");
        if reply.status == StatusCode::CREATED {
            winners.push(i);
        } else {
            assert_error(&reply, StatusCode::CONFLICT, "KEY_EXISTS");
        }
    }
    assert_eq!(winners.len(), 1, "exactly one store may win: {winners:?}");
    assert_eq!(
        app.value_of(&user, "race").await,
        format!("writer {}", winners[0])
    );
    assert_eq!(
        app.entry_version(&user.account.user_id, "race").await,
        Some(1)
    );
}
backend_test!(concurrent_stores_of_one_key_have_one_winner);

async fn concurrent_updates_each_bump_the_version_once(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let user = Arc::new(app.signed_in().await);
    app.store(&user, "busy", "start").await;
    let updates: Vec<_> = (0..10)
        .map(|i| {
            let (app, user) = (Arc::clone(&app), Arc::clone(&user));
            tokio::spawn(async move { app.update(&user, "busy", &format!("update {i}")).await })
        })
        .collect();
    for update in updates {
        let reply = update.await.expect("update task");
        assert_success(&reply, StatusCode::OK, "Data updated successfully.");
    }
    // No update was lost: 1 + 10.
    assert_eq!(
        app.entry_version(&user.account.user_id, "busy").await,
        Some(11)
    );
}
backend_test!(concurrent_updates_each_bump_the_version_once);

async fn concurrent_reads_each_get_their_own_answer(backend: Backend) {
    // One reader task, so reads that arrive together share a query.
    let app = Arc::new(
        TestApp::builder(backend)
            .option("--db-readers", "1")
            .build()
            .await,
    );
    let alice = Arc::new(app.signed_in().await);
    let bob = Arc::new(app.signed_in().await);
    for i in 0..8 {
        app.store(&alice, &format!("k{i}"), &format!("alice {i}"))
            .await;
        app.store(&bob, &format!("k{i}"), &format!("bob {i}")).await;
    }
    app.store(&bob, "only-bob", "bob's").await;

    // Each of the 8 keys twice by both, plus keys that are missing for the
    // reader (absent, or another account's).
    let mut reads = Vec::new();
    for round in 0..2 {
        for i in 0..8 {
            reads.push((
                Arc::clone(&alice),
                format!("k{i}"),
                Some(format!("alice {i}")),
            ));
            reads.push((Arc::clone(&bob), format!("k{i}"), Some(format!("bob {i}"))));
        }
        reads.push((Arc::clone(&alice), format!("missing-{round}"), None));
        reads.push((Arc::clone(&alice), "only-bob".to_owned(), None));
    }
    let replies: Vec<_> = reads
        .iter()
        .map(|(user, key, _)| {
            let (app, user, key) = (Arc::clone(&app), Arc::clone(user), key.clone());
            tokio::spawn(async move { app.read(&user, &key).await })
        })
        .collect();

    for ((_, key, expected), reply) in reads.iter().zip(replies) {
        let reply = reply.await.expect("read task");
        match expected {
            Some(value) => {
                assert_eq!(reply.status, StatusCode::OK, "{key}: {reply:?}");
                assert_eq!(reply.body["data"]["key"], key.as_str());
                assert_eq!(reply.body["data"]["value"], value.as_str(), "{key}");
            }
            None => assert_error(&reply, StatusCode::NOT_FOUND, "KEY_NOT_FOUND"),
        }
    }
}
backend_test!(concurrent_reads_each_get_their_own_answer);
