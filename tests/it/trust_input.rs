//! Trust boundaries of what comes in (issue #12): names and URLs, the file's text, ARM's listings,
//! provisioning states. Each test runs the real binary against a scripted stub ARM and asserts what
//! reached ARM (the stub's request log) and what the user saw.

use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};

use crate::arm_stub::{Answer, SUB, Seen, Stub, c1, listed, run_on_stub};
use crate::harness::TestEnv;

const ADMIN_APP: &str = "87654321-1234-1234-1234-123456789123";
const NEW_ADMIN_APP: &str = "22222222-1234-1234-1234-123456789123";

fn file_with(env: &TestEnv, cluster_body: &str) -> String {
    let text = format!(
        "version: 1\ndefaults:\n  subscription: {SUB}\n  resource_group: rg\nclusters:\n  - name: stubcluster\n{cluster_body}"
    );
    env.write("trust.yaml", &text).to_str().unwrap().to_string()
}

fn admin_file(env: &TestEnv, app: &str) -> String {
    file_with(
        env,
        &format!("    principals:\n      - app: {app}\n        role: AllDatabasesAdmin\n"),
    )
}

fn page(items: Vec<Value>) -> Answer {
    Answer::json(200, json!({ "value": items }))
}

fn with_state(mut item: Value, state: &str) -> Value {
    item["properties"]["provisioningState"] = json!(state);
    item
}

