//! Talking to the test server: requests, the API's common calls, and the
//! shapes of the contract's answers.

use std::sync::atomic::{AtomicU64, Ordering};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use super::app::TestApp;

/// A password that passes every rule (long, not common, not a username).
pub const PASSWORD: &str = "Quartz-Lantern-47-Orbit";

impl TestApp {
    /// A request to `path` on this server.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client().request(method, self.url(path))
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// `POST path` with a JSON body.
    pub fn post_json(&self, path: &str, body: &Value) -> RequestBuilder {
        self.request(Method::POST, path).json(body)
    }

    /// `PUT path` with a JSON body.
    pub fn put_json(&self, path: &str, body: &Value) -> RequestBuilder {
        self.request(Method::PUT, path).json(body)
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// Registers a fresh, valid account (unique username and email) and
    /// returns it; panics unless the server answers 201.
    pub async fn register_account(&self) -> Account {
        let username = unique_username();
        let email = format!("{}@example.com", username.to_lowercase());
        let reply =
            send(self.post_json("/api/register", &registration(&username, &email, PASSWORD))).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "registering {username}: {reply:?}"
        );
        let user_id = reply.body["data"]["user_id"]
            .as_str()
            .expect("user_id is a string")
            .to_owned();
        Account {
            user_id,
            username,
            email,
            password: PASSWORD.to_owned(),
        }
    }

    /// Logs in: a new session's access and refresh tokens; panics unless 200.
    pub async fn login(&self, account: &Account) -> Tokens {
        let reply = send(self.post_json(
            "/api/token",
            &json!({ "username": account.username, "password": account.password }),
        ))
        .await;
        assert_eq!(reply.status, StatusCode::OK, "token request: {reply:?}");
        Tokens::from_data(&reply.body["data"])
    }

    /// Exchanges an account's credentials for an access token; panics unless 200.
    pub async fn token(&self, account: &Account) -> String {
        let reply = send(self.post_json(
            "/api/token",
            &json!({ "username": account.username, "password": account.password }),
        ))
        .await;
        assert_eq!(reply.status, StatusCode::OK, "token request: {reply:?}");
        reply.body["data"]["access_token"]
            .as_str()
            .expect("access_token is a string")
            .to_owned()
    }

    /// A fresh account and a token for it.
    pub async fn signed_in(&self) -> User {
        let account = self.register_account().await;
        let token = self.token(&account).await;
        User { account, token }
    }

    /// Stores an entry for `user`; panics unless the server answers 201.
    pub async fn store(&self, user: &User, key: &str, value: &str) {
        let reply = send(
            self.post_json("/api/data", &json!({ "key": key, "value": value }))
                .bearer_auth(&user.token),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "storing {key:?}: {reply:?}"
        );
    }

    /// `GET /api/data/{key}` as `user`.
    pub async fn read(&self, user: &User, key: &str) -> Reply {
        send(self.get(&data_path(key)).bearer_auth(&user.token)).await
    }

    /// `PUT /api/data/{key}` as `user`.
    pub async fn update(&self, user: &User, key: &str, value: &str) -> Reply {
        send(
            self.put_json(&data_path(key), &json!({ "value": value }))
                .bearer_auth(&user.token),
        )
        .await
    }

    /// `DELETE /api/data/{key}` as `user`.
    pub async fn remove(&self, user: &User, key: &str) -> Reply {
        send(self.delete(&data_path(key)).bearer_auth(&user.token)).await
    }

    /// The value `user` has under `key`; panics unless the read answers 200.
    pub async fn value_of(&self, user: &User, key: &str) -> String {
        let reply = self.read(user, key).await;
        assert_eq!(reply.status, StatusCode::OK, "reading {key:?}: {reply:?}");
        assert_eq!(reply.body["data"]["key"], key, "the key read back");
        reply.body["data"]["value"]
            .as_str()
            .expect("value is a string")
            .to_owned()
    }
}

