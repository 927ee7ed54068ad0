//! Every literal form of LANGUAGE.md section 1 reaches the typed spec with the
//! right value: escapes, every unit, ranges, lists, objects, references.

mod common;

use eosc::ast::{Percent, Spec};
use eosc::diag::Diagnostics;

/// Lowers a spec that must have no diagnostics.
fn spec(text: &str) -> Spec {
    let (document, diags) = eosc::syntax::parse(text);
    assert!(diags.is_empty(), "{:?}", diags.into_vec());
    let mut diags = Diagnostics::new();
    let spec = eosc::schema::lower(document, true, &mut diags);
    assert!(diags.is_empty(), "{:?}", diags.into_vec());
    spec
}

fn host_with_memory(memory: &str) -> String {
    format!("stack \"s\" {{ domain = \"example.com\" }}\nhost \"h\" {{ address = \"10.0.0.1\" memory = {memory} cpus = 4 }}\n")
}

#[test]
fn every_size_unit_converts_exactly() {
    let cases: &[(&str, u64)] = &[
        ("512B", 512),
        ("1KB", 1_000),
        ("1MB", 1_000_000),
        ("2GB", 2_000_000_000),
        ("3TB", 3_000_000_000_000),
        ("1PB", 1_000_000_000_000_000),
        ("1KiB", 1 << 10),
        ("1MiB", 1 << 20),
        ("96GiB", 96 << 30),
        ("1.5GiB", 3 << 29),
        ("2TiB", 2 << 40),
        ("1PiB", 1 << 50),
        ("0.5KB", 500),
    ];
    for (text, bytes) in cases {
        let spec = spec(&host_with_memory(text));
        assert_eq!(spec.hosts[0].memory.value, *bytes, "{text}");
    }
}

#[test]
fn sizes_that_are_not_whole_bytes_are_rejected() {
    let checked = common::check_text(&host_with_memory("1.5B"));
    assert_eq!(common::positions(&checked), ["E0107 at 2:42"]);
}

fn service_health(interval: &str) -> String {
    format!(
        "stack \"s\" {{ domain = \"example.com\" }}\nservice \"a\" {{ runtime = nomad image = \"a:1\" memory = 1GiB cpu = 0.25 port \"http\" {{ number = 80 }} health {{ port = http interval = {interval} }} }}\n"
    )
}

#[test]
fn every_duration_unit_converts_to_milliseconds() {
    let cases: &[(&str, u64)] = &[
        ("250ms", 250),
        ("10s", 10_000),
        ("1.5s", 1_500),
        ("2m", 120_000),
        ("1h", 3_600_000),
        ("1d", 86_400_000),
    ];
    for (text, ms) in cases {
        let spec = spec(&service_health(text));
        assert_eq!(
            spec.services[0].health.as_ref().unwrap().interval.value,
            *ms,
            "{text}"
        );
        assert_eq!(spec.services[0].cpu.value, 250);
    }
}

#[test]
fn frequencies_and_percentages_convert() {
    let text = "stack \"s\" { domain = \"example.com\" memory_budget = 75.5% disk_budget = 100% }\nhost \"h\" { address = \"h.example.com\" memory = 1GiB cpus = 1 cpu_mhz = 2.4GHz }\nhost \"g\" { address = \"fd00::1\" memory = 1GiB cpus = 1 cpu_mhz = 3100MHz }\n";
    let spec = spec(text);
    let stack = spec.stack.unwrap();
    assert_eq!(stack.memory_budget.value, Percent(755_000));
    assert_eq!(stack.disk_budget.value, Percent(1_000_000));
    assert_eq!(spec.hosts[0].cpu_mhz.value, 2400);
    assert_eq!(spec.hosts[1].cpu_mhz.value, 3100);
}

#[test]
fn defaults_are_filled_in() {
    let spec = spec(&host_with_memory("1GiB"));
    let stack = spec.stack.unwrap();
    assert_eq!(stack.datacenter.value, "dc1");
    assert_eq!(stack.memory_budget.value, Percent::from_percent(80));
    assert_eq!(stack.disk_budget.value, Percent::from_percent(90));
    assert_eq!(stack.ceph_replicas.value, 1);
    assert_eq!(spec.hosts[0].cpu_mhz.value, 2000);
    assert_eq!(spec.hosts[0].reserved.value, 2 << 30);
}

