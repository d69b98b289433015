//! The knobs in one place: the same set is a `knobs:` section of the state file and the flags of
//! `kusto-principals emulator`, so an estate that needs, say, throttling and paging carries them
//! with it to the standalone emulator and to `--emulator=STATE.yaml` alike. A flag given on the
//! command line wins over the file.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::EmulatorOptions;

/// Every knob; unset ones keep `EmulatorOptions::default()`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Knobs {
    /// Seed of the random number generator behind --fault-rate [default: 0].
    #[arg(long, value_name = "N")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,

    /// Delay added to every ARM and token response, in milliseconds [default: 0].
    #[arg(long, value_name = "MS")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,

    /// Polls of a long-running operation that answer `Running` before it completes
    /// (0: complete at once, as the real service mostly appears to) [default: 0].
    #[arg(long, value_name = "N")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lro_polls: Option<u32>,

    /// Items per page of list results, linked with `nextLink` (default: one page).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,

    /// Enforce ARM throttling with the budgets real Kusto answers report, per subscription: GET
    /// 1,100 and PUT 800 resource requests per window, POST 200 + 10/s (global 3,000 + 150/s),
    /// DELETE the same; all multiplied by SCALE (1 = Azure's, 0.1 = a tenth). Throttled requests
    /// get 429 `TooManyRequests` with `Retry-After`. Without it no budget counts down.
    #[arg(long, value_name = "SCALE")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<f64>,

    /// Seconds the GET/PUT resource-requests budget takes to refill (ARM does not document it)
    /// [default: 60].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_window_secs: Option<u64>,

    /// Probability (0-1) that an ARM request fails: 429 + Retry-After (30%), 500 (20%), 503 (20%),
    /// a reset connection (15%), or a create/delete whose operation then fails (15%) [default: 0].
    #[arg(long, value_name = "P")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_rate: Option<f64>,

    /// Entra ID replication lag: directory principals that no seeded assignment uses resolve only
    /// this many seconds after start; assigning them earlier fails the operation with
    /// "AAD principal was not found", as in Azure [default: 0].
    #[arg(long, value_name = "SECS")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aad_lag_secs: Option<u64>,

    /// Accept a write to a cluster while another operation on it still runs (by default it gets 409
    /// `Conflict`, as Kusto answers during an operation).
    #[arg(long)]
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_write_conflicts: bool,

    /// Mirror data-plane principal writes into ARM: `addPrincipals` also creates a (GUID-named)
    /// principal assignment and `removePrincipals` deletes the matching ones. By default the two
    /// stores stay apart, except that assignments always show up in `listPrincipals`.
    #[arg(long)]
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mirror_data_plane: bool,

    /// Check duplicate grants (one principal holding one role twice in a scope) by comparing the
    /// `principalId` strings as sent, instead of the principals they resolve to (a user sent by
    /// UPN and by object id). Which one Azure compares is not known.
    #[arg(long)]
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duplicates_by_principal_id: bool,

    /// The first N operations of principal-assignment writes (create, in-place change, delete) are
    /// accepted and then fail with `ServiceIsInMaintenance`, as Kusto's do during maintenance
    /// [default: 0].
    #[arg(long, value_name = "N")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_failures: Option<u32>,

    /// After --maintenance-failures, each write operation fails in maintenance with probability P
    /// (0-1), drawn from --seed [default: 0].
    #[arg(long, value_name = "P")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_rate: Option<f64>,

    /// Refuse principal-assignment writes to follower databases whose principalsModificationKind
    /// is None, with 400 `CannotAlterFollowerDatabase` (by default they are accepted and have no
    /// effect on the engine; what Azure answers is not known).
    #[arg(long)]
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refuse_none_follower_writes: bool,

    /// Lifetime of issued access tokens, in seconds [default: 3600].
    #[arg(long, value_name = "SECS")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime_secs: Option<u64>,

    /// Seconds after which an operation nobody polls completes anyway [default: 30].
    #[arg(long, value_name = "SECS")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lro_timeout_secs: Option<u64>,
}

impl Knobs {
    pub fn is_empty(&self) -> bool {
        self == &Knobs::default()
    }

