//! One account never sees another's entries.

use super::*;

async fn another_accounts_entries_are_invisible(backend: Backend) {
    let app = TestApp::new(backend).await;
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
