//! Memory and CPU budgets of section 5: per host (E0301, E0302), per NUMA node
//! (E0303, E0304, W0301), and the Nomad allocations that fit nowhere (E0306).

use crate::ast::{HostDecl, Runtime};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::placement::FailureReason;
use crate::model::{HostId, Placement, ServiceId, Stack};
use crate::units::{bytes, bytes_pair, cores};

/// Contributors labelled in the source (the help table lists them all).
const MAX_LABELS: usize = 6;

pub(super) fn check(stack: &Stack, placement: &Placement, diags: &mut Diagnostics) {
    let by_host = placement.by_host(stack.hosts.len());
    for host in stack.host_ids() {
        let services = &by_host[host.0];
        check_host_memory(stack, host, services, diags);
        check_host_cpu(stack, host, services, diags);
        check_numa(stack, host, services, diags);
    }
    check_missing_numa_nodes(stack, placement, diags);
    check_unpinned_larger_than_numa(stack, &by_host, diags);
    check_unplaced(stack, placement, diags);
}

/// One line per service on the host: name, runtime, instance count, amount.
struct Usage {
    service: ServiceId,
    instances: u64,
    amount: u64,
}

/// Services on a host with their instance counts, largest amount first.
fn usage(stack: &Stack, services: &[ServiceId], amount: impl Fn(ServiceId) -> u64) -> Vec<Usage> {
    let mut sorted = services.to_vec();
    sorted.sort_unstable();
    let mut rows: Vec<Usage> = Vec::new();
    for id in sorted {
        match rows.last_mut() {
            Some(row) if row.service == id => {
                row.instances += 1;
                row.amount = row.amount.saturating_add(amount(id));
            }
            _ => rows.push(Usage {
                service: id,
                instances: 1,
                amount: amount(id),
            }),
        }
    }
    rows.sort_by(|a, b| {
        b.amount.cmp(&a.amount).then_with(|| {
            stack
                .service(a.service)
                .name()
                .cmp(stack.service(b.service).name())
        })
    });
    rows
}

fn row_name(stack: &Stack, row: &Usage) -> String {
    let service = stack.service(row.service);
    let mut name = service.name().to_string();
    if service.decl.runtime.value == Runtime::Nomad {
        name.push_str(if row.instances == 1 {
            " (nomad)"
        } else {
            " (nomad ×"
        });
        if row.instances > 1 {
            name.push_str(&format!("{})", row.instances));
        }
    }
    name
}

/// Labels the largest contributors (at most [`MAX_LABELS`]) where their amount
/// is written; the help table lists them all.
fn with_contributors(
    mut diag: Diagnostic,
    stack: &Stack,
    rows: &[Usage],
    span: impl Fn(&crate::ast::ServiceDecl) -> crate::span::Span,
    text: impl Fn(&Usage) -> String,
) -> Diagnostic {
    for row in rows.iter().take(MAX_LABELS) {
        diag = diag.with_label(span(&stack.service(row.service).decl), text(row));
    }
    diag
}

/// A table for the help text: rows, then the total against the limit.
fn table(rows: &[(String, String)], total: &str, limit_line: &str) -> String {
    let width = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let mut out = String::new();
    for (name, amount) in rows {
        out.push_str(&format!("\n  {name:<width$}  {amount:>10}"));
    }
    out.push_str(&format!(
        "\n  {:<width$}  {total:>10}  {limit_line}",
        "total"
    ));
    out
}

fn check_host_memory(stack: &Stack, host: HostId, services: &[ServiceId], diags: &mut Diagnostics) {
    let decl = stack.host(host);
    let budget_share = stack.settings.memory_budget.value;
    let budget = budget_share.of(decl.memory.value);
    let memory = |id: ServiceId| stack.service(id).decl.memory.value;
    let total = crate::model::total(
        std::iter::once(decl.reserved.value).chain(services.iter().map(|&id| memory(id))),
    );
    if total <= budget {
        return;
    }
    let rows = usage(stack, services, memory);
    let mut lines = vec![("reserved (OS)".to_string(), bytes(decl.reserved.value))];
    lines.extend(rows.iter().map(|r| (row_name(stack, r), bytes(r.amount))));
    let limit = format!(
        "of a {} budget ({budget_share} of {}): {} over",
        bytes(budget),
        bytes(decl.memory.value),
        bytes(total - budget)
    );
    let mut diag = Diagnostic::new(Code::E0301, decl.memory.span, {
        let (used, limit) = bytes_pair(total, budget);
        format!(
            "host `{}` is over its memory budget: {used} reserved, budget {limit}",
            decl.name.value
        )
    })
    .with_primary_label(format!(
        "{} × {budget_share} = {} budget",
        bytes(decl.memory.value),
        bytes(budget)
    ));
    diag = with_contributors(
        diag,
        stack,
        &rows,
        |s| s.memory.span,
        |row| {
            format!(
                "{} reserves {} on `{}`",
                row_name(stack, row),
                bytes(row.amount),
                decl.name.value
            )
        },
    );
    diags.push(diag.with_help(format!(
        "what `{}` holds:{}\nmove services to other hosts, lower their `memory`, add RAM, or raise `memory_budget`",
        decl.name.value,
        table(&lines, &bytes(total), &limit)
    )));
}

