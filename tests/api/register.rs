//! `POST /api/register`: the success envelope, every validation rule of
//! contract section 2, uniqueness, and racing registrations.

use std::process::Command;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{
    Backend, PASSWORD, Reply, TestApp, assert_error, assert_success, backend_independent_test,
    backend_test, registration, send, unique_username,
};

/// A valid registration body for a fresh username.
fn valid_body() -> Value {
    let username = unique_username();
    let email = format!("{username}@example.com");
    registration(&username, &email, PASSWORD)
}

/// A valid body with one field replaced (`Value::Null` is sent as JSON null).
fn with(field: &str, value: Value) -> Value {
    let mut body = valid_body();
    body[field] = value;
    body
}

/// A valid body without one field.
fn without(field: &str) -> Value {
    let mut body = valid_body();
    body.as_object_mut()
        .expect("registration bodies are objects")
        .remove(field);
    body
}

async fn register(app: &TestApp, body: &Value) -> Reply {
    send(app.post_json("/api/register", body)).await
}

/// Sends each body and expects a 400 with `code` for every one of them.
async fn expect_rejected(app: &TestApp, code: &str, bodies: &[Value]) {
    for body in bodies {
        let reply = register(app, body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{code} expected for {body}: {reply:?}"
        );
        assert_error(&reply, StatusCode::BAD_REQUEST, code);
    }
}

/// Sends each body and expects 201 for every one of them.
async fn expect_accepted(app: &TestApp, bodies: &[Value]) {
    for body in bodies {
        let reply = register(app, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "for {body}: {reply:?}");
    }
}

async fn register_returns_the_account_in_the_documented_envelope(backend: Backend) {
    let app = TestApp::new(backend).await;
    let username = unique_username();
    let email = format!("{username}@Example.com");
    let body = json!({
        "username": username,
        "email": email,
        "password": PASSWORD,
        "full_name": "Ada Lovelace",
        "age": 36,
        "gender": "female",
    });

    let reply = register(&app, &body).await;

    assert_success(&reply, StatusCode::CREATED, "User successfully registered!");
    let data = &reply.body["data"];
    let user_id = data["user_id"].as_str().expect("user_id is a string");
    assert!(
        !user_id.is_empty() && user_id.bytes().all(|b| b.is_ascii_digit()),
        "user_id is the id as a string: {user_id:?}"
    );
    assert_eq!(data["username"], username.as_str());
    assert_eq!(data["email"], email.as_str());
    assert_eq!(data["full_name"], "Ada Lovelace");
    assert_eq!(data["age"], 36);
    assert_eq!(data["gender"], "female");
    assert_no_secrets(&reply);
}
backend_test!(register_returns_the_account_in_the_documented_envelope);

/// Neither the password nor anything shaped like its hash is ever sent back.
fn assert_no_secrets(reply: &Reply) {
    assert!(!reply.text.contains(PASSWORD), "password echoed: {reply:?}");
    assert!(!reply.text.contains("$2"), "bcrypt hash leaked: {reply:?}");
    let lowered = reply.text.to_lowercase();
    assert!(
        !lowered.contains("password") && !lowered.contains("hash"),
        "password fields in {reply:?}"
    );
}

async fn each_registration_gets_its_own_id(backend: Backend) {
    let app = TestApp::new(backend).await;
    let first = app.register_account().await;
    let second = app.register_account().await;
    assert_ne!(first.user_id, second.user_id);
}
backend_test!(each_registration_gets_its_own_id);

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

async fn passwords_must_be_8_to_72_bytes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let bad = [
        "Xq7#vbn".to_owned(),              // 7 bytes
        "äöüx".to_owned(),                 // 4 characters, 7 bytes
        format!("Xq7#{}", "v".repeat(69)), // 73 bytes
        "é".repeat(37),                    // 37 characters, 74 bytes
        format!("{}Xq7#", "€".repeat(23)), // 27 characters, 73 bytes
    ];
    let bodies: Vec<Value> = bad.iter().map(|p| with("password", json!(p))).collect();
    expect_rejected(&app, "INVALID_PASSWORD", &bodies).await;

    // Length is counted in bytes: 4 two-byte characters are enough.
    expect_accepted(&app, &[with("password", json!("äöüß"))]).await;
}
backend_test!(passwords_must_be_8_to_72_bytes);

async fn a_password_of_exactly_72_bytes_is_accepted_and_logs_in(backend: Backend) {
    let app = TestApp::new(backend).await;
    let passwords = [
        format!("Xq7#{}", "v".repeat(68)),
        // 36 characters, 72 bytes.
        "é".repeat(36),
    ];
    for password in passwords {
        assert_eq!(password.len(), 72);
        let username = unique_username();
        let body = registration(&username, &format!("{username}@example.com"), &password);
        expect_accepted(&app, &[body]).await;
        let token = send(app.post_json(
            "/api/token",
            &json!({ "username": username, "password": password }),
        ))
        .await;
        assert_eq!(token.status, StatusCode::OK, "{token:?}");
    }
}
backend_test!(a_password_of_exactly_72_bytes_is_accepted_and_logs_in);

