//! Anchors and aliases, with memory bounded by the file. An anchor is remembered as the position of
//! its node in the tree being built, not as a copy: only an alias copies, and every copy is charged
//! to two budgets, nodes (`ALIAS_BUDGET`) and text bytes (`ALIAS_BYTES`), before it is made. (A
//! copy per definition made nested anchors cost a copy per level, and a node budget alone let one
//! long anchored text be copied 100,000 times.)

use std::collections::HashMap;

use super::frame::{Frame, doc_path, frame_len};
use crate::config::docpath::DocPath;
use crate::config::problem::Problem;
use crate::config::read::tree::{Kind, Node};
use crate::model::SourceLocation;

/// At most this many nodes may be copied through aliases in one file.
pub const ALIAS_BUDGET: usize = 100_000;
/// At most this many bytes of text may be copied through aliases in one file.
pub const ALIAS_BYTES: usize = 8 << 20;

/// Where an anchored node is, and what a copy of it costs.
#[derive(Debug)]
enum Anchored {
    /// Positions from the root: an index into each open list or mapping, then into closed nodes.
    At {
        path: Vec<usize>,
        nodes: usize,
        bytes: usize,
    },
    /// A mapping key (keys are kept as text, not as nodes): the one small copy there is.
    Key(Node),
    /// A node the tree will not hold (the value of a refused duplicate key).
    Dropped,
}

/// The anchors defined so far, and what the aliases have copied.
#[derive(Debug, Default)]
pub struct Anchors {
    anchors: HashMap<usize, Anchored>,
    aliased: usize,
    aliased_bytes: usize,
}

/// Nodes and text bytes of a subtree.
fn weight(node: &Node) -> (usize, usize) {
    match &node.kind {
        Kind::Scalar { text, .. } => (1, text.len()),
        Kind::Seq(items) => items.iter().map(weight).fold((1, 0), add),
        Kind::Map(entries) => entries
            .iter()
            .map(|e| {
                let (n, b) = weight(&e.value);
                (n, b + e.key.len())
            })
            .fold((1, 0), add),
    }
}

fn add(a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    (a.0 + b.0, a.1 + b.1)
}

fn child(node: &Node, i: usize) -> Option<&Node> {
    match &node.kind {
        Kind::Seq(items) => items.get(i),
        Kind::Map(entries) => entries.get(i).map(|e| &e.value),
        Kind::Scalar { .. } => None,
    }
}

/// The node at `path`: through the open frames while the position is the one still being built,
/// then through closed nodes.
fn resolve<'f>(frames: &'f [Frame], path: &[usize]) -> Option<&'f Node> {
    let mut depth = 0;
    let mut node = loop {
        let (frame, &pos) = (frames.get(depth)?, path.get(depth)?);
        let len = frame_len(frame);
        if pos < len {
            break match frame {
                Frame::Seq { items, .. } => &items[pos],
                Frame::Map { entries, .. } => &entries[pos].value,
            };
        }
        if pos > len {
            return None;
        }
        depth += 1;
    };
    for &i in &path[depth + 1..] {
        node = child(node, i)?;
    }
    Some(node)
}

impl Anchors {
    /// Remembers where `node`, anchored as `id`, is about to be placed in `frames`.
    pub fn define(&mut self, id: usize, node: &Node, frames: &[Frame]) {
        let anchored = match frames.last() {
            Some(Frame::Map { key: None, .. }) => Anchored::Key(node.clone()),
            _ if frames.iter().any(|f| {
                matches!(
                    f,
                    Frame::Map {
                        key: Some(None),
                        ..
                    }
                )
            }) =>
            {
                Anchored::Dropped
            }
            _ => {
                let (nodes, bytes) = weight(node);
                Anchored::At {
                    path: frames.iter().map(frame_len).collect(),
                    nodes,
                    bytes,
                }
            }
        };
        self.anchors.insert(id, anchored);
    }

    /// Copies an anchored node for an alias, once the copy fits the budgets.
    pub fn expand(
        &mut self,
        id: usize,
        at: SourceLocation,
        frames: &[Frame],
    ) -> Result<Node, Problem> {
        let unknown = || {
            Problem::new(
                Some(at),
                &DocPath::root(),
                "an alias to an unknown anchor".into(),
                None,
            )
        };
        let (nodes, bytes) = match self.anchors.get(&id) {
            None | Some(Anchored::Dropped) => return Err(unknown()),
            Some(Anchored::Key(n)) => weight(n),
            Some(Anchored::At { nodes, bytes, .. }) => (*nodes, *bytes),
        };
        self.aliased += nodes;
        self.aliased_bytes += bytes;
        if self.aliased > ALIAS_BUDGET || self.aliased_bytes > ALIAS_BYTES {
            return Err(Problem::new(
                Some(at),
                &doc_path(frames),
                format!(
                    "aliases expand to more than {ALIAS_BUDGET} nodes or {} MiB of text",
                    ALIAS_BYTES >> 20
                ),
                Some(
                    "this looks like an alias bomb; write the data out, or use `principal_sets`"
                        .into(),
                ),
            ));
        }
        let node = match self.anchors.get(&id) {
            Some(Anchored::Key(n)) => Some(n),
            Some(Anchored::At { path, .. }) => resolve(frames, path),
            _ => None,
        };
        node.cloned().ok_or_else(unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_tree;
    use crate::config::read::tree::{Kind, Node};

    fn value<'a>(root: &'a Node, key: &str) -> &'a Kind {
        &root.get(key).unwrap().value.kind
    }

    #[test]
    fn nested_anchors_resolve_to_their_own_nodes() {
        let parsed =
            parse_tree("a: &x {b: &y [1, &z 2], k: v}\nc: *y\nd: *z\ne: *x\nf: [&w q, *w]\n")
                .unwrap();
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let root = parsed.root.unwrap();
        assert_eq!(value(&root, "e"), value(&root, "a"));
        let a = &root.get("a").unwrap().value;
        assert_eq!(value(&root, "c"), &a.get("b").unwrap().value.kind);
        assert!(matches!(value(&root, "d"), Kind::Scalar { text, .. } if &**text == "2"));
        assert!(matches!(value(&root, "f"), Kind::Seq(items) if items[0] == items[1]));
    }

    #[test]
    fn a_key_anchor_and_a_dropped_value_are_handled() {
        let parsed = parse_tree("&k name: 1\nother: *k\n").unwrap();
        let root = parsed.root.unwrap();
        assert!(matches!(value(&root, "other"), Kind::Scalar { text, .. } if &**text == "name"));
        // The second `a` is refused as a duplicate; its value is not in the tree to alias.
        let e = parse_tree("a: 1\na: &d [x]\nb: *d\n").unwrap_err();
        assert_eq!(e.message, "an alias to an unknown anchor");
    }

    #[test]
    fn one_long_text_copied_many_times_is_refused() {
        let long = "x".repeat(1 << 20);
        let aliases = ["*s"; 9].join(", ");
        let e = parse_tree(&format!("a: &s \"{long}\"\nb: [{aliases}]\n")).unwrap_err();
        assert!(e.message.contains("8 MiB of text"), "{}", e.message);
        let fine = parse_tree(&format!("a: &s \"{long}\"\nb: [*s, *s]\n")).unwrap();
        assert!(fine.problems.is_empty());
    }
}
