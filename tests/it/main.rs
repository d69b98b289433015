//! The one integration test binary.

mod config_corpus;
mod config_example;
