//! The emulator's own integration tests: each starts an emulator on `127.0.0.1:0` and talks to it
//! over HTTPS as any client would (the spec examples, the recorded traffic, the knobs). Every await
//! is bounded by a timeout.

mod support;

mod conformance;
mod dataplane;
mod identity;
mod knobs;
mod replay;
mod semantics;
mod skeleton;
mod states;
