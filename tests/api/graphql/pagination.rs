//! `entries`: keyset pagination in byte order.

use super::*;

async fn entries_are_listed_in_byte_order_page_by_page(backend: Backend) {
    let app = TestApp::new(backend).await;
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
