//! Moving declarations by a distance: the language server reuses what it
//! lowered of a block an edit did not touch, moved to where the block now
//! stands (`crate::compose::reuse`). Each impl takes its struct apart whole,
//! so a field added later does not compile until it is moved too.

use super::{
    BackupDecl, ConnectionDecl, DiskDecl, EnvVar, FileDecl, HealthCheck, HealthDecl, HostDecl,
    NumaDecl, PortDecl, Reference, RouteDecl, SecretDecl, ServiceDecl, ServiceExtras,
    StackBackupDecl, StackDecl, VolumeDecl, VolumePlacement,
};
use crate::span::{Delta, Relocate};

impl Relocate for Reference {
    fn relocate(&mut self, by: Delta) {
        let Self { path, span } = self;
        path.relocate(by);
        span.relocate(by);
    }
}

impl Relocate for StackDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            name,
            head,
            domain,
            acme_email,
            datacenter,
            memory_budget,
            disk_budget,
            ceph_replicas,
            nomad_edition,
            include,
            backup,
        } = self;
        name.relocate(by);
        head.relocate(by);
        domain.relocate(by);
        acme_email.relocate(by);
        datacenter.relocate(by);
        memory_budget.relocate(by);
        disk_budget.relocate(by);
        ceph_replicas.relocate(by);
        nomad_edition.relocate(by);
        include.relocate(by);
        backup.relocate(by);
    }
}

impl Relocate for StackBackupDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            head,
            repository,
            secret,
        } = self;
        head.relocate(by);
        repository.relocate(by);
        secret.relocate(by);
    }
}

impl Relocate for HostDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            name,
            head,
            address,
            memory,
            cpus,
            cpu_mhz,
            reserved,
            numa,
            disks,
        } = self;
        name.relocate(by);
        head.relocate(by);
        address.relocate(by);
        memory.relocate(by);
        cpus.relocate(by);
        cpu_mhz.relocate(by);
        reserved.relocate(by);
        numa.relocate(by);
        disks.relocate(by);
    }
}

impl Relocate for NumaDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            id,
            head,
            cpus,
            memory,
        } = self;
        id.relocate(by);
        head.relocate(by);
        cpus.relocate(by);
        memory.relocate(by);
    }
}

impl Relocate for DiskDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            name,
            head,
            size,
            kind,
            mount,
            encrypted,
        } = self;
        name.relocate(by);
        head.relocate(by);
        size.relocate(by);
        kind.relocate(by);
        mount.relocate(by);
        encrypted.relocate(by);
    }
}

impl Relocate for ServiceDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            name,
            head,
            runtime,
            image,
            count,
            memory,
            memory_max,
            cpu,
            after,
            env,
            connections,
            ports,
            health,
            volumes,
            secrets,
            extras,
        } = self;
        name.relocate(by);
        head.relocate(by);
        runtime.relocate(by);
        image.relocate(by);
        count.relocate(by);
        memory.relocate(by);
        memory_max.relocate(by);
        cpu.relocate(by);
        after.relocate(by);
        env.relocate(by);
        connections.relocate(by);
        ports.relocate(by);
        health.relocate(by);
        volumes.relocate(by);
        secrets.relocate(by);
        extras.relocate(by);
    }
}

impl Relocate for ServiceExtras {
    fn relocate(&mut self, by: Delta) {
        let Self {
            provides,
            on,
            package,
            package_version,
            command,
            args,
            numa,
            files,
        } = self;
        provides.relocate(by);
        on.relocate(by);
        package.relocate(by);
        package_version.relocate(by);
        command.relocate(by);
        args.relocate(by);
        numa.relocate(by);
        files.relocate(by);
    }
}

impl Relocate for EnvVar {
    fn relocate(&mut self, by: Delta) {
        let Self { key, value } = self;
        key.relocate(by);
        value.relocate(by);
    }
}

impl Relocate for ConnectionDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            key,
            target,
            part: _,
        } = self;
        key.relocate(by);
        target.relocate(by);
    }
}

impl Relocate for PortDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            name,
            head,
            number,
            protocol,
            is_static,
            admin,
        } = self;
        name.relocate(by);
        head.relocate(by);
        number.relocate(by);
        protocol.relocate(by);
        is_static.relocate(by);
        admin.relocate(by);
    }
}

impl Relocate for HealthDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            head,
            check,
            interval,
            timeout,
            grace,
        } = self;
        head.relocate(by);
        check.relocate(by);
        interval.relocate(by);
        timeout.relocate(by);
        grace.relocate(by);
    }
}

impl Relocate for HealthCheck {
    fn relocate(&mut self, by: Delta) {
        match self {
            HealthCheck::Port { port, path } => {
                port.relocate(by);
                path.relocate(by);
            }
            HealthCheck::Command(command) => command.relocate(by),
            HealthCheck::Missing => {}
        }
    }
}

impl Relocate for VolumeDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            name,
            head,
            placement,
            size,
            path,
            io,
            backup,
        } = self;
        name.relocate(by);
        head.relocate(by);
        placement.relocate(by);
        size.relocate(by);
        path.relocate(by);
        io.relocate(by);
        backup.relocate(by);
    }
}

impl Relocate for VolumePlacement {
    fn relocate(&mut self, by: Delta) {
        match self {
            Self::Disk(reference) => reference.relocate(by),
            Self::Cephfs(span) => span.relocate(by),
            Self::Invalid => {}
        }
    }
}

impl Relocate for BackupDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            head,
            schedule,
            keep_daily,
            keep_weekly,
            keep_monthly,
            hook,
            verify,
        } = self;
        head.relocate(by);
        schedule.relocate(by);
        keep_daily.relocate(by);
        keep_weekly.relocate(by);
        keep_monthly.relocate(by);
        hook.relocate(by);
        verify.relocate(by);
    }
}

impl Relocate for SecretDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            name,
            head,
            path,
            env,
        } = self;
        name.relocate(by);
        head.relocate(by);
        path.relocate(by);
        env.relocate(by);
    }
}

impl Relocate for FileDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            path,
            head,
            source,
            mode,
        } = self;
        path.relocate(by);
        head.relocate(by);
        source.relocate(by);
        mode.relocate(by);
    }
}

impl Relocate for RouteDecl {
    fn relocate(&mut self, by: Delta) {
        let Self {
            name,
            head,
            protocol,
            host,
            path,
            listen,
            to,
            auth,
        } = self;
        name.relocate(by);
        head.relocate(by);
        protocol.relocate(by);
        host.relocate(by);
        path.relocate(by);
        listen.relocate(by);
        to.relocate(by);
        auth.relocate(by);
    }
}
