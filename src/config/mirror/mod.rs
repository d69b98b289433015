//! The serde mirror of the file: the types the file is read into, exactly as written, and the
//! JSON Schema generated from them.
//!
//! | module          | owns                                                                  |
//! |-----------------|-----------------------------------------------------------------------|
//! | `raw`           | the mirror types (`deny_unknown_fields`), no defaults applied         |
//! | `de`            | serde reading `raw` straight from the checked tree, one cluster at a time |
//! | `schema`        | the JSON Schema of the file, generated from `raw`                     |
//! | `schema_strict` | the checks `validate` makes by meaning, written into the schema too   |

pub mod de;
pub mod raw;
pub mod schema;
mod schema_strict;