fn check_host_cpu(stack: &Stack, host: HostId, services: &[ServiceId], diags: &mut Diagnostics) {
    let decl = stack.host(host);
    let capacity = decl.cpus.value * 1000;
    let cpu = |id: ServiceId| stack.service(id).decl.cpu.value;
    let total = crate::model::total(services.iter().map(|&id| cpu(id)));
    if total <= capacity {
        return;
    }
    let rows = usage(stack, services, cpu);
    let lines: Vec<(String, String)> = rows
        .iter()
        .map(|r| (row_name(stack, r), cores(r.amount)))
        .collect();
    let mut diag = Diagnostic::new(
        Code::E0302,
        decl.cpus.span,
        format!(
            "host `{}` has {} CPUs but {} are reserved",
            decl.name.value,
            decl.cpus.value,
            cores(total)
        ),
    )
    .with_primary_label(format!("{} CPUs", decl.cpus.value));
    diag = with_contributors(
        diag,
        stack,
        &rows,
        |s| s.cpu.span,
        |row| {
            format!(
                "{} reserves {} cores on `{}`",
                row_name(stack, row),
                cores(row.amount),
                decl.name.value
            )
        },
    );
    let limit = format!(
        "of {} CPUs: {} over",
        decl.cpus.value,
        cores(total - capacity)
    );
    diags.push(diag.with_help(format!(
        "CPU reservations on `{}`:{}\nmove services, lower their `cpu`, or use a larger host",
        decl.name.value,
        table(&lines, &cores(total), &limit)
    )));
}

fn check_numa(stack: &Stack, host: HostId, services: &[ServiceId], diags: &mut Diagnostics) {
    let decl = stack.host(host);
    let budget_share = stack.settings.memory_budget.value;
    for node in &decl.numa {
        let pinned: Vec<ServiceId> = services
            .iter()
            .copied()
            .filter(|&id| {
                stack
                    .service(id)
                    .decl
                    .numa()
                    .is_some_and(|n| n.value == node.id.value)
            })
            .collect();
        if pinned.is_empty() {
            continue;
        }
        let amount = |id: ServiceId| stack.service(id).decl.memory.value;
        let memory = crate::model::total(pinned.iter().map(|&id| amount(id)));
        let budget = budget_share.of(node.memory.value);
        if memory > budget {
            let memory_rows = usage(stack, &pinned, amount);
            let lines: Vec<(String, String)> = memory_rows
                .iter()
                .map(|r| (row_name(stack, r), bytes(r.amount)))
                .collect();
            let limit = format!(
                "of a {} budget: {} over",
                bytes(budget),
                bytes(memory - budget)
            );
            let mut diag = Diagnostic::new(Code::E0303, node.memory.span, {
                let (used, limit) = bytes_pair(memory, budget);
                format!(
                    "NUMA node {} of `{}` is over its memory budget: {used} pinned, budget {limit}",
                    node.id.value, decl.name.value
                )
            })
            .with_primary_label(format!(
                "{} × {budget_share} = {} budget",
                bytes(node.memory.value),
                bytes(budget)
            ));
            diag = with_contributors(
                diag,
                stack,
                &memory_rows,
                |s| s.numa().map_or(s.head, |n| n.span),
                |row| format!("{} pins {} here", row_name(stack, row), bytes(row.amount)),
            );
            diags.push(diag.with_help(format!(
                "pinned to node {}:{}\npin some services to another node, or unpin them",
                node.id.value,
                table(&lines, &bytes(memory), &limit)
            )));
        }
        let amount = |id: ServiceId| stack.service(id).decl.cpu.value;
        let cpu = crate::model::total(pinned.iter().map(|&id| amount(id)));
        let capacity = node.cpus.value.len() * 1000;
        if cpu > capacity {
            let cpu_rows = usage(stack, &pinned, amount);
            let lines: Vec<(String, String)> = cpu_rows
                .iter()
                .map(|r| (row_name(stack, r), cores(r.amount)))
                .collect();
            let limit = format!(
                "of {} CPUs: {} over",
                node.cpus.value.len(),
                cores(cpu - capacity)
            );
            diags.push(
                Diagnostic::new(
                    Code::E0303,
                    node.cpus.span,
                    format!(
                        "NUMA node {} of `{}` has {} CPUs but {} are pinned to it",
                        node.id.value,
                        decl.name.value,
                        node.cpus.value.len(),
                        cores(cpu)
                    ),
                )
                .with_primary_label(format!("{} CPUs", node.cpus.value.len()))
                .with_help(format!(
                    "pinned to node {}:{}\npin some services to another node",
                    node.id.value,
                    table(&lines, &cores(cpu), &limit)
                )),
            );
        }
    }
}

