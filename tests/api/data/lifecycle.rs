//! An entry's life, isolation between accounts, versions and racing writes.

use super::*;

async fn an_entry_goes_through_its_whole_life(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;

    let created = create(&app, &user, "greeting", "hello").await;
    assert_success(&created, StatusCode::CREATED, "Data stored successfully.");

    let read = app.read(&user, "greeting").await;
    assert_eq!(read.status, StatusCode::OK, "{read:?}");
    assert_eq!(read.body["status"], "success");
    assert_eq!(read.body["data"]["key"], "greeting");
    assert_eq!(read.body["data"]["value"], "hello");

    let updated = app.update(&user, "greeting", "bonjour").await;
    assert_success(&updated, StatusCode::OK, "Data updated successfully.");
    assert_eq!(app.value_of(&user, "greeting").await, "bonjour");

    let deleted = app.remove(&user, "greeting").await;
    assert_success(&deleted, StatusCode::OK, "Data deleted successfully.");
    let gone = app.read(&user, "greeting").await;
    assert_error(&gone, StatusCode::NOT_FOUND, "KEY_NOT_FOUND");
}
backend_test!(an_entry_goes_through_its_whole_life);

async fn storing_a_key_twice_is_key_exists_and_keeps_the_first_value(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "theme", "dark").await;

    let again = create(&app, &user, "theme", "light").await;
    assert_error(&again, StatusCode::CONFLICT, "KEY_EXISTS");
    assert_eq!(app.value_of(&user, "theme").await, "dark");
}
backend_test!(storing_a_key_twice_is_key_exists_and_keeps_the_first_value);

async fn a_missing_key_is_key_not_found_for_every_method(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    for reply in every_method_on(&app, &user, &data_path("nothing-here")).await {
        assert_error(&reply, StatusCode::NOT_FOUND, "KEY_NOT_FOUND");
    }
    // A failed update must not have created the key.
    assert_error(
        &app.read(&user, "nothing-here").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
}
backend_test!(a_missing_key_is_key_not_found_for_every_method);

async fn a_deleted_key_can_be_stored_again_from_version_1(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "cycle", "one").await;
    app.update(&user, "cycle", "two").await;
    assert_success(
        &app.remove(&user, "cycle").await,
        StatusCode::OK,
        "Data deleted successfully.",
    );
    assert_error(
        &app.remove(&user, "cycle").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );

    app.store(&user, "cycle", "three").await;
    assert_eq!(app.value_of(&user, "cycle").await, "three");
    assert_eq!(
        app.entry_version(&user.account.user_id, "cycle").await,
        Some(1)
    );
}
backend_test!(a_deleted_key_can_be_stored_again_from_version_1);

async fn data_routes_need_a_token(backend: Backend) {
    let app = TestApp::new(backend).await;
    let path = data_path("k");
    let replies = [
        send(app.post_json("/api/data", &json!({ "key": "k", "value": "v" }))).await,
        send(app.get(&path)).await,
        send(app.put_json(&path, &json!({ "value": "v" }))).await,
        send(app.delete(&path)).await,
    ];
    for reply in &replies {
        assert_error(reply, StatusCode::UNAUTHORIZED, "INVALID_TOKEN");
        assert!(reply.header("www-authenticate").is_some(), "{reply:?}");
    }
}
backend_test!(data_routes_need_a_token);

async fn another_accounts_key_looks_exactly_like_a_missing_one(backend: Backend) {
    let app = TestApp::new(backend).await;
    let owner = app.signed_in().await;
    let other = app.signed_in().await;
    app.store(&owner, "secret", "owner's value").await;

    let theirs = every_method_on(&app, &other, &data_path("secret")).await;
    let missing = every_method_on(&app, &other, &data_path("no-such-key")).await;
    for (theirs, missing) in theirs.iter().zip(&missing) {
        assert_error(theirs, StatusCode::NOT_FOUND, "KEY_NOT_FOUND");
        assert_eq!(theirs.status, missing.status);
        assert_eq!(theirs.text, missing.text, "bodies must not differ");
        assert!(!theirs.text.contains("owner's value"));
    }

    // None of that touched the owner's entry.
    assert_eq!(app.value_of(&owner, "secret").await, "owner's value");
    assert_eq!(
        app.entry_version(&owner.account.user_id, "secret").await,
        Some(1)
    );
}
backend_test!(another_accounts_key_looks_exactly_like_a_missing_one);

async fn two_accounts_keep_separate_entries_under_one_key(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.signed_in().await;
    let bob = app.signed_in().await;
    app.store(&alice, "theme", "dark").await;
    // Not KEY_EXISTS: keys are scoped per account.
    app.store(&bob, "theme", "light").await;
    assert_eq!(app.value_of(&alice, "theme").await, "dark");
    assert_eq!(app.value_of(&bob, "theme").await, "light");

    app.update(&bob, "theme", "solarized").await;
    assert_eq!(app.value_of(&alice, "theme").await, "dark");
    assert_eq!(app.value_of(&bob, "theme").await, "solarized");

    assert_success(
        &app.remove(&bob, "theme").await,
        StatusCode::OK,
        "Data deleted successfully.",
    );
    assert_eq!(app.value_of(&alice, "theme").await, "dark");
    assert_error(
        &app.read(&bob, "theme").await,
        StatusCode::NOT_FOUND,
        "KEY_NOT_FOUND",
    );
}
backend_test!(two_accounts_keep_separate_entries_under_one_key);

