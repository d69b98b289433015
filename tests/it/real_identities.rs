//! Issue 14: real identities and real service states in plan and apply, against the emulator as it
//! now answers like Azure (a user reads back as its mail, a guest's `#EXT#` UPN only in
//! `principalName`, clusters that are stopped, maintenance in the operation result).

use kusto_emulator::{EmulatorOptions, EmulatorState};

use crate::harness::TestEnv;

const SUB: &str = "12345678-1234-1234-1234-123456789098";
const APP_ADMIN: &str = "87654321-1234-1234-1234-123456789123";
const GUEST_UPN: &str = "dana_fabrikam.com#EXT#@contoso.onmicrosoft.com";
const GUEST_OID: &str = "9b0f6a2e-1c3d-4e5f-8a7b-6c5d4e3f2a11";
const ERIN_UPN: &str = "erin.k@contoso.onmicrosoft.com";
const ERIN_MAIL: &str = "erin.kowalski@contoso.com";
const ERIN_OID: &str = "9b0f6a2e-1c3d-4e5f-8a7b-6c5d4e3f2a12";
const FRANK_OID: &str = "9b0f6a2e-1c3d-4e5f-8a7b-6c5d4e3f2a13";
const LOADER_APP: &str = "2c8e7a10-3d4f-4b6a-9c1d-0e2f3a4b5c6d";
const LOADER_SP: &str = "5a1e2c4d-6f70-4812-9abc-def012345603";

/// A directory with a guest, a user whose UPN is not its mail, a user granted by object id and an
/// app granted by its service principal's object id; the cluster holds each of them.
fn state(clusters: &str) -> EmulatorState {
    let text = format!(
        r#"
tenant_id: 12345678-1234-1234-1234-123456789012
tenant_name: Contoso
credentials:
  client_id: 0e0e0e0e-0000-4000-8000-000000000001
  client_secret: emulator-demo-secret
directory:
  - {{type: App, id: {APP_ADMIN}, object_id: 5a1e2c4d-6f70-4812-9abc-def012345601, display_name: deploy-pipeline}}
  - {{type: App, id: {LOADER_APP}, object_id: {LOADER_SP}, display_name: ingestion-service}}
  - {{type: User, id: dana@fabrikam.com, upn: "{GUEST_UPN}", mail: dana@fabrikam.com, object_id: {GUEST_OID}, display_name: Dana Guest}}
  - {{type: User, id: {ERIN_UPN}, mail: {ERIN_MAIL}, object_id: {ERIN_OID}, display_name: Erin Kowalski}}
  - {{type: User, id: frank@contoso.com, object_id: {FRANK_OID}, display_name: Frank Li}}
clusters:
{clusters}
"#
    );
    EmulatorState::from_yaml(&text).expect("a valid emulator state")
}

fn cluster(name: &str, extra: &str) -> String {
    format!(
        r#"  - subscription: {SUB}
    resource_group: rg
    name: {name}
    {extra}
    principals:
      - {{name: admin, principal_id: {APP_ADMIN}, principal_type: App, role: AllDatabasesAdmin}}
    databases:
      - name: sales
        principals: []
"#
    )
}

/// The grants under the spellings a team would write first: the guest by `#EXT#` UPN, the user by
/// UPN, one user by object id, the app by its service principal's object id.
fn first_file(cluster: &str) -> String {
    format!(
        r#"version: 1
defaults:
  subscription: {SUB}
  resource_group: rg
clusters:
  - name: {cluster}
    principals:
      - {{app: {APP_ADMIN}, role: AllDatabasesAdmin}}
    databases:
      - name: sales
        principals:
          - {{user: "{GUEST_UPN}", role: Viewer}}
          - {{user: {ERIN_UPN}, role: Viewer}}
          - {{user: {FRANK_OID}, role: Viewer}}
          - {{app: {LOADER_SP}, role: Ingestor}}
"#
    )
}

