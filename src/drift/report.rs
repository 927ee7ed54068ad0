//! How a [`Drift`] is printed: a table grouped by service with the command
//! that reconciles each group, or one JSON object.

use std::collections::BTreeMap;

use super::Drift;
use crate::diag::render::printable;

/// The human report.
pub fn human(drift: &Drift) -> String {
    let mut out = format!(
        "eosc diff: stack `{}` against Nomad {}{}\n",
        drift.stack,
        drift.nomad,
        drift
            .consul
            .as_ref()
            .map(|c| format!(" and Consul {c}"))
            .unwrap_or_default()
    );
    let compared = format!(
        "{} job{} and {} Consul service{} compared",
        drift.jobs,
        plural(drift.jobs),
        drift.consul_services,
        plural(drift.consul_services)
    );
    if drift.differences.is_empty() {
        out.push_str(&format!("in sync: {compared}\n"));
        return out;
    }
    // Grouped by service, in the order found (spec order, then extra jobs).
    let mut order: Vec<&str> = Vec::new();
    let mut groups: BTreeMap<&str, Vec<&super::Difference>> = BTreeMap::new();
    for d in &drift.differences {
        if !groups.contains_key(d.service.as_str()) {
            order.push(&d.service);
        }
        groups.entry(&d.service).or_default().push(d);
    }
    let width = |column: fn(&super::Difference) -> usize| {
        drift.differences.iter().map(column).max().unwrap_or(0)
    };
    let what = width(|d| d.kind.name().len()).max(4);
    let spec = width(|d| cell(&d.spec).chars().count()).clamp(4, 48);
    for service in order {
        out.push('\n');
        out.push_str(&format!("{}\n", printable(service)));
        out.push_str(&format!("  {:what$}  {:spec$}  RUNNING\n", "WHAT", "SPEC"));
        let mut fixes: Vec<&str> = Vec::new();
        for d in &groups[service] {
            out.push_str(&format!(
                "  {:what$}  {:spec$}  {}\n",
                d.kind.name(),
                cell(&d.spec),
                cell(&d.running)
            ));
            if !fixes.contains(&d.fix.as_str()) {
                fixes.push(&d.fix);
            }
        }
        for fix in fixes {
            out.push_str(&format!("  fix: {}\n", printable(fix)));
        }
    }
    let services = groups.len();
    out.push_str(&format!(
        "\ndrift: {} difference{} in {services} service{} ({compared})\n",
        drift.differences.len(),
        plural(drift.differences.len()),
        plural(services)
    ));
    out
}

fn cell(text: &str) -> String {
    printable(text).into_owned()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Difference, Kind};
    use super::*;

    #[test]
    fn differences_are_grouped_by_service_with_their_fix() {
        let drift = Drift {
            stack: "eos".into(),
            nomad: "http://127.0.0.1:4646".into(),
            consul: None,
            jobs: 2,
            consul_services: 0,
            differences: vec![
                Difference::new(
                    "wiki",
                    Kind::Count,
                    "2".into(),
                    "1".into(),
                    "nomad job run x".into(),
                ),
                Difference::new(
                    "wiki",
                    Kind::Image,
                    "a:1".into(),
                    "a:2".into(),
                    "nomad job run x".into(),
                ),
                Difference::new(
                    "old",
                    Kind::ExtraJob,
                    "not in the spec".into(),
                    "status running".into(),
                    "nomad job stop -purge old".into(),
                ),
            ],
        };
        let text = human(&drift);
        assert!(text.contains("\nwiki\n"), "{text}");
        assert_eq!(text.matches("fix: nomad job run x").count(), 1, "{text}");
        assert!(text.contains("fix: nomad job stop -purge old"), "{text}");
        assert!(
            text.ends_with(
                "drift: 3 differences in 2 services (2 jobs and 0 Consul services compared)\n"
            ),
            "{text}"
        );
    }
}
