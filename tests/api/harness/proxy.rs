//! A TCP proxy between the server and MySQL that a test can break.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// A TCP proxy between the server and the database, so a test can simulate
/// an outage: [`stop`](Self::stop) closes the port and cuts every open
/// connection; [`hang`](Self::hang) cuts them and then accepts connections
/// that never answer (a database that is reachable but stuck);
/// [`freeze`](Self::freeze) keeps every connection open but passes nothing
/// on, either way, until [`thaw`](Self::thaw) (a database stopped with
/// SIGSTOP, mid-statement for whoever was waiting on it);
/// [`start`](Self::start) forwards to the database again.
pub struct DbProxy {
    addr: SocketAddr,
    upstream: (String, u16),
    running: tokio::sync::Mutex<Option<Running>>,
    frozen: watch::Sender<bool>,
}

struct Running {
    accept: JoinHandle<()>,
    connections: Arc<Mutex<JoinSet<()>>>,
}

impl DbProxy {
    pub(super) async fn start_to(upstream: (String, u16)) -> Self {
        let listener =
            listen(SocketAddr::from(([127, 0, 0, 1], 0))).expect("binding the database proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let proxy = Self {
            addr,
            upstream,
            running: tokio::sync::Mutex::new(None),
            frozen: watch::Sender::new(false),
        };
        *proxy.running.lock().await = Some(proxy.run(listener));
        proxy
    }

    /// The address the server connects to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the listening port and cuts every connection through the proxy.
    /// When this returns, the database is unreachable for the server.
    pub async fn stop(&self) {
        let Some(running) = self.running.lock().await.take() else {
            return;
        };
        running.accept.abort();
        // Awaiting the aborted task guarantees the listener is closed.
        let _ = running.accept.await;
        let mut connections =
            std::mem::take(&mut *running.connections.lock().expect("proxy lock poisoned"));
        connections.shutdown().await;
    }

    /// Listens on the same port again; new connections reach the database.
    pub async fn start(&self) {
        let mut running = self.running.lock().await;
        if running.is_none() {
            let listener = listen(self.addr).expect("re-binding the database proxy's port");
            *running = Some(self.run(listener));
        }
    }

    /// Holds every byte in both directions, on open connections and new
    /// ones, until [`thaw`](Self::thaw): a statement sent now gets no answer.
    pub fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    /// Passes on what was held, and everything after it.
    pub fn thaw(&self) {
        self.frozen.send_replace(false);
    }

    /// Cuts every connection, then accepts new ones and never answers on
    /// them: connecting succeeds, the database's greeting never comes.
    pub async fn hang(&self) {
        self.stop().await;
        let listener = listen(self.addr).expect("re-binding the database proxy's port");
        *self.running.lock().await = Some(self.serve(listener, None));
    }

    fn run(&self, listener: TcpListener) -> Running {
        self.serve(listener, Some(self.upstream.clone()))
    }

    /// Accepts on `listener`, forwarding to `upstream`, or to nowhere.
    fn serve(&self, listener: TcpListener, upstream: Option<(String, u16)>) -> Running {
        let connections = Arc::new(Mutex::new(JoinSet::new()));
        let accept = tokio::spawn(accept_loop(
            listener,
            upstream,
            Arc::clone(&connections),
            self.frozen.subscribe(),
        ));
        Running {
            accept,
            connections,
        }
    }
}

/// Binds with SO_REUSEADDR, so `start` can take the port back at once even
/// while the connections `stop` cut linger in TIME_WAIT.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(128)
}

async fn accept_loop(
    listener: TcpListener,
    upstream: Option<(String, u16)>,
    connections: Arc<Mutex<JoinSet<()>>>,
    frozen: watch::Receiver<bool>,
) {
    loop {
        let client = match listener.accept().await {
            Ok((client, _)) => client,
            Err(_) => {
                // E.g. out of file descriptors: back off rather than spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let upstream = upstream.clone();
        let frozen = frozen.clone();
        let mut connections = connections.lock().expect("proxy lock poisoned");
        while connections.try_join_next().is_some() {}
        connections.spawn(async move {
            let Some((host, port)) = upstream else {
                // Hanging: hold the connection open, say nothing.
                let _client = client;
                return std::future::pending().await;
            };
            if let Ok(server) = TcpStream::connect((host.as_str(), port)).await {
                let (client_reads, client_writes) = client.into_split();
                let (server_reads, server_writes) = server.into_split();
                tokio::join!(
                    forward(client_reads, server_writes, frozen.clone()),
                    forward(server_reads, client_writes, frozen),
                );
            }
        });
    }
}

/// Copies bytes from `from` to `to` until either side closes, holding each
/// chunk while the proxy is frozen.
async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut frozen: watch::Receiver<bool>,
) {
    let mut buf = vec![0; 16 * 1024];
    loop {
        let read = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if frozen.wait_for(|frozen| !frozen).await.is_err() {
            break;
        }
        if to.write_all(&buf[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
