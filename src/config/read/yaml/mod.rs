//! YAML text → a marked tree: every node and every key knows its line and column.
//!
//! One pass over `yaml-rust2`'s events, with the checks serde_yaml cannot do:
//!
//! | check                         | why                                                        |
//! |-------------------------------|------------------------------------------------------------|
//! | duplicate keys, at their line | serde_yaml keeps the last silently (maps) or says line 1   |
//! | nesting depth ≤ `MAX_DEPTH`   | refuse a deeply nested file before building it             |
//! | alias expansion ≤ a budget    | an alias bomb is refused before anything is copied (`anchors`) |
//! | one document, no custom tags  | the format has neither                                     |
//!
//! A syntax error or a broken limit stops the pass (`Err`); duplicates and odd keys are collected and
//! the pass goes on, so the rest of the file is still checked. No serde, no I/O.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

mod anchors;

use crate::config::docpath::DocPath;
use crate::config::problem::Problem;
use crate::config::read::tree::{Entry, Kind, Node};
use crate::model::SourceLocation;

/// The deepest nesting of lists and mappings accepted (the format itself needs 7).
pub const MAX_DEPTH: usize = 32;
/// At most this many nodes may be copied through aliases in one file.
pub const ALIAS_BUDGET: usize = 100_000;
/// At most this many bytes of text may be copied through aliases in one file.
pub const ALIAS_BYTES: usize = 8 << 20;

/// The tree (`None` for an empty document) and the problems that did not stop the pass.
#[derive(Debug)]
pub struct Parsed {
    pub root: Option<Node>,
    pub problems: Vec<Problem>,
}

/// A 1-based location from a yaml-rust2 marker (whose column is 0-based).
fn loc(m: &Marker) -> SourceLocation {
    SourceLocation {
        line: m.line(),
        column: m.col() + 1,
    }
}

