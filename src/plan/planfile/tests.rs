//! The saved plan's round trip and its version check.

use std::path::Path;

use super::*;
use crate::model::SourceLocation;
use crate::plan::fixtures::sample;
use crate::plan::{Change, ScopePlan, diff};

/// What a saved plan keeps of a plan: no no-ops, no ignored or existing counts, fingerprints of
/// touched scopes only, no source locations or tenant names; scopes that something names, sorted.
fn as_saved(plan: &Plan) -> Plan {
    let mut scopes: Vec<ScopePlan> = plan
        .scopes
        .iter()
        .cloned()
        .map(|mut sp| {
            if !sp.is_touched() {
                sp.fingerprint = None;
            }
            sp.changes.retain(|c| !c.is_noop());
            for c in &mut sp.changes {
                match c {
                    Change::Create { after } => after.location = SourceLocation::default(),
                    Change::Delete { before } => before.tenant_name = None,
                    Change::Replace { before, after } => {
                        before.tenant_name = None;
                        after.location = SourceLocation::default();
                    }
                    Change::NoOp { .. } => unreachable!("no-ops were dropped"),
                }
            }
            sp.existing = 0;
            sp.ignored.clear();
            sp
        })
        .filter(|sp| sp.error.is_none() && (!sp.changes.is_empty() || !sp.kept.is_empty()))
        .collect();
    scopes.sort_by(|a, b| a.scope.cmp(&b.scope));
    Plan {
        scopes,
        safety: plan.safety.clone(),
        file: plan.file.clone(),
    }
}

pub(crate) const SHA: &str =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// The saved plan of `plan`, without its unreadable scopes (`plan --out` saves no plan that has one).
pub(crate) fn saved_of(plan: &Plan, file: &str) -> SavedPlan {
    let mut plan = plan.clone();
    plan.scopes.retain(|sp| sp.error.is_none());
    SavedPlan::new(&plan, file, SHA.into(), &[], "2024-04-13")
}

#[test]
fn a_saved_plan_round_trips() {
    let (desired, current) = sample();
    let plan = diff(&desired, &current);
    assert!(plan.actions().count() >= 3, "{plan:#?}");
    let saved = saved_of(&plan, "principals.yaml");
    let json = saved.to_json();
    let back = SavedPlan::from_json(&json, Path::new("p.json")).expect("parses");
    assert_eq!(back, saved);
    assert_eq!(back.to_json(), json, "byte-identical when written again");
    assert_eq!(back.to_plan(), as_saved(&plan));
    assert_eq!(back.tool_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(back.api_version, "2024-04-13");
    assert!(json.starts_with("{\n  \"format_version\": 2,"), "{json}");
}

#[test]
fn only_touched_scopes_carry_fingerprints() {
    let (desired, current) = sample();
    let plan = diff(&desired, &current);
    let saved = saved_of(&plan, "principals.yaml");
    let got: Vec<String> = saved
        .fingerprints()
        .iter()
        .map(|(s, _)| s.to_string())
        .collect();
    assert_eq!(got, ["kusto1", "kusto1/sales"]);
    let sales = &plan
        .scopes
        .iter()
        .find(|s| s.scope.to_string() == "kusto1/sales");
    let listed = &current.scopes[&sales.unwrap().scope];
    assert_eq!(saved.fingerprints()[1].1, crate::plan::fingerprint(listed));
}

#[test]
fn files_and_versions_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let (desired, current) = sample();
    let saved = saved_of(&diff(&desired, &current), "p.yaml");
    write(&path, &saved).unwrap();
    assert_eq!(read(&path).unwrap(), saved);

    let newer = saved
        .to_json()
        .replacen("\"format_version\": 2", "\"format_version\": 3", 1);
    std::fs::write(&path, newer).unwrap();
    let err = read(&path).unwrap_err();
    assert!(
        matches!(err, PlanFileError::Version { found: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("format_version 3"), "{err}");

    std::fs::write(&path, "{\"hello\": 1}").unwrap();
    assert!(matches!(read(&path), Err(PlanFileError::Parse { .. })));
    assert!(matches!(
        read(&dir.path().join("absent.json")),
        Err(PlanFileError::Read { .. })
    ));
}