/// A registered account and the password it was registered with.
#[derive(Clone, Debug)]
pub struct Account {
    /// The id the server gave it, as the string `/api/register` returns.
    pub user_id: String,
    /// The username as registered (mixed case is possible).
    pub username: String,
    /// The email as registered.
    pub email: String,
    /// The plain password, for token requests.
    pub password: String,
}

/// An account together with a valid access token.
#[derive(Clone, Debug)]
pub struct User {
    /// Who the token belongs to.
    pub account: Account,
    /// A bearer token issued by `POST /api/token`.
    pub token: String,
}

/// The tokens of a session, as a login or a refresh hands them out.
#[derive(Clone, Debug)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

impl Tokens {
    /// From the `data` of a token or refresh answer.
    pub fn from_data(data: &Value) -> Self {
        let text = |field: &str| {
            data[field]
                .as_str()
                .unwrap_or_else(|| panic!("{field} is a string in {data}"))
                .to_owned()
        };
        Self {
            access: text("access_token"),
            refresh: text("refresh_token"),
        }
    }
}

/// What came back from one request: status, headers, and the body both as
/// text and as JSON (`Value::Null` when it was not JSON).
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body exactly as received.
    pub text: String,
    /// The body parsed as JSON, or `Value::Null`.
    pub body: Value,
}

/// Shows at most this much of a body in assertion messages (values go up to 1 MiB).
const SHOWN_BODY_BYTES: usize = 1000;

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut end = self.text.len().min(SHOWN_BODY_BYTES);
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let cut = if end < self.text.len() { "..." } else { "" };
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &format_args!("{}{cut}", &self.text[..end]))
            .finish()
    }
}

impl Reply {
    /// A response header as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// Sends a request and reads the whole response; panics on transport errors.
pub async fn send(request: RequestBuilder) -> Reply {
    let response = request.send().await.expect("sending the request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("reading the response body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        body,
    }
}

/// Asserts a contract error: the status, and a body of exactly
/// `{"status":"error","code":code,"message":<non-empty text>}`.
#[track_caller]
pub fn assert_error(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "status of {reply:?}");
    assert_error_envelope(reply);
    assert_eq!(reply.body["code"], code, "code of {reply:?}");
}

/// Asserts the error envelope alone: exactly `status`, `code`, `message`,
/// with `status` "error" and non-empty text in the other two.
#[track_caller]
pub fn assert_error_envelope(reply: &Reply) {
    let object = reply
        .body
        .as_object()
        .unwrap_or_else(|| panic!("error body is not a JSON object: {reply:?}"));
    let mut fields: Vec<&str> = object.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["code", "message", "status"],
        "error body fields of {reply:?}"
    );
    assert_eq!(object["status"], "error", "{reply:?}");
    for field in ["code", "message"] {
        let text = object[field].as_str().unwrap_or_default();
        assert!(
            !text.is_empty(),
            "{field} must be non-empty text: {reply:?}"
        );
    }
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "error bodies are JSON: {reply:?}"
    );
}

/// Asserts a success answer `{"status":"success","message":message,...}`.
#[track_caller]
pub fn assert_success(reply: &Reply, status: StatusCode, message: &str) {
    assert_eq!(reply.status, status, "status of {reply:?}");
    assert_eq!(reply.body["status"], "success", "{reply:?}");
    assert_eq!(reply.body["message"], message, "{reply:?}");
}

/// `/api/data/{key}` with the key percent-encoded, so any key (`/`, `?`,
/// `%`, `#`, spaces, emoji) arrives intact.
pub fn data_path(key: &str) -> String {
    format!("/api/data/{}", utf8_percent_encode(key, NON_ALPHANUMERIC))
}

/// A registration body that passes every rule.
pub fn registration(username: &str, email: &str, password: &str) -> Value {
    json!({
        "username": username,
        "email": email,
        "password": password,
        "full_name": "Test Person",
        "age": 30,
        "gender": "non-binary",
    })
}

/// A username no other account in this process has (3-32 allowed characters).
pub fn unique_username() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("user{n}_{:08x}", rand::random::<u32>())
}
