//! Sessions (contract section 7): logging in, refreshing, the caller's
//! identity, and ending sessions.
//!
//! Every successful token request starts a session and gets an access token
//! (a JWT naming the session) and a refresh token (random, stored only as a
//! hash). A refresh retires the token it was given and hands out the next
//! pair; presenting a retired token again ends the whole session (a sign
//! that it was stolen). Ending a session deletes it and revokes it: its
//! access tokens stop working at once here and within a second on every
//! other server (`revocations.rs`).

use chrono::TimeDelta;

use super::{Service, auth_log, now, rate_limit};
use crate::auth::{hash_refresh_token, new_refresh_token};
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::model::{AccessToken, Caller, ClientInfo, Session, SessionId, UserId};

/// The window of the failed-login limit (contract section 11: per day).
const FAILURE_WINDOW: TimeDelta = TimeDelta::hours(24);

/// Longest `User-Agent` kept for the session list.
const MAX_USER_AGENT_CHARS: usize = 255;

/// What a refresh found, decided inside its transaction.
enum Refreshed {
    Rotated(Caller, String),
    /// Unknown, or its session has ended.
    Refused,
    /// The session was idle too long: it was ended.
    Expired(Caller),
    /// A retired token: the session was ended.
    Reused(Caller),
}

impl Service {
    /// Exchanges a username (any case) and password for a new session's
    /// tokens. Unknown usernames and wrong passwords get the same answer
    /// after the same bcrypt work; the limits of section 11 apply first.
    pub async fn issue_token(
        &self,
        username: &str,
        password: &str,
        client: &ClientInfo,
    ) -> AppResult<AccessToken> {
        if username.is_empty() || password.is_empty() {
            return Err(AppError::new(
                ErrorCode::MissingFields,
                "Both username and password are required.",
            ));
        }
        if let Err(limited) = self.limits.check_token_request(client.address, username) {
            auth_log::login("login_limited", username, client);
            return rate_limit::after_pause(limited).await;
        }
        let stored = {
            let mut conn = self.db.conn().await?;
            db::users::credentials(&mut conn, username.to_lowercase().as_bytes()).await?
        };
        let started = now();
        if let (Some(limit), Some(stored)) = (self.login_failures_per_day, &stored)
            && let Some(since) = stored.login_failures_since
            && since > started - FAILURE_WINDOW
            && stored.login_failures >= limit.get() as i32
        {
            auth_log::login("login_locked", username, client);
            let wait = (since + FAILURE_WINDOW - started).num_seconds().max(1);
            return rate_limit::after_pause(AppError::rate_limited(
                "failed logins for this account",
                std::time::Duration::from_secs(wait as u64 + 1),
            ))
            .await;
        }
        let hash = stored.as_ref().map(|s| s.password_hash.clone());
        let verified = self.passwords.verify(password.to_owned(), hash).await?;
        let stored = match stored {
            Some(stored) if verified => stored,
            unverified => {
                if let Some(stored) = &unverified {
                    let mut conn = self.db.conn().await?;
                    db::users::record_login_failure(
                        &mut conn,
                        UserId(stored.id),
                        started - FAILURE_WINDOW,
                        started,
                    )
                    .await?;
                }
                auth_log::login("login_failed", username, client);
                return Err(AppError::new(
                    ErrorCode::InvalidCredentials,
                    "Invalid username or password.",
                ));
            }
        };
        let user = UserId(stored.id);
        // A password hashed at an older cost is hashed again at the current one.
        let rehashed = if self.passwords.needs_rehash(&stored.password_hash) {
            Some(self.passwords.hash(password.to_owned()).await?)
        } else {
            None
        };
        let (refresh_token, token_hash) = new_refresh_token();
        let session = db::sessions::SessionRow {
            id: SessionId::random().0.to_vec(),
            user_id: user.0,
            created_at: started,
            last_used_at: started,
            user_agent: client
                .user_agent
                .as_ref()
                .map(|agent| agent.chars().take(MAX_USER_AGENT_CHARS).collect()),
        };
        let caller = Caller {
            user,
            session: session
                .session_id()
                .ok_or_else(|| AppError::internal("a session id of 16 bytes"))?,
        };
        {
            let mut conn = self.db.conn().await?;
            conn.write_transaction(async |conn| {
                if stored.login_failures != 0 {
                    db::users::reset_login_failures(conn, user).await?;
                }
                if let Some(hash) = &rehashed {
                    db::users::set_password_hash(conn, user, hash, started).await?;
                }
                db::sessions::insert(conn, &session, &token_hash).await
            })
            .await?;
        }
        auth_log::login("login_succeeded", username, client);
        self.tokens_for(caller, refresh_token)
    }

