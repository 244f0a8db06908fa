//! A client connection's clocks: how long it may take to send a request's
//! head, how long it may sit idle between requests, and how long a write
//! to it may stall.
//!
//! hyper has one clock for the first two (`header_read_timeout`), started
//! as soon as the connection is ready for a head, so idle time between
//! requests counts toward it: a 10 s head limit would also close every
//! keep-alive connection after 10 s idle. The contract gives them apart (a
//! head within 10 s of its first byte, idle connections closed after 60 s),
//! as Go's `ReadHeaderTimeout` and `IdleTimeout` do, so the socket is
//! wrapped here and told by the request handling ([`RequestTracker`]) when
//! a head has been read and when a response is done:
//!
//! - waiting for a request: closed (end of file) if no byte comes within
//!   the idle timeout (the head timeout for a fresh connection, whose
//!   client has just connected in order to send one);
//! - from the first byte of a head: closed unless the whole head has
//!   arrived within the head timeout;
//! - while a request is served, reading has no clock here: reading the
//!   body is bounded by the body timeout where the body is read
//!   (`body.rs`), and handlers are bounded by the database timeout;
//! - any write that makes no progress for the idle timeout fails (a
//!   client that stops reading its responses).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The connection timeouts.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionTimeouts {
    /// From a head's first byte (or the connection's opening) to its end.
    pub head: Duration,
    /// Between requests, and for a stalled write.
    pub idle: Duration,
}

/// What the request handling tells the connection's socket.
#[derive(Debug, Default)]
pub struct RequestTracker {
    /// A request's head has been read and it is being served.
    serving: AtomicBool,
    /// Responses finished so far: a change tells the socket that a wait
    /// for the next request has begun.
    served: AtomicU64,
    /// The connection's task, when it read while a request was served: it
    /// is woken when the request ends, so that its next read starts the
    /// idle clock. (hyper does not always read again after a response; it
    /// may wait on the readiness registered by a read made before it.)
    reader: Mutex<Option<Waker>>,
}

impl RequestTracker {
    /// A request's head has been read; its handling starts.
    pub fn begin(&self) {
        self.serving.store(true, Ordering::Relaxed);
    }

    /// The request's response is done; the wait for the next one starts.
    pub fn end(&self) {
        self.serving.store(false, Ordering::Relaxed);
        self.served.fetch_add(1, Ordering::Relaxed);
        if let Some(reader) = self.lock_reader().take() {
            reader.wake();
        }
    }

    fn wake_on_end(&self, waker: &Waker) {
        let mut reader = self.lock_reader();
        if !reader.as_ref().is_some_and(|r| r.will_wake(waker)) {
            *reader = Some(waker.clone());
        }
    }

    fn lock_reader(&self) -> std::sync::MutexGuard<'_, Option<Waker>> {
        // A waker slot cannot be left inconsistent by a panic.
        self.reader.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A socket with the clocks above.
pub struct TimedIo<I> {
    io: I,
    tracker: Arc<RequestTracker>,
    timeouts: ConnectionTimeouts,
    /// The `served` count when the current wait for a request began.
    seen: u64,
    waiting_since: Instant,
    head_started: Option<Instant>,
    read_deadline: Pin<Box<Sleep>>,
    write_stalled_since: Option<Instant>,
    write_deadline: Pin<Box<Sleep>>,
}

impl<I> TimedIo<I> {
    /// Wraps a just-accepted connection.
    pub fn new(io: I, tracker: Arc<RequestTracker>, timeouts: ConnectionTimeouts) -> Self {
        let now = Instant::now();
        Self {
            io,
            tracker,
            timeouts,
            seen: 0,
            waiting_since: now,
            head_started: None,
            read_deadline: Box::pin(tokio::time::sleep_until(now + timeouts.head)),
            write_stalled_since: None,
            write_deadline: Box::pin(tokio::time::sleep_until(now + timeouts.idle)),
        }
    }

