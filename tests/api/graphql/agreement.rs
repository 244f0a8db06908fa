//! REST and GraphQL agree: the same data, the same codes.

use super::*;

async fn rest_and_graphql_see_the_same_data(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    let token = user.token.as_str();

    // Stored over REST, read and changed over GraphQL.
    app.store(&user, "from rest/1", "rest value").await;
    let body = entry(&app, token, "from rest/1").await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["entry"]["value"], "rest value");
    assert_eq!(body["data"]["entry"]["version"], 1);
    let body = update(&app, token, "from rest/1", "graphql value").await;
    assert_eq!(body["data"]["updateEntry"]["version"], 2, "{body}");
    let read = send(app.get(&rest_data_path("from rest/1")).bearer_auth(token)).await;
    assert_eq!(read.status, StatusCode::OK, "{read:?}");
    assert_eq!(read.body["data"]["value"], "graphql value");

    // Stored over GraphQL, read and changed over REST.
    store(&app, token, "from graphql?", "gql value").await;
    let read = send(app.get(&rest_data_path("from graphql?")).bearer_auth(token)).await;
    assert_eq!(read.status, StatusCode::OK, "{read:?}");
    assert_eq!(read.body["data"]["key"], "from graphql?");
    assert_eq!(read.body["data"]["value"], "gql value");
    let put = send(
        app.client()
            .put(app.url(&rest_data_path("from graphql?")))
            .bearer_auth(token)
            .json(&json!({ "value": "rest update" })),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{put:?}");
    let body = entry(&app, token, "from graphql?").await;
    assert_eq!(body["data"]["entry"]["value"], "rest update");
    assert_eq!(body["data"]["entry"]["version"], 2);

    // The listing shows both; a REST delete is seen by GraphQL.
    let pages = walk(&app, token, None, None).await;
    let keys: Vec<String> = pages.iter().flat_map(node_keys).collect();
    assert_eq!(keys, ["from graphql?", "from rest/1"]);
    let removed = send(
        app.client()
            .delete(app.url(&rest_data_path("from rest/1")))
            .bearer_auth(token),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{removed:?}");
    assert_key_not_found(&entry(&app, token, "from rest/1").await);

    // Same key conflicts across transports.
    let body = gql(
        &app,
        Some(token),
        &store_mutation(),
        json!({ "key": "from graphql?", "value": "x" }),
    )
    .await;
    assert_rejected(&body, "KEY_EXISTS");
    let rest = send(
        app.post_json(
            "/api/data",
            &json!({ "key": "from graphql?", "value": "x" }),
        )
        .bearer_auth(token),
    )
    .await;
    assert_error(&rest, StatusCode::CONFLICT, "KEY_EXISTS");

    // A GraphQL-registered account signs in over REST, and the reverse.
    let username = unique_username();
    let registered = register(&app, &register_input(&username)).await;
    let rest = send(app.post_json(
        "/api/token",
        &json!({ "username": username, "password": PASSWORD }),
    ))
    .await;
    assert_eq!(rest.status, StatusCode::OK, "{rest:?}");
    let rest_token = rest.body["data"]["access_token"].as_str().expect("token");
    let me = gql(&app, Some(rest_token), ME, Value::Null).await;
    assert_eq!(me["data"]["me"], registered);
    let account = app.register_account().await;
    let gql_token = token_for(&app, &account.username, &account.password).await;
    let me = gql(&app, Some(&gql_token), ME, Value::Null).await;
    assert_no_errors(&me);
    assert_eq!(me["data"]["me"]["id"], account.user_id.as_str());
    assert_eq!(me["data"]["me"]["username"], account.username.as_str());
}
backend_test!(rest_and_graphql_see_the_same_data);

async fn the_same_bad_input_gets_the_same_code_on_both(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--max-value-bytes", "16")
        .build()
        .await;
    let user = app.signed_in().await;
    let token = user.token.as_str();

    // Entries.
    for (key, value, code) in [
        ("k".repeat(256), "v".to_owned(), "INVALID_KEY"),
        ("é".repeat(128), "v".to_owned(), "INVALID_KEY"),
        (String::new(), "v".to_owned(), "INVALID_KEY"),
        ("fine".to_owned(), "v".repeat(17), "INVALID_VALUE"),
    ] {
        let rest = send(
            app.post_json("/api/data", &json!({ "key": key, "value": value }))
                .bearer_auth(token),
        )
        .await;
        assert_error(&rest, StatusCode::BAD_REQUEST, code);
        let body = gql(
            &app,
            Some(token),
            &store_mutation(),
            json!({ "key": key, "value": value }),
        )
        .await;
        assert_rejected(&body, code);
    }
    let rest = send(app.get(&rest_data_path("nothing")).bearer_auth(token)).await;
    assert_error(&rest, StatusCode::NOT_FOUND, "KEY_NOT_FOUND");
    assert_key_not_found(&entry(&app, token, "nothing").await);

    // Registrations: the same input gets the same code.
    let username = unique_username();
    let valid = register_input(&username);
    let with = |field: &str, value: Value| with_field(&valid, field, value);
    let cases = [
        (with("username", json!("x!")), "INVALID_USERNAME"),
        (with("email", json!("nope@")), "INVALID_EMAIL"),
        (with("password", json!("short")), "INVALID_PASSWORD"),
        (with("password", json!("password")), "INVALID_PASSWORD"),
        (with("fullName", json!(" \t ")), "INVALID_REQUEST"),
        (with("age", json!(0)), "INVALID_AGE"),
        (with("age", json!(151)), "INVALID_AGE"),
        (with("gender", json!("")), "GENDER_REQUIRED"),
    ];
    for (input, code) in &cases {
        let rest = send(app.post_json("/api/register", &rest_registration(input))).await;
        assert_error(&rest, StatusCode::BAD_REQUEST, code);
        let body = gql(&app, None, REGISTER, json!({ "input": input })).await;
        assert_rejected(&body, code);
    }

    // Uniqueness, across transports and in both directions.
    let rest = send(app.post_json("/api/register", &rest_registration(&valid))).await;
    assert_eq!(rest.status, StatusCode::CREATED, "{rest:?}");
    let mut clash = register_input(&username.to_uppercase());
    clash["email"] = json!(format!("x{}", valid["email"].as_str().unwrap()));
    let body = gql(&app, None, REGISTER, json!({ "input": clash })).await;
    assert_rejected(&body, "USERNAME_EXISTS");
    let rest = send(app.post_json("/api/register", &rest_registration(&clash))).await;
    assert_error(&rest, StatusCode::CONFLICT, "USERNAME_EXISTS");

    let other = unique_username();
    register(&app, &register_input(&other)).await;
    let mut clash = register_input(&other.to_uppercase());
    clash["email"] = json!(format!(
        "y{}",
        register_input(&other)["email"].as_str().unwrap()
    ));
    let rest = send(app.post_json("/api/register", &rest_registration(&clash))).await;
    assert_error(&rest, StatusCode::CONFLICT, "USERNAME_EXISTS");
    let mut clash = register_input(&unique_username());
    clash["email"] = json!(
        register_input(&other)["email"]
            .as_str()
            .unwrap()
            .to_uppercase()
    );
    let rest = send(app.post_json("/api/register", &rest_registration(&clash))).await;
    assert_error(&rest, StatusCode::CONFLICT, "EMAIL_EXISTS");
    let body = gql(&app, None, REGISTER, json!({ "input": clash })).await;
    assert_rejected(&body, "EMAIL_EXISTS");

    // Credentials: empty ones are MISSING_FIELDS, wrong ones INVALID_CREDENTIALS.
    for (login, password) in [("", PASSWORD), (other.as_str(), "")] {
        let attempt = json!({ "username": login, "password": password });
        let rest = send(app.post_json("/api/token", &attempt)).await;
        assert_error(&rest, StatusCode::BAD_REQUEST, "MISSING_FIELDS");
        assert_rejected(&gql(&app, None, TOKEN, attempt).await, "MISSING_FIELDS");
    }
    let wrong = json!({ "username": other, "password": "Wrong-Password-123" });
    let rest = send(app.post_json("/api/token", &wrong)).await;
    assert_error(&rest, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS");
    assert_rejected(&gql(&app, None, TOKEN, wrong).await, "INVALID_CREDENTIALS");
}
backend_test!(the_same_bad_input_gets_the_same_code_on_both);
