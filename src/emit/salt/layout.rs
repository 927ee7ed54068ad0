//! What goes where, decided once for `top.sls` and the orchestrate files: the
//! services Salt installs, the ops host, the `CephFS` clients, the hosts with
//! nomad volume folders or backups, and the proxy hosts.

use super::paths;
use crate::ast::{Capability, Runtime};
use crate::emit::{caddy, nginx, topology, Artifacts, EmitError, Input};
use crate::model::{HostId, ServiceId, Stack, VolumeStorage};

/// `CephFS` clients: mounted once the provider's stage is healthy.
pub(super) struct Cephfs {
    /// The service that provides `cephfs`.
    pub(super) provider: ServiceId,
    pub(super) provider_stage: usize,
    pub(super) hosts: Vec<HostId>,
}

/// A proxy whose config Salt installs from the build.
pub(super) struct Proxy {
    /// `caddy` or `nginx`: the SLS is `eos.proxy.<kind>`.
    pub(super) kind: &'static str,
    pub(super) service: ServiceId,
    pub(super) hosts: Vec<HostId>,
    /// The built config (`caddy/Caddyfile`) and where it goes on the host.
    pub(super) artifact: &'static str,
    pub(super) target: &'static str,
}

impl Proxy {
    pub(super) fn sls(&self) -> String {
        format!("eos.proxy.{}", self.kind)
    }
}

pub(super) struct Layout {
    /// Stage per service (index = `ServiceId`).
    pub(super) stages: Vec<usize>,
    /// Per stage, its services but the salt master running the
    /// orchestration, by ascending `ServiceId` (made once: the restart and
    /// restore files of every service read them).
    by_stage: Vec<Vec<ServiceId>>,
    /// Runs Terraform and the Nomad CLI: the salt master's host.
    pub(super) ops_host: HostId,
    /// The salt master's own service, if the spec declares it: it runs the
    /// orchestrate files, so they neither restart nor stop it (highstate
    /// manages it).
    pub(super) controller: Option<ServiceId>,
    pub(super) cephfs: Option<Cephfs>,
    /// The Nomad clients Salt configures (`eos.nomad_client.<host>`): every
    /// client of a baremetal Nomad, when the stack has nomad jobs.
    pub(super) nomad_clients: Vec<HostId>,
    /// The stage whose preparation applies the client configurations.
    pub(super) nomad_client_stage: usize,
    /// Per host (index = `HostId`): the host volumes its Nomad client
    /// declares, (service, volume index).
    pub(super) nomad_client_volumes: Vec<Vec<(ServiceId, usize)>>,
    /// Per host: the services Salt installs there, in declaration order.
    salted_on: Vec<Vec<ServiceId>>,
    /// Hosts with `eos.backup.<host>` and the (service, volume) backed up there.
    pub(super) backups: Vec<(HostId, Vec<(ServiceId, usize)>)>,
    pub(super) proxies: Vec<Proxy>,
    /// The API addresses of the Consul and Nomad providers
    /// (`http://10.0.0.1:8500`), computed once for the many states that use them.
    pub(super) consul_url: Option<String>,
    pub(super) nomad_url: Option<String>,
    /// The hosts that run the Wazuh agent, and its managers.
    pub(super) wazuh: Option<super::wazuh_agent::WazuhAgents>,
}

/// Services Salt installs itself: baremetal and docker, in declaration order.
/// Whether Salt installs the service itself (baremetal or docker).
pub(super) fn is_salted(stack: &Stack, id: ServiceId) -> bool {
    stack.service(id).decl.runtime.value != Runtime::Nomad
}

pub(super) fn salted_services(stack: &Stack) -> impl Iterator<Item = ServiceId> + '_ {
    stack.service_ids().filter(|&id| is_salted(stack, id))
}

pub(super) fn nomad_services(stack: &Stack) -> impl Iterator<Item = ServiceId> + '_ {
    topology::services_with_runtime(stack, Runtime::Nomad)
}

