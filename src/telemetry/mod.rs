//! Structured logging. One line per request comes from the trace layer in
//! `app`; request bodies, tokens and passwords are never logged.

use std::io::{BufWriter, IsTerminal, stdout};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber with a filter such as `info` or
/// `datakeep=debug`. Lines are written by a background thread that drains a
/// queue into a buffer and flushes whenever the queue is empty: under load
/// many lines share one write system call, and when idle each appears at
/// once. Keep the returned guard alive until exit; dropping it flushes.
pub fn init(filter: &str) -> anyhow::Result<WorkerGuard> {
    let filter = EnvFilter::try_new(filter)
        .map_err(|e| anyhow::anyhow!("LOG_LEVEL: invalid filter {filter:?}: {e}"))?;
    let (writer, guard) = tracing_appender::non_blocking(BufWriter::new(stdout()));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // Colours only for a person at a terminal, never in a file or a pipe.
        .with_ansi(stdout().is_terminal())
        .with_writer(writer)
        .try_init()
        .map_err(|e| anyhow::anyhow!("installing the logger: {e}"))?;
    Ok(guard)
}
