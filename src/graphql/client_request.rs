//! One GraphQL request as a client sends it (GraphQL over HTTP: `query`,
//! `operationName`, `variables`, `extensions`), decoded straight into what
//! datakeep uses. async-graphql's own `Request` decodes every extension
//! into a generic map: a dozen allocations for Apollo's persisted-query
//! hash alone, which made a hash-only request slower than the full text.

use std::fmt;

use async_graphql::Variables;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A request's members; unknown ones are ignored, as async-graphql does.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRequest {
    /// The document's text; empty for a hash-only persisted query.
    #[serde(default)]
    pub query: String,
    /// Which of the document's operations to run.
    #[serde(default)]
    pub operation_name: Option<String>,
    /// The variables' values (null or absent: none).
    #[serde(default)]
    pub variables: Variables,
    /// The extensions datakeep reads (null or absent: none).
    #[serde(default)]
    pub extensions: Option<RequestExtensions>,
}

impl ClientRequest {
    /// The `persistedQuery` extension, if the request carries one.
    pub fn persisted_query(&self) -> Option<&PersistedQuery> {
        self.extensions.as_ref()?.persisted_query.as_ref()
    }
}

/// A request body: one request, or a batch of them (a JSON array).
#[derive(Debug)]
pub enum ClientBatch {
    /// `{…}`
    Single(ClientRequest),
    /// `[{…}, …]`
    Batch(Vec<ClientRequest>),
}

impl ClientBatch {
    /// How many requests it holds.
    pub fn len(&self) -> usize {
        match self {
            Self::Single(_) => 1,
            Self::Batch(requests) => requests.len(),
        }
    }

    /// True for an empty batch (`[]`), which is refused.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its requests, in order.
    pub fn iter(&self) -> impl Iterator<Item = &ClientRequest> {
        match self {
            Self::Single(request) => std::slice::from_ref(request).iter(),
            Self::Batch(requests) => requests.iter(),
        }
    }
}

/// The request extensions datakeep knows; others are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct RequestExtensions {
    /// Apollo's automatic persisted query.
    #[serde(rename = "persistedQuery", default)]
    pub persisted_query: Option<PersistedQuery>,
}

/// `extensions.persistedQuery`, judged as it is read: a malformed one is
/// kept as such, so that it gets the contract's `INVALID_REQUEST` as a
/// GraphQL error rather than failing the whole body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersistedQuery {
    /// `{"version": 1, "sha256Hash": <64 hex digits, either case>}`.
    Sha256([u8; 32]),
    /// Anything else.
    Malformed,
}

impl<'de> Deserialize<'de> for PersistedQuery {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PersistedQueryVisitor)
    }
}

struct PersistedQueryVisitor;

impl<'de> Visitor<'de> for PersistedQueryVisitor {
    type Value = PersistedQuery;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a persisted query extension")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<PersistedQuery, A::Error> {
        let (mut version, mut digest) = (None, None);
        while let Some(name) = members.next_key::<String>()? {
            match name.as_str() {
                "version" => version = members.next_value::<serde_json::Value>()?.as_u64(),
                "sha256Hash" => {
                    let hash = members.next_value::<serde_json::Value>()?;
                    digest = hash.as_str().and_then(decode_sha256_hex);
                }
                _ => {
                    members.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(match (version, digest) {
            (Some(1), Some(digest)) => PersistedQuery::Sha256(digest),
            _ => PersistedQuery::Malformed,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<PersistedQuery, A::Error> {
        while items.next_element::<IgnoredAny>()?.is_some() {}
        Ok(PersistedQuery::Malformed)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<PersistedQuery, E> {
        Ok(PersistedQuery::Malformed)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<PersistedQuery, E> {
        Ok(PersistedQuery::Malformed)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<PersistedQuery, E> {
        Ok(PersistedQuery::Malformed)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<PersistedQuery, E> {
        Ok(PersistedQuery::Malformed)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<PersistedQuery, E> {
        Ok(PersistedQuery::Malformed)
    }

    fn visit_unit<E: de::Error>(self) -> Result<PersistedQuery, E> {
        Ok(PersistedQuery::Malformed)
    }
}

/// The 32 bytes of a SHA-256 written as 64 hex digits (either case).
fn decode_sha256_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut digest = [0u8; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(body: &str) -> ClientRequest {
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn reads_the_spec_members_and_ignores_the_rest() {
        let request = decoded(
            r#"{"query":"{ a }","operationName":"A","variables":{"k":1},"other":[1],
                "extensions":{"tracing":true}}"#,
        );
        assert_eq!(request.query, "{ a }");
        assert_eq!(request.operation_name.as_deref(), Some("A"));
        assert_eq!(request.variables.len(), 1);
        assert_eq!(request.persisted_query(), None);
        let empty = decoded(r#"{"variables":null,"extensions":null,"operationName":null}"#);
        assert!(empty.query.is_empty() && empty.variables.is_empty());
    }

    #[test]
    fn a_persisted_query_is_its_digest_or_malformed() {
        let hash = "AB".repeat(32);
        let request = decoded(&format!(
            r#"{{"extensions":{{"persistedQuery":{{"version":1,"sha256Hash":"{hash}"}}}}}}"#
        ));
        assert_eq!(
            request.persisted_query(),
            Some(&PersistedQuery::Sha256([0xab; 32]))
        );
        for extension in [
            format!(r#"{{"version":2,"sha256Hash":"{hash}"}}"#),
            r#"{"version":1,"sha256Hash":"abc"}"#.to_owned(),
            format!(r#"{{"sha256Hash":"{hash}"}}"#),
            r#""yes""#.to_owned(),
            "[1,2]".to_owned(),
            format!(r#"{{"version":1,"sha256Hash":"{}"}}"#, "g".repeat(64)),
        ] {
            let body = format!(r#"{{"extensions":{{"persistedQuery":{extension}}}}}"#);
            assert_eq!(
                decoded(&body).persisted_query(),
                Some(&PersistedQuery::Malformed),
                "{extension}"
            );
        }
    }
}
