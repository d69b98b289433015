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

use axum::http::StatusCode;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::reply::{ArmError, Reply};
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
        let err = |status, code, message: String| ArmError::new(status, code, message).reply();
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
}

impl Faults {
    pub fn new(seed: u64, rate: f64) -> Faults {
        Faults {
            rng: SmallRng::seed_from_u64(seed),
            rate,
        }
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
            let mut f = Faults::new(seed, 0.5);
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
        assert!(Faults::new(1, 0.0).draw().is_none());
    }
}
