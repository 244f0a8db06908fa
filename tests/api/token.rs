//! `POST /api/token` and bearer tokens: issuing, the credential errors, the
//! rate limit, and every way a token can be refused.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::harness::{
    Account, Backend, JWT_SECRET, Reply, TestApp, User, assert_error, assert_success,
    backend_independent_test, backend_test, data_path, send,
};

/// The claims the contract says a token carries (section 7).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    sid: String,
    jti: String,
    iat: u64,
    exp: u64,
}

/// What the server issues for `user_id`: every claim as the contract says,
/// valid for the default hour from now, in a session of its own.
fn claims_for(user_id: &str) -> Claims {
    let now = unix_now();
    Claims {
        iss: "datakeep".to_owned(),
        aud: "datakeep".to_owned(),
        sub: user_id.to_owned(),
        sid: format!("{:032x}", rand::random::<u128>()),
        jti: format!("{:032x}", rand::random::<u128>()),
        iat: now,
        exp: now + 3600,
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

/// A token for `user_id` signed with `secret` and `algorithm`, otherwise
/// exactly what the server issues.
fn sign(algorithm: Algorithm, secret: &str, user_id: &str) -> String {
    sign_claims(algorithm, secret, &claims_for(user_id))
}

/// `claims` in an access token's header (`typ: at+jwt`), signed.
fn sign_claims(algorithm: Algorithm, secret: &str, claims: &impl Serialize) -> String {
    let mut header = Header::new(algorithm);
    header.typ = Some("at+jwt".to_owned());
    sign_with_header(&header, secret, claims)
}

fn sign_with_header(header: &Header, secret: &str, claims: &impl Serialize) -> String {
    jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(secret.as_bytes()))
        .expect("signing a test token")
}

async fn request_token(app: &TestApp, body: &Value) -> Reply {
    send(app.post_json("/api/token", body)).await
}

/// Reads a key with `authorization` as the raw header value (or none).
async fn read_with(app: &TestApp, authorization: Option<&str>) -> Reply {
    let mut request = app.get(&data_path("anything"));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    send(request).await
}

/// A 401 INVALID_TOKEN that tells the client to use a bearer token.
#[track_caller]
fn assert_invalid_token(reply: &Reply) {
    assert_error(reply, StatusCode::UNAUTHORIZED, "INVALID_TOKEN");
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.to_ascii_lowercase().starts_with("bearer"),
        "WWW-Authenticate must start with Bearer: {reply:?}"
    );
}

async fn token_is_issued_in_the_documented_envelope(backend: Backend) {
    let app = TestApp::new(backend).await;
    let account = app.register_account().await;

    let reply = request_token(
        &app,
        &json!({ "username": account.username, "password": account.password }),
    )
    .await;

    assert_success(
        &reply,
        StatusCode::OK,
        "Access token generated successfully.",
    );
    let data = &reply.body["data"];
    assert_eq!(data["expires_in"], 3600);
    assert_eq!(data["token_type"], "Bearer");
    assert_eq!(data["refresh_expires_in"], 2_592_000);
    let refresh = data["refresh_token"]
        .as_str()
        .expect("refresh_token is a string");
    assert!(refresh.len() >= 43, "at least 256 bits: {refresh}");
    let token = data["access_token"]
        .as_str()
        .expect("access_token is a string");
    assert_eq!(
        token.split('.').count(),
        3,
        "a JWT has three parts: {token}"
    );

    // An HS256 JWT of type at+jwt whose sub is the account id, with every
    // claim of section 7, living expires_in seconds.
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["datakeep"]);
    validation.set_issuer(&["datakeep"]);
    let decoded = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(JWT_SECRET.as_bytes()),
        &validation,
    )
    .expect("the token is an HS256 JWT signed with the server's secret");
    assert_eq!(decoded.header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(decoded.claims.sub, account.user_id);
    assert_eq!(decoded.claims.sid.len(), 32, "{:?}", decoded.claims);
    assert!(!decoded.claims.jti.is_empty());
    assert_eq!(decoded.claims.exp - decoded.claims.iat, 3600);
    assert!(decoded.claims.iat.abs_diff(unix_now()) < 60, "iat is now");
    assert!(!reply.text.contains(&account.password), "password echoed");
}
backend_test!(token_is_issued_in_the_documented_envelope);

async fn the_issued_token_opens_the_data_routes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "k", "v").await;
    assert_eq!(app.value_of(&user, "k").await, "v");
}
backend_test!(the_issued_token_opens_the_data_routes);

