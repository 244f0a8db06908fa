//! Command line and environment configuration.
//!
//! Every setting is a `clap` argument with an environment fallback, so
//! `datakeep --help` documents the environment too; `.env.sample` lists them.
//! A bad value stops start-up with clap's message, which names the variable.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// `datakeep [COMMAND]`: serves by default.
#[derive(Debug, Parser)]
#[command(name = "datakeep", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

/// What the binary should do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL) that the server serves, as kept in schema.graphql.
    Schema,
}

/// Settings of a running server.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database to use: mysql://user:password@host:3306/datakeep (MySQL or
    /// MariaDB), sqlite://path/to/file.db, or sqlite::memory:. Default:
    /// sqlite://datakeep.db
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Address the HTTP server listens on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:3000")]
    pub listen_addr: SocketAddr,

    /// HS256 signing secret for access tokens, at least 32 bytes. When
    /// neither it nor JWT_SECRET_FILE is set a random one is generated, and
    /// tokens do not survive a restart.
    #[arg(
        long,
        env = "JWT_SECRET",
        hide_env_values = true,
        conflicts_with = "jwt_secret_file"
    )]
    pub jwt_secret: Option<String>,

    /// A file holding the signing secret (a trailing newline is ignored),
    /// instead of JWT_SECRET.
    #[arg(long, env = "JWT_SECRET_FILE")]
    pub jwt_secret_file: Option<std::path::PathBuf>,

    /// The previous signing secret, still accepted for verification while
    /// its tokens run out, so the secret can be rotated without logging
    /// everyone out.
    #[arg(long, env = "JWT_PREVIOUS_SECRET", hide_env_values = true)]
    pub jwt_previous_secret: Option<String>,

    /// Lifetime of an access token in seconds.
    #[arg(long, env = "TOKEN_TTL_SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub token_ttl_secs: u64,

    /// How long a session lasts without a refresh, in seconds.
    #[arg(long, env = "REFRESH_TTL_SECS", default_value_t = 2_592_000,
          value_parser = clap::value_parser!(u64).range(1..=315_360_000))]
    pub refresh_ttl_secs: u64,

    /// The `iss` of access tokens (and the only one accepted).
    #[arg(long, env = "TOKEN_ISSUER", default_value = "datakeep")]
    pub token_issuer: String,

    /// The `aud` of access tokens (and the only one accepted).
    #[arg(long, env = "TOKEN_AUDIENCE", default_value = "datakeep")]
    pub token_audience: String,

    /// bcrypt cost factor for new password hashes (4..=31; each step doubles the work).
    #[arg(long, env = "BCRYPT_COST", default_value_t = 12,
          value_parser = clap::value_parser!(u32).range(4..=31))]
    pub bcrypt_cost: u32,

    /// How many bcrypt hashes may run at once; 0 means one per CPU core.
    /// Bounding this keeps a login storm from starving every other request.
    #[arg(long, env = "HASH_CONCURRENCY", default_value_t = 0)]
    pub hash_concurrency: usize,

    /// How many password hashes may wait for a hashing thread; past that, a
    /// login or registration gets 503 at once instead of an ever longer
    /// wait. 0 means 32 per hashing thread (about 8 s of waiting at cost 12).
    #[arg(long, env = "HASH_QUEUE_LIMIT", default_value_t = 0)]
    pub hash_queue_limit: usize,

    /// Largest entry value in bytes (UTF-8).
    #[arg(long, env = "MAX_VALUE_BYTES", default_value_t = 1_048_576,
          value_parser = clap::value_parser!(u64).range(1..=268_435_456))]
    pub max_value_bytes: u64,

    /// Largest request body in bytes; bigger bodies get 413 PAYLOAD_TOO_LARGE.
    /// Defaults to 6 x MAX_VALUE_BYTES + 64 KiB, so a maximal value is accepted
    /// however its JSON is escaped (a `\u0000` escape is six bytes for one).
    #[arg(long, env = "MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,

    /// Token requests allowed per minute for one client address and username; 0 turns the limit off.
    #[arg(long, env = "TOKEN_RATE_LIMIT", default_value_t = 20)]
    pub token_rate_limit: u32,

    /// Token requests allowed per minute from one client address, whatever
    /// the username; 0 turns the limit off.
    #[arg(long, env = "TOKEN_ATTEMPTS_PER_ADDRESS", default_value_t = 60)]
    pub token_attempts_per_address: u32,

    /// Failed token requests allowed per username in 24 hours, from all
    /// addresses together; 0 turns the limit off.
    #[arg(long, env = "LOGIN_FAILURES_PER_DAY", default_value_t = 100)]
    pub login_failures_per_day: u32,

    /// Registrations allowed per hour from one client address; 0 turns the
    /// limit off.
    #[arg(long, env = "REGISTRATIONS_PER_ADDRESS", default_value_t = 10)]
    pub registrations_per_address: u32,

    /// Comma-separated CIDR ranges of reverse proxies: only when the peer is
    /// one of them is the client address taken from X-Forwarded-For (the
    /// rightmost address not in the list). None by default.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Maximum number of pooled database connections; 0 means 16 per CPU
    /// core, at most 64. Entry reads use at most `DB_READERS` of them, so the
    /// rest carry writes, whose commits the database flushes together: more
    /// writes in flight means more commits per flush (see BENCHMARKS.md).
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=1024))]
    pub db_pool_size: u64,

    /// How many entry-read queries may run at once; reads that arrive while
    /// all are busy share the next query (see `db/entry_reader.rs`). 0 means
    /// one per CPU core.
    #[arg(long, env = "DB_READERS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=1024))]
    pub db_readers: u64,

    /// Seconds a connection checkout, and then each statement, may take
    /// before the request fails with 503 (the connection is dropped);
    /// `/readyz` answers within it.
    #[arg(long, env = "DB_TIMEOUT_SECS", default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub db_timeout_secs: u64,

    /// Seconds a client has to send a request's head, from its first byte
    /// (or from connecting, for a connection's first request).
    #[arg(long, env = "HEADER_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_secs: u64,

    /// Seconds a client has to send a request's body, from its head;
    /// later, 408 REQUEST_TIMEOUT.
    #[arg(long, env = "BODY_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_secs: u64,

    /// Seconds a keep-alive connection may wait for its next request (and
    /// a response may wait for a client that does not read it) before it
    /// is closed.
    #[arg(long, env = "IDLE_TIMEOUT_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub idle_timeout_secs: u64,

    /// Seconds a graceful shutdown (SIGTERM, Ctrl-C) waits for open requests
    /// before it closes the remaining connections.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_timeout_secs: u64,

    /// Most client connections open at once; more wait in the listen
    /// backlog until one closes.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,

    /// Comma-separated origins allowed by CORS; any origin when unset.
    #[arg(long, env = "CORS_ORIGINS")]
    pub cors_origins: Option<String>,

    /// Deepest field nesting a GraphQL document may have.
    #[arg(long, env = "GRAPHQL_MAX_DEPTH", default_value_t = 16)]
    pub graphql_max_depth: usize,

    /// Highest cost a GraphQL document may have: 1 per field, fragments
    /// counted where they are spread, and a connection's edges and nodes once
    /// per item of the page.
    #[arg(long, env = "GRAPHQL_MAX_COMPLEXITY", default_value_t = 1000)]
    pub graphql_max_complexity: usize,

    /// Most aliases one GraphQL document may use.
    #[arg(long, env = "GRAPHQL_MAX_ALIASES", default_value_t = 100)]
    pub graphql_max_aliases: usize,

    /// Most operations in one batched GraphQL request.
    #[arg(long, env = "GRAPHQL_MAX_BATCH", default_value_t = 16,
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub graphql_max_batch: u64,

    /// Longest GraphQL query text, in bytes; a longer one is refused with
    /// 413 before it is parsed.
    #[arg(long, env = "GRAPHQL_MAX_QUERY_BYTES", default_value_t = 65_536,
          value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    pub graphql_max_query_bytes: u64,

    /// Seconds between two runs of the task that deletes expired entries
    /// (each run deletes in batches until none are left).
    #[arg(long, env = "EXPIRED_RECLAIM_INTERVAL_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub expired_reclaim_interval_secs: u64,

    /// Serve the GraphiQL playground at `GET /graphql` (its assets come
    /// from the binary); `false` turns it off.
    #[arg(long, env = "GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphiql: bool,

    /// Bytes the automatic persisted query store may hold (query texts by
    /// their SHA-256); the least recently used are forgotten beyond it.
    #[arg(long, env = "PERSISTED_QUERIES_BYTES", default_value_t = 4_194_304)]
    pub persisted_queries_bytes: u64,

    /// Log filter, e.g. `info` or `datakeep=debug,info`.
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,
}

