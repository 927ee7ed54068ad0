//! Volume folders on the hosts (conventions in `paths.rs`).
//!
//! For each volume (except `osd` ones, which Ceph owns): a guard that fails
//! when the disk (or `CephFS`) is not mounted — so data never lands on the root
//! file system by accident — then the data folder. Baremetal services get the
//! folder bind-mounted onto the volume's `path` (`mount.mounted`, kept in
//! fstab) *before* their package is installed, so the package creates its data
//! on the volume's disk and its maintainer scripts set the ownership. Docker
//! containers bind the folder at `path`. Nomad jobs' volumes get their host
//! volume declarations from a per-client `eos.nomad_client.<host>`, with the
//! folders of local ones; `CephFS` is mounted and the cephfs volumes' folders
//! are created by `eos.cephfs_mount`, which every client applies first, so a
//! client's state only guards the mount (once per mount point: every client
//! declares every cephfs volume, and its state would otherwise grow with
//! clients × volumes).

use std::collections::HashSet;

use serde_json::json;

use super::paths::{self, CEPHFS_MOUNT};
use super::sls::{req, Sls};
use super::units;
use crate::ast::{Capability, IoClass, Runtime};
use crate::emit::{nomad, Input};
use crate::model::{HostId, ServiceId, Stack, VolumeStorage};

/// The Nomad client configuration eosc writes (the agent reads every `.hcl`
/// in `/etc/nomad.d` and merges them).
const NOMAD_CLIENT_CONFIG: &str = "/etc/nomad.d/eos-client.hcl";

/// The volumes of a service that get folders: all but `osd` ones.
pub(super) fn managed(stack: &Stack, id: ServiceId) -> Vec<usize> {
    let decl = &stack.service(id).decl;
    (0..decl.volumes.len())
        .filter(|&i| decl.volumes[i].io.value != IoClass::Osd)
        .collect()
}

/// The ID prefix of a volume's states: `<prefix>.volume.<name>`.
fn volume_id(prefix: &str, stack: &Stack, id: ServiceId, index: usize) -> String {
    format!(
        "{prefix}.volume.{}",
        stack.service(id).decl.volumes[index].name.value
    )
}

/// The mount guard and the folder; returns the folder state's ID.
pub(super) fn add_folder(
    sls: &mut Sls,
    stack: &Stack,
    prefix: &str,
    id: ServiceId,
    index: usize,
) -> String {
    let base = volume_id(prefix, stack, id, index);
    let guard = paths::volume_mount_point(stack, id, index).map(|mount| {
        let guard = format!("{base}.mounted");
        add_guard(sls, guard.clone(), &mount);
        guard
    });
    add_folder_after(sls, &base, stack, id, index, guard.as_deref())
}

/// A state that fails when `mount` is not a mounted file system, so that no
/// data lands on the root file system by accident.
fn add_guard(sls: &mut Sls, guard: String, mount: &str) {
    sls.state(
        guard,
        "test.fail_without_changes",
        vec![
            (
                "name",
                json!(format!(
                    "{mount} must be a mounted file system before eos stores data there"
                )),
            ),
            (
                "unless",
                json!([{ "fun": "mount.is_mounted", "name": mountinfo_escaped(mount) }]),
            ),
        ],
    );
}

/// The folder `<base>.dir` of a volume, after `guard` when there is one;
/// returns its state's ID.
fn add_folder_after(
    sls: &mut Sls,
    base: &str,
    stack: &Stack,
    id: ServiceId,
    index: usize,
    guard: Option<&str>,
) -> String {
    let mut folder_args = vec![
        ("name", json!(paths::volume_dir(stack, id, index))),
        ("makedirs", json!(true)),
    ];
    if let Some(guard) = guard {
        folder_args.push(("require", json!([req("test", guard)])));
    }
    let folder = format!("{base}.dir");
    sls.state(folder.clone(), "file.directory", folder_args);
    folder
}

