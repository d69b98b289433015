//! The lists and mappings still open while the tree is built, outermost first: where the next node
//! goes, and the document path of the node being built.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::docpath::DocPath;
use crate::config::read::tree::{Entry, Node};
use crate::model::SourceLocation;

pub enum Frame {
    Seq {
        at: SourceLocation,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        at: SourceLocation,
        anchor: usize,
        entries: Vec<Entry>,
        /// `None`: the next node is a key. `Some(None)`: the key was refused, drop the value.
        key: Option<Option<(Arc<str>, SourceLocation)>>,
        /// Key → index, built once a mapping is large enough for a linear search to hurt.
        index: Option<HashMap<Arc<str>, usize>>,
    },
}

/// How many items (or entries) a frame holds so far.
pub fn frame_len(f: &Frame) -> usize {
    match f {
        Frame::Seq { items, .. } => items.len(),
        Frame::Map { entries, .. } => entries.len(),
    }
}

/// The document path of the node being built.
pub fn doc_path(frames: &[Frame]) -> DocPath {
    let mut p = DocPath::root();
    for f in frames {
        match f {
            Frame::Seq { items, .. } => p.push_index(items.len()),
            Frame::Map {
                key: Some(Some((k, _))),
                ..
            } => p.push_key(k),
            Frame::Map { .. } => {}
        }
    }
    p
}
