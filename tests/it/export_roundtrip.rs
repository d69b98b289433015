//! Issue 8: export a realistic estate, then plan the exported files: no changes.

use kusto_emulator::{AssignmentState, ClusterState, DatabaseState, EmulatorState};
use kusto_emulator::{PrincipalType, Role, ScopeKind};

use crate::harness::TestEnv;

const SUBSCRIPTIONS: [&str; 3] = [
    "aaaaaaaa-0000-4000-8000-000000000001",
    "aaaaaaaa-0000-4000-8000-000000000002",
    "aaaaaaaa-0000-4000-8000-000000000003",
];

fn grant(name: String, t: PrincipalType, id: String, role: Role) -> AssignmentState {
    AssignmentState {
        name,
        principal_id: id,
        principal_type: t,
        role,
        tenant_id: None,
    }
}

/// 3 subscriptions, 10 clusters in 4 resource groups, 40 databases, 600 grants: apps by GUID, users
/// by email, groups by name, portal-style GUID assignment names, and a reader group shared by many
/// databases (what principal sets are for).
fn estate() -> EmulatorState {
    let mut state = kusto_emulator::demo_state();
    state.directory = None;
    let readers = ["ann@contoso.com", "ben@contoso.com", "cat@contoso.com"];
    state.clusters = (0..10)
        .map(|c| {
            let sub = SUBSCRIPTIONS[c % 3];
            let rg = if c == 9 {
                "rg-special"
            } else {
                ["rg-a", "rg-b", "rg-c"][c % 3]
            };
            let app = |n: usize| format!("{c:08x}-{n:04x}-4000-8000-0000000000aa");
            let mut principals = vec![
                grant(
                    "admins".into(),
                    PrincipalType::App,
                    app(0),
                    Role::AllDatabasesAdmin,
                ),
                grant(
                    format!("{:08x}-1111-4222-8333-444455556666", c),
                    PrincipalType::App,
                    app(1),
                    Role::AllDatabasesAdmin,
                ),
            ];
            for u in 0..4 {
                principals.push(grant(
                    format!("viewer-{u}"),
                    PrincipalType::User,
                    format!("ops{u}.c{c}@contoso.com"),
                    Role::AllDatabasesViewer,
                ));
            }
            let databases = (0..4)
                .map(|d| {
                    let mut g: Vec<AssignmentState> = readers
                        .iter()
                        .enumerate()
                        .map(|(i, r)| {
                            grant(
                                format!("reader-{i}"),
                                PrincipalType::User,
                                r.to_string(),
                                Role::Viewer,
                            )
                        })
                        .collect();
                    g.push(grant(
                        format!("{c:08x}-{d:04x}-4abc-8def-0123456789ab"),
                        PrincipalType::User,
                        format!("creator{c}@contoso.com"),
                        Role::Admin,
                    ));
                    g.push(grant(
                        "analysts".into(),
                        PrincipalType::Group,
                        format!("analysts-{d}@contoso.com"),
                        Role::Viewer,
                    ));
                    let extra = if d % 2 == 0 { 9 } else { 8 };
                    for e in 0..extra {
                        // Every role but Viewer: the Viewer holders of database dN are then the
                        // same in every cluster (the readers and analysts-N), which a set is for.
                        let db_roles: Vec<Role> = Role::for_scope(ScopeKind::Database)
                            .iter()
                            .copied()
                            .filter(|r| *r != Role::Viewer)
                            .collect();
                        let role = db_roles[e % db_roles.len()];
                        g.push(grant(
                            format!("svc-{e}"),
                            PrincipalType::App,
                            app(100 + d * 10 + e),
                            role,
                        ));
                    }
                    DatabaseState {
                        name: format!("db{d}"),
                        follower: None,
                        principals: g,
                    }
                })
                .collect();
            ClusterState {
                subscription: sub.to_string(),
                resource_group: rg.to_string(),
                name: format!("kusto{c:02}"),
                location: "West Europe".into(),
                state: Default::default(),
                principals,
                databases,
            }
        })
        .collect();
    state
}

#[test]
fn export_then_plan_reports_no_changes() {
    let state = estate();
    let grants: usize = state
        .clusters
        .iter()
        .map(|c| {
            c.principals.len()
                + c.databases
                    .iter()
                    .map(|d| d.principals.len())
                    .sum::<usize>()
        })
        .sum();
    let dbs: usize = state.clusters.iter().map(|c| c.databases.len()).sum();
    assert_eq!((state.clusters.len(), dbs, grants), (10, 40, 600));
    let env = TestEnv::with_state(state);

    for (i, sub) in SUBSCRIPTIONS.iter().enumerate() {
        let out = format!("exported-{i}.yaml");
        let export = env.run(&["export", "--subscription", sub, "-o", &out]);
        assert_eq!(export.code, 0, "{export:?}");
        assert!(
            export.stderr.contains("exported cluster"),
            "progress on stderr: {export:?}"
        );
        let text = std::fs::read_to_string(env.dir.path().join(&out)).unwrap();
        assert!(
            text.contains("principal_sets:"),
            "the shared readers become a set:\n{text}"
        );
        assert!(text.contains("name: admins"), "names are kept:\n{text}");

        let validate = env.run(&["validate", "-f", &out]);
        assert_eq!(validate.code, 0, "{validate:?}\n{text}");
        let plan = env.run(&["plan", "-f", &out, "--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "{plan:?}\n{text}");
        assert!(plan.stdout.contains("No changes."), "{plan:?}");
    }
    assert_eq!(env.emu().request_counts().writes(), 0);
}

#[test]
fn export_names_a_missing_cluster() {
    let env = TestEnv::demo();
    let run = env.run(&[
        "export",
        "--subscription",
        "12345678-1234-1234-1234-123456789098",
        "--cluster",
        "nosuchcluster",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("`nosuchcluster`"), "{run:?}");
}
