//! Several files, modules and environments (LANGUAGE.md sections 10–12). The
//! invariant that makes them trustworthy: a stack written with includes and
//! module instances builds byte-identical to the same stack written out by
//! hand in one file — for the base and for every environment. The generator
//! below writes both forms itself (eosc's own expansion is not the reference).

mod common;

use std::fmt::Write as _;

use eosc::compose::files::MemoryFiles;
use eosc::diag::{Code, Diagnostic, Diagnostics};
use eosc::driver::{self, Checked, Environments, SourceFile};
use eosc::model::files::SourceFiles;
use proptest::prelude::*;

const MODULE: &str = r#"// One application: an app, its database, its route.
param "image"   { type = string }
param "count" {
  type    = int
  default = 1
}
param "db_disk" { type = disk }
param "db_size" {
  type    = size
  default = 10GiB
}
param "host"    { type = string }

service "app" {
  runtime = nomad
  image   = param.image
  count   = param.count
  memory  = 256MiB
  cpu     = 0.25
  after   = [db]
  env     = { DB = db.pg  DB_HOST = db.pg.address  MODE = "web" }
  port "http" { number = 8080 }
  health {
    port = http
    path = "/healthz"
  }
}

service "db" {
  runtime = nomad
  image   = "postgres:16.4"
  memory  = 512MiB
  cpu     = 0.5
  port "pg" {
    number   = 5432
    protocol = tcp
  }
  health { port = pg }
  volume "data" {
    disk = param.db_disk
    size = param.db_size
    path = "/var/lib/postgresql/data"
    io   = wal
  }
}

route "web" {
  host = param.host
  to   = app.http
}
"#;

#[derive(Debug, Clone)]
struct App {
    tag: u8,
    count: Option<u64>,
    host: usize,
    db_gib: Option<u64>,
}

#[derive(Debug, Clone)]
struct Gen {
    hosts: usize,
    apps: Vec<App>,
    /// Environment changes: a host's memory, an app's count, a new service.
    env_host_memory: Option<(usize, u64)>,
    env_app_count: Option<(usize, u64)>,
    env_new_service: bool,
}

fn strategy() -> impl Strategy<Value = Gen> {
    (1usize..4).prop_flat_map(|hosts| {
        let app = (
            any::<u8>(),
            prop::option::of(1u64..3),
            0..hosts,
            prop::option::of(1u64..50),
        )
            .prop_map(|(tag, count, host, db_gib)| App {
                tag,
                count,
                host,
                db_gib,
            });
        (
            prop::collection::vec(app, 1..8),
            prop::option::of((0..hosts, 100u64..200)),
            prop::option::of((any::<prop::sample::Index>(), 1u64..3)),
            any::<bool>(),
        )
            .prop_map(move |(apps, memory, count, new)| {
                let env_app_count = count.map(|(i, n)| (i.index(apps.len()), n));
                Gen {
                    hosts,
                    apps,
                    env_host_memory: memory,
                    env_app_count,
                    env_new_service: new,
                }
            })
    })
}

fn stack_block(gen: &Gen, include: bool) -> String {
    let clients: Vec<String> = (0..gen.hosts).map(|i| format!("h{i}")).collect();
    let clients = clients.join(", ");
    let include = if include {
        "  include = [\"hosts.eos\", \"apps/*.eos\", \"apps/**/*.eos\"]\n"
    } else {
        ""
    };
    format!(
        "stack \"gen\" {{\n  domain = \"example.com\"\n{include}}}\n\n\
         service \"nomad\" {{\n  runtime  = baremetal\n  provides = [nomad]\n  on       = [{clients}]\n  \
         memory   = 1GiB\n  cpu      = 1\n  port \"http\" {{ number = 4646 }}\n  \
         health {{\n    port = http\n    path = \"/v1/status/leader\"\n  }}\n}}\n\n\
         service \"consul\" {{\n  runtime  = baremetal\n  provides = [consul]\n  on       = [h0]\n  \
         memory   = 512MiB\n  cpu      = 0.5\n  port \"http\" {{ number = 8500 }}\n  \
         health {{\n    port = http\n    path = \"/v1/status/leader\"\n  }}\n}}\n\n\
         service \"caddy\" {{\n  runtime  = baremetal\n  provides = [caddy]\n  on       = [h0]\n  \
         memory   = 256MiB\n  cpu      = 0.5\n}}\n"
    )
}

