//! The tree as it is built, node by node, from the parser's events: the open lists and mappings,
//! each key checked as it arrives (text, new in its mapping), the depth limit, and the anchors.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use yaml_rust2::parser::Tag;

use super::anchors::Anchors;
use super::frame::{Frame, doc_path};
use crate::config::docpath::DocPath;
use crate::config::problem::Problem;
use crate::config::read::tree::{Entry, Kind, Node};
use crate::model::SourceLocation;

/// The deepest nesting of lists and mappings accepted (the format itself needs 7).
pub const MAX_DEPTH: usize = 32;

#[derive(Default)]
pub struct Builder {
    frames: Vec<Frame>,
    /// Every distinct key once: a file repeats the same few keys hundreds of thousands of times.
    keys: HashSet<Arc<str>>,
    anchors: Anchors,
    root: Option<Node>,
    problems: Vec<Problem>,
}

impl Builder {
    /// The root (`None` for an empty document) and the problems that did not stop the pass.
    pub fn into_parts(self) -> (Option<Node>, Vec<Problem>) {
        (self.root, self.problems)
    }

    /// A problem that does not stop the pass.
    pub fn problem(&mut self, p: Problem) {
        self.problems.push(p);
    }

    /// Opens a list at `at`.
    pub fn open_seq(
        &mut self,
        at: SourceLocation,
        anchor: usize,
        tag: Option<&Tag>,
    ) -> Result<(), Problem> {
        self.open(at, tag)?;
        self.frames.push(Frame::Seq {
            at,
            anchor,
            items: Vec::new(),
        });
        Ok(())
    }

    /// Opens a mapping at `at`.
    pub fn open_map(
        &mut self,
        at: SourceLocation,
        anchor: usize,
        tag: Option<&Tag>,
    ) -> Result<(), Problem> {
        self.open(at, tag)?;
        self.frames.push(Frame::Map {
            at,
            anchor,
            entries: Vec::new(),
            key: None,
            index: None,
        });
        Ok(())
    }

    /// Checks the depth before a list or mapping is opened.
    fn open(&mut self, at: SourceLocation, tag: Option<&Tag>) -> Result<(), Problem> {
        if let Some(tag) = tag {
            self.unsupported_tag(at, tag);
        }
        if self.frames.len() >= MAX_DEPTH {
            return Err(self.too_deep(Some(at)));
        }
        Ok(())
    }

    pub fn too_deep(&self, at: Option<SourceLocation>) -> Problem {
        let mut path = self.path();
        path.truncate(4);
        Problem::new(
            at,
            &path,
            format!("the document nests deeper than {MAX_DEPTH} levels"),
            Some("the format needs at most 7 levels of lists and mappings".into()),
        )
    }

    pub fn unsupported_tag(&mut self, at: SourceLocation, tag: &Tag) {
        self.problems.push(Problem::new(
            Some(at),
            &self.path(),
            format!(
                "YAML tags are not supported (`{}{}`)",
                tag.handle, tag.suffix
            ),
            Some("remove the tag; quote the value if it must be text".into()),
        ));
    }

    pub fn close(&mut self) -> Result<(), Problem> {
        let (node, anchor) = match self.frames.pop() {
            Some(Frame::Seq {
                at,
                anchor,
                mut items,
            }) => {
                items.shrink_to_fit();
                (
                    Node {
                        at,
                        kind: Kind::Seq(items),
                    },
                    anchor,
                )
            }
            Some(Frame::Map {
                at,
                anchor,
                mut entries,
                ..
            }) => {
                entries.shrink_to_fit();
                // A block mapping's start marker sits after its first key; point at the key.
                let at = entries.first().map_or(at, |e| e.key_at.min(at));
                (
                    Node {
                        at,
                        kind: Kind::Map(entries),
                    },
                    anchor,
                )
            }
            None => return Ok(()),
        };
        self.finish(node, anchor);
        Ok(())
    }

    /// Hands a complete node to its parent (or makes it the root), remembering its anchor.
    pub fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.define(anchor, &node, &self.frames);
        }
        match self.frames.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { key: None, .. }) => self.take_key(node),
            Some(Frame::Map {
                key: key @ Some(_),
                entries,
                ..
            }) => {
                if let Some(Some((key, key_at))) = key.take() {
                    let mut value = node;
                    if value.is_null()
                        && matches!(&value.kind, Kind::Scalar { text, .. } if text.is_empty())
                    {
                        // `role:` with nothing after it: the parser marks the next line.
                        value.at = key_at;
                    }
                    entries.push(Entry { key, key_at, value });
                }
            }
        }
    }

    /// A node in key position: keep it if it is text and new in this mapping.
    fn take_key(&mut self, node: Node) {
        let at = node.at;
        let text = match node.kind {
            Kind::Scalar { text, .. } => Some(self.intern(text)),
            Kind::Seq(_) | Kind::Map(_) => None,
        };
        let problem = match &text {
            None => Some((
                "a mapping key must be text, not a list or mapping".to_string(),
                None,
                None,
            )),
            Some(k) => self.first_line_of(k).map(|first| {
                (
                    format!("duplicate key `{k}`, first at line {first}"),
                    Some(k.to_string()),
                    Some(
                        "YAML would keep only one of them; merge the two or rename one".to_string(),
                    ),
                )
            }),
        };
        let Some(Frame::Map {
            key,
            entries,
            index,
            ..
        }) = self.frames.last_mut()
        else {
            return;
        };
        match problem {
            None => {
                let k = text.unwrap_or_default();
                if let Some(ix) = index {
                    ix.insert(k.clone(), entries.len());
                } else if entries.len() >= 16 {
                    let mut ix: HashMap<Arc<str>, usize> = entries
                        .iter()
                        .enumerate()
                        .map(|(i, e)| (e.key.clone(), i))
                        .collect();
                    ix.insert(k.clone(), entries.len());
                    *index = Some(ix);
                }
                *key = Some(Some((k, at)));
            }
            Some((message, dup, hint)) => {
                *key = Some(None);
                let mut path = self.path();
                if let Some(k) = dup {
                    path.push_key(&k);
                }
                self.problems
                    .push(Problem::new(Some(at), &path, message, hint));
            }
        }
    }

    /// The shared copy of key `text`.
    fn intern(&mut self, text: Box<str>) -> Arc<str> {
        if let Some(k) = self.keys.get(&*text) {
            return k.clone();
        }
        let k: Arc<str> = text.into();
        self.keys.insert(k.clone());
        k
    }

    /// The line of an existing key `k` of the innermost mapping.
    fn first_line_of(&self, k: &str) -> Option<usize> {
        let Some(Frame::Map { entries, index, .. }) = self.frames.last() else {
            return None;
        };
        let i = match index {
            Some(ix) => *ix.get(k)?,
            None => entries.iter().position(|e| &*e.key == k)?,
        };
        Some(entries[i].key_at.line)
    }

    /// An alias: a copy of its anchored node, handed on as a node of its own.
    pub fn alias(&mut self, id: usize, at: SourceLocation) -> Result<(), Problem> {
        let node = self.anchors.expand(id, at, &self.frames)?;
        self.finish(node, 0);
        Ok(())
    }

    /// The document path of the node being built.
    fn path(&self) -> DocPath {
        doc_path(&self.frames)
    }
}
