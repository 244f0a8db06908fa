//! The database schema, written once for every backend.

diesel::table! {
    /// Accounts.
    users (id) {
        id -> BigInt,
        username -> Text,
        /// Lower-cased username; unique.
        username_key -> Binary,
        email -> Text,
        /// Lower-cased email; unique.
        email_key -> Binary,
        password_hash -> Text,
        full_name -> Text,
        age -> SmallInt,
        gender -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// Failed token requests since the last success.
        login_failures -> Integer,
        /// When the first of those failures happened.
        login_failures_since -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Key/value entries, keyed by (owner, key bytes).
    entries (user_id, key) {
        user_id -> BigInt,
        key -> Binary,
        value -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Sign-in sessions; a row is deleted when its session ends.
    sessions (id) {
        /// 16 random bytes.
        id -> Binary,
        user_id -> BigInt,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    /// Every refresh token issued, by its SHA-256; the current one has no `retired_at`.
    refresh_tokens (token_hash) {
        token_hash -> Binary,
        session_id -> Binary,
        issued_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Sessions that ended, polled by every server sharing the database.
    session_revocations (session_id) {
        session_id -> Binary,
        revoked_at -> Timestamp,
    }
}

diesel::joinable!(entries -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    entries,
    sessions,
    refresh_tokens,
    session_revocations
);
