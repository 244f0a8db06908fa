//! Structured logging. One line per request comes from the trace layer in
//! `app`; request bodies, tokens and passwords are never logged.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber with a filter such as `info` or `datakeep=debug`.
pub fn init(filter: &str) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(filter)
        .map_err(|e| anyhow::anyhow!("LOG_LEVEL: invalid filter {filter:?}: {e}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init()
        .map_err(|e| anyhow::anyhow!("installing the logger: {e}"))
}
