//! Properties over generated stacks: stages respect every edge, packing never
//! exceeds a budget, a stack reported as fitting really fits, and any edge that
//! closes a loop is reported as a cycle.

mod common;

use std::fmt::Write as _;

use eosc::ast::Runtime;
use eosc::driver::Checked;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct GenHost {
    memory_gib: u64,
    cpus: u64,
}

#[derive(Debug, Clone)]
struct GenService {
    nomad: bool,
    memory_mib: u64,
    cpu_tenths: u64,
    count: u64,
    /// Indices of earlier services this one starts after (keeps the graph acyclic).
    after: Vec<usize>,
    /// For baremetal: which hosts (indices), non-empty.
    on: Vec<usize>,
}

#[derive(Debug, Clone)]
struct GenStack {
    budget_percent: u64,
    hosts: Vec<GenHost>,
    services: Vec<GenService>,
}

fn stack_strategy() -> impl Strategy<Value = GenStack> {
    (
        50u64..=100,
        prop::collection::vec((4u64..64, 2u64..32), 1..5),
    )
        .prop_flat_map(|(budget_percent, hosts)| {
            let host_count = hosts.len();
            let service = (
                any::<bool>(),
                64u64..16_384,
                1u64..40,
                1u64..4,
                prop::collection::vec(any::<prop::sample::Index>(), 0..3),
                prop::collection::vec(0..host_count, 1..=host_count),
            );
            prop::collection::vec(service, 1..14).prop_map(move |services| GenStack {
                budget_percent,
                hosts: hosts
                    .iter()
                    .map(|&(memory_gib, cpus)| GenHost { memory_gib, cpus })
                    .collect(),
                services: services
                    .into_iter()
                    .enumerate()
                    .map(
                        |(i, (nomad, memory_mib, cpu_tenths, count, after, mut on))| {
                            on.sort_unstable();
                            on.dedup();
                            let mut after: Vec<usize> = if i == 0 {
                                Vec::new()
                            } else {
                                after.iter().map(|ix| ix.index(i)).collect()
                            };
                            after.sort_unstable();
                            after.dedup();
                            GenService {
                                nomad,
                                memory_mib,
                                cpu_tenths,
                                count: if nomad { count } else { 1 },
                                after,
                                on,
                            }
                        },
                    )
                    .collect(),
            })
        })
}

/// The spec text; `extra_after` adds `after` edges (service index → target).
fn render(stack: &GenStack, extra_after: &[(usize, usize)]) -> String {
    let mut out = format!(
        "stack \"gen\" {{\n  domain = \"example.com\"\n  memory_budget = {}%\n}}\n",
        stack.budget_percent
    );
    for (i, host) in stack.hosts.iter().enumerate() {
        let _ = writeln!(
            out,
            "host \"h{i}\" {{ address = \"10.0.0.{}\" memory = {}GiB cpus = {} reserved = 1GiB }}",
            i + 1,
            host.memory_gib,
            host.cpus
        );
    }
    let all_hosts: Vec<String> = (0..stack.hosts.len()).map(|i| format!("h{i}")).collect();
    let _ = writeln!(
        out,
        "service \"nomad\" {{ runtime = baremetal provides = [nomad] on = [{}] memory = 64MiB cpu = 0.1 health {{ command = \"nomad status\" }} }}",
        all_hosts.join(", ")
    );
    for (i, service) in stack.services.iter().enumerate() {
        let mut after: Vec<String> = service.after.iter().map(|a| format!("s{a}")).collect();
        after.extend(
            extra_after
                .iter()
                .filter(|(from, _)| *from == i)
                .map(|(_, to)| format!("s{to}")),
        );
        let placement = if service.nomad {
            format!(
                "runtime = nomad image = \"app:1.0\" count = {} port \"http\" {{ number = 8080 }} health {{ port = http }}",
                service.count
            )
        } else {
            let on: Vec<String> = service.on.iter().map(|h| format!("h{h}")).collect();
            format!(
                "runtime = baremetal on = [{}] health {{ command = \"true\" }}",
                on.join(", ")
            )
        };
        let _ = writeln!(
            out,
            "service \"s{i}\" {{ {placement} memory = {}MiB cpu = 0.{} after = [{}] }}",
            service.memory_mib,
            service.cpu_tenths.min(9),
            after.join(", ")
        );
    }
    out
}

