//! GraphQL over HTTP (contract section 10): the response's media type
//! follows `Accept`; with `application/graphql-response+json` a request
//! that fails before it executes is 400 with no `data`; GET honours
//! `operationName` and `variables`; the CORS preflight admits what GraphQL
//! clients send.

use super::*;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// `POST /graphql` of `body` with `accept` (none when `None`).
async fn post_accepting(app: &TestApp, accept: Option<&str>, body: &Value) -> Reply {
    let mut request = app.post_json("/graphql", body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    send(request).await
}

fn media_type(reply: &Reply) -> &str {
    let content_type = reply.header("content-type").unwrap_or("");
    content_type.split(';').next().unwrap_or("").trim()
}

async fn the_response_media_type_follows_accept(backend: Backend) {
    let app = TestApp::new(backend).await;
    let body = json!({ "query": "{ __typename }" });
    let cases = [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("application/*"), "application/json"),
        (Some("application/json"), "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE,
        ),
        (
            Some("application/json, application/graphql-response+json;q=0.5"),
            "application/json",
        ),
        (Some("text/html, */*;q=0.8"), "application/json"),
    ];
    for (accept, expected) in cases {
        let reply = post_accepting(&app, accept, &body).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept:?}: {reply:?}");
        assert_eq!(media_type(&reply), expected, "{accept:?}: {reply:?}");
        assert_eq!(reply.body["data"]["__typename"], "Query", "{reply:?}");
    }
    for accept in ["text/html", "application/xml", "application/json;q=0"] {
        let reply = post_accepting(&app, Some(accept), &body).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_ACCEPTABLE,
            "{accept}: {reply:?}"
        );
        assert_rejected(&reply.body, "NOT_ACCEPTABLE");
    }
}
backend_independent_test!(the_response_media_type_follows_accept);