impl Layout {
    pub(super) fn new(input: &Input<'_>, out: &Artifacts) -> Result<Self, EmitError> {
        let stack = input.stack;
        let error = |message: &str| EmitError {
            artifact: super::sls::path_of(paths::BOOTSTRAP_SLS),
            message: message.into(),
        };
        let stages = input
            .analysis
            .stages
            .clone()
            .ok_or_else(|| error("the dependency graph has a cycle"))?;
        let controller = controller(stack);
        let stage_count = stages.iter().copied().max().unwrap_or(0) + 1;
        let by_stage = split_by_stage(
            (0..stages.len()).map(ServiceId),
            &stages,
            stage_count,
            controller,
        );
        let ops_host = controller
            .and_then(|id| topology::hosts_of(stack, id).first().copied())
            .or_else(|| stack.host_ids().next())
            .ok_or_else(|| error("the stack has no host"))?;
        let cephfs = cephfs(input, &stages);
        let backups = backups(stack, cephfs.as_ref());
        let nomad_client_volumes = super::volumes::nomad_client_volumes(input);
        let (nomad_clients, nomad_client_stage) =
            nomad_clients(input, &stages, cephfs.as_ref(), &nomad_client_volumes);
        Ok(Self {
            nomad_clients,
            nomad_client_stage,
            nomad_client_volumes,
            salted_on: salted_on(stack),
            proxies: proxies(input, out),
            stages,
            by_stage,
            ops_host,
            controller,
            cephfs,
            backups,
            consul_url: provider_url(input, Capability::Consul),
            nomad_url: provider_url(input, Capability::Nomad),
            wazuh: super::wazuh_agent::WazuhAgents::new(input),
        })
    }

    /// The `-address` for the Nomad CLI: the Nomad provider's API, else the
    /// local agent's default.
    pub(super) fn nomad_cli_address(&self) -> &str {
        self.nomad_url.as_deref().unwrap_or("http://127.0.0.1:4646")
    }

    pub(super) fn max_stage(&self) -> usize {
        self.by_stage.len() - 1
    }

    /// The services of a stage, but the salt master running the orchestration.
    pub(super) fn services_in_stage(&self, stage: usize) -> &[ServiceId] {
        &self.by_stage[stage]
    }

    /// The SLS a host applies in a highstate, in the order they should run.
    pub(super) fn host_states(&self, stack: &Stack, host: HostId) -> Vec<String> {
        let mut states = Vec::new();
        let mount_here = self
            .cephfs
            .as_ref()
            .is_some_and(|c| c.hosts.contains(&host));
        let salted_here = &self.salted_on[host.0];
        let provider = self
            .cephfs
            .as_ref()
            .and_then(|_| cephfs_provider(stack, salted_here));
        if mount_here && provider.is_none() {
            states.push(paths::CEPHFS_SLS.to_string());
        }
        for &id in salted_here {
            states.push(paths::service_sls(stack.service(id).name()));
            if mount_here && provider == Some(id) {
                states.push(paths::CEPHFS_SLS.to_string());
            }
        }
        let name = &stack.host(host).name.value;
        if self.nomad_clients.contains(&host) {
            states.push(paths::nomad_client_sls(name));
        }
        if self.backups.iter().any(|(h, _)| *h == host) {
            states.push(paths::backup_sls(name));
        }
        for proxy in &self.proxies {
            if proxy.hosts.contains(&host) {
                states.push(proxy.sls());
            }
        }
        if super::wazuh_agent::runs_agent(self.wazuh.as_ref(), host) {
            states.push(super::wazuh_agent::SLS.to_string());
        }
        states
    }
}

/// `ids` (ascending) in `stage_count` lists, one per stage (`stages`, per
/// service), but `controller`: the salt master running the orchestration.
pub(super) fn split_by_stage(
    ids: impl Iterator<Item = ServiceId>,
    stages: &[usize],
    stage_count: usize,
    controller: Option<ServiceId>,
) -> Vec<Vec<ServiceId>> {
    let mut by_stage = vec![Vec::new(); stage_count];
    for id in ids.filter(|&id| controller != Some(id)) {
        by_stage[stages[id.0]].push(id);
    }
    by_stage
}

/// The cephfs provider among the services Salt installs on a host.
fn cephfs_provider(stack: &Stack, salted_here: &[ServiceId]) -> Option<ServiceId> {
    salted_here.iter().copied().find(|&id| {
        stack
            .service(id)
            .decl
            .provides()
            .iter()
            .any(|c| c.value == Capability::Cephfs)
    })
}

/// Per host, the services Salt installs there (one pass over the services).
fn salted_on(stack: &Stack) -> Vec<Vec<ServiceId>> {
    let mut on = vec![Vec::new(); stack.hosts.len()];
    for id in salted_services(stack) {
        let mut hosts = topology::hosts_of(stack, id);
        hosts.sort_unstable();
        hosts.dedup();
        for host in hosts {
            on[host.0].push(id);
        }
    }
    on
}

/// The salt master: a baremetal service named `salt-master` or `salt`, else
/// the first one installing the `salt-master` package. Its first host is the
/// ops host; without it, the first declared host is.
fn controller(stack: &Stack) -> Option<ServiceId> {
    let placed = |id: &ServiceId| !topology::hosts_of(stack, *id).is_empty();
    let by_name = ["salt-master", "salt"].iter().find_map(|name| {
        salted_services(stack)
            .filter(placed)
            .find(|&id| stack.service(id).name() == *name)
    });
    by_name.or_else(|| {
        salted_services(stack)
            .filter(placed)
            .find(|&id| stack.service(id).decl.package() == "salt-master")
    })
}

