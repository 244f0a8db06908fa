//! Database access: the pool, migrations, the schema, and the queries that
//! live next to their row types. Nothing outside this module builds SQL.
//!
//! Two backends share everything here: MySQL/MariaDB for production and
//! SQLite as the zero-configuration default. The backend is picked by the
//! `DATABASE_URL` scheme; queries are written once (see
//! [`DbConnection::run`] and [`on_backend!`](crate::on_backend)).
//!
//! Everything here speaks diesel's errors: a failure to get or keep a
//! connection is a diesel error too (see [`connection_lost`]), which
//! [`is_connection_failure`] recognises. The service turns them into the
//! contract's errors, in one place.

mod connection;
mod constraints;
pub mod entries;
mod entry_reader;
mod pool;
pub mod schema;
pub mod sessions;
mod url;
pub mod users;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncMysqlConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use connection::{Backend, DbConnection};
pub use constraints::UniqueIndex;
pub use entry_reader::EntryReader;
pub use url::{DEFAULT_URL, DatabaseUrl};

/// A connection checked out of the pool.
pub type PooledConnection = deadpool::managed::Object<pool::DbManager>;

/// MySQL/MariaDB migrations, applied at start-up and by `datakeep migrate`.
const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/mysql");

/// SQLite migrations: the same changes, under the same directory names.
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The shared connection pool.
#[derive(Clone)]
pub struct Database {
    pool: deadpool::managed::Pool<pool::DbManager>,
    url: DatabaseUrl,
    /// The longest a checkout, and each statement, may take.
    timeout: Duration,
    /// For `sqlite::memory:`, a connection held open for the pool's lifetime:
    /// an in-memory database is freed when its last connection closes.
    keeper: Arc<Mutex<Option<DbConnection>>>,
}

impl Database {
    /// Builds a pool; no connection is opened until one is needed.
    ///
    /// Connections are checked when taken from the pool (see `pool.rs`: a
    /// failed one is replaced, an idle one pinged, so the pool heals itself).
    /// A checkout, whatever it involves (waiting, connecting, pinging), and
    /// then each statement, take at most `timeout`, so requests fail fast
    /// with 503 while the database is down or stuck. An in-memory SQLite database gets one
    /// pooled connection: SQLite's shared cache locks whole tables, and its
    /// busy timeout does not apply to those locks.
    pub fn new(url: DatabaseUrl, max_size: usize, timeout: Duration) -> anyhow::Result<Self> {
        let max_size = if matches!(url, DatabaseUrl::SqliteMemory(_)) {
            1
        } else {
            max_size
        };
        let pool = deadpool::managed::Pool::builder(pool::DbManager::new(url.clone(), timeout))
            .max_size(max_size)
            // The most recently used connection goes out first, so light
            // traffic keeps reusing a few warm connections (their buffers
            // and prepared statements) instead of cycling through them all.
            .queue_mode(deadpool::managed::QueueMode::Lifo)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        Ok(Self {
            pool,
            url,
            timeout,
            keeper: Arc::default(),
        })
    }

    /// How long a checkout, or a statement, may take before it fails.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Checks a connection out of the pool, within the timeout as a whole:
    /// deadpool bounds its wait, connect and recycle steps one by one, so a
    /// checkout could otherwise take three timeouts. No connection (timeout,
    /// refused, unreachable) is a [`connection_lost`] error.
    pub async fn conn(&self) -> diesel::QueryResult<PooledConnection> {
        match tokio::time::timeout(self.timeout, self.pool.get()).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(err)) => Err(connection_lost(format!("no database connection: {err}"))),
            Err(_) => Err(connection_lost(format!(
                "no database connection within {} s",
                self.timeout.as_secs_f32()
            ))),
        }
    }

    /// Creates a MySQL database named in the URL when the server does not
    /// have it yet (an SQLite file is created by opening it), then applies
    /// pending migrations.
    pub async fn prepare(&self) -> anyhow::Result<()> {
        if matches!(self.url, DatabaseUrl::SqliteMemory(_)) {
            let keeper = DbConnection::establish(&self.url, None).await?;
            *self.keeper.lock().unwrap_or_else(PoisonError::into_inner) = Some(keeper);
        }
        if let (Err(err), DatabaseUrl::Mysql(url)) = (self.pool.get().await, &self.url) {
            if !err.to_string().contains("Unknown database") {
                return Err(err.into());
            }
            create_mysql_database(url).await?;
        }
        self.migrate().await
    }

    /// Applies pending migrations. Needs tokio's multi-thread runtime, since
    /// diesel's migration harness is synchronous.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let failed = |e| anyhow::anyhow!("running migrations: {e}");
        match &self.url {
            DatabaseUrl::Mysql(url) => {
                let conn = AsyncMysqlConnection::establish(url).await?;
                AsyncMigrationHarness::new(conn)
                    .run_pending_migrations(MYSQL_MIGRATIONS)
                    .map_err(failed)?;
            }
            // On a connection of its own, without a statement timeout: a
            // migration may take long. (`sqlite::memory:` is kept alive by
            // the keeper, so this connection sees the same database.)
            DatabaseUrl::SqliteFile(_) | DatabaseUrl::SqliteMemory(_) => {
                let mut conn = DbConnection::establish(&self.url, None).await?;
                conn.run(async |db| {
                    let Backend::Sqlite(c) = db else {
                        unreachable!("an SQLite URL opens SQLite connections");
                    };
                    c.spawn_blocking(|inner| {
                        inner
                            .run_pending_migrations(SQLITE_MIGRATIONS)
                            .map(drop)
                            .map_err(|e| DieselError::QueryBuilderError(e.to_string().into()))
                    })
                    .await
                })
                .await
                .map_err(|e| failed(Box::new(e)))?;
            }
        }
        Ok(())
    }

    /// True when the database answers a trivial query within the timeout
    /// (checkout and query together).
    pub async fn is_ready(&self) -> bool {
        let answered = tokio::time::timeout(self.timeout, async {
            let mut conn = self.conn().await.ok()?;
            conn.ping().await.ok()
        });
        matches!(answered.await, Ok(Some(())))
    }
}