/// The same grants in another form each: the guest and Erin by mail, Frank by UPN, the app by app id.
fn other_forms(cluster: &str) -> String {
    format!(
        r#"version: 1
defaults:
  subscription: {SUB}
  resource_group: rg
clusters:
  - name: {cluster}
    principals:
      - {{app: {APP_ADMIN}, role: AllDatabasesAdmin}}
    databases:
      - name: sales
        principals:
          - {{user: dana@fabrikam.com, role: Viewer}}
          - {{user: {ERIN_MAIL}, role: Viewer}}
          - {{user: frank@contoso.com, role: Viewer}}
          - {{app: {LOADER_APP}, role: Ingestor}}
"#
    )
}

#[test]
fn every_identity_form_converges_and_round_trips_through_export() {
    let env = TestEnv::with_state(state(&cluster("kusto1", "")));
    let file = env.write("p.yaml", &first_file("kusto1"));
    let f = file.to_str().unwrap();
    let run = env.run(&["apply", "-f", f, "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    let puts = env
        .emu()
        .write_history()
        .iter()
        .filter(|w| w.method == "PUT")
        .count();
    assert_eq!(puts, 4, "one create per grant");

    // Azure now stores the users as their mail: the same file plans nothing (no create + delete).
    let again = env.run(&["plan", "-f", f, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("No changes"), "{again:?}");
    assert!(
        again
            .stderr
            .contains("name a principal otherwise than Azure stores it"),
        "the note says the spellings differ: {again:?}"
    );

    // Export writes what round-trips; planning the export changes nothing.
    let exported = env.dir.path().join("export.yaml");
    let run = env.run(&[
        "export",
        "--subscription",
        SUB,
        "-o",
        exported.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(
        text.contains("dana@fabrikam.com"),
        "users as the mail ARM stores:\n{text}"
    );
    assert!(text.contains(GUEST_UPN), "the UPN in a comment:\n{text}");
    let plan = env.run(&[
        "plan",
        "-f",
        exported.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.code, 0, "{plan:?}");

    // Each grant in another form: a user by UPN or mail matches through ARM's own fields; the app
    // by its app id needs Graph (ARM keeps the object id it was given).
    let other = env.write("other.yaml", &other_forms("kusto1"));
    let o = other.to_str().unwrap();
    let plain = env.run(&["plan", "-f", o, "--detailed-exitcode"]);
    assert_eq!(
        plain.code, 2,
        "without Graph only the app differs: {plain:?}"
    );
    assert!(plain.stdout.contains(LOADER_APP), "{plain:?}");
    assert!(!plain.stdout.contains("dana"), "{plain:?}");
    let writes_before = env.emu().request_counts().writes();
    let resolved = env.run(&[
        "plan",
        "-f",
        o,
        "--detailed-exitcode",
        "--resolve-principals",
        "graph",
    ]);
    assert_eq!(resolved.code, 0, "{resolved:?}");
    assert_eq!(env.emu().request_counts().writes(), writes_before);
    assert!(
        env.emu()
            .request_log()
            .iter()
            .any(|r| r.path.contains("$batch")),
        "Graph was asked in a batch"
    );
}

#[test]
fn a_principal_graph_cannot_find_is_an_error_at_its_line() {
    let env = TestEnv::with_state(state(&cluster("kusto1", "")));
    let text = first_file("kusto1").replace(ERIN_UPN, "erin.typo@contoso.com");
    let file = env.write("p.yaml", &text);
    let run = env.run(&[
        "plan",
        "-f",
        file.to_str().unwrap(),
        "--resolve-principals",
        "graph",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let line = text.lines().position(|l| l.contains("erin.typo")).unwrap() + 1;
    assert!(
        run.stderr.contains(&format!("p.yaml:{line}:"))
            && run.stderr.contains("erin.typo@contoso.com")
            && run.stderr.contains("not found in Entra ID"),
        "{run:?}"
    );
    assert_eq!(env.emu().request_counts().writes(), 0);
}

#[test]
fn stopped_clusters_are_not_checked_and_never_written() {
    let mut clusters = String::new();
    for i in 0..20 {
        let extra = if [3, 9, 15].contains(&i) {
            "state: Stopped"
        } else {
            ""
        };
        clusters.push_str(&cluster(&format!("kusto{i:02}"), extra));
    }
    let env = TestEnv::with_state(state(&clusters));
    let mut file =
        format!("version: 1\ndefaults:\n  subscription: {SUB}\n  resource_group: rg\nclusters:\n");
    for i in 0..20 {
        file.push_str(&format!(
            "  - name: kusto{i:02}\n    principals:\n      - {{app: {APP_ADMIN}, role: AllDatabasesAdmin}}\n    databases:\n      - name: sales\n        principals:\n          - {{user: frank@contoso.com, role: Viewer}}\n"
        ));
    }
    let path = env.write("fleet.yaml", &file);
    let f = path.to_str().unwrap();

    let plan = env.run(&["plan", "-f", f, "--detailed-exitcode", "--format", "json"]);
    assert_eq!(plan.code, 2, "the running clusters have changes: {plan:?}");
    let doc: serde_json::Value = serde_json::from_str(&plan.stdout).expect("json plan");
    let skipped: Vec<String> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}:{}",
                s["scope"]["cluster"].as_str().unwrap(),
                s["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(skipped.len(), 6, "{skipped:?}");
    for c in ["kusto03", "kusto09", "kusto15"] {
        assert!(
            skipped.contains(&format!("{c}:cluster is Stopped")),
            "{skipped:?}"
        );
        assert!(
            plan.stderr.contains(&format!("`{c}` (cluster is Stopped)")),
            "{plan:?}"
        );
    }
    assert_eq!(doc["changes"].as_array().unwrap().len(), 17);

    let apply = env.run(&["apply", "-f", f, "--auto-approve"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    let writes = env.emu().write_history();
    assert_eq!(writes.len(), 17, "one create per running cluster");
    assert!(
        writes.iter().all(|w| !["kusto03", "kusto09", "kusto15"]
            .iter()
            .any(|c| w.scope.starts_with(c))),
        "nothing written to a stopped cluster"
    );

    // Converged everywhere else: the drift check is green while three clusters sleep.
    let drift = env.run(&["plan", "-f", f, "--detailed-exitcode"]);
    assert_eq!(drift.code, 0, "{drift:?}");
    assert!(drift.stdout.contains("not checked"), "{drift:?}");
    let strict = env.run(&["plan", "-f", f, "--stopped-clusters", "error"]);
    assert_eq!(strict.code, 1, "{strict:?}");
}

#[test]
fn maintenance_in_the_operation_result_is_waited_out() {
    let env = TestEnv::with_options(
        state(&cluster("kusto1", "")),
        EmulatorOptions::default().maintenance(2, 0.0),
    );
    let file = env.write("p.yaml", &first_file("kusto1"));
    let run = env.run(&["apply", "-f", file.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("ServiceIsInMaintenance"),
        "the wait is shown: {run:?}"
    );
    let history = env.emu().write_history();
    let failed = history
        .iter()
        .filter(|w| w.operation_status.as_deref() == Some("Failed"))
        .count();
    assert_eq!(failed, 2, "{history:#?}");
    let again = env.run(&["plan", "-f", file.to_str().unwrap(), "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "converged in one run: {again:?}");
}

/// A follower database is shown as one; with `principalsModificationKind` None its own grants cannot
/// take effect, so granting there is an error of that scope; export marks followers.
#[test]
fn follower_databases_are_known_by_their_kind() {
    let leader = format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Kusto/clusters/leader1"
    );
    let clusters = format!(
        r#"  - subscription: {SUB}
    resource_group: rg
    name: kusto1
    principals:
      - {{name: admin, principal_id: {APP_ADMIN}, principal_type: App, role: AllDatabasesAdmin}}
    databases:
      - name: union1
        follower: {{leader_cluster_resource_id: "{leader}", principals_modification_kind: Union}}
        principals: []
      - name: none1
        follower: {{leader_cluster_resource_id: "{leader}", principals_modification_kind: None}}
        principals: []
"#
    );
    let env = TestEnv::with_state(state(&clusters));
    let file = env.write(
        "p.yaml",
        &format!(
            "version: 1\ndefaults:\n  subscription: {SUB}\n  resource_group: rg\nclusters:\n  - name: kusto1\n    principals:\n      - {{app: {APP_ADMIN}, role: AllDatabasesAdmin}}\n    databases:\n      - name: union1\n        principals:\n          - {{user: frank@contoso.com, role: Viewer}}\n      - name: none1\n        principals:\n          - {{user: frank@contoso.com, role: Viewer}}\n"
        ),
    );
    let plan = env.run(&["plan", "-f", file.to_str().unwrap()]);
    assert_eq!(
        plan.code, 1,
        "the None follower cannot take the grant: {plan:?}"
    );
    assert!(
        plan.stdout
            .contains("union1: follows leader1 (principalsModificationKind Union)"),
        "{plan:?}"
    );
    assert!(
        plan.stdout.contains("principalsModificationKind None"),
        "{plan:?}"
    );
    assert!(
        plan.stdout.contains("+ user:frank@contoso.com"),
        "the Union follower is planned: {plan:?}"
    );
    let lists = env
        .emu()
        .request_log()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/databases"))
        .count();
    assert_eq!(
        lists, 1,
        "one database list for the cluster, not a GET per database"
    );

    let out = env.dir.path().join("export.yaml");
    let run = env.run(&["export", "--subscription", SUB, "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("# follower of cluster leader1 (principalsModificationKind None): grants of its own cannot take effect"),
        "{text}"
    );
}

/// A saved plan made while a cluster ran, applied after it stopped: nothing is written there, the
/// rest is applied, and the output says which scopes were set aside and why.
#[test]
fn a_saved_plan_never_writes_to_a_cluster_that_stopped_since() {
    let clusters =
        |stopped: &str| format!("{}{}", cluster("kusto01", ""), cluster("kusto02", stopped));
    let env = TestEnv::with_state(state(&clusters("")));
    let mut file =
        format!("version: 1\ndefaults:\n  subscription: {SUB}\n  resource_group: rg\nclusters:\n");
    for c in ["kusto01", "kusto02"] {
        file.push_str(&format!(
            "  - name: {c}\n    principals:\n      - {{app: {APP_ADMIN}, role: AllDatabasesAdmin}}\n    databases:\n      - name: sales\n        principals:\n          - {{user: frank@contoso.com, role: Viewer}}\n"
        ));
    }
    let path = env.write("two.yaml", &file);
    let plan_path = env.dir.path().join("plan.json");
    let plan = env.run(&[
        "plan",
        "-f",
        path.to_str().unwrap(),
        "--out",
        plan_path.to_str().unwrap(),
    ]);
    assert_eq!(plan.code, 0, "{plan:?}");
    env.emu().reset(Some(state(&clusters("state: Stopped"))));

    let apply = env.run(&["apply", plan_path.to_str().unwrap()]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(
        apply
            .stderr
            .contains("not applied because their cluster is not Running")
            && apply.stderr.contains("cluster is Stopped"),
        "{apply:?}"
    );
    let writes = env.emu().write_history();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert!(writes[0].scope.starts_with("kusto01"), "{writes:#?}");

    let strict = env.run(&[
        "apply",
        plan_path.to_str().unwrap(),
        "--stopped-clusters",
        "error",
    ]);
    assert_eq!(strict.code, 3, "{strict:?}");
    assert!(
        strict.stderr.contains("--stopped-clusters error"),
        "{strict:?}"
    );
    assert_eq!(env.emu().write_history().len(), 1, "nothing more written");
}
