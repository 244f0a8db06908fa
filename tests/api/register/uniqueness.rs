//! Unique usernames and emails, and racing registrations.

use super::*;

async fn usernames_are_unique_regardless_of_case(backend: Backend) {
    let app = TestApp::new(backend).await;
    let name = format!("Alice{}", unique_username());
    let first = registration(&name, &format!("first.{name}@example.com"), PASSWORD);
    expect_accepted(&app, &[first]).await;

    for clash in [name.to_lowercase(), name.to_uppercase(), name.clone()] {
        let body = registration(&clash, &format!("other.{clash}@example.com"), PASSWORD);
        let reply = register(&app, &body).await;
        assert_error(&reply, StatusCode::CONFLICT, "USERNAME_EXISTS");
    }
}
backend_test!(usernames_are_unique_regardless_of_case);

async fn emails_are_unique_regardless_of_case(backend: Backend) {
    let app = TestApp::new(backend).await;
    let email = format!("Bob.{}@Example.COM", unique_username());
    expect_accepted(&app, &[registration(&unique_username(), &email, PASSWORD)]).await;

    for clash in [email.to_lowercase(), email.to_uppercase(), email.clone()] {
        let body = registration(&unique_username(), &clash, PASSWORD);
        let reply = register(&app, &body).await;
        assert_error(&reply, StatusCode::CONFLICT, "EMAIL_EXISTS");
    }
}
backend_test!(emails_are_unique_regardless_of_case);

/// Which of the two unique indexes a clash ran into is told by the index,
/// never by the duplicate value (which MariaDB's message also holds).
async fn a_clash_is_told_by_its_index_whatever_the_values_contain(backend: Backend) {
    let app = TestApp::new(backend).await;
    let suffix = &unique_username()[4..];
    let email_user = format!("email_{suffix}");
    let username_email = format!("username.{suffix}@example.com");
    expect_accepted(
        &app,
        &[registration(&email_user, &username_email, PASSWORD)],
    )
    .await;
    // A username containing "email" clashes as a username.
    let reply = register(
        &app,
        &registration(
            &email_user.to_uppercase(),
            &format!("other.{suffix}@example.com"),
            PASSWORD,
        ),
    )
    .await;
    assert_error(&reply, StatusCode::CONFLICT, "USERNAME_EXISTS");
    // An email containing "username" clashes as an email.
    let reply = register(
        &app,
        &registration(
            &format!("other_{suffix}"),
            &username_email.to_uppercase(),
            PASSWORD,
        ),
    )
    .await;
    assert_error(&reply, StatusCode::CONFLICT, "EMAIL_EXISTS");
    // An email that spells out another index's name, as MariaDB would
    // quote it, is still an email.
    let spoof = format!("\"x' for key 'users_username_key' {suffix}\"@example.com");
    expect_accepted(
        &app,
        &[registration(&format!("spoof_{suffix}"), &spoof, PASSWORD)],
    )
    .await;
    let reply = register(
        &app,
        &registration(&format!("again_{suffix}"), &spoof, PASSWORD),
    )
    .await;
    assert_error(&reply, StatusCode::CONFLICT, "EMAIL_EXISTS");
}
backend_test!(a_clash_is_told_by_its_index_whatever_the_values_contain);

async fn a_rejected_registration_changes_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let taken = app.register_account().await;
    let username = unique_username();
    let email = format!("{username}@example.com");

    // Invalid: nothing may be stored.
    let mut invalid = registration(&username, &email, PASSWORD);
    invalid["age"] = json!(0);
    expect_rejected(&app, "INVALID_AGE", &[invalid]).await;
    // A clash on the email: the username must not be claimed either.
    let clash = registration(&username, &taken.email, PASSWORD);
    let reply = register(&app, &clash).await;
    assert_error(&reply, StatusCode::CONFLICT, "EMAIL_EXISTS");

    // Both the username and the email are still free.
    expect_accepted(&app, &[registration(&username, &email, PASSWORD)]).await;
}
backend_test!(a_rejected_registration_changes_nothing);

async fn concurrent_registrations_of_one_username_have_one_winner(backend: Backend) {
    let app = std::sync::Arc::new(TestApp::new(backend).await);
    let username = unique_username();
    let attempts: Vec<_> = (0..12)
        .map(|i| {
            let app = std::sync::Arc::clone(&app);
            // Each attempt varies the case and the email, so only the
            // case-insensitive username index can decide.
            let name = if i % 2 == 0 {
                username.to_uppercase()
            } else {
                username.clone()
            };
            let body = registration(&name, &format!("racer{i}.{username}@example.com"), PASSWORD);
            tokio::spawn(async move { send(app.post_json("/api/register", &body)).await })
        })
        .collect();

    let mut created = 0;
    for attempt in attempts {
        let reply = attempt.await.expect("registration task");
        if reply.status == StatusCode::CREATED {
            created += 1;
        } else {
            assert_error(&reply, StatusCode::CONFLICT, "USERNAME_EXISTS");
        }
    }
    assert_eq!(created, 1, "exactly one registration may win");
}
backend_test!(concurrent_registrations_of_one_username_have_one_winner);