fn hosts(gen: &Gen) -> String {
    let mut text = String::new();
    for i in 0..gen.hosts {
        let _ = write!(
            text,
            "host \"h{i}\" {{\n  address = \"10.0.0.{}\"\n  memory  = 128GiB\n  cpus    = 32\n  \
             disk \"nvme0\" {{\n    size = 2TB\n    kind = nvme\n  }}\n}}\n",
            i + 1
        );
    }
    text
}

fn env_block(gen: &Gen, flat: bool) -> String {
    let mut body = String::new();
    if let Some((host, gib)) = gen.env_host_memory {
        body.push_str(&format!("  host \"h{host}\" {{ memory = {gib}GiB }}\n"));
    }
    if let Some((app, count)) = gen.env_app_count {
        if flat {
            body.push_str(&format!("  service \"a{app}-app\" {{ count = {count} }}\n"));
        } else {
            body.push_str(&format!("  module \"a{app}\" {{ count = {count} }}\n"));
        }
    }
    if gen.env_new_service {
        body.push_str(
            "  service \"mailpit\" {\n    runtime = nomad\n    image   = \"axllent/mailpit:v1.20\"\n    \
             memory  = 256MiB\n    cpu     = 0.25\n  }\n",
        );
    }
    format!("env \"staging\" {{\n{body}}}\n")
}

/// `module "aN" { … }` as the modular stack writes it.
fn module_block(index: usize, app: &App) -> String {
    let mut args = format!(
        "  source  = \"../modules/app.eos\"\n  image   = \"ghcr.io/example/a{index}:1.{}\"\n  \
         db_disk = h{}.nvme0\n  host    = \"a{index}.example.com\"\n",
        app.tag, app.host
    );
    if let Some(count) = app.count {
        args.push_str(&format!("  count   = {count}\n"));
    }
    if let Some(gib) = app.db_gib {
        args.push_str(&format!("  db_size = {gib}GiB\n"));
    }
    format!("module \"a{index}\" {{\n{args}}}\n")
}

/// The same instance written out by hand.
fn written_out(index: usize, app: &App) -> String {
    let name = format!("a{index}");
    let body = MODULE
        .split_once("service \"app\"")
        .map(|(_, rest)| format!("service \"app\"{rest}"))
        .unwrap();
    body.replace("service \"app\"", &format!("service \"{name}-app\""))
        .replace("service \"db\"", &format!("service \"{name}-db\""))
        .replace("route \"web\"", &format!("route \"{name}-web\""))
        .replace("after   = [db]", &format!("after   = [{name}-db]"))
        .replace(
            "DB = db.pg  DB_HOST = db.pg.address",
            &format!("DB = {name}-db.pg  DB_HOST = {name}-db.pg.address"),
        )
        .replace("to   = app.http", &format!("to   = {name}-app.http"))
        .replace(
            "param.image",
            &format!("\"ghcr.io/example/{name}:1.{}\"", app.tag),
        )
        .replace("param.count", &app.count.unwrap_or(1).to_string())
        .replace("param.db_disk", &format!("h{}.nvme0", app.host))
        .replace("param.db_size", &format!("{}GiB", app.db_gib.unwrap_or(10)))
        .replace("param.host", &format!("\"{name}.example.com\""))
}

