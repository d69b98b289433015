//! Issue 8: the CI recipes under `examples/` parse, and every `kusto-principals` command they run
//! exists with those flags.

use clap::Parser;
use kusto_principals::cli::Cli;

use crate::harness::repo_file;

const RECIPES: &[&str] = &[
    "examples/github-actions/plan.yml",
    "examples/github-actions/apply.yml",
    "examples/github-actions/drift.yml",
    "examples/azure-pipelines.yml",
];

/// The scripts of a workflow: the values of `run`, `script` and `inlineScript` keys.
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

/// The `kusto-principals …` invocations in a script, without redirections.
fn invocations(script: &str) -> Vec<Vec<String>> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("kusto-principals "))
        .map(|l| {
            let words = shlex::split(l).unwrap_or_else(|| panic!("unbalanced quotes: {l}"));
            words
                .into_iter()
                .take_while(|w| !w.starts_with('>') && w != "|" && w != "&&")
                .collect()
        })
        .collect()
}

#[test]
fn every_recipe_parses_and_runs_real_commands() {
    let mut seen = 0;
    for rel in RECIPES {
        let text = std::fs::read_to_string(repo_file(rel)).expect("recipe exists");
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not YAML: {e}"));
        let mut all = Vec::new();
        strings(&doc, &mut all);
        let commands: Vec<Vec<String>> = all.iter().flat_map(|s| invocations(s)).collect();
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
    assert!(seen >= 8, "only {seen} commands found");
}
