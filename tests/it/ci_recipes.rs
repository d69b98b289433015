//! Issues 8 and 16: the CI recipes under `examples/` parse; the GitHub workflows use the action with
//! inputs it has; and every `kusto-principals` command that the Azure recipe and the action's
//! scripts run exists with those flags.

use std::collections::BTreeSet;

use clap::Parser;
use kusto_principals::cli::Cli;

use crate::harness::repo_file;

const GITHUB_RECIPES: &[&str] = &[
    "examples/github-actions/plan.yml",
    "examples/github-actions/apply.yml",
    "examples/github-actions/drift.yml",
    ".github/workflows/action-selftest.yml",
];

/// Files whose shell runs `kusto-principals` directly.
const SCRIPTS: &[&str] = &[
    "examples/azure-pipelines.yml",
    "action/plan.sh",
    "action/apply.sh",
    "action/drift.sh",
];

fn yaml(rel: &str) -> serde_yaml::Value {
    let text = std::fs::read_to_string(repo_file(rel)).expect("recipe exists");
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not YAML: {e}"))
}

/// The scripts of a pipeline: the values of `run`, `script` and `inlineScript` keys.
fn strings(v: &serde_yaml::Value, out: &mut Vec<String>) {
    match v {
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|i| strings(i, out)),
        serde_yaml::Value::Mapping(m) => {
            for (k, v) in m {
                match (k.as_str(), v.as_str()) {
                    (Some("run" | "script" | "inlineScript"), Some(script)) => {
                        out.push(script.to_string())
                    }
                    _ => strings(v, out),
                }
            }
        }
        serde_yaml::Value::Tagged(t) => strings(&t.value, out),
        _ => {}
    }
}

/// A shell word as the parser would see it: the action's extra options go, `$KP_AUTH` is an auth
/// method, any other expansion is some path.
fn word(w: String) -> Option<String> {
    match w.as_str() {
        "${KP_EXTRA[@]}" => None,
        "$KP_AUTH" => Some("github-oidc".into()),
        _ if w.contains('$') => Some("x".into()),
        _ => Some(w),
    }
}

/// The `kusto-principals …` invocations in a script (continued lines joined), without redirections.
fn invocations(script: &str) -> Vec<Vec<String>> {
    script
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("kusto-principals "))
        .map(|l| {
            let words = shlex::split(l).unwrap_or_else(|| panic!("unbalanced quotes: {l}"));
            words
                .into_iter()
                .take_while(|w| !w.starts_with('>') && !w.starts_with("2>") && w != "|")
                .take_while(|w| w != "&&")
                .filter_map(word)
                .collect()
        })
        .collect()
}

#[test]
fn every_command_the_recipes_and_the_action_run_parses() {
    let mut seen = 0;
    for rel in SCRIPTS {
        let scripts = if rel.ends_with(".sh") {
            vec![std::fs::read_to_string(repo_file(rel)).unwrap()]
        } else {
            let mut all = Vec::new();
            strings(&yaml(rel), &mut all);
            all
        };
        let commands: Vec<Vec<String>> = scripts.iter().flat_map(|s| invocations(s)).collect();
        assert!(
            !commands.is_empty(),
            "{rel} runs no kusto-principals command"
        );
        for words in commands {
            if let Err(e) = Cli::try_parse_from(&words) {
                panic!("{rel}: `{}` does not parse:\n{e}", words.join(" "));
            }
            seen += 1;
        }
    }
    assert!(seen >= 9, "only {seen} commands found");
}

/// The `with:` of every step that uses the action (remotely pinned, or `./` in this repository).
fn action_steps(doc: &serde_yaml::Value) -> Vec<serde_yaml::Mapping> {
    let mut out = Vec::new();
    for job in doc["jobs"].as_mapping().expect("jobs").values() {
        for step in job["steps"].as_sequence().expect("steps") {
            let uses = step["uses"].as_str().unwrap_or_default();
            if uses == "./" || uses.starts_with("kusto-principals/kusto-principals@") {
                out.push(step["with"].as_mapping().cloned().unwrap_or_default());
            }
        }
    }
    out
}

#[test]
fn the_github_workflows_use_the_action_with_inputs_it_has_and_every_mode() {
    let action = yaml("action.yml");
    let inputs: BTreeSet<&str> = action["inputs"]
        .as_mapping()
        .expect("inputs")
        .keys()
        .filter_map(|k| k.as_str())
        .collect();
    let mut modes = BTreeSet::new();
    for rel in GITHUB_RECIPES {
        let doc = yaml(rel);
        let steps = action_steps(&doc);
        assert!(!steps.is_empty(), "{rel} does not use the action");
        for with in steps {
            for key in with.keys().filter_map(|k| k.as_str()) {
                assert!(
                    inputs.contains(key),
                    "{rel}: the action has no input `{key}`"
                );
            }
            modes.insert(with["mode"].as_str().expect("mode").to_string());
        }
        let pins: Vec<String> = {
            let mut all = Vec::new();
            uses_of(&doc, &mut all);
            all
        };
        for pin in pins {
            assert!(
                pin.contains('@') || pin == "./",
                "{rel}: `{pin}` is not pinned"
            );
        }
    }
    let expected: BTreeSet<String> = ["plan", "apply", "drift"].map(String::from).into();
    assert_eq!(modes, expected);
}

fn uses_of(v: &serde_yaml::Value, out: &mut Vec<String>) {
    match v {
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|i| uses_of(i, out)),
        serde_yaml::Value::Mapping(m) => {
            for (k, v) in m {
                match (k.as_str(), v.as_str()) {
                    (Some("uses"), Some(u)) => out.push(u.to_string()),
                    _ => uses_of(v, out),
                }
            }
        }
        _ => {}
    }
}

#[test]
fn the_azure_recipe_annotates_keys_the_artifact_by_commit_and_applies_the_merged_prs_plan() {
    let text = std::fs::read_to_string(repo_file("examples/azure-pipelines.yml")).unwrap();
    for needle in [
        "kusto-principals validate --format azure",
        "artifact: kusto-plan-$(System.PullRequest.SourceCommitId)",
        "lastMergeCommit.commitId == $sha",
        "kusto-principals apply reviewed/plan.json -f principals.yaml",
        "Build validation",
        "template: kusto-principals-install.yml",
    ] {
        assert!(
            text.contains(needle),
            "azure-pipelines.yml lacks `{needle}`"
        );
    }
    let template = yaml("examples/kusto-principals-install.yml");
    assert!(
        template["steps"]
            .as_sequence()
            .is_some_and(|s| !s.is_empty())
    );
}

#[test]
fn the_binary_reports_its_version() {
    let run: crate::harness::Run = crate::harness::bare_command()
        .arg("--version")
        .output()
        .unwrap()
        .into();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        format!("kusto-principals {}\n", env!("CARGO_PKG_VERSION"))
    );
}