/// The stack over several files: the root, `hosts.eos` (with the
/// environment), one file per application — some one folder deeper — and
/// the module file.
fn modular(gen: &Gen) -> MemoryFiles {
    let mut files = MemoryFiles::new()
        .with("stack.eos", &stack_block(gen, true))
        .with(
            "hosts.eos",
            &format!("{}\n{}", hosts(gen), env_block(gen, false)),
        )
        .with("modules/app.eos", MODULE);
    for (index, app) in gen.apps.iter().enumerate() {
        // `apps/*.eos` takes the shallow ones, `apps/**/*.eos` the deeper.
        let path = if index % 3 == 2 {
            format!("apps/deep/a{index}.eos")
        } else {
            format!("apps/a{index}.eos")
        };
        let module = module_block(index, app);
        let module = if path.starts_with("apps/deep") {
            module.replace("../modules/app.eos", "../../modules/app.eos")
        } else {
            module
        };
        files = files.with(&path, &module);
    }
    files
}

/// The same stack in one file, in the order §10 and §11 put the blocks: the
/// root's, then each included file's, in `include` order.
fn flat(gen: &Gen) -> String {
    let mut text = stack_block(gen, false);
    text.push_str(&hosts(gen));
    text.push_str(&env_block(gen, true));
    let shallow = (0..gen.apps.len()).filter(|i| i % 3 != 2);
    let deep = (0..gen.apps.len()).filter(|i| i % 3 == 2);
    let mut shallow: Vec<usize> = shallow.collect();
    let mut deep: Vec<usize> = deep.collect();
    // Within one pattern, files are read in path order.
    shallow.sort_by_key(|i| format!("apps/a{i}.eos"));
    deep.sort_by_key(|i| format!("apps/deep/a{i}.eos"));
    for index in shallow.into_iter().chain(deep) {
        text.push_str(&written_out(index, &gen.apps[index]));
    }
    text
}

fn check(files: &MemoryFiles, root_text: &str, which: Environments<'_>) -> Checked {
    driver::check_stack(
        SourceFile::new("stack.eos", root_text),
        Diagnostics::new(),
        files,
        which,
        |_| SourceFiles::default(),
    )
    .unwrap()
}

fn artifacts(checked: &Checked) -> std::collections::BTreeMap<String, String> {
    assert!(
        !checked.diagnostics.has_errors(),
        "{}",
        common::human(checked)
    );
    driver::emit_artifacts(checked, &eosc::emit::Templates::builtin())
        .expect("no errors")
        .unwrap()
        .files
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn modules_and_includes_build_what_the_hand_written_file_builds(gen in strategy()) {
        let files = modular(&gen);
        let root = files.files["stack.eos"].clone();
        let flat_text = flat(&gen);
        let none = MemoryFiles::new();
        for which in [Environments::Base, Environments::One("staging")] {
            let composed = artifacts(&check(&files, &root, which));
            let written = artifacts(&check(&none, &flat_text, which));
            prop_assert_eq!(composed.keys().collect::<Vec<_>>(), written.keys().collect::<Vec<_>>());
            for (path, text) in &composed {
                prop_assert!(text == &written[path], "{path} differs ({which:?})\n--- composed\n{text}\n--- written\n{}", written[path]);
            }
        }
    }
}

/// The files of a stack on disk (for what only the disk has: symlinks, the
/// driver's root finding).
fn write_tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn codes(checked: &Checked) -> Vec<String> {
    common::positions(checked)
}

fn json(checked: &Checked) -> serde_json::Value {
    serde_json::from_str(&common::json(checked)).unwrap()
}

const ROOT: &str = "stack \"s\" {\n  domain  = \"example.com\"\n  include = [\"parts/*.eos\"]\n}\n";