    /// Exchanges a refresh token for the next pair, retiring it. A retired
    /// token presented again ends its session.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        client: &ClientInfo,
    ) -> AppResult<AccessToken> {
        if refresh_token.is_empty() {
            return Err(AppError::new(
                ErrorCode::MissingFields,
                "refresh_token is required.",
            ));
        }
        let presented = hash_refresh_token(refresh_token);
        let (next, next_hash) = new_refresh_token();
        let at = now();
        let idle_since = at - self.refresh_ttl;
        let outcome = {
            let mut conn = self.db.conn().await?;
            conn.write_transaction(async |conn| {
                let Some(found) = db::sessions::presented_token(conn, &presented).await? else {
                    return Ok::<_, AppError>(Refreshed::Refused);
                };
                let Some(session) = found.session.session_id() else {
                    return Ok(Refreshed::Refused);
                };
                let caller = Caller {
                    user: UserId(found.session.user_id),
                    session,
                };
                if found.session.last_used_at < idle_since {
                    self.end_session_in(conn, caller).await?;
                    return Ok(Refreshed::Expired(caller));
                }
                if found.retired_at.is_some() {
                    self.end_session_in(conn, caller).await?;
                    return Ok(Refreshed::Reused(caller));
                }
                db::sessions::rotate(conn, &found.session.id, &presented, &next_hash, at).await?;
                Ok(Refreshed::Rotated(caller, next))
            })
            .await?
        };
        match outcome {
            Refreshed::Rotated(caller, next) => {
                auth_log::sessions("refreshed", caller.user, &[caller.session], client);
                self.tokens_for(caller, next)
            }
            Refreshed::Reused(caller) => {
                self.sessions_ended(
                    "refresh_token_reused",
                    caller.user,
                    &[caller.session],
                    client,
                );
                Err(AppError::invalid_token())
            }
            Refreshed::Expired(caller) => {
                self.sessions_ended("session_expired", caller.user, &[caller.session], client);
                Err(AppError::invalid_token())
            }
            Refreshed::Refused => {
                auth_log::refresh_refused(client);
                Err(AppError::invalid_token())
            }
        }
    }

    /// Checks a bearer token: its signature, claims and times, and that its
    /// session has not ended. The account's existence is checked by the
    /// query each operation runs anyway, saving a round trip.
    pub fn authenticate(&self, bearer_token: Option<&str>) -> AppResult<Caller> {
        let caller = self
            .tokens
            .verify(bearer_token.ok_or_else(AppError::invalid_token)?)?;
        if self.revocations.has_ended(caller.session) {
            return Err(AppError::invalid_token());
        }
        Ok(caller)
    }

    /// Ends the caller's session.
    pub async fn logout(&self, caller: Caller, client: &ClientInfo) -> AppResult<()> {
        let mut conn = self.db.conn().await?;
        conn.write_transaction(async |conn| self.end_session_in(conn, caller).await)
            .await?;
        self.sessions_ended("logged_out", caller.user, &[caller.session], client);
        Ok(())
    }

    /// Ends every session of the caller's account.
    pub async fn logout_all(&self, caller: Caller, client: &ClientInfo) -> AppResult<()> {
        let mut conn = self.db.conn().await?;
        let ended = conn
            .write_transaction(async |conn| end_sessions_of(conn, caller.user, None).await)
            .await?;
        self.sessions_ended("logged_out_everywhere", caller.user, &ended, client);
        Ok(())
    }

    /// The account's sessions, newest first.
    pub async fn sessions(&self, caller: Caller) -> AppResult<Vec<Session>> {
        let mut conn = self.db.conn().await?;
        let rows = db::sessions::of_user(&mut conn, caller.user, now() - self.refresh_ttl).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let id = row.session_id()?;
                Some(Session {
                    id,
                    created_at: row.created_at.and_utc(),
                    last_used_at: row.last_used_at.and_utc(),
                    user_agent: row.user_agent,
                    current: id == caller.session,
                })
            })
            .collect())
    }

    /// Ends one of the caller's sessions; another account's or an unknown id
    /// is `SESSION_NOT_FOUND`.
    pub async fn end_session(
        &self,
        caller: Caller,
        id: &str,
        client: &ClientInfo,
    ) -> AppResult<()> {
        let not_found = || AppError::new(ErrorCode::SessionNotFound, "No such session.");
        let session = SessionId::parse(id).ok_or_else(not_found)?;
        let target = Caller {
            user: caller.user,
            session,
        };
        let ended = {
            let mut conn = self.db.conn().await?;
            conn.write_transaction(async |conn| self.end_session_in(conn, target).await)
                .await?
        };
        if !ended {
            return Err(not_found());
        }
        self.sessions_ended("session_ended", caller.user, &[session], client);
        Ok(())
    }

    /// Deletes and revokes one session of `caller.user`, in the caller's
    /// transaction; false when there was none.
    async fn end_session_in(&self, conn: &mut DbConnection, caller: Caller) -> AppResult<bool> {
        if db::sessions::delete(conn, caller.user, &[caller.session]).await? == 0 {
            return Ok(false);
        }
        db::sessions::revoke(conn, &[caller.session], now()).await?;
        Ok(true)
    }

    /// After the transaction that ended `sessions` committed: this server
    /// refuses their tokens from now on, and the auth log says why.
    pub(super) fn sessions_ended(
        &self,
        event: &'static str,
        user: UserId,
        sessions: &[SessionId],
        client: &ClientInfo,
    ) {
        self.revocations.record(sessions, now());
        auth_log::sessions(event, user, sessions, client);
    }

    /// The pair of tokens handed out by a login or a refresh.
    fn tokens_for(&self, caller: Caller, refresh_token: String) -> AppResult<AccessToken> {
        Ok(AccessToken {
            access_token: self.tokens.issue(caller)?,
            expires_in: self.tokens.ttl_secs(),
            refresh_token,
            refresh_expires_in: u64::try_from(self.refresh_ttl.num_seconds()).unwrap_or(0),
        })
    }
}

/// Deletes and revokes every session of `user` but `except`, in the caller's
/// transaction; returns them, for the caller to record once it has committed.
pub(super) async fn end_sessions_of(
    conn: &mut DbConnection,
    user: UserId,
    except: Option<SessionId>,
) -> AppResult<Vec<SessionId>> {
    let ids = db::sessions::ids_of_user(conn, user, except).await?;
    db::sessions::delete(conn, user, &ids).await?;
    db::sessions::revoke(conn, &ids, now()).await?;
    Ok(ids)
}
