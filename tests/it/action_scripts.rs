//! Issue 16: the GitHub Action's scripts (`action/*.sh`) run as a runner runs them, against the
//! emulator, with the stand-in `gh` of tests/fixtures/action on PATH (it records every call and keeps
//! comments and issues between runs) and a GitHub event payload file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::{Run, SCRUBBED, TIMEOUT, TestEnv, repo_file};

const REPO: &str = "contoso/estate";
const HEAD: &str = "1111111111111111111111111111111111111111";
const OTHER_HEAD: &str = "3333333333333333333333333333333333333333";
const MERGE: &str = "2222222222222222222222222222222222222222";
const PLAN_ARTIFACT: &str = "kusto-plan-1111111111111111111111111111111111111111-principals.yaml";

/// A runner's workspace: the emulator, the stand-in's state and the GitHub files of one job.
struct Runner {
    env: TestEnv,
    state: PathBuf,
}

/// One run of a script: its exit and stdout/stderr, and what it wrote to `$GITHUB_OUTPUT`.
struct ScriptRun {
    run: Run,
    outputs: HashMap<String, String>,
    summary: String,
}

impl Runner {
    fn new() -> Self {
        let env = TestEnv::demo();
        let state = env.dir.path().join("gh-state");
        std::fs::create_dir_all(&state).unwrap();
        let example = std::fs::read_to_string(repo_file("principals.example.yaml")).unwrap();
        env.write("principals.yaml", &example);
        Runner { env, state }
    }

    fn pull_request_event(&self, head_repo: &str) -> PathBuf {
        let event = json!({
            "action": "synchronize",
            "number": 42,
            "pull_request": {
                "number": 42,
                "head": {"sha": HEAD, "repo": {"full_name": head_repo}},
                "base": {"sha": "0000000000000000000000000000000000000000", "repo": {"full_name": REPO}},
            },
            "repository": {"full_name": REPO},
        });
        self.env.write("event.json", &event.to_string())
    }

