//! The one integration test binary: drives the real `kusto-principals` binary against the emulator
//! over loopback.

mod harness;

mod ci_recipes;
mod cli_cycle;
