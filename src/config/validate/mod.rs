//! The validate phase: the raw mirror → a normalised `DesiredState`, reporting every semantic
//! problem.
//!
//! `Checker` holds the state of the checks; its methods live in this folder only, one file per part
//! of the document:
//!
//! | module       | owns                                                                      |
//! |--------------|---------------------------------------------------------------------------|
//! | `file`       | `validate`: the whole file (version, `defaults`, `safety`, ignored and granted) and what it produces |
//! | `clusters`   | each cluster: where it is, listed once, its scopes and their grants       |
//! | `grants`     | one scope's grants: sets expanded, keys checked, names claimed            |
//! | `principals` | who an entry names: exactly one of `app`, `user`, `group`, `set`; the sets; `ignore` |
//! | `checker`    | `Checker` itself: the tree to find places in, what the shape walk found, the problems |

mod checker;
mod clusters;
mod file;
mod grants;
mod principals;

pub use file::validate;
