//! Issue 12: a saved plan is input like any other. Edited plans are refused before any write,
//! the safety verdict is recomputed, `apply PLAN.json -f FILE` applies only what FILE plans now,
//! and a plan applied already exits 0.

use serde_json::{Value, json};

use crate::harness::{Run, TestEnv, repo_file};

fn example(env: &TestEnv) -> String {
    let text = std::fs::read_to_string(repo_file("principals.example.yaml")).unwrap();
    env.write("principals.yaml", &text)
        .to_str()
        .unwrap()
        .to_string()
}

/// `plan --out plan.json` of the example file, parsed.
fn saved(env: &TestEnv, file: &str) -> Value {
    let plan = env.run(&["plan", "-f", file, "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let text = std::fs::read_to_string(env.dir.path().join("plan.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Writes `doc` as plan.json and applies it; asserts nothing reached ARM.
fn apply_refused(env: &TestEnv, doc: &Value, extra: &[&str]) -> Run {
    env.write("plan.json", &serde_json::to_string_pretty(doc).unwrap());
    let before = env.emu().request_counts().writes();
    let mut args = vec!["apply", "plan.json", "--auto-approve"];
    args.extend_from_slice(extra);
    let run = env.run(&args);
    assert_ne!(run.code, 0, "{run:?}");
    assert_eq!(
        env.emu().request_counts().writes(),
        before,
        "no write: {run:?}"
    );
    run
}

#[test]
fn apply_with_the_file_applies_the_same_changes_then_says_already_applied() {
    let env = TestEnv::demo();
    let file = example(&env);
    saved(&env, &file);
    let apply = env.run(&["apply", "plan.json", "-f", &file]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(apply.stdout.contains("4 applied, 0 failed"), "{apply:?}");
    let writes = env.emu().request_counts().writes();

    // A CI retry of the same job, with and without the file.
    for args in [
        vec!["apply", "plan.json", "-f", &file],
        vec!["apply", "plan.json"],
    ] {
        let again = env.run(&args);
        assert_eq!(again.code, 0, "{args:?}: {again:?}");
        assert!(again.stdout.contains("is already applied"), "{again:?}");
        assert!(!again.stderr.contains("stale"), "{again:?}");
        assert_eq!(env.emu().request_counts().writes(), writes, "{args:?}");
    }
}

#[test]
fn apply_with_a_changed_file_is_refused_and_says_how() {
    let env = TestEnv::demo();
    let file = example(&env);
    saved(&env, &file);
    // The merged file no longer grants alice the cluster viewer role the plan creates.
    let text = std::fs::read_to_string(&file).unwrap();
    let changed = text.replacen(
        "      - user: alice@contoso.com\n        role: AllDatabasesViewer\n",
        "",
        1,
    );
    assert_ne!(changed, text);
    let changed = env.write("merged.yaml", &changed);
    let before = env.emu().request_counts().writes();
    let run = env.run(&["apply", "plan.json", "-f", changed.to_str().unwrap()]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(env.emu().request_counts().writes(), before, "no write");
    assert!(run.stderr.contains("does not match"), "{run:?}");
    assert!(
        run.stderr
            .contains("reviewed, not planned from the file now: create")
            && run
                .stderr
                .contains("user:alice@contoso.com AllDatabasesViewer"),
        "{run:?}"
    );
}

#[test]
fn an_appended_delete_is_refused_alone_and_against_the_file() {
    let env = TestEnv::demo();
    let file = example(&env);
    let mut doc = saved(&env, &file);
    // A delete of something never listed: the loader refuses it.
    let mut delete = doc["changes"][0].clone();
    delete["action"] = json!("delete");
    delete["principal_id"] = json!("mallory@contoso.com");
    delete["principal_type"] = json!("User");
    delete["name"] = json!("made-up");
    doc["changes"].as_array_mut().unwrap().push(delete);
    let run = apply_refused(&env, &doc, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("not in what was listed at its scope"),
        "{run:?}"
    );

    // A delete of something listed, which the file keeps: only the re-plan can tell; it refuses.
    let mut doc = saved(&env, &file);
    let scope = doc["scopes"][0].clone();
    let entry = scope["listed"][0].clone();
    let mut delete = entry.clone();
    delete["action"] = json!("delete");
    delete["scope"] = scope["scope"].clone();
    delete["display_name"] = Value::Null;
    delete["object_id"] = Value::Null;
    doc["changes"].as_array_mut().unwrap().push(delete);
    let run = apply_refused(&env, &doc, &["-f", &file]);
    assert_eq!(run.code, 3, "{run:?}");
    let name = entry["name"].as_str().unwrap();
    assert!(
        run.stderr
            .contains("reviewed, not planned from the file now: delete")
            && run.stderr.contains(&format!("name={name}")),
        "{run:?}"
    );
}

#[test]
fn plans_without_fingerprints_or_with_relative_scopes_are_refused() {
    let env = TestEnv::demo();
    let file = example(&env);
    let mut doc = saved(&env, &file);
    doc["scopes"] = json!([]);
    let run = apply_refused(&env, &doc, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("has no fingerprint in `scopes`"),
        "{run:?}"
    );

    let mut doc = saved(&env, &file);
    for c in doc["changes"].as_array_mut().unwrap() {
        c["scope"]["database"] = json!("..");
    }
    let run = apply_refused(&env, &doc, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("changes[0].scope.database"), "{run:?}");
}

#[test]
fn target_with_a_saved_plan_is_a_usage_error() {
    let env = TestEnv::demo();
    let file = example(&env);
    let doc = saved(&env, &file);
    let run = apply_refused(&env, &doc, &["--target", "mykustocluster"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("--target cannot be used with a saved plan"),
        "{run:?}"
    );
}

#[test]
fn an_edited_safety_verdict_is_not_believed() {
    let env = TestEnv::demo();
    // Every cluster admin goes: the verdict is unsafe.
    let file = env.write(
        "unsafe.yaml",
        "version: 1\ndefaults:\n  subscription: 12345678-1234-1234-1234-123456789098\n  resource_group: testrg\nclusters:\n  - name: mykustocluster\n    principals:\n      - user: alice@contoso.com\n        role: AllDatabasesViewer\n",
    );
    let mut doc = saved(&env, file.to_str().unwrap());
    assert_eq!(doc["safety"]["ok"], json!(false));
    doc["safety"] = json!({"ok": true, "reasons": []});
    let run = apply_refused(&env, &doc, &[]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("no AllDatabasesAdmin") && run.stderr.contains("--force"),
        "{run:?}"
    );
    assert!(run.stderr.contains("default safety rules"), "{run:?}");
    let file = file.to_str().unwrap();
    let run = apply_refused(&env, &doc, &["-f", file]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("no AllDatabasesAdmin") && run.stderr.contains("--force"),
        "{run:?}"
    );
}

#[test]
fn a_targeted_plan_is_replanned_with_its_targets() {
    let env = TestEnv::demo();
    let file = example(&env);
    let plan = env.run(&[
        "plan",
        "-f",
        &file,
        "--target",
        "mykustocluster/sales",
        "--out",
        "plan.json",
    ]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let apply = env.run(&["apply", "plan.json", "-f", &file]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(apply.stdout.contains("1 applied, 0 failed"), "{apply:?}");
    // The other scopes were neither planned nor written: they still differ from the file.
    let rest = env.run(&["plan", "-f", &file, "--detailed-exitcode"]);
    assert_eq!(rest.code, 2, "{rest:?}");
    assert!(
        !rest.stdout.contains("database mykustocluster/sales"),
        "{rest:?}"
    );
}