/// Documents that fail before anything runs, with their codes.
fn failing_before_execution() -> Vec<(Value, &'static str)> {
    vec![
        (json!({ "query": "{ me { id " }), "GRAPHQL_PARSE_FAILED"),
        (json!({ "query": "{ nope }" }), "GRAPHQL_VALIDATION_FAILED"),
        (
            json!({
                "query": "query($n: Int!) { entries(first: $n) { nodes { key } } }",
                "variables": { "n": "ten" }
            }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            json!({ "query": "query($n: Int!) { entries(first: $n) { nodes { key } } }" }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            json!({ "query": "{ a: __typename b: __typename }", "operationName": "Missing" }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            json!({ "query": format!("{{ {} }}", "me { id } ".repeat(1001)) }),
            "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED",
        ),
    ]
}

async fn failures_before_execution_are_400_without_data(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    for (body, code) in failing_before_execution() {
        let mut request = app
            .post_json("/graphql", &body)
            .header("accept", GRAPHQL_RESPONSE);
        request = request.bearer_auth(&token);
        let reply = send(request).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {reply:?}");
        assert_eq!(media_type(&reply), GRAPHQL_RESPONSE, "{reply:?}");
        assert!(reply.body.get("data").is_none(), "no data key: {reply:?}");
        assert_code(&reply.body, code);

        // Older clients asking for JSON keep getting 200 with `data: null`.
        let reply = send(app.post_json("/graphql", &body).bearer_auth(&token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{body}: {reply:?}");
        assert_eq!(media_type(&reply), "application/json", "{reply:?}");
        assert!(reply.body["data"].is_null(), "{reply:?}");
        assert_code(&reply.body, code);
    }
}
backend_test!(failures_before_execution_are_400_without_data);

async fn failures_while_executing_keep_200_and_data(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    let missing = json!({
        "query": "query($k: String!) { entry(key: $k) { value } }",
        "variables": { "k": "absent" }
    });
    let request = app
        .post_json("/graphql", &missing)
        .bearer_auth(&token)
        .header("accept", GRAPHQL_RESPONSE);
    let reply = send(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(reply.body["data"]["entry"].is_null(), "{reply:?}");
    assert_code(&reply.body, "KEY_NOT_FOUND");

    let unauthenticated = json!({ "query": "{ me { id } }" });
    let reply = post_accepting(&app, Some(GRAPHQL_RESPONSE), &unauthenticated).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(
        reply.body.get("data").is_some_and(Value::is_null),
        "{reply:?}"
    );
    assert_code(&reply.body, "INVALID_TOKEN");
}
backend_test!(failures_while_executing_keep_200_and_data);

async fn requests_refused_unread_use_the_negotiated_type(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--graphql-max-batch", "2")
        .build()
        .await;
    let batch = Value::Array(vec![json!({ "query": "{ __typename }" }); 3]);
    for (accept, expected) in [
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (None, "application/json"),
    ] {
        let reply = post_accepting(&app, accept, &batch).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
        assert_eq!(media_type(&reply), expected, "{reply:?}");
        assert_rejected(&reply.body, "GRAPHQL_BATCH_LIMIT_EXCEEDED");
    }
}
backend_independent_test!(requests_refused_unread_use_the_negotiated_type);

async fn get_honours_operation_name_and_variables(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    store(&app, &token, "chosen", "yes").await;
    let document = "query A { me { username } } \
                    query B($k: String!) { entry(key: $k) { key value } }";
    let variables = json!({ "k": "chosen" }).to_string();
    let reply = send(
        app.get(&graphql_get_path(&[
            ("query", document),
            ("operationName", "B"),
            ("variables", &variables),
        ]))
        .bearer_auth(&token)
        .header("accept", GRAPHQL_RESPONSE),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_no_errors(&reply.body);
    assert_eq!(reply.body["data"]["entry"]["value"], "yes", "{reply:?}");
    assert!(reply.body["data"].get("me").is_none(), "{reply:?}");

    let reply = send(
        app.get(&graphql_get_path(&[
            ("query", document),
            ("variables", "[1]"),
        ]))
        .bearer_auth(&token),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_rejected(&reply.body, "INVALID_REQUEST");
}
backend_test!(get_honours_operation_name_and_variables);

async fn the_preflight_admits_graphql_client_headers(backend: Backend) {
    let app = TestApp::new(backend).await;
    let asked = "content-type, authorization, apollographql-client-name, \
                 apollographql-client-version, x-request-id, apollo-require-preflight";
    let reply = send(
        app.client()
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", "https://app.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", asked),
    )
    .await;
    assert!(reply.status.is_success(), "{reply:?}");
    let allowed = reply
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in asked.split(", ") {
        assert!(allowed.contains(name), "{name} not in {allowed:?}");
    }
}
backend_independent_test!(the_preflight_admits_graphql_client_headers);

/// A query's document is fully validated once; later requests skip the
/// rules that cannot change (see `graphql/pipeline.rs`). A variable of the
/// wrong type must still get exactly the full validation's answer.
async fn bad_variables_get_the_same_answer_after_the_document_is_known(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    store(&app, &token, "k", "v").await;
    let documents = [
        (
            "query Page($n: Int!) { entries(first: $n) { nodes { key } } }",
            json!({ "n": 5 }),
            vec![
                json!({ "n": "five" }),
                json!({}),
                json!({ "n": 5_000_000_000_i64 }),
            ],
        ),
        (
            "query One($k: String!) { entry(key: $k) { value } }",
            json!({ "k": "k" }),
            vec![
                json!({ "k": 5 }),
                json!({ "k": null }),
                json!({ "k": ["k"] }),
            ],
        ),
    ];
    for (query, good, bads) in documents {
        let ask = |variables: &Value| {
            send(
                app.post_json(
                    "/graphql",
                    &json!({ "query": query, "variables": variables }),
                )
                .bearer_auth(&token)
                .header("accept", GRAPHQL_RESPONSE),
            )
        };
        let mut before = Vec::new();
        for bad in &bads {
            before.push(ask(bad).await);
        }
        for _ in 0..2 {
            let reply = ask(&good).await;
            assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
            assert_no_errors(&reply.body);
        }
        for (bad, first) in bads.iter().zip(before) {
            let reply = ask(bad).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {reply:?}");
            assert_code(&reply.body, "GRAPHQL_VALIDATION_FAILED");
            assert_eq!(reply.body, first.body, "{bad}: the same answer as before");
        }
    }
}
backend_test!(bad_variables_get_the_same_answer_after_the_document_is_known);
