//! The store: the emulator's live world (clusters, databases, principal assignments with their
//! provisioning state, running operations and the write history), behind one lock in the server.
//!
//! It finds things (with ARM's not-found errors) and applies finished operations. It imports no
//! handler and knows nothing of HTTP beyond the `ErrorResponse` it returns.
//!
//! | file        | owns                                                                      |
//! |-------------|---------------------------------------------------------------------------|
//! | `model`     | clusters, databases, stored assignments and their provisioning, scope indices |
//! | `operation` | a long-running operation as kept: kind, scope, polls left, how it ends     |
//! | `store`     | the `World`; seeding it from a state file and dumping it back; a scope's lists |
//! | `lookup`    | finding a cluster, database or scope a request names, or ARM's 404         |
//! | `finish`    | completing operations (on a poll or a timeout) and applying their effect   |

mod finish;
mod lookup;
mod model;
mod operation;
mod store;

pub use lookup::{not_found, resource_not_found};
pub use model::{Cluster, Database, Provisioning, ScopeIdx, Stored};
pub use operation::{OpKind, Operation};
pub use store::World;
