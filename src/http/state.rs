//! The state every handler extracts, defined in the HTTP layer so that the
//! transports never import the composition root (`app.rs`).

use std::sync::Arc;

use axum::extract::FromRef;

use super::graphql::GraphqlEndpoint;
use crate::service::Service;

/// What handlers can extract: the service (REST) and the GraphQL endpoint.
#[derive(Clone)]
pub struct AppState {
    /// Every rule; REST handlers call it directly.
    pub service: Arc<Service>,
    /// The schema and its limits, for `/graphql`.
    pub graphql: GraphqlEndpoint,
    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
}

impl FromRef<AppState> for Arc<Service> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.service)
    }
}

impl FromRef<AppState> for TrustedProxies {
    fn from_ref(state: &AppState) -> Self {
        TrustedProxies(Arc::clone(&state.trusted_proxies))
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`).
#[derive(Clone)]
pub struct TrustedProxies(pub Arc<[ipnet::IpNet]>);

impl FromRef<AppState> for GraphqlEndpoint {
    fn from_ref(state: &AppState) -> Self {
        state.graphql.clone()
    }
}