#[test]
fn a_clash_across_files_names_both_files() {
    let dir = write_tree(&[
        ("stack.eos", ROOT),
        (
            "parts/a.eos",
            "host \"h\" {\n  address = \"10.0.0.1\"\n  memory = 8GiB\n  cpus = 2\n}\n",
        ),
        (
            "parts/b.eos",
            "host \"h\" {\n  address = \"10.0.0.2\"\n  memory = 8GiB\n  cpus = 2\n}\n",
        ),
    ]);
    let checked = driver::check_file(&dir.path().join("stack.eos")).unwrap();
    let report = json(&checked);
    let d = &report["diagnostics"][0];
    assert_eq!(d["code"], "E0105");
    assert!(d["file"].as_str().unwrap().ends_with("parts/b.eos"), "{d}");
    assert!(
        d["labels"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("parts/a.eos"),
        "{d}"
    );
    let human = common::human(&checked);
    assert!(
        human.contains("parts/a.eos") && human.contains("parts/b.eos"),
        "{human}"
    );
}

#[test]
fn include_paths_stay_in_the_root_folder() {
    let dir = write_tree(&[
        ("stack/stack.eos", "stack \"s\" {\n  domain  = \"example.com\"\n  include = [\"../outside.eos\", \"/etc/passwd\", \"missing.eos\", \"none/*.eos\", \"link.eos\"]\n}\n"),
        ("outside.eos", "host \"x\" {}\n"),
    ]);
    std::os::unix::fs::symlink(
        dir.path().join("outside.eos"),
        dir.path().join("stack/link.eos"),
    )
    .unwrap();
    let checked = driver::check_file(&dir.path().join("stack/stack.eos")).unwrap();
    assert_eq!(
        codes(&checked),
        [
            "E0502 at 3:14",
            "E0502 at 3:32",
            "E0503 at 3:47",
            "E0503 at 3:62",
            "E0502 at 3:76"
        ]
    );
    // A pattern's match that leads out is blamed on the pattern that matched
    // it; a module source that leaves the folder is told so (no symlink).
    std::fs::write(
        dir.path().join("stack/stack.eos"),
        "stack \"s\" {\n  domain  = \"example.com\"\n  include = [\"hosts/*.eos\", \"l*.eos\"]\n}\nmodule \"m\" {\n  source = \"../outside.eos\"\n}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("stack/hosts")).unwrap();
    std::fs::write(dir.path().join("stack/hosts/a.eos"), "").unwrap();
    let checked = driver::check_file(&dir.path().join("stack/stack.eos")).unwrap();
    assert_eq!(codes(&checked), ["E0502 at 3:29", "E0502 at 6:12"]);
    let messages: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages[1],
        "`../outside.eos` leaves the root file's folder"
    );
}

#[test]
fn a_stack_block_or_param_outside_its_place_is_refused() {
    let files = MemoryFiles::new()
        .with("parts/a.eos", "stack \"again\" {\n  domain = \"example.org\"\n}\nparam \"x\" { type = string }\nservice \"s\" {\n  runtime = baremetal\n  on = [param.x]\n  memory = 1GiB\n  cpu = 1\n}\n");
    let checked = check(&files, ROOT, Environments::All);
    let found: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert!(
        found.contains(&"E0108 a `stack` block outside the root file".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"E0109 a `param` block outside a module file".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"E0109 `param.` outside a module file".to_string()),
        "{found:?}"
    );
}

const MODULE_ROOT: &str = "stack \"s\" {\n  domain = \"example.com\"\n}\nhost \"h\" {\n  address = \"10.0.0.1\"\n  memory = 8GiB\n  cpus = 4\n}\nservice \"nomad\" {\n  runtime = baremetal\n  provides = [nomad]\n  on = [h]\n  memory = 1GiB\n  cpu = 1\n}\n";

#[test]
fn argument_errors_point_at_the_module_block() {
    let root = format!(
        "{MODULE_ROOT}module \"wiki\" {{\n  source = \"m.eos\"\n  imgae = \"x:1\"\n  size = \"big\"\n}}\n"
    );
    let files = MemoryFiles::new().with(
        "m.eos",
        "param \"image\" { type = string }\nparam \"size\" { type = size }\nservice \"app\" {\n  runtime = nomad\n  image = param.image\n  memory = param.size\n  cpu = 1\n}\n",
    );
    let checked = check(&files, &root, Environments::All);
    let found: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert_eq!(
        found,
        [
            "E0104 missing argument `image`",
            "E0102 the module has no parameter `imgae`",
            "E0103 argument `size` must be a size (`20GiB`), not a string",
        ],
        "{}",
        common::human(&checked)
    );
    let help = checked
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "E0102")
        .unwrap()
        .help
        .clone();
    assert_eq!(help.as_deref(), Some("did you mean `image`?"));
}

