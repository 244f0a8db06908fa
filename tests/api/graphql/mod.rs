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

mod agreement;
mod atomic;
mod errors;
mod expiry;
mod isolation;
mod limits;
mod operations;
mod over_http;
mod pagination;
mod persisted;
mod schema;
mod transport;
mod versions;

use crate::harness::{
    Backend, JWT_SECRET, PASSWORD, Reply, TestApp, assert_error, backend_independent_test,
    backend_test, send, unique_username,
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

/// `input` with `field` set to `value`: one broken rule of a valid input.
fn with_field(input: &Value, field: &str, value: Value) -> Value {
    let mut changed = input.clone();
    changed[field] = value;
    changed
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

/// `GET /graphql?query=…` (plus more parameters), with a bearer token.
/// `/graphql?…` with `params` percent-encoded.
fn graphql_get_path(params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, NON_ALPHANUMERIC)))
        .collect();
    format!("/graphql?{}", query.join("&"))
}

async fn get_graphql(app: &TestApp, token: Option<&str>, params: &[(&str, &str)]) -> Reply {
    let mut request = app.get(&graphql_get_path(params));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send(request).await
}