async fn login_accepts_the_username_in_another_case(backend: Backend) {
    let app = TestApp::new(backend).await;
    let account = app.register_account().await;
    for username in [
        account.username.to_uppercase(),
        account.username.to_lowercase(),
    ] {
        let reply = request_token(
            &app,
            &json!({ "username": username, "password": account.password }),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{username}: {reply:?}");
    }
}
backend_test!(login_accepts_the_username_in_another_case);

async fn missing_username_or_password_is_missing_fields(backend: Backend) {
    let app = TestApp::new(backend).await;
    let account = app.register_account().await;
    let bodies = [
        json!({}),
        json!({ "username": account.username }),
        json!({ "password": account.password }),
        json!({ "username": null, "password": account.password }),
        json!({ "username": account.username, "password": null }),
    ];
    for body in &bodies {
        let reply = request_token(&app, body).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "MISSING_FIELDS");
    }
}
backend_independent_test!(missing_username_or_password_is_missing_fields);

async fn unknown_user_and_wrong_password_get_the_same_answer(backend: Backend) {
    let app = TestApp::new(backend).await;
    let account = app.register_account().await;

    let wrong_password = request_token(
        &app,
        &json!({ "username": account.username, "password": "Not-The-Password-9" }),
    )
    .await;
    let unknown_user = request_token(
        &app,
        &json!({ "username": "nobody_by_this_name", "password": account.password }),
    )
    .await;

    assert_error(
        &wrong_password,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    );
    assert_error(
        &unknown_user,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    );
    // Nothing may tell an attacker which usernames exist.
    assert_eq!(wrong_password.text, unknown_user.text);
}
backend_test!(unknown_user_and_wrong_password_get_the_same_answer);

async fn a_password_differing_only_after_72_bytes_does_not_log_in(backend: Backend) {
    // bcrypt reads 72 bytes; a longer guess sharing them must still fail.
    let app = TestApp::new(backend).await;
    let account = app.register_account().await;
    let mut guess = account.password.clone();
    guess.push_str(&"x".repeat(80));
    let reply = request_token(
        &app,
        &json!({ "username": account.username, "password": guess }),
    )
    .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS");
}
backend_test!(a_password_differing_only_after_72_bytes_does_not_log_in);

async fn too_many_attempts_are_rate_limited_with_retry_after(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--token-rate-limit", "3")
        .build()
        .await;
    let account = app.register_account().await;
    let wrong = json!({ "username": account.username, "password": "Not-The-Password-9" });

    for _ in 0..3 {
        let reply = request_token(&app, &wrong).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS");
    }
    let limited = request_token(&app, &wrong).await;
    assert_error(&limited, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED");
    let retry_after: u64 = limited
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After must be whole seconds: {limited:?}"));
    assert!(retry_after >= 1, "{limited:?}");

    // Once limited, even the right password waits: otherwise guessing goes on.
    let right = request_token(
        &app,
        &json!({ "username": account.username, "password": account.password }),
    )
    .await;
    assert_error(&right, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED");
}
backend_test!(too_many_attempts_are_rate_limited_with_retry_after);

async fn a_missing_or_malformed_authorization_header_is_invalid_token(backend: Backend) {
    let app = TestApp::new(backend).await;
    for authorization in [
        None,
        Some(""),
        Some("Bearer"),
        Some("Bearer "),
        Some("Bearer not-a-token"),
        Some("Bearer a.b.c"),
        Some("Basic dXNlcjpwYXNz"),
    ] {
        let reply = read_with(&app, authorization).await;
        assert_invalid_token(&reply);
    }
}
backend_independent_test!(a_missing_or_malformed_authorization_header_is_invalid_token);

async fn a_token_signed_with_another_secret_is_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    let forged = sign(
        Algorithm::HS256,
        "some-other-secret-of-at-least-32-bytes!!",
        &user.account.user_id,
    );
    assert_invalid_token(&read_with(&app, Some(&format!("Bearer {forged}"))).await);
}
backend_independent_test!(a_token_signed_with_another_secret_is_refused);

async fn a_tampered_token_is_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let victim = app.signed_in().await;
    let attacker = app.signed_in().await;
    // Swap in the victim's claims but keep the attacker's signature.
    let victim_parts: Vec<&str> = victim.token.split('.').collect();
    let attacker_parts: Vec<&str> = attacker.token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        attacker_parts[0], victim_parts[1], attacker_parts[2]
    );
    assert_invalid_token(&read_with(&app, Some(&format!("Bearer {tampered}"))).await);
}
backend_independent_test!(a_tampered_token_is_refused);

async fn an_unsigned_alg_none_token_is_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    // base64url of {"alg":"none","typ":"JWT"}; the claims are the real ones.
    const NONE_HEADER: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
    let parts: Vec<&str> = user.token.split('.').collect();
    for token in [
        format!("{NONE_HEADER}.{}.", parts[1]),
        format!("{NONE_HEADER}.{}.{}", parts[1], parts[2]),
    ] {
        assert_invalid_token(&read_with(&app, Some(&format!("Bearer {token}"))).await);
    }
}
backend_independent_test!(an_unsigned_alg_none_token_is_refused);