async fn a_password_over_72_bytes_is_refused_not_truncated(backend: Backend) {
    // bcrypt only looks at 72 bytes; an account must never be created whose
    // password would silently match any string with the same first 72 bytes.
    let app = TestApp::new(backend).await;
    let long = format!("Xq7#{}", "v".repeat(70));
    let reply = register(&app, &with("password", json!(long))).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_PASSWORD");
}
backend_test!(a_password_over_72_bytes_is_refused_not_truncated);

async fn passwords_must_not_equal_the_username_or_email_in_any_case(backend: Backend) {
    let app = TestApp::new(backend).await;
    let username = format!("Carol{}", unique_username());
    let email = format!("Dave.{username}@Example.com");
    let bodies = [
        registration(&username, &email, &username.to_lowercase()),
        registration(&username, &email, &username.to_uppercase()),
        registration(&username, &email, &email.to_lowercase()),
        registration(&username, &email, &email.to_uppercase()),
    ];
    expect_rejected(&app, "INVALID_PASSWORD", &bodies).await;
    // The username itself stayed free.
    expect_accepted(&app, &[registration(&username, &email, PASSWORD)]).await;
}
backend_test!(passwords_must_not_equal_the_username_or_email_in_any_case);

async fn common_passwords_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let bodies: Vec<Value> = ["password123", "password1", "qwerty123", "iloveyou"]
        .iter()
        .map(|p| with("password", json!(p)))
        .collect();
    expect_rejected(&app, "INVALID_PASSWORD", &bodies).await;
}
backend_test!(common_passwords_are_refused);

/// The list of common passwords zxcvbn ships, read from the crate's source
/// as Cargo.lock pins it (the crate keeps the list private).
fn zxcvbn_common_passwords() -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo metadata");
    assert!(output.status.success(), "cargo metadata failed: {output:?}");
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
    let manifest = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "zxcvbn"))
        .and_then(|package| package["manifest_path"].as_str())
        .expect("zxcvbn among the packages (a dev-dependency)");
    let source = std::path::Path::new(manifest).with_file_name("src/frequency_lists.rs");
    let text = std::fs::read_to_string(&source).expect("reading zxcvbn's frequency lists");
    let list = text
        .split_once("const PASSWORDS: &str = \"")
        .and_then(|(_, rest)| rest.split_once("\";"))
        .map(|(list, _)| list)
        .unwrap_or_else(|| panic!("{} no longer holds the PASSWORDS list", source.display()));
    list.split(',').map(str::to_owned).collect()
}

