//! Integration tests: the real server over real HTTP against a real MariaDB.
//!
//! One test binary (as crates.io does) so the harness compiles once. Each
//! test builds its own [`harness::TestApp`] with its own database; run them
//! with `scripts/test`, which finds or starts a database server.
//!
//! Every test uses tokio's multi-thread runtime because the server applies
//! migrations at start-up inside `block_in_place`.

mod data;
mod harness;
mod ops;
mod register;
mod token;
