//! The knobs of a running emulator, with a builder for tests. Every random choice the knobs make
//! comes from one RNG seeded with `seed`, so a run is reproducible.

use std::net::SocketAddr;
use std::time::Duration;

pub use super::faults::MaintenanceKnobs;

/// Knobs of a running emulator. `Default` is a faithful, fast, fault-free emulator on
/// `127.0.0.1:0`.
#[derive(Debug, Clone, PartialEq)]
pub struct EmulatorOptions {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Seeds the RNG behind faults.
    pub seed: u64,
    /// Added before every ARM and token response.
    pub latency: Duration,
    /// Polls of an operation that answer `Running` before it completes (0: done at once).
    pub lro_polls: u32,
    /// Items per page of a list (`nextLink` paging); `None`: one page.
    pub page_size: Option<usize>,
    /// ARM throttling: `Some(scale)` enforces the recorded budgets per subscription (GET 1,100
    /// and PUT 800 resource requests per `resource_window`; POST 200 + 10/s and 3,000 + 150/s
    /// global; DELETE the same), each multiplied by `scale`. `None`: nothing counts down.
    pub throttle: Option<f64>,
    /// How long the resource-requests budget of GET and PUT takes to refill (not documented by
    /// ARM; 60 s by default).
    pub resource_window: Duration,
    /// Probability (0–1) that an ARM request meets a fault: 429, 500, 503, a reset connection, or
    /// (for a write that starts an operation) a failed operation.
    pub fault_rate: f64,
    /// Principals of the directory that no seeded assignment uses resolve only this long after
    /// the start (Entra ID replication lag).
    pub aad_lag: Duration,
    /// A write to a cluster while another operation on it runs gets 409 `Conflict`.
    pub write_conflicts: bool,
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
    /// An operation nobody polls completes after this long anyway.
    pub lro_timeout: Duration,
    /// `addPrincipals`/`removePrincipals` also create/delete ARM assignments (docs/arm-service.md §7; the
    /// state file's `data_plane.mirror` turns it on too).
    pub mirror_data_plane: bool,
    /// The duplicate check of a PUT compares `principalId` strings as sent, instead of the
    /// resolved principals (which one Azure compares is not known).
    pub raw_duplicates: bool,
    /// Operations of principal-assignment writes that fail with `ServiceIsInMaintenance` after
    /// being accepted: the first `first`, then each with probability `rate`.
    pub maintenance: MaintenanceKnobs,
    /// A principal-assignment write to a follower database whose `principalsModificationKind` is
    /// `None` is refused with 400 `CannotAlterFollowerDatabase` (Azure's answer is not known; by
    /// default the write is accepted and has no effect on the engine).
    pub refuse_none_follower_writes: bool,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        EmulatorOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: 0,
            latency: Duration::ZERO,
            lro_polls: 0,
            page_size: None,
            throttle: None,
            resource_window: Duration::from_secs(60),
            fault_rate: 0.0,
            aad_lag: Duration::ZERO,
            write_conflicts: true,
            token_lifetime: Duration::from_secs(3600),
            lro_timeout: Duration::from_secs(30),
            mirror_data_plane: false,
            raw_duplicates: false,
            maintenance: MaintenanceKnobs::default(),
            refuse_none_follower_writes: false,
        }
    }
}

impl EmulatorOptions {
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    pub fn latency_ms(mut self, ms: u64) -> Self {
        self.latency = Duration::from_millis(ms);
        self
    }
    pub fn lro_polls(mut self, polls: u32) -> Self {
        self.lro_polls = polls;
        self
    }
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = Some(size.max(1));
        self
    }
    pub fn throttle(mut self, scale: f64) -> Self {
        self.throttle = Some(scale);
        self
    }
    pub fn resource_window(mut self, window: Duration) -> Self {
        self.resource_window = window;
        self
    }
    pub fn fault_rate(mut self, rate: f64) -> Self {
        self.fault_rate = rate.clamp(0.0, 1.0);
        self
    }
    pub fn aad_lag_secs(mut self, secs: u64) -> Self {
        self.aad_lag = Duration::from_secs(secs);
        self
    }
    pub fn aad_lag(mut self, lag: Duration) -> Self {
        self.aad_lag = lag;
        self
    }
    pub fn write_conflicts(mut self, on: bool) -> Self {
        self.write_conflicts = on;
        self
    }
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }
    pub fn lro_timeout(mut self, timeout: Duration) -> Self {
        self.lro_timeout = timeout;
        self
    }
    pub fn mirror_data_plane(mut self, on: bool) -> Self {
        self.mirror_data_plane = on;
        self
    }
    pub fn raw_duplicates(mut self, on: bool) -> Self {
        self.raw_duplicates = on;
        self
    }
    /// The first `first` write operations, then a share `rate` of them, fail in maintenance.
    pub fn maintenance(mut self, first: u32, rate: f64) -> Self {
        self.maintenance = MaintenanceKnobs {
            first,
            rate: rate.clamp(0.0, 1.0),
        };
        self
    }
    pub fn refuse_none_follower_writes(mut self, on: bool) -> Self {
        self.refuse_none_follower_writes = on;
        self
    }
}
