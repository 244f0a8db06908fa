//! A GraphQL request sent as `GET /graphql?query=…&operationName=…&variables=…&extensions=…`
//! (GraphQL over HTTP; `variables` and `extensions` are JSON text).
//! async-graphql's own reader takes `operation_name`, which no client sends.

use async_graphql::Variables;
use serde::Deserialize;

use crate::error::{AppError, ErrorCode};
use crate::graphql::{ClientRequest, RequestExtensions};
use crate::http::json;

#[derive(Deserialize)]
struct Params {
    #[serde(default)]
    query: String,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

fn invalid(message: String) -> AppError {
    AppError::new(ErrorCode::InvalidRequest, message)
}

/// The request a GET's query string holds; `INVALID_REQUEST` when a
/// parameter is repeated or its JSON is not an object.
pub fn decode(query_string: &str) -> Result<ClientRequest, AppError> {
    let params: Params = serde_urlencoded::from_str(query_string)
        .map_err(|err| invalid(format!("Invalid GraphQL GET request: {err}.")))?;
    let mut request = ClientRequest {
        query: params.query,
        // An empty operationName is what some clients send for "the only one".
        operation_name: params.operation_name.filter(|name| !name.is_empty()),
        ..ClientRequest::default()
    };
    if let Some(text) = params.variables.filter(|text| !text.is_empty()) {
        let variables: Option<serde_json::Map<String, serde_json::Value>> =
            json::from_slice(text.as_bytes())
                .map_err(|err| invalid(format!("variables is not a JSON object: {err}")))?;
        request.variables =
            Variables::from_json(serde_json::Value::Object(variables.unwrap_or_default()));
    }
    if let Some(text) = params.extensions.filter(|text| !text.is_empty()) {
        request.extensions = json::from_slice::<Option<RequestExtensions>>(text.as_bytes())
            .map_err(|err| invalid(format!("extensions is not a JSON object: {err}")))?;
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_operation_name_variables_and_extensions() {
        let request = decode(
            "query=query%20A(%24k%3A%20String!)%20%7B%20entry(key%3A%20%24k)%20%7B%20value%20%7D%20%7D\
             &operationName=A&variables=%7B%22k%22%3A%22x%22%7D\
             &extensions=%7B%22persistedQuery%22%3A%7B%22version%22%3A1%7D%7D",
        )
        .unwrap();
        assert_eq!(request.operation_name.as_deref(), Some("A"));
        assert_eq!(
            request.variables.get(&async_graphql::Name::new("k")),
            Some(&async_graphql::Value::from("x"))
        );
        assert_eq!(
            request.persisted_query(),
            Some(&crate::graphql::PersistedQuery::Malformed)
        );
    }

    #[test]
    fn refuses_variables_that_are_not_an_object_and_repeated_parameters() {
        for bad in [
            "query=%7Bme%7Bid%7D%7D&variables=%5B1%5D",
            "query=a&query=b",
        ] {
            let error = decode(bad).unwrap_err();
            assert_eq!(error.code(), ErrorCode::InvalidRequest, "{bad}");
        }
    }
}
