//! The shared test application, after crates.io's `TestApp`.
//!
//! Every test builds its own [`TestApp`]: a fresh database of its own
//! (migrated by the server at start-up, removed again when the app is
//! dropped) and a real server on a random local port, driven over real HTTP.
//! Tests therefore run in parallel and re-run cleanly.
//!
//! Every test runs once per [`Backend`], with the same body: a test is a plain
//! `async fn`, and [`backend_test!`] beside it makes the two test cases
//! `name::mysql` and `name::sqlite`. Each case makes its backend current for
//! the body, and [`TestApp::builder`] builds on the current backend.
//!
//! - MySQL/MariaDB: a database of its own on the server `TEST_DATABASE_URL`
//!   names (a URL with the right to create databases),
//!   `mysql://root@127.0.0.1:3306` by default; `scripts/test` starts a
//!   throwaway MariaDB when none is running.
//! - SQLite: a file in a temporary directory of its own; needs nothing.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use datakeep::db::{Backend as Connected, DatabaseUrl, DbConnection};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Binary};
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

/// The database server used when `TEST_DATABASE_URL` is not set.
const DEFAULT_ADMIN_URL: &str = "mysql://root@127.0.0.1:3306";

/// The HS256 secret every test server signs with (tests forge tokens with it).
pub const JWT_SECRET: &str = "integration-tests-secret-0123456789abcdef";

/// A password that passes every rule (long, not common, not a username).
pub const PASSWORD: &str = "Quartz-Lantern-47-Orbit";

/// How long connecting to the database server may take before we give up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The database backends every test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A database of its own on the MySQL/MariaDB server `TEST_DATABASE_URL` names.
    Mysql,
    /// An SQLite file in a temporary directory of its own.
    Sqlite,
}

tokio::task_local! {
    /// The backend of the test case running on this task; see [`Backend::run`].
    static BACKEND: Backend;
}

impl Backend {
    /// The backend of the running test case. Outside [`run`](Self::run) (a
    /// plain `#[tokio::test]`) it is MySQL, as it was before there were two.
    ///
    /// A task-local does not pass into `tokio::spawn`: build the [`TestApp`]
    /// in the test's own task and hand it to spawned tasks, as tests do.
    pub fn current() -> Self {
        BACKEND.try_with(|backend| *backend).unwrap_or(Self::Mysql)
    }

    /// Runs a test body with this backend current.
    pub async fn run<F: Future>(self, body: F) -> F::Output {
        BACKEND.scope(self, body).await
    }
}

/// Makes the test cases `$name::mysql` and `$name::sqlite` of the `async fn
/// $name()` beside it: the same body, run once with each [`Backend`] current.
///
/// The body stays an ordinary function (not inside the macro call) so that
/// rustfmt keeps formatting it; a body without its `backend_test!` is dead
/// code, which the build reports.
macro_rules! backend_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                $crate::harness::Backend::Mysql.run(super::$name()).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::harness::Backend::Sqlite.run(super::$name()).await
            }
        }
    };
}
pub(crate) use backend_test;

/// Like [`backend_test!`], for a test whose subject never reaches the
/// database (say, input refused before any query): it makes `$name::sqlite`
/// alone, since running it on both backends would test nothing more.
macro_rules! backend_independent_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::harness::Backend::Sqlite.run(super::$name()).await
            }
        }
    };
}
pub(crate) use backend_independent_test;

/// Like [`backend_test!`], for a test that only means something on MySQL
/// (say, one that needs a database server to cut off): it makes `$name::mysql`
/// alone. Say at the test why it is MySQL only.
macro_rules! mysql_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                $crate::harness::Backend::Mysql.run(super::$name()).await
            }
        }
    };
}
pub(crate) use mysql_test;

/// A running server over its own database. Dropping it removes the database.
pub struct TestApp {
    addr: SocketAddr,
    base_url: String,
    client: reqwest::Client,
    /// The test's database, as a direct (never proxied) connection reaches it.
    db_url: DatabaseUrl,
    db: TestDb,
    proxy: Option<DbProxy>,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
}

/// Where a test app's data lives.
enum TestDb {
    /// A database created on the MySQL/MariaDB server, dropped by [`TestApp`]'s `Drop`.
    Mysql { admin_url: Url, name: String },
    /// A directory holding the SQLite file (and its `-wal` and `-shm`
    /// companions); dropping it removes them all.
    Sqlite { _dir: tempfile::TempDir },
}

