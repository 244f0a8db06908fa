//! Every error code as `extensions.code`, and the registration and entry rules.

use super::*;

async fn registration_rules_give_their_codes_and_create_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let username = unique_username();
    let valid = register_input(&username);
    let with = |field: &str, value: Value| with_field(&valid, field, value);
    let cases = [
        (with("username", json!("ab")), "INVALID_USERNAME"),
        (with("username", json!("has space")), "INVALID_USERNAME"),
        (with("username", json!("u".repeat(33))), "INVALID_USERNAME"),
        (with("email", json!("not-an-email")), "INVALID_EMAIL"),
        (
            with("email", json!("Name <a@example.com>")),
            "INVALID_EMAIL",
        ),
        (with("password", json!("short")), "INVALID_PASSWORD"),
        (with("password", json!("p".repeat(73))), "INVALID_PASSWORD"),
        (
            with("password", json!(username.to_uppercase())),
            "INVALID_PASSWORD",
        ),
        (with("password", json!("password")), "INVALID_PASSWORD"),
        (with("fullName", json!("   ")), "INVALID_REQUEST"),
        (with("fullName", json!("")), "INVALID_REQUEST"),
        (with("fullName", json!("n".repeat(256))), "INVALID_REQUEST"),
        (with("age", json!(0)), "INVALID_AGE"),
        (with("age", json!(151)), "INVALID_AGE"),
        (with("age", json!(-1)), "INVALID_AGE"),
        (with("gender", json!("")), "GENDER_REQUIRED"),
        (with("gender", json!("   ")), "GENDER_REQUIRED"),
        (with("gender", json!("g".repeat(65))), "GENDER_REQUIRED"),
        // The first broken rule in the contract's order answers.
        (
            {
                let mut both = with("username", json!("ab"));
                both["age"] = json!(0);
                both
            },
            "INVALID_USERNAME",
        ),
    ];
    for (input, code) in &cases {
        let body = gql(&app, None, REGISTER, json!({ "input": input })).await;
        assert_rejected(&body, code);
        assert_eq!(body["errors"][0]["path"], json!(["register"]), "{body}");
    }
    // None of the rejected inputs created the account.
    let user = register(&app, &valid).await;
    assert_eq!(user["username"], username.as_str());
}
backend_test!(registration_rules_give_their_codes_and_create_nothing);

async fn usernames_and_emails_are_unique_regardless_of_case(backend: Backend) {
    let app = TestApp::new(backend).await;
    let username = format!("Uniq{}", unique_username());
    let first = register_input(&username);
    register(&app, &first).await;

    let mut same_username = register_input(&username.to_lowercase());
    same_username["email"] = json!(format!("other-{}", first["email"].as_str().unwrap()));
    let body = gql(&app, None, REGISTER, json!({ "input": same_username })).await;
    assert_rejected(&body, "USERNAME_EXISTS");

    let mut same_email = register_input(&unique_username());
    same_email["email"] = json!(first["email"].as_str().unwrap().to_uppercase());
    let body = gql(&app, None, REGISTER, json!({ "input": same_email })).await;
    assert_rejected(&body, "EMAIL_EXISTS");
}
backend_test!(usernames_and_emails_are_unique_regardless_of_case);

async fn wrong_credentials_are_invalid_credentials(backend: Backend) {
    let app = TestApp::new(backend).await;
    let username = unique_username();
    register(&app, &register_input(&username)).await;
    for (login, password) in [
        (username.as_str(), "Wrong-Password-123"),
        (username.as_str(), &PASSWORD[1..]),
        ("nobody-has-this-name", PASSWORD),
        // Never truncated to bcrypt's 72 bytes: a longer guess is wrong.
        (username.as_str(), &format!("{PASSWORD}{}", "x".repeat(80))),
    ] {
        let body = gql(
            &app,
            None,
            TOKEN,
            json!({ "username": login, "password": password }),
        )
        .await;
        assert_rejected(&body, "INVALID_CREDENTIALS");
    }
}
backend_test!(wrong_credentials_are_invalid_credentials);

