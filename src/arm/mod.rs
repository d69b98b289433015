//! Talking to Azure Resource Manager.

mod error;

pub use error::ArmError;
