//! Issues 7 and 12: what apply refuses or holds back. A create that fails holds back only the deletes
//! that depend on it (its principal's, and admins the scope would then be short of); an unsafe plan
//! needs `--force`; a delete never removes a name that a
//! create of the same apply rewrote; a create refused as a duplicate of what the plan deletes holds
//! the delete back.

use kusto_emulator::{AssignmentState, ClusterState, EmulatorState, demo_state};
use kusto_emulator::{PrincipalType, Role};
use serde_json::Value;

use crate::arm_stub::SUB;
use crate::harness::TestEnv;

const ADMIN_APP: &str = "87654321-1234-1234-1234-123456789123";
const KNOWN_APP: &str = "11111111-2222-3333-4444-555555555555";
const UNKNOWN_APP: &str = "dddddddd-dddd-4ddd-8ddd-dddddddddddd";

fn a(name: &str, id: &str, t: PrincipalType, role: Role) -> AssignmentState {
    AssignmentState {
        name: name.into(),
        principal_id: id.into(),
        principal_type: t,
        role,
        tenant_id: None,
    }
}

fn cluster(name: &str, principals: Vec<AssignmentState>) -> ClusterState {
    ClusterState {
        subscription: SUB.into(),
        resource_group: "testrg".into(),
        name: name.into(),
        location: "East US".into(),
        state: Default::default(),
        principals,
        databases: Vec::new(),
    }
}

/// The demo tenant and directory with these clusters.
fn state(clusters: Vec<ClusterState>) -> EmulatorState {
    let mut s = demo_state();
    s.clusters = clusters;
    s
}

fn admin() -> AssignmentState {
    a(
        "admin",
        ADMIN_APP,
        PrincipalType::App,
        Role::AllDatabasesAdmin,
    )
}

/// A file header for the demo subscription and resource group.
fn header() -> String {
    format!("version: 1\ndefaults:\n  subscription: {SUB}\n  resource_group: testrg\nclusters:\n")
}

/// The report's action with this action kind and assignment name.
fn action<'a>(report: &'a Value, kind: &str, name: &str) -> &'a Value {
    report["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|x| x["action"] == kind && x["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} of `{name}` in {report:#}"))
}

#[test]
fn a_failed_create_holds_back_only_the_deletes_that_depend_on_it() {
    // Issue 12: one mistyped principal must not keep someone who should lose access in.
    let bob = |n: &str| {
        a(
            n,
            "bob@contoso.com",
            PrincipalType::User,
            Role::AllDatabasesViewer,
        )
    };
    let unknown_viewer = a(
        "ca-unknown-old",
        UNKNOWN_APP,
        PrincipalType::App,
        Role::AllDatabasesViewer,
    );
    let env = TestEnv::with_state(state(vec![
        cluster("clustera", vec![admin(), bob("ca-bob"), unknown_viewer]),
        cluster("clusterb", vec![admin(), bob("cb-bob")]),
    ]));
    // clustera: the unknown app moves from viewer to monitor (a replace whose create fails), bob
    // goes. clusterb: the admin is handed to the unknown app (its create fails), bob goes, carol
    // comes.
    let file = env.write(
        "p.yaml",
        &format!(
            "{}  - name: clustera\n    principals:\n      - app: {ADMIN_APP}\n        role: AllDatabasesAdmin\n      - app: {UNKNOWN_APP}\n        role: AllDatabasesMonitor\n        name: ca-unknown\n  - name: clusterb\n    principals:\n      - app: {UNKNOWN_APP}\n        role: AllDatabasesAdmin\n        name: cb-new-admin\n      - user: carol@contoso.com\n        role: AllDatabasesViewer\n        name: cb-carol\n",
            header()
        ),
    );
    let file = file.to_str().unwrap();
    let run = env.run(&[
        "apply",
        "-f",
        file,
        "--auto-approve",
        "--principal-wait",
        "0s",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("2 of 7 writes failed"), "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    for name in ["ca-unknown", "cb-new-admin"] {
        let create = action(&report, "create", name);
        assert_eq!(create["outcome"], "failed", "{report:#}");
        assert!(
            create["message"]
                .as_str()
                .unwrap()
                .contains("AAD principal was not found"),
            "{report:#}"
        );
    }
    // The old half of the failed replace waits, and says why.
    let held = action(&report, "delete", "ca-unknown-old");
    assert_eq!(held["outcome"], "skipped", "{report:#}");
    let reason = held["reason"].as_str().unwrap();
    assert!(
        reason.contains("[ca-unknown] for the same principal did not succeed"),
        "{reason}"
    );
    // The admin whose successor failed stays, and the report says why.
    let held = action(&report, "delete", "admin");
    assert_eq!(held["outcome"], "skipped", "{report:#}");
    let reason = held["reason"].as_str().unwrap();
    assert!(
        reason.contains("would leave `clusterb` with 0 AllDatabasesAdmin (the plan assumed 1)"),
        "{reason}"
    );
    // The unrelated revocations happen in both clusters.
    assert_eq!(action(&report, "delete", "ca-bob")["outcome"], "applied");
    assert_eq!(action(&report, "delete", "cb-bob")["outcome"], "applied");
    assert_eq!(action(&report, "create", "cb-carol")["outcome"], "applied");

    let history = env.emu().write_history();
    let deleted: Vec<(&str, &str)> = history
        .iter()
        .filter(|w| w.method == "DELETE")
        .map(|w| (w.scope.as_str(), w.name.as_str()))
        .collect();
    assert_eq!(
        deleted,
        [("clustera", "ca-bob"), ("clusterb", "cb-bob")],
        "{history:#?}"
    );
    let names = |c: usize| -> Vec<String> {
        env.emu().snapshot().clusters[c]
            .principals
            .iter()
            .map(|p| p.name.clone())
            .collect()
    };
    assert_eq!(names(0), ["admin", "ca-unknown-old"]);
    assert_eq!(names(1), ["admin", "cb-carol"]);
}

#[test]
fn an_unsafe_plan_is_refused_without_force_and_applied_with_it() {
    let env = TestEnv::with_state(state(vec![cluster(
        "cluster1",
        vec![
            admin(),
            a(
                "viewer",
                "bob@contoso.com",
                PrincipalType::User,
                Role::AllDatabasesViewer,
            ),
        ],
    )]));
    // The file keeps bob but no AllDatabasesAdmin.
    let file = env.write(
        "p.yaml",
        &format!(
            "{}  - name: cluster1\n    principals:\n      - user: bob@contoso.com\n        role: AllDatabasesViewer\n",
            header()
        ),
    );
    let file = file.to_str().unwrap();
    let refused = env.run(&["apply", "-f", file, "--auto-approve"]);
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("would be left with no AllDatabasesAdmin")
            && refused.stderr.contains("--force")
            && refused.stderr.contains("nothing was changed"),
        "{refused:?}"
    );
    assert_eq!(env.emu().request_counts().writes(), 0);
    assert!(env.emu().write_history().is_empty());

    let forced = env.run(&["apply", "-f", file, "--auto-approve", "--force"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    assert!(
        forced
            .stdout
            .contains("Apply complete: 1 change (0 add, 0 replace, 1 delete) in 1 write; 1 applied, 0 failed, 0 skipped."),
        "{forced:?}"
    );
    let left = &env.emu().snapshot().clusters[0].principals;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].name, "viewer");
}

