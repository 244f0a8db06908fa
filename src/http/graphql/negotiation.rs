//! Which media type `/graphql` answers in (GraphQL over HTTP), chosen from
//! the request's `Accept` by ordinary negotiation (quality values, then
//! specificity, then the order the client wrote).

use std::str::FromStr;

use axum::http::{HeaderMap, HeaderValue, header};
use headers_accept::Accept;
use mediatype::MediaType;
use mediatype::names::{APPLICATION, JSON};

use crate::error::{AppError, ErrorCode};

/// The two media types a GraphQL response can be sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    /// `application/graphql-response+json`: statuses say what failed.
    GraphqlResponseJson,
    /// `application/json`: every GraphQL result is 200, as older clients expect.
    Json,
}

const APPLICATION_JSON: MediaType<'static> = MediaType::new(APPLICATION, JSON);
const GRAPHQL_RESPONSE_JSON: MediaType<'static> = MediaType::from_parts(
    APPLICATION,
    mediatype::Name::new_unchecked("graphql-response"),
    Some(JSON),
    &[],
);

/// What the server offers, in the order that breaks ties: `*/*` and
/// `application/*` get JSON, which every client can read.
const OFFERED: [MediaType<'static>; 2] = [APPLICATION_JSON, GRAPHQL_RESPONSE_JSON];

impl ResponseFormat {
    /// The format `headers` ask for: JSON without an `Accept` (or with one
    /// that does not parse, as old clients send), `NOT_ACCEPTABLE` (406)
    /// when the client accepts neither.
    pub fn negotiate(headers: &HeaderMap) -> Result<Self, AppError> {
        let Some(accept) = headers.get(header::ACCEPT) else {
            return Ok(Self::Json);
        };
        let Some(accept) = accept.to_str().ok().and_then(|v| Accept::from_str(v).ok()) else {
            return Ok(Self::Json);
        };
        match accept.negotiate(OFFERED.iter()) {
            Some(chosen) if *chosen == GRAPHQL_RESPONSE_JSON => Ok(Self::GraphqlResponseJson),
            Some(_) => Ok(Self::Json),
            None => Err(AppError::new(
                ErrorCode::NotAcceptable,
                "Accept must allow application/graphql-response+json or application/json.",
            )),
        }
    }

    /// The `Content-Type` of a response in this format.
    pub fn content_type(self) -> HeaderValue {
        match self {
            Self::GraphqlResponseJson => {
                HeaderValue::from_static("application/graphql-response+json; charset=utf-8")
            }
            Self::Json => HeaderValue::from_static("application/json; charset=utf-8"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negotiated(accept: &str) -> Result<ResponseFormat, ErrorCode> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        ResponseFormat::negotiate(&headers).map_err(|e| e.code())
    }

    #[test]
    fn preference_decides_and_wildcards_get_json() {
        use ResponseFormat::*;
        let graphql = "application/graphql-response+json";
        assert_eq!(negotiated(graphql), Ok(GraphqlResponseJson));
        assert_eq!(
            negotiated(&format!("{graphql}, application/json;q=0.9")),
            Ok(GraphqlResponseJson)
        );
        assert_eq!(
            negotiated(&format!("{graphql}, application/json")),
            Ok(GraphqlResponseJson)
        );
        assert_eq!(
            negotiated(&format!("application/json, {graphql}")),
            Ok(Json)
        );
        assert_eq!(
            negotiated(&format!("application/json, {graphql};q=0.5")),
            Ok(Json)
        );
        assert_eq!(negotiated("*/*"), Ok(Json));
        assert_eq!(negotiated("application/*"), Ok(Json));
        assert_eq!(
            negotiated(&format!("*/*;q=0.1, {graphql}")),
            Ok(GraphqlResponseJson)
        );
        assert_eq!(negotiated("text/html"), Err(ErrorCode::NotAcceptable));
        assert_eq!(
            negotiated("application/json;q=0"),
            Err(ErrorCode::NotAcceptable)
        );
        assert_eq!(
            ResponseFormat::negotiate(&HeaderMap::new()).ok(),
            Some(Json)
        );
    }
}
