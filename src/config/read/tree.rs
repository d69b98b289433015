//! The marked tree `yaml` builds: YAML's three kinds of node, each with its line and column, keys
//! always text. It knows how to find the place a `DocPath` points at.
//!
//! It is kept small, as a 100,000-grant file is 600,000 nodes: texts are boxed to their length,
//! lists and mappings are trimmed to their length when they close, and each distinct key is stored
//! once and shared (`Arc<str>`).

use std::sync::Arc;

use crate::config::docpath::{DocPath, Seg};
use crate::model::SourceLocation;

/// One node of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub at: SourceLocation,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `plain` is false for quoted and block scalars, and for `!!str`: those are always text.
    Scalar {
        text: Box<str>,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` of a mapping; keys are always text.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Arc<str>,
    pub key_at: SourceLocation,
    pub value: Node,
}

impl Node {
    /// True for a plain `~`, `null` or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true }
            if matches!(&**text, "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The entry of a mapping with this key.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|e| &*e.key == key),
            Kind::Scalar { .. } | Kind::Seq(_) => None,
        }
    }

    /// Where `path` points: the node's location, and its key's when the last step is a key.
    pub fn locate(&self, path: &DocPath) -> Option<(SourceLocation, Option<SourceLocation>)> {
        let mut node = self;
        let mut key_at = None;
        for seg in path.segments() {
            match (seg, &node.kind) {
                (Seg::Key(k), Kind::Map(_)) => {
                    let e = node.get(k)?;
                    key_at = Some(e.key_at);
                    node = &e.value;
                }
                (Seg::Index(i), Kind::Seq(items)) => {
                    key_at = None;
                    node = items.get(*i)?;
                }
                _ => return None,
            }
        }
        Some((node.at, key_at))
    }
}