async fn token_attempts_are_rate_limited_across_both_transports(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--token-rate-limit", "3")
        .build()
        .await;
    let username = unique_username();
    register(&app, &register_input(&username)).await;
    let wrong = json!({ "username": username, "password": "Not-The-Password-9" });

    // REST and GraphQL draw on the same allowance (README: every token
    // request per client address and username).
    let rest = send(app.post_json("/api/token", &wrong)).await;
    assert_error(&rest, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS");
    for _ in 0..2 {
        let body = gql(&app, None, TOKEN, wrong.clone()).await;
        assert_rejected(&body, "INVALID_CREDENTIALS");
    }
    let limited = gql(&app, None, TOKEN, wrong.clone()).await;
    assert_rejected(&limited, "RATE_LIMITED");

    // Once limited, even the right password waits.
    let right = gql(
        &app,
        None,
        TOKEN,
        json!({ "username": username.to_uppercase(), "password": PASSWORD }),
    )
    .await;
    assert_rejected(&right, "RATE_LIMITED");

    // And REST is limited by the GraphQL attempts.
    let rest = send(app.post_json("/api/token", &wrong)).await;
    assert_error(&rest, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED");
}
backend_test!(token_attempts_are_rate_limited_across_both_transports);

async fn a_rate_limited_answer_says_when_to_retry(backend: Backend) {
    // Contract section 3: RATE_LIMITED comes "with Retry-After". GraphQL
    // answers 200 (README), but the header still belongs on the response,
    // as WWW-Authenticate does for INVALID_TOKEN.
    let app = TestApp::builder(backend)
        .option("--token-rate-limit", "1")
        .build()
        .await;
    let username = unique_username();
    register(&app, &register_input(&username)).await;
    let wrong = json!({ "username": username, "password": "Not-The-Password-9" });
    assert_rejected(
        &gql(&app, None, TOKEN, wrong.clone()).await,
        "INVALID_CREDENTIALS",
    );

    let limited = gql_reply(&app, None, TOKEN, wrong).await;
    assert_eq!(limited.status, StatusCode::OK, "{limited:?}");
    assert_graphql_response(&limited.body);
    assert_rejected(&limited.body, "RATE_LIMITED");
    let retry_after: u64 = limited
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After must be whole seconds: {limited:?}"));
    assert!(retry_after >= 1, "{limited:?}");
}
backend_test!(a_rate_limited_answer_says_when_to_retry);

async fn protected_operations_need_a_valid_token(backend: Backend) {
    let app = TestApp::new(backend).await;
    let username = unique_username();
    let user = register(&app, &register_input(&username)).await;
    let user_id = user["id"].as_str().expect("id");
    let now = chrono::Utc::now().timestamp();
    let forged = sign(
        "a-different-secret-0123456789abcdefgh",
        user_id,
        now,
        now + 3600,
    );
    let expired = sign(JWT_SECRET, user_id, now - 7200, now - 60);
    let unknown_account = sign(JWT_SECRET, "999999999", now, now + 3600);
    let not_an_id = sign(JWT_SECRET, "not-an-id", now, now + 3600);
    // Unsigned (`alg: none`) with valid claims for the real account.
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD
            .encode(json!({ "sub": user_id, "iat": now, "exp": now + 3600 }).to_string()),
    );

    let authorizations = [
        None,
        Some("Bearer garbage".to_owned()),
        Some("Bearer ".to_owned()),
        Some("Basic dXNlcjpwYXNz".to_owned()),
        Some(format!("Bearer {forged}")),
        Some(format!("Bearer {expired}")),
        Some(format!("Bearer {unknown_account}")),
        Some(format!("Bearer {not_an_id}")),
        Some(format!("Bearer {unsigned}")),
    ];
    for authorization in &authorizations {
        for (query, variables) in protected_operations() {
            let mut request = app.post_json("/graphql", &request_body(&query, variables));
            if let Some(value) = authorization {
                request = request.header("authorization", value);
            }
            let reply = send(request).await;
            let context = format!("{authorization:?} on {query}: {reply:?}");
            assert_eq!(reply.status, StatusCode::OK, "{context}");
            assert_graphql_response(&reply.body);
            assert_code(&reply.body, "INVALID_TOKEN");
            let challenge = reply.header("www-authenticate").unwrap_or_default();
            assert!(challenge.starts_with("Bearer"), "{context}");
            // `entry` is nullable: its failure leaves data an object.
            if query.contains("entry(key") {
                assert!(reply.body["data"]["entry"].is_null(), "{context}");
            } else {
                assert!(reply.body["data"].is_null(), "{context}");
            }
        }
    }

    // Nothing was stored by any of the refused calls.
    let token = token_for(&app, &username, PASSWORD).await;
    assert_key_not_found(&entry(&app, &token, "k").await);
}
backend_test!(protected_operations_need_a_valid_token);

async fn entry_errors_have_their_codes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    store(&app, &token, "taken", "first").await;

    // KEY_EXISTS keeps the first value.
    let body = gql(
        &app,
        Some(&token),
        &store_mutation(),
        json!({ "key": "taken", "value": "second" }),
    )
    .await;
    assert_rejected(&body, "KEY_EXISTS");
    assert_eq!(
        entry(&app, &token, "taken").await["data"]["entry"]["value"],
        "first"
    );

    // KEY_NOT_FOUND for every operation on a missing key; update creates nothing.
    assert_key_not_found(&entry(&app, &token, "missing").await);
    assert_rejected(&update(&app, &token, "missing", "v").await, "KEY_NOT_FOUND");
    assert_rejected(&delete(&app, &token, "missing").await, "KEY_NOT_FOUND");
    assert_key_not_found(&entry(&app, &token, "missing").await);

    // INVALID_KEY: empty, or over 255 bytes (counted in bytes).
    for key in ["".to_owned(), "k".repeat(256), "é".repeat(128)] {
        let body = entry(&app, &token, &key).await;
        assert_code(&body, "INVALID_KEY");
        assert!(body["data"]["entry"].is_null(), "{body}");
        let body = gql(
            &app,
            Some(&token),
            &store_mutation(),
            json!({ "key": key, "value": "v" }),
        )
        .await;
        assert_rejected(&body, "INVALID_KEY");
        assert_rejected(&update(&app, &token, &key, "v").await, "INVALID_KEY");
        assert_rejected(&delete(&app, &token, &key).await, "INVALID_KEY");
    }
}
backend_test!(entry_errors_have_their_codes);

