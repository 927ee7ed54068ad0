//! The Nomad client configuration of one client host (LANGUAGE.md §8):
//! `reserved` memory and CPU equal to what the budget check counted outside
//! Nomad there, so that Nomad's scheduler sees the free capacity the check
//! saw, and the host volumes the jobspecs name.
//!
//! Reserved memory = the host's RAM − (its `memory_budget` share − its
//! `reserved` − the memory of its baremetal and docker services), in MiB
//! rounded up: the share the budget keeps free, the OS reserve and every
//! service beside Nomad. Reserved CPU = the `cpu` of those services at the
//! host's `cpu_mhz`, in MHz rounded up (the CPU budget has no share).

use crate::ast::Runtime;
use crate::emit::hcl;
use crate::emit::nomad::resources;
use crate::model::{HostId, Stack};

/// What a Nomad client must keep for everything but its allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reserved {
    /// MiB (Nomad's "MB").
    pub(super) memory_mb: u64,
    pub(super) cpu_mhz: u64,
}

pub(super) fn reserved(stack: &Stack, host: HostId) -> Reserved {
    let decl = stack.host(host);
    let (mut memory, mut milli_cpu) = (0u128, 0u128);
    for service in &stack.services {
        if service.decl.runtime.value == Runtime::Nomad {
            continue;
        }
        let instances = service.on.iter().flatten().filter(|&&h| h == host).count() as u128;
        memory += instances * u128::from(service.decl.memory.value);
        milli_cpu += instances * u128::from(service.decl.cpu.value);
    }
    let total = u128::from(decl.memory.value);
    let budget = u128::from(stack.settings.memory_budget.value.of(decl.memory.value));
    let for_nomad = budget.saturating_sub(u128::from(decl.reserved.value) + memory);
    let kept = total.saturating_sub(for_nomad);
    let memory_mb = resources::memory_mb(u64::try_from(kept).unwrap_or(u64::MAX));
    let cpu_mhz = (milli_cpu * u128::from(decl.cpu_mhz.value)).div_ceil(1000);
    Reserved {
        memory_mb,
        cpu_mhz: u64::try_from(cpu_mhz).unwrap_or(u64::MAX),
    }
}

/// The `client { … }` block: `reserved`, then one `host_volume` per
/// (name, folder).
pub(super) fn config(reserved: &Reserved, host_volumes: &[(String, String)]) -> String {
    let mut text = String::from("client {\n");
    text.push_str(&format!(
        "  reserved {{\n    cpu    = {}\n    memory = {}\n  }}\n",
        reserved.cpu_mhz, reserved.memory_mb
    ));
    for (name, path) in host_volumes {
        text.push_str(&format!(
            "\n  host_volume \"{}\" {{\n    path      = \"{}\"\n    read_only = false\n  }}\n",
            hcl::escape(name),
            hcl::escape(path)
        ));
    }
    text.push_str("}\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lists_reserved_then_volumes() {
        let reserved = Reserved {
            memory_mb: 1024,
            cpu_mhz: 2100,
        };
        let text = config(&reserved, &[("pg-data".into(), "/srv/d/\"x".into())]);
        assert_eq!(
            text,
            "client {\n  reserved {\n    cpu    = 2100\n    memory = 1024\n  }\n\n  host_volume \"pg-data\" {\n    path      = \"/srv/d/\\\"x\"\n    read_only = false\n  }\n}\n"
        );
    }
}
