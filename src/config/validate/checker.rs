//! The state of the semantic checks: the marked tree to find places in, the objects the shape walk
//! already complained about, and the problems found so far.

use std::collections::HashSet;

use crate::config::docpath::DocPath;
use crate::config::problem::Problem;
use crate::config::read::tree::Node;
use crate::model::SourceLocation;

pub(super) struct Checker<'a> {
    tree: &'a Node,
    tainted: &'a HashSet<String>,
    pub problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    pub fn new(tree: &'a Node, tainted: &'a HashSet<String>) -> Self {
        Checker {
            tree,
            tainted,
            problems: Vec::new(),
        }
    }

    /// Where the value at `path` starts (for a mapping: its first key).
    pub fn at(&self, path: &DocPath) -> Option<SourceLocation> {
        self.tree.locate(path).map(|(at, _)| at)
    }

    /// Where the key of `path` is, or the value when the path ends in an index.
    pub fn key_at(&self, path: &DocPath) -> Option<SourceLocation> {
        self.tree.locate(path).map(|(at, key)| key.unwrap_or(at))
    }

    /// The line of `path`, for "also at line N".
    pub fn line(&self, path: &DocPath) -> usize {
        self.at(path).map_or(0, |l| l.line)
    }

    /// True when the shape walk already reported a problem in the object at `path`.
    pub fn tainted(&self, path: &DocPath) -> bool {
        !self.tainted.is_empty() && self.tainted.contains(&path.to_string())
    }

    /// A problem at the value of `path`.
    pub fn report(&mut self, path: &DocPath, message: String, hint: Option<String>) {
        let at = self.at(path);
        self.problems.push(Problem::new(at, path, message, hint));
    }

    /// A problem at the key of `path`.
    pub fn report_key(&mut self, path: &DocPath, message: String, hint: Option<String>) {
        let at = self.key_at(path);
        self.problems.push(Problem::new(at, path, message, hint));
    }

    /// Checks `value` (at `path`) with a naming rule; reports `` `value` is not a valid WHAT ``.
    pub fn rule(
        &mut self,
        path: &DocPath,
        what: &str,
        value: &str,
        rule: fn(&str) -> Result<(), String>,
    ) -> bool {
        match rule(value) {
            Ok(()) => true,
            Err(hint) => {
                // Escaped: the value may hold a tab or a control character, shown, not acted on.
                let shown = value.escape_debug();
                self.report(path, format!("`{shown}` is not a valid {what}"), Some(hint));
                false
            }
        }
    }
}