/// Connects to the server without selecting a database and creates the one
/// the URL names.
async fn create_mysql_database(url: &str) -> anyhow::Result<()> {
    let (path_end, query) = url.find('?').map_or((url.len(), ""), |i| (i, &url[i..]));
    let slash = url[..path_end]
        .rfind('/')
        .filter(|&i| i > "mysql://".len())
        .ok_or_else(|| anyhow::anyhow!("DATABASE_URL names no database"))?;
    let name = &url[slash + 1..path_end];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        anyhow::bail!(
            "database {name:?} does not exist; create it (names of A-Z, a-z, 0-9, _ are created automatically)"
        );
    }
    let server_url = format!("{}{query}", &url[..slash]);
    let mut conn = AsyncMysqlConnection::establish(&server_url).await?;
    diesel::sql_query(format!(
        "CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
    ))
    .execute(&mut conn)
    .await?;
    tracing::info!(database = name, "created the database");
    Ok(())
}

/// The constraint a failed write ran into, so the service can answer with the
/// matching contract code instead of checking before inserting (which races).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// A unique index, by its name in the migrations.
    Unique(UniqueIndex),
    /// A foreign key: the owning account is gone.
    ForeignKey,
}

/// Classifies a write error as a constraint violation, if it is one.
pub fn violation(err: &DieselError) -> Option<Violation> {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            Some(Violation::Unique(UniqueIndex::named_in(info.message())))
        }
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            Some(Violation::ForeignKey)
        }
        _ => None,
    }
}

/// A failure to get, or keep using, a connection, as a diesel error (the
/// kind diesel gives a connection that was closed under it), so that
/// [`is_connection_failure`] recognises it.
pub fn connection_lost(detail: String) -> DieselError {
    DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, Box::new(detail))
}

/// True when a statement lost a race for a lock (a deadlock, or a lock wait
/// past the database's timeout): the transaction was rolled back and the
/// same request may succeed if retried, so it is not a bug. MySQL's driver
/// hands over only the server's message (its code is dropped), which for
/// these errors is fixed text.
pub fn is_lock_conflict(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            message.starts_with("Deadlock found when trying to get lock")
                || message.starts_with("Lock wait timeout exceeded")
        }
        _ => false,
    }
}

/// True when an error means the database could not be used right now (as
/// opposed to it rejecting a statement): the connection failed, or SQLite's
/// write lock stayed taken past the busy timeout. diesel-async reports
/// client-side I/O failures as `Unknown` with the driver's message, so the
/// message is the only signal it gives.
pub fn is_connection_failure(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | DieselError::BrokenTransactionManager => true,
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            message.starts_with("Input/output error")
                || message.starts_with("Driver error")
                || message.starts_with("database is locked")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use diesel::migration::MigrationSource;

    use super::*;

    /// Each change is written once per backend, under the same name.
    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |source: EmbeddedMigrations| -> Vec<String> {
            MigrationSource::<diesel::sqlite::Sqlite>::migrations(&source)
                .expect("reading the embedded migrations")
                .iter()
                .map(|migration| migration.name().to_string())
                .collect()
        };
        let mysql = names(MYSQL_MIGRATIONS);
        assert!(!mysql.is_empty());
        assert_eq!(mysql, names(SQLITE_MIGRATIONS));
    }

    /// A replaced connection must not take an in-memory database with it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_in_memory_database_outlives_its_pooled_connection() {
        let url = DatabaseUrl::parse("sqlite::memory:").unwrap();
        let db = Database::new(url, 8, Duration::from_secs(2)).unwrap();
        db.prepare().await.unwrap();
        {
            let mut conn = db.conn().await.unwrap();
            // As if a request was dropped mid-statement.
            let statement =
                conn.run(async |_| std::future::pending::<diesel::QueryResult<()>>().await);
            let abandoned = tokio::time::timeout(Duration::from_millis(10), statement).await;
            assert!(abandoned.is_err());
        }
        let mut conn = db.conn().await.unwrap();
        let users = conn
            .run(async |db| {
                crate::on_backend!(db, c => diesel::sql_query("SELECT id FROM users").execute(c).await)
            })
            .await;
        assert_eq!(users.expect("the migrated tables are still there"), 0);
    }
}
