//! Reads entries by primary key, coalescing concurrent reads into one query.
//!
//! A read joins a queue; a few reader tasks take everything queued (up to
//! [`MAX_BATCH`] lookups) and answer it with one statement. There is no
//! timer: a read that finds a reader idle goes out at once, and reads only
//! share a query when they arrived while the readers were busy. Under load
//! that turns many round trips into one: each round trip wakes a database
//! thread and the server twice, which the profile showed to be most of a
//! read's cost on both sides.
//!
//! A read still sees every write that finished before it was asked for: its
//! query starts after it joined the queue. The query runs in the reader's
//! task, so a request that goes away mid-read cannot abandon a connection
//! half-way through a statement. A read waits at most the pool's wait
//! timeout for its answer, as a direct query waits at most that long for a
//! connection: with the database down, queued reads fail with 503 in time
//! instead of waiting behind one another's failures.

use std::sync::Arc;
use std::time::Duration;

use diesel::QueryResult;
use diesel::result::Error as DieselError;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::entries::{self, EntryRow};
use super::{Database, connection_lost, is_connection_failure};
use crate::model::UserId;

/// Most lookups one query answers.
const MAX_BATCH: usize = 32;

/// One read waiting for its answer.
struct Lookup {
    owner: UserId,
    key: Box<[u8]>,
    reply: oneshot::Sender<QueryResult<Option<EntryRow>>>,
}

impl Lookup {
    fn names_same_entry(&self, other: &Lookup) -> bool {
        self.owner == other.owner && self.key == other.key
    }
}

/// The queue of entry reads and the tasks that answer them.
pub struct EntryReader {
    queue: mpsc::UnboundedSender<Lookup>,
    /// The longest a read waits for its answer.
    patience: Duration,
}

impl EntryReader {
    /// Starts `readers` reader tasks (at least one) on the current tokio
    /// runtime; they stop when the reader is dropped. Each holds a pooled
    /// connection only while its query runs, so reads take at most
    /// `readers` of the pool's connections and leave the rest to writes.
    pub fn start(db: Database, readers: usize) -> Self {
        let patience = db.timeout();
        let (queue, waiting) = mpsc::unbounded_channel();
        let waiting = Arc::new(Mutex::new(waiting));
        for _ in 0..readers.max(1) {
            tokio::spawn(answer_reads(db.clone(), Arc::clone(&waiting)));
        }
        Self { queue, patience }
    }

    /// The entry `owner` has under `key`, or `None` when there is none.
    pub async fn find(&self, owner: UserId, key: &[u8]) -> QueryResult<Option<EntryRow>> {
        let (reply, answer) = oneshot::channel();
        let lookup = Lookup {
            owner,
            key: key.into(),
            reply,
        };
        self.queue
            .send(lookup)
            .map_err(|_| bug("the entry readers have stopped"))?;
        match tokio::time::timeout(self.patience, answer).await {
            Ok(Ok(found)) => found,
            Ok(Err(_)) => Err(bug("an entry reader dropped a read")),
            Err(_) => Err(connection_lost(
                "no entry reader answered in time".to_owned(),
            )),
        }
    }
}

/// A reader task: takes what is queued (waiting for something if nothing
/// is), answers it with one query, and repeats until the queue closes.
async fn answer_reads(db: Database, waiting: Arc<Mutex<mpsc::UnboundedReceiver<Lookup>>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        // One reader collects at a time; the others wait their turn here
        // and take what queues up while this batch is out.
        let taken = waiting.lock().await.recv_many(&mut batch, MAX_BATCH).await;
        if taken == 0 {
            return;
        }
        // Reads whose askers gave up (timed out, or their client left) are
        // not worth a query.
        batch.retain(|lookup| !lookup.reply.is_closed());
        if !batch.is_empty() {
            answer(&db, &mut batch).await;
        }
    }
}

/// Answers and empties `batch`. Lookups of the same entry are asked once
/// and share the row.
async fn answer(db: &Database, batch: &mut Vec<Lookup>) {
    batch.sort_unstable_by(|a, b| (a.owner, &a.key).cmp(&(b.owner, &b.key)));
    let mut wanted: Vec<(UserId, &[u8])> = batch.iter().map(|l| (l.owner, &*l.key)).collect();
    wanted.dedup();
    let found = match db.conn().await {
        // Entries that expired by now are absent, reclaimed or not.
        Ok(mut conn) => {
            entries::find_many(&mut conn, &wanted, chrono::Utc::now().naive_utc()).await
        }
        Err(error) => Err(error),
    };
    let mut rows = match found {
        Ok(rows) => rows,
        Err(error) => {
            for lookup in batch.drain(..) {
                let _ = lookup.reply.send(Err(copy_of(&error)));
            }
            return;
        }
    };
    let mut lookups = batch.drain(..).peekable();
    while let Some(lookup) = lookups.next() {
        let shared = lookups
            .peek()
            .is_some_and(|next| next.names_same_entry(&lookup));
        let hit = rows
            .iter()
            .position(|row| row.user_id == lookup.owner.0 && *row.entry.key == *lookup.key);
        let row = match hit {
            Some(i) if shared => Some(rows[i].entry.clone()),
            Some(i) => Some(rows.swap_remove(i).entry),
            None => None,
        };
        // The asker may have gone away (its client disconnected): nothing to do.
        let _ = lookup.reply.send(Ok(row));
    }
}

/// The same failure for every read of a batch (diesel's errors cannot be
/// cloned): a lost connection stays one, anything else is a bug.
fn copy_of(error: &DieselError) -> DieselError {
    if is_connection_failure(error) {
        connection_lost(error.to_string())
    } else {
        bug(&error.to_string())
    }
}

/// A failure that is not the database's: the service answers it with 500.
fn bug(detail: &str) -> DieselError {
    DieselError::QueryBuilderError(detail.into())
}
