//! Automatic persisted queries, Apollo's protocol (contract section 10):
//! an unknown hash is `PERSISTED_QUERY_NOT_FOUND`, the text with its hash
//! runs and is remembered, then the hash alone runs it, over POST and GET;
//! a hash that is not the text's is refused before anything runs.

use sha2::{Digest, Sha256};

use super::*;

fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn a_known_hash_runs_without_its_text(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    store(&app, &token, "pq", "persisted").await;
    let query = format!("query Pq($key: String!) {{ entry(key: $key) {{ {ENTRY_FIELDS} }} }}");
    let hash = sha256_hex(&query);
    let variables = json!({ "key": "pq" });
    let hash_only = json!({ "variables": variables, "extensions": persisted(&hash) });

    // Apollo's PersistedQueryLink asks for graphql-response+json; the miss
    // is still 200, so the link reads the code and sends the text.
    let reply = send(
        app.post_json("/graphql", &hash_only)
            .bearer_auth(&token)
            .header(
                "accept",
                "application/graphql-response+json, application/json;q=0.9",
            ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    // A 2xx answer carries `data` (GraphQL over HTTP), null here.
    assert!(
        reply.body.get("data").is_some_and(Value::is_null),
        "{reply:?}"
    );
    assert_code(&reply.body, "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(
        errors_of(&reply.body)[0]["message"],
        "PersistedQueryNotFound",
        "{reply:?}"
    );

    let with_text = json!({
        "query": query, "variables": variables, "extensions": persisted(&hash)
    });
    let body = gql_body(&app, &token, &with_text).await;
    assert_eq!(body["data"]["entry"]["value"], "persisted", "{body}");

    let body = gql_body(&app, &token, &hash_only).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["entry"]["value"], "persisted", "{body}");

    // Over GET, with the extension as JSON text.
    let extensions = persisted(&hash).to_string();
    let variables = variables.to_string();
    let reply = send(
        app.get(&graphql_get_path(&[
            ("variables", &variables),
            ("extensions", &extensions),
        ]))
        .bearer_auth(&token),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_no_errors(&reply.body);
    assert_eq!(
        reply.body["data"]["entry"]["value"], "persisted",
        "{reply:?}"
    );

    // Over GET, a hash the server never saw.
    let unknown = persisted(&sha256_hex("{ me { id } }")).to_string();
    let reply = send(
        app.get(&graphql_get_path(&[("extensions", &unknown)]))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_code(&reply.body, "PERSISTED_QUERY_NOT_FOUND");
}
backend_test!(a_known_hash_runs_without_its_text);

/// `POST /graphql` of `body`, checked as a GraphQL response with 200.
async fn gql_body(app: &TestApp, token: &str, body: &Value) -> Value {
    let reply = post_graphql(app, Some(token), body).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_graphql_response(&reply.body);
    reply.body
}

async fn a_hash_that_is_not_the_texts_is_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    let mutation = store_mutation();
    let wrong = sha256_hex(&entry_query());
    let body = json!({
        "query": mutation,
        "variables": { "key": "never", "value": "v" },
        "extensions": persisted(&wrong),
    });
    let reply = send(
        app.post_json("/graphql", &body)
            .bearer_auth(&token)
            .header("accept", "application/graphql-response+json"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert!(reply.body.get("data").is_none(), "{reply:?}");
    assert_code(&reply.body, "PERSISTED_QUERY_HASH_MISMATCH");
    assert_key_not_found(&entry(&app, &token, "never").await);

    // Nor was the wrong pairing remembered.
    let hash_only = json!({ "variables": { "key": "never" }, "extensions": persisted(&wrong) });
    let body = gql_body(&app, &token, &hash_only).await;
    assert_code(&body, "PERSISTED_QUERY_NOT_FOUND");

    for extension in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": wrong } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } }),
        json!({ "persistedQuery": "yes" }),
    ] {
        let body =
            json!({ "query": entry_query(), "variables": { "key": "k" }, "extensions": extension });
        let body = gql_body(&app, &token, &body).await;
        assert_code(&body, "INVALID_REQUEST");
    }
}
backend_test!(a_hash_that_is_not_the_texts_is_refused);
