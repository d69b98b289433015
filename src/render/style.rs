//! Colour or not: ANSI codes when writing to a terminal, plain text otherwise.

/// Colour or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// No colour: files, pipes, golden tests.
    pub const PLAIN: Style = Style { color: false };

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub(super) fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub(super) fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub(super) fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub(super) fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
    pub(super) fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
}
