//! A path into the document, e.g. `clusters[1].databases[0].principals[3].role`.
//!
//! Every problem carries one, and the validator finds line and column by following it through the
//! marked tree (`read::tree::Node::locate`). Map keys that are not plain identifiers are written
//! `principal_sets["data team"]`.

use std::fmt;

/// One step: a key of a mapping or an index into a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path from the root of the document; empty for the root itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocPath(Vec<Seg>);

impl DocPath {
    pub fn root() -> Self {
        DocPath(Vec::new())
    }

    pub fn segments(&self) -> &[Seg] {
        &self.0
    }

    /// This path with one more key.
    pub fn key(&self, key: &str) -> DocPath {
        let mut p = self.clone();
        p.0.push(Seg::Key(key.to_string()));
        p
    }

    /// This path with one more index.
    pub fn index(&self, i: usize) -> DocPath {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }

    pub fn push_key(&mut self, key: &str) {
        self.0.push(Seg::Key(key.to_string()));
    }

    pub fn push_index(&mut self, i: usize) {
        self.0.push(Seg::Index(i));
    }

    pub fn pop(&mut self) {
        self.0.pop();
    }

    /// Keeps the first `n` steps.
    pub fn truncate(&mut self, n: usize) {
        self.0.truncate(n);
    }
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if is_plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Key(k) => write!(f, "[{k:?}]")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_the_document() {
        let p = DocPath::root()
            .key("clusters")
            .index(1)
            .key("databases")
            .index(0)
            .key("role");
        assert_eq!(p.to_string(), "clusters[1].databases[0].role");
        let q = DocPath::root().key("principal_sets").key("data team");
        assert_eq!(q.to_string(), "principal_sets[\"data team\"]");
        assert_eq!(DocPath::root().to_string(), "");
    }
}
