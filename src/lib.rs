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
