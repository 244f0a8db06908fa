//! The backends, each test's own database, and the few facts a test reads
//! or writes behind the server's back.

use std::time::Duration;

use datakeep::db::schema::users;
use datakeep::db::{DatabaseUrl, DbConnection};
use datakeep::model::UserId;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use reqwest::Url;

use super::app::TestApp;
use super::proxy::DbProxy;

/// The database server used when `TEST_DATABASE_URL` is not set.
const DEFAULT_ADMIN_URL: &str = "mysql://root@127.0.0.1:3306";

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

/// Where a test app's data lives.
pub(super) enum TestDb {
    /// A database created on the MySQL/MariaDB server, dropped by [`TestApp`]'s `Drop`.
    Mysql { admin_url: Url, name: String },
    /// A directory holding the SQLite file (and its `-wal` and `-shm`
    /// companions); dropping it removes them all.
    Sqlite { _dir: tempfile::TempDir },
    /// Another server's database: its owner removes it.
    Shared,
}

impl TestApp {
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

    /// The stored version of an entry, or `None` when there is no such row
    /// (an expired row that is not reclaimed yet counts as stored), read
    /// with the server's own query.
    pub async fn entry_version(&self, user_id: &str, key: &str) -> Option<i64> {
        let mut conn = self.db().await;
        let long_ago = chrono::DateTime::UNIX_EPOCH.naive_utc();
        datakeep::db::entries::find(
            &mut conn,
            parse_id(user_id),
            key.as_bytes(),
            false,
            long_ago,
        )
        .await
        .expect("reading an entry's version")
        .map(|row| row.version)
    }

    /// The bcrypt cost of an account's stored password hash.
    pub async fn password_hash_cost(&self, user_id: &str) -> u32 {
        let mut conn = self.db().await;
        let (_, hash) = datakeep::db::users::find_with_password_hash(&mut conn, parse_id(user_id))
            .await
            .expect("reading a password hash")
            .expect("the account exists");
        datakeep::auth::cost_of(&hash).expect("a bcrypt hash")
    }

    /// Deletes an account's row behind the server's back, as an operator
    /// would; its entries go with it (the foreign key cascades).
    pub async fn delete_user_row(&self, user_id: &str) {
        let id = parse_id(user_id);
        let deleted = self
            .db()
            .await
            .run(async |db| {
                datakeep::on_backend!(db, c => diesel::delete(users::table.find(id.0)).execute(c).await)
            })
            .await
            .expect("deleting a user row");
        assert_eq!(deleted, 1, "no user row with id {user_id}");
    }
}

/// A user id as returned by the API.
fn parse_id(user_id: &str) -> UserId {
    UserId(
        user_id
            .parse()
            .unwrap_or_else(|_| panic!("user ids are integers as strings, got {user_id:?}")),
    )
}

/// A test's database, ready for the server to migrate.
pub(super) struct Prepared {
    pub db: TestDb,
    /// How the harness reaches the database directly.
    pub db_url: DatabaseUrl,
    /// How the server reaches it (through the proxy, when there is one).
    pub server_db_url: String,
    pub proxy: Option<DbProxy>,
}

/// Creates a database of its own on the MySQL/MariaDB server, with a
/// [`DbProxy`] in front of it when asked for.
pub(super) async fn prepare_mysql(with_proxy: bool) -> Prepared {
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
pub(super) fn prepare_sqlite() -> Prepared {
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

pub(super) async fn drop_database(admin_url: &Url, name: &str) -> Result<(), String> {
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
