//! Golden plans: every format over the scenarios in `tests/fixtures/plans/<scenario>/input.yaml`
//! (format in `plan::fixtures`), compared with `plan.txt`, `plan.json`, `plan.md` and `plan.diff`
//! next to it. `UPDATE_GOLDEN=1 cargo test golden` rewrites them; review the diff.

use std::path::{Path, PathBuf};

use super::{OutputFormat, Style, write_plan};
use crate::model::{CurrentState, DesiredState};
use crate::plan::fixtures::scenario;
use crate::plan::{PlanDocument, diff};

const FORMATS: [(OutputFormat, &str); 4] = [
    (OutputFormat::Text, "plan.txt"),
    (OutputFormat::Json, "plan.json"),
    (OutputFormat::Markdown, "plan.md"),
    (OutputFormat::Diff, "plan.diff"),
];

fn scenarios() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/fixtures/plans")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("input.yaml").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 7, "scenarios in {}", root.display());
    dirs
}

fn render(desired: &DesiredState, current: &CurrentState, format: OutputFormat) -> String {
    let plan = diff(desired, current);
    let mut out = Vec::new();
    write_plan(format, &plan, &desired.file, Style::PLAIN, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

/// The same inputs, listed in another order.
fn shuffled(desired: &DesiredState, current: &CurrentState) -> (DesiredState, CurrentState) {
    let mut d = desired.clone();
    for s in &mut d.scopes {
        s.grants.reverse();
    }
    let mut c = current.clone();
    for list in c.scopes.values_mut() {
        list.reverse();
    }
    (d, c)
}

#[test]
fn golden_plans() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for dir in scenarios() {
        let input = std::fs::read_to_string(dir.join("input.yaml")).expect("input.yaml");
        let (desired, current) = scenario(&input);
        let (d2, c2) = shuffled(&desired, &current);
        for (format, name) in FORMATS {
            let got = render(&desired, &current, format);
            assert_eq!(
                got,
                render(&desired, &current, format),
                "{name} is deterministic"
            );
            assert_eq!(got, render(&d2, &c2, format), "{name} ignores input order");
            let path = dir.join(name);
            if update {
                std::fs::write(&path, &got).expect("write golden file");
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(got.as_str()) {
                stale.push(format!("{}\n--- got:\n{got}", path.display()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "golden files differ (rerun with UPDATE_GOLDEN=1 and review the diff):\n{}",
        stale.join("\n")
    );
}

#[test]
fn golden_json_documents_round_trip() {
    for dir in scenarios() {
        let input = std::fs::read_to_string(dir.join("input.yaml")).expect("input.yaml");
        let (desired, current) = scenario(&input);
        let json = render(&desired, &current, OutputFormat::Json);
        let doc: PlanDocument = serde_json::from_str(&json).expect("parses");
        let again = serde_json::to_string_pretty(&doc).expect("serialises") + "\n";
        assert_eq!(again, json, "{}", dir.display());
        let plan = doc.to_plan();
        let mut back = PlanDocument::new(&plan, &desired.file);
        // No-ops are counted but not listed, so only the count of unchanged grants is not rebuilt.
        back.summary.unchanged = doc.summary.unchanged;
        assert_eq!(back, doc, "{}", dir.display());
    }
}