/// A stub that answers every GET with `list(seen)` and refuses every write (a test that expects no
/// write sees the refusal in its log if one came).
fn list_stub(env: &TestEnv, list: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Stub {
    Stub::start(env, move |seen, _| match seen.method.as_str() {
        "GET" => list(seen),
        _ => Answer::error(500, "UnexpectedWrite", "this test expects no write"),
    })
}

fn writes(stub: &Stub) -> Vec<String> {
    stub.seen()
        .into_iter()
        .filter(|s| s.method != "GET")
        .map(|s| format!("{} {}", s.method, s.path))
        .collect()
}

#[test]
fn a_database_named_dot_dot_is_refused_at_its_place_with_no_request() {
    let env = TestEnv::demo();
    let file = file_with(
        &env,
        &format!(
            "    databases:\n      - name: \"..\"\n        principals:\n          - app: {ADMIN_APP}\n            role: Viewer\n"
        ),
    );
    let stub = list_stub(&env, |_| page(vec![]));
    let commands: [&[&str]; 3] = [
        &["validate", "-f", &file],
        &["plan", "-f", &file],
        &["apply", "-f", &file, "--auto-approve"],
    ];
    for args in commands {
        let run = run_on_stub(&env, &stub, args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(
            run.stderr
                .contains("trust.yaml:8:15: `..` is not a valid database name"),
            "{args:?}: {run:?}"
        );
    }
    assert!(stub.seen().is_empty(), "{:#?}", stub.seen());
}

#[test]
fn an_assignment_name_with_a_trailing_tab_is_refused_with_no_request() {
    let env = TestEnv::demo();
    let file = file_with(
        &env,
        &format!(
            "    principals:\n      - app: {ADMIN_APP}\n        role: AllDatabasesAdmin\n        name: \"admin\\t\"\n"
        ),
    );
    let stub = list_stub(&env, |_| page(vec![]));
    let run = run_on_stub(&env, &stub, &["apply", "-f", &file, "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("trust.yaml:10:15: `admin\\t` is not a valid assignment name"),
        "{run:?}"
    );
    assert!(stub.seen().is_empty(), "{:#?}", stub.seen());
}

#[test]
fn a_nul_byte_is_refused_at_its_place_and_the_lines_after_it_are_not_lost() {
    let env = TestEnv::demo();
    let file = file_with(
        &env,
        &format!(
            "    principals:\n      - app: {ADMIN_APP}\n        role: AllDatabasesAdmin\n\0      - user: mallory@contoso.com\n        role: AllDatabasesAdmin\n"
        ),
    );
    let stub = list_stub(&env, |_| page(vec![]));
    let run = run_on_stub(&env, &stub, &["plan", "-f", &file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("trust.yaml:10:1: a NUL byte (U+0000) is not allowed in YAML"),
        "{run:?}"
    );
    assert!(stub.seen().is_empty(), "{:#?}", stub.seen());
}

#[test]
fn names_reach_arm_percent_encoded_one_segment_each() {
    let env = TestEnv::demo();
    let file = file_with(
        &env,
        "    databases:\n      - name: Sales 2024.v1\n        principals: []\n",
    );
    let stub = list_stub(&env, |_| page(vec![]));
    let run = run_on_stub(&env, &stub, &["plan", "-f", &file]);
    assert_eq!(run.code, 0, "{run:?}");
    let paths: Vec<String> = stub.seen().into_iter().map(|s| s.path).collect();
    assert!(
        paths.contains(&format!(
            "{}/databases/Sales%202024.v1/principalAssignments",
            c1()
        )),
        "{paths:#?}"
    );
}

/// The stub lists the admin three times: as `admin`, as `ADMIN` on the same page, and again on a
/// second page. It is one assignment; the plan keeps it and deletes nothing.
#[test]
fn a_listing_repeating_the_kept_name_plans_no_delete_of_it() {
    let env = TestEnv::demo();
    let file = admin_file(&env, ADMIN_APP);
    let url: Arc<OnceLock<String>> = Arc::default();
    let at = url.clone();
    let stub = list_stub(&env, move |seen| {
        let admin = listed("admin", ADMIN_APP, "AllDatabasesAdmin");
        let mut upper = listed("ADMIN", ADMIN_APP, "AllDatabasesAdmin");
        upper["name"] = json!("stubcluster/ADMIN");
        if seen.query.contains("skiptoken") {
            return page(vec![admin]);
        }
        let next = format!(
            "{}{}?api-version=2024-04-13&$skiptoken=2",
            at.get().unwrap(),
            seen.path
        );
        Answer::json(200, json!({"value": [admin, upper], "nextLink": next}))
    });
    url.set(stub.url.clone()).unwrap();
    let run = run_on_stub(&env, &stub, &["plan", "-f", &file, "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("No changes."), "{run:?}");
    let run = run_on_stub(&env, &stub, &["apply", "-f", &file, "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(writes(&stub), Vec::<String>::new());
}

#[test]
fn one_name_listed_for_two_grants_is_an_error_of_its_scope_and_nothing_is_written() {
    let env = TestEnv::demo();
    let file = admin_file(&env, ADMIN_APP);
    let stub = list_stub(&env, |_| {
        page(vec![
            listed("admin", ADMIN_APP, "AllDatabasesAdmin"),
            listed("Admin", NEW_ADMIN_APP, "AllDatabasesViewer"),
        ])
    });
    let run = run_on_stub(&env, &stub, &["apply", "-f", &file, "--auto-approve"]);
    assert_ne!(run.code, 0, "{run:?}");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("ARM listed the assignment name `Admin` twice with different grants"),
        "{run:?}"
    );
    assert_eq!(writes(&stub), Vec::<String>::new());
}

#[test]
fn a_listed_assignment_from_another_scope_is_not_planned_on_and_a_warning_names_it() {
    let env = TestEnv::demo();
    let file = admin_file(&env, ADMIN_APP);
    let elsewhere = c1().replace("stubcluster", "othercluster");
    let stub = list_stub(&env, move |_| {
        let mut foreign = listed("intruder", NEW_ADMIN_APP, "AllDatabasesViewer");
        foreign["id"] = json!(format!("{elsewhere}/principalAssignments/intruder"));
        page(vec![
            listed("admin", ADMIN_APP, "AllDatabasesAdmin"),
            foreign,
        ])
    });
    let run = run_on_stub(&env, &stub, &["apply", "-f", &file, "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "stubcluster: ARM listed assignment `intruder` with id `{}/principalAssignments/intruder`, which is not under the scope it was listed from; not planning on it",
            c1().replace("stubcluster", "othercluster")
        )),
        "{run:?}"
    );
    assert_eq!(writes(&stub), Vec::<String>::new());
}

#[test]
fn a_list_body_without_value_is_an_error_not_an_empty_scope() {
    let env = TestEnv::demo();
    let file = admin_file(&env, ADMIN_APP);
    let stub = list_stub(&env, |_| Answer::json(200, json!({"nextLink": null})));
    let run = run_on_stub(&env, &stub, &["apply", "-f", &file, "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "list principal assignments `{}/principalAssignments`",
            c1()
        )) && run.stderr.contains("missing field `value`"),
        "{run:?}"
    );
    // Read as empty, the scope would have planned a create of the admin.
    assert_eq!(writes(&stub), Vec::<String>::new());
}

/// The case: the new admin is still `Creating` (a killed apply, the portal). It is not
/// counted, so deleting the old admin would leave the cluster with none: unsafe, refused.
#[test]
fn a_creating_admin_is_not_counted_and_the_plan_is_unsafe() {
    let env = TestEnv::demo();
    let file = admin_file(&env, NEW_ADMIN_APP);
    let stub = list_stub(&env, |_| {
        page(vec![
            listed("old-admin", ADMIN_APP, "AllDatabasesAdmin"),
            with_state(
                listed("new-admin", NEW_ADMIN_APP, "AllDatabasesAdmin"),
                "Creating",
            ),
        ])
    });
    let run = run_on_stub(&env, &stub, &["plan", "-f", &file]);
    assert!(
        run.stdout
            .contains("stubcluster would be left with no AllDatabasesAdmin (it has 1 now)"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("[new-admin]  Creating (not Succeeded)"),
        "{run:?}"
    );
    // Not created again either: no `+` line for the pending grant.
    assert!(
        run.stdout
            .contains("Plan: 0 to add, 0 to replace, 1 to delete."),
        "{run:?}"
    );
    let json = run_on_stub(&env, &stub, &["plan", "-f", &file, "--format", "json"]);
    let doc: Value = serde_json::from_str(&json.stdout).expect("json plan");
    assert_eq!(doc["safety"]["ok"], false, "{doc:#}");
    assert_eq!(doc["summary"]["pending"], 1, "{doc:#}");
    assert_eq!(doc["pending"][0]["name"], "new-admin", "{doc:#}");
    assert_eq!(
        doc["pending"][0]["provisioning_state"], "Creating",
        "{doc:#}"
    );

    let run = run_on_stub(&env, &stub, &["apply", "-f", &file, "--auto-approve"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(writes(&stub), Vec::<String>::new());
}

/// A role change whose new grant is still `Creating`: the old grant's delete waits for it.
#[test]
fn the_old_half_of_a_role_change_waits_while_the_new_grant_is_creating() {
    let env = TestEnv::demo();
    let file = file_with(
        &env,
        &format!(
            "    principals:\n      - app: {ADMIN_APP}\n        role: AllDatabasesAdmin\n      - user: alice@contoso.com\n        role: AllDatabasesMonitor\n"
        ),
    );
    let stub = list_stub(&env, |_| {
        let user = |name: &str, role: &str| {
            let mut a = listed(name, "alice@contoso.com", role);
            a["properties"]["principalType"] = json!("User");
            a
        };
        page(vec![
            listed("admin", ADMIN_APP, "AllDatabasesAdmin"),
            user("alice-viewer", "AllDatabasesViewer"),
            with_state(user("alice-monitor", "AllDatabasesMonitor"), "Creating"),
        ])
    });
    let run = run_on_stub(&env, &stub, &["plan", "-f", &file]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(
            "[alice-viewer]  delete waits until [alice-monitor], which replaces it, has succeeded"
        ),
        "{run:?}"
    );
    let run = run_on_stub(&env, &stub, &["apply", "-f", &file, "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(writes(&stub), Vec::<String>::new());
}

/// Every database in `v` (a saved plan) renamed to `name`.
fn rename_databases(v: &mut Value, name: &str) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if k == "database" && x.is_string() {
                    *x = json!(name);
                } else {
                    rename_databases(x, name);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| rename_databases(x, name)),
        _ => {}
    }
}

/// Whatever validates a saved plan, the URL builder is the last line: a scope `..` in a saved plan
/// never becomes a request, let alone a delete at the cluster.
#[test]
fn a_saved_plan_naming_database_dot_dot_sends_nothing_there() {
    let env = TestEnv::demo();
    let text =
        std::fs::read_to_string(crate::harness::repo_file("principals.example.yaml")).unwrap();
    let file = env.write("principals.yaml", &text);
    let plan = env.run(&["plan", "-f", file.to_str().unwrap(), "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let path = env.dir.path().join("plan.json");
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    rename_databases(&mut saved, "..");
    std::fs::write(&path, saved.to_string()).unwrap();
    let before = env.emu().request_log().len();

    let apply = env.run(&["apply", "plan.json"]);
    assert_ne!(apply.code, 0, "{apply:?}");
    assert!(apply.stderr.contains("`..`"), "{apply:?}");
    assert!(
        env.emu().write_history().is_empty(),
        "{:#?}",
        env.emu().write_history()
    );
    let sent = env.emu().request_log();
    assert!(
        sent[before..]
            .iter()
            .all(|r| !r.path.contains("/..") && !r.path.contains("%2E")),
        "{:#?}",
        &sent[before..]
    );
}
