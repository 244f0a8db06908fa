//! Which database a `DATABASE_URL` names, picked by its scheme.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// The default when `DATABASE_URL` is unset: an SQLite file beside the process.
pub const DEFAULT_URL: &str = "sqlite://datakeep.db";

/// A parsed `DATABASE_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `mysql://user:password@host:port/database` (MySQL or MariaDB).
    Mysql(String),
    /// `sqlite://path` (relative or, with a third slash, absolute).
    SqliteFile(PathBuf),
    /// `sqlite::memory:`: a throwaway database that lives as long as the
    /// pool. The name is unique per parse, so two pools never share one.
    SqliteMemory(String),
}

impl DatabaseUrl {
    /// Parses a URL, or says which schemes work.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("mysql://") {
            Ok(Self::Mysql(url.to_owned()))
        } else if url == "sqlite::memory:" {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            Ok(Self::SqliteMemory(format!(
                "datakeep-{}-{n}",
                std::process::id()
            )))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                anyhow::bail!("DATABASE_URL {url:?} names no file; use e.g. sqlite://datakeep.db");
            }
            Ok(Self::SqliteFile(PathBuf::from(path)))
        } else {
            anyhow::bail!(
                "DATABASE_URL {url:?} has an unsupported scheme; use mysql://user:password@host:3306/database, \
                 sqlite://path/to/file.db, or sqlite::memory:"
            )
        }
    }
}

/// Shows the URL without a password, for logs.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mysql(url) => {
                let (scheme, rest) = url.split_at("mysql://".len());
                match rest.split_once('@') {
                    Some((user, host)) => {
                        let user = user.split(':').next().unwrap_or_default();
                        write!(f, "{scheme}{user}:***@{host}")
                    }
                    None => f.write_str(url),
                }
            }
            Self::SqliteFile(path) => write!(f, "sqlite://{}", path.display()),
            Self::SqliteMemory(_) => f.write_str("sqlite::memory:"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_backend_by_scheme() {
        assert!(matches!(
            DatabaseUrl::parse("mysql://u@h/db"),
            Ok(DatabaseUrl::Mysql(_))
        ));
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/dk.db").unwrap(),
            DatabaseUrl::SqliteFile("/var/lib/dk.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("sqlite::memory:"),
            Ok(DatabaseUrl::SqliteMemory(_))
        ));
        let err = DatabaseUrl::parse("postgres://h/db")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mysql://") && err.contains("sqlite://"),
            "{err}"
        );
    }

    #[test]
    fn hides_passwords() {
        let url = DatabaseUrl::parse("mysql://app:secret@db:3306/dk").unwrap();
        assert_eq!(url.to_string(), "mysql://app:***@db:3306/dk");
    }
}
