//! `plan --format json`: the versioned `PlanDocument` (see `docs/plan-format.md`), pretty-printed,
//! with the characters JSON leaves as themselves but a terminal acts on escaped (`inert::json`).

use std::io::{self, Write};

use crate::plan::{Plan, PlanDocument};

pub fn write_plan_json(plan: &Plan, file: &str, w: &mut dyn Write) -> io::Result<()> {
    let doc = serde_json::to_string_pretty(&PlanDocument::new(plan, file))?;
    writeln!(w, "{}", super::inert::json(&doc))
}
