//! The cold-start estimate (LANGUAGE.md section 8): for each service the
//! worst-case time from "everything off" until it is healthy — the latest of
//! its dependencies' times plus its own health wait — the total, and the
//! chain of services that sets it. A service's own wait is the seconds the
//! bootstrap's health wait allows ([`HealthWait::worst_case`]); a service
//! without a health check is not waited for and adds nothing.
//!
//! `orch.bootstrap` runs stage by stage, each stage waiting for all of its
//! services: its own worst case is the sum over the stages of the longest
//! wait in each (`bootstrap_ms`), at least the critical path's total.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::check::Analysis;
use crate::model::health_wait::HealthWait;
use crate::model::{ServiceId, Stack};

#[derive(Debug, Clone, serde::Serialize)]
pub struct ColdStart {
    pub total_ms: u64,
    /// From a service with no dependencies to the one that is healthy last.
    pub critical_path: Vec<String>,
    /// Per service, in declaration order.
    pub services: ServiceTimes,
    /// The stage-by-stage bootstrap's worst case (an extension of the
    /// language's estimate: the orchestration waits for whole stages).
    pub bootstrap_ms: u64,
}

/// `{service: ms}` in declaration order.
#[derive(Debug, Clone)]
pub struct ServiceTimes(pub Vec<(String, u64)>);

impl Serialize for ServiceTimes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (service, ms) in &self.0 {
            map.serialize_entry(service, ms)?;
        }
        map.end()
    }
}

/// The milliseconds a service's own health wait may take.
pub fn own_wait_ms(stack: &Stack, id: ServiceId) -> u64 {
    stack.service(id).decl.health.as_ref().map_or(0, |health| {
        HealthWait::of(health).worst_case().saturating_mul(1000)
    })
}

impl ColdStart {
    /// `None` when the graph has a cycle (there is no order to start in).
    pub fn compute(stack: &Stack, analysis: &Analysis) -> Option<Self> {
        let stages = analysis.stages.as_ref()?;
        let count = stack.services.len();
        // Dependencies have lower stages: in stage order each service's
        // dependencies are done before it.
        let mut order: Vec<ServiceId> = stack.service_ids().collect();
        order.sort_by_key(|id| (stages[id.0], id.0));
        let mut ready = vec![0u64; count];
        let mut via: Vec<Option<ServiceId>> = vec![None; count];
        for &id in &order {
            let mut latest: Option<(u64, ServiceId)> = None;
            for (dependency, _) in analysis.graph.dependencies(id) {
                let at = ready[dependency.0];
                // The first dependency in declaration order wins a tie.
                if latest.is_none_or(|(t, d)| at > t || (at == t && dependency.0 < d.0)) {
                    latest = Some((at, dependency));
                }
            }
            via[id.0] = latest.map(|(_, d)| d);
            ready[id.0] = latest
                .map_or(0, |(t, _)| t)
                .saturating_add(own_wait_ms(stack, id));
        }
        let last = stack
            .service_ids()
            .fold(None::<ServiceId>, |best, id| match best {
                Some(b) if ready[b.0] >= ready[id.0] => Some(b),
                _ => Some(id),
            });
        let mut critical_path = Vec::new();
        let mut at = last;
        while let Some(id) = at {
            critical_path.push(stack.service(id).name().to_string());
            at = via[id.0];
        }
        critical_path.reverse();
        let mut stage_longest: Vec<u64> = Vec::new();
        for id in stack.service_ids() {
            let stage = stages[id.0];
            if stage_longest.len() <= stage {
                stage_longest.resize(stage + 1, 0);
            }
            stage_longest[stage] = stage_longest[stage].max(own_wait_ms(stack, id));
        }
        Some(ColdStart {
            total_ms: last.map_or(0, |id| ready[id.0]),
            critical_path,
            services: ServiceTimes(
                stack
                    .service_ids()
                    .map(|id| (stack.service(id).name().to_string(), ready[id.0]))
                    .collect(),
            ),
            bootstrap_ms: stage_longest
                .iter()
                .fold(0u64, |sum, ms| sum.saturating_add(*ms)),
        })
    }

    /// The `eosc plan` section.
    pub fn render(&self) -> String {
        let mut out = format!(
            "\ncold start (worst case, everything off until healthy)\n  total           {}\n  critical path   {}\n  bootstrap       {} (stage by stage, each waiting for its slowest service)\n",
            duration(self.total_ms),
            self.critical_path.join(" → "),
            duration(self.bootstrap_ms),
        );
        for (service, ms) in &self.services.0 {
            out.push_str(&format!("  {service:<24} {}\n", duration(*ms)));
        }
        out
    }
}

/// `2m 10s`, `45s`, `1h 3m 0s`.
fn duration(ms: u64) -> String {
    let seconds = ms.div_ceil(1000);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m {s}s"),
    }
}