/// Changes the server's options before it starts; see [`TestApp::builder`].
pub struct TestAppBuilder {
    backend: Backend,
    options: BTreeMap<&'static str, String>,
    with_proxy: bool,
}

impl TestApp {
    /// A server with the default test options.
    pub async fn new() -> Self {
        Self::builder().build().await
    }

    /// A builder for a server with some options changed, on the current
    /// [`Backend`].
    pub fn builder() -> TestAppBuilder {
        // Every option a test depends on is set here, because environment
        // variables fill whatever the arguments leave out.
        let defaults = [
            ("--jwt-secret", JWT_SECRET),
            ("--listen-addr", "127.0.0.1:0"),
            ("--token-ttl-secs", "3600"),
            // The cheapest cost bcrypt allows: hashing speed is not under test.
            ("--bcrypt-cost", "4"),
            ("--hash-concurrency", "4"),
            ("--max-value-bytes", "1048576"),
            ("--token-rate-limit", "20"),
            ("--db-pool-size", "8"),
            ("--db-timeout-secs", "2"),
            ("--log-level", "info"),
        ];
        TestAppBuilder {
            backend: Backend::current(),
            options: defaults
                .into_iter()
                .map(|(name, value)| (name, value.to_owned()))
                .collect(),
            with_proxy: false,
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Asks the server to stop, as SIGTERM does, and waits for it to finish
    /// (at most `patience`): true when it finished in time.
    pub async fn shut_down(&mut self, patience: Duration) -> bool {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        tokio::time::timeout(patience, &mut self.server)
            .await
            .is_ok()
    }

    /// The server's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// The HTTP client the helpers use.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

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

    /// The proxy between the server and the database, when the app was built
    /// [`with_db_proxy`](TestAppBuilder::with_db_proxy).
    pub fn db_proxy(&self) -> &DbProxy {
        self.proxy
            .as_ref()
            .expect("this TestApp was built without with_db_proxy()")
    }

    /// A direct connection to this test's database (never through the proxy),
    /// for the few facts REST does not show, such as an entry's version.
    /// It is the server's own connection type, opened as the server opens
    /// one (on SQLite: foreign keys on, so deletes cascade as they do there).
    pub async fn db(&self) -> DbConnection {
        let attempt =
            tokio::time::timeout(CONNECT_TIMEOUT, DbConnection::establish(&self.db_url, None))
                .await;
        match attempt {
            Ok(Ok(conn)) => conn,
            Ok(Err(err)) => panic!("connecting to the test database {}: {err}", self.db_url),
            Err(_) => panic!(
                "connecting to the test database {}: no answer within {CONNECT_TIMEOUT:?}",
                self.db_url
            ),
        }
    }

    /// The stored version of an entry, or `None` when there is no such row.
    pub async fn entry_version(&self, user_id: &str, key: &str) -> Option<i64> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            version: i64,
        }
        let mut conn = self.db().await;
        let sql = format!(
            "SELECT version FROM entries WHERE user_id = ? AND {} = ?",
            quoted(&mut conn, "key")
        );
        let query = diesel::sql_query(sql)
            .bind::<BigInt, _>(parse_id(user_id))
            .bind::<Binary, _>(key.as_bytes());
        let rows: Vec<Row> = on_backend!(&mut conn, conn => query.load(conn).await)
            .expect("reading an entry's version");
        rows.into_iter().next().map(|row| row.version)
    }

