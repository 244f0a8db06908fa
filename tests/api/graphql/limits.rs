//! Document limits: depth, complexity, aliases and batch size, checked before anything runs.

use super::*;

/// The introspection query GraphiQL and code generators send
/// (graphql-js `getIntrospectionQuery()` with its defaults up to v16).
const INTROSPECTION_QUERY: &str = include_str!("fixtures/introspection.graphql");

/// graphql-js 17's `getIntrospectionQuery()` with every option on (schema
/// description, `specifiedByURL`, `isRepeatable`, deprecated input values,
/// `isOneOf`) and its default nine levels of `ofType`: the deepest standard
/// introspection query.
const FULL_INTROSPECTION_QUERY: &str = include_str!("fixtures/full_introspection.graphql");

/// An introspection document nested `levels` `ofType`s deep.
fn deep_introspection(levels: usize) -> String {
    format!(
        "{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}",
        "ofType { ".repeat(levels),
        " }".repeat(levels)
    )
}

async fn the_standard_introspection_query_passes(backend: Backend) {
    let app = TestApp::new(backend).await;
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

async fn deeply_nested_documents_are_rejected_and_nothing_runs(backend: Backend) {
    let app = TestApp::new(backend).await;
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

async fn the_depth_limit_is_configurable(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--graphql-max-depth", "5")
        .build()
        .await;
    let body = gql(&app, None, &deep_introspection(0), Value::Null).await;
    assert_no_errors(&body);
    let body = gql(&app, None, &deep_introspection(3), Value::Null).await;
    assert_rejected(&body, "GRAPHQL_DEPTH_LIMIT_EXCEEDED");
}
backend_independent_test!(the_depth_limit_is_configurable);

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

async fn many_aliased_full_pages_are_too_complex_and_nothing_runs(backend: Backend) {
    let app = TestApp::new(backend).await;
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

async fn the_complexity_limit_is_configurable_and_counts_first(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--graphql-max-complexity", "50")
        .build()
        .await;
    let token = signed_in(&app).await;
    // `entries` (1) and `nodes` (1) once, `nodes`' selection (here 2) once
    // per item of the page: 2 + 2 x first.
    let query = |first: u32| format!("{{ entries(first: {first}) {{ nodes {{ key value }} }} }}");
    let body = gql(&app, Some(&token), &query(24), Value::Null).await;
    assert_no_errors(&body);
    let body = gql(&app, Some(&token), &query(25), Value::Null).await;
    assert_rejected(&body, "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED");
    let message = errors_of(&body)[0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("52") && message.contains("50"),
        "the error gives the document's complexity and the limit: {message}"
    );
    // The default page size of 20 counts when first is left out: 2 + 20 x 3.
    let body = gql(
        &app,
        Some(&token),
        "{ entries { nodes { key value version } } }",
        Value::Null,
    )
    .await;
    assert_rejected(&body, "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED");
    // As does a page size given in a variable.
    let variable = "query($n: Int) { entries(first: $n) { nodes { key value } } }";
    let body = gql(&app, Some(&token), variable, json!({ "n": 24 })).await;
    assert_no_errors(&body);
    let body = gql(&app, Some(&token), variable, json!({ "n": 25 })).await;
    assert_rejected(&body, "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED");
}
backend_test!(the_complexity_limit_is_configurable_and_counts_first);

async fn hundreds_of_aliases_are_rejected_and_nothing_runs(backend: Backend) {
    let app = TestApp::new(backend).await;
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

async fn batches_over_the_limit_are_rejected_and_nothing_runs(backend: Backend) {
    let app = TestApp::builder(backend)
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

async fn a_full_relay_page_fits_the_default_complexity_limit(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = signed_in(&app).await;
    store(&app, &token, "one", "v").await;
    // Contract section 5: the largest page, every Entry field through
    // edges, plus pageInfo.
    let page = format!(
        "{{ entries(first: 100) {{
            edges {{ cursor node {{ id {ENTRY_FIELDS} }} }}
            pageInfo {{ hasPreviousPage hasNextPage startCursor endCursor }} }} }}"
    );
    let body = gql(&app, Some(&token), &page, Value::Null).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["entries"]["edges"][0]["node"]["key"], "one");

    // Both lists of the page: 1 + 100 x 8 + 1 + 100 x 6 + 5 + 1, refused with the
    // cost and the limit in the message.
    let both = page.replace(
        "pageInfo",
        &format!("nodes {{ id {ENTRY_FIELDS} }} pageInfo"),
    );
    let body = gql(&app, Some(&token), &both, Value::Null).await;
    assert_rejected(&body, "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED");
    let message = errors_of(&body)[0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("1408") && message.contains("1000"),
        "{message}"
    );
}
backend_test!(a_full_relay_page_fits_the_default_complexity_limit);

/// `{ ...F<levels> }` where `F0` selects `__typename` and each `Fk` spreads
/// `F(k-1)` twice: about 36 bytes a level, 2^levels fields written out.
fn doubling_fragments(levels: usize) -> String {
    let mut document = format!("{{ ...F{levels} }} fragment F0 on Query {{ __typename }}");
    for level in 1..=levels {
        let below = level - 1;
        document.push_str(&format!(
            " fragment F{level} on Query {{ ...F{below} ...F{below} }}"
        ));
    }
    document
}

