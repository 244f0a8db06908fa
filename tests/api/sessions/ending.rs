//! Ending sessions: logout, logout everywhere, ending one by id, and how
//! fast another server sharing the database honours it.

use super::*;

async fn each_login_starts_a_session_listed_newest_first(backend: Backend) {
    let app = TestApp::new(backend).await;
    let account = app.register_account().await;
    let first = app.login(&account).await;
    let reply = send(
        app.post_json(
            "/api/token",
            &json!({ "username": account.username, "password": account.password }),
        )
        .header("user-agent", "Test Browser/1.0"),
    )
    .await;
    let second = Tokens::from_data(&reply.body["data"]);
    assert_ne!(first.access, second.access, "two logins, two tokens");
    assert_ne!(first.refresh, second.refresh);

    let reply = authorized(
        &app,
        Method::GET,
        "/api/sessions",
        &second.access,
        Value::Null,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let sessions = reply.body["data"]["sessions"]
        .as_array()
        .expect("a list")
        .clone();
    assert_eq!(sessions.len(), 2, "{reply:?}");
    assert_eq!(sessions[0]["current"], true, "newest first, and it is mine");
    assert_eq!(sessions[0]["user_agent"], "Test Browser/1.0");
    assert_eq!(sessions[1]["current"], false);
    for session in &sessions {
        for field in ["id", "created_at", "last_used_at"] {
            assert!(session[field].is_string(), "{field} in {session}");
        }
    }
}
backend_test!(each_login_starts_a_session_listed_newest_first);

async fn logout_ends_the_session_at_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (account, tokens) = logged_in(&app).await;
    let other = app.login(&account).await;
    let reply = authorized(
        &app,
        Method::POST,
        "/api/logout",
        &tokens.access,
        Value::Null,
    )
    .await;
    assert_success(&reply, StatusCode::OK, "Logged out successfully.");
    assert_refused(&me(&app, &tokens.access).await);
    assert_refused(&refresh(&app, &tokens.refresh).await);
    assert_eq!(me(&app, &other.access).await.status, StatusCode::OK);
}
backend_test!(logout_ends_the_session_at_once);

async fn logout_everywhere_ends_every_session(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (account, first) = logged_in(&app).await;
    let second = app.login(&account).await;
    let (_, stranger) = logged_in(&app).await;
    let reply = authorized(
        &app,
        Method::POST,
        "/api/logout/all",
        &first.access,
        Value::Null,
    )
    .await;
    assert_success(&reply, StatusCode::OK, "Logged out of every session.");
    for tokens in [&first, &second] {
        assert_refused(&me(&app, &tokens.access).await);
        assert_refused(&refresh(&app, &tokens.refresh).await);
    }
    assert_eq!(me(&app, &stranger.access).await.status, StatusCode::OK);
    // Logging in again works.
    let again = app.login(&account).await;
    assert_eq!(me(&app, &again.access).await.status, StatusCode::OK);
}
backend_test!(logout_everywhere_ends_every_session);

async fn a_session_is_ended_by_its_id_and_only_by_its_owner(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (account, stolen) = logged_in(&app).await;
    let mine = app.login(&account).await;
    let (_, stranger) = logged_in(&app).await;
    let ids = session_ids(&app, &mine.access).await;
    let stolen_id = &ids[1];

    // Another account cannot end it, nor learn it exists.
    let path = format!("/api/sessions/{stolen_id}");
    let reply = authorized(&app, Method::DELETE, &path, &stranger.access, Value::Null).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "SESSION_NOT_FOUND");
    assert_eq!(me(&app, &stolen.access).await.status, StatusCode::OK);
    for unknown in ["0".repeat(32), "nonsense".to_owned()] {
        let path = format!("/api/sessions/{unknown}");
        let reply = authorized(&app, Method::DELETE, &path, &mine.access, Value::Null).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "SESSION_NOT_FOUND");
    }

    let reply = authorized(&app, Method::DELETE, &path, &mine.access, Value::Null).await;
    assert_success(&reply, StatusCode::OK, "Session ended successfully.");
    assert_refused(&me(&app, &stolen.access).await);
    assert_refused(&refresh(&app, &stolen.refresh).await);
    assert_eq!(session_ids(&app, &mine.access).await.len(), 1);
    // Ended twice: not found the second time.
    let reply = authorized(&app, Method::DELETE, &path, &mine.access, Value::Null).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "SESSION_NOT_FOUND");
}
backend_test!(a_session_is_ended_by_its_id_and_only_by_its_owner);

/// Contract section 7: within 1 s on every other server sharing the
/// database. (Polled every 250 ms; the bound here leaves room for a loaded
/// machine.)
async fn an_ended_session_is_refused_by_another_server_within_a_second(backend: Backend) {
    let app = TestApp::new(backend).await;
    let other = app.another_server(&[]).await;
    let (account, tokens) = logged_in(&app).await;
    let second = app.login(&account).await;
    // Both servers accept both sessions' tokens.
    assert_eq!(me(&other, &tokens.access).await.status, StatusCode::OK);
    assert_eq!(me(&other, &second.access).await.status, StatusCode::OK);

    let reply = authorized(
        &app,
        Method::POST,
        "/api/logout",
        &tokens.access,
        Value::Null,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let took = time_until_refused(&other, &tokens.access, Duration::from_secs(3)).await;
    println!("the other server refused the ended session after {took:?}");

    // The same the other way round.
    let reply = authorized(
        &other,
        Method::POST,
        "/api/logout",
        &second.access,
        Value::Null,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    time_until_refused(&app, &second.access, Duration::from_secs(3)).await;

    // A server that starts later knows of both before it serves.
    let late = app.another_server(&[]).await;
    assert_refused(&me(&late, &tokens.access).await);
    assert_refused(&me(&late, &second.access).await);
    let third = app.login(&account).await;
    assert_eq!(me(&late, &third.access).await.status, StatusCode::OK);
}
backend_test!(an_ended_session_is_refused_by_another_server_within_a_second);
