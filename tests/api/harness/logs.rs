//! The servers' auth events (target `datakeep::auth`), kept in memory so a
//! test can read the lines its own requests caused, by request id; and the
//! rest of the log on the test output when `TEST_LOG` is set.

use std::sync::{Mutex, Once, PoisonError};

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Every auth event line of every server in this test process.
static AUTH_LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Installs the process's log subscriber, once.
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let auth_events = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(AuthLines)
            .with_filter(Targets::new().with_target("datakeep::auth", Level::INFO));
        let test_output = std::env::var("TEST_LOG").ok().map(|filter| {
            tracing_subscriber::fmt::layer()
                .with_test_writer()
                .with_filter(EnvFilter::new(filter))
        });
        let _ = tracing_subscriber::registry()
            .with(auth_events)
            .with(test_output)
            .try_init();
    });
}

/// The auth event lines logged for the request with id `request_id`.
pub fn auth_events(request_id: &str) -> Vec<String> {
    let needle = format!("request_id={request_id}");
    AUTH_LINES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|line| line.split_whitespace().any(|field| field == needle))
        .cloned()
        .collect()
}

/// Writes into [`AUTH_LINES`]: the formatter hands over one whole line per
/// write.
struct AuthLines;

impl std::io::Write for AuthLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let line = String::from_utf8_lossy(buf).trim_end().to_owned();
        AUTH_LINES
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for AuthLines {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        Self
    }
}
