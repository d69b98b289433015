//! Issue 16: the GitHub Action's scripts (`action/*.sh`) run as a runner runs them, against the
//! emulator, with a stand-in `gh` and a GitHub event payload file (see `action_support`).

use serde_json::Value;

use crate::action_support::{HEAD, OTHER_HEAD, PLAN_ARTIFACT, REPO, Runner, saved_plan};
use crate::harness::repo_file;

#[test]
fn plan_comments_once_updates_that_comment_and_comments_a_failed_plan_too() {
    let r = Runner::new();
    let first = r.plan(REPO);
    assert_eq!(first.run.code, 0, "{:?}", first.run);
    assert_eq!(first.outputs["exitcode"], "2", "{:?}", first.outputs);
    assert_eq!(first.outputs["changes"], "true");
    assert_eq!(first.outputs["saved"], "true");
    assert_eq!(first.outputs["artifact-name"], PLAN_ARTIFACT);
    assert!(saved_plan(&first).is_file());
    let comments = r.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    let body = comments[0]["body"].as_str().unwrap();
    assert!(
        body.starts_with("<!-- kusto-principals plan: principals.yaml -->\n"),
        "{body}"
    );
    assert!(
        body.contains("+ user:alice@contoso.com  AllDatabasesViewer"),
        "{body}"
    );
    assert!(
        body.contains(&format!("artifact `{PLAN_ARTIFACT}`")),
        "{body}"
    );
    let made_by = format!(
        "kusto-principals {}, commit `{HEAD}`",
        env!("CARGO_PKG_VERSION")
    );
    assert!(body.contains(&made_by), "{body}");
    assert!(
        first.summary.contains("+ user:alice@contoso.com"),
        "{}",
        first.summary
    );
    let id = comments[0]["id"].clone();

    // A later push: the same comment, updated; no second one.
    let second = r.plan(REPO);
    assert_eq!(second.run.code, 0, "{:?}", second.run);
    let comments = r.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0]["id"], id);
    assert_eq!((r.calls_with("POST"), r.calls_with("PATCH")), (1, 1));

    // A push whose file names a cluster Azure does not have: the plan fails, the comment says why.
    let example = std::fs::read_to_string(repo_file("principals.example.yaml")).unwrap();
    r.env.write(
        "principals.yaml",
        &example.replace("mykustocluster", "nosuchcluster"),
    );
    let failed = r.plan(REPO);
    assert_eq!(failed.run.code, 1, "{:?}", failed.run);
    assert_eq!(failed.outputs["exitcode"], "1");
    assert_eq!(failed.outputs["saved"], "false");
    let comments = r.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    let body = comments[0]["body"].as_str().unwrap();
    assert!(body.contains("**The plan failed**"), "{body}");
    assert!(body.contains("nosuchcluster"), "{body}");
    assert!(
        !body.contains(&format!("artifact `{PLAN_ARTIFACT}`")),
        "{body}"
    );
    assert_eq!(r.writes(), 0, "plan never writes");
}

#[test]
fn an_invalid_file_gets_annotations_and_a_comment() {
    let r = Runner::new();
    r.env.write("principals.yaml", "clusters:\n  - name: [\n");
    let run = r.plan(REPO);
    assert_eq!(run.run.code, 1, "{:?}", run.run);
    assert!(
        run.run.stdout.contains("::error file=principals.yaml"),
        "{:?}",
        run.run
    );
    let comments = r.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0]["body"]
            .as_str()
            .unwrap()
            .contains("**The plan failed**")
    );
    // The errors, which quote the file, reach the log with workflow commands off.
    let out = &run.run.stdout;
    let start = out.find("::stop-commands::").expect("commands are stopped") + 17;
    let token = out[start..].lines().next().unwrap();
    assert_eq!(token.len(), 32, "{out}");
    let end = out.find(&format!("::{token}::")).expect("and resumed");
    assert!(out[start..end].contains("principals.yaml has"), "{out}");
}

#[test]
fn a_fork_pull_request_gets_the_summary_and_a_notice_instead_of_a_comment() {
    let r = Runner::new();
    let run = r.plan("someone/estate-fork");
    assert_eq!(run.run.code, 0, "{:?}", run.run);
    assert!(
        run.run
            .stdout
            .contains("::notice title=kusto-principals::pull request from the fork")
    );
    assert!(
        run.summary.contains("+ user:alice@contoso.com"),
        "{}",
        run.summary
    );
    assert!(r.calls().is_empty(), "{:?}", r.calls());
    // The plan is still saved: the upload step keeps it.
    assert_eq!(run.outputs["saved"], "true");
}

