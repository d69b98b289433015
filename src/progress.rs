//! Apply progress on stderr: a bar on a terminal, plain lines otherwise, nothing with `--no-progress`
//! or `-q`.

use crate::render::inert::text;
use indicatif::{ProgressBar, ProgressStyle};

use crate::apply::{ActionReport, Outcome, Progress, WriteKind};
use crate::model::AssignmentKey;

/// Builds the progress reporter for `total` writes.
pub fn for_stderr(total: usize, terminal: bool, enabled: bool) -> Box<dyn Progress> {
    match (enabled, terminal) {
        (false, _) => Box::new(Silent),
        (true, true) => {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_msg}")
                    .expect("valid template"),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            Box::new(Bar(bar))
        }
        (true, false) => Box::new(Lines {
            total,
            done: std::sync::atomic::AtomicUsize::new(0),
        }),
    }
}

struct Silent;

impl Progress for Silent {
    fn begin(&self, _: WriteKind, _: &AssignmentKey, _: &str) {}
    fn end(&self, _: &ActionReport) {}
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn begin(&self, action: WriteKind, key: &AssignmentKey, name: &str) {
        self.0.set_message(format!(
            "{} {} [{}]",
            action.as_str(),
            text(&key.to_string()),
            text(name)
        ));
    }
    fn end(&self, report: &ActionReport) {
        self.0.inc(1);
        if let Outcome::Failed { .. } = report.outcome {
            self.0.println(format!(
                "failed: {} {} [{}]",
                report.action.as_str(),
                text(&report.key.to_string()),
                text(&report.name)
            ));
        }
        if self.0.position() >= self.0.length().unwrap_or(0) {
            self.0.finish_and_clear();
        }
    }
}

struct Lines {
    total: usize,
    done: std::sync::atomic::AtomicUsize,
}

impl Progress for Lines {
    fn begin(&self, _: WriteKind, _: &AssignmentKey, _: &str) {}
    fn end(&self, r: &ActionReport) {
        let n = self.done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let outcome = match &r.outcome {
            Outcome::Applied => "done",
            Outcome::Failed { .. } => "FAILED",
            Outcome::Skipped { .. } => "skipped",
        };
        eprintln!(
            "[{n}/{}] {} {} [{}]: {outcome}",
            self.total,
            r.action.as_str(),
            text(&r.key.to_string()),
            text(&r.name)
        );
    }
}
