//! The caller's account: `GET`/`PATCH`/`DELETE /api/me`, `POST /api/me/password`.

use super::*;
use crate::harness::{PASSWORD, registration};

async fn me_shows_the_account(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (account, tokens) = logged_in(&app).await;
    let reply = me(&app, &tokens.access).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["status"], "success");
    let data = &reply.body["data"];
    assert_eq!(data["user_id"], account.user_id);
    assert_eq!(data["username"], account.username);
    assert_eq!(data["email"], account.email);
    assert_eq!(data["full_name"], "Test Person");
    assert_eq!(data["age"], 30);
    assert_eq!(data["gender"], "non-binary");
    assert!(data["created_at"].is_string(), "{reply:?}");
    assert!(!reply.text.contains("$2"), "no password hash: {reply:?}");
}
backend_test!(me_shows_the_account);

async fn the_profile_changes_by_the_registration_rules(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (_, tokens) = logged_in(&app).await;
    let (taken, _) = logged_in(&app).await;
    let patch = |body: Value| authorized(&app, Method::PATCH, "/api/me", &tokens.access, body);

    let reply = patch(json!({ "full_name": "Ada Lovelace", "age": 36 })).await;
    assert_success(&reply, StatusCode::OK, "Account updated successfully.");
    assert_eq!(reply.body["data"]["full_name"], "Ada Lovelace");
    assert_eq!(reply.body["data"]["age"], 36);
    assert_eq!(reply.body["data"]["gender"], "non-binary", "unchanged");

    for (body, code) in [
        (json!({}), "INVALID_REQUEST"),
        (json!({ "nickname": "x" }), "INVALID_REQUEST"),
        (
            json!({ "age": 40, "username": "renamed" }),
            "INVALID_REQUEST",
        ),
        (json!({ "email": "not an email" }), "INVALID_EMAIL"),
        (json!({ "email": 7 }), "INVALID_REQUEST"),
        (json!({ "full_name": "   " }), "INVALID_REQUEST"),
        (json!({ "age": "30" }), "INVALID_AGE"),
        (json!({ "age": 151 }), "INVALID_AGE"),
        (json!({ "gender": "" }), "GENDER_REQUIRED"),
        (json!({ "gender": null }), "GENDER_REQUIRED"),
    ] {
        let reply = patch(body.clone()).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, code);
    }
    let reply = patch(json!({ "email": taken.email.to_uppercase(), "age": 50 })).await;
    assert_error(&reply, StatusCode::CONFLICT, "EMAIL_EXISTS");
    // Nothing of a refused change was kept.
    let after = me(&app, &tokens.access).await;
    assert_eq!(after.body["data"]["age"], 36, "{after:?}");
    assert_eq!(after.body["data"]["full_name"], "Ada Lovelace");

    let reply = patch(json!({ "email": "new.address@example.com", "gender": "female" })).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["data"]["email"], "new.address@example.com");
}
backend_test!(the_profile_changes_by_the_registration_rules);

async fn a_password_change_needs_the_current_one_and_ends_the_other_sessions(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (account, tokens) = logged_in(&app).await;
    let other = app.login(&account).await;
    let change = |current: &str, new: &str| {
        authorized(
            &app,
            Method::POST,
            "/api/me/password",
            &tokens.access,
            json!({ "current_password": current, "new_password": new }),
        )
    };
    let reply = change("Wrong-Password-123", "Brand-New-Secret-77").await;
    assert_error(&reply, StatusCode::FORBIDDEN, "INVALID_CREDENTIALS");
    for weak in ["short", "password123", account.username.as_str()] {
        let reply = change(PASSWORD, weak).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_PASSWORD");
    }
    assert_eq!(
        me(&app, &other.access).await.status,
        StatusCode::OK,
        "nothing changed yet"
    );

    let reply = change(PASSWORD, "Brand-New-Secret-77").await;
    assert_success(&reply, StatusCode::OK, "Password changed successfully.");
    assert_eq!(
        me(&app, &tokens.access).await.status,
        StatusCode::OK,
        "this session goes on"
    );
    assert_refused(&me(&app, &other.access).await);
    assert_refused(&refresh(&app, &other.refresh).await);

    let old = send(app.post_json(
        "/api/token",
        &json!({ "username": account.username, "password": PASSWORD }),
    ))
    .await;
    assert_error(&old, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS");
    let new = send(app.post_json(
        "/api/token",
        &json!({ "username": account.username, "password": "Brand-New-Secret-77" }),
    ))
    .await;
    assert_eq!(new.status, StatusCode::OK, "{new:?}");
}
backend_test!(a_password_change_needs_the_current_one_and_ends_the_other_sessions);

async fn deleting_the_account_removes_it_its_entries_and_sessions(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (account, tokens) = logged_in(&app).await;
    let other = app.login(&account).await;
    let user = crate::harness::User {
        account: account.clone(),
        token: tokens.access.clone(),
    };
    app.store(&user, "kept", "v").await;

    let delete = |password: &str| {
        authorized(
            &app,
            Method::DELETE,
            "/api/me",
            &tokens.access,
            json!({ "password": password }),
        )
    };
    let reply = delete("Wrong-Password-123").await;
    assert_error(&reply, StatusCode::FORBIDDEN, "INVALID_CREDENTIALS");
    assert_eq!(app.entry_version(&account.user_id, "kept").await, Some(1));

    let reply = delete(PASSWORD).await;
    assert_success(&reply, StatusCode::OK, "Account deleted successfully.");
    assert_eq!(app.entry_version(&account.user_id, "kept").await, None);
    for tokens in [&tokens, &other] {
        assert_refused(&me(&app, &tokens.access).await);
        assert_refused(&refresh(&app, &tokens.refresh).await);
    }
    // The username and email are free again.
    let again = send(app.post_json(
        "/api/register",
        &registration(&account.username, &account.email, PASSWORD),
    ))
    .await;
    assert_eq!(again.status, StatusCode::CREATED, "{again:?}");
}
backend_test!(deleting_the_account_removes_it_its_entries_and_sessions);