enum Frame {
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

struct Builder {
    frames: Vec<Frame>,
    /// Every distinct key once: a file repeats the same few keys hundreds of thousands of times.
    keys: HashSet<Arc<str>>,
    anchors: HashMap<usize, anchors::Anchored>,
    aliased: usize,
    aliased_bytes: usize,
    root: Option<Node>,
    problems: Vec<Problem>,
}

/// Parses YAML text into a marked tree.
pub fn parse_tree(text: &str) -> Result<Parsed, Problem> {
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder {
        frames: Vec::new(),
        keys: HashSet::new(),
        anchors: HashMap::new(),
        aliased: 0,
        aliased_bytes: 0,
        root: None,
        problems: Vec::new(),
    };
    let mut documents = 0;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| syntax_error(&b, &e))?;
        let at = loc(&mark);
        match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    b.problems.push(Problem::new(
                        Some(at),
                        &DocPath::root(),
                        "a second YAML document; the file must hold exactly one".into(),
                        Some("remove the `---` line and what follows, or merge the two".into()),
                    ));
                    break;
                }
            }
            Event::SequenceStart(anchor, tag) => {
                b.open(at, tag.as_ref())?;
                b.frames.push(Frame::Seq {
                    at,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                b.open(at, tag.as_ref())?;
                b.frames.push(Frame::Map {
                    at,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                    index: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => b.close()?,
            Event::Scalar(text, style, anchor, tag) => {
                let mut plain = style == TScalarStyle::Plain;
                if let Some(tag) = &tag {
                    if is_str_tag(tag) {
                        plain = false;
                    } else {
                        b.unsupported_tag(at, tag);
                    }
                }
                let node = Node {
                    at,
                    kind: Kind::Scalar {
                        text: text.into_boxed_str(),
                        plain,
                    },
                };
                b.finish(node, anchor);
            }
            Event::Alias(id) => {
                let node = b.expand(id, at)?;
                b.finish(node, 0);
            }
        }
    }
    Ok(Parsed {
        root: b.root,
        problems: b.problems,
    })
}

/// A scanner error; its own nesting limit (flow levels) reads like ours.
fn syntax_error(b: &Builder, e: &ScanError) -> Problem {
    let at = Some(loc(e.marker()));
    if e.info().contains("recursion limit") {
        return b.too_deep(at);
    }
    let hint = if e.info().contains("tab") {
        "indent with spaces; YAML does not allow tabs there"
    } else {
        "check the indentation and the `:` and `-` near this place"
    };
    Problem::new(
        at,
        &DocPath::root(),
        format!("YAML syntax error: {}", e.info()),
        Some(hint.into()),
    )
}

fn is_str_tag(tag: &Tag) -> bool {
    tag.suffix == "str" && (tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!")
}

impl Builder {
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

    fn too_deep(&self, at: Option<SourceLocation>) -> Problem {
        let mut path = self.path();
        path.truncate(4);
        Problem::new(
            at,
            &path,
            format!("the document nests deeper than {MAX_DEPTH} levels"),
            Some("the format needs at most 7 levels of lists and mappings".into()),
        )
    }

    fn unsupported_tag(&mut self, at: SourceLocation, tag: &Tag) {
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

    fn close(&mut self) -> Result<(), Problem> {
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
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.define(anchor, &node);
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

    /// The document path of the node being built.
    fn path(&self) -> DocPath {
        let mut p = DocPath::root();
        for f in &self.frames {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> SourceLocation {
        SourceLocation { line, column }
    }

    #[test]
    fn keys_and_values_know_their_place() {
        let parsed = parse_tree("a: 1\nb:\n  - c: x\n    d: 'y'\ne:\n").unwrap();
        let root = parsed.root.unwrap();
        assert!(parsed.problems.is_empty());
        let path = DocPath::root().key("b").index(0).key("d");
        assert_eq!(root.locate(&path), Some((at(4, 8), Some(at(4, 5)))));
        // A block mapping is where its first key is.
        assert_eq!(
            root.locate(&DocPath::root().key("b").index(0)),
            Some((at(3, 5), None))
        );
        // An empty value points at its key, not at the next line.
        assert_eq!(
            root.locate(&DocPath::root().key("e")),
            Some((at(5, 1), Some(at(5, 1))))
        );
        let d = &root.get("b").unwrap().value;
        assert!(matches!(&d.kind, Kind::Seq(items) if items.len() == 1));
    }

    #[test]
    fn duplicate_keys_are_reported_at_their_own_line_and_the_first_is_kept() {
        let mut text = String::from("m:\n");
        for i in 0..20 {
            text.push_str(&format!("  k{i}: {i}\n"));
        }
        text.push_str("  k3: again\n");
        let parsed = parse_tree(&text).unwrap();
        assert_eq!(parsed.problems.len(), 1);
        let p = &parsed.problems[0];
        assert_eq!(p.location, Some(at(22, 3)));
        assert_eq!(p.path, "m.k3");
        assert_eq!(p.message, "duplicate key `k3`, first at line 5");
        let root = parsed.root.unwrap();
        let m = &root.get("m").unwrap().value;
        assert!(
            matches!(&m.get("k3").unwrap().value.kind, Kind::Scalar { text, .. } if &**text == "3")
        );
    }

    #[test]
    fn aliases_within_the_budget_are_copied() {
        let parsed = parse_tree("a: &x [1, 2]\nb: *x\n").unwrap();
        let root = parsed.root.unwrap();
        assert_eq!(
            root.get("a").unwrap().value.kind,
            root.get("b").unwrap().value.kind
        );
    }

    #[test]
    fn limits_and_oddities_are_refused() {
        let deep = format!("a: {}{}", "[".repeat(40), "]".repeat(40));
        assert!(
            parse_tree(&deep)
                .unwrap_err()
                .message
                .contains("nests deeper")
        );
        let complex = parse_tree("? [a]\n: 1\n").unwrap();
        assert_eq!(
            complex.problems[0].message,
            "a mapping key must be text, not a list or mapping"
        );
        let tagged = parse_tree("a: !!str 1\nb: !x 2\n").unwrap();
        assert_eq!(tagged.problems.len(), 1);
        let root = tagged.root.unwrap();
        let a = &root.get("a").unwrap().value;
        assert!(matches!(&a.kind, Kind::Scalar { plain: false, .. }));
        let syntax = parse_tree("a: [\n").unwrap_err();
        assert!(syntax.message.starts_with("YAML syntax error"));
    }
}
