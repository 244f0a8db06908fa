//! The schema's own scalars. `DateTime` is declared here rather than taken
//! from async-graphql's chrono support so that it carries
//! `@specifiedBy`: code generators and clients read the URL to know the
//! format (contract section 10).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, Utc};

/// An instant in UTC, written as RFC 3339 (`2026-12-01T17:38:42.123+00:00`).
#[derive(Debug, Clone, Copy)]
pub struct Timestamp(pub DateTime<Utc>);

/// An RFC 3339 date-time, as the GraphQL Scalars `date-time` specification
/// describes it.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://scalars.graphql.org/andimarek/date-time"
)]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => DateTime::parse_from_rfc3339(text)
                .map(|instant| Self(instant.with_timezone(&Utc)))
                .map_err(|err| {
                    InputValueError::custom(format!("not an RFC 3339 date-time: {err}"))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        // The same text async-graphql's chrono scalar wrote before.
        Value::String(self.0.to_rfc3339())
    }
}
