//! datakeep: user accounts and per-user key/value data, served over a REST
//! compatibility layer (and GraphQL), with every rule in one service layer.
//!
//! `main.rs` only parses the command line; everything else lives here so
//! that tests and tools build exactly the same application.

pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod graphql_http;
pub mod http;
pub mod model;
pub mod request_log;
pub mod rest;
pub mod service;
pub mod telemetry;

pub use app::App;
pub use config::Config;
