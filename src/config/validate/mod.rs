//! The validate phase: the raw mirror → a normalised `DesiredState`, reporting every semantic
//! problem.
//!
//! | module       | owns                                                                      |
//! |--------------|---------------------------------------------------------------------------|
//! | `file`       | `validate`: the whole file, the clusters one at a time, what it produces  |
//! | `checker`    | `Checker`, the state of the checks (the tree, what the walk found)        |
//! | `principals` | who an entry names: exactly one of `app`, `user`, `group`, `set`; sets, `ignore` |
//! | `grants`     | one scope's grants: sets expanded, keys checked, names claimed            |

mod checker;
mod file;
mod grants;
mod principals;

pub use file::validate;
