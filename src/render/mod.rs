//! Plans and reports for people and machines. Each renderer writes to an injected writer; none of
//! them decides anything.

mod report;
mod text;

pub use report::write_report_text;
pub use text::{Style, write_plan_text};
