//! Issue 2: validate → plan → apply → plan against the emulator, with the real binary.

use crate::harness::{TestEnv, bare_command, repo_file};

fn example() -> String {
    std::fs::read_to_string(repo_file("principals.example.yaml")).expect("example file")
}

#[test]
fn plan_then_apply_then_plan_converges() {
    let env = TestEnv::demo();
    let file = env.write("principals.yaml", &example());
    let file = file.to_str().unwrap();

    let plan = env.run(&["plan", "-f", file, "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout
            .contains("+ user:alice@contoso.com  AllDatabasesViewer"),
        "{plan:?}"
    );
    assert!(
        plan.stdout.contains(
            "- user:bob@contoso.com (Bob Jones)  AllDatabasesViewer  [portal-added-viewer]"
        ),
        "{plan:?}"
    );
    assert!(
        plan.stdout.contains("+ user:alice@contoso.com  Viewer"),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("+ group:sre-oncall@contoso.com  Monitor"),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("Plan: 3 to add, 0 to replace, 1 to delete."),
        "{plan:?}"
    );
    assert_eq!(
        env.emu().request_counts().writes(),
        0,
        "plan writes nothing"
    );

    let apply = env.run(&["apply", "-f", file, "--auto-approve"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(
        apply
            .stdout
            .contains("Apply complete: 4 changes (3 add, 0 replace, 1 delete) in 4 writes; 4 applied, 0 failed, 0 skipped."),
        "{apply:?}"
    );
    let counts = env.emu().request_counts();
    assert_eq!(
        (counts.get("put"), counts.get("delete")),
        (3, 1),
        "{counts:?}"
    );

    let again = env.run(&["plan", "-f", file, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("No changes."), "{again:?}");
    // The unmanaged grant of the `keep` database is reported but not a change.
    assert!(again.stdout.contains("oncall-monitor"), "{again:?}");
}

#[test]
fn an_invalid_file_exits_1_with_its_place_and_makes_no_request() {
    let env = TestEnv::demo();
    let file = env.write(
        "bad.yaml",
        "version: 1\ndefaults:\n  subscription: 12345678-1234-1234-1234-123456789098\n  resource_group: testrg\nclusters:\n  - name: mykustocluster\n    principals:\n      - app: 87654321-1234-1234-1234-123456789123\n        role: AllDatabaseAdmin\n        colour: blue\n",
    );
    let file = file.to_str().unwrap();
    for cmd in ["validate", "plan", "apply"] {
        let run =
            env.run(&[cmd, "-f", file, "--auto-approve"][..if cmd == "apply" { 4 } else { 3 }]);
        assert_eq!(run.code, 1, "{cmd}: {run:?}");
        assert!(run.stderr.contains("bad.yaml:9:"), "{cmd}: {run:?}");
        assert!(run.stderr.contains("bad.yaml:10:"), "{cmd}: {run:?}");
    }
    let counts = env.emu().request_counts();
    assert_eq!(counts.arm_total(), 0, "{counts:?}");
    assert_eq!(counts.get("token"), 0, "{counts:?}");
}

#[test]
fn the_readme_quick_start_runs_on_the_built_in_emulator() {
    let run: crate::harness::Run = bare_command()
        .current_dir(repo_file(""))
        .args(["plan", "-f", "principals.example.yaml", "--emulator"])
        .output()
        .expect("run")
        .into();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("Plan: 3 to add, 0 to replace, 1 to delete."),
        "{run:?}"
    );
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let env = TestEnv::demo();
    let file = env.write("principals.yaml", &example());
    let run = env.run(&["apply", "-f", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("--auto-approve"), "{run:?}");
    assert_eq!(env.emu().request_counts().writes(), 0);
}
