//! `.pre-commit-hooks.yaml` end to end, with the real `pre-commit` (from the
//! validators' venv) in a throwaway git repository that uses this repository as
//! its hook source.
//!
//! The hook source is a snapshot of this working tree: every file git does not
//! ignore (`git ls-files --cached --others --exclude-standard`), committed into
//! a fresh repository, referenced as `repo: <path>` + `rev: <its commit>`. That
//! tests exactly what is checked out — on a clean CI clone that is HEAD; on a
//! developer's machine it includes uncommitted and untracked work, which neither
//! `rev: <HEAD>` nor `pre-commit try-repo` (it takes tracked changes only) would.
//!
//! `language: rust` hooks make pre-commit `cargo install` eosc (a release
//! build). `CARGO_TARGET_DIR` points at `target/precommit`, so after the first
//! run the dependencies are reused and only eosc itself is compiled again (its
//! sources are a fresh clone each time): about 2½ minutes on a 2-core machine,
//! against some 14 for the first run, which compiles every dependency.
//! `PRE_COMMIT_HOME` is a temporary folder: the test never touches the user's
//! pre-commit cache. Every scenario runs in one test against one hook
//! environment (all hooks come from one repo and rev, so pre-commit builds once).
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

/// Commit dates fixed so that the same tree always gets the same commit (and a
/// failure names the same `rev` for the same tree).
const FIXED_DATE: &str = "2024-01-01T00:00:00Z";

