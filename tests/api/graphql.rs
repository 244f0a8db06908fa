//! `/graphql`: every operation of contract section 5, every error code as
//! `extensions.code`, pagination, the document limits, isolation between
//! accounts, agreement with the REST layer, the HTTP transport (batches,
//! GET, GraphiQL) and the checked-in SDL.
//!
//! Only the harness's stable surface is used here (see `harness.rs`); the
//! GraphQL helpers live in this file.

use std::path::Path;
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, FixedOffset};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{
    JWT_SECRET, PASSWORD, Reply, TestApp, assert_error, backend_test, send, unique_username,
};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The GraphQL request body for `query` (variables left out when null).
fn request_body(query: &str, variables: Value) -> Value {
    let mut body = json!({ "query": query });
    if !variables.is_null() {
        body["variables"] = variables;
    }
    body
}

/// `POST /graphql` with any JSON body, optionally with a bearer token.
async fn post_graphql(app: &TestApp, token: Option<&str>, body: &Value) -> Reply {
    let mut request = app.post_json("/graphql", body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send(request).await
}

/// Runs one document over `POST /graphql` and returns the raw reply.
async fn gql_reply(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Reply {
    post_graphql(app, token, &request_body(query, variables)).await
}

/// Runs one document over `POST /graphql` and returns the response body,
/// after checking what every answer from the schema shares: HTTP 200, a
/// GraphQL response object, and well-formed errors (see
/// [`assert_graphql_response`]).
async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let reply = gql_reply(app, token, query, variables).await;
    assert_eq!(reply.status, StatusCode::OK, "status of {reply:?}");
    assert_graphql_response(&reply.body);
    reply.body
}

/// Text that would show database internals if it reached a client.
const LEAKS: [&str; 11] = [
    "sql", // also mysql, sqlite
    "diesel",
    "mariadb",
    "select ",
    "insert into",
    "delete from",
    "duplicate entry",
    "unique constraint",
    "foreign key",
    "panicked",
    "backtrace",
];

/// A GraphQL response: an object with `data` and/or `errors`, where every
/// error has a non-empty message, a string `extensions.code`, and a message
/// that shows nothing of the database.
#[track_caller]
fn assert_graphql_response(body: &Value) {
    let object = body
        .as_object()
        .unwrap_or_else(|| panic!("a GraphQL response is a JSON object: {body}"));
    assert!(
        object.contains_key("data") || object.contains_key("errors"),
        "a GraphQL response has data or errors: {body}"
    );
    for error in errors_of(body) {
        let message = error["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "errors have a message: {body}");
        assert!(
            error["extensions"]["code"].is_string(),
            "every error carries extensions.code: {body}"
        );
        let lowered = message.to_lowercase();
        for leak in LEAKS {
            assert!(
                !lowered.contains(leak),
                "an error message shows {leak:?}: {body}"
            );
        }
    }
}

/// The errors of a GraphQL response (empty when there are none).
fn errors_of(body: &Value) -> Vec<Value> {
    body["errors"].as_array().cloned().unwrap_or_default()
}

/// The `extensions.code` of every error, in order.
fn codes(body: &Value) -> Vec<String> {
    errors_of(body)
        .iter()
        .map(|error| {
            error["extensions"]["code"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

/// Exactly one error, with `code`.
#[track_caller]
fn assert_code(body: &Value, code: &str) {
    assert_eq!(codes(body), [code], "error codes of {body}");
}

/// No errors at all.
#[track_caller]
fn assert_no_errors(body: &Value) {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
}

/// Runs each named operation of `document` and checks every one is refused
/// with `code` before anything of it runs (a limit applies to the whole document).
async fn assert_each_operation_rejected(
    app: &TestApp,
    token: &str,
    document: &str,
    operations: &[&str],
    code: &str,
) {
    for operation in operations {
        let reply = post_graphql(
            app,
            Some(token),
            &json!({ "query": document, "operationName": operation }),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert_graphql_response(&reply.body);
        assert_rejected(&reply.body, code);
    }
}

/// A document or field that failed as a whole: `data` absent or null, and one
/// error with `code`.
#[track_caller]
fn assert_rejected(body: &Value, code: &str) {
    assert_code(body, code);
    assert!(
        body["data"].is_null(),
        "a rejected document has no data: {body}"
    );
}

/// `/api/data/{key}` with the key percent-encoded.
fn rest_data_path(key: &str) -> String {
    format!("/api/data/{}", utf8_percent_encode(key, NON_ALPHANUMERIC))
}

/// A GraphQL `RegisterInput` that passes every rule.
fn register_input(username: &str) -> Value {
    json!({
        "username": username,
        "email": format!("{}@example.com", username.to_lowercase()),
        "password": PASSWORD,
        "fullName": "Grace Hopper",
        "age": 85,
        "gender": "female",
    })
}

/// The same input as a REST registration body (`fullName` is `full_name`).
fn rest_registration(input: &Value) -> Value {
    let mut body = input.clone();
    let object = body.as_object_mut().expect("inputs are objects");
    let full_name = object.remove("fullName").expect("input has fullName");
    object.insert("full_name".to_owned(), full_name);
    body
}

const REGISTER: &str = "mutation Register($input: RegisterInput!) {
    register(input: $input) { id username email fullName age gender createdAt }
}";

const TOKEN: &str = "mutation Token($username: String!, $password: String!) {
    token(username: $username, password: $password) { accessToken tokenType expiresIn }
}";

const ME: &str = "{ me { id username email fullName age gender createdAt } }";

/// Every field of an entry, for the entry queries and mutations below.
const ENTRY_FIELDS: &str = "key value version createdAt updatedAt";

fn entry_query() -> String {
    format!("query Entry($key: String!) {{ entry(key: $key) {{ {ENTRY_FIELDS} }} }}")
}

fn store_mutation() -> String {
    format!(
        "mutation Store($key: String!, $value: String!) {{ \
         storeEntry(key: $key, value: $value) {{ {ENTRY_FIELDS} }} }}"
    )
}

fn update_mutation() -> String {
    format!(
        "mutation Update($key: String!, $value: String!) {{ \
         updateEntry(key: $key, value: $value) {{ {ENTRY_FIELDS} }} }}"
    )
}

fn delete_mutation() -> String {
    format!("mutation Delete($key: String!) {{ deleteEntry(key: $key) {{ {ENTRY_FIELDS} }} }}")
}

const PAGE: &str = "query Page($prefix: String, $first: Int, $after: String) {
    entries(prefix: $prefix, first: $first, after: $after) {
        edges { cursor node { key value version } }
        nodes { key value version }
        pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
    }
}";

/// Just the keys of a page: cheap enough for `first: 100` under the
/// default complexity limit (100 x 2), where [`PAGE`] costs 100 x 15.
const KEYS: &str = "query Keys($prefix: String, $first: Int, $after: String) {
    entries(prefix: $prefix, first: $first, after: $after) {
        nodes { key }
        pageInfo { hasNextPage }
    }
}";

/// Registers over GraphQL and returns the `User` it answered.
async fn register(app: &TestApp, input: &Value) -> Value {
    let body = gql(app, None, REGISTER, json!({ "input": input })).await;
    assert_no_errors(&body);
    body["data"]["register"].clone()
}

/// A token from the `token` mutation.
async fn token_for(app: &TestApp, username: &str, password: &str) -> String {
    let body = gql(
        app,
        None,
        TOKEN,
        json!({ "username": username, "password": password }),
    )
    .await;
    assert_no_errors(&body);
    body["data"]["token"]["accessToken"]
        .as_str()
        .expect("accessToken is a string")
        .to_owned()
}

/// A fresh account and a token for it, both made through GraphQL.
async fn signed_in(app: &TestApp) -> String {
    let username = unique_username();
    register(app, &register_input(&username)).await;
    token_for(app, &username, PASSWORD).await
}

/// `entry(key)` as the response body.
async fn entry(app: &TestApp, token: &str, key: &str) -> Value {
    gql(app, Some(token), &entry_query(), json!({ "key": key })).await
}

/// `storeEntry` that must succeed; returns the entry.
async fn store(app: &TestApp, token: &str, key: &str, value: &str) -> Value {
    let body = gql(
        app,
        Some(token),
        &store_mutation(),
        json!({ "key": key, "value": value }),
    )
    .await;
    assert_no_errors(&body);
    body["data"]["storeEntry"].clone()
}

/// `updateEntry` as the response body.
async fn update(app: &TestApp, token: &str, key: &str, value: &str) -> Value {
    gql(
        app,
        Some(token),
        &update_mutation(),
        json!({ "key": key, "value": value }),
    )
    .await
}

/// `deleteEntry` as the response body.
async fn delete(app: &TestApp, token: &str, key: &str) -> Value {
    gql(app, Some(token), &delete_mutation(), json!({ "key": key })).await
}

/// Asserts `entry(key)` is null with a KEY_NOT_FOUND error at path `entry`.
#[track_caller]
fn assert_key_not_found(body: &Value) {
    assert_code(body, "KEY_NOT_FOUND");
    assert!(
        body["data"].is_object(),
        "data stays an object when only entry fails: {body}"
    );
    assert!(body["data"]["entry"].is_null(), "entry is null: {body}");
    assert_eq!(body["errors"][0]["path"], json!(["entry"]), "{body}");
}

/// Parses an RFC 3339 timestamp, or fails the test.
#[track_caller]
fn rfc3339(value: &Value) -> DateTime<FixedOffset> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("a DateTime is a string: {value}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|err| panic!("{text:?} is not RFC 3339: {err}"))
}

/// A token signed with `secret` for `sub`, valid from `iat` to `exp`.
fn sign(secret: &str, sub: &str, iat: i64, exp: i64) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({ "sub": sub, "iat": iat, "exp": exp }),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("signing a test token")
}

/// Keys of a page's `nodes`, in order.
fn node_keys(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .expect("nodes is a list")
        .iter()
        .map(|node| node["key"].as_str().expect("key is a string").to_owned())
        .collect()
}

/// Checks one page's internal agreement: `edges[i].node` equals `nodes[i]`,
/// each cursor is the base64url of its key (README), and start/end cursors
/// are the first and last edge's.
#[track_caller]
fn assert_page_consistent(connection: &Value) {
    let edges = connection["edges"].as_array().expect("edges is a list");
    let nodes = connection["nodes"].as_array().expect("nodes is a list");
    assert_eq!(edges.len(), nodes.len(), "{connection}");
    for (edge, node) in edges.iter().zip(nodes) {
        assert_eq!(
            &edge["node"], node,
            "edges and nodes disagree: {connection}"
        );
        let key = node["key"].as_str().expect("key is a string");
        assert_eq!(
            edge["cursor"],
            URL_SAFE_NO_PAD.encode(key.as_bytes()),
            "{connection}"
        );
    }
    let info = &connection["pageInfo"];
    match (edges.first(), edges.last()) {
        (Some(first), Some(last)) => {
            assert_eq!(info["startCursor"], first["cursor"], "{connection}");
            assert_eq!(info["endCursor"], last["cursor"], "{connection}");
        }
        _ => {
            assert!(info["startCursor"].is_null(), "{connection}");
            assert!(info["endCursor"].is_null(), "{connection}");
        }
    }
}

/// Walks every page of `entries(prefix, first)` by `endCursor`, checking
/// each page, and returns the pages.
async fn walk(app: &TestApp, token: &str, prefix: Option<&str>, first: Option<i64>) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        assert!(pages.len() < 100, "pagination does not end");
        let body = gql(
            app,
            Some(token),
            PAGE,
            json!({ "prefix": prefix, "first": first, "after": after }),
        )
        .await;
        assert_no_errors(&body);
        let connection = body["data"]["entries"].clone();
        assert_page_consistent(&connection);
        let info = &connection["pageInfo"];
        assert_eq!(
            info["hasPreviousPage"],
            after.is_some(),
            "hasPreviousPage is true exactly when after was given: {connection}"
        );
        let has_next = info["hasNextPage"].as_bool().expect("hasNextPage");
        after = info["endCursor"].as_str().map(str::to_owned);
        pages.push(connection);
        if !has_next {
            return pages;
        }
        assert!(after.is_some(), "a page with a next page has an endCursor");
    }
}

