//! `plan --format json`: the versioned `PlanDocument` (see `docs/plan-format.md`), pretty-printed.

use std::io::{self, Write};

use crate::plan::{Plan, PlanDocument};

pub fn write_plan_json(plan: &Plan, file: &str, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &PlanDocument::new(plan, file))?;
    writeln!(w)
}
