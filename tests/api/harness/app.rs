//! [`TestApp`]: a real server over a database of its own, and its builder.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use datakeep::db::DatabaseUrl;

use super::database::{Backend, Prepared, TestDb, drop_database, prepare_mysql, prepare_sqlite};
use super::proxy::DbProxy;

/// The HS256 secret every test server signs with (tests forge tokens with it).
pub const JWT_SECRET: &str = "integration-tests-secret-0123456789abcdef";

/// A running server over its own database. Dropping it removes the database.
pub struct TestApp {
    addr: SocketAddr,
    base_url: String,
    client: reqwest::Client,
    /// The test's database, as a direct (never proxied) connection reaches it.
    pub(super) db_url: DatabaseUrl,
    /// The database as the server reaches it, for another server on it.
    server_db_url: String,
    backend: Backend,
    db: TestDb,
    proxy: Option<DbProxy>,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
}

/// Changes the server's options before it starts; see [`TestApp::builder`].
pub struct TestAppBuilder {
    backend: Backend,
    options: BTreeMap<&'static str, String>,
    with_proxy: bool,
}

impl TestApp {
    /// A server with the default test options, on `backend`.
    pub async fn new(backend: Backend) -> Self {
        Self::builder(backend).build().await
    }

    /// A builder for a server on `backend` with some options changed.
    pub fn builder(backend: Backend) -> TestAppBuilder {
        // Every option a test depends on is set here, because environment
        // variables fill whatever the arguments leave out.
        let defaults = [
            ("--jwt-secret", JWT_SECRET),
            ("--listen-addr", "127.0.0.1:0"),
            ("--token-ttl-secs", "3600"),
            // The cheapest cost bcrypt allows: hashing speed is not under test.
            ("--bcrypt-cost", "4"),
            ("--hash-concurrency", "4"),
            ("--max-value-bytes", "1048576"),
            ("--token-rate-limit", "20"),
            // Off: suites register and log in many accounts from one address;
            // the tests of these limits turn them on.
            ("--token-attempts-per-address", "0"),
            ("--registrations-per-address", "0"),
            ("--db-pool-size", "8"),
            ("--db-timeout-secs", "2"),
            ("--log-level", "info"),
        ];
        TestAppBuilder {
            backend,
            options: defaults
                .into_iter()
                .map(|(name, value)| (name, value.to_owned()))
                .collect(),
            with_proxy: false,
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Asks the server to stop, as SIGTERM does, and waits for it to finish
    /// (at most `patience`): true when it finished in time.
    pub async fn shut_down(&mut self, patience: Duration) -> bool {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        tokio::time::timeout(patience, &mut self.server)
            .await
            .is_ok()
    }

    /// The server's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }
    /// The HTTP client the helpers use.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The proxy between the server and the database, when the app was built
    /// [`with_db_proxy`](TestAppBuilder::with_db_proxy).
    pub fn db_proxy(&self) -> &DbProxy {
        self.proxy
            .as_ref()
            .expect("this TestApp was built without with_db_proxy()")
    }
}

impl TestAppBuilder {
    /// Leaves a default option out, e.g. `without("--jwt-secret")`.
    pub fn without(mut self, name: &'static str) -> Self {
        self.options.remove(name);
        self
    }

    /// Sets a server option, e.g. `option("--token-rate-limit", "3")`.
    pub fn option(mut self, name: &'static str, value: impl Into<String>) -> Self {
        assert!(name.starts_with("--"), "options are long flags: {name}");
        self.options.insert(name, value.into());
        self
    }

    /// Puts a [`DbProxy`] between the server and the database, so a test can
    /// cut the database off and bring it back. MySQL only: an SQLite file has
    /// no connection to cut (use [`mysql_test!`]).
    pub fn with_db_proxy(mut self) -> Self {
        self.with_proxy = true;
        self
    }

    /// Creates the database, starts the server, and waits until it listens.
    pub async fn build(self) -> TestApp {
        super::logs::init();
        // Options without a default cannot be unset from the command line, so
        // an inherited value would silently change what the tests check.
        for (variable, flag) in [
            ("CORS_ORIGINS", "--cors-origins"),
            ("MAX_BODY_BYTES", "--max-body-bytes"),
        ] {
            assert!(
                self.options.contains_key(flag) || std::env::var_os(variable).is_none(),
                "{variable} is set in the environment; unset it to run the tests"
            );
        }

        let Prepared {
            db,
            db_url,
            server_db_url,
            proxy,
        } = match self.backend {
            Backend::Mysql => prepare_mysql(self.with_proxy).await,
            Backend::Sqlite => {
                assert!(
                    !self.with_proxy,
                    "with_db_proxy() needs a database server: make the test mysql_test!"
                );
                prepare_sqlite()
            }
        };

        start(
            self.backend,
            &self.options,
            server_db_url,
            db_url,
            db,
            proxy,
        )
        .await
    }
}

impl TestApp {
    /// A second server on this one's database (as several servers share one
    /// in production), with the default options and `options` changed. Drop
    /// it before this one, which removes the database.
    pub async fn another_server(&self, options: &[(&'static str, &str)]) -> TestApp {
        let mut builder = TestApp::builder(self.backend);
        for (name, value) in options {
            builder = builder.option(name, *value);
        }
        start(
            self.backend,
            &builder.options,
            self.server_db_url.clone(),
            self.db_url.clone(),
            TestDb::Shared,
            None,
        )
        .await
    }
}

/// Starts a server with `options` on a prepared database.
async fn start(
    backend: Backend,
    options: &BTreeMap<&'static str, String>,
    server_db_url: String,
    db_url: DatabaseUrl,
    db: TestDb,
    proxy: Option<DbProxy>,
) -> TestApp {
    {
        let mut args = vec![
            "datakeep".to_owned(),
            "--database-url".to_owned(),
            server_db_url.clone(),
        ];
        for (name, value) in options {
            args.push((*name).to_owned());
            args.push(value.clone());
        }
        let config = datakeep::Config::from_args(&args)
            .unwrap_or_else(|err| panic!("invalid test options {args:?}: {err}"));
        let app = datakeep::App::build(&config).await.unwrap_or_else(|err| {
            panic!("building the app on {db_url} (connecting and migrating): {err:#}")
        });
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the test server");
        let addr = listener.local_addr().expect("the test server's address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(app.serve(listener, async {
            let _ = stop.await;
        }));

        let client = reqwest::Client::builder()
            // An HTTP_PROXY in the environment must not catch loopback traffic.
            .no_proxy()
            // A hung request fails its test instead of hanging the suite.
            .timeout(Duration::from_secs(60))
            .build()
            .expect("building the HTTP client");
        TestApp {
            addr,
            base_url: format!("http://{addr}"),
            client,
            db_url,
            server_db_url,
            backend,
            db,
            proxy,
            shutdown: Some(shutdown),
            server,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.server.abort();
        // An SQLite directory removes itself when the field is dropped, after
        // this (files the aborting server still holds open can be unlinked).
        let TestDb::Mysql {
            admin_url,
            name: db_name,
        } = &self.db
        else {
            return;
        };
        // Drop cannot be async, and this thread may be one of the test
        // runtime's workers: drop the database from a thread of its own.
        let admin_url = admin_url.clone();
        let db_name = db_name.clone();
        let name = db_name.clone();
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for dropping the test database")
                .block_on(drop_database(&admin_url, &name))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("warning: could not drop test database {db_name}: {err}"),
            Err(_) => eprintln!("warning: dropping test database {db_name} panicked"),
        }
    }
}
