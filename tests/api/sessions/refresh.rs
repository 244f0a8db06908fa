//! Refresh tokens: rotation, reuse, idle expiry.

use super::*;

async fn a_refresh_hands_out_a_new_pair_and_retires_the_old_token(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (_, first) = logged_in(&app).await;

    let reply = refresh(&app, &first.refresh).await;
    assert_success(
        &reply,
        StatusCode::OK,
        "Access token refreshed successfully.",
    );
    let data = &reply.body["data"];
    assert_eq!(data["token_type"], "Bearer");
    assert_eq!(data["expires_in"], 3600);
    assert_eq!(data["refresh_expires_in"], 2_592_000);
    let second = Tokens::from_data(data);
    assert_ne!(second.refresh, first.refresh);
    assert_ne!(second.access, first.access);
    // Both access tokens belong to the same live session.
    assert_eq!(me(&app, &second.access).await.status, StatusCode::OK);
    assert_eq!(me(&app, &first.access).await.status, StatusCode::OK);
    assert_eq!(session_ids(&app, &second.access).await.len(), 1);
    // The new refresh token works once more.
    let third = refresh(&app, &second.refresh).await;
    assert_eq!(third.status, StatusCode::OK, "{third:?}");
}
backend_test!(a_refresh_hands_out_a_new_pair_and_retires_the_old_token);

async fn a_missing_unknown_or_malformed_refresh_token_is_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let reply = send(app.post_json("/api/token/refresh", &json!({}))).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "MISSING_FIELDS");
    for token in ["nope", &"A".repeat(43)] {
        assert_refused(&refresh(&app, token).await);
    }
    let reply = send(app.post_json("/api/token/refresh", &json!({ "refresh_token": 7 }))).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
}
backend_test!(a_missing_unknown_or_malformed_refresh_token_is_refused);

async fn reusing_a_retired_refresh_token_ends_the_whole_session(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (account, first) = logged_in(&app).await;
    let other = app.login(&account).await;
    let second = Tokens::from_data(&refresh(&app, &first.refresh).await.body["data"]);

    // The stolen, already-used token comes back: the session ends.
    assert_refused(&refresh(&app, &first.refresh).await);
    assert_refused(&refresh(&app, &second.refresh).await);
    assert_refused(&me(&app, &second.access).await);
    assert_refused(&me(&app, &first.access).await);
    // The account's other session goes on.
    assert_eq!(me(&app, &other.access).await.status, StatusCode::OK);
    assert_eq!(refresh(&app, &other.refresh).await.status, StatusCode::OK);
}
backend_test!(reusing_a_retired_refresh_token_ends_the_whole_session);

async fn a_session_idle_past_the_refresh_lifetime_cannot_refresh(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--refresh-ttl-secs", "1")
        .build()
        .await;
    let (account, tokens) = logged_in(&app).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_refused(&refresh(&app, &tokens.refresh).await);
    // Gone from the account's list too: only the new session is there.
    let fresh = app.login(&account).await;
    assert_eq!(session_ids(&app, &fresh.access).await.len(), 1);
}
backend_test!(a_session_idle_past_the_refresh_lifetime_cannot_refresh);

async fn two_refreshes_racing_with_one_token_count_as_reuse(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (_, tokens) = logged_in(&app).await;

    let (one, two) = tokio::join!(
        refresh(&app, &tokens.refresh),
        refresh(&app, &tokens.refresh)
    );
    // The token's row is locked (MySQL) or the write serialised (SQLite):
    // one refresh rotates it, the other finds it retired and ends the session.
    let (won, lost) = if one.status == StatusCode::OK {
        (one, two)
    } else {
        (two, one)
    };
    assert_eq!(won.status, StatusCode::OK, "{won:?}");
    assert_refused(&lost);
    let next = Tokens::from_data(&won.body["data"]);
    assert_refused(&refresh(&app, &next.refresh).await);
    assert_refused(&me(&app, &next.access).await);
}
backend_test!(two_refreshes_racing_with_one_token_count_as_reuse);

async fn many_sessions_refreshing_at_once_all_succeed(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--token-rate-limit", "0")
        .build()
        .await;
    let (account, first) = logged_in(&app).await;
    let mut chains = tokio::task::JoinSet::new();
    let mut token = first.refresh;
    for _ in 0..16 {
        chains.spawn(rotate_five_times(
            app.client().clone(),
            app.url("/api/token/refresh"),
            token,
        ));
        token = app.login(&account).await.refresh;
    }

    // Each rotation is a transaction that locks its token's row; those of
    // different sessions must not wait on (or deadlock with) each other.
    // (A deadlock that took thousands of rotations was caught by the
    // refresh benchmark, which needs zero errors: BENCHMARKS.md.)
    let finals = chains.join_all().await;
    for token in finals {
        assert_eq!(refresh(&app, &token).await.status, StatusCode::OK);
    }
}
backend_test!(many_sessions_refreshing_at_once_all_succeed);

/// Refreshes five times in a row from `token`; the last refresh token.
async fn rotate_five_times(client: reqwest::Client, url: String, mut token: String) -> String {
    for _ in 0..5 {
        let reply = send(client.post(&url).json(&json!({ "refresh_token": token }))).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        token = Tokens::from_data(&reply.body["data"]).refresh;
    }
    token
}
