//! Integration tests: the real server over real HTTP, against a real MariaDB
//! and against SQLite, with the same test bodies.
//!
//! One test binary (as crates.io does) so the harness compiles once. Each
//! test builds its own [`harness::TestApp`] with its own database; run them
//! with `scripts/test`, which finds or starts a database server for the
//! MySQL cases (the SQLite cases need nothing).
//!
//! A test is a plain `async fn` followed by `backend_test!(name);`, which
//! makes the cases `name::mysql` and `name::sqlite` (so `cargo test --
//! ::sqlite` runs one backend); `mysql_test!(name);` makes the MySQL case
//! alone, for the few tests that need a database server.
//!
//! Every test uses tokio's multi-thread runtime because the server applies
//! migrations at start-up inside `block_in_place`.

mod clients;
mod connections;
mod data;
mod graphql;
mod harness;
mod ops;
mod register;
mod requests;
mod sessions;
mod token;
