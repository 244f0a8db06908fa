//! One connection type over MySQL and SQLite. diesel's `MultiConnection`
//! derive does not work with diesel-async, so queries are written once and
//! run on either backend through [`dispatch!`], which compiles the same
//! diesel code once per backend, and bounds every statement by the
//! connection's statement timeout.

use std::future::Future;
use std::time::Duration;

use diesel::ConnectionResult;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, SimpleAsyncConnection, TransactionManager,
};

use super::url::DatabaseUrl;
use crate::error::AppResult;

/// SQLite through diesel-async: each call runs on tokio's blocking pool.
pub type SqliteConnection = SyncConnectionWrapper<diesel::SqliteConnection>;

/// Set on every SQLite connection after the busy timeout: foreign keys (for
/// cascades) are off by default; WAL lets readers run beside the writer.
const SQLITE_SETUP: &str =
    "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";

/// How long an SQLite connection waits for a lock when it has no statement
/// timeout (migrations, tools).
const SQLITE_DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to either backend, remembering whether it has failed.
pub struct DbConnection {
    backend: Backend,
    /// Set while a statement runs. Still set when the connection comes back
    /// to the pool means its future was dropped mid-statement (a client
    /// went away, or the statement timed out): the protocol state is
    /// unknown, so it must not be reused.
    in_flight: bool,
    /// Set when a statement failed because the connection did.
    failed: bool,
    /// Longest a statement may take; `None` for migrations and tools.
    statement_timeout: Option<Duration>,
}

/// The backend's own connection.
pub enum Backend {
    Mysql(AsyncMysqlConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$conn` bound to the backend's own connection type
/// (or, in the second form, a different body per backend, where the
/// dialects differ), within the connection's statement timeout, and records
/// a connection failure in its result on the [`DbConnection`].
macro_rules! dispatch {
    ($connection:expr, $conn:ident => $body:expr) => {
        $crate::db::dispatch!($connection, mysql $conn => $body, sqlite $conn => $body)
    };
    ($connection:expr, mysql $mysql:ident => $on_mysql:expr, sqlite $sqlite:ident => $on_sqlite:expr) => {{
        let connection: &mut $crate::db::DbConnection = $connection;
        let timeout = connection.statement_timeout();
        let result = $crate::db::within(timeout, async {
            match connection.backend() {
                $crate::db::Backend::Mysql($mysql) => $on_mysql,
                $crate::db::Backend::Sqlite($sqlite) => $on_sqlite,
            }
        })
        .await;
        connection.record(result)
    }};
}
pub(crate) use dispatch;

/// Runs a statement, failing it as a lost connection when `timeout` passes
/// first: the statement's future is dropped with the connection marked in
/// flight, so the pool never hands that connection out again.
pub async fn within<T>(
    timeout: Option<Duration>,
    statement: impl Future<Output = diesel::QueryResult<T>>,
) -> diesel::QueryResult<T> {
    let Some(timeout) = timeout else {
        return statement.await;
    };
    tokio::time::timeout(timeout, statement)
        .await
        .unwrap_or_else(|_| {
            Err(DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection,
                Box::new(format!(
                    "the statement did not finish within {} s",
                    timeout.as_secs_f32()
                )),
            ))
        })
}

impl DbConnection {
    /// Opens a connection whose statements each fail after
    /// `statement_timeout` (none when `None`). SQLite connections get their
    /// pragmas here, their busy timeout equal to the statement timeout, so
    /// a statement waiting for a lock gives up when its caller does.
    pub async fn establish(
        url: &DatabaseUrl,
        statement_timeout: Option<Duration>,
    ) -> ConnectionResult<Self> {
        let backend = match url {
            DatabaseUrl::Mysql(url) => Backend::Mysql(AsyncMysqlConnection::establish(url).await?),
            DatabaseUrl::SqliteFile(path) => {
                Self::sqlite(&path.to_string_lossy(), statement_timeout).await?
            }
            // Shared cache: every connection to this name sees one database,
            // so a connection the pool replaces does not take the data along.
            DatabaseUrl::SqliteMemory(name) => {
                let path = format!("file:{name}?mode=memory&cache=shared");
                Self::sqlite(&path, statement_timeout).await?
            }
        };
        Ok(Self {
            backend,
            in_flight: false,
            failed: false,
            statement_timeout,
        })
    }

    async fn sqlite(path: &str, statement_timeout: Option<Duration>) -> ConnectionResult<Backend> {
        let mut conn = SqliteConnection::establish(path).await?;
        let busy = statement_timeout.unwrap_or(SQLITE_DEFAULT_BUSY_TIMEOUT);
        // First: switching to WAL takes a lock too, and a connection opened
        // while another writes would otherwise fail at once with "database
        // is locked".
        let setup = format!("PRAGMA busy_timeout = {}; {SQLITE_SETUP}", busy.as_millis());
        conn.batch_execute(&setup)
            .await
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
        Ok(Backend::Sqlite(conn))
    }

    /// Longest a statement on this connection may take.
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.statement_timeout
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
        dispatch!(self,
            mysql conn => begin(conn).await,
            sqlite conn => {
                conn.spawn_blocking(|inner| {
                    diesel::connection::AnsiTransactionManager::begin_transaction_sql(
                        inner,
                        "BEGIN IMMEDIATE",
                    )
                })
                .await
            }
        )?;
        match work(self).await {
            Ok(value) => {
                dispatch!(self, conn => commit(conn).await)?;
                Ok(value)
            }
            // A connection that failed is dropped, and the database rolls
            // back what it was doing; a rollback on it would only wait out
            // another timeout.
            Err(error) if self.is_unusable() => Err(error),
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
