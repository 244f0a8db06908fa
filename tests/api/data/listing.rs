//! `GET /api/data?prefix=&limit=&cursor=` (contract section 8): the
//! caller's entries in byte order, a page at a time, with the same keyset
//! rules and cursors as GraphQL `entries`.

use super::*;

/// `GET /api/data` with `query` (already encoded) as `user`.
async fn list(app: &TestApp, user: &User, query: &str) -> Reply {
    send(
        app.get(&format!("/api/data{query}"))
            .bearer_auth(&user.token),
    )
    .await
}

/// The keys of a successful page, and its next cursor.
fn page_of(reply: &Reply) -> (Vec<String>, Option<String>) {
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["status"], "success", "{reply:?}");
    let entries = reply.body["data"]["entries"].as_array().expect("entries");
    let keys = entries
        .iter()
        .map(|e| e["key"].as_str().expect("a key").to_owned())
        .collect();
    (
        keys,
        reply.body["data"]["next_cursor"]
            .as_str()
            .map(str::to_owned),
    )
}

async fn entries_are_listed_in_byte_order_a_page_at_a_time(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    let other = app.signed_in().await;
    // Byte order: upper case before lower, "é" (0xC3 0xA9) after "z".
    let keys = ["b", "a/2", "a/1", "Z", "é", "z", "a/10"];
    for key in keys {
        app.store(&user, key, &format!("value of {key}")).await;
    }
    app.store(&other, "a/3", "not yours").await;
    app.update(&user, "z", "again").await;

    let first = list(&app, &user, "").await;
    let entries = first.body["data"]["entries"].as_array().expect("entries");
    assert_eq!(
        entries[0],
        json!({ "key": "Z", "value": "value of Z", "version": 1, "expires_at": null }),
        "{first:?}"
    );
    let (all, next) = page_of(&first);
    assert_eq!(all, ["Z", "a/1", "a/10", "a/2", "b", "z", "é"]);
    assert_eq!(next, None);
    let z = entries.iter().find(|e| e["key"] == "z").expect("z");
    assert_eq!((&z["value"], &z["version"]), (&json!("again"), &json!(2)));

    // Two at a time, following next_cursor to the end.
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let (keys, next) = page_of(&list(&app, &user, &query).await);
        assert!(keys.len() <= 2);
        seen.extend(keys);
        match next {
            Some(cursor) => query = format!("?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, all);

    // A prefix is literal and bounds the pages.
    let (keys, next) = page_of(&list(&app, &user, "?prefix=a%2F&limit=2").await);
    assert_eq!(keys, ["a/1", "a/10"]);
    let cursor = next.expect("a second page");
    let (keys, next) = page_of(&list(&app, &user, &format!("?prefix=a%2F&cursor={cursor}")).await);
    assert_eq!((keys, next), (vec!["a/2".to_owned()], None));
    let (keys, _) = page_of(&list(&app, &user, "?prefix=%25").await);
    assert!(keys.is_empty(), "% is not a wildcard");
}
backend_test!(entries_are_listed_in_byte_order_a_page_at_a_time);

async fn rest_and_graphql_cursors_are_the_same(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    for key in ["k1", "k2", "k3"] {
        app.store(&user, key, "v").await;
    }
    let (_, rest_cursor) = page_of(&list(&app, &user, "?limit=1").await);
    let page = |after: &str| {
        json!({
            "query": "query($after: String) { entries(first: 1, after: $after) { edges { cursor node { key } } } }",
            "variables": { "after": after },
        })
    };
    let rest_cursor = rest_cursor.expect("a next page");
    let reply = send(
        app.post_json("/graphql", &page(&rest_cursor))
            .bearer_auth(&user.token),
    )
    .await;
    let edge = &reply.body["data"]["entries"]["edges"][0];
    assert_eq!(edge["node"]["key"], "k2", "{reply:?}");
    let graphql_cursor = edge["cursor"].as_str().expect("a cursor");
    let (keys, _) = page_of(&list(&app, &user, &format!("?cursor={graphql_cursor}")).await);
    assert_eq!(keys, ["k3"]);
}
backend_test!(rest_and_graphql_cursors_are_the_same);

async fn bad_limits_and_cursors_are_invalid_requests(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "k", "v").await;
    for query in [
        "?limit=0",
        "?limit=101",
        "?limit=-1",
        "?limit=ten",
        "?limit=",
        "?limit=1.5",
        "?cursor=%2A%2A%2A",
        "?limit=1&limit=2",
    ] {
        let reply = list(&app, &user, query).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    }
    let (keys, _) = page_of(&list(&app, &user, "?limit=100&unknown=1").await);
    assert_eq!(keys, ["k"]);
    let anonymous = send(app.get("/api/data")).await;
    assert_error(&anonymous, StatusCode::UNAUTHORIZED, "INVALID_TOKEN");
}
backend_test!(bad_limits_and_cursors_are_invalid_requests);
