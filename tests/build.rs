//! `eosc build`: every artifact of the example stack (one snapshot per file),
//! byte-identical output, atomic replacement, refusal to touch a user's folder,
//! template overrides, and nothing written for a spec with errors.

mod common;

// The benchmarks' stack generator, for a stack whose largest files are
// written in several pieces.
#[path = "../src/bin/eosc-bench.rs"]
#[allow(dead_code)]
mod stackgen;

use std::path::Path;
use std::process::{Command, Output};

fn eosc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eosc"))
        .args(args)
        .current_dir(common::root())
        .output()
        .unwrap()
}

/// `eosc build SPEC -o OUT`: the output, for its exit code and streams.
fn build(spec: &str, out: &Path) -> Output {
    eosc(&["build", spec, "-o", out.to_str().unwrap()])
}

/// The exit code of `eosc build SPEC -o OUT`.
fn build_status(spec: &str, out: &Path) -> Option<i32> {
    build(spec, out).status.code()
}

/// A `templates` folder under `dir` holding one template, `name` = `text`.
fn templates_folder(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let templates = dir.join("templates");
    std::fs::create_dir(&templates).unwrap();
    std::fs::write(templates.join(name), text).unwrap();
    templates
}

/// `eosc build SPEC -o OUT --templates TEMPLATES`.
fn build_with_templates(spec: &str, out: &Path, templates: &Path) -> Output {
    eosc(&[
        "build",
        spec,
        "-o",
        out.to_str().unwrap(),
        "--templates",
        templates.to_str().unwrap(),
    ])
}

/// Asserts the exit code, showing stderr when it is another; returns stderr.
fn assert_exit(output: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    stderr
}

fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_artifact_of_the_example_stack() {
    let artifacts = common::build(&common::root().join("specs/eos.eos"));
    for expected in [
        "salt/top.sls",
        "salt/orch/bootstrap.sls",
        "salt/orch/shutdown.sls",
        "terraform/main.tf",
        "caddy/Caddyfile",
        "nginx/nginx.conf",
        "plan.json",
    ] {
        assert!(artifacts.files.contains_key(expected), "missing {expected}");
    }
    for (path, contents) in &artifacts.files {
        let name = path.replace('/', "__");
        insta::assert_snapshot!(name, contents);
    }
}

#[test]
fn builds_are_byte_identical() {
    let temp = tempfile::tempdir().unwrap();
    let (a, b) = (temp.path().join("a"), temp.path().join("b"));
    for dir in [&a, &b] {
        let output = build("specs/eos.eos", dir);
        assert_exit(&output, 0);
    }
    let (first, second) = (read_tree(&a), read_tree(&b));
    assert!(first.len() > 5);
    assert_eq!(first, second);
}

/// `eosc build` writes each artifact as it is produced: the folder holds
/// exactly what the in-memory emitters produce, plus the marker — also for a
/// generated stack of 1,000 services, whose orchestration files and `main.tf`
/// are handed to the writer in several pieces.
#[test]
fn the_written_build_is_what_the_emitters_produce() {
    let generated = tempfile::tempdir().unwrap();
    let large = generated.path().join("large.eos");
    std::fs::write(&large, stackgen::spec_text(1_000, 1).unwrap()).unwrap();
    let large = large.to_str().unwrap().to_string();
    for spec in [
        "specs/eos.eos",
        "specs/proxies.eos",
        "specs/ceph-bootstrap.eos",
        large.as_str(),
    ] {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("out");
        assert_eq!(build_status(spec, &dir), Some(0), "{spec}");
        let mut expected: Vec<(String, Vec<u8>)> = common::build(&common::root().join(spec))
            .files
            .into_iter()
            .map(|(path, contents)| (path, contents.into_bytes()))
            .collect();
        expected.push((
            eosc::output_dir::MARKER.to_string(),
            std::fs::read(dir.join(eosc::output_dir::MARKER)).unwrap(),
        ));
        expected.sort();
        let mut written = read_tree(&dir);
        written.sort();
        assert_eq!(written, expected, "{spec}");
    }
    // The generated stack did take the path of files in several pieces.
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("out");
    assert_eq!(build_status(&large, &dir), Some(0));
    let bootstrap = std::fs::metadata(dir.join("salt/orch/bootstrap.sls")).unwrap();
    assert!(bootstrap.len() > 2 * eosc::emit::PIECE_SIZE as u64);
}

