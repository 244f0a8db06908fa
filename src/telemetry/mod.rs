//! Structured logging. One line per request comes from `request_log`;
//! request bodies, tokens and passwords are never logged.

mod batched_writer;

use std::io::{IsTerminal, stdout};

pub use batched_writer::FlushGuard;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber with a filter such as `info` or
/// `datakeep=debug`. Lines go to stdout from a background thread, many to a
/// write, within 20 ms. Keep the returned guard alive until exit; dropping
/// it writes what is still waiting.
pub fn init(filter: &str) -> anyhow::Result<FlushGuard> {
    let filter = EnvFilter::try_new(filter)
        .map_err(|e| anyhow::anyhow!("LOG_LEVEL: invalid filter {filter:?}: {e}"))?;
    let (writer, guard) = batched_writer::spawn(stdout())
        .map_err(|e| anyhow::anyhow!("starting the log writer: {e}"))?;
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
