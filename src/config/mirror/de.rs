//! serde reads the raw mirror straight from the marked tree, once the shape walk has made the tree
//! conform to the schema (`shape.rs`). There is no intermediate document: at 100,000 grants a
//! `serde_json::Value` of the file was larger than the tree itself.
//!
//! Scalars are typed as serde asks for them, by the rules the shape walk checked them with: whole
//! numbers and numbers parse from the text, booleans are `true`/`True`/`TRUE` and the same for
//! false, everything else is text. `deserialize_any` (not used by the raw mirror) reads plain
//! scalars by YAML's core schema, so that a conforming tree can be shown as JSON.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use crate::config::docpath::DocPath;
use crate::config::problem::Problem;
use crate::config::read::tree::{Entry, Kind, Node};
use crate::model::SourceLocation;

/// Why serde could not read a node; the shape walk lets through only what fits, so this is a bug.
#[derive(Debug)]
pub struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

/// The shape walk lets through only values that fit the raw types; this is a bug.
pub fn internal_error(e: &DeError) -> Problem {
    let message = format!("internal error reading the checked document: {e}");
    let start = Some(SourceLocation { line: 1, column: 1 });
    Problem::new(start, &DocPath::root(), message, None)
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// A node as a serde `Deserializer`; `skip` names a key of this mapping to leave out.
#[derive(Clone, Copy)]
pub struct NodeDe<'de> {
    node: &'de Node,
    skip: Option<&'static str>,
}

impl<'de> NodeDe<'de> {
    pub fn new(node: &'de Node) -> Self {
        NodeDe { node, skip: None }
    }

    /// The mapping `node` without its entry `key` (read separately, piece by piece).
    pub fn without(node: &'de Node, key: &'static str) -> Self {
        NodeDe {
            node,
            skip: Some(key),
        }
    }

    fn text(&self) -> Result<&'de str, DeError> {
        match &self.node.kind {
            Kind::Scalar { text, .. } => Ok(text),
            Kind::Seq(_) => Err(de::Error::custom("expected text, found a list")),
            Kind::Map(_) => Err(de::Error::custom("expected text, found a mapping")),
        }
    }

    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, DeError> {
        let text = self.text()?;
        text.parse()
            .map_err(|_| de::Error::custom(format!("expected {what}, found `{text}`")))
    }
}

fn boolean(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Whole numbers read as the shape walk checked them, as an `i64`, then narrowed.
macro_rules! parse_integer {
    ($($method:ident $ty:ty => $visit:ident,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let n: i64 = self.parse("a whole number")?;
            let n = <$ty>::try_from(n)
                .map_err(|_| de::Error::custom(format!("{n} is out of range")))?;
            visitor.$visit(n)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            Kind::Scalar { .. } if self.node.is_null() => visitor.visit_unit(),
            Kind::Scalar { text, plain: true } => {
                if let Ok(n) = text.parse::<i64>() {
                    visitor.visit_i64(n)
                } else if let Some(f) = text.parse::<f64>().ok().filter(|f| f.is_finite()) {
                    visitor.visit_f64(f)
                } else if let Some(b) = boolean(text) {
                    visitor.visit_bool(b)
                } else {
                    visitor.visit_borrowed_str(text)
                }
            }
            Kind::Scalar { text, plain: false } => visitor.visit_borrowed_str(text),
            Kind::Seq(items) => visitor.visit_seq(Items(items.iter())),
            Kind::Map(entries) => visitor.visit_map(Entries {
                entries: entries.iter(),
                value: None,
                skip: self.skip,
            }),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let text = self.text()?;
        match boolean(text) {
            Some(b) => visitor.visit_bool(b),
            None => Err(de::Error::custom(format!(
                "expected `true` or `false`, found `{text}`"
            ))),
        }
    }

    parse_integer! {
        deserialize_i8 i8 => visit_i8,
        deserialize_i16 i16 => visit_i16,
        deserialize_i32 i32 => visit_i32,
        deserialize_i64 i64 => visit_i64,
        deserialize_u8 u8 => visit_u8,
        deserialize_u16 u16 => visit_u16,
        deserialize_u32 u32 => visit_u32,
        deserialize_u64 u64 => visit_u64,
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f64(self.parse("a number")?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_str(self.text()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_enum(self.text()?.into_deserializer())
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
    }
}

struct Items<'de>(std::slice::Iter<'de, Node>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.0
            .next()
            .map(|node| seed.deserialize(NodeDe::new(node)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'de> {
    entries: std::slice::Iter<'de, Entry>,
    value: Option<&'de Node>,
    skip: Option<&'static str>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let skip = self.skip;
        let Some(e) = self.entries.find(|e| Some(&*e.key) != skip) else {
            return Ok(None);
        };
        self.value = Some(&e.value);
        let key: &'de str = &e.key;
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let node = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value without a key"))?;
        seed.deserialize(NodeDe::new(node))
    }
}
