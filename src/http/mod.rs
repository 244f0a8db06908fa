//! The HTTP layer under both transports: accepting and serving connections
//! with their limits (`server`, `connection`), and reading request bodies
//! (`body`, `json`) the same way for REST and GraphQL.

pub mod body;
pub mod connection;
pub mod json;
pub mod server;
