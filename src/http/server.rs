//! Serves HTTP/1.1 connections with hyper: at most `max_connections` at
//! once, each with its clocks (`connection.rs`), and a graceful shutdown
//! that ends within its timeout whatever clients do.
//!
//! This is hyper's own connection builder and hyper-util's graceful-shutdown
//! watcher around an accept loop, rather than `axum::serve`, which offers
//! none of these settings.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::{Service, ServiceExt};

use super::body::BodyLimits;
use super::connection::{ConnectionTimeouts, RequestTracker, TimedIo};

/// How the server treats connections.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Head and idle timeouts of every connection.
    pub timeouts: ConnectionTimeouts,
    /// Body size and time limits, handed to every request.
    pub body: BodyLimits,
    /// How long a graceful shutdown waits for open requests before it
    /// closes the connections.
    pub shutdown_timeout: Duration,
    /// Most connections open at once; more wait in the listen backlog.
    pub max_connections: usize,
}

/// Accepts connections on `listener` and serves `app` on them until
/// `shutdown` resolves; then stops accepting, lets open requests finish for
/// at most the shutdown timeout, and closes every connection.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut http = http1::Builder::new();
    // The head and idle clocks are the socket's (see `connection.rs`).
    http.timer(TokioTimer::new()).header_read_timeout(None);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => {
                permit.expect("the connection semaphore is never closed")
            }
        };
        let (stream, client) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    back_off(&err).await;
                    continue;
                }
            },
        };
        // Finished connections are collected here, so the set stays as
        // small as the number open.
        while connections.try_join_next().is_some() {}
        let tracker = Arc::new(RequestTracker::default());
        let io = TimedIo::new(
            nodelay(stream, client),
            Arc::clone(&tracker),
            limits.timeouts,
        );
        let connection = http.serve_connection(
            TokioIo::new(io),
            hyper::service::service_fn(handle(app.clone(), client, limits.body, tracker)),
        );
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, %client, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    let open = connections.len();
    if tokio::time::timeout(limits.shutdown_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            connections = connections.len(),
            "shutdown timeout reached: closing the connections still open"
        );
    } else {
        tracing::info!(connections = open, "every connection finished");
    }
    connections.shutdown().await;
    Ok(())
}

/// The accepted socket, with Nagle's algorithm off: responses go out in one
/// write, so it would only delay them.
fn nodelay(stream: TcpStream, client: SocketAddr) -> TcpStream {
    if let Err(err) = stream.set_nodelay(true) {
        tracing::debug!(error = %err, %client, "could not set TCP_NODELAY");
    }
    stream
}

/// How one connection's requests are handled: each gets the client's
/// address and the body limits, and tells the connection's clocks when it
/// starts and ends.
fn handle<S>(
    app: S,
    client: SocketAddr,
    body: BodyLimits,
    tracker: Arc<RequestTracker>,
) -> impl Fn(hyper::Request<Incoming>) -> BoxedResponse
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    move |request| {
        let mut request = request.map(axum::body::Body::new);
        request.extensions_mut().insert(ConnectInfo(client));
        request.extensions_mut().insert(body);
        tracker.begin();
        let tracker = Arc::clone(&tracker);
        let response = app.clone().oneshot(request);
        Box::pin(async move {
            let response = response.await;
            tracker.end();
            response
        })
    }
}

/// A response on its way; boxed because the router's future has no name.
type BoxedResponse =
    std::pin::Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send + 'static>>;

/// Waits after a failed accept. Errors that concern one connection (the
/// client gave up before it was accepted) need no pause; others (out of
/// file descriptors) would otherwise spin the loop.
async fn back_off(err: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %err, "accepting a connection failed; pausing for a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