    /// Runs `action/SCRIPT` with the emulator's credentials, `gh` and the binary on PATH.
    fn script(&self, script: &str, vars: &[(&str, &str)]) -> ScriptRun {
        let dir = self.env.dir.path();
        let output = dir.join("github-output");
        let summary = dir.join("step-summary");
        std::fs::write(&output, "").unwrap();
        std::fs::write(&summary, "").unwrap();
        let bin = assert_cmd::cargo::cargo_bin("kusto-principals");
        let path = std::env::join_paths(
            [
                repo_file("tests/fixtures/action"),
                bin.parent().unwrap().to_path_buf(),
            ]
            .into_iter()
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
        )
        .unwrap();
        let mut cmd = assert_cmd::Command::new("bash");
        for k in SCRUBBED {
            cmd.env_remove(k);
        }
        cmd.envs(self.env.emu().env())
            .env("PATH", path)
            .env("GH_STUB_DIR", &self.state)
            .env("GH_TOKEN", "token-for-the-stand-in")
            .env("GITHUB_REPOSITORY", REPO)
            .env("GITHUB_RUN_ID", "7")
            .env("GITHUB_SERVER_URL", "https://github.invalid")
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("RUNNER_TEMP", dir.join("runner-temp"))
            .env("KP_FILE", "principals.yaml")
            .env("KP_AUTH", "auto")
            .envs(vars.iter().copied())
            .current_dir(dir)
            .arg(repo_file(&format!("action/{script}")))
            .timeout(TIMEOUT);
        let run: Run = cmd.output().expect("bash runs").into();
        let outputs = std::fs::read_to_string(&output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let summary = std::fs::read_to_string(&summary).unwrap();
        ScriptRun {
            run,
            outputs,
            summary,
        }
    }

    fn plan(&self, head_repo: &str) -> ScriptRun {
        let event = self.pull_request_event(head_repo);
        self.script(
            "plan.sh",
            &[
                ("GITHUB_EVENT_NAME", "pull_request"),
                ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
                ("GITHUB_SHA", MERGE),
            ],
        )
    }

    fn apply(&self) -> ScriptRun {
        self.script(
            "apply.sh",
            &[("GITHUB_EVENT_NAME", "push"), ("GITHUB_SHA", MERGE)],
        )
    }

    /// Every `gh` call, as argv.
    fn calls(&self) -> Vec<Vec<String>> {
        match std::fs::read_to_string(self.state.join("calls.jsonl")) {
            Ok(text) => text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    fn calls_with(&self, method: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.windows(2).any(|w| w[0] == "--method" && w[1] == method))
            .count()
    }

    /// The comments on pull request 42.
    fn comments(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.state.join("comments.json")).unwrap_or_default();
        let all: Value = serde_json::from_str(&text).unwrap_or(json!({}));
        all["by_issue"]["42"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Puts a saved plan where the stand-in serves it as artifact NAME of run RUN.
    fn publish_artifact(&self, name: &str, run: u64, plan: &Path) {
        let dir = self
            .state
            .join("artifacts")
            .join(name)
            .join(run.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(plan, dir.join("plan.json")).unwrap();
    }

    /// What `repos/R/commits/MERGE/pulls` answers: an open PR on the same commit listed first, then
    /// the one merged as MERGE.
    fn merged_pull_request(&self) {
        let pulls = json!([
            {"number": 41, "merged_at": null, "merge_commit_sha": "4444444444444444444444444444444444444444",
             "head": {"sha": OTHER_HEAD}},
            {"number": 42, "merged_at": "2026-12-01T10:00:00Z", "merge_commit_sha": MERGE,
             "head": {"sha": HEAD}},
        ]);
        std::fs::write(
            self.state.join(format!("pulls-{MERGE}.json")),
            pulls.to_string(),
        )
        .unwrap();
    }

    fn writes(&self) -> u64 {
        self.env.emu().request_counts().writes()
    }
}

fn saved_plan(run: &ScriptRun) -> PathBuf {
    PathBuf::from(&run.outputs["plan-path"])
}

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

/// A release directory as dist lays it out. Its `kusto-principals` is a small script that answers
/// `--version` like the binary (packing the 80 MB debug binary with xz would take minutes).
fn fake_release(root: &Path, target: &str) -> (PathBuf, String) {
    let name = format!("kusto-principals-{target}");
    let stage = root.join("stage").join(&name);
    std::fs::create_dir_all(&stage).unwrap();
    let exe = stage.join("kusto-principals");
    std::fs::write(
        &exe,
        format!(
            "#!/bin/sh\necho \"kusto-principals {} (from the archive)\"\n",
            env!("CARGO_PKG_VERSION")
        ),
    )
    .unwrap();
    std::fs::write(stage.join("CHANGELOG.md"), "# Changelog\n").unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let dir = root.join("releases").join(format!("v{version}"));
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join(format!("{name}.tar.xz"));
    let tar = std::process::Command::new("tar")
        .arg("-cJf")
        .arg(&archive)
        .arg("-C")
        .arg(root.join("stage"))
        .arg(&name)
        .status()
        .unwrap();
    assert!(tar.success());
    let digest = {
        use sha2::{Digest, Sha256};
        let bytes = std::fs::read(&archive).unwrap();
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    std::fs::write(
        dir.join(format!("{name}.tar.xz.sha256")),
        format!("{digest} *{name}.tar.xz\n"),
    )
    .unwrap();
    (root.join("releases"), digest)
}

#[test]
fn install_puts_the_release_on_path_only_when_its_sha256_matches() {
    let r = Runner::new();
    let root = r.env.dir.path();
    let (releases, digest) = fake_release(root, "x86_64-unknown-linux-gnu");
    let url = format!("file://{}", releases.display());
    let github_path = root.join("github-path");
    let install = |sha: &str| {
        std::fs::write(&github_path, "").unwrap();
        r.script(
            "install.sh",
            &[
                ("KP_VERSION", env!("CARGO_PKG_VERSION")),
                ("KP_RELEASES_URL", &url),
                ("KP_SHA256", sha),
                ("RUNNER_OS", "Linux"),
                ("RUNNER_ARCH", "X64"),
                ("GITHUB_PATH", github_path.to_str().unwrap()),
            ],
        )
    };
    let bin_dir = root.join("runner-temp").join("kusto-principals-bin");

    let wrong = install(&"0".repeat(64));
    assert_eq!(wrong.run.code, 1, "{:?}", wrong.run);
    assert!(
        wrong.run.stdout.contains("not installed"),
        "{:?}",
        wrong.run
    );
    assert_eq!(std::fs::read_to_string(&github_path).unwrap(), "");
    assert!(!bin_dir.exists());

    let pinned = install(&digest);
    assert_eq!(pinned.run.code, 0, "{:?}", pinned.run);
    assert!(
        pinned.run.stdout.contains(&format!(
            "installed kusto-principals {} (from the archive)",
            env!("CARGO_PKG_VERSION")
        )),
        "the installed copy is the one on PATH: {:?}",
        pinned.run
    );
    assert!(pinned.outputs["version"].starts_with(env!("CARGO_PKG_VERSION")));
    assert_eq!(
        std::fs::read_to_string(&github_path).unwrap().trim(),
        bin_dir.to_str().unwrap()
    );
    assert!(bin_dir.join("kusto-principals").is_file());

    // Without a pinned digest: the release's own checksum, with a warning.
    let unpinned = install("");
    assert_eq!(unpinned.run.code, 0, "{:?}", unpinned.run);
    assert!(
        unpinned.run.stdout.contains("::warning"),
        "{:?}",
        unpinned.run
    );
}
