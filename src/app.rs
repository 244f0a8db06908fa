//! Builds the application from a [`Config`] and serves it. `main.rs` and the
//! integration tests both go through here.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::FromRef;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::auth::{PasswordHasher, TokenCodec};
use crate::config::Config;
use crate::db::{Database, DatabaseUrl};
use crate::error::AppError;
use crate::graphql::build_executor;
use crate::graphql_http::{self, GraphqlEndpoint};
use crate::http::server::{self, ServerLimits};
use crate::request_log::{self, REQUEST_ID};
use crate::rest;
use crate::service::Service;

/// What every handler can extract: the service (REST) and the GraphQL endpoint.
#[derive(Clone)]
pub struct AppState {
    service: Arc<Service>,
    graphql: GraphqlEndpoint,
}

impl FromRef<AppState> for Arc<Service> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.service)
    }
}

impl FromRef<AppState> for GraphqlEndpoint {
    fn from_ref(state: &AppState) -> Self {
        state.graphql.clone()
    }
}

/// A ready-to-serve application: the service and the HTTP router over it.
pub struct App {
    service: Arc<Service>,
    router: Router,
    /// Applied around the whole router in [`App::serve`], not per route.
    cors: CorsLayer,
    limits: ServerLimits,
}

impl App {
    /// Connects to the database, applies migrations, and wires the routes.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let url = config.database()?;
        log_database(&url, config.database_url.is_none());
        let db = Database::new(url, config.pool_size(), config.db_timeout())?;
        db.prepare().await.context(
            "could not prepare the database (is it running, and is DATABASE_URL right?)",
        )?;
        let tokens = TokenCodec::new(&jwt_secret(config), config.token_ttl_secs)?;
        let passwords = PasswordHasher::new(
            config.bcrypt_cost,
            config.hash_permits(),
            config.hash_queue_limit(),
        )
        .await?;
        let service = Arc::new(Service::new(
            db,
            config.readers(),
            passwords,
            tokens,
            config.token_rate_limit,
            usize::try_from(config.max_value_bytes)?,
        ));
        Ok(Self {
            router: router(Arc::clone(&service), config),
            cors: cors(config.cors_origins.as_deref())?,
            limits: config.server_limits(),
            service,
        })
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests
    /// (for at most the shutdown timeout).
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let service = Arc::clone(&self.service);
        let housekeeping = tokio::spawn(async move {
            let mut every_minute = tokio::time::interval(Duration::from_secs(60));
            loop {
                every_minute.tick().await;
                service.prune();
            }
        });
        // Layers that need no route go around the router once: a layer added
        // with `Router::layer` wraps (and boxes) every route separately. The
        // headers go outermost, so CORS answers carry them too.
        let app = ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            // Tokens and data must not stay in a browser's or proxy's cache.
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ))
            .layer(self.cors)
            .service(self.router);
        let result = server::serve(listener, app, self.limits, shutdown).await;
        housekeeping.abort();
        result
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

fn router(service: Arc<Service>, config: &Config) -> Router {
    let limits = config.graphql_limits();
    let state = AppState {
        graphql: GraphqlEndpoint {
            executor: Arc::new(build_executor(Arc::clone(&service), limits)),
            max_batch: limits.max_batch,
        },
        service,
    };
    // Layers added later wrap the earlier ones: panics become JSON 500s
    // inside the request log, so those are logged with their status too.
    rest::router()
        .merge(graphql_http::router())
        .fallback(rest::not_found)
        .method_not_allowed_fallback(rest::method_not_allowed)
        .with_state(state)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(request_log::log_request))
}

/// CORS for browser apps on other origins: any origin unless `CORS_ORIGINS`
/// lists them. Tokens travel in a header, so credentials (cookies) are not allowed.
fn cors(origins: Option<&str>) -> anyhow::Result<CorsLayer> {
    let allow_origin = match origins {
        None => AllowOrigin::any(),
        Some(list) => AllowOrigin::list(
            list.split(',')
                .map(str::trim)
                .filter(|origin| !origin.is_empty())
                .map(|origin| {
                    HeaderValue::from_str(origin)
                        .with_context(|| format!("CORS_ORIGINS: invalid origin {origin:?}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        ),
    };
    Ok(CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::RETRY_AFTER, header::WWW_AUTHENTICATE, REQUEST_ID])
        .max_age(Duration::from_secs(3600)))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::internal("a request handler panicked").into_response()
}
