//! The shared test application, after crates.io's `TestApp`, in rooms by job:
//!
//! - `app`: [`TestApp`], a real server on a random local port over a
//!   database of its own (migrated by the server at start-up, removed again
//!   when the app is dropped), and its builder;
//! - `database`: the backends, each test's database, and the few direct
//!   reads and writes a test needs behind the server's back;
//! - `client`: HTTP helpers, the API's common calls, and the contract's
//!   answer shapes;
//! - `logs`: the servers' auth events, for the tests that check them;
//! - `proxy`: a TCP proxy a test can cut, stall or freeze between the
//!   server and MySQL.
//!
//! Tests run in parallel and re-run cleanly. A test is a plain `async fn
//! name(backend: Backend)`; [`backend_test!`] beside it makes the cases
//! `name::mysql` and `name::sqlite`, [`backend_independent_test!`] one case
//! for a test whose subject never reaches the database, [`mysql_test!`] one
//! for a test that needs a database server.
//!
//! - MySQL/MariaDB: a database of its own on the server `TEST_DATABASE_URL`
//!   names (a URL with the right to create databases),
//!   `mysql://root@127.0.0.1:3306` by default; `scripts/test` starts a
//!   throwaway MariaDB when none is running.
//! - SQLite: a file in a temporary directory of its own; needs nothing.

mod app;
mod client;
mod database;
mod logs;
mod proxy;

pub use app::{JWT_SECRET, TestApp};
pub use client::{
    Account, PASSWORD, Reply, Tokens, User, assert_error, assert_error_envelope, assert_success,
    data_path, registration, send, unique_username,
};
pub use database::Backend;
pub use logs::auth_events;

/// Makes the test cases `$name::mysql` and `$name::sqlite` of the `async fn
/// $name(backend: Backend)` beside it: the same body, run once on each backend.
///
/// The body stays an ordinary function (not inside the macro call) so that
/// rustfmt keeps formatting it; a body without its `backend_test!` is dead
/// code, which the build reports.
macro_rules! backend_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                super::$name($crate::harness::Backend::Mysql).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::Backend::Sqlite).await
            }
        }
    };
}
pub(crate) use backend_test;

/// Like [`backend_test!`], for a test whose subject never reaches the
/// database (say, input refused before any query): it makes `$name::sqlite`
/// alone, since running it on both backends would test nothing more.
macro_rules! backend_independent_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::Backend::Sqlite).await
            }
        }
    };
}
pub(crate) use backend_independent_test;

/// Like [`backend_test!`], for a test that only means something on MySQL
/// (say, one that needs a database server to cut off): it makes `$name::mysql`
/// alone. Say at the test why it is MySQL only.
macro_rules! mysql_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                super::$name($crate::harness::Backend::Mysql).await
            }
        }
    };
}
pub(crate) use mysql_test;
