//! Real GraphQL clients against the real server (contract section 10): the
//! `graphql-http` package's GraphQL-over-HTTP audit, GraphiQL in Debian's
//! Chromium with no network beyond the server, Apollo Client 4 (normalised
//! cache, persisted queries, errors before execution), graphql-request 4
//! and 7, and the typed frontend example (`examples/web`: graphql-codegen types, urql). The Node programs
//! live in `tests/clients/` and `examples/web/`; `scripts/test` installs
//! their packages (`npm ci`) and Chromium before the suite runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::harness::{Backend, TestApp, backend_independent_test, backend_test};

fn project_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Runs `program args` in `dir` (off the runtime's threads, which serve the
/// app) and panics with its output unless it exits 0.
async fn run_ok(dir: &str, program: &str, args: &[&str]) -> Output {
    let dir = project_path(dir);
    assert!(
        dir.join("node_modules").is_dir(),
        "{} has no node_modules: run scripts/test (or `npm ci` there)",
        dir.display()
    );
    let mut command = Command::new(program);
    command.args(args).current_dir(&dir);
    let described = format!("{program} {} in {}", args.join(" "), dir.display());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the child's thread")
        .unwrap_or_else(|err| panic!("starting {described}: {err} (is Node.js installed?)"));
    assert!(
        output.status.success(),
        "{described} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

async fn graphql_over_http_audit_passes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let output = run_ok("tests/clients", "node", &["audit.mjs", app.base_url()]).await;
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("0 MUST/SHOULD failures"), "{report}");
}
backend_independent_test!(graphql_over_http_audit_passes);

async fn graphiql_runs_a_query_in_a_browser_offline(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    run_ok(
        "tests/clients",
        "node",
        &[
            "graphiql.mjs",
            app.base_url(),
            &user.token,
            &user.account.username,
        ],
    )
    .await;
}
backend_independent_test!(graphiql_runs_a_query_in_a_browser_offline);

async fn apollo_client_caches_persists_and_reads_errors(backend: Backend) {
    let app = TestApp::new(backend).await;
    let output = run_ok("tests/clients", "node", &["apollo.mjs", app.base_url()]).await;
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("all checks passed"), "{report}");
}
backend_test!(apollo_client_caches_persists_and_reads_errors);

async fn graphql_request_old_and_new_read_every_answer(backend: Backend) {
    let app = TestApp::new(backend).await;
    let output = run_ok(
        "tests/clients",
        "node",
        &["graphql-request.mjs", app.base_url()],
    )
    .await;
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("all checks passed"), "{report}");
}
backend_independent_test!(graphql_request_old_and_new_read_every_answer);

/// The example is generated and type-checked once, then run against a
/// server on each backend (one test, so two runs never regenerate the same
/// files at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typed_web_example_runs_on_both_backends() {
    run_ok("examples/web", "npm", &["run", "--silent", "ci"]).await;
    run_ok("examples/web", "npm", &["run", "--silent", "build"]).await;
    for backend in [Backend::Sqlite, Backend::Mysql] {
        let app = TestApp::new(backend).await;
        let output = run_ok("examples/web", "node", &["dist/main.js", app.base_url()]).await;
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(report.contains("PASS"), "{backend:?}: {report}");
    }
}
