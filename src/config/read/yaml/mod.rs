//! YAML text → a marked tree: every node and every key knows its line and column.
//!
//! One pass over `yaml-rust2`'s events, with the checks serde_yaml cannot do:
//!
//! | check                         | why                                                        |
//! |-------------------------------|------------------------------------------------------------|
//! | duplicate keys, at their line | serde_yaml keeps the last silently (maps) or says line 1   |
//! | nesting depth ≤ `MAX_DEPTH`   | refuse a deeply nested file before building it             |
//! | alias expansion ≤ a budget    | an alias bomb is refused before anything is copied (`anchors`) |
//! | one document, no custom tags  | the format has neither                                     |
//!
//! A syntax error or a broken limit stops the pass (`Err`); duplicates and odd keys are collected and
//! the pass goes on, so the rest of the file is still checked. No serde, no I/O.
//!
//! | module    | owns                                                                        |
//! |-----------|-----------------------------------------------------------------------------|
//! | `parse`   | `parse_tree`: the events in order, scalars, one document, syntax errors     |
//! | `builder` | the tree being built: keys checked as they arrive, the depth limit          |
//! | `frame`   | the lists and mappings still open, and the document path of the next node   |
//! | `anchors` | anchors remembered by position, aliases copied within the budgets           |

mod anchors;
mod builder;
mod frame;
mod parse;

pub use parse::parse_tree;