#[test]
fn an_error_in_an_instance_points_into_the_module_and_labels_the_instance() {
    let root =
        format!("{MODULE_ROOT}module \"big\" {{\n  source = \"m.eos\"\n  memory = 64GiB\n}}\n");
    let files = MemoryFiles::new().with(
        "m.eos",
        "param \"memory\" { type = size }\nservice \"app\" {\n  runtime = baremetal\n  on = [h]\n  memory = param.memory\n  cpu = 1\n  env = { X = app.nope }\n}\n",
    );
    let checked = check(&files, &root, Environments::All);
    let report = json(&checked);
    let missing = &report["diagnostics"][0];
    assert_eq!(missing["code"], "E0404", "{report}");
    assert_eq!(
        (&missing["file"], &missing["line"]),
        (&"m.eos".into(), &7.into())
    );
    let label = &missing["labels"][0];
    assert_eq!(label["message"], "in module instance `big`");
    assert_eq!(
        (&label["file"], &label["line"]),
        (&"stack.eos".into(), &16.into())
    );
    // The budget error's labels point at the argument, where the value is written.
    let root = root.replace("  env = { X = app.nope }\n", "");
    let files = MemoryFiles::new().with(
        "m.eos",
        &files.files["m.eos"].replace("  env = { X = app.nope }\n", ""),
    );
    let report = json(&check(&files, &root, Environments::All));
    let over = &report["diagnostics"][0];
    assert_eq!(over["code"], "E0301", "{report}");
    assert!(
        over["labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["line"] == 18 && l["file"] == "stack.eos"),
        "{over}"
    );
}

/// `root` with instances `m0`… of the module file `m.eos`.
fn with_instances(root: &str, count: usize) -> String {
    let mut root = root.to_string();
    for i in 0..count {
        root.push_str(&format!("module \"m{i}\" {{\n  source = \"m.eos\"\n}}\n"));
    }
    root
}

#[test]
fn a_broken_module_is_reported_once_not_per_instance() {
    let root = with_instances(MODULE_ROOT, 50);
    let files = MemoryFiles::new().with(
        "m.eos",
        "host \"x\" {}\nservice \"app\" {\n  runtime = nomad\n  image = param.nope\n}\n",
    );
    let checked = check(&files, &root, Environments::All);
    assert_eq!(
        codes(&checked),
        ["E0109 at 1:1", "E0201 at 4:11"],
        "{}",
        common::human(&checked)
    );
    assert!(checked
        .diagnostics
        .iter()
        .all(|d| common::json(&checked).contains("m.eos") && d.secondary.is_empty()));
}

#[test]
fn a_problem_every_instance_shares_is_reported_once_with_each_instance() {
    let root = with_instances(MODULE_ROOT, 6);
    let files = MemoryFiles::new().with(
        "m.eos",
        "service \"app\" {\n  runtime = baremetal\n  on = [h]\n  memory = 1GiB\n  memroy = 1GiB\n  cpu = 1\n}\n",
    );
    let checked = check(&files, &root, Environments::All);
    assert_eq!(
        codes(&checked),
        ["E0102 at 5:3"],
        "{}",
        common::human(&checked)
    );
    let labels: Vec<&str> = checked
        .diagnostics
        .iter()
        .next()
        .unwrap()
        .secondary
        .iter()
        .map(|l| &*l.message)
        .collect();
    assert_eq!(
        labels,
        [
            "in module instance `m0`",
            "and in module instance `m1`",
            "and in module instance `m2`",
            "and in module instance `m3`",
            "and in 2 more module instances",
        ]
    );
}

#[test]
fn a_module_cannot_source_itself_or_the_stack() {
    let root = format!("{MODULE_ROOT}module \"me\" {{\n  source = \"stack.eos\"\n}}\n");
    let files = MemoryFiles::new().with(
        "self.eos",
        "module \"again\" {\n  source = \"self.eos\"\n}\n",
    );
    let checked = check(&files, &root, Environments::All);
    assert_eq!(
        codes(&checked),
        ["E0503 at 17:12"],
        "{}",
        common::human(&checked)
    );
    let root = format!("{MODULE_ROOT}module \"me\" {{\n  source = \"self.eos\"\n}}\n");
    let checked = check(&files, &root, Environments::All);
    assert_eq!(
        codes(&checked),
        ["E0109 at 1:1"],
        "{}",
        common::human(&checked)
    );
}

#[test]
fn environments_report_a_base_problem_once_and_name_their_own() {
    let root = format!(
        "{MODULE_ROOT}service \"app\" {{\n  runtime = nomad\n  image = \"app\"\n  memory = 1GiB\n  cpu = 1\n}}\n\
         env \"big\" {{\n  service \"app\" {{ memory = 20GiB }}\n}}\nenv \"small\" {{\n  host \"h\" {{ cpus = 1 }}\n}}\n"
    );
    let checked = check(&MemoryFiles::new(), &root, Environments::All);
    let report = json(&checked);
    let found: Vec<(String, serde_json::Value)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["environment"].clone(),
            )
        })
        .collect();
    // W0603 (untagged image) is the base's: once, with no environment.
    assert_eq!(
        found.iter().filter(|(c, _)| c == "W0603").count(),
        1,
        "{found:?}"
    );
    assert!(found.contains(&("W0603".into(), serde_json::Value::Null)));
    assert!(
        found.iter().any(|(c, e)| c == "E0306" && e == "big"),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(c, e)| c == "E0302" && e == "small"),
        "{found:?}"
    );
    let human = common::human(&checked);
    assert!(human.contains("(environment `big`)"), "{human}");
}

