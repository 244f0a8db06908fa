//! Where a request comes from: the client's address (the TCP peer, or, when
//! the peer is a trusted reverse proxy, from `X-Forwarded-For`), its
//! `User-Agent`, and the request's id; for rate limits, sessions and the
//! auth log.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use ipnet::IpNet;

use super::request_log::RequestId;
use super::state::TrustedProxies;
use crate::error::AppError;
use crate::model::ClientInfo;

/// The client a request comes from.
pub struct Client(pub ClientInfo);

impl<S> FromRequestParts<S> for Client
where
    S: Send + Sync,
    TrustedProxies: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let TrustedProxies(proxies) = TrustedProxies::from_ref(state);
        Ok(Self(client_info(parts, &proxies)))
    }
}

/// Who sent the request in `parts`, believing `X-Forwarded-For` only from
/// one of `proxies`.
pub fn client_info(parts: &Parts, proxies: &[IpNet]) -> ClientInfo {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(peer)| peer.ip());
    ClientInfo {
        address: client_address(peer, &parts.headers, proxies),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|agent| agent.to_str().ok())
            .map(str::to_owned),
        request_id: parts
            .extensions
            .get::<RequestId>()
            .map_or_else(String::new, |RequestId(id)| id.clone()),
    }
}

/// The peer, unless it is a trusted proxy: then, walking `X-Forwarded-For`
/// from the right, the first address that is not one (each proxy appends
/// the address it received from, so everything left of the first untrusted
/// hop could have been written by the client). A hop that cannot be read
/// stops the walk at the last address known good: skipping it would let a
/// client-written address further left through.
fn client_address(peer: IpAddr, headers: &HeaderMap, proxies: &[IpNet]) -> IpAddr {
    let trusted = |address: &IpAddr| proxies.iter().any(|net| net.contains(address));
    if !trusted(&peer) {
        return peer;
    }
    let lines: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|value| value.to_str().unwrap_or("?"))
        .collect();
    let mut client = peer;
    for hop in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
        let Some(address) = parse_hop(hop.trim()) else {
            break;
        };
        client = address;
        if !trusted(&address) {
            break;
        }
    }
    client
}

/// An address as proxies write it: bare, or with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_a_trusted_proxy() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "198.51.100.7".parse().unwrap();
        let headers = forwarded("203.0.113.9, 192.0.2.1, 10.0.0.5");
        // The rightmost hop that is not a trusted proxy.
        assert_eq!(
            client_address(proxy, &headers, &proxies),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        // From anyone else the header is ignored.
        assert_eq!(client_address(stranger, &headers, &proxies), stranger);
        assert_eq!(client_address(proxy, &headers, &[]), proxy);
        // Nothing usable: the peer.
        assert_eq!(
            client_address(proxy, &forwarded("garbage"), &proxies),
            proxy
        );
        // An unreadable hop stops the walk: what is left of it is not believed.
        assert_eq!(
            client_address(
                proxy,
                &forwarded("203.0.113.9, unknown, 10.0.0.5"),
                &proxies
            ),
            "10.0.0.5".parse::<IpAddr>().unwrap()
        );
        // Every hop trusted: the leftmost, where the request came from.
        assert_eq!(
            client_address(proxy, &forwarded("10.9.9.9, 10.0.0.5"), &proxies),
            "10.9.9.9".parse::<IpAddr>().unwrap()
        );
        // Ports are dropped; several header lines read as one list.
        assert_eq!(
            client_address(proxy, &forwarded("192.0.2.1:4711"), &proxies),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        let mut headers = forwarded("198.51.100.1");
        headers.append(
            "x-forwarded-for",
            HeaderValue::from_static("[2001:db8::1]:80"),
        );
        assert_eq!(
            client_address(proxy, &headers, &proxies),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
    }
}
