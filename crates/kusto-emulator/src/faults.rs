//! Fault injection (`--fault-rate`): a seeded RNG draws, for every ARM request in arrival order,
//! whether it fails and how. The same seed and the same request sequence give the same faults.
//!
//! | fault            | share | effect                                                     |
//! |------------------|-------|------------------------------------------------------------|
//! | `Throttled`      | 30 %  | 429 `TooManyRequests` + `Retry-After: 1`                    |
//! | `ServerError`    | 20 %  | 500 `InternalServerError`                                   |
//! | `Unavailable`    | 20 %  | 503 `ServiceUnavailable` + `Retry-After: 1`                 |
//! | `Reset`          | 15 %  | the connection closes without an answer                     |
//! | `FailOperation`  | 15 %  | a create or delete is accepted, then its operation fails    |
//!
//! Apart from these, `--maintenance-failures N` and `--maintenance-rate P` make the operations that
//! principal-assignment writes start fail with `ServiceIsInMaintenance` (see `assignment_update`).

use axum::http::StatusCode;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::reply::{ErrorResponse, Reply};
use super::throttle::OpClass;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Throttled,
    ServerError,
    Unavailable,
    Reset,
    FailOperation,
}

impl Fault {
    /// The answer that replaces the real one; `None` for faults that act later or elsewhere.
    pub fn reply(self, class: OpClass) -> Option<Reply> {
        let err = |status, code, message: String| ErrorResponse::new(status, code, message).reply();
        match self {
            Fault::Throttled => Some(
                err(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    format!(
                        "The request is being throttled as the limit has been reached for operation type - '{}'. For more information, refer to - https://aka.ms/armthrottling (emulated fault)",
                        class.operation_type()
                    ),
                )
                .with_header("Retry-After", "1"),
            ),
            Fault::ServerError => Some(err(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "Encountered internal server error. Please try again later (emulated fault).".into(),
            )),
            Fault::Unavailable => Some(
                err(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "The service is temporarily unavailable. Please try again later (emulated fault).".into(),
                )
                .with_header("Retry-After", "1"),
            ),
            Fault::Reset | Fault::FailOperation => None,
        }
    }
}

pub struct Faults {
    rng: SmallRng,
    rate: f64,
    maintenance: Maintenance,
}

/// Maintenance conflicts: the first `first` operations fail, then each with probability `rate`,
/// drawn from an RNG of their own so that they leave the other faults' sequence as it was.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MaintenanceKnobs {
    pub first: u32,
    pub rate: f64,
}

struct Maintenance {
    knobs: MaintenanceKnobs,
    seen: u32,
    rng: SmallRng,
}

impl Faults {
    pub fn with_maintenance(seed: u64, rate: f64, knobs: MaintenanceKnobs) -> Faults {
        Faults {
            rng: SmallRng::seed_from_u64(seed),
            rate,
            maintenance: Maintenance {
                knobs,
                seen: 0,
                rng: SmallRng::seed_from_u64(seed ^ 0x6d61_696e_7465_6e61),
            },
        }
    }

    /// Whether the operation about to start meets a maintenance conflict.
    pub fn maintenance(&mut self) -> bool {
        let m = &mut self.maintenance;
        m.seen = m.seen.saturating_add(1);
        if m.seen <= m.knobs.first {
            return true;
        }
        m.knobs.rate > 0.0 && m.rng.random::<f64>() < m.knobs.rate
    }

    /// Draws for one request; always consumes two numbers so later draws do not depend on earlier
    /// outcomes.
    pub fn draw(&mut self) -> Option<Fault> {
        let hit: f64 = self.rng.random();
        let which: f64 = self.rng.random();
        if hit >= self.rate {
            return None;
        }
        Some(match which {
            w if w < 0.30 => Fault::Throttled,
            w if w < 0.50 => Fault::ServerError,
            w if w < 0.70 => Fault::Unavailable,
            w if w < 0.85 => Fault::Reset,
            _ => Fault::FailOperation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let run = |seed| {
            let mut f = Faults::with_maintenance(seed, 0.5, MaintenanceKnobs::default());
            (0..200).map(|_| f.draw()).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let all = run(7);
        for kind in [
            Fault::Throttled,
            Fault::ServerError,
            Fault::Unavailable,
            Fault::Reset,
            Fault::FailOperation,
        ] {
            assert!(all.contains(&Some(kind)), "{kind:?} never drawn");
        }
        assert!(
            Faults::with_maintenance(1, 0.0, MaintenanceKnobs::default())
                .draw()
                .is_none()
        );
    }

    #[test]
    fn maintenance_fails_the_first_n_then_at_its_rate_without_moving_other_faults() {
        let knobs = MaintenanceKnobs {
            first: 2,
            rate: 0.0,
        };
        let mut f = Faults::with_maintenance(3, 0.5, knobs);
        let mut plain = Faults::with_maintenance(3, 0.5, MaintenanceKnobs::default());
        assert_eq!(
            [f.maintenance(), f.maintenance(), f.maintenance()],
            [true, true, false]
        );
        assert_eq!(f.draw(), plain.draw());
        let mut always = Faults::with_maintenance(
            1,
            0.0,
            MaintenanceKnobs {
                first: 0,
                rate: 1.0,
            },
        );
        assert!((0..10).all(|_| always.maintenance()));
    }
}