async fn the_version_starts_at_1_and_grows_by_1_per_update(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    let id = &user.account.user_id;
    app.store(&user, "counter", "0").await;
    assert_eq!(app.entry_version(id, "counter").await, Some(1));

    for n in 1..=3 {
        app.update(&user, "counter", &n.to_string()).await;
        assert_eq!(app.entry_version(id, "counter").await, Some(n + 1));
    }
    // Writing the same value again is still an update.
    app.update(&user, "counter", "3").await;
    assert_eq!(app.entry_version(id, "counter").await, Some(5));

    // Failed writes do not count.
    let rejected = app.update(&user, "counter", &"x".repeat(MIB + 1)).await;
    assert_error(&rejected, StatusCode::BAD_REQUEST, "INVALID_VALUE");
    let duplicate = create(&app, &user, "counter", "again").await;
    assert_error(&duplicate, StatusCode::CONFLICT, "KEY_EXISTS");
    assert_eq!(app.entry_version(id, "counter").await, Some(5));

    app.remove(&user, "counter").await;
    assert_eq!(app.entry_version(id, "counter").await, None);
}
backend_test!(the_version_starts_at_1_and_grows_by_1_per_update);

async fn concurrent_stores_of_one_key_have_one_winner(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let user = Arc::new(app.signed_in().await);
    let attempts: Vec<_> = (0..16)
        .map(|i| {
            let (app, user) = (Arc::clone(&app), Arc::clone(&user));
            tokio::spawn(async move { create(&app, &user, "race", &format!("writer {i}")).await })
        })
        .collect();

    let mut winners = Vec::new();
    for (i, attempt) in attempts.into_iter().enumerate() {
        let reply = attempt.await.expect("store task");
        if reply.status == StatusCode::CREATED {
            winners.push(i);
        } else {
            assert_error(&reply, StatusCode::CONFLICT, "KEY_EXISTS");
        }
    }
    assert_eq!(winners.len(), 1, "exactly one store may win: {winners:?}");
    assert_eq!(
        app.value_of(&user, "race").await,
        format!("writer {}", winners[0])
    );
    assert_eq!(
        app.entry_version(&user.account.user_id, "race").await,
        Some(1)
    );
}
backend_test!(concurrent_stores_of_one_key_have_one_winner);

async fn concurrent_updates_each_bump_the_version_once(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let user = Arc::new(app.signed_in().await);
    app.store(&user, "busy", "start").await;
    let updates: Vec<_> = (0..10)
        .map(|i| {
            let (app, user) = (Arc::clone(&app), Arc::clone(&user));
            tokio::spawn(async move { app.update(&user, "busy", &format!("update {i}")).await })
        })
        .collect();
    for update in updates {
        let reply = update.await.expect("update task");
        assert_success(&reply, StatusCode::OK, "Data updated successfully.");
    }
    // No update was lost: 1 + 10.
    assert_eq!(
        app.entry_version(&user.account.user_id, "busy").await,
        Some(11)
    );
}
backend_test!(concurrent_updates_each_bump_the_version_once);

async fn concurrent_reads_each_get_their_own_answer(backend: Backend) {
    // One reader task, so reads that arrive together share a query.
    let app = Arc::new(
        TestApp::builder(backend)
            .option("--db-readers", "1")
            .build()
            .await,
    );
    let alice = Arc::new(app.signed_in().await);
    let bob = Arc::new(app.signed_in().await);
    for i in 0..8 {
        app.store(&alice, &format!("k{i}"), &format!("alice {i}"))
            .await;
        app.store(&bob, &format!("k{i}"), &format!("bob {i}")).await;
    }
    app.store(&bob, "only-bob", "bob's").await;

    // Each of the 8 keys twice by both, plus keys that are missing for the
    // reader (absent, or another account's).
    let mut reads = Vec::new();
    for round in 0..2 {
        for i in 0..8 {
            reads.push((
                Arc::clone(&alice),
                format!("k{i}"),
                Some(format!("alice {i}")),
            ));
            reads.push((Arc::clone(&bob), format!("k{i}"), Some(format!("bob {i}"))));
        }
        reads.push((Arc::clone(&alice), format!("missing-{round}"), None));
        reads.push((Arc::clone(&alice), "only-bob".to_owned(), None));
    }
    let replies: Vec<_> = reads
        .iter()
        .map(|(user, key, _)| {
            let (app, user, key) = (Arc::clone(&app), Arc::clone(user), key.clone());
            tokio::spawn(async move { app.read(&user, &key).await })
        })
        .collect();

    for ((_, key, expected), reply) in reads.iter().zip(replies) {
        let reply = reply.await.expect("read task");
        match expected {
            Some(value) => {
                assert_eq!(reply.status, StatusCode::OK, "{key}: {reply:?}");
                assert_eq!(reply.body["data"]["key"], key.as_str());
                assert_eq!(reply.body["data"]["value"], value.as_str(), "{key}");
            }
            None => assert_error(&reply, StatusCode::NOT_FOUND, "KEY_NOT_FOUND"),
        }
    }
}
backend_test!(concurrent_reads_each_get_their_own_answer);