    /// These knobs, with `base`'s where these leave one unset (flags over the state file).
    pub fn over(&self, base: &Knobs) -> Knobs {
        Knobs {
            seed: self.seed.or(base.seed),
            latency_ms: self.latency_ms.or(base.latency_ms),
            lro_polls: self.lro_polls.or(base.lro_polls),
            page_size: self.page_size.or(base.page_size),
            throttle: self.throttle.or(base.throttle),
            resource_window_secs: self.resource_window_secs.or(base.resource_window_secs),
            fault_rate: self.fault_rate.or(base.fault_rate),
            aad_lag_secs: self.aad_lag_secs.or(base.aad_lag_secs),
            no_write_conflicts: self.no_write_conflicts || base.no_write_conflicts,
            mirror_data_plane: self.mirror_data_plane || base.mirror_data_plane,
            duplicates_by_principal_id: self.duplicates_by_principal_id
                || base.duplicates_by_principal_id,
            maintenance_failures: self.maintenance_failures.or(base.maintenance_failures),
            maintenance_rate: self.maintenance_rate.or(base.maintenance_rate),
            refuse_none_follower_writes: self.refuse_none_follower_writes
                || base.refuse_none_follower_writes,
            token_lifetime_secs: self.token_lifetime_secs.or(base.token_lifetime_secs),
            lro_timeout_secs: self.lro_timeout_secs.or(base.lro_timeout_secs),
        }
    }

    /// What the state file's section cannot hold: a rate outside 0–1, a scale that is not positive.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(p) = self.fault_rate.filter(|p| !(0.0..=1.0).contains(p)) {
            out.push(format!("knobs.fault_rate: {p} is not between 0 and 1"));
        }
        if let Some(p) = self.maintenance_rate.filter(|p| !(0.0..=1.0).contains(p)) {
            out.push(format!(
                "knobs.maintenance_rate: {p} is not between 0 and 1"
            ));
        }
        if let Some(s) = self.throttle.filter(|s| !(s.is_finite() && *s > 0.0)) {
            out.push(format!("knobs.throttle: {s} is not a positive scale"));
        }
        if self.page_size == Some(0) {
            out.push("knobs.page_size: must be at least 1".into());
        }
        if self.resource_window_secs == Some(0) {
            out.push("knobs.resource_window_secs: must be at least 1".into());
        }
        out
    }

    /// The knobs applied to `base` (whose `listen` is kept).
    pub fn apply(&self, base: EmulatorOptions) -> EmulatorOptions {
        let mut o = base;
        if let Some(v) = self.seed {
            o = o.seed(v);
        }
        if let Some(v) = self.latency_ms {
            o = o.latency_ms(v);
        }
        if let Some(v) = self.lro_polls {
            o = o.lro_polls(v);
        }
        if let Some(v) = self.page_size {
            o = o.page_size(usize::try_from(v).unwrap_or(usize::MAX));
        }
        if let Some(v) = self.throttle {
            o = o.throttle(v);
        }
        if let Some(v) = self.resource_window_secs {
            o = o.resource_window(Duration::from_secs(v.max(1)));
        }
        if let Some(v) = self.fault_rate {
            o = o.fault_rate(v);
        }
        if let Some(v) = self.aad_lag_secs {
            o = o.aad_lag_secs(v);
        }
        if self.no_write_conflicts {
            o = o.write_conflicts(false);
        }
        if self.mirror_data_plane {
            o = o.mirror_data_plane(true);
        }
        if self.duplicates_by_principal_id {
            o = o.raw_duplicates(true);
        }
        if self.maintenance_failures.is_some() || self.maintenance_rate.is_some() {
            o = o.maintenance(
                self.maintenance_failures.unwrap_or(0),
                self.maintenance_rate.unwrap_or(0.0),
            );
        }
        if self.refuse_none_follower_writes {
            o = o.refuse_none_follower_writes(true);
        }
        if let Some(v) = self.token_lifetime_secs {
            o = o.token_lifetime(Duration::from_secs(v));
        }
        if let Some(v) = self.lro_timeout_secs {
            o = o.lro_timeout(Duration::from_secs(v));
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_unset_knobs_keep_the_defaults() {
        let file: Knobs =
            serde_yaml::from_str("throttle: 0.5\npage_size: 3\nno_write_conflicts: true\n")
                .unwrap();
        let flags = Knobs {
            throttle: Some(2.0),
            ..Knobs::default()
        };
        let o = flags.over(&file).apply(EmulatorOptions::default());
        assert_eq!(o.throttle, Some(2.0));
        assert_eq!(o.page_size, Some(3));
        assert!(!o.write_conflicts);
        assert_eq!(o.lro_polls, EmulatorOptions::default().lro_polls);
    }

    #[test]
    fn the_file_section_is_checked() {
        assert!(serde_yaml::from_str::<Knobs>("throtle: 1\n").is_err());
        let bad: Knobs = serde_yaml::from_str("fault_rate: 2\nthrottle: 0\n").unwrap();
        assert_eq!(bad.problems().len(), 2);
        assert!(Knobs::default().is_empty());
    }
}