impl Config {
    /// Parses a config from command-line style arguments (tests and tools use this;
    /// environment variables still fill what the arguments leave out).
    pub fn from_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        #[derive(Parser)]
        struct Standalone {
            #[command(flatten)]
            config: Config,
        }
        Standalone::try_parse_from(args).map(|s| s.config)
    }

    /// The effective request body limit.
    pub fn body_limit(&self) -> usize {
        self.max_body_bytes.unwrap_or_else(|| {
            let value = usize::try_from(self.max_value_bytes).unwrap_or(usize::MAX);
            value.saturating_mul(6).saturating_add(64 * 1024)
        })
    }

    /// How long a request may wait for the database before it fails fast.
    pub fn db_timeout(&self) -> Duration {
        Duration::from_secs(self.db_timeout_secs)
    }

    /// How many database connections the pool may hold.
    pub fn pool_size(&self) -> usize {
        match usize::try_from(self.db_pool_size).unwrap_or(usize::MAX) {
            0 => (16 * cores()).min(MAX_DEFAULT_POOL_SIZE),
            n => n,
        }
    }

    /// How many entry-read queries may run at once.
    pub fn readers(&self) -> usize {
        match usize::try_from(self.db_readers).unwrap_or(usize::MAX) {
            0 => cores(),
            n => n,
        }
    }

    /// How many password hashes may run at once.
    pub fn hash_permits(&self) -> usize {
        match self.hash_concurrency {
            0 => cores(),
            n => n,
        }
    }

    /// How many password hashes may wait to run.
    pub fn hash_queue_limit(&self) -> usize {
        match self.hash_queue_limit {
            0 => 32 * self.hash_permits(),
            n => n,
        }
    }
}

