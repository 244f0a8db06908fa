//! The access token's claims (contract section 7): every one required and
//! checked, and secrets that can be rotated.

use jsonwebtoken::{Algorithm, EncodingKey, Header};

use super::*;
use crate::harness::JWT_SECRET;

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

/// Every claim the server issues, for `user_id`, as JSON to take apart.
fn claims(user_id: &str) -> Value {
    let now = unix_now();
    json!({
        "iss": "datakeep",
        "aud": "datakeep",
        "sub": user_id,
        "sid": format!("{:032x}", rand::random::<u128>()),
        "jti": format!("{:032x}", rand::random::<u128>()),
        "iat": now,
        "exp": now + 3600,
    })
}

fn sign(claims: &Value, typ: Option<&str>, secret: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = typ.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("signing a test token")
}

async fn every_claim_is_required_and_checked(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (account, _) = logged_in(&app).await;
    let good = claims(&account.user_id);
    // The control: what the server issues is accepted.
    let reply = me(&app, &sign(&good, Some("at+jwt"), JWT_SECRET)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");

    for claim in ["iss", "aud", "sub", "sid", "jti", "iat", "exp"] {
        let mut without = good.clone();
        without.as_object_mut().unwrap().remove(claim);
        let token = sign(&without, Some("at+jwt"), JWT_SECRET);
        assert_refused(&me(&app, &token).await);
    }
    let now = unix_now();
    for (claim, value) in [
        ("iss", json!("someone-else")),
        ("aud", json!("another-api")),
        ("sid", json!("not-a-session")),
        // Issued in the future.
        ("iat", json!(now + 120)),
        // Longer-lived than this server issues (the hour).
        ("exp", json!(now + 3601)),
    ] {
        let mut changed = good.clone();
        changed[claim] = value;
        let token = sign(&changed, Some("at+jwt"), JWT_SECRET);
        assert_refused(&me(&app, &token).await);
    }
    for typ in [None, Some("JWT"), Some("id+jwt")] {
        assert_refused(&me(&app, &sign(&good, typ, JWT_SECRET)).await);
    }
}
backend_test!(every_claim_is_required_and_checked);

async fn issuer_and_audience_are_configurable(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--token-issuer", "https://auth.example")
        .option("--token-audience", "notes-api")
        .build()
        .await;
    let (account, tokens) = logged_in(&app).await;
    assert_eq!(me(&app, &tokens.access).await.status, StatusCode::OK);
    // A token for the default issuer and audience (another deployment that
    // shares the secret) is not one of this deployment's.
    assert_refused(
        &me(
            &app,
            &sign(&claims(&account.user_id), Some("at+jwt"), JWT_SECRET),
        )
        .await,
    );
    let mut ours = claims(&account.user_id);
    ours["iss"] = json!("https://auth.example");
    ours["aud"] = json!("notes-api");
    assert_eq!(
        me(&app, &sign(&ours, Some("at+jwt"), JWT_SECRET))
            .await
            .status,
        StatusCode::OK
    );
}
backend_test!(issuer_and_audience_are_configurable);

async fn the_secret_can_come_from_a_file_and_the_previous_one_still_verifies(backend: Backend) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("jwt-secret");
    let current = "the-current-secret-0123456789abcdefghij";
    let previous = "the-previous-secret-0123456789abcdefghij";
    std::fs::write(&file, format!("{current}\n")).expect("writing the secret file");
    let app = TestApp::builder(backend)
        .without("--jwt-secret")
        .option("--jwt-secret-file", file.display().to_string())
        .option("--jwt-previous-secret", previous)
        .build()
        .await;
    let (account, tokens) = logged_in(&app).await;
    // Issued with the file's secret.
    assert_eq!(me(&app, &tokens.access).await.status, StatusCode::OK);
    let good = claims(&account.user_id);
    assert_eq!(
        me(&app, &sign(&good, Some("at+jwt"), current)).await.status,
        StatusCode::OK
    );
    // Tokens of the previous secret still work while they last.
    assert_eq!(
        me(&app, &sign(&good, Some("at+jwt"), previous))
            .await
            .status,
        StatusCode::OK
    );
    // Any other secret does not.
    assert_refused(&me(&app, &sign(&good, Some("at+jwt"), JWT_SECRET)).await);
}
backend_test!(the_secret_can_come_from_a_file_and_the_previous_one_still_verifies);
