//! datakeep: user accounts and per-user key/value data, served over a
//! GraphQL API and a REST compatibility layer, with every rule in one
//! service layer.
//!
//! The layers, each depending only on those below it:
//!
//! ```text
//! app        composition root: builds everything from the config, serves
//! http       connections, state, router, request log, REST routes, /graphql glue
//! graphql    the schema and its document checks (no HTTP)
//! service    every rule of the contract
//! db, auth   queries and the pool (diesel errors only); bcrypt and tokens
//! model, error
//! ```
//!
//! `config` and `telemetry` are read only by `main.rs` and `app`. `main.rs`
//! only parses the command line; everything else lives here so that tests
//! and tools build exactly the same application. ARCHITECTURE.md says more.

pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod http;
pub mod model;
pub mod service;
pub mod telemetry;

pub use app::App;
pub use config::Config;

/// The dependency rule above, checked on the source: each module names only
/// itself and the layers below it.
#[cfg(test)]
mod layering {
    use std::path::Path;

    /// Each module and what it may name (`crate::<module>`).
    const ALLOWED: [(&str, &[&str]); 10] = [
        ("error", &[]),
        ("model", &[]),
        ("config", &[]),
        ("telemetry", &[]),
        ("db", &["db", "model", "on_backend"]),
        ("auth", &["auth", "error", "model"]),
        ("service", &["service", "db", "auth", "error", "model"]),
        ("graphql", &["graphql", "service", "error", "model"]),
        (
            "http",
            &["http", "graphql", "service", "auth", "error", "model"],
        ),
        (
            "app",
            &["app", "config", "http", "graphql", "service", "db", "auth"],
        ),
    ];

    fn sources(path: &Path, found: &mut Vec<std::path::PathBuf>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                sources(&entry.unwrap().path(), found);
            }
        } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
            found.push(path.to_owned());
        }
    }

    #[test]
    fn modules_name_only_the_layers_below_them() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for (module, allowed) in ALLOWED {
            let mut files = Vec::new();
            sources(&src.join(module), &mut files);
            sources(&src.join(format!("{module}.rs")), &mut files);
            assert!(!files.is_empty(), "no source for {module}");
            for file in files {
                let text = std::fs::read_to_string(&file).unwrap();
                for (at, _) in text.match_indices("crate::") {
                    let named: String = text[at + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    assert!(
                        allowed.contains(&named.as_str()),
                        "{} names crate::{named}, which {module} may not",
                        file.display()
                    );
                }
            }
        }
    }
}