/// The Nomad clients a service may run on (its `on`, when written).
fn allowed_clients<'p>(
    stack: &'p Stack,
    placement: &'p Placement,
    id: ServiceId,
) -> impl Iterator<Item = HostId> + 'p {
    let on = stack.service(id).on.as_deref();
    placement
        .nomad_clients
        .iter()
        .copied()
        .filter(move |h| on.is_none_or(|on| on.contains(h)))
}

/// Whether a nomad service is pinned to a NUMA node that none of the
/// clients it may run on has (and there are such clients): E0304 reports
/// each of them, and no allocation of it can be placed.
fn no_client_has_numa_node(stack: &Stack, placement: &Placement, id: ServiceId) -> bool {
    let Some(numa) = stack.service(id).decl.numa() else {
        return false;
    };
    let mut clients = allowed_clients(stack, placement, id).peekable();
    clients.peek().is_some() && clients.all(|h| !has_numa_node(stack.host(h), numa.value))
}

/// E0304: `numa = N` where a host the service runs on has no node N.
fn check_missing_numa_nodes(stack: &Stack, placement: &Placement, diags: &mut Diagnostics) {
    for id in stack.service_ids() {
        let service = stack.service(id);
        let Some(numa) = service.decl.numa() else {
            continue;
        };
        let hosts: Vec<HostId> = match service.decl.runtime.value {
            Runtime::Nomad => {
                if !no_client_has_numa_node(stack, placement, id) {
                    continue; // placement only uses clients that have the node
                }
                allowed_clients(stack, placement, id).collect()
            }
            _ => service.on.as_deref().unwrap_or_default().to_vec(),
        };
        for host in hosts
            .into_iter()
            .filter(|h| !has_numa_node(stack.host(*h), numa.value))
        {
            let decl = stack.host(host);
            let nodes: Vec<String> = decl.numa.iter().map(|n| n.id.value.to_string()).collect();
            let has = if nodes.is_empty() {
                "no NUMA nodes".to_string()
            } else {
                format!(
                    "NUMA node{} {}",
                    if nodes.len() == 1 { "" } else { "s" },
                    nodes.join(", ")
                )
            };
            diags.push(
                Diagnostic::new(
                    Code::E0304,
                    numa.span,
                    format!(
                        "`{}` is pinned to NUMA node {}, which host `{}` does not have",
                        service.name(),
                        numa.value,
                        decl.name.value
                    ),
                )
                .with_primary_label(format!("node {}", numa.value))
                .with_label(decl.head, format!("`{}` has {has}", decl.name.value))
                .with_help(
                    "pin to a node every host of the service has, or declare the node on the host",
                ),
            );
        }
    }
}

fn has_numa_node(host: &HostDecl, id: u64) -> bool {
    host.numa.iter().any(|n| n.id.value == id)
}

