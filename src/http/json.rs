//! JSON request bodies, decoded strictly: an object that names a member
//! twice is refused, wherever it sits in the body.
//!
//! serde_json keeps the last of two equal member names without a word, so
//! `{"value":"a","value":"b"}` would store `b` although a reader (or a proxy
//! that checked the body) may have taken `a`. RFC 8259 leaves such a body's
//! meaning undefined; refusing it is the only answer that cannot be read two
//! ways. The check is a first pass that keeps nothing but the names of the
//! object it is in; the body is then decoded as usual.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;

/// Why a body could not be decoded.
#[derive(Debug)]
pub enum JsonError {
    /// An object names a member more than once (which, and where).
    DuplicateMember(serde_json::Error),
    /// Not JSON, or not the shape expected.
    Invalid(serde_json::Error),
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateMember(err) | Self::Invalid(err) => err.fmt(f),
        }
    }
}

/// Decodes `bytes` as a `T`, refusing any object with a duplicate member.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    if let Err(err) = serde_json::from_slice::<NoDuplicates>(bytes) {
        // The first pass accepts any well-formed JSON, so the only data
        // (not syntax) error it raises is its own: a duplicate.
        return Err(if err.classify() == Category::Data {
            JsonError::DuplicateMember(err)
        } else {
            JsonError::Invalid(err)
        });
    }
    serde_json::from_slice(bytes).map_err(JsonError::Invalid)
}

/// Any JSON value in which no object has a duplicate member.
struct NoDuplicates;

impl<'de> de::Deserialize<'de> for NoDuplicates {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoDuplicatesVisitor)
    }
}

struct NoDuplicatesVisitor;

impl<'de> Visitor<'de> for NoDuplicatesVisitor {
    type Value = NoDuplicates;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_i64<E>(self, _: i64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_u64<E>(self, _: u64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_f64<E>(self, _: f64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_str<E>(self, _: &str) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_unit<E>(self) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<NoDuplicates, A::Error> {
        while items.next_element::<NoDuplicates>()?.is_some() {}
        Ok(NoDuplicates)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<NoDuplicates, A::Error> {
        let mut names = SeenNames::default();
        while let Some(MemberName(name)) = members.next_key()? {
            if !names.insert(name.clone()) {
                return Err(de::Error::custom(format_args!(
                    "the member {name:?} appears twice"
                )));
            }
            members.next_value::<NoDuplicates>()?;
        }
        Ok(NoDuplicates)
    }
}

/// The member names of one object so far. Request objects hold a handful
/// of members, which a linear scan of a short array checks faster than a
/// hash set can be built (a set cost an allocation and a SipHash key per
/// object); past [`SeenNames::FEW`] they move into a set, so a huge object
/// stays linear.
#[derive(Default)]
enum SeenNames<'de> {
    #[default]
    None,
    Few(Vec<Cow<'de, str>>),
    Many(HashSet<Cow<'de, str>>),
}

impl<'de> SeenNames<'de> {
    const FEW: usize = 8;

    /// Adds `name`; false when it was already there.
    fn insert(&mut self, name: Cow<'de, str>) -> bool {
        match self {
            Self::None => {
                let mut few = Vec::with_capacity(Self::FEW);
                few.push(name);
                *self = Self::Few(few);
                true
            }
            Self::Few(few) if few.contains(&name) => false,
            Self::Few(few) if few.len() < Self::FEW => {
                few.push(name);
                true
            }
            Self::Few(few) => {
                let mut many: HashSet<_> = few.drain(..).collect();
                many.insert(name);
                *self = Self::Many(many);
                true
            }
            Self::Many(many) => many.insert(name),
        }
    }
}

/// A member name, borrowed from the body when it holds no escapes.
struct MemberName<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for MemberName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(MemberNameVisitor)
    }
}

struct MemberNameVisitor;

impl<'de> Visitor<'de> for MemberNameVisitor {
    type Value = MemberName<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Self::Value, E> {
        Ok(MemberName(Cow::Borrowed(name)))
    }

    fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
        Ok(MemberName(Cow::Owned(name.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn a_duplicate_member_anywhere_is_refused() {
        for body in [
            r#"{"a":1,"a":2}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"{"x":[{"b":{"c":1,"c":1}}]}"#,
        ] {
            match from_slice::<Value>(body.as_bytes()) {
                Err(JsonError::DuplicateMember(err)) => {
                    assert!(err.to_string().contains("appears twice"), "{err}")
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn duplicates_are_found_in_small_and_large_objects() {
        for size in [1, 7, 8, 9, 100] {
            let members: Vec<String> = (0..size).map(|i| format!("\"m{i}\":{i}")).collect();
            let object = format!("{{{}}}", members.join(","));
            assert!(from_slice::<Value>(object.as_bytes()).is_ok(), "{size}");
            let twice = format!("{{{},\"m0\":0}}", members.join(","));
            assert!(
                matches!(
                    from_slice::<Value>(twice.as_bytes()),
                    Err(JsonError::DuplicateMember(_))
                ),
                "{size}"
            );
        }
    }

    #[test]
    fn distinct_members_and_bad_json_are_told_apart() {
        let value: Value = from_slice(br#"{"a":1,"A":2,"b":{"a":3}}"#).unwrap();
        assert_eq!(value["b"]["a"], 3);
        assert!(matches!(
            from_slice::<Value>(b"{\"a\":"),
            Err(JsonError::Invalid(_))
        ));
        assert!(matches!(
            from_slice::<Vec<u8>>(b"{}"),
            Err(JsonError::Invalid(_))
        ));
    }
}