#[test]
fn apply_takes_the_plan_artifact_of_the_merged_head_sha_and_comments_the_report() {
    let r = Runner::new();
    let plan = r.plan(REPO);
    assert_eq!(plan.outputs["exitcode"], "2", "{:?}", plan.run);
    r.publish_artifact(PLAN_ARTIFACT, 501, &saved_plan(&plan));
    // A decoy: another pull request's artifact, from a later run (not a plan at all).
    r.publish_artifact(
        &format!("kusto-plan-{OTHER_HEAD}-principals.yaml"),
        502,
        &repo_file("tests/fixtures/action/gh"),
    );
    r.merged_pull_request();

    let apply = r.apply();
    assert_eq!(apply.run.code, 0, "{:?}", apply.run);
    assert_eq!(apply.outputs["pull-request"], "42");
    assert_eq!(apply.outputs["exitcode"], "0");
    let downloads: Vec<Vec<String>> = r
        .calls()
        .into_iter()
        .filter(|c| c[..2] == ["run", "download"])
        .collect();
    assert_eq!(downloads.len(), 1, "{downloads:?}");
    assert_eq!(downloads[0][2], "501");
    assert!(
        downloads[0].contains(&PLAN_ARTIFACT.to_string()),
        "{downloads:?}"
    );
    assert_eq!(r.writes(), 4, "the reviewed plan's 3 creates and 1 delete");
    let comments = r.comments();
    let report = comments.last().unwrap()["body"].as_str().unwrap();
    assert!(
        report.starts_with("<!-- kusto-principals apply: principals.yaml -->"),
        "{report}"
    );
    assert!(report.contains("Applied the reviewed plan."), "{report}");
    assert!(report.contains("4 applied, 0 failed"), "{report}");
    // Azure now matches the file.
    let again = r
        .env
        .run(&["plan", "-f", "principals.yaml", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
}

#[test]
fn apply_refuses_a_plan_whose_merged_file_no_longer_replans_to_the_same_changes() {
    let r = Runner::new();
    let plan = r.plan(REPO);
    assert_eq!(plan.outputs["exitcode"], "2", "{:?}", plan.run);
    r.publish_artifact(PLAN_ARTIFACT, 501, &saved_plan(&plan));
    r.merged_pull_request();
    // What was merged differs from what was reviewed: the sre-oncall grant is gone.
    let example = std::fs::read_to_string(repo_file("principals.example.yaml")).unwrap();
    let grant = "          - group: sre-oncall@contoso.com\n            role: Monitor\n";
    assert!(
        example.contains(grant),
        "the example has the sre-oncall grant"
    );
    let changed = example.replace(grant, "");
    r.env.write("principals.yaml", &changed);

    let apply = r.apply();
    assert_eq!(apply.run.code, 3, "{:?}", apply.run);
    assert_eq!(apply.outputs["exitcode"], "3");
    assert_eq!(r.writes(), 0, "a refused plan writes nothing");
    let comments = r.comments();
    let report = comments.last().unwrap()["body"].as_str().unwrap();
    assert!(
        report.contains("**Refused, nothing was written**"),
        "{report}"
    );
}

#[test]
fn apply_without_a_merged_pull_request_or_its_artifact_applies_nothing() {
    let r = Runner::new();
    let none = r.apply();
    assert_eq!(none.run.code, 1, "{:?}", none.run);
    assert!(
        none.run.stdout.contains("no pull request was merged as"),
        "{:?}",
        none.run
    );

    r.merged_pull_request();
    // An artifact of the right name, but uploaded by a run of a fork's workflow: not the reviewed plan.
    r.publish_artifact(PLAN_ARTIFACT, 777, &repo_file("tests/fixtures/action/gh"));
    let from_fork = r
        .state
        .join("artifacts")
        .join(PLAN_ARTIFACT)
        .join("777/run.json");
    std::fs::write(from_fork, r#"{"head_repository_id": 2}"#).unwrap();
    let missing = r.apply();
    assert_eq!(missing.run.code, 1, "{:?}", missing.run);
    assert!(
        missing
            .run
            .stdout
            .contains(&format!("no plan artifact {PLAN_ARTIFACT}"))
    );
    let comments = r.comments();
    assert!(
        comments[0]["body"]
            .as_str()
            .unwrap()
            .contains("Nothing was applied")
    );
    assert_eq!(r.writes(), 0);
}

#[test]
fn drift_opens_one_issue_updates_it_and_closes_it_when_azure_matches_again() {
    let r = Runner::new();
    let first = r.script("drift.sh", &[("GITHUB_EVENT_NAME", "schedule")]);
    assert_eq!(first.run.code, 0, "{:?}", first.run);
    assert_eq!(first.outputs["drift"], "true");
    assert_eq!(first.outputs["saved"], "true");
    assert_eq!(
        first.outputs["artifact-name"],
        "kusto-drift-principals.yaml"
    );
    let second = r.script("drift.sh", &[("GITHUB_EVENT_NAME", "schedule")]);
    assert_eq!(second.run.code, 0, "{:?}", second.run);
    let issues = || -> Vec<Value> {
        let text = std::fs::read_to_string(r.state.join("issues.json")).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    let open = issues();
    assert_eq!(open.len(), 1, "one issue, updated: {open:?}");
    let body = open[0]["body"].as_str().unwrap();
    assert!(
        body.starts_with("<!-- kusto-principals drift: principals.yaml -->"),
        "{body}"
    );
    assert!(body.contains("+ user:alice@contoso.com"), "{body}");
    assert!(
        body.contains("artifact `kusto-drift-principals.yaml`"),
        "{body}"
    );
    assert!(body.chars().count() <= 65_536);

    let apply = r
        .env
        .run(&["apply", "-f", "principals.yaml", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    let matched = r.script("drift.sh", &[("GITHUB_EVENT_NAME", "schedule")]);
    assert_eq!(matched.run.code, 0, "{:?}", matched.run);
    assert_eq!(matched.outputs["drift"], "false");
    assert_eq!(issues()[0]["state"], "closed");
}

#[test]
fn a_comment_by_someone_else_that_quotes_the_marker_is_left_alone() {
    let r = Runner::new();
    let theirs = serde_json::json!({"next": 1000, "by_issue": {"42": [{
        "id": 5,
        "body": "<!-- kusto-principals plan: principals.yaml -->\nlooks good to me",
        "user": {"login": "mallory"},
    }]}});
    std::fs::write(r.state.join("comments.json"), theirs.to_string()).unwrap();
    let run = r.plan(REPO);
    assert_eq!(run.run.code, 0, "{:?}", run.run);
    let comments = r.comments();
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert_eq!(comments[0]["body"], theirs["by_issue"]["42"][0]["body"]);
    assert_eq!(comments[1]["user"]["login"], "github-actions[bot]");
    assert_eq!((r.calls_with("POST"), r.calls_with("PATCH")), (1, 0));
}