fn codes(checked: &Checked) -> Vec<&'static str> {
    checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn stages_respect_every_edge(stack in stack_strategy()) {
        let checked = common::check_text(&render(&stack, &[]));
        let codes = codes(&checked);
        prop_assert!(!codes.contains(&"E0202"), "{codes:?}");
        prop_assert!(!codes.iter().any(|c| c.starts_with("E01") || *c == "E0201"), "{codes:?}");
        let (model, analysis) = (checked.stack.as_ref().unwrap(), checked.analysis.as_ref().unwrap());
        let stages = analysis.stages.as_ref().expect("acyclic graph has stages");
        for id in model.service_ids() {
            let deps = analysis.graph.dependencies(id);
            let expected = deps.iter().map(|(d, _)| stages[d.0] + 1).max().unwrap_or(0);
            prop_assert_eq!(stages[id.0], expected);
            for (dep, _) in deps {
                prop_assert!(stages[id.0] > stages[dep.0]);
            }
        }
    }

    #[test]
    fn packing_never_exceeds_a_budget_and_fitting_really_fits(stack in stack_strategy()) {
        let checked = common::check_text(&render(&stack, &[]));
        let (model, analysis) = (checked.stack.as_ref().unwrap(), checked.analysis.as_ref().unwrap());
        let budget_of = |h: usize| model.hosts[h].memory.value * stack.budget_percent / 100;
        let mut fixed = vec![model.hosts[0].reserved.value; model.hosts.len()];
        let mut nomad = vec![0u64; model.hosts.len()];
        let mut cpu = vec![0u64; model.hosts.len()];
        for instance in &analysis.placement.instances {
            let service = model.service(instance.service);
            if service.decl.runtime.value == Runtime::Nomad {
                nomad[instance.host.0] += service.decl.memory.value;
            } else {
                fixed[instance.host.0] += service.decl.memory.value;
            }
            cpu[instance.host.0] += service.decl.cpu.value;
        }
        for h in 0..model.hosts.len() {
            // Nomad allocations only ever take what the fixed services left.
            prop_assert!(nomad[h] <= budget_of(h).saturating_sub(fixed[h]), "host h{h}");
        }
        let placed: u64 = analysis.placement.instances.iter().filter(|i| model.service(i.service).decl.runtime.value == Runtime::Nomad).count() as u64;
        let wanted: u64 = stack.services.iter().filter(|s| s.nomad).map(|s| s.count).sum();
        let codes = codes(&checked);
        prop_assert_eq!(placed < wanted, codes.contains(&"E0306"), "{:?}", codes);
        if !codes.contains(&"E0301") && !codes.contains(&"E0302") && !codes.contains(&"E0306") {
            for h in 0..model.hosts.len() {
                prop_assert!(fixed[h] + nomad[h] <= budget_of(h));
                prop_assert!(cpu[h] <= model.hosts[h].cpus.value * 1000);
            }
        }
        if codes.contains(&"E0301") {
            prop_assert!((0..model.hosts.len()).any(|h| fixed[h] + nomad[h] > budget_of(h)));
        }
    }

    #[test]
    fn an_edge_that_closes_a_loop_is_reported(stack in stack_strategy(), pick in any::<prop::sample::Index>()) {
        // Find an existing edge a → b (a after b, b earlier) and add b → a.
        let edges: Vec<(usize, usize)> = stack.services.iter().enumerate().flat_map(|(i, s)| s.after.iter().map(move |&t| (i, t))).collect();
        prop_assume!(!edges.is_empty());
        let (a, b) = edges[pick.index(edges.len())];
        let checked = common::check_text(&render(&stack, &[(b, a)]));
        let cycles: Vec<_> = checked.diagnostics.iter().filter(|d| d.code.as_str() == "E0202").collect();
        prop_assert_eq!(cycles.len(), 1, "{:?}", codes(&checked));
        let (name_a, name_b) = (format!("s{a}"), format!("s{b}"));
        prop_assert!(cycles[0].message.contains(&name_a) && cycles[0].message.contains(&name_b));
    }
}
