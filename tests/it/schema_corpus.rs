//! The JSON Schema is as strict as `validate` wherever a schema can say it: a JSON Schema validator
//! (the `jsonschema` crate) runs over the invalid corpus, and every file it accepts must be on the
//! reviewed list below with the reason a schema cannot reject it. Valid files must pass it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::harness::repo_file;

/// Invalid files a JSON Schema cannot reject, and why (reviewed; keep it short).
const NOT_EXPRESSIBLE: &[(&str, &str)] = &[
    (
        "01-empty-file.yaml",
        "an empty document has no JSON form (an editor shows nothing to check)",
    ),
    ("02-only-comments.yaml", "comments only: no JSON form"),
    (
        "25-duplicate-cluster.yaml",
        "uniqueness by a case-folded key across list items",
    ),
    (
        "26-duplicate-database.yaml",
        "uniqueness by a case-folded key across list items",
    ),
    (
        "27-duplicate-grant.yaml",
        "uniqueness of (principal, role) without case",
    ),
    (
        "28-duplicate-grant-through-set.yaml",
        "needs the set's members, elsewhere in the file",
    ),
    (
        "29-unknown-set.yaml",
        "a reference to a key elsewhere in the file",
    ),
    (
        "30-unused-set.yaml",
        "a key never referenced elsewhere in the file",
    ),
    (
        "32-duplicate-set-key.yaml",
        "a duplicate key has no JSON form (the YAML reader keeps one)",
    ),
    (
        "36-duplicate-struct-key.yaml",
        "a duplicate key has no JSON form (the YAML reader keeps one)",
    ),
    (
        "33-set-member-listed-twice.yaml",
        "uniqueness without case within a set",
    ),
    (
        "37-ignored-and-granted.yaml",
        "compares ignore rules with grants elsewhere in the file",
    ),
    ("38-ignore-listed-twice.yaml", "uniqueness without case"),
    (
        "39-name-twice-in-scope.yaml",
        "uniqueness of names within a scope",
    ),
];

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo_file("principals.schema.json")).expect("schema file");
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

/// What an editor's YAML reader hands the schema; `None` when the text is no single document.
fn as_json(text: &str) -> Option<Value> {
    serde_yaml::from_str::<Value>(text)
        .ok()
        .filter(|v| !v.is_null())
}

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_file(dir))
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_schema_rejects_every_invalid_file_it_can_express() {
    let v = validator();
    let mut accepted = BTreeMap::new();
    for path in yaml_files("tests/fixtures/invalid") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("read");
        let blank = text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
        match as_json(&text) {
            // Nothing for a schema to look at.
            None if blank => {
                accepted.insert(name, "no document");
            }
            // Not one YAML document (syntax, duplicate keys, tabs, tags): the editor's YAML reader
            // flags it before any schema.
            None => {}
            Some(doc) if v.is_valid(&doc) => {
                accepted.insert(name, "accepted");
            }
            Some(_) => {}
        }
    }
    let listed: BTreeMap<String, &str> = NOT_EXPRESSIBLE
        .iter()
        .map(|(n, why)| (n.to_string(), *why))
        .collect();
    let unexplained: Vec<&String> = accepted
        .keys()
        .filter(|n| !listed.contains_key(*n))
        .collect();
    let now_rejected: Vec<&String> = listed
        .keys()
        .filter(|n| !accepted.contains_key(*n))
        .collect();
    assert!(
        unexplained.is_empty(),
        "the schema accepts these invalid files; make it stricter or list them with a reason: {unexplained:?}"
    );
    assert!(
        now_rejected.is_empty(),
        "the schema now rejects these; take them off NOT_EXPRESSIBLE: {now_rejected:?}"
    );
}

#[test]
fn the_schema_accepts_the_valid_files() {
    let v = validator();
    let files = [repo_file("principals.example.yaml")];
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let doc = as_json(&text).expect("one document");
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
}

#[test]
fn the_schema_rejects_the_issues_examples() {
    let v = validator();
    let base =
        "defaults: {subscription: 12345678-1234-1234-1234-123456789098, resource_group: rg}\n";
    for (what, yaml) in [
        ("version 2", format!("version: 2\n{base}clusters: []\n")),
        (
            "user and group",
            format!(
                "version: 1\n{base}clusters: [{{name: mykusto, principals: [{{user: a@b.c, group: g, role: AllDatabasesViewer}}]}}]\n"
            ),
        ),
        (
            "app not a GUID",
            format!(
                "version: 1\n{base}clusters: [{{name: mykusto, principals: [{{app: not-a-guid, role: AllDatabasesAdmin}}]}}]\n"
            ),
        ),
    ] {
        let doc = as_json(&yaml).expect("yaml");
        assert!(!v.is_valid(&doc), "{what} passes the schema");
        let fine = yaml
            .replace("version: 2", "version: 1")
            .replace(", group: g", "")
            .replace("not-a-guid", "87654321-1234-1234-1234-123456789123");
        assert!(
            v.is_valid(&as_json(&fine).expect("yaml")),
            "{what}, corrected, fails: {fine}"
        );
    }
}
