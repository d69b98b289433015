//! The marked tree, walked against the JSON Schema of the raw mirror: every unknown key, missing
//! key, wrong type and value outside an enum, each at its own line, all in one pass.
//!
//! The walk also makes the tree itself conform to the schema, in place: a wrong key or value is
//! taken out, a list element of the wrong type becomes an empty mapping (at the same place). So serde
//! reads the tree without failing (`mirror/de.rs`), list indices still match the document, and the semantic
//! checks run on everything that is well-formed. No copy of the document is made. Objects that lost something are named in `Shaped::tainted`, so the semantic
//! checks do not report the same mistake again (a `rol:` typo is not also "no role").
//!
//! Only the schema constructs schemars emits for `mirror/raw.rs` are understood: `$ref`, `type`,
//! `properties`, `required`, `additionalProperties`, `items`, `enum`, `minimum`, `maximum`.

use std::collections::HashSet;

use serde_json::Value;

use super::docpath::{DocPath, Seg};
use super::problem::Problem;
use super::read::tree::{Entry, Kind, Node};
use super::suggest;
use crate::model::SourceLocation;

/// The problems found, and the paths of objects that had one.
#[derive(Debug)]
pub struct Shaped {
    pub problems: Vec<Problem>,
    pub tainted: HashSet<String>,
}

/// Walks `root` against `schema` (a root schema with `$defs`), leaving only what conforms.
pub fn shape(root: &mut Node, schema: &Value) -> Shaped {
    let mut w = Walker {
        root: schema,
        problems: Vec::new(),
        tainted: HashSet::new(),
        path: DocPath::root(),
    };
    if !w.walk(root, schema) {
        root.kind = Kind::Map(Vec::new());
    }
    Shaped {
        problems: w.problems,
        tainted: w.tainted,
    }
}

struct Walker<'s> {
    root: &'s Value,
    problems: Vec<Problem>,
    tainted: HashSet<String>,
    path: DocPath,
}

/// What a node is, for "expected a list, found a mapping".
fn describe(node: &Node) -> String {
    match &node.kind {
        _ if node.is_null() => "nothing".into(),
        Kind::Scalar { text, plain: true } => format!("`{text}`"),
        Kind::Scalar { text, plain: false } => format!("the quoted text `{text}`"),
        Kind::Seq(_) => "a list".into(),
        Kind::Map(_) => "a mapping".into(),
    }
}

fn want(ty: &str) -> &'static str {
    match ty {
        "object" => "a mapping",
        "array" => "a list",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "`true` or `false`",
        _ => "text",
    }
}

impl<'s> Walker<'s> {
    fn resolve(&self, mut schema: &'s Value) -> &'s Value {
        while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/$defs/");
            match self.root.get("$defs").and_then(|d| d.get(name)) {
                Some(s) => schema = s,
                None => break,
            }
        }
        schema
    }

    fn report(&mut self, at: SourceLocation, message: String, hint: Option<String>) {
        self.problems
            .push(Problem::new(Some(at), &self.path, message, hint));
    }

