//! One connection type over MySQL and SQLite. diesel's `MultiConnection`
//! derive does not work with diesel-async yet
//! (<https://github.com/diesel-rs/diesel_async/issues/107>; the pieces are
//! landing in <https://github.com/diesel-rs/diesel_async/pull/295> and
//! <https://github.com/diesel-rs/diesel/pull/5099>, unreleased as of
//! diesel-async 0.9), so the connection is an enum of the two, queries are
//! written once inside [`on_backend!`], and every statement goes through
//! [`DbConnection::run`], which bounds it by the statement timeout and
//! keeps the bookkeeping that decides whether the pool may reuse the
//! connection. When a released diesel-async derives a multi-connection,
//! this enum, the macro and the pool's manager (`pool.rs`) can go.

use std::future::Future;
use std::time::Duration;

use diesel::result::Error as DieselError;
use diesel::{ConnectionResult, QueryResult};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, SimpleAsyncConnection, TransactionManager,
};

use super::url::DatabaseUrl;

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
    /// went away): the protocol state is unknown, so it must not be reused.
    in_flight: bool,
    /// Set when a statement failed because the connection did (a statement
    /// that timed out included).
    failed: bool,
    /// Longest a statement may take; `None` for migrations and tools.
    statement_timeout: Option<Duration>,
}

/// The backend's own connection.
pub enum Backend {
    Mysql(AsyncMysqlConnection),
    Sqlite(SqliteConnection),
}

/// Evaluates `$body` with `$conn` bound to the backend's own connection
/// type: the same diesel code, compiled once per backend. Where the
/// dialects differ, match on [`Backend`] instead.
#[macro_export]
macro_rules! on_backend {
    ($backend:expr, $conn:ident => $body:expr) => {
        match $backend {
            $crate::db::Backend::Mysql($conn) => $body,
            $crate::db::Backend::Sqlite($conn) => $body,
        }
    };
}

/// Runs a statement, failing it as a lost connection when `timeout` passes
/// first: the statement's future is dropped with it, so the connection must
/// not be used again.
async fn within<T>(
    timeout: Option<Duration>,
    statement: impl Future<Output = QueryResult<T>>,
) -> QueryResult<T> {
    let Some(timeout) = timeout else {
        return statement.await;
    };
    tokio::time::timeout(timeout, statement)
        .await
        .unwrap_or_else(|_| {
            Err(super::connection_lost(format!(
                "the statement did not finish within {} s",
                timeout.as_secs_f32()
            )))
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

    /// Runs one statement (or a few that belong together) on the backend's
    /// connection, within the statement timeout, and remembers whether it
    /// left the connection fit for reuse: the one place where that is
    /// decided, so no caller can forget it.
    pub async fn run<T, F>(&mut self, statement: F) -> QueryResult<T>
    where
        F: AsyncFnOnce(&mut Backend) -> QueryResult<T>,
    {
        // If this future is dropped before the statement ends, the flag
        // stays set and the pool drops the connection.
        self.in_flight = true;
        let result = within(self.statement_timeout, statement(&mut self.backend)).await;
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
    pub async fn ping(&mut self) -> QueryResult<()> {
        self.run(async |db| on_backend!(db, c => c.batch_execute("SELECT 1").await))
            .await
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
    pub async fn write_transaction<R, E, F>(&mut self, work: F) -> Result<R, E>
    where
        E: From<DieselError>,
        F: AsyncFnOnce(&mut Self) -> Result<R, E>,
    {
        self.run(async |db| match db {
            Backend::Mysql(c) => begin(c).await,
            Backend::Sqlite(c) => {
                c.spawn_blocking(|inner| {
                    diesel::connection::AnsiTransactionManager::begin_transaction_sql(
                        inner,
                        "BEGIN IMMEDIATE",
                    )
                })
                .await
            }
        })
        .await?;
        match work(self).await {
            Ok(value) => {
                self.run(async |db| on_backend!(db, c => commit(c).await))
                    .await?;
                Ok(value)
            }
            // A connection that failed is dropped, and the database rolls
            // back what it was doing; a rollback on it would only wait out
            // another timeout.
            Err(error) if self.is_unusable() => Err(error),
            Err(error) => {
                let rolled_back = self
                    .run(async |db| on_backend!(db, c => rollback(c).await))
                    .await;
                if let Err(rollback) = rolled_back {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                Err(error)
            }
        }
    }
}

async fn begin<C: AsyncConnection>(conn: &mut C) -> QueryResult<()> {
    C::TransactionManager::begin_transaction(conn).await
}

async fn commit<C: AsyncConnection>(conn: &mut C) -> QueryResult<()> {
    C::TransactionManager::commit_transaction(conn).await
}

async fn rollback<C: AsyncConnection>(conn: &mut C) -> QueryResult<()> {
    C::TransactionManager::rollback_transaction(conn).await
}

fn transaction_is_broken<C: AsyncConnection>(conn: &mut C) -> bool {
    C::TransactionManager::is_broken_transaction_manager(conn)
}
