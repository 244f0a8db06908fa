//! Every operation of contract section 5, through its whole life.

use super::*;

async fn register_returns_the_user_with_every_field(backend: Backend) {
    let app = TestApp::new(backend).await;
    let username = format!("Mixed{}", unique_username());
    let input = register_input(&username);
    let reply = gql_reply(&app, None, REGISTER, json!({ "input": input })).await;
    assert!(
        !reply.text.contains("$2"),
        "nothing looking like a bcrypt hash: {reply:?}"
    );
    assert!(!reply.text.contains(PASSWORD), "no password: {reply:?}");
    let body = reply.body;
    assert_graphql_response(&body);
    assert_no_errors(&body);
    let user = &body["data"]["register"];

    let id = user["id"].as_str().expect("id is a string (ID)");
    assert!(!id.is_empty(), "{user}");
    assert_eq!(
        user["username"],
        username.as_str(),
        "username as registered"
    );
    assert_eq!(user["email"], input["email"]);
    assert_eq!(user["fullName"], "Grace Hopper");
    assert_eq!(user["age"], 85);
    assert_eq!(user["gender"], "female");
    rfc3339(&user["createdAt"]);
    let mut fields: Vec<&str> = user
        .as_object()
        .expect("User is an object")
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "age",
            "createdAt",
            "email",
            "fullName",
            "gender",
            "id",
            "username"
        ]
    );

    // A second account gets another id.
    let other = register(&app, &register_input(&unique_username())).await;
    assert_ne!(other["id"], user["id"]);
}
backend_test!(register_returns_the_user_with_every_field);

async fn token_returns_a_bearer_token_that_me_accepts(backend: Backend) {
    let app = TestApp::new(backend).await;
    let username = format!("Case{}", unique_username());
    let registered = register(&app, &register_input(&username)).await;

    // Usernames log in in any case (README).
    for login in [
        username.clone(),
        username.to_lowercase(),
        username.to_uppercase(),
    ] {
        let body = gql(
            &app,
            None,
            TOKEN,
            json!({ "username": login, "password": PASSWORD }),
        )
        .await;
        assert_no_errors(&body);
        let token = &body["data"]["token"];
        assert_eq!(token["tokenType"], "Bearer", "{body}");
        assert_eq!(token["expiresIn"], 3600, "the test server's TTL: {body}");
        let access = token["accessToken"].as_str().expect("accessToken");
        assert_eq!(access.split('.').count(), 3, "a JWT: {access}");

        let me = gql(&app, Some(access), ME, Value::Null).await;
        assert_no_errors(&me);
        assert_eq!(me["data"]["me"], registered, "me is the registered account");
    }
}
backend_test!(token_returns_a_bearer_token_that_me_accepts);

async fn the_token_lifetime_is_configurable(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--token-ttl-secs", "120")
        .build()
        .await;
    let username = unique_username();
    register(&app, &register_input(&username)).await;
    let body = gql(
        &app,
        None,
        TOKEN,
        json!({ "username": username, "password": PASSWORD }),
    )
    .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["token"]["expiresIn"], 120, "{body}");
}
backend_test!(the_token_lifetime_is_configurable);

async fn an_entry_goes_through_its_whole_life(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;

    let stored = store(&app, &token, "greeting", "hello").await;
    assert_eq!(stored["key"], "greeting");
    assert_eq!(stored["value"], "hello");
    assert_eq!(stored["version"], 1);
    assert_eq!(
        rfc3339(&stored["createdAt"]),
        rfc3339(&stored["updatedAt"]),
        "a new entry was created when it was last written: {stored}"
    );

    let read = entry(&app, &token, "greeting").await;
    assert_no_errors(&read);
    assert_eq!(read["data"]["entry"], stored, "entry reads what was stored");

    let mut previous = stored.clone();
    for (version, value) in [(2, "bonjour"), (3, "hola"), (4, "")] {
        // Timestamps have microseconds; a short pause keeps updatedAt from
        // landing on the same tick on a coarse clock.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let body = update(&app, &token, "greeting", value).await;
        assert_no_errors(&body);
        let updated = &body["data"]["updateEntry"];
        assert_eq!(updated["key"], "greeting");
        assert_eq!(updated["value"], value);
        assert_eq!(updated["version"], version, "version grows by 1: {updated}");
        assert_eq!(
            updated["createdAt"], stored["createdAt"],
            "createdAt stays: {updated}"
        );
        assert!(
            rfc3339(&updated["updatedAt"]) > rfc3339(&previous["updatedAt"]),
            "updatedAt moves forward: {previous} then {updated}"
        );
        let read = entry(&app, &token, "greeting").await;
        assert_eq!(&read["data"]["entry"], updated, "entry reads the update");
        previous = updated.clone();
    }

    let body = delete(&app, &token, "greeting").await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["deleteEntry"], previous,
        "deleteEntry returns the entry as it was"
    );
    assert_key_not_found(&entry(&app, &token, "greeting").await);
    assert_code(&delete(&app, &token, "greeting").await, "KEY_NOT_FOUND");

    // Stored again, the key starts over at version 1.
    let again = store(&app, &token, "greeting", "again").await;
    assert_eq!(again["version"], 1, "{again}");
}
backend_test!(an_entry_goes_through_its_whole_life);

