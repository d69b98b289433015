//! The apply report as text.

use std::io::{self, Write};

use crate::apply::{ApplyReport, Outcome};

use super::Style;
use super::inert::text;

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
                text(&a.key.to_string()),
                text(&a.name)
            )?,
            Outcome::Failed { message, .. } => {
                writeln!(
                    w,
                    "  {} {sign} {} [{}]",
                    style.red("FAILED"),
                    text(&a.key.to_string()),
                    text(&a.name)
                )?;
                for line in message.lines() {
                    writeln!(w, "           {}", text(line))?;
                }
            }
            Outcome::Skipped { reason } => {
                writeln!(
                    w,
                    "  {} {sign} {} [{}]",
                    style.yellow("skip  "),
                    text(&a.key.to_string()),
                    text(&a.name)
                )?;
                writeln!(w, "           {}", text(reason))?;
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
