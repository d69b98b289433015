//! The one integration test binary. Each module is one area; every test starts its own emulator on
//! `127.0.0.1:0` and bounds every await with a timeout.

mod emulator_support;

mod emulator_cli;
mod emulator_conformance;
mod emulator_knobs;
mod emulator_replay;
mod emulator_semantics;
mod emulator_skeleton;
