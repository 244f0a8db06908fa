//! Log output gathered in memory and written (to stdout) by a background
//! thread, one write for many lines.
//!
//! tracing-appender's non-blocking writer, used before, wakes its thread for
//! nearly every line under load: the profile showed one `write`, most of a
//! `futex` and more than one `sched_yield` (its channel spinning) per
//! request, on a machine where the server shares two cores with its
//! database. Here a line is copied into a shared buffer under a short lock
//! with no system call; the thread is woken only when the buffer goes from
//! empty to non-empty, waits [`GATHER`] for more lines, and writes them all.

use std::io::{self, Write};
use std::mem;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long the writer thread lets lines gather before writing them: also
/// the longest a line waits to appear.
const GATHER: Duration = Duration::from_millis(20);

/// Lines beyond this many waiting bytes (stdout is not keeping up) are
/// dropped and counted rather than held in memory without bound.
const MAX_WAITING_BYTES: usize = 4 * 1024 * 1024;

/// The `MakeWriter` for the subscriber: each event's line is appended to
/// the shared buffer.
#[derive(Clone)]
pub struct BatchedWriter {
    shared: Arc<Shared>,
}

/// Flushes what is waiting and stops the writer thread when dropped: keep it
/// alive until the process exits.
pub struct FlushGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    waiting: Mutex<Waiting>,
    lines_arrived: Condvar,
}

#[derive(Default)]
struct Waiting {
    bytes: Vec<u8>,
    dropped_lines: u64,
    closing: bool,
}

/// Starts the thread that writes the gathered lines to `out`.
pub fn spawn(out: impl Write + Send + 'static) -> io::Result<(BatchedWriter, FlushGuard)> {
    let shared = Arc::new(Shared {
        waiting: Mutex::new(Waiting::default()),
        lines_arrived: Condvar::new(),
    });
    let thread = thread::Builder::new().name("log-writer".into()).spawn({
        let shared = Arc::clone(&shared);
        move || write_batches(&shared, out)
    })?;
    Ok((
        BatchedWriter {
            shared: Arc::clone(&shared),
        },
        FlushGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Waiting> {
        // A panic while holding the lock leaves at worst a partial line.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<'a> MakeWriter<'a> for BatchedWriter {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Write for BatchedWriter {
    /// Takes a whole line (the subscriber writes each event in one call).
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let mut waiting = self.shared.lock();
        if waiting.bytes.len() + line.len() > MAX_WAITING_BYTES {
            waiting.dropped_lines += 1;
            return Ok(line.len());
        }
        let was_empty = waiting.bytes.is_empty();
        waiting.bytes.extend_from_slice(line);
        drop(waiting);
        if was_empty {
            self.shared.lines_arrived.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.lines_arrived.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer thread: sleeps until lines arrive, lets more gather, writes
/// them in one go; after closing, writes what is left and returns.
fn write_batches(shared: &Shared, mut out: impl Write) {
    let mut batch = Vec::new();
    loop {
        let closing = {
            let mut waiting = shared.lock();
            while waiting.bytes.is_empty() && !waiting.closing {
                waiting = shared
                    .lines_arrived
                    .wait(waiting)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            waiting.closing
        };
        if !closing {
            thread::sleep(GATHER);
        }
        let dropped_lines = {
            let mut waiting = shared.lock();
            mem::swap(&mut waiting.bytes, &mut batch);
            mem::take(&mut waiting.dropped_lines)
        };
        // Nowhere to report a failure to write the log; keep serving.
        let _ = out.write_all(&batch);
        if dropped_lines > 0 {
            let _ = writeln!(out, "log: {dropped_lines} lines dropped (stdout too slow)");
        }
        let _ = out.flush();
        batch.clear();
        if closing && shared.lock().bytes.is_empty() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_written_before_closing_all_come_out_in_order() {
        let sink = Sink::default();
        let (mut writer, guard) = spawn(sink.clone()).unwrap();
        for i in 0..1000 {
            writer.write_all(format!("line {i}\n").as_bytes()).unwrap();
        }
        drop(guard);
        let expected: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        assert_eq!(
            String::from_utf8(sink.0.lock().unwrap().clone()).unwrap(),
            expected
        );
    }

    #[test]
    fn a_lone_line_appears_without_waiting_for_more() {
        let sink = Sink::default();
        let (mut writer, _guard) = spawn(sink.clone()).unwrap();
        writer.write_all(b"alone\n").unwrap();
        thread::sleep(GATHER * 10);
        assert_eq!(sink.0.lock().unwrap().as_slice(), b"alone\n");
    }
}
