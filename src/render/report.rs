//! The apply report as text.

use std::io::{self, Write};

use crate::apply::{ApplyReport, Outcome};

use super::Style;

pub fn write_report_text(report: &ApplyReport, style: Style, w: &mut dyn Write) -> io::Result<()> {
    if report.actions.is_empty() {
        writeln!(w, "Nothing to apply.")?;
        return Ok(());
    }
    writeln!(w, "Apply report:")?;
    for a in &report.actions {
        let sign = if a.action == "create" { "+" } else { "-" };
        match &a.outcome {
            Outcome::Applied => writeln!(
                w,
                "  {} {sign} {} [{}]",
                style.green("ok    "),
                a.key,
                a.name
            )?,
            Outcome::Failed { message, .. } => {
                writeln!(w, "  {} {sign} {} [{}]", style.red("FAILED"), a.key, a.name)?;
                for line in message.lines() {
                    writeln!(w, "           {line}")?;
                }
            }
            Outcome::Skipped { reason } => {
                writeln!(
                    w,
                    "  {} {sign} {} [{}]",
                    style.yellow("skip  "),
                    a.key,
                    a.name
                )?;
                writeln!(w, "           {reason}")?;
            }
        }
    }
    let applied = report.count(|o| matches!(o, Outcome::Applied));
    let skipped = report.count(|o| matches!(o, Outcome::Skipped { .. }));
    writeln!(w)?;
    writeln!(
        w,
        "Apply complete: {applied} applied, {} failed, {skipped} skipped.",
        report.failed()
    )?;
    Ok(())
}