    /// When reading must have made progress by, or `None` while a request
    /// is being served.
    fn read_deadline(&mut self) -> Option<Instant> {
        if self.tracker.serving.load(Ordering::Relaxed) {
            return None;
        }
        let served = self.tracker.served.load(Ordering::Relaxed);
        if served != self.seen {
            self.seen = served;
            self.waiting_since = Instant::now();
            self.head_started = None;
        }
        Some(match self.head_started {
            Some(started) => started + self.timeouts.head,
            None if self.seen == 0 => self.waiting_since + self.timeouts.head,
            None => self.waiting_since + self.timeouts.idle,
        })
    }
}

/// Polls `sleep` reset to `deadline` (only when it moved, which keeps the
/// common case free of timer-wheel work); true when it has passed.
fn expired(sleep: &mut Pin<Box<Sleep>>, deadline: Instant, cx: &mut Context<'_>) -> bool {
    if sleep.deadline() != deadline {
        sleep.as_mut().reset(deadline);
    }
    sleep.as_mut().poll(cx).is_ready()
}

impl<I: AsyncRead + Unpin> AsyncRead for TimedIo<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let deadline = this.read_deadline();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if deadline.is_some() && this.head_started.is_none() && buf.filled().len() > before
                {
                    this.head_started = Some(Instant::now());
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => match deadline {
                // End of file: hyper closes the connection quietly when it
                // is idle, and drops a half-read head.
                Some(deadline) if expired(&mut this.read_deadline, deadline, cx) => {
                    Poll::Ready(Ok(()))
                }
                Some(_) => Poll::Pending,
                None => {
                    this.tracker.wake_on_end(cx.waker());
                    Poll::Pending
                }
            },
        }
    }
}

impl<I: AsyncWrite + Unpin> TimedIo<I> {
    /// Passes a write's result through, failing it once it has stalled
    /// for the idle timeout.
    fn timed<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.write_stalled_since = None;
            return polled;
        }
        let since = *self.write_stalled_since.get_or_insert_with(Instant::now);
        if expired(&mut self.write_deadline, since + self.timeouts.idle, cx) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            )));
        }
        Poll::Pending
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for TimedIo<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.timed(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.timed(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_flush(cx);
        this.timed(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_shutdown(cx);
        this.timed(cx, polled)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

    use super::*;

    const TIMEOUTS: ConnectionTimeouts = ConnectionTimeouts {
        head: Duration::from_secs(10),
        idle: Duration::from_secs(60),
    };

    /// Reads until end of file; how long (on the paused clock) it took.
    async fn time_to_close(io: &mut TimedIo<tokio::io::DuplexStream>) -> Duration {
        let started = Instant::now();
        let mut buf = [0; 64];
        while io.read(&mut buf).await.unwrap() > 0 {}
        started.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_fresh_connection_must_start_its_head_within_the_head_timeout() {
        let (server, _client) = duplex(64);
        let mut io = TimedIo::new(server, Arc::default(), TIMEOUTS);
        assert_eq!(time_to_close(&mut io).await, TIMEOUTS.head);
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_must_end_within_the_head_timeout_of_its_first_byte() {
        let (server, mut client) = duplex(64);
        let mut io = TimedIo::new(server, Arc::default(), TIMEOUTS);
        tokio::time::sleep(Duration::from_secs(4)).await;
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let mut buf = [0; 64];
        assert!(io.read(&mut buf).await.unwrap() > 0);
        // The head's clock started at its first byte, 4 s in.
        assert_eq!(time_to_close(&mut io).await, TIMEOUTS.head);
    }

    #[tokio::test(start_paused = true)]
    async fn between_requests_the_idle_timeout_applies() {
        let (server, mut client) = duplex(64);
        let tracker = Arc::new(RequestTracker::default());
        let mut io = TimedIo::new(server, Arc::clone(&tracker), TIMEOUTS);
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        let mut buf = [0; 64];
        assert!(io.read(&mut buf).await.unwrap() > 0);
        tracker.begin();
        // While it is served, reading waits as long as it takes.
        let waited = tokio::time::timeout(Duration::from_secs(600), io.read(&mut buf)).await;
        assert!(waited.is_err(), "no clock while a request is served");
        tracker.end();
        assert_eq!(time_to_close(&mut io).await, TIMEOUTS.idle);
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_waiting_when_a_request_ends_starts_the_idle_clock() {
        let (server, _client) = duplex(64);
        let tracker = Arc::new(RequestTracker::default());
        let mut io = TimedIo::new(server, Arc::clone(&tracker), TIMEOUTS);
        tracker.begin();
        // hyper may not read again after a response: the read it left
        // waiting must be woken to start the idle clock.
        let waiting = tokio::spawn(async move {
            let mut buf = [0; 8];
            let read = io.read(&mut buf).await.unwrap();
            (read, Instant::now())
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        tracker.end();
        let ended = Instant::now();
        let (read, closed) = tokio::time::timeout(Duration::from_secs(600), waiting)
            .await
            .expect("the waiting read was woken")
            .unwrap();
        assert_eq!(read, 0);
        assert_eq!(closed - ended, TIMEOUTS.idle);
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_that_stalls_for_the_idle_timeout_fails() {
        let (server, _client) = duplex(16);
        let mut io = TimedIo::new(server, Arc::default(), TIMEOUTS);
        let started = Instant::now();
        let written = io.write_all(&[0; 64]).await;
        assert_eq!(written.unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), TIMEOUTS.idle);
    }
}
