//! The runner of the action-script tests: a workspace with the emulator, the stand-in `gh` of
//! tests/fixtures/action on PATH (it records every call and keeps comments and issues between runs),
//! a GitHub event payload file and the files a job's steps write to (`$GITHUB_OUTPUT`, the summary).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::{Run, SCRUBBED, TIMEOUT, TestEnv, repo_file};

pub const REPO: &str = "contoso/estate";
pub const HEAD: &str = "1111111111111111111111111111111111111111";
pub const OTHER_HEAD: &str = "3333333333333333333333333333333333333333";
pub const MERGE: &str = "2222222222222222222222222222222222222222";
pub const PLAN_ARTIFACT: &str =
    "kusto-plan-1111111111111111111111111111111111111111-principals.yaml";

/// A runner's workspace: the emulator, the stand-in's state and the GitHub files of one job.
pub struct Runner {
    pub env: TestEnv,
    pub state: PathBuf,
}

/// One run of a script: its exit and stdout/stderr, and what it wrote to `$GITHUB_OUTPUT`.
pub struct ScriptRun {
    pub run: Run,
    pub outputs: HashMap<String, String>,
    pub summary: String,
}

impl Runner {
    pub fn new() -> Self {
        let env = TestEnv::demo();
        let state = env.dir.path().join("gh-state");
        std::fs::create_dir_all(&state).unwrap();
        let example = std::fs::read_to_string(repo_file("principals.example.yaml")).unwrap();
        env.write("principals.yaml", &example);
        Runner { env, state }
    }

    pub fn pull_request_event(&self, head_repo: &str) -> PathBuf {
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
    pub fn script(&self, script: &str, vars: &[(&str, &str)]) -> ScriptRun {
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

    pub fn plan(&self, head_repo: &str) -> ScriptRun {
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

    pub fn apply(&self) -> ScriptRun {
        self.script(
            "apply.sh",
            &[("GITHUB_EVENT_NAME", "push"), ("GITHUB_SHA", MERGE)],
        )
    }

    /// Every `gh` call, as argv.
    pub fn calls(&self) -> Vec<Vec<String>> {
        match std::fs::read_to_string(self.state.join("calls.jsonl")) {
            Ok(text) => text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    pub fn calls_with(&self, method: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.windows(2).any(|w| w[0] == "--method" && w[1] == method))
            .count()
    }

    /// The comments on pull request 42.
    pub fn comments(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.state.join("comments.json")).unwrap_or_default();
        let all: Value = serde_json::from_str(&text).unwrap_or(json!({}));
        all["by_issue"]["42"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Puts a saved plan where the stand-in serves it as artifact NAME of run RUN.
    pub fn publish_artifact(&self, name: &str, run: u64, plan: &Path) {
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
    pub fn merged_pull_request(&self) {
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

    pub fn writes(&self) -> u64 {
        self.env.emu().request_counts().writes()
    }
}

pub fn saved_plan(run: &ScriptRun) -> PathBuf {
    PathBuf::from(&run.outputs["plan-path"])
}