    /// Deletes an account's row behind the server's back, as an operator
    /// would; its entries go with it (the foreign key cascades).
    pub async fn delete_user_row(&self, user_id: &str) {
        let query = diesel::sql_query("DELETE FROM users WHERE id = ?")
            .bind::<BigInt, _>(parse_id(user_id));
        let deleted = on_backend!(&mut self.db().await, conn => query.execute(conn).await)
            .expect("deleting a user row");
        assert_eq!(deleted, 1, "no user row with id {user_id}");
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

impl TestAppBuilder {
    /// Sets a server option, e.g. `option("--token-rate-limit", "3")`.
    pub fn option(mut self, name: &'static str, value: impl Into<String>) -> Self {
        assert!(name.starts_with("--"), "options are long flags: {name}");
        self.options.insert(name, value.into());
        self
    }

    /// Puts a [`DbProxy`] between the server and the database, so a test can
    /// cut the database off and bring it back. MySQL only: an SQLite file has
    /// no connection to cut (use [`mysql_test!`]).
    pub fn with_db_proxy(mut self) -> Self {
        self.with_proxy = true;
        self
    }

    /// Creates the database, starts the server, and waits until it listens.
    pub async fn build(self) -> TestApp {
        init_logging();
        // Options without a default cannot be unset from the command line, so
        // an inherited value would silently change what the tests check.
        for (variable, flag) in [
            ("CORS_ORIGINS", "--cors-origins"),
            ("MAX_BODY_BYTES", "--max-body-bytes"),
        ] {
            assert!(
                self.options.contains_key(flag) || std::env::var_os(variable).is_none(),
                "{variable} is set in the environment; unset it to run the tests"
            );
        }

        let Prepared {
            db,
            db_url,
            server_db_url,
            proxy,
        } = match self.backend {
            Backend::Mysql => prepare_mysql(self.with_proxy).await,
            Backend::Sqlite => {
                assert!(
                    !self.with_proxy,
                    "with_db_proxy() needs a database server: make the test mysql_test!"
                );
                prepare_sqlite()
            }
        };

        let mut args = vec![
            "datakeep".to_owned(),
            "--database-url".to_owned(),
            server_db_url,
        ];
        for (name, value) in &self.options {
            args.push((*name).to_owned());
            args.push(value.clone());
        }
        let config = datakeep::Config::from_args(&args)
            .unwrap_or_else(|err| panic!("invalid test options {args:?}: {err}"));
        let app = datakeep::App::build(&config).await.unwrap_or_else(|err| {
            panic!("building the app on {db_url} (connecting and migrating): {err:#}")
        });
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the test server");
        let addr = listener.local_addr().expect("the test server's address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(app.serve(listener, async {
            let _ = stop.await;
        }));

        let client = reqwest::Client::builder()
            // An HTTP_PROXY in the environment must not catch loopback traffic.
            .no_proxy()
            // A hung request fails its test instead of hanging the suite.
            .timeout(Duration::from_secs(60))
            .build()
            .expect("building the HTTP client");
        TestApp {
            addr,
            base_url: format!("http://{addr}"),
            client,
            db_url,
            db,
            proxy,
            shutdown: Some(shutdown),
            server,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.server.abort();
        // An SQLite directory removes itself when the field is dropped, after
        // this (files the aborting server still holds open can be unlinked).
        let TestDb::Mysql {
            admin_url,
            name: db_name,
        } = &self.db
        else {
            return;
        };
        // Drop cannot be async, and this thread may be one of the test
        // runtime's workers: drop the database from a thread of its own.
        let admin_url = admin_url.clone();
        let db_name = db_name.clone();
        let name = db_name.clone();
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for dropping the test database")
                .block_on(drop_database(&admin_url, &name))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("warning: could not drop test database {db_name}: {err}"),
            Err(_) => eprintln!("warning: dropping test database {db_name} panicked"),
        }
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

/// A user id as returned by the API, as the integer the database stores.
fn parse_id(user_id: &str) -> i64 {
    user_id
        .parse()
        .unwrap_or_else(|_| panic!("user ids are integers as strings, got {user_id:?}"))
}

/// Runs `$body` with `$conn` bound to the backend's own connection type, as
/// the server's `dispatch!` does: the same diesel code, compiled per backend.
macro_rules! on_backend {
    ($connection:expr, $conn:ident => $body:expr) => {
        match $connection.backend() {
            Connected::Mysql($conn) => $body,
            Connected::Sqlite($conn) => $body,
        }
    };
}
use on_backend;

/// `identifier` quoted for raw SQL on `conn`'s backend, for names such as
/// `key` that are reserved words: MySQL quotes with backticks, SQLite (as
/// standard SQL does) with double quotes.
fn quoted(conn: &mut DbConnection, identifier: &str) -> String {
    match conn.backend() {
        Connected::Mysql(_) => format!("`{identifier}`"),
        Connected::Sqlite(_) => format!("\"{identifier}\""),
    }
}

/// A test's database, ready for the server to migrate.
struct Prepared {
    db: TestDb,
    /// How the harness reaches the database directly.
    db_url: DatabaseUrl,
    /// How the server reaches it (through the proxy, when there is one).
    server_db_url: String,
    proxy: Option<DbProxy>,
}

/// Creates a database of its own on the MySQL/MariaDB server, with a
/// [`DbProxy`] in front of it when asked for.
async fn prepare_mysql(with_proxy: bool) -> Prepared {
    let admin_url = admin_url();
    let name = format!("dk_test_{:016x}", rand::random::<u64>());
    create_database(&admin_url, &name).await;
    let mut db_url = admin_url.clone();
    db_url.set_path(&name);

    let proxy = if with_proxy {
        Some(DbProxy::start_to(upstream_of(&admin_url)).await)
    } else {
        None
    };
    // The server reaches the database through the proxy when there is one.
    let mut server_db_url = db_url.clone();
    if let Some(proxy) = &proxy {
        server_db_url
            .set_host(Some("127.0.0.1"))
            .expect("setting the proxy host");
        server_db_url
            .set_port(Some(proxy.addr().port()))
            .expect("setting the proxy port");
        // The driver otherwise switches a local TCP connection over to
        // the server's Unix socket, which would bypass the proxy.
        server_db_url
            .query_pairs_mut()
            .append_pair("prefer_socket", "false");
    }
    Prepared {
        db: TestDb::Mysql { admin_url, name },
        db_url: DatabaseUrl::Mysql(db_url.to_string()),
        server_db_url: server_db_url.to_string(),
        proxy,
    }
}

/// Names an SQLite file in a fresh temporary directory; the server creates
/// the file when it first opens it.
fn prepare_sqlite() -> Prepared {
    let dir = tempfile::Builder::new()
        .prefix("datakeep-test-")
        .tempdir()
        .expect("creating a temporary directory for the test database");
    let path = dir.path().join("datakeep.db");
    Prepared {
        server_db_url: format!("sqlite://{}", path.display()),
        db_url: DatabaseUrl::SqliteFile(path),
        db: TestDb::Sqlite { _dir: dir },
        proxy: None,
    }
}

/// The database server to create test databases on.
fn admin_url() -> Url {
    let raw = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
    let mut url = Url::parse(&raw)
        .unwrap_or_else(|err| panic!("TEST_DATABASE_URL {raw:?} is not a URL: {err}"));
    assert_eq!(
        url.scheme(),
        "mysql",
        "TEST_DATABASE_URL must be a mysql:// URL"
    );
    // Test databases replace whatever database the URL names.
    url.set_path("");
    url
}

/// Connects, or panics with a message that says how to get a database.
async fn connect(url: &Url) -> AsyncMysqlConnection {
    let attempt = tokio::time::timeout(
        CONNECT_TIMEOUT,
        AsyncMysqlConnection::establish(url.as_str()),
    )
    .await;
    match attempt {
        Ok(Ok(conn)) => conn,
        Ok(Err(err)) => panic!("{}: {err}", unreachable_message(url)),
        Err(_) => panic!(
            "{}: no answer within {CONNECT_TIMEOUT:?}",
            unreachable_message(url)
        ),
    }
}

fn unreachable_message(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    format!(
        "no MySQL/MariaDB reachable at {shown}; run `scripts/test` (which starts a \
         throwaway MariaDB), set TEST_DATABASE_URL, or run only the SQLite cases \
         (`cargo test -- ::sqlite`)"
    )
}

async fn create_database(admin_url: &Url, name: &str) {
    let mut conn = connect(admin_url).await;
    diesel::sql_query(format!("CREATE DATABASE `{name}`"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|err| panic!("creating test database {name}: {err}"));
}

async fn drop_database(admin_url: &Url, name: &str) -> Result<(), String> {
    let mut conn = AsyncMysqlConnection::establish(admin_url.as_str())
        .await
        .map_err(|err| err.to_string())?;
    // A stuck transaction on the server's side must not hang the suite.
    diesel::sql_query("SET SESSION lock_wait_timeout = 10")
        .execute(&mut conn)
        .await
        .map_err(|err| err.to_string())?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS `{name}`"))
        .execute(&mut conn)
        .await
        .map(drop)
        .map_err(|err| err.to_string())
}

/// Where the database server listens, for the proxy to forward to.
fn upstream_of(url: &Url) -> (String, u16) {
    let host = url.host_str().expect("TEST_DATABASE_URL has a host");
    (host.to_owned(), url.port().unwrap_or(3306))
}

/// Server logs go to the test output when `TEST_LOG` is set (e.g. `TEST_LOG=debug`).
fn init_logging() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}

/// A TCP proxy between the server and the database, so a test can simulate
/// an outage: [`stop`](Self::stop) closes the port and cuts every open
/// connection; [`hang`](Self::hang) cuts them and then accepts connections
/// that never answer (a database that is reachable but stuck);
/// [`freeze`](Self::freeze) keeps every connection open but passes nothing
/// on, either way, until [`thaw`](Self::thaw) (a database stopped with
/// SIGSTOP, mid-statement for whoever was waiting on it);
/// [`start`](Self::start) forwards to the database again.
pub struct DbProxy {
    addr: SocketAddr,
    upstream: (String, u16),
    running: tokio::sync::Mutex<Option<Running>>,
    frozen: watch::Sender<bool>,
}

struct Running {
    accept: JoinHandle<()>,
    connections: Arc<Mutex<JoinSet<()>>>,
}

impl DbProxy {
    async fn start_to(upstream: (String, u16)) -> Self {
        let listener =
            listen(SocketAddr::from(([127, 0, 0, 1], 0))).expect("binding the database proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let proxy = Self {
            addr,
            upstream,
            running: tokio::sync::Mutex::new(None),
            frozen: watch::Sender::new(false),
        };
        *proxy.running.lock().await = Some(proxy.run(listener));
        proxy
    }

    /// The address the server connects to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the listening port and cuts every connection through the proxy.
    /// When this returns, the database is unreachable for the server.
    pub async fn stop(&self) {
        let Some(running) = self.running.lock().await.take() else {
            return;
        };
        running.accept.abort();
        // Awaiting the aborted task guarantees the listener is closed.
        let _ = running.accept.await;
        let mut connections =
            std::mem::take(&mut *running.connections.lock().expect("proxy lock poisoned"));
        connections.shutdown().await;
    }

    /// Listens on the same port again; new connections reach the database.
    pub async fn start(&self) {
        let mut running = self.running.lock().await;
        if running.is_none() {
            let listener = listen(self.addr).expect("re-binding the database proxy's port");
            *running = Some(self.run(listener));
        }
    }

    /// Holds every byte in both directions, on open connections and new
    /// ones, until [`thaw`](Self::thaw): a statement sent now gets no answer.
    pub fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    /// Passes on what was held, and everything after it.
    pub fn thaw(&self) {
        self.frozen.send_replace(false);
    }

    /// Cuts every connection, then accepts new ones and never answers on
    /// them: connecting succeeds, the database's greeting never comes.
    pub async fn hang(&self) {
        self.stop().await;
        let listener = listen(self.addr).expect("re-binding the database proxy's port");
        *self.running.lock().await = Some(self.serve(listener, None));
    }

    fn run(&self, listener: TcpListener) -> Running {
        self.serve(listener, Some(self.upstream.clone()))
    }

    /// Accepts on `listener`, forwarding to `upstream`, or to nowhere.
    fn serve(&self, listener: TcpListener, upstream: Option<(String, u16)>) -> Running {
        let connections = Arc::new(Mutex::new(JoinSet::new()));
        let accept = tokio::spawn(accept_loop(
            listener,
            upstream,
            Arc::clone(&connections),
            self.frozen.subscribe(),
        ));
        Running {
            accept,
            connections,
        }
    }
}

/// Binds with SO_REUSEADDR, so `start` can take the port back at once even
/// while the connections `stop` cut linger in TIME_WAIT.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(128)
}

async fn accept_loop(
    listener: TcpListener,
    upstream: Option<(String, u16)>,
    connections: Arc<Mutex<JoinSet<()>>>,
    frozen: watch::Receiver<bool>,
) {
    loop {
        let client = match listener.accept().await {
            Ok((client, _)) => client,
            Err(_) => {
                // E.g. out of file descriptors: back off rather than spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let upstream = upstream.clone();
        let frozen = frozen.clone();
        let mut connections = connections.lock().expect("proxy lock poisoned");
        while connections.try_join_next().is_some() {}
        connections.spawn(async move {
            let Some((host, port)) = upstream else {
                // Hanging: hold the connection open, say nothing.
                let _client = client;
                return std::future::pending().await;
            };
            if let Ok(server) = TcpStream::connect((host.as_str(), port)).await {
                let (client_reads, client_writes) = client.into_split();
                let (server_reads, server_writes) = server.into_split();
                tokio::join!(
                    forward(client_reads, server_writes, frozen.clone()),
                    forward(server_reads, client_writes, frozen),
                );
            }
        });
    }
}

/// Copies bytes from `from` to `to` until either side closes, holding each
/// chunk while the proxy is frozen.
async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut frozen: watch::Receiver<bool>,
) {
    let mut buf = vec![0; 16 * 1024];
    loop {
        let read = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if frozen.wait_for(|frozen| !frozen).await.is_err() {
            break;
        }
        if to.write_all(&buf[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
