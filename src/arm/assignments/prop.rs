//! Property tests from ARM's wire listing to the plan (issue #12): whatever a listing holds —
//! repeated names in other cases, contradictory repeats, ids of other scopes, missing ids, states
//! other than `Succeeded` — the plan of the scope never deletes a name that a kept, ignored, pending
//! or adopted grant holds, never PUTs a listed name, and never leaves the cluster without a
//! succeeded admin it had without the unsafe verdict.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use serde_json::json;

use super::to_current;
use crate::arm::ArmPath;
use crate::arm::wire::AssignmentResource;
use crate::model::names::fold;
use crate::model::{
    AssignmentKey, ClusterRef, DesiredGrant, DesiredScope, PrincipalId, PrincipalType, Role,
    SafetyConfig, Scope, SourceLocation, Unmanaged,
};
use crate::plan::{Change, finish, plan_scope};

const IDS: [&str; 4] = ["app-a", "APP-A", "app-b", "app-c"];
const ROLES: [Role; 3] = [
    Role::AllDatabasesAdmin,
    Role::AllDatabasesViewer,
    Role::AllDatabasesMonitor,
];
const NAMES: [&str; 5] = ["n1", "n2", "n3", "admin", "kp-x"];
const STATES: [Option<&str>; 6] = [
    None,
    Some("Succeeded"),
    Some("Creating"),
    Some("Failed"),
    Some("Deleting"),
    Some("Canceled"),
];

fn scope() -> Scope {
    Scope::cluster(ClusterRef::new("sub", "rg", "kusto1"))
}

/// (name, id, role, state, where the id points, upper-case the name)
type Item = (usize, usize, usize, usize, usize, bool);

fn item() -> impl Strategy<Value = Item> {
    (
        0..5usize,
        0..4usize,
        0..3usize,
        0..6usize,
        0..8usize,
        any::<bool>(),
    )
}

/// The wire item, and whether its id really is under the scope.
fn wire(&(name, id, role, state, place, upper): &Item) -> (AssignmentResource, bool) {
    let mut name = NAMES[name].to_string();
    if upper {
        name = name.to_uppercase();
    }
    let here = ArmPath::scope(&scope()).unwrap().to_string();
    let (id_text, under) = match place {
        0 => (None, false),
        1 => (Some(here.replace("kusto1", "kusto2")), false),
        2 => (Some(format!("{here}/databases/db1")), false),
        3 => (Some(here.to_uppercase()), true),
        _ => (Some(here), true),
    };
    let mut props = json!({
        "principalId": IDS[id],
        "principalType": "App",
        "role": ROLES[role].as_str(),
    });
    if let Some(s) = STATES[state] {
        props["provisioningState"] = json!(s);
    }
    let value = json!({
        "id": id_text.map(|p| format!("{p}/principalAssignments/{name}")),
        "name": format!("kusto1/{name}"),
        "properties": props,
    });
    (serde_json::from_value(value).unwrap(), under)
}

fn desired(picks: &[(usize, usize, Option<usize>)], keep: bool) -> DesiredScope {
    DesiredScope {
        scope: scope(),
        unmanaged: if keep {
            Unmanaged::Keep
        } else {
            Unmanaged::Delete
        },
        grants: picks
            .iter()
            .map(|&(id, role, name)| DesiredGrant {
                key: AssignmentKey {
                    scope: scope(),
                    principal_type: PrincipalType::App,
                    principal_id: PrincipalId::new(IDS[id]),
                    role: ROLES[role],
                },
                name: name.map(|n| NAMES[n].to_string()),
                tenant: None,
                location: SourceLocation::default(),
                resolved: None,
            })
            .collect(),
    }
}

/// The succeeded admins the listing really holds at the scope: names under the scope whose every
/// copy is an admin and `Succeeded`.
fn held_admins(items: &[Item]) -> BTreeSet<String> {
    let mut by_name: HashMap<String, bool> = HashMap::new();
    for it in items {
        let (r, under) = wire(it);
        if !under {
            continue;
        }
        let p = r.properties.unwrap();
        let ok = p.role.as_deref() == Some("AllDatabasesAdmin")
            && matches!(p.provisioning_state.as_deref(), None | Some("Succeeded"));
        let name = fold(r.name.unwrap().rsplit('/').next().unwrap());
        *by_name.entry(name).or_insert(true) &= ok;
    }
    by_name
        .into_iter()
        .filter(|(_, ok)| *ok)
        .map(|(n, _)| n)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512), ..ProptestConfig::default() })]

    #[test]
    fn hostile_listings_never_cost_a_kept_name_or_the_last_admin_unseen(
        items in proptest::collection::vec(item(), 0..10),
        repeats in proptest::collection::vec((any::<prop::sample::Index>(), any::<bool>(), 0..6usize), 0..4),
        want in proptest::collection::vec((0..4usize, 0..3usize, proptest::option::of(0..5usize)), 0..4),
        keep in any::<bool>(),
    ) {
        // Repeats: the same entry again, in another case, perhaps in another state (a later page).
        let mut items = items;
        if !items.is_empty() {
            for (at, upper, state) in &repeats {
                let mut again = items[at.index(items.len())];
                again.5 = *upper;
                again.3 = *state;
                items.push(again);
            }
        }
        let listed: Vec<_> = items.iter().filter_map(|it| to_current(&scope(), wire(it).0)).collect();
        let under: BTreeSet<String> = items.iter().filter(|it| wire(it).1)
            .map(|it| fold(NAMES[it.0])).collect();
        let sp = plan_scope(desired(&want, keep), listed, None, &[]);
        let plan = finish(vec![sp], &SafetyConfig::default(), "principals.yaml");
        let sp = &plan.scopes[0];

        let mut deleted = BTreeSet::new();
        let mut created = Vec::new();
        let mut admin_creates = 0;
        let mut held = BTreeSet::new();
        for c in &sp.changes {
            match c {
                Change::Delete { before } => { deleted.insert(fold(&before.name)); }
                Change::Replace { before, after } => {
                    deleted.insert(fold(&before.name));
                    created.push(fold(&after.create_name()));
                    admin_creates += (after.key.role == Role::AllDatabasesAdmin) as usize;
                }
                Change::Create { after } => {
                    created.push(fold(&after.create_name()));
                    admin_creates += (after.key.role == Role::AllDatabasesAdmin) as usize;
                }
                Change::NoOp { before, .. } => { held.insert(fold(&before.name)); }
            }
        }
        held.extend(sp.kept.iter().chain(&sp.ignored).map(|a| fold(&a.name)));
        held.extend(sp.pending.iter().map(|p| fold(&p.assignment.name)));

        prop_assert!(deleted.is_disjoint(&held), "deleted a held name: {deleted:?} ∩ {held:?}\n{sp:#?}");
        prop_assert!(deleted.is_subset(&under), "deleted a name not listed under the scope: {deleted:?}");
        for n in &created {
            prop_assert!(!under.contains(n), "a create PUTs the listed name {n}\n{sp:#?}");
        }
        if sp.error.is_none() {
            let had = held_admins(&items);
            let left = had.iter().filter(|n| !deleted.contains(*n)).count() + admin_creates;
            if !had.is_empty() && left == 0 {
                prop_assert!(!plan.safety.ok, "no succeeded admin left, yet safe\n{sp:#?}");
            }
        } else {
            prop_assert!(sp.changes.is_empty());
        }
    }
}
