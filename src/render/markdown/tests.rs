//! The Markdown plan stays under a comment's limit and keeps its structure when cut.

use super::fit::NOTE_RESERVE;
use super::*;
use crate::plan::diff;
use crate::plan::fixtures::{sample, scenario};

/// A plan of `clusters` × `n` creates.
fn big(clusters: usize, n: usize) -> Plan {
    let mut yaml = String::from("scopes:\n");
    for c in 0..clusters {
        yaml.push_str(&format!("  - scope: cluster{c}\n    desired:\n"));
        for i in 0..n {
            yaml.push_str(&format!(
                "      - {{user: someone.with.a.long.name.{i}@contoso.com, role: AllDatabasesViewer}}\n"
            ));
        }
    }
    let (d, c) = scenario(&yaml);
    diff(&d, &c)
}

fn assert_well_formed(md: &str) {
    assert_eq!(
        md.matches("<details>").count() + md.matches("<details open>").count(),
        md.matches("</details>").count(),
        "{md}"
    );
    assert_eq!(md.matches("```").count() % 2, 0, "{md}");
    assert!(
        md.ends_with("to delete.**\n") || md.ends_with("No changes.**\n"),
        "{md}"
    );
}

#[test]
fn a_small_plan_is_shown_whole() {
    let (d, c) = sample();
    let md = render(&diff(&d, &c), "p.yaml", GITHUB_COMMENT_LIMIT);
    assert_well_formed(&md);
    assert!(!md.contains("[!NOTE]"), "{md}");
    assert!(md.contains("[!WARNING]"), "{md}");
}

#[test]
fn a_huge_plan_is_cut_under_githubs_limit_with_a_note() {
    let plan = big(3, 1500);
    let md = render(&plan, "p.yaml", GITHUB_COMMENT_LIMIT);
    assert!(md.chars().count() <= GITHUB_COMMENT_LIMIT, "{}", md.len());
    assert!(md.chars().count() > GITHUB_COMMENT_LIMIT - 2 * NOTE_RESERVE);
    assert_well_formed(&md);
    let shown = md.lines().filter(|l| l.starts_with("+ user:")).count();
    let note = format!("{} line(s) are not shown", 4500 - shown);
    assert!(md.contains(&note), "{note} in {md}");
    // The table still counts everything.
    assert!(md.contains("| **Total** | 4500 | 0 | 0 | 0 | 0 |"), "{md}");
}

#[test]
fn every_limit_is_respected() {
    let plan = big(2, 40);
    for limit in [1_500, 2_000, 3_000, 5_000] {
        let md = render(&plan, "p.yaml", limit);
        assert!(
            md.chars().count() <= limit,
            "{limit}: {}",
            md.chars().count()
        );
        assert_well_formed(&md);
    }
    // Even a head larger than the limit.
    let md = render(&plan, "p.yaml", 300);
    assert!(md.chars().count() <= 300);
}

#[test]
fn the_printed_plan_leaves_room_for_the_ci_wrapper_and_says_where_the_whole_plan_is() {
    let plan = big(3, 1500);
    let mut out = Vec::new();
    write_plan_markdown(&plan, "p.yaml", &mut out).unwrap();
    let md = String::from_utf8(out).unwrap();
    assert!(md.chars().count() <= GITHUB_COMMENT_LIMIT - CI_WRAPPER_RESERVE);
    assert!(md.contains("kept as the run's plan artifact"), "{md}");
    assert!(!md.contains("job's log"), "{md}");
}

#[test]
fn replace_lines_do_not_read_as_deletes_and_long_lines_wrap() {
    let (d, c) = scenario(
        "scopes:\n  - scope: c\n    desired: [{user: bob@contoso.com, role: AllDatabasesMonitor}]\n    \
         current: [{name: bob-cluster, user: bob@contoso.com, role: AllDatabasesViewer, \
         display: \"Bob Jones (bob@contoso.com)\"}]\n",
    );
    let md = render(&diff(&d, &c), "p.yaml", GITHUB_COMMENT_LIMIT);
    let block: Vec<&str> = md
        .split("```diff\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a diff block")
        .lines()
        .collect();
    assert!(block.iter().all(|l| l.starts_with('~')), "{md}");
    assert!(block.iter().all(|l| l.chars().count() <= WRAP), "{md}");
    assert!(
        md.contains("<details open>"),
        "one cluster is shown open: {md}"
    );
}