#[test]
fn a_build_replaces_its_previous_output_and_nothing_else() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    assert_eq!(build_status("specs/eos.eos", &out), Some(0));
    // What Terraform and an operator leave in the output.
    std::fs::write(out.join("terraform/terraform.tfstate"), "{\"serial\": 7}").unwrap();
    std::fs::create_dir_all(out.join("terraform/.terraform/providers")).unwrap();
    std::fs::write(out.join("terraform/.terraform/providers/p"), "bin").unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let only_in_eos = out.join("nomad/authentik.nomad.hcl");
    assert!(only_in_eos.exists());
    assert_eq!(build_status("specs/minimal.eos", &out), Some(0));
    assert!(
        !only_in_eos.exists(),
        "a file the previous build wrote and this one does not is gone"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("terraform/terraform.tfstate")).unwrap(),
        "{\"serial\": 7}"
    );
    assert!(out.join("terraform/.terraform/providers/p").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(out.join("terraform/main.tf").exists());
    assert!(out.join(".eosc-build").exists());
    let leftovers: Vec<_> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no staging folders left: {leftovers:?}");
    // A file eosc did not write where the build now writes one is not overwritten.
    std::fs::write(out.join("nomad/authentik.nomad.hcl"), "hand-made").unwrap();
    let output = build("specs/eos.eos", &out);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("eosc did not write it"));
    assert_eq!(
        std::fs::read_to_string(out.join("nomad/authentik.nomad.hcl")).unwrap(),
        "hand-made"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn what_a_killed_build_left_is_cleaned_up_or_put_back() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    assert_eq!(build_status("specs/minimal.eos", &out), Some(0));
    // Killed between the two renames of a swap: only the old output is left.
    let dead = 999_999_999u32;
    let old = temp.path().join(format!(".out.eosc-old-{dead}"));
    std::fs::rename(&out, &old).unwrap();
    // And a staging folder of another killed build.
    let staging = temp.path().join(format!(".out.eosc-new-{dead}"));
    std::fs::create_dir(&staging).unwrap();
    std::fs::write(staging.join("big"), "x").unwrap();
    assert_eq!(build_status("specs/minimal.eos", &out), Some(0));
    let left: Vec<_> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, [std::ffi::OsString::from("out")]);
}

#[test]
fn a_marker_that_is_a_symlink_does_not_make_a_folder_replaceable() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("precious");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::write(temp.path().join("elsewhere"), "").unwrap();
    std::os::unix::fs::symlink(temp.path().join("elsewhere"), out.join(".eosc-build")).unwrap();
    let output = build("specs/minimal.eos", &out);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("refusing to replace"));
    // A forged marker (a regular file) is taken as an old build's: its files
    // are kept all the same, since it lists none of them.
    std::fs::remove_file(out.join(".eosc-build")).unwrap();
    std::fs::write(out.join(".eosc-build"), "").unwrap();
    assert_eq!(build_status("specs/minimal.eos", &out), Some(0));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn a_failing_build_leaves_the_previous_output_untouched() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    assert_eq!(build_status("specs/minimal.eos", &out), Some(0));
    let before = read_tree(&out);
    let output = eosc(&[
        "build",
        "tests/ui/E0102_unknown_attribute.eos",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(read_tree(&out), before);
}

#[test]
fn a_spec_with_errors_writes_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    let output = eosc(&[
        "build",
        "tests/ui/E0104_missing_required.eos",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 0);
}

#[test]
fn a_folder_that_is_not_an_eosc_output_is_never_replaced() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("precious");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let output = build("specs/minimal.eos", &out);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("refusing to replace"));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    // A plain file in the way is refused too.
    let file = temp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    assert_eq!(build_status("specs/minimal.eos", &file), Some(2));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn an_empty_folder_is_used() {
    let temp = tempfile::tempdir().unwrap();
    let output = eosc(&[
        "build",
        "specs/minimal.eos",
        "-o",
        temp.path().to_str().unwrap(),
    ]);
    assert_exit(&output, 0);
    assert!(temp.path().join("plan.json").exists());
}

#[test]
fn templates_can_be_overridden_but_cannot_inject() {
    let temp = tempfile::tempdir().unwrap();
    let templates = templates_folder(
        temp.path(),
        "Caddyfile.j2",
        "# custom\n{% for site in sites %}{{ site.host }} {\n\trespond \"hi\"\n}\n{% endfor %}",
    );
    let out = temp.path().join("out");
    let output = build_with_templates("specs/minimal.eos", &out, &templates);
    assert_exit(&output, 0);
    let caddyfile = std::fs::read_to_string(out.join("caddy/Caddyfile")).unwrap();
    assert!(caddyfile.starts_with("# custom\n"));
    // A template that prints a value with syntax in it fails the build.
    std::fs::write(templates.join("Caddyfile.j2"), "{{ source ~ \" {\" }}\n").unwrap();
    let output = build_with_templates("specs/minimal.eos", &out, &templates);
    assert!(assert_exit(&output, 2).contains("refusing to write"));
    // Unknown template files are refused rather than ignored.
    std::fs::write(templates.join("Caddyfle.j2"), "").unwrap();
    assert_exit(
        &build_with_templates("specs/minimal.eos", &out, &templates),
        2,
    );
}