async fn other_algorithms_are_refused_even_with_the_right_secret(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    // The right secret and claims prove the refusal is about the algorithm.
    let control = sign(Algorithm::HS256, JWT_SECRET, &user.account.user_id);
    let reply = read_with(&app, Some(&format!("Bearer {control}"))).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "KEY_NOT_FOUND");

    for algorithm in [Algorithm::HS384, Algorithm::HS512] {
        let token = sign(algorithm, JWT_SECRET, &user.account.user_id);
        assert_invalid_token(&read_with(&app, Some(&format!("Bearer {token}"))).await);
    }
}
backend_independent_test!(other_algorithms_are_refused_even_with_the_right_secret);

async fn an_expired_token_is_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    let now = unix_now();
    // Expired a few seconds ago: no leeway may keep it alive.
    let expired = sign_claims(
        Algorithm::HS256,
        JWT_SECRET,
        &Claims {
            iat: now - 3600,
            exp: now - 5,
            ..claims_for(&user.account.user_id)
        },
    );
    assert_invalid_token(&read_with(&app, Some(&format!("Bearer {expired}"))).await);
}
backend_test!(an_expired_token_is_refused);

async fn tokens_expire_after_the_configured_lifetime(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--token-ttl-secs", "1")
        .build()
        .await;
    let account = app.register_account().await;
    let reply = request_token(
        &app,
        &json!({ "username": account.username, "password": account.password }),
    )
    .await;
    assert_eq!(reply.body["data"]["expires_in"], 1, "{reply:?}");
    let token = reply.body["data"]["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();

    // `exp` has whole-second precision: two seconds is past it whatever
    // fraction of a second the token was issued in.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_invalid_token(&read_with(&app, Some(&format!("Bearer {token}"))).await);
}
backend_test!(tokens_expire_after_the_configured_lifetime);

async fn a_token_whose_account_is_gone_is_refused_on_every_route(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    app.store(&user, "kept", "value").await;
    app.delete_user_row(&user.account.user_id).await;

    assert_invalid_token(&app.read(&user, "kept").await);
    assert_invalid_token(&app.read(&user, "never-stored").await);
    assert_invalid_token(&app.update(&user, "kept", "new").await);
    assert_invalid_token(&app.remove(&user, "kept").await);
    let create = send(
        app.post_json("/api/data", &json!({ "key": "fresh", "value": "v" }))
            .bearer_auth(&user.token),
    )
    .await;
    assert_invalid_token(&create);
}
backend_test!(a_token_whose_account_is_gone_is_refused_on_every_route);

async fn a_valid_token_for_an_id_that_never_existed_is_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user: User = app.signed_in().await;
    let ghost = (user.account.user_id.parse::<i64>().expect("numeric id") + 1000).to_string();
    let token = sign(Algorithm::HS256, JWT_SECRET, &ghost);
    let ghost_user = User {
        account: Account {
            user_id: ghost,
            ..user.account.clone()
        },
        token,
    };
    assert_invalid_token(&app.read(&ghost_user, "k").await);
    let create = send(
        app.post_json("/api/data", &json!({ "key": "k", "value": "v" }))
            .bearer_auth(&ghost_user.token),
    )
    .await;
    assert_invalid_token(&create);
}
backend_test!(a_valid_token_for_an_id_that_never_existed_is_refused);

/// Contract section 11: hashing waits in a bounded queue; past it, 503 with
/// Retry-After at once. One hashing thread and room for one waiting hash:
/// of sixteen logins sent together, most find the queue full.
async fn logins_past_the_hashing_queue_get_503_at_once(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--hash-concurrency", "1")
        .option("--hash-queue-limit", "1")
        // Slow enough that all sixteen arrive while the first is hashed.
        .option("--bcrypt-cost", "8")
        .option("--token-rate-limit", "0")
        .build()
        .await;
    let account = app.register_account().await;
    let body = json!({ "username": account.username, "password": account.password });
    let mut logins = tokio::task::JoinSet::new();
    for _ in 0..16 {
        logins.spawn(send(app.post_json("/api/token", &body)));
    }
    let replies = logins.join_all().await;
    let refused: Vec<&Reply> = replies
        .iter()
        .filter(|reply| reply.status != StatusCode::OK)
        .collect();
    assert!(!refused.is_empty(), "no login found the queue full");
    assert!(refused.len() <= 14, "at least two logins are hashed");
    for reply in refused {
        assert_error(
            reply,
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
        );
        assert!(reply.header("retry-after").is_some(), "{reply:?}");
    }
}
backend_independent_test!(logins_past_the_hashing_queue_get_503_at_once);
