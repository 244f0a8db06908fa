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
    }
}

diesel::joinable!(entries -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, entries);