/// `CephFS` is mounted on the provider's hosts, every Nomad client (their
/// `host_volume "cephfs"` points there) and the hosts of baremetal/docker
/// services with cephfs volumes.
fn cephfs(input: &Input<'_>, stages: &[usize]) -> Option<Cephfs> {
    let stack = input.stack;
    let provider = input.analysis.graph.provider(Capability::Cephfs)?;
    let mut hosts = topology::hosts_of(stack, provider);
    hosts.extend(input.analysis.placement.nomad_clients.iter().copied());
    for id in salted_services(stack) {
        if stack.service(id).volumes.contains(&VolumeStorage::Cephfs) {
            hosts.extend(topology::hosts_of(stack, id));
        }
    }
    hosts.sort_unstable();
    hosts.dedup();
    Some(Cephfs {
        provider,
        provider_stage: stages[provider.0],
        hosts,
    })
}

/// The Nomad clients Salt configures, and the stage that does it: the first
/// stage with a nomad job (after Nomad itself is up), but not before
/// `CephFS` is mounted when a client declares a volume there. Only a
/// baremetal Nomad is Salt's to configure.
fn nomad_clients(
    input: &Input<'_>,
    stages: &[usize],
    cephfs: Option<&Cephfs>,
    volumes: &[Vec<(ServiceId, usize)>],
) -> (Vec<HostId>, usize) {
    let stack = input.stack;
    let baremetal_nomad = input
        .analysis
        .graph
        .provider(Capability::Nomad)
        .is_some_and(|n| stack.service(n).decl.runtime.value == Runtime::Baremetal);
    let Some(first_job) = nomad_services(stack).map(|id| stages[id.0]).min() else {
        return (Vec::new(), 0);
    };
    if !baremetal_nomad {
        return (Vec::new(), 0);
    }
    let mut clients = input.analysis.placement.nomad_clients.clone();
    clients.sort_unstable();
    clients.dedup();
    let on_cephfs = volumes
        .iter()
        .flatten()
        .any(|&(id, index)| stack.service(id).volumes[index] == VolumeStorage::Cephfs);
    let mounted = cephfs
        .filter(|_| on_cephfs)
        .map_or(0, |c| c.provider_stage + 1);
    (clients, first_job.max(mounted))
}

/// Where each backed-up volume's data is: its disk's host, or for cephfs the
/// first `CephFS` client.
fn backups(stack: &Stack, cephfs: Option<&Cephfs>) -> Vec<(HostId, Vec<(ServiceId, usize)>)> {
    let mut by_host: Vec<(HostId, Vec<(ServiceId, usize)>)> = Vec::new();
    for id in stack.service_ids() {
        let service = stack.service(id);
        for (index, volume) in service.decl.volumes.iter().enumerate() {
            if volume.backup.is_none() {
                continue;
            }
            let host = match service.volumes[index] {
                VolumeStorage::Disk(disk) => Some(disk.host),
                VolumeStorage::Cephfs => cephfs.and_then(|c| c.hosts.first().copied()),
            };
            let Some(host) = host else { continue };
            match by_host.iter_mut().find(|(h, _)| *h == host) {
                Some((_, list)) => list.push((id, index)),
                None => by_host.push((host, vec![(id, index)])),
            }
        }
    }
    by_host.sort_by_key(|(host, _)| *host);
    by_host
}

/// The caddy and nginx providers installed by Salt, when their config was built.
fn proxies(input: &Input<'_>, out: &Artifacts) -> Vec<Proxy> {
    let stack = input.stack;
    let candidates = [
        (
            "caddy",
            Capability::Caddy,
            caddy::PATH,
            "/etc/caddy/Caddyfile",
        ),
        (
            "nginx",
            Capability::Nginx,
            nginx::PATH,
            "/etc/nginx/nginx.conf",
        ),
    ];
    candidates
        .into_iter()
        .filter_map(|(kind, capability, artifact, target)| {
            let service = input.analysis.graph.provider(capability)?;
            let baremetal = stack.service(service).decl.runtime.value == Runtime::Baremetal;
            (baremetal && out.files.contains_key(artifact)).then(|| Proxy {
                kind,
                service,
                hosts: topology::hosts_of(stack, service),
                artifact,
                target,
            })
        })
        .collect()
}

/// The API address of the provider of `capability`, if the stack has one.
fn provider_url(input: &Input<'_>, capability: Capability) -> Option<String> {
    topology::provider_endpoint(input.stack, input.analysis, capability).map(|e| e.url(input.stack))
}