/// Contract section 11: every 8–72-byte entry, in any letter case. Each
/// entry is sent in one of three cases (as listed, upper case, or with
/// every other letter raised), so all three are walked across the list.
async fn every_common_password_of_zxcvbn_is_refused(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let list = zxcvbn_common_passwords();
    assert_eq!(list.len(), 30_000, "zxcvbn's list changed size");
    let candidates: Vec<String> = list
        .iter()
        .filter(|p| (8..=72).contains(&p.len()))
        .enumerate()
        .map(|(i, p)| match i % 3 {
            0 => p.clone(),
            1 => p.to_uppercase(),
            _ => p
                .chars()
                .enumerate()
                .map(|(j, c)| {
                    if j % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect(),
        })
        .collect();
    assert!(candidates.len() > 10_000, "{} candidates", candidates.len());
    let chunks: Vec<Vec<String>> = candidates
        .chunks(candidates.len() / 16 + 1)
        .map(<[_]>::to_vec)
        .collect();
    let mut workers = tokio::task::JoinSet::new();
    for chunk in chunks {
        let app = Arc::clone(&app);
        workers.spawn(async move {
            let username = unique_username();
            let email = format!("{username}@example.com");
            for password in chunk {
                let reply = register(&app, &registration(&username, &email, &password)).await;
                assert_eq!(
                    (reply.status, reply.body["code"].as_str()),
                    (StatusCode::BAD_REQUEST, Some("INVALID_PASSWORD")),
                    "{password:?} was not refused: {reply:?}"
                );
            }
        });
    }
    while let Some(worker) = workers.join_next().await {
        worker.expect("a common password was accepted");
    }
}
backend_independent_test!(every_common_password_of_zxcvbn_is_refused);

async fn password_messages_say_which_rule_was_broken(backend: Backend) {
    let app = TestApp::new(backend).await;
    let username = unique_username();
    let email = format!("{username}@example.com");
    let attempts = [
        registration(&username, &email, "Xq7#vbn"),
        registration(&username, &email, &"v".repeat(73)),
        registration(&username, &email, &username),
        registration(&username, &email, "password123"),
    ];
    let mut messages = Vec::new();
    for body in &attempts {
        let reply = register(&app, body).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_PASSWORD");
        messages.push(
            reply.body["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let mut distinct = messages.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        messages.len(),
        "too short, too long, same as username and too common need different messages: {messages:?}"
    );
}
backend_test!(password_messages_say_which_rule_was_broken);

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

async fn usernames_are_unique_regardless_of_case(backend: Backend) {
    let app = TestApp::new(backend).await;
    let name = format!("Alice{}", unique_username());
    let first = registration(&name, &format!("first.{name}@example.com"), PASSWORD);
    expect_accepted(&app, &[first]).await;

    for clash in [name.to_lowercase(), name.to_uppercase(), name.clone()] {
        let body = registration(&clash, &format!("other.{clash}@example.com"), PASSWORD);
        let reply = register(&app, &body).await;
        assert_error(&reply, StatusCode::CONFLICT, "USERNAME_EXISTS");
    }
}
backend_test!(usernames_are_unique_regardless_of_case);

async fn emails_are_unique_regardless_of_case(backend: Backend) {
    let app = TestApp::new(backend).await;
    let email = format!("Bob.{}@Example.COM", unique_username());
    expect_accepted(&app, &[registration(&unique_username(), &email, PASSWORD)]).await;

    for clash in [email.to_lowercase(), email.to_uppercase(), email.clone()] {
        let body = registration(&unique_username(), &clash, PASSWORD);
        let reply = register(&app, &body).await;
        assert_error(&reply, StatusCode::CONFLICT, "EMAIL_EXISTS");
    }
}
backend_test!(emails_are_unique_regardless_of_case);

/// Which of the two unique indexes a clash ran into is told by the index,
/// never by the duplicate value (which MariaDB's message also holds).
async fn a_clash_is_told_by_its_index_whatever_the_values_contain(backend: Backend) {
    let app = TestApp::new(backend).await;
    let suffix = &unique_username()[4..];
    let email_user = format!("email_{suffix}");
    let username_email = format!("username.{suffix}@example.com");
    expect_accepted(
        &app,
        &[registration(&email_user, &username_email, PASSWORD)],
    )
    .await;
    // A username containing "email" clashes as a username.
    let reply = register(
        &app,
        &registration(
            &email_user.to_uppercase(),
            &format!("other.{suffix}@example.com"),
            PASSWORD,
        ),
    )
    .await;
    assert_error(&reply, StatusCode::CONFLICT, "USERNAME_EXISTS");
    // An email containing "username" clashes as an email.
    let reply = register(
        &app,
        &registration(
            &format!("other_{suffix}"),
            &username_email.to_uppercase(),
            PASSWORD,
        ),
    )
    .await;
    assert_error(&reply, StatusCode::CONFLICT, "EMAIL_EXISTS");
    // An email that spells out another index's name, as MariaDB would
    // quote it, is still an email.
    let spoof = format!("\"x' for key 'users_username_key' {suffix}\"@example.com");
    expect_accepted(
        &app,
        &[registration(&format!("spoof_{suffix}"), &spoof, PASSWORD)],
    )
    .await;
    let reply = register(
        &app,
        &registration(&format!("again_{suffix}"), &spoof, PASSWORD),
    )
    .await;
    assert_error(&reply, StatusCode::CONFLICT, "EMAIL_EXISTS");
}
backend_test!(a_clash_is_told_by_its_index_whatever_the_values_contain);

async fn a_rejected_registration_changes_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let taken = app.register_account().await;
    let username = unique_username();
    let email = format!("{username}@example.com");

    // Invalid: nothing may be stored.
    let mut invalid = registration(&username, &email, PASSWORD);
    invalid["age"] = json!(0);
    expect_rejected(&app, "INVALID_AGE", &[invalid]).await;
    // A clash on the email: the username must not be claimed either.
    let clash = registration(&username, &taken.email, PASSWORD);
    let reply = register(&app, &clash).await;
    assert_error(&reply, StatusCode::CONFLICT, "EMAIL_EXISTS");

    // Both the username and the email are still free.
    expect_accepted(&app, &[registration(&username, &email, PASSWORD)]).await;
}
backend_test!(a_rejected_registration_changes_nothing);

async fn concurrent_registrations_of_one_username_have_one_winner(backend: Backend) {
    let app = std::sync::Arc::new(TestApp::new(backend).await);
    let username = unique_username();
    let attempts: Vec<_> = (0..12)
        .map(|i| {
            let app = std::sync::Arc::clone(&app);
            // Each attempt varies the case and the email, so only the
            // case-insensitive username index can decide.
            let name = if i % 2 == 0 {
                username.to_uppercase()
            } else {
                username.clone()
            };
            let body = registration(&name, &format!("racer{i}.{username}@example.com"), PASSWORD);
            tokio::spawn(async move { send(app.post_json("/api/register", &body)).await })
        })
        .collect();

    let mut created = 0;
    for attempt in attempts {
        let reply = attempt.await.expect("registration task");
        if reply.status == StatusCode::CREATED {
            created += 1;
        } else {
            assert_error(&reply, StatusCode::CONFLICT, "USERNAME_EXISTS");
        }
    }
    assert_eq!(created, 1, "exactly one registration may win");
}
backend_test!(concurrent_registrations_of_one_username_have_one_winner);