async fn values_over_the_configured_limit_are_invalid_value(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--max-value-bytes", "16")
        .build()
        .await;
    let token = signed_in(&app).await;
    store(&app, &token, "ascii", &"a".repeat(16)).await;
    store(&app, &token, "multibyte", &"é".repeat(8)).await;

    for value in ["a".repeat(17), "é".repeat(9), format!("{}a", "é".repeat(8))] {
        let body = gql(
            &app,
            Some(&token),
            &store_mutation(),
            json!({ "key": "over", "value": value }),
        )
        .await;
        assert_rejected(&body, "INVALID_VALUE");
        assert_rejected(
            &update(&app, &token, "ascii", &value).await,
            "INVALID_VALUE",
        );
    }
    assert_key_not_found(&entry(&app, &token, "over").await);
    let kept = entry(&app, &token, "ascii").await;
    assert_eq!(kept["data"]["entry"]["value"], "a".repeat(16));
    assert_eq!(kept["data"]["entry"]["version"], 1);
}
backend_test!(values_over_the_configured_limit_are_invalid_value);

async fn bad_page_arguments_are_invalid_request(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    store(&app, &token, "a", "v").await;

    for first in [0, 101, -1] {
        let body = gql(&app, Some(&token), KEYS, json!({ "first": first })).await;
        assert_rejected(&body, "INVALID_REQUEST");
    }
    // Not base64url; padding; bytes that are not UTF-8 (0xFF).
    for after in ["!!!", "not a cursor", "YQ==", "_w"] {
        let body = gql(&app, Some(&token), KEYS, json!({ "after": after })).await;
        assert_rejected(&body, "INVALID_REQUEST");
    }
    // The bounds themselves are allowed.
    for first in [1, 100] {
        let body = gql(&app, Some(&token), KEYS, json!({ "first": first })).await;
        assert_no_errors(&body);
        assert_eq!(node_keys(&body["data"]["entries"]), ["a"]);
    }
}
backend_test!(bad_page_arguments_are_invalid_request);

async fn malformed_documents_get_graphql_codes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;

    for query in ["{ me { id ", "query {", "}", "not graphql at all", ""] {
        let body = gql(&app, Some(&token), query, Value::Null).await;
        assert_rejected(&body, "GRAPHQL_PARSE_FAILED");
    }

    let invalid = [
        // Unknown fields, on the root and on a type.
        ("{ nope }", Value::Null),
        ("{ me { id password } }", Value::Null),
        // Wrong argument types, a missing argument, a missing selection.
        (
            r#"{ entries(first: "ten") { nodes { key } } }"#,
            Value::Null,
        ),
        ("{ entry(key: 5) { key } }", Value::Null),
        ("{ entry { key } }", Value::Null),
        ("{ me }", Value::Null),
        // A variable of the wrong type.
        (
            "query($first: Int) { entries(first: $first) { nodes { key } } }",
            json!({ "first": "ten" }),
        ),
        // Integers outside GraphQL's Int.
        (
            "mutation { register(input: { username: \"abc\", email: \"a@b.co\", \
             password: \"Quartz-Lantern-47\", fullName: \"A\", age: 30.5, gender: \"x\" }) { id } }",
            Value::Null,
        ),
    ];
    for (query, variables) in invalid {
        let body = gql(&app, Some(&token), query, variables).await;
        // One mistake may be reported more than once (argument and value).
        let found = codes(&body);
        assert!(!found.is_empty(), "{query} is refused: {body}");
        assert!(
            found.iter().all(|c| c == "GRAPHQL_VALIDATION_FAILED"),
            "{query}: {body}"
        );
        assert!(body["data"].is_null(), "{query} did not run: {body}");
    }
}
backend_test!(malformed_documents_get_graphql_codes);