#[test]
fn every_string_escape_is_resolved() {
    let text = r#"stack "s" { domain = "example.com" }
service "a" {
  runtime = nomad
  image   = "a:1"
  memory  = 1GiB
  cpu     = 1
  env     = { Q = "say \"hi\"" B = "back\\slash" N = "line\nbreak" T = "tab\there" R = "cr\r" U = "smile \u{1F600} \u{e9}" RAW = "é ünï ☃" }
}
"#;
    let spec = spec(text);
    let env: Vec<(&str, &str)> = spec.services[0]
        .env
        .iter()
        .map(|v| (v.key.value.as_str(), v.value.value.as_str()))
        .collect();
    assert_eq!(
        env,
        [
            ("Q", "say \"hi\""),
            ("B", "back\\slash"),
            ("N", "line\nbreak"),
            ("T", "tab\there"),
            ("R", "cr\r"),
            ("U", "smile 😀 é"),
            ("RAW", "é ünï ☃"),
        ]
    );
}

#[test]
fn ranges_lists_references_and_labels() {
    let text = "stack \"s\" { domain = \"example.com\" }\n\
        host \"h\" { address = \"10.0.0.1\" memory = 8GiB cpus = 8\n\
          numa 0 { cpus = 0..3 memory = 4GiB }\n numa 1 { cpus = 4..7 memory = 4GiB }\n\
          disk \"d\" { size = 1TB kind = ssd } }\n\
        service \"a\" { runtime = baremetal on = [h,] memory = 1GiB cpu = 1 after = [b, ]\n\
          provides = [consul, vault]\n\
          volume \"v\" { disk = h.d size = 1GiB path = \"/v\" } }\n\
        service \"b\" { runtime = baremetal on = [\n h\n ] memory = 1GiB cpu = 1 }\n";
    let spec = spec(text);
    let numa = &spec.hosts[0].numa;
    assert_eq!(
        (
            numa[0].id.value,
            numa[0].cpus.value.first,
            numa[0].cpus.value.last
        ),
        (0, 0, 3)
    );
    assert_eq!(
        (
            numa[1].id.value,
            numa[1].cpus.value.first,
            numa[1].cpus.value.last
        ),
        (1, 4, 7)
    );
    let a = &spec.services[0];
    assert_eq!(a.on().unwrap()[0].to_text(), "h");
    assert_eq!(a.after[0].to_text(), "b");
    assert_eq!(
        a.provides()
            .iter()
            .map(|c| c.value.as_str())
            .collect::<Vec<_>>(),
        ["consul", "vault"]
    );
    match &a.volumes[0].placement {
        eosc::ast::VolumePlacement::Disk(r) => assert_eq!(r.to_text(), "h.d"),
        other => panic!("{other:?}"),
    }
    assert_eq!(a.package(), "a", "package defaults to the service name");
}

#[test]
fn comments_of_every_kind_are_ignored_by_the_parser() {
    let text = "// line\n# hash\n/* block\n comment */ stack /* in */ \"s\" { domain = \"example.com\" # after\n }\n";
    let spec = spec(text);
    assert_eq!(spec.stack.unwrap().name.value, "s");
}

#[test]
fn unknown_units_get_a_suggestion() {
    let checked = common::check_text(&host_with_memory("96Gib"));
    let d = checked.diagnostics.iter().next().unwrap();
    assert_eq!(d.code.as_str(), "E0107");
    assert_eq!(d.help.as_deref(), Some("did you mean `GiB`?"));
}

#[test]
fn invalid_unicode_escapes_are_rejected() {
    for escape in [r"\u{D800}", r"\u{110000}", r"\u{0}"] {
        let text = format!(
            "stack \"s\" {{ domain = \"example.com\" acme_email = \"a{escape}@example.com\" }}\n"
        );
        let checked = common::check_text(&text);
        assert!(
            checked
                .diagnostics
                .iter()
                .any(|d| d.code.as_str() == "E0107"),
            "{escape}: {:?}",
            common::positions(&checked)
        );
    }
}

#[test]
fn a_health_block_with_port_and_command_reports_each_mistake() {
    // The declaration keeps one check (the port, to be resolved); the rule
    // against command checks on nomad still sees the command.
    let checked = common::check_text(
        "stack \"s\" { domain = \"example.com\" }\nservice \"a\" { runtime = nomad image = \"a:1\" memory = 1GiB cpu = 0.25 port \"http\" { number = 80 } health { port = htp command = \"true\" } }\n",
    );
    assert_eq!(
        common::positions(&checked),
        ["E0107 at 2:98", "E0201 at 2:114", "E0107 at 2:128"]
    );
}
