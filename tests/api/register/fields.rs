//! The username, email, full name, age and gender rules, and bodies that are not registrations.

use super::*;

async fn usernames_must_be_3_to_32_allowed_characters(backend: Backend) {
    let app = TestApp::new(backend).await;
    let bad = [
        "",
        "ab",
        &"a".repeat(33),
        "has space",
        "kéy",
        "a/b",
        "semi;colon",
        "at@sign",
    ];
    let bodies: Vec<Value> = bad.iter().map(|u| with("username", json!(u))).collect();
    expect_rejected(&app, "INVALID_USERNAME", &bodies).await;

    // The boundaries and every allowed character class are accepted.
    let tag = format!("{:06x}", rand::random::<u32>() & 0xff_ffff);
    let good = [
        format!("a{}", &tag[..2]),
        format!("{tag}{}", "x".repeat(26)),
        format!("A.b-C_9{tag}"),
    ];
    assert_eq!(good[0].len(), 3);
    assert_eq!(good[1].len(), 32);
    let bodies: Vec<Value> = good
        .iter()
        .map(|u| registration(u, &format!("{u}@example.com"), PASSWORD))
        .collect();
    expect_accepted(&app, &bodies).await;
}
backend_test!(usernames_must_be_3_to_32_allowed_characters);

async fn emails_must_be_valid_addresses_of_at_most_254_characters(backend: Backend) {
    let app = TestApp::new(backend).await;
    let bad = [
        "".to_owned(),
        "not-an-email".to_owned(),
        "missing-domain@".to_owned(),
        "@missing-local.example".to_owned(),
        "two@@example.com".to_owned(),
        "spa ce@example.com".to_owned(),
        "Name <name@example.com>".to_owned(),
        long_email(255),
    ];
    let bodies: Vec<Value> = bad.iter().map(|e| with("email", json!(e))).collect();
    expect_rejected(&app, "INVALID_EMAIL", &bodies).await;

    // Exactly 254 characters is still allowed.
    expect_accepted(&app, &[with("email", json!(long_email(254)))]).await;
}
backend_test!(emails_must_be_valid_addresses_of_at_most_254_characters);

/// A syntactically valid address of exactly `len` characters (250..=256):
/// a 64-character local part and a domain of labels of at most 63.
fn long_email(len: usize) -> String {
    let local = format!("{:08x}{}", rand::random::<u32>(), "l".repeat(56));
    let last_label = "d".repeat(len - 64 - 1 - 64 - 64);
    let email = format!("{local}@{}.{}.{last_label}", "b".repeat(63), "c".repeat(63));
    assert_eq!(email.len(), len);
    email
}

async fn full_name_must_be_a_non_blank_string_of_at_most_255_characters(backend: Backend) {
    let app = TestApp::new(backend).await;
    let bodies = [
        without("full_name"),
        with("full_name", Value::Null),
        with("full_name", json!(42)),
        with("full_name", json!(["Ada"])),
        with("full_name", json!("")),
        with("full_name", json!("   \t ")),
        with("full_name", json!("n".repeat(256))),
    ];
    expect_rejected(&app, "INVALID_REQUEST", &bodies).await;

    // 255 characters is the limit, counted in characters, not bytes.
    expect_accepted(
        &app,
        &[
            with("full_name", json!("n".repeat(255))),
            with("full_name", json!("é".repeat(255))),
            with("full_name", json!("X")),
        ],
    )
    .await;
}
backend_test!(full_name_must_be_a_non_blank_string_of_at_most_255_characters);

async fn age_must_be_a_json_integer_from_1_to_150(backend: Backend) {
    let app = TestApp::new(backend).await;
    let bodies = [
        without("age"),
        with("age", Value::Null),
        with("age", json!(30.5)),
        with("age", json!("30")),
        with("age", json!(0)),
        with("age", json!(-1)),
        with("age", json!(151)),
        with("age", json!(100_000)),
        with("age", json!(true)),
    ];
    expect_rejected(&app, "INVALID_AGE", &bodies).await;

    expect_accepted(&app, &[with("age", json!(1)), with("age", json!(150))]).await;
}
backend_test!(age_must_be_a_json_integer_from_1_to_150);

async fn gender_is_required_and_at_most_64_characters(backend: Backend) {
    let app = TestApp::new(backend).await;
    let bodies = [
        without("gender"),
        with("gender", Value::Null),
        with("gender", json!("")),
        with("gender", json!("g".repeat(65))),
    ];
    expect_rejected(&app, "GENDER_REQUIRED", &bodies).await;

    // Free text, up to 64 characters (not bytes).
    expect_accepted(
        &app,
        &[
            with("gender", json!("male")),
            with("gender", json!("g".repeat(64))),
            with("gender", json!("ö".repeat(64))),
        ],
    )
    .await;
}
backend_test!(gender_is_required_and_at_most_64_characters);

async fn the_returned_fields_echo_what_was_registered(backend: Backend) {
    let app = TestApp::new(backend).await;
    let body = with("gender", json!("two-spirit"));
    let reply = register(&app, &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    for field in ["username", "email", "full_name", "age", "gender"] {
        assert_eq!(reply.body["data"][field], body[field], "field {field}");
    }
}
backend_test!(the_returned_fields_echo_what_was_registered);

async fn missing_or_non_string_credentials_are_invalid_requests(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut bodies = Vec::new();
    for field in ["username", "email", "password"] {
        bodies.push(without(field));
        bodies.push(with(field, Value::Null));
        bodies.push(with(field, json!(12345678)));
        bodies.push(with(field, json!(["x"])));
        bodies.push(with(field, json!({ "value": "x" })));
    }
    expect_rejected(&app, "INVALID_REQUEST", &bodies).await;
}
backend_test!(missing_or_non_string_credentials_are_invalid_requests);

/// Posts `body` to `/api/register` as JSON text, exactly as given.
async fn register_raw(app: &TestApp, body: &'static str) -> Reply {
    send(
        app.request(reqwest::Method::POST, "/api/register")
            .header("content-type", "application/json")
            .body(body),
    )
    .await
}

async fn a_body_that_is_not_a_json_object_is_an_invalid_request(backend: Backend) {
    let app = TestApp::new(backend).await;
    for body in [
        "[]",
        "\"text\"",
        "42",
        "null",
        "true",
        "[{\"username\":\"x\"}]",
    ] {
        let reply = register_raw(&app, body).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    }
}
backend_test!(a_body_that_is_not_a_json_object_is_an_invalid_request);

async fn malformed_json_is_an_invalid_request(backend: Backend) {
    let app = TestApp::new(backend).await;
    for body in ["", "{", "{\"username\": }", "{'username': 'x'}", "not json"] {
        let reply = register_raw(&app, body).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    }
}
backend_test!(malformed_json_is_an_invalid_request);

async fn a_body_not_sent_as_json_is_an_invalid_request(backend: Backend) {
    let app = TestApp::new(backend).await;
    let json_text = valid_body().to_string();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut request = app
            .request(reqwest::Method::POST, "/api/register")
            .body(json_text.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let reply = send(request).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    }
}
backend_test!(a_body_not_sent_as_json_is_an_invalid_request);
