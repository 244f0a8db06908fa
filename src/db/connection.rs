//! One connection type over MySQL and SQLite. diesel's `MultiConnection`
//! derive does not work with diesel-async, so queries are written once and
//! run on either backend through [`dispatch!`], which compiles the same
//! diesel code once per backend.

use diesel::ConnectionResult;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, SimpleAsyncConnection, TransactionManager,
};

use super::url::DatabaseUrl;
use crate::error::AppResult;

/// SQLite through diesel-async: each call runs on tokio's blocking pool.
pub type SqliteConnection = SyncConnectionWrapper<diesel::SqliteConnection>;

/// Set on every SQLite connection: the busy timeout makes a connection wait
/// for a lock instead of failing with "database is locked" (first, because
/// switching to WAL takes a lock too, and a connection opened while another
/// writes would fail at once); foreign keys (for cascades) are off by
/// default; WAL lets readers run beside the writer.
const SQLITE_SETUP: &str = "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";

/// A connection to either backend, remembering whether it has failed.
pub struct DbConnection {
    backend: Backend,
    /// Set while a statement runs. Still set when the connection comes back
    /// to the pool means its future was dropped mid-statement (a client
    /// went away): the protocol state is unknown, so it must not be reused.
    in_flight: bool,
    /// Set when a statement failed because the connection did.
    failed: bool,
}

/// The backend's own connection.
pub enum Backend {
    Mysql(AsyncMysqlConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$conn` bound to the backend's own connection type, and
/// records a connection failure in its result on the [`DbConnection`].
macro_rules! dispatch {
    ($connection:expr, $conn:ident => $body:expr) => {{
        let connection: &mut $crate::db::DbConnection = $connection;
        let result = match connection.backend() {
            $crate::db::Backend::Mysql($conn) => $body,
            $crate::db::Backend::Sqlite($conn) => $body,
        };
        connection.record(result)
    }};
}
pub(crate) use dispatch;

impl DbConnection {
    /// Opens a connection; SQLite connections get their pragmas here.
    pub async fn establish(url: &DatabaseUrl) -> ConnectionResult<Self> {
        match url {
            DatabaseUrl::Mysql(url) => AsyncMysqlConnection::establish(url)
                .await
                .map(|conn| Self::new(Backend::Mysql(conn))),
            DatabaseUrl::SqliteFile(path) => Self::sqlite(&path.to_string_lossy()).await,
            // Shared cache: every connection to this name sees one database,
            // so a connection the pool replaces does not take the data along.
            DatabaseUrl::SqliteMemory(name) => {
                Self::sqlite(&format!("file:{name}?mode=memory&cache=shared")).await
            }
        }
    }

    async fn sqlite(path: &str) -> ConnectionResult<Self> {
        let mut conn = SqliteConnection::establish(path).await?;
        conn.batch_execute(SQLITE_SETUP)
            .await
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
        Ok(Self::new(Backend::Sqlite(conn)))
    }

    fn new(backend: Backend) -> Self {
        Self {
            backend,
            in_flight: false,
            failed: false,
        }
    }

    /// The backend's own connection, to run a statement on: marks the
    /// connection in flight until [`record`](Self::record) sees the result.
    pub fn backend(&mut self) -> &mut Backend {
        self.in_flight = true;
        &mut self.backend
    }

    /// Passes a statement's result through: the statement is over, and a
    /// connection failure in it is remembered.
    pub fn record<T>(&mut self, result: diesel::QueryResult<T>) -> diesel::QueryResult<T> {
        self.in_flight = false;
        if let Err(err) = &result {
            self.failed |= super::is_connection_failure(err);
        }
        result
    }

    /// True when the connection must not be reused: a statement failed
    /// because the connection did, or one was abandoned half-way.
    pub fn is_unusable(&self) -> bool {
        self.failed || self.in_flight
    }

    /// One cheap round trip, to tell a live connection from a dead one. A
    /// plain-text statement: a bound `sql_query` would cost MySQL three
    /// round trips (prepare, execute, close).
    pub async fn ping(&mut self) -> diesel::QueryResult<()> {
        dispatch!(self, conn => conn.batch_execute("SELECT 1").await)
    }

    /// True when a transaction was left open or failed (e.g. a request was
    /// cancelled mid-transaction): such a connection must not be reused.
    pub fn is_broken(&mut self) -> bool {
        match &mut self.backend {
            Backend::Mysql(conn) => transaction_is_broken(conn),
            Backend::Sqlite(conn) => transaction_is_broken(conn),
        }
    }

    /// Runs `work` in a transaction that intends to write. On MySQL the
    /// statements take row locks; SQLite has one writer, so its transaction
    /// starts with `BEGIN IMMEDIATE` to take the write lock up front: a
    /// deferred transaction that reads and then writes can fail with
    /// "database is locked" instead of waiting.
    pub async fn write_transaction<R, F>(&mut self, work: F) -> AppResult<R>
    where
        F: AsyncFnOnce(&mut Self) -> AppResult<R>,
    {
        let begun = match self.backend() {
            Backend::Mysql(conn) => begin(conn).await,
            Backend::Sqlite(conn) => {
                conn.spawn_blocking(|inner| {
                    diesel::connection::AnsiTransactionManager::begin_transaction_sql(
                        inner,
                        "BEGIN IMMEDIATE",
                    )
                })
                .await
            }
        };
        self.record(begun)?;
        match work(self).await {
            Ok(value) => {
                dispatch!(self, conn => commit(conn).await)?;
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback) = dispatch!(self, conn => rollback(conn).await) {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                Err(error)
            }
        }
    }
}

async fn begin<C: AsyncConnection>(conn: &mut C) -> diesel::QueryResult<()> {
    C::TransactionManager::begin_transaction(conn).await
}

async fn commit<C: AsyncConnection>(conn: &mut C) -> diesel::QueryResult<()> {
    C::TransactionManager::commit_transaction(conn).await
}

async fn rollback<C: AsyncConnection>(conn: &mut C) -> diesel::QueryResult<()> {
    C::TransactionManager::rollback_transaction(conn).await
}

fn transaction_is_broken<C: AsyncConnection>(conn: &mut C) -> bool {
    C::TransactionManager::is_broken_transaction_manager(conn)
}
