//! Builds the application from a [`Config`] and serves it. `main.rs` and the
//! integration tests both go through here.

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::auth::{PasswordHasher, TokenCodec};
use crate::config::Config;
use crate::db::{Database, DatabaseUrl};
use crate::graphql::build_executor;
use crate::http::graphql::GraphqlEndpoint;
use crate::http::server::{self, ServerLimits};
use crate::http::{self, AppState};
use crate::service::{Service, ServiceLimits, ServiceParts};

/// A ready-to-serve application: the service and the HTTP layer over it.
pub struct App {
    state: AppState,
    cors: tower_http::cors::CorsLayer,
    limits: ServerLimits,
}

impl App {
    /// Connects to the database, applies migrations, and wires the routes.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let db = database(config)?;
        db.prepare().await.context(
            "could not prepare the database (is it running, and is DATABASE_URL right?)",
        )?;
        let parts = ServiceParts {
            db,
            passwords: PasswordHasher::new(
                config.bcrypt_cost,
                config.hash_permits(),
                config.hash_queue_limit(),
            )
            .await?,
            tokens: TokenCodec::new(&jwt_secret(config), config.token_ttl_secs)?,
        };
        let limits = ServiceLimits {
            entry_readers: config.readers(),
            token_requests_per_minute: NonZeroU32::new(config.token_rate_limit),
            max_value_bytes: usize::try_from(config.max_value_bytes)?,
        };
        let service = Arc::new(Service::new(parts, limits));
        let graphql_limits = graphql_limits(config);
        let graphql = GraphqlEndpoint {
            executor: Arc::new(build_executor(Arc::clone(&service), graphql_limits)),
            max_batch: graphql_limits.max_batch,
        };
        Ok(Self {
            state: AppState { service, graphql },
            cors: http::cors(config.cors_origins.as_deref())?,
            limits: server_limits(config),
        })
    }

    /// Applies pending migrations to the configured database (`datakeep
    /// migrate`), creating a MySQL database first when it is missing.
    pub async fn migrate(config: &Config) -> anyhow::Result<()> {
        database(config)?.prepare().await
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests
    /// (for at most the shutdown timeout).
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let service = Arc::clone(&self.state.service);
        let housekeeping = tokio::spawn(async move {
            let mut every_minute = tokio::time::interval(Duration::from_secs(60));
            loop {
                every_minute.tick().await;
                service.prune();
            }
        });
        let app = http::app(self.state, self.cors);
        let result = server::serve(listener, app, self.limits, shutdown).await;
        housekeeping.abort();
        result
    }
}

/// The configured database (`DATABASE_URL`, or the SQLite file
/// `./datakeep.db`), with the configured pool; logs which it is.
fn database(config: &Config) -> anyhow::Result<Database> {
    let url = DatabaseUrl::parse(
        config
            .database_url
            .as_deref()
            .unwrap_or(crate::db::DEFAULT_URL),
    )?;
    log_database(&url, config.database_url.is_none());
    Database::new(url, config.pool_size(), config.db_timeout())
}

/// The GraphQL document limits.
fn graphql_limits(config: &Config) -> crate::graphql::Limits {
    crate::graphql::Limits {
        max_depth: config.graphql_max_depth,
        max_complexity: config.graphql_max_complexity,
        max_aliases: config.graphql_max_aliases,
        max_batch: usize::try_from(config.graphql_max_batch).unwrap_or(usize::MAX),
        max_query_bytes: usize::try_from(config.graphql_max_query_bytes).unwrap_or(usize::MAX),
    }
}

/// How connections, bodies and shutdown are bounded.
fn server_limits(config: &Config) -> ServerLimits {
    ServerLimits {
        timeouts: http::connection::ConnectionTimeouts {
            head: Duration::from_secs(config.header_timeout_secs),
            idle: Duration::from_secs(config.idle_timeout_secs),
        },
        body: http::body::BodyLimits {
            max_bytes: config.body_limit(),
            timeout: Duration::from_secs(config.body_timeout_secs),
        },
        shutdown_timeout: Duration::from_secs(config.shutdown_timeout_secs),
        max_connections: usize::try_from(config.max_connections).unwrap_or(usize::MAX),
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Says where the data lives, and how to move it to MySQL when on SQLite.
fn log_database(url: &DatabaseUrl, defaulted: bool) {
    match url {
        DatabaseUrl::Mysql(_) => tracing::info!(database = %url, "using MySQL"),
        DatabaseUrl::SqliteFile(path) => {
            let file = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            tracing::info!(
                file = %file.display(),
                defaulted,
                "using SQLite; for MySQL/MariaDB set DATABASE_URL=mysql://user:password@host:3306/datakeep"
            );
        }
        DatabaseUrl::SqliteMemory(_) => tracing::warn!(
            "using an in-memory SQLite database: everything is lost when the process stops"
        ),
    }
}

/// The configured secret, or a random one with a warning when none is set.
fn jwt_secret(config: &Config) -> Vec<u8> {
    match &config.jwt_secret {
        Some(secret) => secret.as_bytes().to_vec(),
        None => {
            tracing::warn!(
                "JWT_SECRET is not set: using a random secret; tokens will not survive a restart"
            );
            rand::random::<[u8; 32]>().to_vec()
        }
    }
}
