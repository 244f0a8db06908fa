//! The deadpool manager for [`DbConnection`], so one pool serves either backend.

use deadpool::managed::{Manager, Metrics, RecycleError, RecycleResult};
use diesel_async::pooled_connection::PoolError as ConnectionFailure;

use super::connection::DbConnection;
use super::url::DatabaseUrl;

/// Opens connections for the pool and checks them when they come back.
pub struct DbManager {
    url: DatabaseUrl,
}

impl DbManager {
    /// A manager for connections to `url`.
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

impl Manager for DbManager {
    type Type = DbConnection;
    type Error = ConnectionFailure;

    async fn create(&self) -> Result<DbConnection, ConnectionFailure> {
        DbConnection::establish(&self.url)
            .await
            .map_err(ConnectionFailure::ConnectionError)
    }

    /// Verifies a connection before reuse: a dead one (say, the database
    /// restarted) is dropped and replaced, so the pool heals by itself.
    async fn recycle(
        &self,
        conn: &mut DbConnection,
        _: &Metrics,
    ) -> RecycleResult<ConnectionFailure> {
        if conn.is_broken() {
            return Err(RecycleError::message("connection left mid-transaction"));
        }
        conn.ping()
            .await
            .map_err(|e| RecycleError::Backend(ConnectionFailure::QueryError(e)))
    }
}
