//! The same over GraphQL: the fields of contract section 7, with the same
//! rules and codes.

use super::*;
use crate::harness::PASSWORD;

/// Runs `query` with `variables` as `token` (if any); the response body.
async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = app.post_json(
        "/graphql",
        &json!({ "query": query, "variables": variables }),
    );
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let reply = send(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.body
}

#[track_caller]
fn code_of(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

const TOKEN: &str = "mutation($u: String!, $p: String!) {
    token(username: $u, password: $p) {
        accessToken tokenType expiresIn refreshToken refreshExpiresIn } }";

async fn sessions_over_graphql(backend: Backend) {
    let app = TestApp::new(backend).await;
    let account = app.register_account().await;
    let login = || {
        gql(
            &app,
            None,
            TOKEN,
            json!({ "u": account.username, "p": account.password }),
        )
    };
    let body = login().await;
    let token = &body["data"]["token"];
    assert_eq!(token["tokenType"], "Bearer");
    assert_eq!(token["expiresIn"], 3600);
    assert_eq!(token["refreshExpiresIn"], 2_592_000);
    let first = token["accessToken"].as_str().unwrap().to_owned();
    let first_refresh = token["refreshToken"].as_str().unwrap().to_owned();
    let second = login().await["data"]["token"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let body = gql(
        &app,
        Some(&first),
        "{ sessions { id createdAt lastUsedAt userAgent current } }",
        Value::Null,
    )
    .await;
    let sessions = body["data"]["sessions"]
        .as_array()
        .expect("sessions")
        .clone();
    assert_eq!(sessions.len(), 2, "{body}");
    assert_eq!(sessions[1]["current"], true, "the older is mine: {body}");
    let second_id = sessions[0]["id"].as_str().unwrap().to_owned();

    let refresh =
        "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken } }";
    let body = gql(&app, None, refresh, json!({ "r": first_refresh })).await;
    let rotated = body["data"]["refreshToken"]["accessToken"]
        .as_str()
        .expect("a new token")
        .to_owned();
    let body = gql(&app, None, refresh, json!({ "r": first_refresh })).await;
    assert_eq!(code_of(&body), "INVALID_TOKEN", "reuse: {body}");
    // Reuse ended the session: its newest access token is refused too.
    let body = gql(&app, Some(&rotated), "{ me { id } }", Value::Null).await;
    assert_eq!(code_of(&body), "INVALID_TOKEN", "{body}");

    let end = "mutation($id: ID!) { endSession(id: $id) }";
    let body = gql(&app, Some(&second), end, json!({ "id": "0".repeat(32) })).await;
    assert_eq!(code_of(&body), "SESSION_NOT_FOUND", "{body}");
    let third = login().await["data"]["token"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = gql(&app, Some(&third), end, json!({ "id": second_id })).await;
    assert_eq!(body["data"]["endSession"], true, "{body}");
    let body = gql(&app, Some(&second), "{ me { id } }", Value::Null).await;
    assert_eq!(code_of(&body), "INVALID_TOKEN", "{body}");

    let body = gql(&app, Some(&third), "mutation { logout }", Value::Null).await;
    assert_eq!(body["data"]["logout"], true, "{body}");
    let body = gql(&app, Some(&third), "{ me { id } }", Value::Null).await;
    assert_eq!(code_of(&body), "INVALID_TOKEN", "{body}");

    let fourth = login().await["data"]["token"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let fifth = login().await["data"]["token"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = gql(&app, Some(&fourth), "mutation { logoutAll }", Value::Null).await;
    assert_eq!(body["data"]["logoutAll"], true, "{body}");
    let body = gql(&app, Some(&fifth), "{ me { id } }", Value::Null).await;
    assert_eq!(code_of(&body), "INVALID_TOKEN", "{body}");
}
backend_test!(sessions_over_graphql);

async fn account_self_service_over_graphql(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (account, tokens) = logged_in(&app).await;
    let other = app.login(&account).await;
    let update =
        "mutation($input: UpdateMeInput!) { updateMe(input: $input) { fullName age email } }";
    let body = gql(
        &app,
        Some(&tokens.access),
        update,
        json!({ "input": { "fullName": "Grace", "age": 40 } }),
    )
    .await;
    assert_eq!(body["data"]["updateMe"]["fullName"], "Grace", "{body}");
    assert_eq!(body["data"]["updateMe"]["age"], 40);
    let body = gql(&app, Some(&tokens.access), update, json!({ "input": {} })).await;
    assert_eq!(code_of(&body), "INVALID_REQUEST", "{body}");
    let body = gql(
        &app,
        Some(&tokens.access),
        update,
        json!({ "input": { "age": 0 } }),
    )
    .await;
    assert_eq!(code_of(&body), "INVALID_AGE", "{body}");

    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let body = gql(
        &app,
        Some(&tokens.access),
        change,
        json!({ "c": "Wrong-One-9", "n": "Another-Secret-55" }),
    )
    .await;
    assert_eq!(code_of(&body), "INVALID_CREDENTIALS", "{body}");
    let body = gql(
        &app,
        Some(&tokens.access),
        change,
        json!({ "c": PASSWORD, "n": "qwerty123" }),
    )
    .await;
    assert_eq!(code_of(&body), "INVALID_PASSWORD", "{body}");
    let body = gql(
        &app,
        Some(&tokens.access),
        change,
        json!({ "c": PASSWORD, "n": "Another-Secret-55" }),
    )
    .await;
    assert_eq!(body["data"]["changePassword"], true, "{body}");
    assert_refused(&me(&app, &other.access).await);

    let delete = "mutation($p: String!) { deleteAccount(password: $p) }";
    let body = gql(&app, Some(&tokens.access), delete, json!({ "p": PASSWORD })).await;
    assert_eq!(
        code_of(&body),
        "INVALID_CREDENTIALS",
        "the old password: {body}"
    );
    let body = gql(
        &app,
        Some(&tokens.access),
        delete,
        json!({ "p": "Another-Secret-55" }),
    )
    .await;
    assert_eq!(body["data"]["deleteAccount"], true, "{body}");
    assert_refused(&me(&app, &tokens.access).await);
}
backend_test!(account_self_service_over_graphql);
