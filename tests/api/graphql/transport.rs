//! The HTTP transport: batches, GET, GraphiQL, bodies and their limits.

use super::*;

async fn a_batch_answers_with_results_in_order(backend: Backend) {
    let app = TestApp::new(backend).await;
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

async fn get_runs_queries_but_never_mutations(backend: Backend) {
    let app = TestApp::new(backend).await;
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

async fn get_without_a_query_serves_graphiql(backend: Backend) {
    let app = TestApp::new(backend).await;
    let reply = send(app.get("/graphql").header("accept", "text/html")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{reply:?}"
    );
    assert!(reply.text.to_lowercase().contains("graphiql"), "{reply:?}");
    let policy = reply.header("content-security-policy").unwrap_or_default();
    assert!(policy.contains("default-src 'none'"), "{reply:?}");
    assert!(policy.contains("script-src 'self'"), "{reply:?}");
    assert!(!policy.contains("http"), "nothing external: {policy}");
    assert!(
        !reply.text.contains("//"),
        "no external address in the page: {reply:?}"
    );

    // Every asset the page names, and every file its styles name, is
    // served by the server itself.
    let mut pending = asset_paths(&reply.text, "/graphql/");
    let mut seen = std::collections::BTreeSet::new();
    while let Some(path) = pending.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let asset = send(app.get(&path)).await;
        assert_eq!(asset.status, StatusCode::OK, "{path}: {asset:?}");
        let content_type = asset.header("content-type").unwrap_or_default().to_owned();
        assert!(!content_type.is_empty(), "{path} has a content type");
        if content_type.starts_with("text/css") {
            let folder = &path[..=path.rfind('/').unwrap_or(0)];
            pending.extend(asset_paths(&asset.text, folder));
        }
        if path.ends_with(".js") {
            assert!(
                content_type.contains("javascript"),
                "{path}: {content_type}"
            );
        }
    }
    assert!(
        seen.len() >= 3,
        "the page loads its scripts and styles: {seen:?}"
    );
    let missing = send(app.get("/graphql/assets/nothing-here.js")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{missing:?}");
}
backend_independent_test!(get_without_a_query_serves_graphiql);

/// The same-origin paths a page or stylesheet names in `src="…"`,
/// `href="…"` or `url(…)`, resolved against `folder`; data URLs skipped.
fn asset_paths(text: &str, folder: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for opener in ["src=\"", "href=\"", "url(\"", "url('", "url("] {
        for (start, _) in text.match_indices(opener) {
            let rest = &text[start + opener.len()..];
            let end = rest.find(['"', '\'', ')', '?', '#']).unwrap_or(rest.len());
            let target = &rest[..end];
            if target.is_empty() || target.starts_with("data:") || target.starts_with('"') {
                continue;
            }
            assert!(!target.contains("//"), "an asset from elsewhere: {target}");
            if let Some(absolute) = target.strip_prefix('/') {
                paths.push(format!("/{absolute}"));
            } else {
                paths.push(format!("{folder}{}", target.trim_start_matches("./")));
            }
        }
    }
    paths
}

async fn graphiql_can_be_turned_off(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--graphiql", "false")
        .build()
        .await;
    let reply = send(app.get("/graphql").header("accept", "text/html")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_rejected(&reply.body, "INVALID_REQUEST");
    let asset = send(app.get("/graphql/assets/init.js")).await;
    assert_eq!(asset.status, StatusCode::NOT_FOUND, "{asset:?}");
    let query = send(app.get(&graphql_get_path(&[("query", "{ __typename }")]))).await;
    assert_eq!(query.status, StatusCode::OK, "{query:?}");
}
backend_independent_test!(graphiql_can_be_turned_off);

async fn bodies_that_are_not_graphql_requests_are_invalid_request(backend: Backend) {
    let app = TestApp::new(backend).await;
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

async fn a_body_over_the_limit_is_payload_too_large(backend: Backend) {
    let app = TestApp::builder(backend)
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

async fn a_maximal_value_round_trips_however_its_json_is_escaped(backend: Backend) {
    // The default limits: 1 MiB values, and a body limit that fits a
    // maximal value even when every byte is escaped as \u0001 (README).
    let app = TestApp::new(backend).await;
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
