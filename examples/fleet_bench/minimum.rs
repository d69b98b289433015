//! The physical minimum of a benchmark phase (issue 15): the requests a safe client cannot avoid,
//! and the latency and throttle bounds of those requests.

use std::collections::BTreeMap;
use std::time::Duration;

use kusto_emulator::EmulatorState;

use super::Args;

/// The fewest requests a safe client sends for a phase (besides one token), per subscription and
/// ARM bucket, and the latency critical path of those requests in round trips.
pub struct Minimum {
    buckets: BTreeMap<(String, &'static str), usize>,
    rounds: f64,
}

impl Minimum {
    /// A plan lists every scope; with `changes`, an apply then lists each touched scope and sends
    /// each write with its operation polls, cluster by cluster.
    pub fn of(state: &EmulatorState, changes: Option<&[BTreeMap<usize, usize>]>, a: &Args) -> Self {
        let p = a.parallelism.max(1) as f64;
        let mut buckets: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
        let mut scopes = 0;
        let mut database_lists = 0;
        for c in &state.clusters {
            let sub = c.subscription.to_ascii_lowercase();
            // Every scope's listing, and one database list per cluster whose databases are managed
            // (their kinds: a follower's grants may not take effect).
            let lists = usize::from(!c.databases.is_empty());
            *buckets.entry((sub, "reads")).or_default() += 1 + c.databases.len() + lists;
            scopes += 1 + c.databases.len();
            database_lists += lists;
        }
        let mut chains: Vec<f64> = Vec::new();
        for (c, dbs) in state.clusters.iter().zip(changes.unwrap_or_default()) {
            if dbs.is_empty() {
                continue;
            }
            let sub = c.subscription.to_ascii_lowercase();
            let changed: usize = dbs.values().sum();
            let polls = 1 + a.lro_polls as usize;
            *buckets.entry((sub.clone(), "reads")).or_default() += dbs.len() + 2 * changed * polls;
            *buckets.entry((sub.clone(), "writes")).or_default() += changed;
            *buckets.entry((sub, "deletes")).or_default() += changed;
            chains.push((dbs.len() as f64 / p).ceil() + (2 * changed * (1 + polls)) as f64);
        }
        let apply =
            (chains.iter().sum::<f64>() / p).max(chains.iter().copied().fold(0.0, f64::max));
        Minimum {
            buckets,
            rounds: 1.0 + (database_lists as f64 / p).ceil() + (scopes as f64 / p).ceil() + apply,
        }
    }

    /// Requests, the token included.
    pub fn total(&self) -> usize {
        1 + self.buckets.values().sum::<usize>()
    }

    /// (latency bound, throttle bound), per the budgets real Kusto answers report and the emulator
    /// models (docs/arm-service.md §5): per subscription, GETs 1,100 and PUTs 800 resource requests
    /// per 60 s window, DELETEs 200 + 10/s, times `--throttle` (0: no throttle bound).
    pub fn bounds(&self, a: &Args) -> (Duration, Duration) {
        let latency = self.rounds * a.latency_ms as f64 / 1000.0;
        let throttle = self
            .buckets
            .iter()
            .map(|((_, class), n)| {
                let (cap, rate) = match *class {
                    "reads" => (1100.0, 1100.0 / 60.0),
                    "writes" => (800.0, 800.0 / 60.0),
                    _ => (200.0, 10.0),
                };
                if a.throttle <= 0.0 {
                    return 0.0;
                }
                ((*n as f64 - cap * a.throttle).max(0.0)) / (rate * a.throttle)
            })
            .fold(0.0, f64::max);
        (
            Duration::from_secs_f64(latency),
            Duration::from_secs_f64(throttle),
        )
    }
}
