//! The read phase: the file's bytes → text → the marked tree, before any meaning is looked at.
//!
//! | module   | does                                                                            |
//! |----------|---------------------------------------------------------------------------------|
//! | `source` | bytes → text: size cap (bounded read), UTF-8, no character YAML forbids (NUL…)  |
//! | `yaml`   | text → marked tree; syntax, duplicate keys at their line, depth and alias limits |
//! | `tree`   | the marked tree `yaml` builds: nodes with their line and column                 |

pub mod source;
pub mod tree;
pub mod yaml;
