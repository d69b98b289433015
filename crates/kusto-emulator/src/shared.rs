//! What every connection shares: the world, the seed it resets to, the request counts and log, the
//! throttling buckets, the fault draws, the token authority and the options, each behind its own
//! lock.

use std::sync::{Mutex, MutexGuard};

use super::auth::TokenAuthority;
use super::faults::Faults;
use super::journal::{RequestCounts, RequestRecord};
use super::options::EmulatorOptions;
use super::state::EmulatorState;
use super::throttle::Buckets;
use super::world::World;

/// Everything the server shares between connections.
pub struct Shared {
    pub world: Mutex<World>,
    pub seed: Mutex<EmulatorState>,
    pub counts: Mutex<RequestCounts>,
    pub requests: Mutex<Vec<RequestRecord>>,
    pub buckets: Mutex<Buckets>,
    pub faults: Mutex<Faults>,
    pub authority: Mutex<TokenAuthority>,
    pub opts: EmulatorOptions,
    pub endpoint: String,
    /// Test hooks need no token when the emulator listens on loopback only.
    pub loopback: bool,
}

impl Shared {
    /// A fresh world seeded from `state`, served at `endpoint` (port `port`) with a new token
    /// signing key; nothing counted or logged yet.
    pub fn new(
        state: &EmulatorState,
        options: EmulatorOptions,
        endpoint: String,
        port: u16,
        loopback: bool,
    ) -> Shared {
        let key: [u8; 32] = rand::random();
        Shared {
            world: Mutex::new(World::new(
                state,
                options.aad_lag,
                options.mirror_data_plane,
            )),
            authority: Mutex::new(TokenAuthority::new(key, &state.tenant_id, &endpoint, port)),
            seed: Mutex::new(state.clone()),
            counts: Mutex::default(),
            requests: Mutex::default(),
            buckets: Mutex::new(Buckets::new(options.throttle, options.resource_window)),
            faults: Mutex::new(Faults::with_maintenance(
                options.seed,
                options.fault_rate,
                options.maintenance,
            )),
            opts: options,
            endpoint,
            loopback,
        }
    }
}

/// Locks a mutex, ignoring poisoning (a panicked handler leaves data that is still consistent
/// enough for an emulator).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
