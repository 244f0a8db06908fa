//! Login defence (contract section 11): the limits per address, per
//! username across addresses, and on registrations; which proxies are
//! believed; passwords hashed again at a new cost.

use super::*;
use crate::harness::{PASSWORD, registration, unique_username};

/// `POST /api/token` as if from `address` (believed only behind a trusted proxy).
async fn login_from(app: &TestApp, address: &str, username: &str, password: &str) -> Reply {
    send(
        app.post_json(
            "/api/token",
            &json!({ "username": username, "password": password }),
        )
        .header("x-forwarded-for", address),
    )
    .await
}

#[track_caller]
fn assert_limited(reply: &Reply) {
    assert_error(reply, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED");
    let wait: u64 = reply
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After in whole seconds: {reply:?}"));
    assert!(wait >= 1, "{reply:?}");
}

async fn one_address_cannot_spray_a_password_over_many_usernames(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--token-attempts-per-address", "3")
        .build()
        .await;
    let account = app.register_account().await;
    for _ in 0..3 {
        let reply = login_from(&app, "-", &unique_username(), "Spray-Password-1").await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS");
    }
    // The fourth attempt from the address is refused, whatever the account.
    assert_limited(&login_from(&app, "-", &account.username, &account.password).await);
}
backend_test!(one_address_cannot_spray_a_password_over_many_usernames);

async fn failures_per_username_count_across_addresses_and_reset_on_success(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--login-failures-per-day", "3")
        .option("--token-rate-limit", "0")
        // Loopback is the proxy, so X-Forwarded-For gives each attempt its own address.
        .option("--trusted-proxies", "127.0.0.1/32,::1/128")
        .build()
        .await;
    let victim = app.register_account().await;
    let bystander = app.register_account().await;

    // A success resets the count of failures.
    for address in ["192.0.2.1", "192.0.2.2"] {
        let reply = login_from(&app, address, &victim.username, "Wrong-Guess-0").await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS");
    }
    let reply = login_from(&app, "192.0.2.9", &victim.username, &victim.password).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");

    for (i, address) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        let reply = login_from(&app, address, &victim.username, &format!("Wrong-Guess-{i}")).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS");
    }
    // Three failures from three addresses: the account is locked, for every
    // address and even with the right password, and the answer says when
    // to come back.
    assert_limited(&login_from(&app, "203.0.113.7", &victim.username, &victim.password).await);
    // Another account is untouched.
    let reply = login_from(
        &app,
        "198.51.100.1",
        &bystander.username,
        &bystander.password,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
}
backend_test!(failures_per_username_count_across_addresses_and_reset_on_success);

async fn forwarded_addresses_are_believed_only_from_trusted_proxies(backend: Backend) {
    // Without TRUSTED_PROXIES, X-Forwarded-For is ignored: one budget.
    let app = TestApp::builder(backend)
        .option("--token-attempts-per-address", "2")
        .build()
        .await;
    for address in ["192.0.2.1", "192.0.2.2"] {
        let reply = login_from(&app, address, &unique_username(), "Any-Password-1").await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS");
    }
    assert_limited(&login_from(&app, "192.0.2.3", &unique_username(), "Any-Password-1").await);

    // Behind a trusted proxy, each client has its own.
    let proxied = app
        .another_server(&[
            ("--token-attempts-per-address", "2"),
            ("--trusted-proxies", "127.0.0.0/8,::1/128"),
        ])
        .await;
    for address in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        for _ in 0..2 {
            let reply = login_from(&proxied, address, &unique_username(), "Any-Password-1").await;
            assert_error(&reply, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS");
        }
    }
    // The rightmost address that is not a proxy is the client: a client
    // cannot pick its own by writing the header.
    let spoofed = "192.0.2.77, 192.0.2.1";
    assert_limited(&login_from(&proxied, spoofed, &unique_username(), "Any-Password-1").await);
}
backend_test!(forwarded_addresses_are_believed_only_from_trusted_proxies);

async fn registrations_per_address_are_limited(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--registrations-per-address", "2")
        .build()
        .await;
    let register = |name: String| {
        let email = format!("{name}@example.com");
        send(app.post_json("/api/register", &registration(&name, &email, PASSWORD)))
    };
    for _ in 0..2 {
        assert_eq!(
            register(unique_username()).await.status,
            StatusCode::CREATED
        );
    }
    assert_limited(&register(unique_username()).await);
}
backend_test!(registrations_per_address_are_limited);

async fn a_password_is_hashed_again_at_a_new_cost(backend: Backend) {
    let app = TestApp::new(backend).await;
    let account = app.register_account().await;
    assert_eq!(app.password_hash_cost(&account.user_id).await, 4);
    // The operator raises BCRYPT_COST: the next login re-hashes.
    let raised = app.another_server(&[("--bcrypt-cost", "5")]).await;
    let tokens = raised.login(&account).await;
    assert_eq!(me(&raised, &tokens.access).await.status, StatusCode::OK);
    assert_eq!(app.password_hash_cost(&account.user_id).await, 5);
    // And the password still works, on both.
    app.login(&account).await;
}
backend_test!(a_password_is_hashed_again_at_a_new_cost);
