//! The one integration test binary: drives the real `kusto-principals` binary against the emulator
//! over loopback. Every test starts its own emulator on `127.0.0.1:0` and bounds every await with a
//! timeout.

mod action_support;
mod arm_stub;
mod harness;

mod action_install;
mod action_scripts;
mod apply_fleet;
mod apply_report;
mod apply_requests;
mod apply_safety;
mod arm_auth;
mod arm_bounds;
mod arm_faults;
mod ci_recipes;
mod cli_cycle;
mod cli_errors;
mod cli_ux;
mod config_corpus;
mod config_example;
mod config_props;
mod emulator_cli;
mod export_roundtrip;
mod identity_forms;
mod output_inert;
mod real_identities;
mod saved_plan;
mod saved_plan_checks;
mod schema_corpus;
mod standalone;
mod trust_input;
