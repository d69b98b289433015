//! The one integration test binary: drives the real `kusto-principals` binary against the emulator
//! over loopback. Every test starts its own emulator on `127.0.0.1:0` and bounds every await with a
//! timeout.

mod arm_stub;
mod emulator_support;
mod harness;

mod apply_fleet;
mod apply_requests;
mod apply_safety;
mod arm_auth;
mod arm_faults;
mod ci_recipes;
mod cli_cycle;
mod config_corpus;
mod config_example;
mod config_props;
mod emulator_cli;
mod emulator_conformance;
mod emulator_dataplane;
mod emulator_knobs;
mod emulator_replay;
mod emulator_semantics;
mod emulator_skeleton;
mod export_roundtrip;
mod saved_plan;
mod standalone;