/// A mount point as the kernel writes it in `/proc/self/mountinfo`, which is
/// what Salt's `mount.is_mounted` compares with: space, tab, newline and
/// backslash as octal escapes (`/mnt/My Disk` is `/mnt/My\040Disk`).
fn mountinfo_escaped(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            ' ' => out.push_str("\\040"),
            '\t' => out.push_str("\\011"),
            '\n' => out.push_str("\\012"),
            '\\' => out.push_str("\\134"),
            c => out.push(c),
        }
    }
    out
}

/// Folder plus bind mount onto `path`, for a baremetal service; returns the
/// mount state's ID.
pub(super) fn add_bind_mount(
    sls: &mut Sls,
    stack: &Stack,
    prefix: &str,
    id: ServiceId,
    index: usize,
) -> String {
    let folder = add_folder(sls, stack, prefix, id, index);
    let mount = format!("{}.mount", volume_id(prefix, stack, id, index));
    sls.state(
        mount.clone(),
        "mount.mounted",
        vec![
            (
                "name",
                json!(stack.service(id).decl.volumes[index].path.value),
            ),
            ("device", json!(paths::volume_dir(stack, id, index))),
            ("fstype", json!("none")),
            ("opts", json!("bind")),
            ("mkmnt", json!(true)),
            ("persist", json!(true)),
            ("require", json!([req("file", &folder)])),
        ],
    );
    mount
}

/// The host volumes each Nomad client declares (index = `HostId`):
/// (service, volume index), in declaration order — the local-disk volumes of
/// nomad jobs on that host, then every cephfs volume of a nomad job (on
/// every client: any of them may run the job, over its `CephFS` mount).
pub(super) fn nomad_client_volumes(input: &Input<'_>) -> Vec<Vec<(ServiceId, usize)>> {
    let stack = input.stack;
    let mut per_host = vec![Vec::new(); stack.hosts.len()];
    let mut on_cephfs = Vec::new();
    for id in super::layout::nomad_services(stack) {
        let service = stack.service(id);
        for (index, storage) in service.volumes.iter().enumerate() {
            match storage {
                VolumeStorage::Disk(disk)
                    if service.decl.volumes[index].io.value != IoClass::Osd =>
                {
                    per_host[disk.host.0].push((id, index));
                }
                VolumeStorage::Cephfs => on_cephfs.push((id, index)),
                VolumeStorage::Disk(_) => {}
            }
        }
    }
    for &client in &input.analysis.placement.nomad_clients {
        per_host[client.0].extend(on_cephfs.iter().copied());
    }
    per_host
}

/// `eos.nomad_client.<host>`: the Nomad client configuration
/// `/etc/nomad.d/eos-client.hcl` — `reserved` memory and CPU (what runs
/// beside Nomad, [`super::nomad_client::reserved`]) and the host volumes
/// `<service>-<volume>` the jobspecs name — after the folders of the local
/// ones and the guard of each mount point; the Nomad agent restarts when it
/// changes (allocations keep running).
pub(super) fn nomad_client_sls(
    input: &Input<'_>,
    host: HostId,
    volumes: &[(ServiceId, usize)],
) -> Sls {
    let stack = input.stack;
    let name = &stack.host(host).name.value;
    let mut sls = Sls::new(paths::nomad_client_sls(name));
    let mut requires = Vec::new();
    let mut host_volumes = Vec::new();
    // One guard per mount point, required once: a client declares every
    // cephfs volume, and a guard (or a folder) per volume made the clients'
    // states grow with clients × volumes.
    let mut guarded: HashSet<String> = HashSet::new();
    for &(id, index) in volumes {
        let service = stack.service(id).name();
        let guard = paths::volume_mount_point(stack, id, index)
            .map(|mount| client_guard(&mut sls, &mut guarded, name, mount));
        if stack.service(id).volumes[index] == VolumeStorage::Cephfs {
            // Its folder is `eos.cephfs_mount`'s, which this host applies
            // first (in a highstate and in the orchestration's stage): the
            // client needs `CephFS` mounted.
            if let Some((guard, true)) = guard {
                requires.push(req("test", &guard));
            }
        } else {
            // The client's host in the ID: a volume ID is unique per host.
            let prefix = format!("eos_nomad_client.{name}.{service}");
            let base = volume_id(&prefix, stack, id, index);
            let guard = guard.map(|(guard, _)| guard);
            requires.push(req(
                "file",
                &add_folder_after(&mut sls, &base, stack, id, index, guard.as_deref()),
            ));
        }
        let volume =
            nomad::host_volume_name(service, &stack.service(id).decl.volumes[index].name.value);
        host_volumes.push((volume, paths::volume_dir(stack, id, index)));
    }
    let mut config = crate::emit::header("#", input.source_name);
    config.push_str(&super::nomad_client::config(
        &super::nomad_client::reserved(stack, host),
        &host_volumes,
    ));
    let config_id = format!("eos_nomad_client.{name}.config");
    let mut args = vec![
        ("name", json!(NOMAD_CLIENT_CONFIG)),
        ("contents", json!(config)),
        ("mode", json!("0644")),
        ("makedirs", json!(true)),
    ];
    if !requires.is_empty() {
        args.push(("require", json!(requires)));
    }
    sls.state(config_id.clone(), "file.managed", args);
    let nomad = input.analysis.graph.provider(Capability::Nomad);
    if let Some(nomad) =
        nomad.filter(|&n| stack.service(n).decl.runtime.value == Runtime::Baremetal)
    {
        sls.state(
            format!("eos_nomad_client.{name}.restart"),
            "service.running",
            vec![
                (
                    "name",
                    json!(units::units(stack.service(nomad).decl.package()).start),
                ),
                ("watch", json!([req("file", &config_id)])),
            ],
        );
    }
    sls
}