async fn fragment_spreads_count_toward_complexity_each_time_they_are_used(backend: Backend) {
    let app = TestApp::new(backend).await;
    // 2^9 = 512 fields written out: under the limit, and it runs.
    let body = gql(&app, None, &doubling_fragments(9), Value::Null).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["__typename"], "Query");
    let body = gql(&app, None, &doubling_fragments(10), Value::Null).await;
    assert_rejected(&body, "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED");

    // 1.2 KB that would be 2^30 fields: refused with its exact cost, which
    // is counted, not written out (see `graphql/cost.rs`).
    let document = doubling_fragments(30);
    assert!(document.len() < 1250, "{} bytes", document.len());
    let body = gql(&app, None, &document, Value::Null).await;
    assert_rejected(&body, "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED");
    let message = errors_of(&body)[0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("1073741824"), "{message}");
    // And the server goes on serving.
    let body = gql(&app, None, "{ __typename }", Value::Null).await;
    assert_no_errors(&body);
}
backend_test!(fragment_spreads_count_toward_complexity_each_time_they_are_used);

async fn typename_counts_toward_complexity(backend: Backend) {
    let app = TestApp::new(backend).await;
    let typenames = |count: usize| format!("{{ {} }}", "__typename ".repeat(count));
    let body = gql(&app, None, &typenames(1000), Value::Null).await;
    assert_no_errors(&body);
    let body = gql(&app, None, &typenames(1001), Value::Null).await;
    assert_rejected(&body, "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED");
}
backend_independent_test!(typename_counts_toward_complexity);

async fn fragment_spreads_count_toward_the_alias_limit_each_time_they_are_used(backend: Backend) {
    let app = TestApp::new(backend).await;
    let aliases: String = (0..60).map(|n| format!("a{n}: __typename ")).collect();
    let fragment = format!("fragment Sixty on Query {{ {aliases} }}");
    let body = gql(
        &app,
        None,
        &format!("{{ ...Sixty }} {fragment}"),
        Value::Null,
    )
    .await;
    assert_no_errors(&body);
    let twice = format!("{{ ...Sixty ... on Query {{ ...Sixty }} }} {fragment}");
    let body = gql(&app, None, &twice, Value::Null).await;
    assert_rejected(&body, "GRAPHQL_ALIAS_LIMIT_EXCEEDED");
}
backend_independent_test!(fragment_spreads_count_toward_the_alias_limit_each_time_they_are_used);

async fn a_fragment_cycle_is_a_validation_failure(backend: Backend) {
    let app = TestApp::new(backend).await;
    let body = gql(
        &app,
        None,
        "{ ...A } fragment A on Query { ...B } fragment B on Query { __typename ...A }",
        Value::Null,
    )
    .await;
    assert_rejected(&body, "GRAPHQL_VALIDATION_FAILED");
}
backend_independent_test!(a_fragment_cycle_is_a_validation_failure);

async fn deeply_nested_values_are_refused_before_parsing(backend: Backend) {
    let app = TestApp::new(backend).await;
    // Nested 5,000 deep (20 KB), a value like this overflowed the parser's
    // stack and aborted the server.
    let nested = |depth: usize| {
        format!(
            "{{ entry(key: \"k\", extra: {}1{}) {{ key }} }}",
            "{a: ".repeat(depth),
            "}".repeat(depth)
        )
    };
    let body = gql(&app, None, &nested(5000), Value::Null).await;
    assert_rejected(&body, "GRAPHQL_DEPTH_LIMIT_EXCEEDED");
    let lists = format!(
        "{{ __typename(a: {}1{}) }}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let body = gql(&app, None, &lists, Value::Null).await;
    assert_rejected(&body, "GRAPHQL_DEPTH_LIMIT_EXCEEDED");
    // Within the bracket limit the document is parsed, and validation
    // refuses the unknown argument.
    let body = gql(&app, None, &nested(100), Value::Null).await;
    assert_rejected(&body, "GRAPHQL_VALIDATION_FAILED");
    // Brackets inside a string do not count.
    let body = gql(
        &app,
        None,
        &format!("{{ __type(name: \"{}\") {{ name }} }}", "{[(".repeat(5000)),
        Value::Null,
    )
    .await;
    assert_no_errors(&body);
    assert!(body["data"]["__type"].is_null(), "{body}");
    let reply = send(app.get("/healthz")).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "the server still serves: {reply:?}"
    );
}
backend_independent_test!(deeply_nested_values_are_refused_before_parsing);

async fn a_query_text_over_the_limit_is_payload_too_large(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--graphql-max-query-bytes", "1000")
        .build()
        .await;
    // Padded with a comment to exactly `bytes` bytes.
    let query = |bytes: usize| {
        let mut text = String::from("{ __typename }\n#");
        text.push_str(&"x".repeat(bytes - text.len()));
        text
    };
    let body = gql(&app, None, &query(1000), Value::Null).await;
    assert_no_errors(&body);

    let reply = gql_reply(&app, None, &query(1001), Value::Null).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{reply:?}");
    assert_graphql_response(&reply.body);
    assert_code(&reply.body, "PAYLOAD_TOO_LARGE");

    // In a batch, nothing of it runs.
    let write = request_body(&store_mutation(), json!({ "key": "k", "value": "v" }));
    let token = signed_in(&app).await;
    let reply = post_graphql(
        &app,
        Some(&token),
        &json!([write, request_body(&query(1001), Value::Null)]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{reply:?}");
    assert_key_not_found(&entry(&app, &token, "k").await);

    // Over GET too.
    let reply = get_graphql(&app, None, &[("query", &query(1001))]).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{reply:?}");
    assert_code(&reply.body, "PAYLOAD_TOO_LARGE");
}
backend_test!(a_query_text_over_the_limit_is_payload_too_large);
