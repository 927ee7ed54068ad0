//! Operational rules: backups (W0601, E0604), health checks on what others wait
//! for (W0602), and pinned images (W0603).

use crate::ast::IoClass;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{DependencyGraph, ServiceId, Stack};

pub(super) fn check(stack: &Stack, graph: &DependencyGraph, diags: &mut Diagnostics) {
    check_backups(stack, diags);
    check_health_of_dependencies(stack, graph, diags);
    check_image_tags(stack, diags);
}

fn check_backups(stack: &Stack, diags: &mut Diagnostics) {
    let mut first_backup = None;
    for service in &stack.services {
        for volume in &service.decl.volumes {
            match &volume.backup {
                Some(backup) => {
                    first_backup.get_or_insert(backup.head);
                }
                None if volume.io.value != IoClass::Osd => diags.push(
                    Diagnostic::new(
                        Code::W0601,
                        volume.head,
                        format!(
                            "volume `{}` of `{}` has no backup",
                            volume.name.value,
                            service.name()
                        ),
                    )
                    .with_primary_label("no `backup` block")
                    .with_help(
                        "add `backup { schedule = \"daily\" }` (restic, to the stack's repository)",
                    ),
                ),
                None => {}
            }
        }
    }
    if let (Some(span), None) = (first_backup, &stack.settings.backup) {
        diags.push(
            Diagnostic::new(Code::E0604, stack.settings.head, "volumes are backed up, but the stack has no backup repository")
                .with_primary_label("no `backup` block in the stack")
                .with_label(span, "a volume backup needs the stack's restic repository")
                .with_help("add to the stack: backup { repository = \"s3:https://…/restic\"  secret = \"kv/data/restic\" }"),
        );
    }
}

/// W0602: bootstrap waits on a service's health before starting what needs it;
/// without a check the wait is a guess.
fn check_health_of_dependencies(stack: &Stack, graph: &DependencyGraph, diags: &mut Diagnostics) {
    // (service without a health check, a service waiting for it): only those
    // services are looked at, and a flat sorted list needs no list per service.
    let mut waits: Vec<(usize, usize)> = graph
        .graph
        .raw_edges()
        .iter()
        .map(|edge| (edge.target().index(), edge.source().index()))
        .filter(|&(to, from)| from != to && stack.service(ServiceId(to)).decl.health.is_none())
        .collect();
    // Several edges may join the same pair.
    waits.sort_unstable();
    waits.dedup();
    for group in waits.chunk_by(|a, b| a.0 == b.0) {
        let service = stack.service(ServiceId(group[0].0));
        let waiting = group.iter().map(|&(_, from)| ServiceId(from));
        let mut names: Vec<&str> = waiting.map(|d| stack.service(d).name()).collect();
        names.sort_unstable();
        let shown = names.iter().take(6).copied().collect::<Vec<_>>().join(", ");
        let more = if names.len() > 6 {
            format!(" and {} more", names.len() - 6)
        } else {
            String::new()
        };
        diags.push(
            Diagnostic::new(
                Code::W0602,
                service.decl.head,
                format!(
                    "`{}` has no health check, but {shown}{more} {} for it",
                    service.name(),
                    if names.len() == 1 { "waits" } else { "wait" }
                ),
            )
            .with_primary_label("no `health` block")
            .with_help(health_example(service)),
        );
    }
}

/// A health block for this service, with its own port name when it has one.
fn health_example(service: &crate::model::Service) -> String {
    let example = match service.decl.ports.first() {
        Some(port) if port.protocol.value == crate::ast::PortProtocol::Tcp => {
            format!("health {{ port = {} }}", port.name.value)
        }
        Some(port) => format!(
            "health {{ port = {}  path = \"/health\" }}",
            port.name.value
        ),
        None if service.decl.runtime.value == crate::ast::Runtime::Nomad => {
            "port \"http\" { number = 8080 } and health { port = http  path = \"/health\" }"
                .to_string()
        }
        None => "health { command = \"systemctl is-active NAME\" }".to_string(),
    };
    format!("add `{example}` so the bootstrap knows when it is up before starting what needs it")
}

/// W0603: an image without a tag, or `latest`, changes under you.
fn check_image_tags(stack: &Stack, diags: &mut Diagnostics) {
    for service in &stack.services {
        let Some(image) = &service.decl.image else {
            continue;
        };
        let problem = match image_tag(&image.value) {
            ImageTag::Digest | ImageTag::Tag => continue,
            ImageTag::Latest => "the tag `latest`",
            ImageTag::None => "no tag",
        };
        diags.push(
            Diagnostic::new(Code::W0603, image.span, format!("image of `{}` has {problem}", service.name()))
                .with_primary_label("not pinned")
                .with_help("pin a version (`name:1.2.3`) or a digest (`name@sha256:…`): a cold start must pull what was tested"),
        );
    }
}

enum ImageTag {
    Digest,
    Tag,
    Latest,
    None,
}

/// The tag of an image reference: after the last `:` of the last path part, so
/// a registry port (`registry:5000/app`) is not mistaken for one.
fn image_tag(image: &str) -> ImageTag {
    if image.contains('@') {
        return ImageTag::Digest;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, "latest")) => ImageTag::Latest,
        Some((_, tag)) if !tag.is_empty() => ImageTag::Tag,
        _ => ImageTag::None,
    }
}

#[cfg(test)]
mod tests {
    use super::{image_tag, ImageTag};

    #[test]
    fn image_tags() {
        assert!(matches!(image_tag("postgres:16.4"), ImageTag::Tag));
        assert!(matches!(
            image_tag("10.0.0.12:5000/eos/app:2.6.0"),
            ImageTag::Tag
        ));
        assert!(matches!(
            image_tag("10.0.0.12:5000/eos/app"),
            ImageTag::None
        ));
        assert!(matches!(image_tag("app:latest"), ImageTag::Latest));
        assert!(matches!(image_tag("app@sha256:abc"), ImageTag::Digest));
        assert!(matches!(image_tag("app"), ImageTag::None));
    }
}
