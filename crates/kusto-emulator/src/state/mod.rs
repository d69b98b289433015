//! The emulator's world as a file: the YAML of `examples/emulator-state.yaml`, which seeds the
//! emulator and is also what its state dump returns. It owns the wire format and its consistency
//! checks; it holds no runtime state (that is `world`).
//!
//! | file     | owns                                                                        |
//! |----------|-----------------------------------------------------------------------------|
//! | `format` | the types of the file (tenant, directory, clusters, followers, data plane), YAML in and out, the demo state |
//! | `check`  | what the real service would never hold: roles at the wrong scope, duplicates |
//! | `fqn`    | how an engine principal's fqn names its principal                           |

mod check;
mod format;
mod fqn;

pub use format::{
    AssignmentState, ClusterState, Credentials, DataPlaneDatabase, DataPlaneState,
    DataPrincipalState, DatabaseState, DirectoryEntry, EmulatorState, FollowerState,
    PrincipalsModificationKind, demo_state,
};
pub use fqn::{fqn_identity, fqn_kind, fqn_prefix};