#[test]
fn an_environment_adding_a_misspelt_block_is_told_what_it_may_have_meant() {
    let root =
        format!("{MODULE_ROOT}env \"staging\" {{\n  service \"nomda\" {{ memory = 2GiB }}\n}}\n");
    let checked = check(&MemoryFiles::new(), &root, Environments::One("staging"));
    let help: Vec<String> = checked
        .diagnostics
        .iter()
        .filter_map(|d| d.help.as_deref().map(str::to_string))
        .collect();
    assert!(
        help.iter()
            .any(|h| h.contains("did you mean to change `nomad`?")),
        "{help:?}"
    );
    assert!(driver::check_stack(
        SourceFile::new("stack.eos", root.as_str()),
        Diagnostics::new(),
        &MemoryFiles::new(),
        Environments::One("prod"),
        |_| SourceFiles::default(),
    )
    .is_err());
}

#[test]
fn connections_resolve_and_add_edges() {
    let root = format!(
        "{MODULE_ROOT}service \"app\" {{\n  runtime = baremetal\n  on = [h]\n  memory = 1GiB\n  cpu = 1\n  \
         env = {{ API = app.self  BAD = nomad.grpc  WHO = nobody.http  NOPE = app.self.host }}\n  port \"self\" {{ number = 9 }}\n}}\n"
    );
    let checked = check(&MemoryFiles::new(), &root, Environments::All);
    let found: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(
        found,
        ["E0404", "E0201", "E0103"],
        "{}",
        common::human(&checked)
    );

    let cycle = format!(
        "{MODULE_ROOT}service \"a\" {{\n  runtime = nomad\n  image = \"a:1\"\n  memory = 1GiB\n  cpu = 1\n  env = {{ B = b.p }}\n  port \"p\" {{ number = 1 }}\n}}\n\
         service \"b\" {{\n  runtime = nomad\n  image = \"b:1\"\n  memory = 1GiB\n  cpu = 1\n  env = {{ A = a.p }}\n  port \"p\" {{ number = 2 }}\n}}\n"
    );
    let checked = check(&MemoryFiles::new(), &cycle, Environments::All);
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code.as_str() == "E0202"),
        "{}",
        common::human(&checked)
    );
}