#[test]
fn hostile_values_in_proxy_fields_are_diagnostics() {
    let cases = [
        ("host = \"app.example.com {\"", "E0107"),
        ("host = \"{$HOME}.example.com\"", "E0107"),
        (
            "host = \"a.example.com\"\n  path = \"/x { respond 1 }\"",
            "E0107",
        ),
    ];
    for (attributes, code) in cases {
        let text = format!(
            "stack \"s\" {{ domain = \"example.com\" acme_email = \"ops@example.com\" }}\nhost \"h\" {{ address = \"10.0.0.1\" memory = 8GiB cpus = 4 }}\n\
             service \"caddy\" {{ runtime = baremetal provides = [caddy] on = [h] memory = 1GiB cpu = 1 }}\n\
             service \"app\" {{ runtime = baremetal on = [h] memory = 1GiB cpu = 1 port \"http\" {{ number = 8080 }} }}\n\
             route \"app\" {{\n  {attributes}\n  to = app.http\n}}\n"
        );
        let checked = common::check_text(&text);
        let codes: Vec<&str> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert!(codes.contains(&code), "{attributes}: {codes:?}");
    }
    let checked = common::check_text(
        "stack \"s\" { domain = \"example.com\" acme_email = \"{$HOME}@example.com\" }\n",
    );
    assert!(checked
        .diagnostics
        .iter()
        .any(|d| d.code.as_str() == "E0107"));
}

/// The `resolvers` of Caddy's Consul SRV lookups: the local agent when every
/// Caddy host runs Consul, else every Consul host.
#[test]
fn caddy_asks_the_local_consul_agent_only_where_there_is_one() {
    let example = common::root().join("specs/eos.eos");
    let resolvers = |spec: &str| -> Vec<String> {
        // Checked in memory, with its `file` sources found next to the example.
        let source = eosc::driver::SourceFile::new("eos.eos", spec);
        let checked = eosc::driver::check_source_with_files(
            source,
            eosc::diag::Diagnostics::new(),
            |stack| eosc::driver::probe_files(&example, stack),
        );
        assert!(
            !checked.diagnostics.has_errors(),
            "{}",
            common::human(&checked)
        );
        let artifacts = eosc::driver::emit_artifacts(&checked, &eosc::emit::Templates::builtin())
            .unwrap()
            .unwrap();
        let caddyfile = &artifacts.files["caddy/Caddyfile"];
        let mut lines: Vec<String> = caddyfile
            .lines()
            .filter_map(|l| l.trim().strip_prefix("resolvers "))
            .map(str::to_string)
            .collect();
        assert!(!lines.is_empty(), "no SRV upstream in:\n{caddyfile}");
        lines.dedup();
        lines
    };
    let spec = std::fs::read_to_string(&example).unwrap();
    assert_eq!(resolvers(&spec), ["127.0.0.1:8600"]);
    // Consul no longer on hv5, where Caddy also runs.
    let without_hv5 = spec.replacen(
        "provides = [consul]\n  on       = [hv1, hv2, hv3, hv4, hv5]",
        "provides = [consul]\n  on       = [hv1, hv2, hv3, hv4]",
        1,
    );
    assert_ne!(without_hv5, spec);
    assert_eq!(
        resolvers(&without_hv5),
        ["10.0.0.11:8600 10.0.0.12:8600 10.0.0.13:8600 10.0.0.14:8600"]
    );
}

/// An emitter that fails after others have written files into the staging
/// folder (a user template that cannot render, while the Nomad chain writes its
/// jobspecs): the previous output stays as it was and no staging folder is left.
#[test]
fn a_build_failing_while_writing_leaves_the_previous_output_and_no_staging() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    assert_eq!(build_status("specs/eos.eos", &out), Some(0));
    let before = read_tree(&out);
    let templates = templates_folder(temp.path(), "nginx.conf.j2", "{{ no_such_function() }}\n");
    let output = build_with_templates("specs/eos.eos", &out, &templates);
    assert!(assert_exit(&output, 2).contains("nginx"));
    assert_eq!(read_tree(&out), before);
    let mut left: Vec<_> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["out", "templates"], "no staging folder is left");
}
