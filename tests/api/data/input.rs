//! Key and value rules and limits, byte-exact keys, and keys in paths.

use super::*;

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
