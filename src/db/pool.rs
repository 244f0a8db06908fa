//! The deadpool manager for [`DbConnection`], so one pool serves either backend.

use std::time::Duration;

use deadpool::managed::{Manager, Metrics, RecycleError, RecycleResult};
use diesel_async::pooled_connection::PoolError as ConnectionFailure;

use super::connection::DbConnection;
use super::url::DatabaseUrl;

/// How long a connection may sit idle before it is pinged on checkout.
const VERIFY_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Opens connections for the pool and checks them when they come back.
pub struct DbManager {
    url: DatabaseUrl,
    /// Each statement's limit on the connections this opens.
    statement_timeout: Duration,
}

impl DbManager {
    /// A manager for connections to `url` whose statements each fail after
    /// `statement_timeout`.
    pub fn new(url: DatabaseUrl, statement_timeout: Duration) -> Self {
        Self {
            url,
            statement_timeout,
        }
    }
}

impl Manager for DbManager {
    type Type = DbConnection;
    type Error = ConnectionFailure;

    async fn create(&self) -> Result<DbConnection, ConnectionFailure> {
        DbConnection::establish(&self.url, Some(self.statement_timeout))
            .await
            .map_err(ConnectionFailure::ConnectionError)
    }

    /// Decides whether a connection may be reused. One that failed (say,
    /// the database restarted), was abandoned mid-statement, or was left
    /// mid-transaction is dropped and
    /// replaced, so the pool heals by itself; one that sat idle is pinged
    /// first. A connection in steady use is handed out without a round
    /// trip: pinging every checkout would double the database work of a
    /// simple read.
    async fn recycle(
        &self,
        conn: &mut DbConnection,
        metrics: &Metrics,
    ) -> RecycleResult<ConnectionFailure> {
        if conn.is_unusable() {
            return Err(RecycleError::message(
                "the connection failed or was abandoned mid-statement",
            ));
        }
        if conn.is_broken() {
            return Err(RecycleError::message("connection left mid-transaction"));
        }
        if metrics.last_used() < VERIFY_AFTER_IDLE {
            return Ok(());
        }
        conn.ping()
            .await
            .map_err(|e| RecycleError::Backend(ConnectionFailure::QueryError(e)))
    }
}
