//! How long the bootstrap waits for a service's health check, in whole
//! seconds: the one number behind both `orch.bootstrap`'s waits
//! (`emit/salt/health.rs`) and the cold-start estimate of `plan.json`
//! (`views/cold_start.rs`), so that the two cannot disagree.
//!
//! Every wait gives up within `deadline` = `grace` + 10 × `interval`:
//! `http.wait_for_successful_query` with `wait_for = deadline`; a retried
//! probe (TCP, `command`) with as many attempts as fit in it, each bounded
//! by `timeout` and `interval` apart.

use crate::ast::HealthDecl;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthWait {
    /// Seconds between probes.
    pub interval: u64,
    /// Seconds one probe may take.
    pub timeout: u64,
    /// Seconds after which the wait gives up.
    pub deadline: u64,
    /// Probes of a retried wait: `attempts × timeout + (attempts − 1) ×
    /// interval ≤ deadline` (at least one).
    pub attempts: u64,
}

/// Whole seconds, rounded up, at least one.
pub fn seconds(millis: u64) -> u64 {
    millis.div_ceil(1000).max(1)
}

impl HealthWait {
    pub fn of(health: &HealthDecl) -> Self {
        let interval = seconds(health.interval.value);
        let timeout = seconds(health.timeout.value);
        let deadline = seconds(health.grace.value).saturating_add(interval.saturating_mul(10));
        Self {
            interval,
            timeout,
            deadline,
            attempts: (deadline.saturating_add(interval) / interval.saturating_add(timeout)).max(1),
        }
    }

    /// The longest any wait of this check can take, in seconds: the
    /// deadline, or a single probe's timeout when that is longer.
    pub fn worst_case(self) -> u64 {
        self.deadline.max(self.retried_worst_case())
    }

    /// The longest a retried wait can take: every probe timing out.
    pub fn retried_worst_case(self) -> u64 {
        self.attempts
            .saturating_mul(self.timeout)
            .saturating_add((self.attempts - 1).saturating_mul(self.interval))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Span, Spanned};

    fn health(interval: u64, timeout: u64, grace: u64) -> HealthDecl {
        let at = |v| Spanned::new(v, Span::default());
        HealthDecl {
            head: Span::default(),
            check: crate::ast::HealthCheck::Missing,
            interval: at(interval),
            timeout: at(timeout),
            grace: at(grace),
        }
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(seconds(0), 1);
        assert_eq!(seconds(1000), 1);
        assert_eq!(seconds(1500), 2);
        assert_eq!(seconds(300_000), 300);
    }

    #[test]
    fn a_retried_wait_fits_in_the_deadline() {
        for (interval, timeout, grace) in [
            (10_000, 2_000, 30_000),
            (1, 1, 1),
            (5_000, 60_000, 0),
            (1_000, 999_000, 300_000),
            (3_600_000, 1_000, 0),
        ] {
            let wait = HealthWait::of(&health(interval, timeout, grace));
            assert!(wait.attempts >= 1);
            // One probe may take longer than the deadline when `timeout` is
            // longer than it: then there is exactly one.
            assert!(
                wait.retried_worst_case() <= wait.deadline || wait.attempts == 1,
                "{wait:?}"
            );
        }
        let wait = HealthWait::of(&health(10_000, 2_000, 30_000));
        assert_eq!((wait.deadline, wait.attempts), (130, 11));
        assert_eq!(wait.retried_worst_case(), 122);
    }
}
