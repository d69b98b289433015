//! The one pass over `yaml-rust2`'s events: each event handed to the builder, scalars typed as
//! plain or text, a second document and syntax errors reported.

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use super::builder::Builder;
use crate::config::docpath::DocPath;
use crate::config::problem::Problem;
use crate::config::read::tree::{Kind, Node};
use crate::model::SourceLocation;

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

/// Parses YAML text into a marked tree.
pub fn parse_tree(text: &str) -> Result<Parsed, Problem> {
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder::default();
    let mut documents = 0;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| syntax_error(&b, &e))?;
        let at = loc(&mark);
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    b.problem(Problem::new(
                        Some(at),
                        &DocPath::root(),
                        "a second YAML document; the file must hold exactly one".into(),
                        Some("remove the `---` line and what follows, or merge the two".into()),
                    ));
                    break;
                }
            }
            event => take(&mut b, event, at)?,
        }
    }
    let (root, problems) = b.into_parts();
    Ok(Parsed { root, problems })
}

/// Hands one event within the document to the builder.
fn take(b: &mut Builder, event: Event, at: SourceLocation) -> Result<(), Problem> {
    match event {
        Event::StreamStart
        | Event::StreamEnd
        | Event::DocumentStart
        | Event::DocumentEnd
        | Event::Nothing => {}
        Event::SequenceStart(anchor, tag) => b.open_seq(at, anchor, tag.as_ref())?,
        Event::MappingStart(anchor, tag) => b.open_map(at, anchor, tag.as_ref())?,
        Event::SequenceEnd | Event::MappingEnd => b.close()?,
        Event::Scalar(text, style, anchor, tag) => {
            let node = scalar(b, text, style, tag.as_ref(), at);
            b.finish(node, anchor);
        }
        Event::Alias(id) => b.alias(id, at)?,
    }
    Ok(())
}

/// A scalar node: plain unless quoted or tagged `!!str`; any other tag is reported.
fn scalar(
    b: &mut Builder,
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
    at: SourceLocation,
) -> Node {
    let mut plain = style == TScalarStyle::Plain;
    if let Some(tag) = tag {
        if is_str_tag(tag) {
            plain = false;
        } else {
            b.unsupported_tag(at, tag);
        }
    }
    Node {
        at,
        kind: Kind::Scalar {
            text: text.into_boxed_str(),
            plain,
        },
    }
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
