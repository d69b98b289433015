//! Issues 6 and 7: `plan --out PLAN.json`, then `apply PLAN.json` applies exactly that plan, or
//! refuses (exit 3, no write) when Azure changed since.

use crate::harness::{TestEnv, repo_file};

fn example(env: &TestEnv) -> String {
    let text = std::fs::read_to_string(repo_file("principals.example.yaml")).unwrap();
    env.write("principals.yaml", &text)
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_fresh_saved_plan_applies_exactly_and_converges() {
    let env = TestEnv::demo();
    let file = example(&env);
    let plan = env.run(&[
        "plan",
        "-f",
        &file,
        "--out",
        "plan.json",
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.code, 2, "{plan:?}");
    let saved = std::fs::read_to_string(env.dir.path().join("plan.json")).unwrap();
    assert!(saved.contains("\"format_version\": 1"), "{saved}");
    assert!(saved.contains("\"fingerprint\": \"sha256:"), "{saved}");

    let apply = env.run(&["apply", "plan.json"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(
        apply
            .stdout
            .contains("Apply complete: 4 changes (3 add, 0 replace, 1 delete) in 4 writes; 4 applied, 0 failed, 0 skipped."),
        "{apply:?}"
    );
    let again = env.run(&["plan", "-f", &file, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
}

#[test]
fn a_stale_saved_plan_is_refused_before_any_write_and_says_what_changed() {
    let env = TestEnv::demo();
    let file = example(&env);
    let plan = env.run(&["plan", "-f", &file, "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");

    // Someone changes the sales database after the plan was reviewed.
    let other = env.write(
        "other.yaml",
        "version: 1\ndefaults:\n  subscription: 12345678-1234-1234-1234-123456789098\n  resource_group: testrg\n  unmanaged: keep\nclusters:\n  - name: mykustocluster\n    unmanaged: keep\n    databases:\n      - name: sales\n        principals:\n          - user: bob@contoso.com\n            role: Admin\n            name: bob-admin\n",
    );
    let sneak = env.run(&[
        "apply",
        "-f",
        other.to_str().unwrap(),
        "--auto-approve",
        "--target",
        "mykustocluster/sales",
    ]);
    assert_eq!(sneak.code, 0, "{sneak:?}");

    let writes_before = env.emu().request_counts().writes();
    let apply = env.run(&["apply", "plan.json", "--auto-approve"]);
    assert_eq!(apply.code, 3, "{apply:?}");
    assert!(apply.stderr.contains("is stale"), "{apply:?}");
    assert!(
        apply
            .stderr
            .contains("mykustocluster/sales: changed since the plan"),
        "{apply:?}"
    );
    assert!(
        apply
            .stderr
            .contains("+ bob-admin user:bob@contoso.com Admin"),
        "{apply:?}"
    );
    assert_eq!(
        env.emu().request_counts().writes(),
        writes_before,
        "no write"
    );
}

#[test]
fn an_unsafe_plan_needs_force() {
    let env = TestEnv::demo();
    // Every cluster admin goes: the verdict is unsafe.
    let file = env.write(
        "unsafe.yaml",
        "version: 1\ndefaults:\n  subscription: 12345678-1234-1234-1234-123456789098\n  resource_group: testrg\nclusters:\n  - name: mykustocluster\n    principals:\n      - user: alice@contoso.com\n        role: AllDatabasesViewer\n",
    );
    let file = file.to_str().unwrap();
    let plan = env.run(&["plan", "-f", file, "--out", "plan.json"]);
    assert!(plan.stdout.contains("UNSAFE"), "{plan:?}");
    assert!(plan.stdout.contains("no AllDatabasesAdmin"), "{plan:?}");

    for args in [
        vec!["apply", "-f", file, "--auto-approve"],
        vec!["apply", "plan.json", "--auto-approve"],
    ] {
        let run = env.run(&args);
        assert_eq!(run.code, 3, "{args:?}: {run:?}");
        assert!(run.stderr.contains("--force"), "{run:?}");
        assert_eq!(env.emu().request_counts().writes(), 0, "{args:?}");
    }
    let forced = env.run(&["apply", "plan.json", "--auto-approve", "--force"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    assert!(env.emu().request_counts().writes() > 0);
}
