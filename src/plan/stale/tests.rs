//! The apply-time judgement of a saved plan: fingerprints, "already applied", the recomputed
//! verdict, and a re-plan's differences.

use super::*;
use crate::model::{CurrentState, SafetyConfig};
use crate::plan::diff;
use crate::plan::fixtures::{sample, scenario};
use crate::plan::planfile::tests::saved_of;

fn now_of(current: &CurrentState, saved: &SavedPlan) -> Vec<Listed> {
    saved
        .scopes
        .iter()
        .map(|s| {
            let scope = Scope::from(&s.scope);
            let items = current.scopes.get(&scope).cloned();
            (scope, items)
        })
        .collect()
}

/// Every admin of the cluster goes: unsafe.
const UNSAFE: &str = r#"
scopes:
  - scope: kusto1
    desired:
      - {user: alice@contoso.com, role: AllDatabasesViewer}
    current:
      - {name: admin1, app: 87654321-1234-1234-1234-123456789123, role: AllDatabasesAdmin}
"#;

#[test]
fn a_tampered_safety_verdict_is_recomputed() {
    let (desired, current) = scenario(UNSAFE);
    let plan = diff(&desired, &current);
    assert!(!plan.safety.ok);
    let mut saved = saved_of(&plan, "p.yaml");
    saved.document.safety.ok = true;
    saved.document.safety.reasons.clear();
    let now = now_of(&current, &saved);
    match check(&saved, &now, &SafetyConfig::default()) {
        Verdict::Current(p) => {
            assert!(!p.safety.ok, "{:?}", p.safety);
            assert!(
                p.safety.reasons[0].contains("no AllDatabasesAdmin"),
                "{:?}",
                p.safety
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_applied_plan_is_already_applied_and_a_changed_scope_is_stale() {
    let (desired, current) = sample();
    let plan = diff(&desired, &current);
    let saved = saved_of(&plan, "p.yaml");
    // After the apply, Azure holds exactly what the file asks for.
    let mut after = current.clone();
    for sp in &plan.scopes {
        let Some(items) = after.scopes.get_mut(&sp.scope) else {
            continue;
        };
        for c in &sp.changes {
            match c {
                Change::Create { after: g } | Change::Replace { after: g, .. } => {
                    items.push(CurrentAssignment {
                        key: g.key.clone(),
                        name: g.create_name(),
                        tenant_id: g.tenant.clone(),
                        tenant_name: None,
                        principal_name: None,
                        aad_object_id: None,
                        provisioning: Default::default(),
                    })
                }
                Change::Delete { .. } | Change::NoOp { .. } => {}
            }
            if let Change::Delete { before } | Change::Replace { before, .. } = c {
                items.retain(|a| a.name != before.name);
            }
        }
    }
    let cfg = SafetyConfig::default();
    assert!(matches!(
        check(&saved, &now_of(&current, &saved), &cfg),
        Verdict::Current(_)
    ));
    assert!(matches!(
        check(&saved, &now_of(&after, &saved), &cfg),
        Verdict::AlreadyApplied
    ));
    // Half applied, or changed by someone else: stale, naming what changed.
    let mut half = current.clone();
    let first = half.scopes.values_mut().next().unwrap();
    first.pop();
    match check(&saved, &now_of(&half, &saved), &cfg) {
        Verdict::Stale(what) => assert!(
            what[0].contains("changed since the plan\n    - "),
            "{what:?}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_replan_with_other_changes_differs() {
    let (desired, current) = sample();
    let plan = diff(&desired, &current);
    let saved = saved_of(&plan, "p.yaml");
    assert_eq!(differences(&saved, &plan), Vec::<String>::new());
    let mut fewer = desired.clone();
    fewer.scopes[0].grants.pop();
    let other = diff(&fewer, &current);
    let d = differences(&saved, &other);
    assert!(!d.is_empty());
    assert!(
        d.iter()
            .all(|l| l.contains("not planned from the file now") || l.contains("not reviewed")),
        "{d:?}"
    );
}