/// W0301: an unpinned service larger than a NUMA node of a host it runs on
/// spans nodes, and every access to the far half pays the interconnect.
fn check_unpinned_larger_than_numa(
    stack: &Stack,
    by_host: &[Vec<ServiceId>],
    diags: &mut Diagnostics,
) {
    let mut reported = vec![false; stack.services.len()];
    for host in stack.host_ids() {
        let decl = stack.host(host);
        let Some(smallest) = decl
            .numa
            .iter()
            .min_by_key(|n| (n.memory.value, n.id.value))
        else {
            continue;
        };
        for &id in &by_host[host.0] {
            let service = stack.service(id);
            if reported[id.0]
                || service.decl.numa().is_some()
                || service.decl.memory.value <= smallest.memory.value
            {
                continue;
            }
            reported[id.0] = true;
            diags.push(
                Diagnostic::new(
                    Code::W0301,
                    service.decl.memory.span,
                    {
                        let (needs, node) = bytes_pair(service.decl.memory.value, smallest.memory.value);
                        format!("`{}` needs {needs}, more than NUMA node {} of `{}` ({node})", service.name(), smallest.id.value, decl.name.value)
                    },
                )
                .with_primary_label("larger than a NUMA node")
                .with_label(smallest.memory.span, format!("node {} has {}", smallest.id.value, bytes(smallest.memory.value)))
                .with_help("its memory will span NUMA nodes; pin it with `numa = N` on a larger node, or split it"),
            );
        }
    }
}

/// E0306: one diagnostic per service with allocations that fit nowhere.
fn check_unplaced(stack: &Stack, placement: &Placement, diags: &mut Diagnostics) {
    let mut i = 0;
    let failures = &placement.failures;
    let mut by_service: Vec<_> = failures.iter().collect();
    by_service.sort_by_key(|f| (f.service, f.allocation));
    while i < by_service.len() {
        let id = by_service[i].service;
        let count = by_service[i..]
            .iter()
            .take_while(|f| f.service == id)
            .count();
        let failure = by_service[i];
        i += count;
        let service = stack.service(id);
        // (Only nomad allocations are packed, and so only they fail.)
        if no_client_has_numa_node(stack, placement, id) {
            continue; // reported as E0304
        }
        let total = service.decl.count.value;
        let what = if total == 1 {
            "its allocation".to_string()
        } else {
            format!("{count} of its {total} allocations")
        };
        let help = match &failure.reason {
            FailureReason::NoRoom(free) => {
                let lines: Vec<String> = free
                    .iter()
                    .map(|(h, f)| format!("\n  {:<16} {} free", stack.host(*h).name.value, signed_bytes(*f)))
                    .collect();
                format!("free memory budget on each candidate Nomad client when it was placed:{}\nlower `memory` or `count`, widen `on`, or add Nomad clients", lines.concat())
            }
            FailureReason::NoCandidate(excluded) if excluded.is_empty() => {
                "there are no Nomad clients: list them in the `on` of the service that provides nomad".to_string()
            }
            FailureReason::NoCandidate(excluded) => {
                let lines: Vec<String> = excluded.iter().map(|e| format!("\n  {:<16} {}", stack.host(e.host).name.value, e.why)).collect();
                format!("no Nomad client can take it:{}", lines.concat())
            }
        };
        let memory = bytes(service.decl.memory.value);
        let each = if total == 1 {
            memory.clone()
        } else {
            format!("{memory} each")
        };
        let (span, label) = match &failure.reason {
            FailureReason::NoRoom(_) => {
                (service.decl.memory.span, format!("{memory} per allocation"))
            }
            FailureReason::NoCandidate(_) => constraint_span(service),
        };
        diags.push(
            Diagnostic::new(
                Code::E0306,
                span,
                format!(
                    "`{}` does not fit: {what} ({each}) found no Nomad client",
                    service.name()
                ),
            )
            .with_primary_label(label)
            .with_help(help),
        );
    }
}

/// Where a job's placement constraints are written: `on`, a local volume, or
/// a static port — whichever narrows it; the head otherwise.
fn constraint_span(service: &crate::model::Service) -> (crate::span::Span, String) {
    let decl = &service.decl;
    if let Some(first) = decl.on().and_then(|on| on.first()) {
        return (first.span, "placement limited by `on`".into());
    }
    let local = decl.volumes.iter().find_map(|v| match &v.placement {
        crate::ast::VolumePlacement::Disk(reference) => Some(reference.span),
        _ => None,
    });
    if let Some(span) = local {
        return (span, "a local volume pins it to this disk's host".into());
    }
    if let Some(port) = decl.ports.iter().find(|p| p.is_static.value) {
        return (
            port.is_static.span,
            "a static port needs a free port on the client".into(),
        );
    }
    (decl.head, "no Nomad client qualifies".into())
}

fn signed_bytes(n: i128) -> String {
    if n < 0 {
        format!("-{}", bytes(n.unsigned_abs() as u64))
    } else {
        bytes(n as u64)
    }
}