#[test]
fn pre_commit_hooks_refuse_bad_specs_and_format_in_place() {
    let Some(pre_commit) = common::validator("pre-commit", "pre-commit") else {
        return;
    };
    let root = common::root();
    let scratch = tempfile::tempdir().unwrap();
    let hooks = scratch.path().join("eosc-hooks");
    let project = scratch.path().join("project");
    let home = scratch.path().join("pre-commit-home");
    let cargo_target = root.join("target/precommit");

    let rev = snapshot_working_tree(&root, &hooks);
    let env = Env {
        pre_commit,
        home,
        cargo_target,
        // For the `-system` hooks: the eosc this test suite built.
        eosc_dir: Path::new(env!("CARGO_BIN_EXE_eosc"))
            .parent()
            .unwrap()
            .to_path_buf(),
    };

    std::fs::create_dir_all(project.join("files/cockpit")).unwrap();
    git(&project, &["init", "--quiet"]);
    git(&project, &["config", "user.name", "eosc test"]);
    git(&project, &["config", "user.email", "eosc-test@example.com"]);
    git(&project, &["config", "commit.gpgsign", "false"]);
    let config = format!(
        "repos:\n\
         \x20 - repo: {repo}\n\
         \x20   rev: {rev}\n\
         \x20   hooks:\n\
         \x20     - id: eosc-fmt\n\
         \x20     - id: eosc-check\n\
         \x20     - id: eosc-check\n\
         \x20       alias: eosc-check-strict\n\
         \x20       args: [--deny-warnings]\n\
         \x20       stages: [manual]\n\
         \x20     - id: eosc-check-system\n\
         \x20       stages: [manual]\n\
         \x20     - id: eosc-fmt-system\n\
         \x20       stages: [manual]\n",
        repo = yaml_string(&hooks.display().to_string()),
    );
    std::fs::write(project.join(".pre-commit-config.yaml"), config).unwrap();
    copy(
        &root.join("tests/ui/E0102_unknown_attribute.eos"),
        &project.join("bad.eos"),
    );
    copy(
        &root.join("specs/minimal.eos"),
        &project.join("minimal.eos"),
    );
    copy(
        &root.join("specs/files/cockpit/cockpit.conf"),
        &project.join("files/cockpit/cockpit.conf"),
    );
    copy(
        &root.join("tests/fmt/layout.eos"),
        &project.join("layout.eos"),
    );
    copy(
        &root.join("tests/ui/W0603_image_without_pinned_tag.eos"),
        &project.join("warnings.eos"),
    );
    // A stack over several files: the hook is handed only the file that
    // changed, an included one without a `stack` block, and checks its root.
    write(
        &project.join("multi/stack.eos"),
        "stack \"multi\" {\n  domain  = \"example.com\"\n  include = [\"parts/*.eos\"]\n}\n",
    );
    write(
        &project.join("multi/parts/hosts.eos"),
        "host \"hv1\" {\n  address = \"10.0.0.1\"\n  memory  = 8GiB\n  cpus    = 2\n}\n",
    );
    write(
        &project.join("multi/parts/app.eos"),
        "module \"wiki\" {\n  source = \"../modules/app.eos\"\n}\n",
    );
    write(
        &project.join("multi/modules/app.eos"),
        "service \"app\" {\n  runtime = baremetal\n  on      = [hv1]\n  memroy  = 1GiB\n  cpu     = 1\n}\n",
    );
    git(&project, &["add", "."]);

    // Building the hook environment: `cargo install` of the snapshot.
    let started = Instant::now();
    let installed = env.pre_commit(&project, &["install-hooks"]);
    eprintln!(
        "pre-commit install-hooks (cargo install --release of eosc): {:.1?}",
        started.elapsed()
    );
    assert_success(&installed, "pre-commit install-hooks");
    let started = Instant::now();

    // A spec with an error is refused, and the diagnostic is shown.
    let bad = env.pre_commit(&project, &["run", "eosc-check", "--files", "bad.eos"]);
    let text = combined(&bad);
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(text.contains("eosc check"), "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(text.contains("E0102"), "{text}");
    assert!(text.contains("unknown attribute `memroy`"), "{text}");
    assert!(text.contains("1 error, 0 warnings"), "{text}");

    // A clean spec (with the `file` source it names) passes.
    let good = env.pre_commit(&project, &["run", "eosc-check", "--files", "minimal.eos"]);
    assert_success(&good, "eosc-check on minimal.eos");
    assert!(combined(&good).contains("Passed"), "{}", combined(&good));

    // Warnings pass by default and fail with `args: [--deny-warnings]`.
    let lenient = env.pre_commit(&project, &["run", "eosc-check", "--files", "warnings.eos"]);
    assert_success(&lenient, "eosc-check on warnings.eos");
    let strict = env.pre_commit(
        &project,
        &[
            "run",
            "--hook-stage",
            "manual",
            "eosc-check-strict",
            "--files",
            "warnings.eos",
        ],
    );
    let text = combined(&strict);
    assert_eq!(strict.status.code(), Some(1), "{text}");
    assert!(text.contains("W0603"), "{text}");

    // A module file's error is found through the stack that stamps it out.
    let module = env.pre_commit(
        &project,
        &["run", "eosc-check", "--files", "multi/modules/app.eos"],
    );
    let text = combined(&module);
    assert_eq!(module.status.code(), Some(1), "{text}");
    assert!(text.contains("multi/modules/app.eos"), "{text}");
    assert!(text.contains("unknown attribute `memroy`"), "{text}");
    assert!(text.contains("in module instance `wiki`"), "{text}");
    write(
        &project.join("multi/modules/app.eos"),
        "service \"app\" {\n  runtime = baremetal\n  on      = [hv1]\n  memory  = 1GiB\n  cpu     = 1\n}\n",
    );
    let fixed = env.pre_commit(
        &project,
        &[
            "run",
            "eosc-check",
            "--files",
            "multi/modules/app.eos",
            "multi/parts/hosts.eos",
        ],
    );
    assert_success(
        &fixed,
        "eosc-check on a fixed module file and an included file",
    );

    // eosc-fmt rewrites an unformatted file in place; pre-commit reports it.
    let original = std::fs::read_to_string(project.join("layout.eos")).unwrap();
    let expected = eosc_fmt_stdin(&original);
    assert_ne!(
        original, expected,
        "tests/fmt/layout.eos should need formatting"
    );
    let fmt = env.pre_commit(&project, &["run", "eosc-fmt", "--files", "layout.eos"]);
    let text = combined(&fmt);
    assert_eq!(fmt.status.code(), Some(1), "{text}");
    assert!(text.contains("files were modified by this hook"), "{text}");
    assert_eq!(
        std::fs::read_to_string(project.join("layout.eos")).unwrap(),
        expected
    );
    let again = env.pre_commit(&project, &["run", "eosc-fmt", "--files", "layout.eos"]);
    assert_success(&again, "eosc-fmt on a formatted file");

    // The `-system` variants run the eosc found on PATH.
    let system = env.pre_commit(
        &project,
        &[
            "run",
            "--hook-stage",
            "manual",
            "eosc-check-system",
            "--files",
            "bad.eos",
            "minimal.eos",
        ],
    );
    let text = combined(&system);
    assert_eq!(system.status.code(), Some(1), "{text}");
    assert!(text.contains("E0102"), "{text}");
    std::fs::write(project.join("layout.eos"), &original).unwrap();
    let system_fmt = env.pre_commit(
        &project,
        &[
            "run",
            "--hook-stage",
            "manual",
            "eosc-fmt-system",
            "--files",
            "layout.eos",
        ],
    );
    let text = combined(&system_fmt);
    assert_eq!(system_fmt.status.code(), Some(1), "{text}");
    assert!(text.contains("files were modified by this hook"), "{text}");
    assert_eq!(
        std::fs::read_to_string(project.join("layout.eos")).unwrap(),
        expected
    );

    // As a git hook: a commit of a bad spec is refused, a good one goes in.
    assert_success(
        &env.pre_commit(&project, &["install"]),
        "pre-commit install",
    );
    git(&project, &["reset", "--quiet"]);
    git(&project, &["add", ".pre-commit-config.yaml", "bad.eos"]);
    let refused = env
        .command("git", &project)
        .args(["commit", "-m", "bad"])
        .output()
        .unwrap();
    let text = combined(&refused);
    assert_ne!(refused.status.code(), Some(0), "{text}");
    assert!(text.contains("E0102"), "{text}");
    git(&project, &["reset", "--quiet"]);
    git(
        &project,
        &[
            "add",
            ".pre-commit-config.yaml",
            "minimal.eos",
            "files/cockpit/cockpit.conf",
        ],
    );
    let accepted = env
        .command("git", &project)
        .args(["commit", "-m", "good"])
        .output()
        .unwrap();
    assert_success(&accepted, "git commit of a clean, formatted spec");
    eprintln!("pre-commit scenarios: {:.1?}", started.elapsed());
}

/// How every process of the test is started.
struct Env {
    pre_commit: PathBuf,
    home: PathBuf,
    cargo_target: PathBuf,
    eosc_dir: PathBuf,
}

impl Env {
    fn command(&self, program: impl AsRef<std::ffi::OsStr>, cwd: &Path) -> Command {
        let mut command = Command::new(program);
        let path = std::env::join_paths(std::iter::once(self.eosc_dir.clone()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .unwrap();
        command
            .current_dir(cwd)
            .env("PATH", path)
            .env("PRE_COMMIT_HOME", &self.home)
            .env("CARGO_TARGET_DIR", &self.cargo_target)
            .env("PRE_COMMIT_COLOR", "never")
            .env("NO_COLOR", "1")
            .env_remove("COLUMNS")
            .stdin(Stdio::null());
        isolate_git(&mut command);
        command
    }

    fn pre_commit(&self, cwd: &Path, args: &[&str]) -> Output {
        self.command(&self.pre_commit, cwd)
            .args(args)
            .output()
            .expect("pre-commit runs")
    }
}

/// Keeps git from reading the user's or an enclosing repository's settings
/// (the test may itself run inside a git hook).
fn isolate_git(command: &mut Command) {
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_PREFIX",
    ] {
        command.env_remove(var);
    }
    command
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0");
}

fn git(cwd: &Path, args: &[&str]) -> Output {
    let mut command = Command::new("git");
    command.current_dir(cwd).args(args).stdin(Stdio::null());
    isolate_git(&mut command);
    let output = command.output().expect("git runs");
    assert_success(&output, &format!("git {}", args.join(" ")));
    output
}

/// Copies every file git does not ignore into a new repository at `dest`,
/// commits it with fixed dates and returns the commit.
fn snapshot_working_tree(root: &Path, dest: &Path) -> String {
    let listed = git(
        root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    std::fs::create_dir_all(dest).unwrap();
    let mut copied = 0;
    for name in listed.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).expect("UTF-8 file names");
        let from = root.join(name);
        let Ok(meta) = std::fs::symlink_metadata(&from) else {
            continue; // deleted in the working tree, still in the index
        };
        let to = dest.join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&from).unwrap(), &to).unwrap();
        } else if meta.is_file() {
            std::fs::copy(&from, &to).unwrap();
        } else {
            continue;
        }
        copied += 1;
    }
    assert!(
        dest.join(".pre-commit-hooks.yaml").is_file() && dest.join("Cargo.toml").is_file(),
        "the snapshot of {} lacks .pre-commit-hooks.yaml or Cargo.toml ({copied} files)",
        root.display()
    );
    git(dest, &["init", "--quiet"]);
    git(dest, &["add", "--all"]);
    let mut commit = Command::new("git");
    commit
        .current_dir(dest)
        .args([
            "-c",
            "user.name=eosc test",
            "-c",
            "user.email=eosc-test@example.com",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            "snapshot of the working tree",
        ])
        .env("GIT_AUTHOR_DATE", FIXED_DATE)
        .env("GIT_COMMITTER_DATE", FIXED_DATE)
        .stdin(Stdio::null());
    isolate_git(&mut commit);
    assert_success(&commit.output().unwrap(), "git commit of the snapshot");
    let head = git(dest, &["rev-parse", "HEAD"]);
    String::from_utf8(head.stdout).unwrap().trim().to_string()
}

/// What `eosc fmt -` prints for a text.
fn eosc_fmt_stdin(text: &str) -> String {
    let output = common::run_with_stdin(
        Command::new(env!("CARGO_BIN_EXE_eosc")).args(["fmt", "-"]),
        text.as_bytes(),
    );
    assert_success(&output, "eosc fmt -");
    String::from_utf8(output.stdout).unwrap()
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
}

/// A YAML double-quoted string (paths may hold `:` or `#`).
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

fn combined(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}",
        output.status,
        combined(output)
    );
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}