/// The default pool stays well inside MariaDB's default `max_connections`
/// (151) on a machine with many cores.
const MAX_DEFAULT_POOL_SIZE: usize = 64;

/// CPU cores available to the process, for the defaults that scale with them.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use clap::CommandFactory;

    use super::Cli;

    /// `.env.sample` names every setting once: with its default, or
    /// commented out when it has none (an empty value would count as set).
    #[test]
    fn env_sample_matches_the_settings_and_their_defaults() {
        let mut sample = BTreeMap::new();
        for line in include_str!("../.env.sample").lines() {
            let (commented, line) = match line.strip_prefix('#') {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
                let previous = sample.insert(name.to_owned(), (commented, value.to_owned()));
                assert!(previous.is_none(), "{name} appears twice in .env.sample");
            }
        }
        let command = Cli::command();
        let mut settings = 0;
        for arg in command.get_arguments() {
            let Some(env) = arg.get_env().and_then(|env| env.to_str()) else {
                continue;
            };
            settings += 1;
            let listed = sample
                .get(env)
                .unwrap_or_else(|| panic!("{env} is missing from .env.sample"));
            match arg.get_default_values().first() {
                Some(default) => assert_eq!(
                    listed,
                    &(false, default.to_string_lossy().into_owned()),
                    "{env} in .env.sample must be set to its default"
                ),
                None => assert!(
                    listed.0,
                    "{env} has no default: comment it out in .env.sample"
                ),
            }
        }
        assert_eq!(
            sample.len(),
            settings,
            "settings in .env.sample that --help lacks"
        );
    }
}
