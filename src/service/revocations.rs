//! Which sessions have ended, known to every server sharing the database
//! within a second, without a database round trip per request.
//!
//! Ending a session deletes it and adds its id to `session_revocations` in
//! one transaction, and the server that ended it records the id here at
//! once. Every server polls the table every [`POLL_INTERVAL`] and keeps the
//! ids in memory, where an access token's session is looked up on every
//! authenticated request. An id is kept for as long as an access token
//! lives: after that, no token of the ended session can still be valid (a
//! refresh, the only way to a new token, fails once the session is gone).
//!
//! Each poll reads the revocations of the last [`OVERLAP`] again rather than
//! those after the last one seen: times are taken before commit, so a
//! transaction that commits late can carry an earlier time than one already
//! read, and a cursor would skip it. A revocation commits within the
//! database timeout (each statement is bounded by it), well inside the
//! overlap; reading an id twice is harmless.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};

use crate::db::{self, Database};
use crate::model::SessionId;

/// How often every server reads the revocation list: the contract gives
/// other servers a second to honour an ended session.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// How far back each poll reads (see the module doc).
const OVERLAP: TimeDelta = TimeDelta::seconds(30);

/// The ended sessions whose access tokens may still be within their lifetime.
pub struct Revocations {
    ended: RwLock<HashMap<SessionId, NaiveDateTime>>,
    /// How long an ended session is remembered: the access-token lifetime.
    keep_for: TimeDelta,
}

impl Revocations {
    /// Reads every revocation still relevant, then keeps polling `db` on the
    /// current tokio runtime (until the returned value is dropped). Reading
    /// first means no request is served before the list is known.
    pub async fn start(db: Database, keep_for: Duration) -> diesel::QueryResult<Arc<Self>> {
        let revocations = Arc::new(Self {
            ended: RwLock::default(),
            keep_for: TimeDelta::from_std(keep_for).unwrap_or(TimeDelta::MAX),
        });
        let now = super::now();
        let mut conn = db.conn().await?;
        let read = db::sessions::revoked_since(&mut conn, now - revocations.keep_for).await?;
        drop(conn);
        revocations.merge(read, now);
        tokio::spawn(poll(db, Arc::downgrade(&revocations), now));
        Ok(revocations)
    }

    /// True when `session` has ended (here, or on any server, as of the
    /// last poll).
    pub fn has_ended(&self, session: SessionId) -> bool {
        self.ended
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&session)
    }

    /// Records sessions this server has just ended, effective at once.
    pub fn record(&self, sessions: &[SessionId], at: NaiveDateTime) {
        let mut ended = self.ended.write().unwrap_or_else(PoisonError::into_inner);
        for session in sessions {
            ended.insert(*session, at);
        }
    }

    /// Revocations older than this are of no use to any server (no valid
    /// token can carry them, and no poll reads back that far): the table's
    /// housekeeping deletes them (`Service::prune`).
    pub fn forgettable_before(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - self.keep_for - OVERLAP
    }

    /// Adds what a poll read, and forgets what no valid token can carry.
    fn merge(&self, read: Vec<(SessionId, NaiveDateTime)>, now: NaiveDateTime) {
        let mut ended = self.ended.write().unwrap_or_else(PoisonError::into_inner);
        ended.extend(read);
        let horizon = now - self.keep_for;
        ended.retain(|_, at| *at >= horizon);
    }
}

/// The polling task: reads the list every [`POLL_INTERVAL`].
async fn poll(db: Database, revocations: Weak<Revocations>, read_at: NaiveDateTime) {
    let mut every = tokio::time::interval(POLL_INTERVAL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // When the last successful read began: after failed reads, the next one
    // reaches back to it (less the overlap), so an outage skips nothing.
    let mut last_read = read_at;
    loop {
        every.tick().await;
        let Some(revocations) = revocations.upgrade() else {
            return;
        };
        let now = super::now();
        let since = last_read - OVERLAP;
        let read = match db.conn().await {
            Ok(mut conn) => db::sessions::revoked_since(&mut conn, since).await,
            Err(err) => Err(err),
        };
        match read {
            Ok(read) => {
                revocations.merge(read, now);
                last_read = now;
            }
            // The next poll tries again; until then what is known holds.
            Err(err) => tracing::warn!(error = %err, "could not read the session revocations"),
        }
    }
}
