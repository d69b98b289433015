//! The loader refuses a plan file edited to write what was never reviewed, and never panics.

use std::path::Path;

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::plan::diff;
use crate::plan::fixtures::sample;
use crate::plan::planfile::tests::saved_of;
use crate::plan::planfile::{PlanFileError, SavedPlan};

fn valid() -> Value {
    let (desired, current) = sample();
    serde_json::from_str(&saved_of(&diff(&desired, &current), "p.yaml").to_json()).unwrap()
}

/// The problems the loader reports for `doc`, or none.
fn problems(doc: &Value) -> Vec<String> {
    match SavedPlan::from_json(&doc.to_string(), Path::new("plan.json")) {
        Ok(_) => Vec::new(),
        Err(PlanFileError::Invalid { problems, .. }) => problems,
        Err(e) => panic!("not a field problem: {e}"),
    }
}

fn refused(doc: &Value, needle: &str) {
    let p = problems(doc);
    assert!(
        p.iter().any(|m| m.contains(needle)),
        "{needle:?} not in {p:#?}"
    );
}

fn cluster_scope() -> Value {
    json!({"subscription": "12345678-1234-1234-1234-123456789098", "resource_group": "testrg", "cluster": "kusto1", "database": null})
}

#[test]
fn the_valid_plan_loads() {
    assert_eq!(problems(&valid()), Vec::<String>::new());
}

#[test]
fn an_appended_delete_is_refused() {
    let mut doc = valid();
    let delete = json!({"action": "delete", "scope": cluster_scope(), "principal_type": "App",
        "principal_id": "87654321-1234-1234-1234-123456789999", "role": "AllDatabasesAdmin",
        "name": "other-admin", "tenant": null, "display_name": null, "object_id": null});
    doc["changes"].as_array_mut().unwrap().push(delete);
    refused(&doc, "not in what was listed at its scope");
}

#[test]
fn an_entry_slipped_into_a_listing_breaks_its_fingerprint() {
    let mut doc = valid();
    let entry = json!({"name": "other-admin", "principal_type": "App",
        "principal_id": "87654321-1234-1234-1234-123456789999", "role": "AllDatabasesAdmin", "tenant": null});
    doc["scopes"][0]["listed"]
        .as_array_mut()
        .unwrap()
        .push(entry);
    refused(
        &doc,
        "scopes[0].listed: does not match the scope's fingerprint",
    );
}

#[test]
fn changes_without_fingerprints_are_refused() {
    let mut doc = valid();
    doc["scopes"] = json!([]);
    refused(&doc, "has no fingerprint in `scopes`");
}

#[test]
fn relative_and_malformed_scope_segments_are_refused() {
    for (field, value) in [
        ("database", "../.."),
        ("database", ".."),
        ("database", "sales/../x"),
        ("resource_group", "../rg"),
        ("cluster", "kusto1/"),
        ("subscription", "not-a-guid"),
        ("database", "sales\u{1b}[2J"),
    ] {
        let mut doc = valid();
        doc["changes"][0]["scope"][field] = json!(value);
        refused(&doc, &format!("changes[0].scope.{field}"));
    }
}

#[test]
fn names_ids_roles_and_versions_follow_the_file_rules() {
    let cases = [
        ("/changes/0/name", json!("admin1 ")),
        ("/changes/0/name", json!("a/b")),
        ("/changes/0/principal_id", json!("")),
        ("/changes/0/principal_id", json!("x\u{7}")),
        ("/changes/0/tenant", json!("contoso")),
        ("/api_version", json!("2024-04-13&x=1")),
        ("/file_sha256", json!("sha256:zz")),
        ("/targets", json!(["kusto1/../x"])),
    ];
    for (at, value) in cases {
        let mut doc = valid();
        *doc.pointer_mut(at).unwrap() = value.clone();
        assert!(!problems(&doc).is_empty(), "{at} = {value} was accepted");
    }
    let mut doc = valid();
    doc["changes"][0]["role"] = json!("Viewer");
    refused(&doc, "is not a role of a cluster scope");
}

#[test]
fn a_create_may_not_overwrite_a_listed_assignment() {
    let mut doc = valid();
    let create = json!({"action": "create", "scope": cluster_scope(), "principal_type": "User",
        "principal_id": "mallory@contoso.com", "role": "AllDatabasesAdmin",
        "name": "admin1", "tenant": null, "display_name": null, "object_id": null});
    doc["changes"].as_array_mut().unwrap().push(create);
    refused(&doc, "a name already in use at its scope");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = SavedPlan::from_json(&text, Path::new("plan.json"));
    }

    #[test]
    fn mutated_valid_plans_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..8)
    ) {
        let mut bytes = valid().to_string().into_bytes();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len().max(1)).min(bytes.len());
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = SavedPlan::from_json(&text, Path::new("plan.json"));
    }
}