    /// True when `node` conforms (made so in place); false after reporting why it cannot.
    fn walk(&mut self, node: &mut Node, schema: &'s Value) -> bool {
        let schema = self.resolve(schema);
        let ty = schema.get("type").and_then(Value::as_str).unwrap_or("");
        let at = node.at;
        match (ty, &mut node.kind) {
            ("object", Kind::Map(entries)) => {
                self.object(at, entries, schema);
                return true;
            }
            ("array", Kind::Seq(items)) => {
                self.array(items, schema);
                return true;
            }
            _ => {}
        }
        // The scalar's typed value, only to check it against `enum`, `minimum` and `maximum`.
        let value = match (ty, &node.kind) {
            _ if node.is_null() => None,
            ("string", Kind::Scalar { text, .. }) => Some(Value::String(text.to_string())),
            ("integer", Kind::Scalar { text, plain: true }) => {
                text.parse::<i64>().ok().map(Value::from)
            }
            ("number", Kind::Scalar { text, plain: true }) => text
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Value::from),
            ("boolean", Kind::Scalar { text, plain: true }) => match &**text {
                "true" | "True" | "TRUE" => Some(Value::Bool(true)),
                "false" | "False" | "FALSE" => Some(Value::Bool(false)),
                _ => None,
            },
            _ => None,
        };
        let Some(value) = value else {
            self.mismatch(node, ty, schema);
            return false;
        };
        self.check_value(node, &value, schema)
    }

    fn mismatch(&mut self, node: &Node, ty: &str, schema: &Value) {
        let key = match self.path.segments().last() {
            Some(Seg::Key(k)) => Some(k.clone()),
            _ => None,
        };
        match key {
            Some(k) if node.is_null() => {
                let hint = match schema.get("enum").and_then(Value::as_array) {
                    Some(allowed) => {
                        let allowed: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
                        format!("expected one of {}", suggest::list(&allowed))
                    }
                    None => format!("expected {}", want(ty)),
                };
                self.report(node.at, format!("`{k}` has no value"), Some(hint));
            }
            _ => self.report(
                node.at,
                format!("expected {}, found {}", want(ty), describe(node)),
                None,
            ),
        }
    }

    /// `enum`, `minimum` and `maximum` of a scalar.
    fn check_value(&mut self, node: &Node, value: &Value, schema: &Value) -> bool {
        if let Some(Value::Array(allowed)) = schema.get("enum")
            && !allowed.contains(value)
        {
            let allowed: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
            let text = value.as_str().unwrap_or_default();
            let is_role = matches!(self.path.segments().last(), Some(Seg::Key(k)) if k == "role");
            let (message, hint) = if is_role {
                suggest::role_problem(text, &allowed)
            } else {
                let hint = match suggest::closest(text, &allowed) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("expected one of {}", suggest::list(&allowed)),
                };
                (format!("unknown value `{text}`"), hint)
            };
            self.report(node.at, message, Some(hint));
            return false;
        }
        let below = schema.get("minimum").and_then(Value::as_f64);
        let above = schema.get("maximum").and_then(Value::as_f64);
        if let Some(n) = value.as_f64()
            && (below.is_some_and(|m| n < m) || above.is_some_and(|m| n > m))
        {
            let range = match (below, above) {
                (Some(lo), Some(hi)) => format!("from {lo} to {hi}"),
                (Some(lo), None) => format!("of at least {lo}"),
                (None, Some(hi)) => format!("of at most {hi}"),
                (None, None) => String::new(),
            };
            self.report(
                node.at,
                format!("{n} is out of range"),
                Some(format!("expected a number {range}")),
            );
            return false;
        }
        true
    }

    fn object(&mut self, at: SourceLocation, entries: &mut Vec<Entry>, schema: &'s Value) {
        let props = schema.get("properties").and_then(Value::as_object);
        let extra = schema.get("additionalProperties").filter(|v| v.is_object());
        let known: Vec<&str> = props
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut keep = Vec::with_capacity(entries.len());
        let mut suggested = Vec::new();
        let mut tainted = false;
        for e in entries.iter_mut() {
            self.path.push_key(&e.key);
            let sub = props.and_then(|p| p.get(&*e.key)).or(extra);
            let kept = match sub {
                Some(sub) => self.walk(&mut e.value, sub),
                None => {
                    let hint = suggest::unknown_key_hint(&e.key, &known);
                    if let Some(near) = suggest::closest(&e.key, &known) {
                        suggested.push(near);
                    }
                    self.problems.push(Problem::new(
                        Some(e.key_at),
                        &self.path,
                        format!("unknown key `{}`", e.key),
                        Some(hint),
                    ));
                    false
                }
            };
            tainted |= !kept;
            keep.push(kept);
            self.path.pop();
        }
        // A misspelt key (`rol:` for `role:`) or a merge key (`<<:`) already explains a missing one.
        let merged = entries.iter().any(|e| &*e.key == "<<");
        let required = schema.get("required").and_then(Value::as_array);
        for r in required.into_iter().flatten().filter_map(Value::as_str) {
            let present = entries.iter().any(|e| &*e.key == r);
            if !present && !merged && !suggested.contains(&r) {
                let hint = props.and_then(|p| p.get(r)).map(|s| self.add_hint(r, s));
                self.report(at, format!("missing key `{r}`"), hint);
                tainted = true;
            }
        }
        if tainted {
            self.tainted.insert(self.path.to_string());
        }
        let mut keep = keep.into_iter();
        entries.retain(|_| keep.next().unwrap_or(false));
    }

    /// "add `role:` with one of …", or "add `name:`: the database name."
    fn add_hint(&self, key: &str, schema: &'s Value) -> String {
        let resolved = self.resolve(schema);
        if let Some(Value::Array(allowed)) = resolved.get("enum") {
            let allowed: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
            return format!("add `{key}:` with one of {}", suggest::list(&allowed));
        }
        let description = schema
            .get("description")
            .or_else(|| resolved.get("description"))
            .and_then(Value::as_str)
            .and_then(|d| d.split(". ").next())
            .unwrap_or_default()
            .trim_end_matches('.')
            .replace('\n', " ");
        match description.char_indices().nth(1) {
            Some((i, _)) => format!(
                "add `{key}:`, {}{}",
                description[..i].to_lowercase(),
                &description[i..]
            ),
            None => format!("add `{key}:`"),
        }
    }

    fn array(&mut self, items: &mut Vec<Node>, schema: &'s Value) {
        let Some(item_schema) = schema.get("items") else {
            items.clear();
            return;
        };
        let item_is_object = self.resolve(item_schema).get("type") == Some(&Value::from("object"));
        let mut keep = Vec::with_capacity(items.len());
        for (i, item) in items.iter_mut().enumerate() {
            self.path.push_index(i);
            let kept = self.walk(item, item_schema);
            // Keep the indices of the document: the semantic checks locate by path.
            if !kept && item_is_object {
                item.kind = Kind::Map(Vec::new());
                self.tainted.insert(self.path.to_string());
            }
            keep.push(kept || item_is_object);
            self.path.pop();
        }
        let mut keep = keep.into_iter();
        items.retain(|_| keep.next().unwrap_or(false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::mirror::de::NodeDe;
    use crate::config::read::yaml::parse_tree;

    /// The problems, and the conforming tree as JSON.
    fn run(yaml: &str) -> (Shaped, Value) {
        let schema = crate::config::mirror::schema::schema_value();
        let mut root = parse_tree(yaml).unwrap().root.unwrap();
        let shaped = shape(&mut root, &schema);
        let value = serde::Deserialize::deserialize(NodeDe::new(&root)).unwrap();
        (shaped, value)
    }

    #[test]
    fn a_conforming_value_keeps_list_indices() {
        let (s, value) = run("version: 1\nclusters:\n  - oops\n  - name: kusto1\n    bogus: 1\n");
        let messages: Vec<&str> = s.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            ["expected a mapping, found `oops`", "unknown key `bogus`"]
        );
        assert_eq!(
            value,
            serde_json::json!({"version": 1, "clusters": [{}, {"name": "kusto1"}]})
        );
        assert!(s.tainted.contains("clusters[0]"));
        assert!(s.tainted.contains("clusters[1]"));
    }

    #[test]
    fn scalars_are_typed_by_the_schema() {
        let (s, value) = run(
            "version: 1\nclusters: []\nsafety:\n  max_delete_fraction: 0.5\n  min_existing: -1\n  require_cluster_admin: yes\n",
        );
        let messages: Vec<&str> = s.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "-1 is out of range",
                "expected `true` or `false`, found `yes`"
            ]
        );
        assert_eq!(
            value["safety"],
            serde_json::json!({"max_delete_fraction": 0.5})
        );
    }
}