/// Every operation that needs a token, each as a document
/// with its variables.
fn protected_operations() -> Vec<(String, Value)> {
    vec![
        (ME.to_owned(), Value::Null),
        (entry_query(), json!({ "key": "k" })),
        ("{ entries { nodes { key } } }".to_owned(), Value::Null),
        (store_mutation(), json!({ "key": "k", "value": "v" })),
        (update_mutation(), json!({ "key": "k", "value": "v" })),
        (delete_mutation(), json!({ "key": "k" })),
    ]
}

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

async fn register_returns_the_user_with_every_field() {
    let app = TestApp::new().await;
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

async fn token_returns_a_bearer_token_that_me_accepts() {
    let app = TestApp::new().await;
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

async fn the_token_lifetime_is_configurable() {
    let app = TestApp::builder()
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

async fn an_entry_goes_through_its_whole_life() {
    let app = TestApp::new().await;
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

async fn a_missing_entry_is_null_with_key_not_found_and_the_rest_still_answers() {
    let app = TestApp::new().await;
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

async fn keys_are_exact_and_any_characters() {
    let app = TestApp::new().await;
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

// ---------------------------------------------------------------------------
// Error codes
// ---------------------------------------------------------------------------

async fn registration_rules_give_their_codes_and_create_nothing() {
    let app = TestApp::new().await;
    let username = unique_username();
    let valid = register_input(&username);
    let with = |field: &str, value: Value| {
        let mut input = valid.clone();
        input[field] = value;
        input
    };
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

async fn usernames_and_emails_are_unique_regardless_of_case() {
    let app = TestApp::new().await;
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

async fn wrong_credentials_are_invalid_credentials() {
    let app = TestApp::new().await;
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

async fn token_attempts_are_rate_limited_across_both_transports() {
    let app = TestApp::builder()
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

async fn a_rate_limited_answer_says_when_to_retry() {
    // Contract section 3: RATE_LIMITED comes "with Retry-After". GraphQL
    // answers 200 (README), but the header still belongs on the response,
    // as WWW-Authenticate does for INVALID_TOKEN.
    let app = TestApp::builder()
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

async fn protected_operations_need_a_valid_token() {
    let app = TestApp::new().await;
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

async fn entry_errors_have_their_codes() {
    let app = TestApp::new().await;
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

async fn values_over_the_configured_limit_are_invalid_value() {
    let app = TestApp::builder()
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

async fn bad_page_arguments_are_invalid_request() {
    let app = TestApp::new().await;
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

async fn malformed_documents_get_graphql_codes() {
    let app = TestApp::new().await;
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

// ---------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------

async fn entries_are_listed_in_byte_order_page_by_page() {
    let app = TestApp::new().await;
    let token = signed_in(&app).await;

    // `%` and `_` in the prefix must be literal, not LIKE wildcards.
    let prefix = "list%_";
    let suffixes = [
        "",
        "00",
        "01",
        "1",
        "10",
        "B",
        "Ba",
        "Z",
        "_",
        "__",
        "a",
        "aB",
        "b",
        "z",
        "%",
        "%%",
        " ",
        "~",
        "-",
        ".",
        "/",
        "é",
        "e",
        "\u{10FFFF}",
        "🙂",
    ];
    assert_eq!(suffixes.len(), 25);
    let mut listed: Vec<String> = suffixes.iter().map(|s| format!("{prefix}{s}")).collect();
    // Keys that a LIKE pattern, a case-insensitive comparison or a sloppy
    // upper bound would wrongly include.
    let decoys = [
        "listA_1", "list%x", "list%", "LIST%_a", "list_%_", "list%`", "list", "m",
    ];
    for key in listed.iter().map(String::as_str).chain(decoys) {
        store(&app, &token, key, &format!("v:{key}")).await;
    }
    listed.sort();
    assert!(
        listed.iter().position(|k| k.ends_with('B')) < listed.iter().position(|k| k.ends_with('a')),
        "the fixture puts B before a, as bytes do"
    );

    let pages = walk(&app, &token, Some(prefix), Some(7)).await;
    let sizes: Vec<usize> = pages.iter().map(|p| node_keys(p).len()).collect();
    assert_eq!(sizes, [7, 7, 7, 4], "pages of 7");
    let walked: Vec<String> = pages.iter().flat_map(node_keys).collect();
    assert_eq!(
        walked, listed,
        "every key with the prefix, once each, in byte order"
    );
    for page in &pages {
        for node in page["nodes"].as_array().expect("nodes") {
            assert_eq!(
                node["value"],
                format!("v:{}", node["key"].as_str().unwrap())
            );
            assert_eq!(node["version"], 1);
        }
    }
    let last = pages.last().expect("at least one page");
    assert_eq!(last["pageInfo"]["hasNextPage"], false);

    // Any edge's cursor continues right after that edge.
    let second = &pages[1];
    let cursor = second["edges"][2]["cursor"].clone();
    let body = gql(
        &app,
        Some(&token),
        PAGE,
        json!({ "prefix": prefix, "first": 3, "after": cursor }),
    )
    .await;
    assert_no_errors(&body);
    assert_eq!(node_keys(&body["data"]["entries"]), listed[10..13]);

    // Without a prefix: everything, 20 per page by default.
    let mut everything = listed.clone();
    everything.extend(decoys.iter().map(|k| (*k).to_owned()));
    everything.sort();
    let pages = walk(&app, &token, None, None).await;
    let sizes: Vec<usize> = pages.iter().map(|p| node_keys(p).len()).collect();
    assert_eq!(sizes, [20, 13], "the default page size is 20");
    let walked: Vec<String> = pages.iter().flat_map(node_keys).collect();
    assert_eq!(walked, everything);

    // One page of 100 holds it all; a prefix nothing has gives an empty page.
    let body = gql(&app, Some(&token), KEYS, json!({ "first": 100 })).await;
    assert_no_errors(&body);
    assert_eq!(node_keys(&body["data"]["entries"]), everything);
    assert_eq!(body["data"]["entries"]["pageInfo"]["hasNextPage"], false);
    let body = gql(&app, Some(&token), PAGE, json!({ "prefix": "list%_q" })).await;
    assert_no_errors(&body);
    let empty = &body["data"]["entries"];
    assert_page_consistent(empty);
    assert!(node_keys(empty).is_empty(), "{empty}");
    assert_eq!(empty["pageInfo"]["hasNextPage"], false);
}
backend_test!(entries_are_listed_in_byte_order_page_by_page);

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

/// The introspection query GraphiQL and code generators send
/// (graphql-js `getIntrospectionQuery()` with its defaults up to v16).
const INTROSPECTION_QUERY: &str = "
    query IntrospectionQuery {
      __schema {
        queryType { name }
        mutationType { name }
        subscriptionType { name }
        types { ...FullType }
        directives {
          name
          description
          locations
          args { ...InputValue }
        }
      }
    }

    fragment FullType on __Type {
      kind
      name
      description
      fields(includeDeprecated: true) {
        name
        description
        args { ...InputValue }
        type { ...TypeRef }
        isDeprecated
        deprecationReason
      }
      inputFields { ...InputValue }
      interfaces { ...TypeRef }
      enumValues(includeDeprecated: true) {
        name
        description
        isDeprecated
        deprecationReason
      }
      possibleTypes { ...TypeRef }
    }

    fragment InputValue on __InputValue {
      name
      description
      type { ...TypeRef }
      defaultValue
    }

    fragment TypeRef on __Type {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                  ofType {
                    kind
                    name
                  }
                }
              }
            }
          }
        }
      }
    }
";

/// graphql-js 17's `getIntrospectionQuery()` with every option on (schema
/// description, `specifiedByURL`, `isRepeatable`, deprecated input values,
/// `isOneOf`) and its default nine levels of `ofType`: the deepest standard
/// introspection query.
const FULL_INTROSPECTION_QUERY: &str = "
    query IntrospectionQuery {
      __schema {
        description
        queryType { name kind }
        mutationType { name kind }
        subscriptionType { name kind }
        types { ...FullType }
        directives {
          name
          description
          isRepeatable
          locations
          args(includeDeprecated: true) { ...InputValue }
        }
      }
    }

    fragment FullType on __Type {
      kind
      name
      description
      specifiedByURL
      isOneOf
      fields(includeDeprecated: true) {
        name
        description
        args(includeDeprecated: true) { ...InputValue }
        type { ...TypeRef }
        isDeprecated
        deprecationReason
      }
      inputFields(includeDeprecated: true) { ...InputValue }
      interfaces { ...TypeRef }
      enumValues(includeDeprecated: true) {
        name
        description
        isDeprecated
        deprecationReason
      }
      possibleTypes { ...TypeRef }
    }

    fragment InputValue on __InputValue {
      name
      description
      type { ...TypeRef }
      defaultValue
      isDeprecated
      deprecationReason
    }

    fragment TypeRef on __Type {
      kind
      name
      ofType {
        name
        kind
        ofType {
          name
          kind
          ofType {
            name
            kind
            ofType {
              name
              kind
              ofType {
                name
                kind
                ofType {
                  name
                  kind
                  ofType {
                    name
                    kind
                    ofType {
                      name
                      kind
                      ofType {
                        name
                        kind
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
";

/// An introspection document nested `levels` `ofType`s deep.
fn deep_introspection(levels: usize) -> String {
    format!(
        "{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}",
        "ofType { ".repeat(levels),
        " }".repeat(levels)
    )
}

async fn the_standard_introspection_query_passes() {
    let app = TestApp::new().await;
    let body = gql(&app, None, INTROSPECTION_QUERY, Value::Null).await;
    assert_no_errors(&body);
    let schema = &body["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    assert_eq!(schema["mutationType"]["name"], "Mutation");
    let types = schema["types"].as_array().expect("types");
    let fields_of = |name: &str| -> Vec<String> {
        let found = types
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("type {name} is served"));
        let fields = if found["kind"] == "INPUT_OBJECT" {
            &found["inputFields"]
        } else {
            &found["fields"]
        };
        fields
            .as_array()
            .unwrap_or_else(|| panic!("{name} has fields"))
            .iter()
            .map(|f| f["name"].as_str().expect("field name").to_owned())
            .collect()
    };
    // Every type and field the contract names is served.
    let contract: [(&str, &[&str]); 10] = [
        (
            "User",
            &[
                "id",
                "username",
                "email",
                "fullName",
                "age",
                "gender",
                "createdAt",
            ],
        ),
        ("AccessToken", &["accessToken", "tokenType", "expiresIn"]),
        (
            "Entry",
            &["key", "value", "version", "createdAt", "updatedAt"],
        ),
        ("EntryConnection", &["edges", "nodes", "pageInfo"]),
        ("EntryEdge", &["cursor", "node"]),
        (
            "PageInfo",
            &["hasPreviousPage", "hasNextPage", "startCursor", "endCursor"],
        ),
        (
            "RegisterInput",
            &["username", "email", "password", "fullName", "age", "gender"],
        ),
        ("Query", &["me", "entry", "entries"]),
        (
            "Mutation",
            &[
                "register",
                "token",
                "storeEntry",
                "updateEntry",
                "deleteEntry",
            ],
        ),
        ("DateTime", &[]),
    ];
    for (name, fields) in contract {
        if fields.is_empty() {
            assert!(types.iter().any(|t| t["name"] == name), "{name} is served");
            continue;
        }
        let served = fields_of(name);
        for field in fields {
            assert!(
                served.iter().any(|s| s == field),
                "{name}.{field} is served"
            );
        }
    }

    // The newest form, with every option GraphiQL can ask for and nine
    // levels of ofType (depth 15), passes too.
    let body = gql(&app, None, FULL_INTROSPECTION_QUERY, Value::Null).await;
    assert_no_errors(&body);
}
backend_test!(the_standard_introspection_query_passes);

async fn deeply_nested_documents_are_rejected_and_nothing_runs() {
    let app = TestApp::new().await;
    let token = signed_in(&app).await;

    let body = gql(&app, None, &deep_introspection(20), Value::Null).await;
    assert_rejected(&body, "GRAPHQL_DEPTH_LIMIT_EXCEEDED");

    // The mutation beside the deep query does not run.
    let document = format!(
        "mutation Write {{ storeEntry(key: \"deep\", value: \"v\") {{ key }} }}\n\
         query Deep {}",
        deep_introspection(20)
    );
    assert_each_operation_rejected(
        &app,
        &token,
        &document,
        &["Write", "Deep"],
        "GRAPHQL_DEPTH_LIMIT_EXCEEDED",
    )
    .await;
    assert_key_not_found(&entry(&app, &token, "deep").await);
}
backend_test!(deeply_nested_documents_are_rejected_and_nothing_runs);

async fn the_depth_limit_is_configurable() {
    let app = TestApp::builder()
        .option("--graphql-max-depth", "5")
        .build()
        .await;
    let body = gql(&app, None, &deep_introspection(0), Value::Null).await;
    assert_no_errors(&body);
    let body = gql(&app, None, &deep_introspection(3), Value::Null).await;
    assert_rejected(&body, "GRAPHQL_DEPTH_LIMIT_EXCEEDED");
}
backend_test!(the_depth_limit_is_configurable);

/// `count` aliased full pages of entries.
fn aliased_pages(count: usize) -> String {
    (0..count)
        .map(|n| {
            format!(
                "p{n}: entries(first: 100) {{ edges {{ cursor node {{ key value version createdAt updatedAt }} }} }}\n"
            )
        })
        .collect()
}

async fn many_aliased_full_pages_are_too_complex_and_nothing_runs() {
    let app = TestApp::new().await;
    let token = signed_in(&app).await;
    store(&app, &token, "existing", "v").await;

    // One full page is fine.
    let body = gql(
        &app,
        Some(&token),
        &format!("{{ {} }}", aliased_pages(1)),
        Value::Null,
    )
    .await;
    assert_no_errors(&body);

    let body = gql(
        &app,
        Some(&token),
        &format!("{{ {} }}", aliased_pages(5)),
        Value::Null,
    )
    .await;
    assert_rejected(&body, "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED");

    // A mutation in the same document does not happen, whichever operation
    // is asked for.
    let document = format!(
        "query Pages {{ {} }}\n\
         mutation Write {{ storeEntry(key: \"complex\", value: \"v\") {{ key }} }}",
        aliased_pages(5)
    );
    assert_each_operation_rejected(
        &app,
        &token,
        &document,
        &["Pages", "Write"],
        "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED",
    )
    .await;
    assert_key_not_found(&entry(&app, &token, "complex").await);
}
backend_test!(many_aliased_full_pages_are_too_complex_and_nothing_runs);

async fn the_complexity_limit_is_configurable_and_counts_first() {
    let app = TestApp::builder()
        .option("--graphql-max-complexity", "50")
        .build()
        .await;
    let token = signed_in(&app).await;
    // `entries` costs first x its selection (here 2: nodes and key).
    let query = |first: u32| format!("{{ entries(first: {first}) {{ nodes {{ key }} }} }}");
    let body = gql(&app, Some(&token), &query(20), Value::Null).await;
    assert_no_errors(&body);
    let body = gql(&app, Some(&token), &query(30), Value::Null).await;
    assert_rejected(&body, "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED");
    // The default page size of 20 counts when first is left out.
    let body = gql(
        &app,
        Some(&token),
        "{ entries { nodes { key value } } }",
        Value::Null,
    )
    .await;
    assert_rejected(&body, "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED");
}
backend_test!(the_complexity_limit_is_configurable_and_counts_first);

async fn hundreds_of_aliases_are_rejected_and_nothing_runs() {
    let app = TestApp::new().await;
    let token = signed_in(&app).await;

    let aliases =
        |count: usize| -> String { (0..count).map(|n| format!("a{n}: me {{ id }}\n")).collect() };
    // The default limit is 100 aliases.
    let body = gql(
        &app,
        Some(&token),
        &format!("{{ {} }}", aliases(100)),
        Value::Null,
    )
    .await;
    assert_no_errors(&body);
    let body = gql(
        &app,
        Some(&token),
        &format!("{{ {} }}", aliases(300)),
        Value::Null,
    )
    .await;
    assert_rejected(&body, "GRAPHQL_ALIAS_LIMIT_EXCEEDED");

    // Aliased mutations: not one of them runs.
    let writes: String = (0..300)
        .map(|n| format!("w{n}: storeEntry(key: \"alias-{n}\", value: \"v\") {{ key }}\n"))
        .collect();
    let body = gql(
        &app,
        Some(&token),
        &format!("mutation {{ {writes} }}"),
        Value::Null,
    )
    .await;
    assert_rejected(&body, "GRAPHQL_ALIAS_LIMIT_EXCEEDED");

    // Aliases hidden in fragments count too.
    let body = gql(
        &app,
        Some(&token),
        &format!(
            "{{ ...Many }} fragment Many on Query {{ {} }}",
            aliases(300)
        ),
        Value::Null,
    )
    .await;
    assert_rejected(&body, "GRAPHQL_ALIAS_LIMIT_EXCEEDED");

    let body = gql(&app, Some(&token), KEYS, json!({ "first": 100 })).await;
    assert_no_errors(&body);
    assert!(
        node_keys(&body["data"]["entries"]).is_empty(),
        "no aliased write ran: {body}"
    );
}
backend_test!(hundreds_of_aliases_are_rejected_and_nothing_runs);

async fn batches_over_the_limit_are_rejected_and_nothing_runs() {
    let app = TestApp::builder()
        .option("--graphql-max-batch", "3")
        .build()
        .await;
    let token = signed_in(&app).await;
    let write = |key: &str| request_body(&store_mutation(), json!({ "key": key, "value": "v" }));

    let reply = post_graphql(
        &app,
        Some(&token),
        &json!([write("b1"), write("b2"), write("b3"), write("b4")]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_graphql_response(&reply.body);
    assert_rejected(&reply.body, "GRAPHQL_BATCH_LIMIT_EXCEEDED");
    for key in ["b1", "b2", "b3", "b4"] {
        assert_key_not_found(&entry(&app, &token, key).await);
    }

    // A batch at the limit runs.
    let reply = post_graphql(
        &app,
        Some(&token),
        &json!([write("c1"), write("c2"), write("c3")]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let results = reply
        .body
        .as_array()
        .expect("a batch answers with an array");
    assert_eq!(results.len(), 3, "{reply:?}");
    for (result, key) in results.iter().zip(["c1", "c2", "c3"]) {
        assert_no_errors(result);
        assert_eq!(result["data"]["storeEntry"]["key"], key);
    }
}
backend_test!(batches_over_the_limit_are_rejected_and_nothing_runs);

// ---------------------------------------------------------------------------
// Isolation
// ---------------------------------------------------------------------------

async fn another_accounts_entries_are_invisible() {
    let app = TestApp::new().await;
    let alice = signed_in(&app).await;
    let bob = signed_in(&app).await;
    store(&app, &alice, "secret", "alice's").await;
    store(&app, &alice, "secret-2", "alice's too").await;

    assert_key_not_found(&entry(&app, &bob, "secret").await);
    assert_rejected(
        &update(&app, &bob, "secret", "bob's").await,
        "KEY_NOT_FOUND",
    );
    assert_rejected(&delete(&app, &bob, "secret").await, "KEY_NOT_FOUND");
    for prefix in [None, Some("secret"), Some("s")] {
        let pages = walk(&app, &bob, prefix, None).await;
        let keys: Vec<String> = pages.iter().flat_map(node_keys).collect();
        assert!(keys.is_empty(), "bob sees {keys:?}");
    }

    // Bob may have his own `secret`; the two never mix.
    let bobs = store(&app, &bob, "secret", "bob's").await;
    assert_eq!(bobs["version"], 1);
    let body = update(&app, &bob, "secret", "bob's v2").await;
    assert_no_errors(&body);
    let pages = walk(&app, &bob, None, None).await;
    let keys: Vec<String> = pages.iter().flat_map(node_keys).collect();
    assert_eq!(keys, ["secret"]);

    let alices = entry(&app, &alice, "secret").await;
    assert_eq!(alices["data"]["entry"]["value"], "alice's");
    assert_eq!(alices["data"]["entry"]["version"], 1);
    let pages = walk(&app, &alice, None, None).await;
    let keys: Vec<String> = pages.iter().flat_map(node_keys).collect();
    assert_eq!(keys, ["secret", "secret-2"]);
    let body = delete(&app, &bob, "secret").await;
    assert_no_errors(&body);
    assert_eq!(
        entry(&app, &alice, "secret").await["data"]["entry"]["value"],
        "alice's"
    );
}
backend_test!(another_accounts_entries_are_invisible);

// ---------------------------------------------------------------------------
// REST and GraphQL agree
// ---------------------------------------------------------------------------

async fn rest_and_graphql_see_the_same_data() {
    let app = TestApp::new().await;
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

async fn the_same_bad_input_gets_the_same_code_on_both() {
    let app = TestApp::builder()
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
    let with = |field: &str, value: Value| {
        let mut input = valid.clone();
        input[field] = value;
        input
    };
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

// ---------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------

async fn a_batch_answers_with_results_in_order() {
    let app = TestApp::new().await;
    let token = signed_in(&app).await;
    store(&app, &token, "one", "1").await;
    store(&app, &token, "two", "2").await;

    let batch = json!([
        request_body("{ me { username } }", Value::Null),
        request_body(&entry_query(), json!({ "key": "two" })),
        request_body(&entry_query(), json!({ "key": "missing" })),
        request_body("{ nope }", Value::Null),
        request_body(&entry_query(), json!({ "key": "one" })),
    ]);
    let reply = post_graphql(&app, Some(&token), &batch).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let results = reply
        .body
        .as_array()
        .expect("a batch answers with an array");
    assert_eq!(results.len(), 5, "{reply:?}");
    for result in results {
        assert_graphql_response(result);
    }
    assert!(
        results[0]["data"]["me"]["username"].is_string(),
        "{reply:?}"
    );
    assert_eq!(results[1]["data"]["entry"]["value"], "2");
    assert_key_not_found(&results[2]);
    assert_rejected(&results[3], "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(results[4]["data"]["entry"]["value"], "1");

    // A batch of one is still a batch.
    let reply = post_graphql(&app, Some(&token), &json!([request_body(ME, Value::Null)])).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body.as_array().map(Vec::len), Some(1), "{reply:?}");
}
backend_test!(a_batch_answers_with_results_in_order);

/// `GET /graphql?query=…` (plus more parameters), with a bearer token.
async fn get_graphql(app: &TestApp, token: Option<&str>, params: &[(&str, &str)]) -> Reply {
    let query: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, NON_ALPHANUMERIC)))
        .collect();
    let mut request = app.get(&format!("/graphql?{}", query.join("&")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send(request).await
}

async fn get_runs_queries_but_never_mutations() {
    let app = TestApp::new().await;
    let token = signed_in(&app).await;
    let me = gql(&app, Some(&token), ME, Value::Null).await;
    store(&app, &token, "k", "v").await;

    let reply = get_graphql(&app, Some(&token), &[("query", "{me{id}}")]).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_graphql_response(&reply.body);
    assert_no_errors(&reply.body);
    assert_eq!(reply.body["data"]["me"]["id"], me["data"]["me"]["id"]);
    // The same, written by hand without percent-encoding the braces.
    let reply = send(app.get("/graphql?query={me{id}}").bearer_auth(&token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["data"]["me"]["id"], me["data"]["me"]["id"]);

    // GET gets the same GraphQL codes as POST.
    let reply = get_graphql(&app, Some(&token), &[("query", "{ me { id ")]).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_graphql_response(&reply.body);
    assert_rejected(&reply.body, "GRAPHQL_PARSE_FAILED");
    let reply = get_graphql(&app, Some(&token), &[("query", "{ me { nope } }")]).await;
    assert_graphql_response(&reply.body);
    assert_rejected(&reply.body, "GRAPHQL_VALIDATION_FAILED");
    // Variables that are not JSON make it no GraphQL request at all.
    let reply = get_graphql(
        &app,
        Some(&token),
        &[("query", "{ me { id } }"), ("variables", "{not json")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_graphql_response(&reply.body);
    assert_code(&reply.body, "INVALID_REQUEST");

    let reply = get_graphql(
        &app,
        Some(&token),
        &[
            (
                "query",
                "query Read($key: String!) { entry(key: $key) { value } }",
            ),
            ("variables", r#"{"key":"k"}"#),
            ("operationName", "Read"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["data"]["entry"]["value"], "v", "{reply:?}");

    // Without a token, GET is refused like POST.
    let reply = get_graphql(&app, None, &[("query", "{me{id}}")]).await;
    assert_code(&reply.body, "INVALID_TOKEN");
    assert!(
        reply
            .header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer")),
        "{reply:?}"
    );

    for mutation in [
        r#"mutation { storeEntry(key: "via-get", value: "v") { key } }"#,
        r#"mutation { updateEntry(key: "k", value: "changed") { key } }"#,
        r#"mutation { deleteEntry(key: "k") { key } }"#,
    ] {
        let reply = get_graphql(&app, Some(&token), &[("query", mutation)]).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{reply:?}");
        assert_eq!(reply.header("allow"), Some("POST"), "{reply:?}");
        assert_graphql_response(&reply.body);
        assert_rejected(&reply.body, "METHOD_NOT_ALLOWED");
    }
    assert_key_not_found(&entry(&app, &token, "via-get").await);
    let kept = entry(&app, &token, "k").await;
    assert_eq!(kept["data"]["entry"]["value"], "v", "{kept}");
    assert_eq!(kept["data"]["entry"]["version"], 1, "{kept}");
}
backend_test!(get_runs_queries_but_never_mutations);

async fn get_without_a_query_serves_graphiql() {
    let app = TestApp::new().await;
    let reply = send(app.get("/graphql")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{reply:?}"
    );
    assert!(reply.text.to_lowercase().contains("graphiql"), "{reply:?}");
    assert!(
        reply.text.contains("/graphql"),
        "the page names its endpoint: {reply:?}"
    );
}
backend_test!(get_without_a_query_serves_graphiql);

async fn bodies_that_are_not_graphql_requests_are_invalid_request() {
    let app = TestApp::new().await;
    let token = signed_in(&app).await;

    for body in [
        "not json",
        "{",
        "42",
        "\"{ me { id } }\"",
        r#"{"query": 5}"#,
        "[1, 2]",
    ] {
        let reply = send(
            app.client()
                .post(app.url("/graphql"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {reply:?}");
        assert_graphql_response(&reply.body);
        assert_code(&reply.body, "INVALID_REQUEST");
    }

    // A GraphQL request under another content type (README: JSON only).
    let reply = send(
        app.client()
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body(r#"{"query":"{ me { id } }"}"#),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_graphql_response(&reply.body);
    assert_code(&reply.body, "INVALID_REQUEST");

    // A charset parameter is still JSON.
    let reply = send(
        app.client()
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .header("content-type", "application/json; charset=utf-8")
            .body(r#"{"query":"{ me { id } }"}"#),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_no_errors(&reply.body);
}
backend_test!(bodies_that_are_not_graphql_requests_are_invalid_request);

async fn a_body_over_the_limit_is_payload_too_large() {
    let app = TestApp::builder()
        .option("--max-body-bytes", "2048")
        .build()
        .await;
    let token = signed_in(&app).await;
    let reply = post_graphql(
        &app,
        Some(&token),
        &request_body(
            &store_mutation(),
            json!({ "key": "big", "value": "v".repeat(4096) }),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{reply:?}");
    assert_graphql_response(&reply.body);
    assert_code(&reply.body, "PAYLOAD_TOO_LARGE");
    assert_key_not_found(&entry(&app, &token, "big").await);
}
backend_test!(a_body_over_the_limit_is_payload_too_large);

async fn a_maximal_value_round_trips_however_its_json_is_escaped() {
    // The default limits: 1 MiB values, and a body limit that fits a
    // maximal value even when every byte is escaped as \u0001 (README).
    let app = TestApp::new().await;
    let token = signed_in(&app).await;
    let controls = "\u{1}".repeat(1_048_576);
    let stored = store(&app, &token, "controls", &controls).await;
    assert_eq!(stored["version"], 1);
    let read = entry(&app, &token, "controls").await;
    assert_no_errors(&read);
    assert!(
        read["data"]["entry"]["value"] == controls.as_str(),
        "the value came back changed"
    );

    let over = "a".repeat(1_048_577);
    let body = gql(
        &app,
        Some(&token),
        &store_mutation(),
        json!({ "key": "over", "value": over }),
    )
    .await;
    assert_rejected(&body, "INVALID_VALUE");
}
backend_test!(a_maximal_value_round_trips_however_its_json_is_escaped);

// ---------------------------------------------------------------------------
// The checked-in schema
// ---------------------------------------------------------------------------

const REGENERATE: &str = "run `cargo run -q -- schema > schema.graphql`";

fn checked_in_schema() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("reading {}: {err}; {REGENERATE}", path.display()))
}

/// Where two texts first differ, for the failure message.
fn first_difference(expected: &str, actual: &str) -> String {
    let mut expected_lines = expected.lines();
    let mut actual_lines = actual.lines();
    for line in 1.. {
        match (expected_lines.next(), actual_lines.next()) {
            (None, None) => {
                return "they differ only in line endings or a final newline".to_owned();
            }
            (e, a) if e != a => {
                return format!(
                    "first difference at line {line}: schema.graphql has {e:?}, the server serves {a:?}"
                );
            }
            _ => {}
        }
    }
    unreachable!()
}

#[test]
fn schema_graphql_is_the_schema_the_server_serves() {
    let on_disk = checked_in_schema();
    let served = datakeep::graphql::sdl();
    assert!(
        on_disk == served,
        "schema.graphql is out of date: {REGENERATE}.\n{}",
        first_difference(&on_disk, &served)
    );
}

#[test]
fn the_schema_subcommand_prints_the_schema() {
    let output = Command::new(env!("CARGO_BIN_EXE_datakeep"))
        .arg("schema")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running `datakeep schema`");
    assert!(
        output.status.success(),
        "`datakeep schema` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).expect("the schema is UTF-8");
    assert!(
        printed == datakeep::graphql::sdl(),
        "`datakeep schema` prints something else than the served schema: {}",
        first_difference(&datakeep::graphql::sdl(), &printed)
    );
    let on_disk = checked_in_schema();
    assert!(
        printed == on_disk,
        "schema.graphql is out of date: {REGENERATE}.\n{}",
        first_difference(&on_disk, &printed)
    );
}