#[test]
fn an_included_file_given_to_check_is_checked_through_its_root() {
    let dir = write_tree(&[
        ("stack.eos", ROOT),
        ("parts/a.eos", "host \"h\" {\n  address = \"10.0.0.1\"\n  memory = 8GiB\n  cpus = 2\n  colour = 1\n}\n"),
        (".git/HEAD", ""),
    ]);
    let root = driver::find_root(&dir.path().join("parts/a.eos")).expect("root found");
    assert!(root.ends_with("stack.eos"), "{}", root.display());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_eosc"))
        .args(["check", "--format", "json", "parts/a.eos"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["E0102"], "{report}");
    assert_eq!(report["diagnostics"][0]["file"], "parts/a.eos");
}

/// `eosc check --format json ARGS…` in `dir`: the diagnostics' codes and files.
fn check_in(dir: &std::path::Path, args: &[&str]) -> Vec<(String, String)> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_eosc"))
        .args(["check", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_stack_named_with_its_own_files_is_checked_once() {
    let dir = write_tree(&[
        ("stack.eos", ROOT),
        ("parts/a.eos", "host \"h\" {\n  address = \"10.0.0.1\"\n  memory = 8GiB\n  cpus = 2\n  colour = 1\n}\n"),
        (".git/HEAD", ""),
    ]);
    let once = vec![("E0102".to_string(), "parts/a.eos".to_string())];
    // As a pre-commit hook names them: in any order, the root by any name.
    assert_eq!(check_in(dir.path(), &["stack.eos", "parts/a.eos"]), once);
    assert_eq!(check_in(dir.path(), &["parts/a.eos", "./stack.eos"]), once);
    assert_eq!(
        check_in(dir.path(), &["parts/a.eos", "parts/../parts/a.eos"]),
        once
    );
}

#[test]
fn a_module_file_with_a_syntax_error_is_checked_through_its_root() {
    // Alone, the module file would also be told that `param` belongs in a
    // module file (E0109).
    let root = format!(
        "{MODULE_ROOT}module \"wiki\" {{\n  source = \"modules/app.eos\"\n  image = \"x:1\"\n}}\n"
    );
    let dir = write_tree(&[
        ("stack.eos", root.as_str()),
        (
            "modules/app.eos",
            "param \"image\" { type = string }\nservice \"app\" {\n  runtime = \n}\n",
        ),
        (".git/HEAD", ""),
    ]);
    assert_eq!(
        check_in(dir.path(), &["modules/app.eos"]),
        [("E0001".to_string(), "modules/app.eos".to_string())]
    );
}

#[test]
fn ten_thousand_instances_and_a_hundred_thousand_matches_are_bounded() {
    let root = with_instances(
        &MODULE_ROOT.replace(
            "stack \"s\" {\n",
            "stack \"s\" {\n  include = [\"many/*.eos\"]\n",
        ),
        10_000,
    );
    let mut files = MemoryFiles::new().with(
        "m.eos",
        "route \"r\" {\n  protocol = tcp\n  listen = 1\n  to = nomad.http\n}\n",
    );
    for i in 0..100_000 {
        files.files.insert(format!("many/{i}.eos"), String::new());
    }
    let checked = check(&files, &root, Environments::All);
    let found: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(
        found.first(),
        Some(&"E0002"),
        "{:?}",
        &found[..found.len().min(5)]
    );
}

#[test]
fn an_argument_used_twice_is_reported_once() {
    // `param.h` stands in two places; its argument is checked at each, with
    // the argument's one span: one problem, one diagnostic.
    let module = "param \"h\" { type = host }\nservice \"a\" {\n  runtime = baremetal\n  on = [param.h]\n  memory = 1GiB\n  cpu = 1\n}\nservice \"b\" {\n  runtime = baremetal\n  on = [param.h]\n  memory = 1GiB\n  cpu = 1\n}\n";
    let files = MemoryFiles::new().with("m.eos", module);
    let root = format!("{MODULE_ROOT}module \"x\" {{\n  source = \"m.eos\"\n  h = hx\n}}\n");
    let checked = check(&files, &root, Environments::All);
    let unknown: Vec<&Diagnostic> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::E0201)
        .collect();
    assert_eq!(unknown.len(), 1, "{}", common::human(&checked));
    assert_eq!(unknown[0].message, "unknown host `hx`");
}