async fn a_missing_entry_is_null_with_key_not_found_and_the_rest_still_answers(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    store(&app, &token, "present", "here").await;

    assert_key_not_found(&entry(&app, &token, "absent").await);

    let body = gql(
        &app,
        Some(&token),
        r#"{ me { username } entry(key: "absent") { key } present: entry(key: "present") { value } }"#,
        Value::Null,
    )
    .await;
    assert_code(&body, "KEY_NOT_FOUND");
    assert_eq!(body["errors"][0]["path"], json!(["entry"]), "{body}");
    let data = &body["data"];
    assert!(data.is_object(), "data is not null: {body}");
    assert!(data["entry"].is_null(), "{body}");
    assert!(data["me"]["username"].is_string(), "{body}");
    assert_eq!(data["present"]["value"], "here", "{body}");
}
backend_test!(a_missing_entry_is_null_with_key_not_found_and_the_rest_still_answers);

async fn keys_are_exact_and_any_characters(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    let keys = [
        "Key",
        "key",
        "key ",
        "kéy",
        "a/b?c=d&e#f",
        "100%_done",
        "🙂 emoji",
        &"k".repeat(255),
        &format!("{}k", "é".repeat(127)),
    ];
    for (n, key) in keys.iter().enumerate() {
        store(&app, &token, key, &format!("value {n}")).await;
    }
    for (n, key) in keys.iter().enumerate() {
        let body = entry(&app, &token, key).await;
        assert_no_errors(&body);
        assert_eq!(body["data"]["entry"]["key"], *key);
        assert_eq!(body["data"]["entry"]["value"], format!("value {n}"));
    }
}
backend_test!(keys_are_exact_and_any_characters);

async fn entry_ids_are_stable_per_account_and_key(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    let other = signed_in(&app).await;
    let id_of = |body: &Value, field: &str| {
        let id = body["data"][field]["id"].as_str().map(str::to_owned);
        id.unwrap_or_else(|| panic!("no {field}.id in {body}"))
    };
    let with_id = |mutation: String| mutation.replace("{ key value", "{ id key value");
    let stored = gql(
        &app,
        Some(&token),
        &with_id(store_mutation()),
        json!({ "key": "theme", "value": "dark" }),
    )
    .await;
    let id = id_of(&stored, "storeEntry");
    let updated = gql(
        &app,
        Some(&token),
        &with_id(update_mutation()),
        json!({ "key": "theme", "value": "light" }),
    )
    .await;
    assert_eq!(id_of(&updated, "updateEntry"), id, "{updated}");
    let read = gql(
        &app,
        Some(&token),
        &with_id(entry_query()),
        json!({ "key": "theme" }),
    )
    .await;
    assert_eq!(id_of(&read, "entry"), id, "{read}");
    let page = gql(
        &app,
        Some(&token),
        "{ entries { nodes { id key } } }",
        Value::Null,
    )
    .await;
    assert_eq!(
        page["data"]["entries"]["nodes"][0]["id"],
        id.as_str(),
        "{page}"
    );

    // Deleted and stored again, it is the same entry to a cache.
    gql(
        &app,
        Some(&token),
        &delete_mutation(),
        json!({ "key": "theme" }),
    )
    .await;
    let again = gql(
        &app,
        Some(&token),
        &with_id(store_mutation()),
        json!({ "key": "theme", "value": "blue" }),
    )
    .await;
    assert_eq!(id_of(&again, "storeEntry"), id, "{again}");

    // Another key, or another account's same key, is another id.
    for (token, key) in [(&token, "Theme"), (&other, "theme")] {
        let body = gql(
            &app,
            Some(token),
            &with_id(store_mutation()),
            json!({ "key": key, "value": "x" }),
        )
        .await;
        assert_ne!(id_of(&body, "storeEntry"), id, "{body}");
    }
}
backend_test!(entry_ids_are_stable_per_account_and_key);
