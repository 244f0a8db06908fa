//! Database access: the pool, migrations, the schema, and the queries that
//! live next to their row types. Nothing outside this module builds SQL.

pub mod entries;
pub mod schema;
pub mod users;

use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncMigrationHarness, AsyncMysqlConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The connection type every query takes.
pub type DbConnection = AsyncMysqlConnection;

/// A connection checked out of the pool.
pub type PooledConnection = Object<DbConnection>;

/// Why no connection could be had (timeout, refused, unreachable).
pub type PoolError = diesel_async::pooled_connection::deadpool::PoolError;

/// Migrations compiled into the binary, applied at start-up and by `datakeep migrate`.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/mysql");

/// The shared connection pool.
#[derive(Clone)]
pub struct Database {
    pool: Pool<DbConnection>,
}

impl Database {
    /// Builds a pool; no connection is opened until one is needed.
    ///
    /// Connections are pinged when taken from the pool (so a restarted
    /// database is noticed and the pool heals itself), and every wait is
    /// bounded by `timeout` so requests fail fast with 503 while the
    /// database is down.
    pub fn new(url: &str, max_size: usize, timeout: Duration) -> anyhow::Result<Self> {
        if !url.starts_with("mysql://") {
            anyhow::bail!(
                "DATABASE_URL must start with mysql:// (e.g. mysql://user:password@127.0.0.1:3306/datakeep)"
            );
        }
        let mut manager_config = ManagerConfig::default();
        manager_config.recycling_method = RecyclingMethod::Verified;
        let manager =
            AsyncDieselConnectionManager::<DbConnection>::new_with_config(url, manager_config);
        let pool = Pool::builder(manager)
            .max_size(max_size)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        Ok(Self { pool })
    }

    /// Checks a connection out of the pool.
    pub async fn conn(&self) -> Result<PooledConnection, PoolError> {
        self.pool.get().await
    }

    /// Creates the database named in the URL when the server does not have
    /// it yet (so a first run needs no manual `CREATE DATABASE`), then
    /// applies pending migrations.
    pub async fn prepare(&self, url: &str) -> anyhow::Result<()> {
        if let Err(err) = self.conn().await {
            if !err.to_string().contains("Unknown database") {
                return Err(err.into());
            }
            create_database(url).await?;
        }
        self.migrate().await
    }

    /// Applies pending migrations. Needs tokio's multi-thread runtime, since
    /// diesel's migration harness is synchronous and runs in `block_in_place`.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let conn = self.conn().await?;
        let mut harness = AsyncMigrationHarness::new(conn);
        harness
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
        Ok(())
    }

    /// True when the database answers a trivial query.
    pub async fn is_ready(&self) -> bool {
        match self.conn().await {
            Ok(mut conn) => diesel::sql_query("SELECT 1")
                .execute(&mut conn)
                .await
                .is_ok(),
            Err(_) => false,
        }
    }
}

/// Connects to the server without selecting a database and creates the one
/// the URL names.
async fn create_database(url: &str) -> anyhow::Result<()> {
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
    let mut conn = <DbConnection as diesel_async::AsyncConnection>::establish(&server_url).await?;
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
    /// A unique index; `on_email` tells the users table's two indexes apart.
    Unique { on_email: bool },
    /// A foreign key: the owning account is gone.
    ForeignKey,
}

/// Classifies a write error as a constraint violation, if it is one.
pub fn violation(err: &DieselError) -> Option<Violation> {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            // MariaDB names the index ("... for key 'users_email_key'"), SQLite
            // the column ("... users.email_key"): both contain "email".
            Some(Violation::Unique {
                on_email: info.message().contains("email"),
            })
        }
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            Some(Violation::ForeignKey)
        }
        _ => None,
    }
}

/// True when an error means the connection to the database failed (as
/// opposed to the database rejecting a statement). diesel-async reports
/// client-side I/O failures as `Unknown` with the driver's message, so the
/// message prefix is the only signal it gives.
pub fn is_connection_failure(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | DieselError::BrokenTransactionManager => true,
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            message.starts_with("Input/output error") || message.starts_with("Driver error")
        }
        _ => false,
    }
}