#[test]
fn a_role_change_under_the_files_name_is_not_undone_by_its_delete() {
    // ARM does a role change of a named assignment in place, so the planner never reuses a name
    // listed at the scope: the new grant gets its own name, and the delete of the old one cannot
    // take the new grant with it. (apply also re-lists the scope before its writes and never deletes a name that holds another
    // grant, as a safety net.)
    let env = TestEnv::with_state(state(vec![cluster(
        "cluster1",
        vec![
            admin(),
            a(
                "ops",
                KNOWN_APP,
                PrincipalType::App,
                Role::AllDatabasesViewer,
            ),
        ],
    )]));
    let file = env.write(
        "p.yaml",
        &format!(
            "{}  - name: cluster1\n    principals:\n      - app: {ADMIN_APP}\n        role: AllDatabasesAdmin\n      - app: {KNOWN_APP}\n        role: AllDatabasesMonitor\n        name: ops\n",
            header()
        ),
    );
    let file = file.to_str().unwrap();
    let plan = env.run(&["plan", "-f", file]);
    assert!(
        plan.stdout.contains("0 to add, 1 to replace, 0 to delete"),
        "{plan:?}"
    );
    let run = env.run(&["apply", "-f", file, "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    let left = &env.emu().snapshot().clusters[0].principals;
    let monitor: Vec<&AssignmentState> = left
        .iter()
        .filter(|p| p.principal_id == KNOWN_APP)
        .collect();
    assert_eq!(monitor.len(), 1, "{left:#?}");
    assert_eq!(monitor[0].role, Role::AllDatabasesMonitor);
    assert_ne!(monitor[0].name, "ops", "the old name is not reused");
    assert_eq!(
        env.run(&["plan", "-f", file, "--detailed-exitcode"]).code,
        0
    );
}

#[test]
fn a_create_refused_as_a_duplicate_of_what_the_plan_deletes_holds_the_delete_back() {
    // A tenant change: the file names another tenant for a principal and role that Kusto already
    // holds. Kusto refuses the second assignment; deleting the first would leave the principal with
    // nothing.
    let env = TestEnv::with_state(state(vec![cluster(
        "cluster1",
        vec![
            admin(),
            a(
                "t-old",
                KNOWN_APP,
                PrincipalType::App,
                Role::AllDatabasesViewer,
            ),
        ],
    )]));
    let file = env.write(
        "p.yaml",
        &format!(
            "{}  - name: cluster1\n    principals:\n      - app: {ADMIN_APP}\n        role: AllDatabasesAdmin\n      - app: {KNOWN_APP}\n        role: AllDatabasesViewer\n        tenant: aaaaaaaa-0000-4000-8000-000000000000\n",
            header()
        ),
    );
    let file = file.to_str().unwrap();
    let run = env.run(&["apply", "-f", file, "--auto-approve", "--format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    let created = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["action"] == "create")
        .expect("a create");
    assert_eq!(created["outcome"], "failed", "{report:#}");
    assert!(
        created["message"]
            .as_str()
            .unwrap()
            .contains("`t-old` is to be deleted by this plan"),
        "{report:#}"
    );
    assert_eq!(action(&report, "delete", "t-old")["outcome"], "skipped");
    assert!(
        env.emu().snapshot().clusters[0]
            .principals
            .iter()
            .any(|p| p.name == "t-old"),
        "the principal lost its grant"
    );
}