/// The guard of `mount` in the state of the client on `host`: added the
/// first time a volume there asks for it (then `true`; `guarded` holds the
/// mount points guarded so far), shared after.
fn client_guard(
    sls: &mut Sls,
    guarded: &mut HashSet<String>,
    host: &str,
    mount: String,
) -> (String, bool) {
    let guard = format!("eos_nomad_client.{host}.{mount}.mounted");
    let first = !guarded.contains(&mount);
    if first {
        add_guard(sls, guard.clone(), &mount);
        guarded.insert(mount);
    }
    (guard, first)
}

/// Every cephfs volume of the stack: (service, volume index).
pub(super) fn cephfs_volumes(stack: &Stack) -> Vec<(ServiceId, usize)> {
    stack
        .service_ids()
        .flat_map(|id| {
            let storage = &stack.service(id).volumes;
            (0..storage.len())
                .filter(move |&i| storage[i] == VolumeStorage::Cephfs)
                .map(move |i| (id, i))
        })
        .collect()
}

/// `eos.cephfs_mount`: the ceph client, `CephFS` at `/mnt/cephfs` (client
/// `admin`, `/etc/ceph/ceph.conf` and its keyring as Ceph puts them), and the
/// folder of every cephfs volume.
pub(super) fn cephfs_mount_sls(stack: &Stack) -> Sls {
    let mut sls = Sls::new(paths::CEPHFS_SLS);
    sls.state(
        "eos_cephfs.client",
        "pkg.installed",
        vec![("name", json!("ceph-common"))],
    );
    sls.state(
        "eos_cephfs.mount",
        "mount.mounted",
        vec![
            ("name", json!(CEPHFS_MOUNT)),
            ("device", json!(":/")),
            ("fstype", json!("ceph")),
            ("opts", json!("name=admin,_netdev,noatime")),
            ("mkmnt", json!(true)),
            ("persist", json!(true)),
            ("require", json!([req("pkg", "eos_cephfs.client")])),
        ],
    );
    for (id, index) in cephfs_volumes(stack) {
        let volume = &stack.service(id).decl.volumes[index].name.value;
        sls.state(
            format!("eos_cephfs.{}.{volume}", stack.service(id).name()),
            "file.directory",
            vec![
                ("name", json!(paths::volume_dir(stack, id, index))),
                ("makedirs", json!(true)),
                ("require", json!([req("mount", "eos_cephfs.mount")])),
            ],
        );
    }
    sls
}
