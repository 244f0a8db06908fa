//! Builds the application from a [`Config`] and serves it. `main.rs` and the
//! integration tests both go through here.

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::auth::{PasswordHasher, TokenCodec, TokenSettings, cost_of};
use crate::config::Config;
use crate::db::{Database, DatabaseUrl};
use crate::graphql::build_executor;
use crate::http::graphql::GraphqlEndpoint;
use crate::http::server::{self, ServerLimits};
use crate::http::{self, AppState};
use crate::service::{LoginLimits, Service, ServiceLimits, ServiceParts};

/// A ready-to-serve application: the service and the HTTP layer over it.
pub struct App {
    state: AppState,
    cors: tower_http::cors::CorsLayer,
    limits: ServerLimits,
    /// How often expired entries are reclaimed.
    reclaim_interval: Duration,
}

impl App {
    /// Connects to the database, applies migrations, and wires the routes.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let db = database(config)?;
        db.prepare().await.context(
            "could not prepare the database (is it running, and is DATABASE_URL right?)",
        )?;
        let dummy_cost = common_hash_cost(&db).await.unwrap_or(config.bcrypt_cost);
        let parts = ServiceParts {
            passwords: PasswordHasher::new(
                config.bcrypt_cost,
                dummy_cost,
                config.hash_permits(),
                config.hash_queue_limit(),
            )
            .await?,
            tokens: TokenCodec::new(TokenSettings {
                secret: jwt_secret(config)?,
                previous_secret: config
                    .jwt_previous_secret
                    .as_ref()
                    .map(|secret| secret.as_bytes().to_vec()),
                ttl_secs: config.token_ttl_secs,
                issuer: config.token_issuer.clone(),
                audience: config.token_audience.clone(),
            })?,
            db,
        };
        let limits = ServiceLimits {
            entry_readers: config.readers(),
            login: LoginLimits {
                per_address_and_username: NonZeroU32::new(config.token_rate_limit),
                per_address: NonZeroU32::new(config.token_attempts_per_address),
                registrations_per_address: NonZeroU32::new(config.registrations_per_address),
            },
            login_failures_per_day: NonZeroU32::new(config.login_failures_per_day),
            refresh_ttl: Duration::from_secs(config.refresh_ttl_secs),
            max_value_bytes: usize::try_from(config.max_value_bytes)?,
        };
        let service = Arc::new(
            Service::new(parts, limits)
                .await
                .context("reading the session revocations")?,
        );
        let graphql_limits = graphql_limits(config);
        let graphql = GraphqlEndpoint {
            executor: Arc::new(build_executor(
                Arc::clone(&service),
                graphql_limits,
                usize::try_from(config.persisted_queries_bytes).unwrap_or(usize::MAX),
            )),
            max_batch: graphql_limits.max_batch,
            graphiql: config.graphiql,
        };
        Ok(Self {
            state: AppState {
                service,
                graphql,
                trusted_proxies: config.trusted_proxies.clone().into(),
            },
            cors: http::cors(config.cors_origins.as_deref())?,
            limits: server_limits(config),
            reclaim_interval: Duration::from_secs(config.expired_reclaim_interval_secs),
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
                service.prune().await;
            }
        });
        let service = Arc::clone(&self.state.service);
        let reclaim_every = self.reclaim_interval;
        let reclaiming = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(reclaim_every);
            // A long run delays the next instead of bunching the missed ones.
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                service.reclaim_expired_entries().await;
            }
        });
        let app = http::app(self.state, self.cors);
        let result = server::serve(listener, app, self.limits, shutdown).await;
        housekeeping.abort();
        reclaiming.abort();
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

/// The configured secret (JWT_SECRET, or the file JWT_SECRET_FILE names),
/// or a random one with a warning when neither is set.
fn jwt_secret(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.as_bytes().to_vec());
    }
    if let Some(path) = &config.jwt_secret_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("JWT_SECRET_FILE: reading {}", path.display()))?;
        return Ok(text.trim_end_matches(['\r', '\n']).as_bytes().to_vec());
    }
    tracing::warn!(
        "JWT_SECRET is not set: using a random secret; tokens will not survive a restart"
    );
    Ok(rand::random::<[u8; 32]>().to_vec())
}

/// The bcrypt cost most of the newest accounts' hashes have, so that the
/// dummy hash for unknown usernames costs what a real one does after
/// `BCRYPT_COST` changed; `None` with no accounts yet.
async fn common_hash_cost(db: &Database) -> Option<u32> {
    let mut conn = db.conn().await.ok()?;
    let hashes = crate::db::users::recent_password_hashes(&mut conn, 1000)
        .await
        .ok()?;
    let mut counts = std::collections::BTreeMap::new();
    for cost in hashes.iter().filter_map(|hash| cost_of(hash)) {
        *counts.entry(cost).or_insert(0u32) += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(_, count)| *count)
        .map(|(cost, _)| cost)
}
