//! The Salt files of every example stack, checked by Salt itself (masterless
//! `salt-call --local` in a temp root, file root = the build's `salt/`):
//! every SLS renders, every host's highstate compiles under `mock=True`
//! (duplicate IDs across files, missing requisites, unknown state functions),
//! and both orchestrate files compile. Also: hostile spec strings reach Salt
//! exactly as written, secrets are only referenced by Vault path and key, and
//! the generated Vault script writes what systemd and docker expect.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

/// A masterless minion whose file root is a build's `salt/` folder.
struct Minion {
    salt_call: PathBuf,
    conf: PathBuf,
    out: PathBuf,
    /// A command `salt-call` runs under (e.g. a mount namespace); empty: none.
    prefix: Vec<String>,
    _temp: tempfile::TempDir,
}

impl Minion {
    fn new(salt_call: &Path, artifacts: &eosc::emit::Artifacts) -> Self {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        eosc::output_dir::write(&out, artifacts).unwrap();
        let (root, conf) = (temp.path().join("root"), temp.path().join("conf"));
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::create_dir_all(temp.path().join("pillar")).unwrap();
        let config = format!(
            "id: eos-test\nfile_client: local\nmaster_type: disable\nroot_dir: {root}\ncachedir: {root}/cache\n\
             pki_dir: {root}/pki\nsock_dir: {root}/sock\nlog_file: {root}/minion.log\nlog_level_logfile: warning\n\
             pidfile: {root}/salt-minion.pid\nextension_modules: {root}/extmods\n\
             enable_fqdns_grains: False\ngrains_cache: True\ngrains_cache_expiration: 3600\n\
             file_roots:\n  base:\n    - {salt}\npillar_roots:\n  base:\n    - {pillar}\n",
            root = root.display(),
            salt = out.join("salt").display(),
            pillar = temp.path().join("pillar").display(),
        );
        std::fs::write(conf.join("minion"), config).unwrap();
        Self {
            salt_call: salt_call.to_path_buf(),
            conf,
            out,
            prefix: Vec::new(),
            _temp: temp,
        }
    }

    /// Runs `salt-call` from now on as the last argument of `prefix` (empty:
    /// directly).
    fn run_under(&mut self, prefix: &[&str]) {
        self.prefix = prefix.iter().map(|s| (*s).to_string()).collect();
    }

    /// `salt-call --local --out=json [--id=ID] ARGS`: the `local` value, or
    /// the exit status and everything Salt printed.
    fn call(&self, id: Option<&str>, args: &[&str]) -> Result<Value, String> {
        self.call_with(id, args, true)
    }

    /// [`Minion::call`], accepting a non-zero exit when `must_succeed` is
    /// false (Salt exits 1 when any state fails: the caller judges them).
    fn call_with(
        &self,
        id: Option<&str>,
        args: &[&str],
        must_succeed: bool,
    ) -> Result<Value, String> {
        let mut command = match self.prefix.split_first() {
            Some((program, rest)) => {
                let mut command = Command::new(program);
                command.args(rest).arg(&self.salt_call);
                command
            }
            None => Command::new(&self.salt_call),
        };
        command
            .arg("--local")
            .arg(format!("--config-dir={}", self.conf.display()))
            .arg("--out=json");
        if let Some(id) = id {
            command.arg(format!("--id={id}"));
        }
        let output = command.args(args).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let described = || {
            format!(
                "salt-call {} {args:?} exited with {}:\n{stdout}\n{}",
                id.unwrap_or(""),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        };
        let parsed: Value = serde_json::from_str(&stdout).map_err(|_| described())?;
        let local = parsed.get("local").cloned().ok_or_else(described)?;
        if must_succeed && !output.status.success() {
            return Err(format!("{}\n{}", described(), problems(&local).join("\n")));
        }
        Ok(local)
    }

    /// Runs a state function that returns state results and fails with every
    /// state that did not succeed.
    fn states(&self, id: Option<&str>, args: &[&str]) -> Result<Value, String> {
        let local = self.call(id, args)?;
        let problems = problems(&local);
        if problems.is_empty() {
            Ok(local)
        } else {
            Err(format!(
                "salt-call {args:?} on {}:\n{}",
                id.unwrap_or("-"),
                problems.join("\n")
            ))
        }
    }

    /// The SLS names of `salt/orch/<folder>/` (`restart`, `restore`).
    fn orchestrate_sls(&self, folder: &str) -> Vec<String> {
        let salt = self.out.join("salt");
        let mut sls = Vec::new();
        let dir = salt.join("orch").join(folder);
        if dir.is_dir() {
            collect_sls(&salt, &dir, &mut sls);
        }
        sls.sort();
        sls
    }

    /// Every SLS name below `salt/eos`, and the host names of `top.sls`.
    fn sls_and_hosts(&self) -> (Vec<String>, Vec<String>) {
        let salt = self.out.join("salt");
        let mut sls = Vec::new();
        collect_sls(&salt, &salt.join("eos"), &mut sls);
        sls.sort();
        let top = std::fs::read_to_string(salt.join("top.sls")).unwrap();
        let hosts = top
            .lines()
            .filter_map(|l| l.strip_prefix("  \"")?.strip_suffix("\":"))
            .map(str::to_string)
            .collect();
        (sls, hosts)
    }
}

fn collect_sls(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() && path.file_name().unwrap() != "files" {
            collect_sls(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "sls") {
            let relative = path.strip_prefix(root).unwrap().with_extension("");
            out.push(relative.to_string_lossy().replace('/', "."));
        }
    }
}

/// Salt's complaints: a list of messages, or states whose result is not true.
fn problems(local: &Value) -> Vec<String> {
    match local {
        Value::Array(items) => items
            .iter()
            .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_string))
            .collect(),
        Value::Object(states) => states
            .iter()
            .filter(|(_, state)| state.get("result").is_some_and(|r| r != &Value::Bool(true)))
            .map(|(key, state)| format!("{key}: {}", state["comment"]))
            .collect(),
        Value::String(message) => vec![message.clone()],
        _ => Vec::new(),
    }
}

fn salt_call() -> Option<PathBuf> {
    common::validator(
        "salt-call",
        "salt 3008 alone in the validators venv, as a minion installed from the `salt` package",
    )
}

/// All the Salt checks of one built spec; the failures found.
fn check_spec(salt_call: &Path, spec: &Path) -> Vec<String> {
    let name = spec.file_name().unwrap().to_string_lossy().into_owned();
    let minion = Minion::new(salt_call, &common::build(spec));
    let (sls, hosts) = minion.sls_and_hosts();
    let mut failures = Vec::new();
    let mut record = |result: Result<Value, String>| {
        if let Err(message) = result {
            failures.push(format!("{name}: {message}"));
        }
    };
    let rendered = minion
        .call(None, &["state.show_sls", &sls.join(",")])
        .and_then(|states| {
            // Every file contributes states (an SLS that renders to nothing is a bug).
            let found: BTreeSet<&str> = states
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(_, s)| s["__sls__"].as_str())
                .collect();
            let missing: Vec<&String> =
                sls.iter().filter(|s| !found.contains(s.as_str())).collect();
            if missing.is_empty() {
                Ok(Value::Null)
            } else {
                Err(format!("rendered no state: {missing:?}"))
            }
        });
    record(rendered);
    assert!(!hosts.is_empty(), "{name}: top.sls names no host");
    for host in &hosts {
        record(minion.states(Some(host), &["state.highstate", "mock=True"]));
        match minion.call(Some(host), &["state.show_highstate"]) {
            Ok(Value::Object(states)) if !states.is_empty() => {}
            other => {
                record(other.and_then(|v| Err(format!("show_highstate of {host} is empty: {v}"))));
            }
        }
    }
    for orchestrate in ["orch.bootstrap", "orch.shutdown"]
        .into_iter()
        .map(String::from)
        .chain(minion.orchestrate_sls("restart"))
        .chain(minion.orchestrate_sls("restore"))
    {
        record(minion.states(None, &["state.sls", &orchestrate, "mock=True"]));
    }
    failures
}

/// `state.highstate test=True` of every host of every example on a minion
/// installed from the `salt` package alone (no extension: the states need
/// none): every state runs its test, and none fails but the guards that
/// refuse to store data on a disk or `CephFS` that is not mounted — this
/// machine mounts neither — and the states that need them.
/// `state.highstate test=True` of every host of one spec: how many states
/// ran their test, and the failures that are not an unmounted-disk guard or
/// behind one.
fn test_every_host(salt_call: &Path, spec: &Path) -> (usize, Vec<String>) {
    let name = spec.file_name().unwrap().to_string_lossy().into_owned();
    let minion = Minion::new(salt_call, &common::build(spec));
    let (_, hosts) = minion.sls_and_hosts();
    let (mut tested, mut failures) = (0, Vec::new());
    for host in &hosts {
        let states = match minion.call_with(Some(host), &["state.highstate", "test=True"], false) {
            Ok(Value::Object(states)) => states,
            other => {
                let text: String = format!("{other:?}").chars().take(2000).collect();
                failures.push(format!("{name} {host}: {text}"));
                continue;
            }
        };
        for (key, state) in &states {
            tested += 1;
            if state["result"] != Value::Bool(false) {
                continue;
            }
            let comment = state["comment"].as_str().unwrap_or("");
            let id = key.split("_|-").nth(1).unwrap_or(key);
            let unmounted_guard = id.ends_with(".mounted")
                && comment.contains("If we weren't testing, this would be a failure");
            let behind_a_guard = comment.starts_with("One or more requisite failed");
            if !(unmounted_guard || behind_a_guard) {
                failures.push(format!("{name} {host}: {id}: {comment}"));
            }
        }
    }
    (tested, failures)
}

#[test]
fn salt_tests_every_host_on_a_stock_minion() {
    let Some(salt_call) = salt_call() else { return };
    let python = salt_call.with_file_name("python");
    let extension = Command::new(&python)
        .args(["-c", "import saltext.dockermod"])
        .output()
        .unwrap();
    assert!(
        !extension.status.success(),
        "the validators venv must hold a stock Salt: saltext.dockermod is installed"
    );
    let specs = common::eos_files("specs");
    let results: Vec<(usize, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .iter()
            .map(|spec| scope.spawn(|| test_every_host(&salt_call, spec)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let tested: usize = results.iter().map(|(n, _)| n).sum();
    let failures: Vec<String> = results.into_iter().flat_map(|(_, f)| f).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(tested > 200, "only {tested} states tested");
}

#[test]
fn salt_renders_and_compiles_every_example() {
    let Some(salt_call) = salt_call() else { return };
    let started = Instant::now();
    let specs = common::eos_files("specs");
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .iter()
            .map(|spec| scope.spawn(|| check_spec(&salt_call, spec)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    eprintln!(
        "salt checks of {} specs took {:.1?}",
        specs.len(),
        started.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Spec strings that YAML, Jinja, Salt or a shell would read as syntax.
const HOSTILE: [&str; 14] = [
    "{{ 7*7 }}",
    "{% if true %}x{% endif %}",
    "it's \"quoted\" \\ back",
    ": x",
    "- x",
    "on",
    "0755",
    "line1\nline2",
    "tab\there",
    "unicode é 😀 \u{85} \u{2028}",
    "*alias &anchor !!python/object:os.system",
    "# not a comment",
    "$(touch /tmp/eos-pwned) `id` $HOME",
    "",
];

/// A stack whose docker service carries the hostile strings in every free-text field.
fn hostile_spec(image: &str, health: &str) -> String {
    let env: Vec<String> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, v)| format!("    V{i} = {}", common::eos_string(v)))
        .collect();
    let args: Vec<String> = HOSTILE.iter().map(|v| common::eos_string(v)).collect();
    format!(
        r#"stack "hostile" {{
  domain = "example.org"
}}
host "box" {{
  address = "192.0.2.10"
  memory  = 16GiB
  cpus    = 4
}}
service "docker" {{
  runtime  = baremetal
  provides = [docker]
  package  = "docker.io"
  on       = [box]
  memory   = 512MiB
  cpu      = 0.5
  health {{ command = {health} }}
}}
service "hostile" {{
  runtime = docker
  on      = [box]
  image   = {image}
  command = {command}
  args    = [{args}]
  memory  = 256MiB
  cpu     = 0.5
  env     = {{
{env}
  }}
}}
"#,
        image = common::eos_string(image),
        health = common::eos_string(health),
        command = common::eos_string("{{ 7*7 }} ; echo 'x' : y"),
        args = args.join(", "),
        env = env.join("\n"),
    )
}

fn build_text(text: &str) -> Result<eosc::emit::Artifacts<'static>, String> {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("hostile.eos");
    std::fs::write(&path, text).unwrap();
    let checked = eosc::driver::check_file(&path).unwrap();
    assert!(
        !checked.diagnostics.has_errors(),
        "{}\n{text}",
        common::human(&checked)
    );
    eosc::driver::emit_artifacts(&checked, &eosc::emit::Templates::builtin())
        .expect("no errors")
        .map_err(|e| e.to_string())
}

/// The argument `key` of state `id` in `state.show_sls` output.
fn argument<'a>(states: &'a Value, id: &str, key: &str) -> &'a Value {
    let state = &states[id];
    let (_, args) = state
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| !k.starts_with("__"))
        .unwrap();
    args.as_array()
        .unwrap()
        .iter()
        .find_map(|a| a.get(key))
        .unwrap_or_else(|| panic!("{id} has no argument {key}: {state}"))
}

/// The words of a systemd command line or assignment list as systemd reads
/// them (`extract_first_word` with unquoting and C escapes, `$$` and `%%`):
/// enough for the forms eosc writes, which `systemd_verify` checks systemd
/// parses without complaint.
fn systemd_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut word: Vec<u8> = Vec::new();
        let quoted = first == '"';
        if quoted {
            chars.next();
        }
        let push = |word: &mut Vec<u8>, c: char| {
            word.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        };
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted => break,
                c if !quoted && c.is_whitespace() => break,
                '\\' => match chars.next().unwrap() {
                    'n' => word.push(b'\n'),
                    't' => word.push(b'\t'),
                    'x' => {
                        let hex: String = chars.by_ref().take(2).collect();
                        word.push(u8::from_str_radix(&hex, 16).unwrap());
                    }
                    other => push(&mut word, other),
                },
                '$' | '%' if chars.peek() == Some(&c) => {
                    chars.next();
                    push(&mut word, c);
                }
                c => push(&mut word, c),
            }
        }
        let word = String::from_utf8(word).unwrap();
        words.push(word);
    }
    words
}

/// `systemd-analyze verify` of a unit file (the Docker CLI pointed at
/// `/bin/true` where the machine has no Docker): it must have nothing to say
/// but that the units it needs are absent.
fn systemd_verify(name: &str, contents: &str) {
    let Ok(analyze) = which("systemd-analyze") else {
        panic!("systemd-analyze is missing: apt-get install systemd");
    };
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join(name);
    let contents = if Path::new("/usr/bin/docker").exists() {
        contents.to_string()
    } else {
        contents.replace("/usr/bin/docker", "/bin/true")
    };
    std::fs::write(&path, contents).unwrap();
    let output = Command::new(analyze)
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .unwrap();
    // The units it needs (docker.service, its slice) are not on a test
    // machine: systemd says so, and fails for that alone.
    let said = String::from_utf8_lossy(&output.stderr);
    let said: Vec<&str> = said
        .lines()
        .filter(|l| !(l.contains("Unit ") && l.contains(" not found")))
        .collect();
    assert!(
        said.is_empty(),
        "systemd-analyze verify {name}:\n{}",
        said.join("\n")
    );
}

fn which(tool: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .chain(["/usr/bin".into(), "/bin".into()])
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
        .ok_or(())
}

#[test]
fn hostile_strings_reach_salt_exactly() {
    let image = "registry.example.com/{{7*7}}/on:*alias";
    let health = "{{ 7*7 }} && test \"$(echo ': x')\" = ': x' # {% raw %}";
    let artifacts = build_text(&hostile_spec(image, health)).unwrap();
    let Some(salt_call) = salt_call() else { return };
    let minion = Minion::new(&salt_call, &artifacts);
    let states = minion
        .call(None, &["state.show_sls", "eos.hostile"])
        .unwrap();
    // The container's unit, as Salt would write it.
    let unit = argument(&states, "eos-hostile.unit", "contents")
        .as_str()
        .unwrap()
        .to_string();
    systemd_verify("eos-hostile.service", &unit);
    let environment: Vec<String> = unit
        .lines()
        .filter_map(|l| l.strip_prefix("Environment="))
        .flat_map(systemd_words)
        .collect();
    let expected: Vec<String> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, v)| format!("V{i}={v}"))
        .collect();
    assert_eq!(environment, expected, "Environment= of the unit");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    let words = systemd_words(exec);
    let at = words
        .iter()
        .position(|w| w == image)
        .expect("the image is one word");
    let mut expected = vec!["{{ 7*7 }} ; echo 'x' : y".to_string()];
    expected.extend(HOSTILE.iter().map(|s| (*s).to_string()));
    assert_eq!(
        words[at + 1..],
        expected[..],
        "command and args after the image"
    );
    for (i, _) in HOSTILE.iter().enumerate() {
        assert!(words.contains(&format!("V{i}")), "-e V{i}: by name only");
    }

    let orchestrate = minion
        .call(None, &["state.show_sls", "orch.bootstrap"])
        .unwrap();
    assert_eq!(
        argument(&orchestrate, "stage-0.docker.health", "kwarg")["cmd"],
        health
    );
    minion
        .states(None, &["state.sls", "eos.hostile", "mock=True"])
        .unwrap();
}

#[test]
fn slot_calls_in_spec_values_are_refused() {
    // Salt runs any state argument starting with `__slot__:`: the schema refuses
    // such a value (E0107) before any artifact exists.
    let text = hostile_spec("app:1.0", "true")
        .replace("V0 = \"{{ 7*7 }}\"", "V0 = \"__slot__:salt:cmd.run(id)\"");
    let checked = common::check_text(&text);
    let e0107: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "E0107")
        .collect();
    assert_eq!(e0107.len(), 1, "{}", common::human(&checked));
    assert!(e0107[0].message.contains("__slot__:"));
}

/// The variables of every `secret` block of a spec.
fn secret_variables(spec: &Path) -> BTreeSet<String> {
    let checked = eosc::driver::check_file(spec).unwrap();
    let stack = checked.stack.expect("a checked stack");
    stack
        .services
        .iter()
        .flat_map(|s| {
            s.decl
                .secrets
                .iter()
                .flat_map(|secret| secret.env.iter().map(|v| v.key.value.to_string()))
        })
        .collect()
}

#[test]
fn secrets_are_only_referenced_by_path_and_key() {
    let mut checked = 0;
    for spec in common::eos_files("specs") {
        let variables = secret_variables(&spec);
        let artifacts = common::build(&spec);
        for (path, text) in artifacts
            .files
            .iter()
            .filter(|(p, _)| p.starts_with("salt/"))
        {
            for var in &variables {
                checked += 1;
                for (at, _) in text.match_indices(var.as_str()) {
                    let rest = &text[at + var.len()..];
                    // YAML `"VAR": …` may only be the slot that runs the Vault
                    // script on the host; `VAR=` only in the script's jq program.
                    if let Some(value) = rest.strip_prefix("\": ") {
                        let expected = "\"__slot__:salt:cmd.run(\\\"/usr/local/lib/eos/";
                        assert!(
                            value.starts_with(expected),
                            "{}: {path}: {var} is set to {}",
                            spec.display(),
                            &value[..value.len().min(80)]
                        );
                    }
                    assert!(
                        !rest.starts_with('='),
                        "{}: {path}: {var}= assigns a value",
                        spec.display()
                    );
                }
            }
        }
    }
    assert!(checked > 0, "the examples declare no secrets");
}

/// A one-shot fake Vault: answers every GET with `body`, logs the token.
const FAKE_VAULT: &str = r#"
import http.server, sys
body = sys.argv[1].encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.headers.get("X-Vault-Token") == "test-token"
        self.send_response(200 if ok else 403)
        self.end_headers()
        self.wfile.write(body if ok else b"{}")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;

#[test]
fn vault_script_writes_exact_values() {
    let (Some(salt_call), Some(_), Some(_)) = (
        salt_call(),
        common::validator("jq", "Debian jq"),
        common::validator("curl", "Debian curl"),
    ) else {
        return;
    };
    let secret = "p'a\"s$s`w\\o r d\nline two";
    let text = hostile_spec("app:1.0", "true").replace(
        "  memory  = 256MiB\n  cpu     = 0.5\n  env",
        "  memory  = 256MiB\n  cpu     = 0.5\n  secret \"s\" {\n    path = \"kv/data/app\"\n    env = { APP_SECRET = \"pass.word-1\" }\n  }\n  env",
    );
    let text = text.replace("service \"docker\" {", "service \"vault\" {\n  runtime = baremetal\n  provides = [vault]\n  on = [box]\n  memory = 256MiB\n  cpu = 0.5\n}\nservice \"docker\" {");
    let artifacts = build_text(&text).unwrap();
    let minion = Minion::new(&salt_call, &artifacts);
    let states = minion
        .call(None, &["state.show_sls", "eos.hostile"])
        .unwrap();
    let script = argument(&states, "eos-hostile.secrets.script", "contents")
        .as_str()
        .unwrap()
        .to_string();
    assert!(!script.contains(secret));

    let python = salt_call.with_file_name("python");
    let body = serde_json::json!({ "data": { "data": { "pass.word-1": secret } } }).to_string();
    let mut server = Command::new(&python)
        .args(["-c", FAKE_VAULT, &body])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let port = {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(server.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        line.trim().to_string()
    };
    let temp = tempfile::tempdir().unwrap();
    let (script_path, token, env_file) = (
        temp.path().join("vault-secrets"),
        temp.path().join("token"),
        temp.path().join("run/secrets.env"),
    );
    std::fs::write(&script_path, &script).unwrap();
    std::fs::write(&token, "test-token\n").unwrap();
    let run = |args: &[&str]| {
        Command::new("sh")
            .arg(&script_path)
            .args(args)
            .env("VAULT_ADDR", format!("http://127.0.0.1:{port}"))
            .env("VAULT_TOKEN_FILE", &token)
            .output()
            .unwrap()
    };
    let written = run(&["env-file", env_file.to_str().unwrap()]);
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    // systemd EnvironmentFile: double quotes, with \ before " \ ` $.
    let expected = "APP_SECRET=\"p'a\\\"s\\$s\\`w\\\\o r d\nline two\"\n";
    assert_eq!(std::fs::read_to_string(&env_file).unwrap(), expected);
}

/// The states of a highstate result by ID: their comments.
fn comments_by_id(local: &Value) -> std::collections::BTreeMap<String, String> {
    local
        .as_object()
        .unwrap()
        .values()
        .map(|s| {
            (
                s["__id__"].as_str().unwrap().to_string(),
                s["comment"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn numa_limits_follow_each_hosts_cpus() {
    let node = |cpus: &str| {
        format!(
            "numa 0 {{ cpus = 0..3 memory = 8GiB }}\n  numa 1 {{ cpus = {cpus} memory = 8GiB }}"
        )
    };
    let text = format!(
        r#"stack "numa" {{ domain = "example.org" }}
host "a" {{
  address = "192.0.2.1"
  memory  = 16GiB
  cpus    = 8
  {}
}}
host "b" {{
  address = "192.0.2.2"
  memory  = 16GiB
  cpus    = 12
  {}
}}
service "pinned" {{
  runtime = baremetal
  on      = [a, b]
  memory  = 1GiB
  cpu     = 1.5
  numa    = 1
}}
"#,
        node("4..7"),
        node("4..11")
    );
    let artifacts = build_text(&text).unwrap();
    let sls = &artifacts.files["salt/eos/pinned.sls"];
    assert!(
        sls.contains("CPUAffinity=4-7\\n") && sls.contains("CPUAffinity=4-11\\n"),
        "{sls}"
    );
    assert!(
        sls.contains("NUMAPolicy=bind\\nNUMAMask=1\\n") && sls.contains("CPUQuota=150%"),
        "{sls}"
    );
    let Some(salt_call) = salt_call() else { return };
    let minion = Minion::new(&salt_call, &artifacts);
    for (host, other) in [("a", "b"), ("b", "a")] {
        let comments = comments_by_id(
            &minion
                .states(Some(host), &["state.highstate", "mock=True"])
                .unwrap(),
        );
        let own = &comments[&format!("eos-pinned.limits.pinned.service.{host}")];
        let skipped = &comments[&format!("eos-pinned.limits.pinned.service.{other}")];
        assert_eq!(own, "Not called, mocked", "{host}");
        assert_eq!(skipped, "onlyif condition is false", "{host}");
    }
}

/// A spec of values that are awkward but legitimate: a disk mounted at a
/// path with a space, a container path with a space and a comma, a pinned
/// apt version, a backup schedule in a time zone, a host name with `_`.
fn awkward_spec(disk_mount: &str, repository: &str, nginx_version: &str) -> String {
    format!(
        r#"stack "values" {{
  domain = "example.org"
  backup {{
    repository = {repository}
    secret     = "secret/data/restic"
  }}
}}
host "box" {{
  address = "host_1.lan"
  memory  = 16GiB
  cpus    = 4
  disk "data" {{
    size  = 100GB
    kind  = ssd
    mount = {disk_mount}
  }}
}}
service "docker" {{
  runtime  = baremetal
  provides = [docker]
  package  = "docker.io"
  on       = [box]
  memory   = 512MiB
  cpu      = 0.5
  health {{ command = "true" }}
}}
service "vault" {{
  runtime  = baremetal
  provides = [vault]
  on       = [box]
  memory   = 256MiB
  cpu      = 0.5
  port "api" {{ number = 8200 }}
}}
service "web" {{
  runtime = baremetal
  package = "nginx={nginx_version}"
  on      = [box]
  memory  = 256MiB
  cpu     = 0.5
}}
service "app" {{
  runtime = docker
  on      = [box]
  image   = "app:1.0"
  memory  = 256MiB
  cpu     = 0.5
  volume "data" {{
    disk = box.data
    size = 1GB
    path = "/srv/My Data, v1"
    backup {{
      schedule = "*-*-* 02:00:00 America/New_York"
    }}
  }}
}}
"#,
        disk_mount = common::eos_string(disk_mount),
        repository = common::eos_string(repository),
    )
}

/// The fields of one CSV record as Go's `encoding/csv` reads it, which is
/// how Docker reads a `--mount` value: `,` separates, a field that starts
/// with `"` is quoted, `""` inside it is one `"`.
fn csv_record(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => break,
                    c => field.push(c),
                }
            }
            assert!(
                matches!(chars.peek(), None | Some(',')),
                "a quote ends a field: {line}"
            );
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                assert_ne!(c, '"', "a bare quote in an unquoted field: {line}");
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
        if chars.next().is_none() {
            return fields;
        }
    }
}

/// The installed version of a Debian package, by dpkg.
fn installed_version(package: &str) -> String {
    let output = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", package])
        .output()
        .expect("dpkg-query");
    assert!(
        output.status.success(),
        "{package} is not installed: run scripts/setup-validators.sh"
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The state `id` of a `state.sls` result (keys are `FUN_|-ID_|-NAME_|-FUN`).
fn state_result<'a>(local: &'a Value, id: &str) -> &'a Value {
    let marker = format!("_|-{id}_|-");
    local
        .as_object()
        .unwrap()
        .iter()
        .find_map(|(key, state)| key.contains(&marker).then_some(state))
        .unwrap_or_else(|| panic!("no state {id} in {local}"))
}

#[test]
fn awkward_values_reach_salt_and_systemd() {
    let Some(salt_call) = salt_call() else { return };
    let temp = tempfile::tempdir().unwrap();
    let disk = temp.path().join("My Disk");
    std::fs::create_dir_all(&disk).unwrap();
    let disk = disk.to_str().unwrap().to_string();
    let nginx = installed_version("nginx");
    let spec = awkward_spec(&disk, "local:/srv/My Backups", &nginx);
    let artifacts = build_text(&spec).unwrap();
    let mut minion = Minion::new(&salt_call, &artifacts);

    // The container's bind mount: one `--mount` word, one CSV record that
    // Docker splits into exactly the source and target.
    let states = minion.call(None, &["state.show_sls", "eos.app"]).unwrap();
    let unit = argument(&states, "eos-app.unit", "contents")
        .as_str()
        .unwrap()
        .to_string();
    systemd_verify("eos-app.service", &unit);
    let words = systemd_words(
        unit.lines()
            .find_map(|l| l.strip_prefix("ExecStart="))
            .unwrap(),
    );
    let at = words.iter().position(|w| w == "--mount").unwrap();
    assert_eq!(
        csv_record(&words[at + 1]),
        [
            "type=bind".to_string(),
            format!("source={disk}/eos/app/data"),
            "target=/srv/My Data, v1".to_string()
        ]
    );

    // The guard sees the disk mounted at a path with a space (Salt compares
    // with the kernel's escaped mountinfo), and only then.
    let guard = "eos-app.volume.data.mounted";
    let unmounted = minion
        .call_with(None, &["state.sls", "eos.app", "test=True"], false)
        .unwrap();
    assert_eq!(
        state_result(&unmounted, guard)["result"],
        false,
        "with nothing mounted the guard fails: {unmounted}"
    );
    let mount_first = [
        "unshare",
        "-m",
        "sh",
        "-c",
        "mount -t tmpfs eos \"$0\" && exec \"$@\"",
        &disk,
    ];
    minion.run_under(&mount_first);
    let mounted = minion
        .call_with(None, &["state.sls", "eos.app", "test=True"], false)
        .unwrap();
    assert_eq!(
        state_result(&mounted, guard)["result"],
        true,
        "the disk is mounted at {disk:?}: {}",
        state_result(&mounted, guard)
    );
    minion.run_under(&[]);

    // A pinned apt version is what pkg.installed compares with dpkg's.
    let web = minion
        .call_with(None, &["state.sls", "eos.web", "test=True"], false)
        .unwrap();
    let package = state_result(&web, "eos-web.pkg");
    assert_eq!(
        package["result"], true,
        "nginx={nginx} is installed: {package}"
    );

    // systemd reads the schedule, time zone and all.
    let backup = minion
        .call(None, &["state.show_sls", "eos.backup.box"])
        .unwrap();
    let timer = argument(&backup, "eos_backup.app.data.timer-unit", "contents")
        .as_str()
        .unwrap();
    let calendar = timer
        .lines()
        .find_map(|l| l.strip_prefix("OnCalendar="))
        .unwrap();
    assert_eq!(calendar, "*-*-* 02:00:00 America/New_York");
    let analyze = Command::new("systemd-analyze")
        .args(["calendar", calendar])
        .output()
        .expect("systemd-analyze (apt-get install systemd)");
    assert!(
        analyze.status.success(),
        "systemd-analyze calendar {calendar:?}: {}",
        String::from_utf8_lossy(&analyze.stderr)
    );
}

/// The backup script of `awkward_spec`, as Salt would write it, run for
/// real: the restic password read from a Vault dev server's KV v2, a
/// repository and a volume folder with spaces in their paths. The snapshot
/// restores to the same bytes, and nothing the script prints holds the
/// password. Then the volume's restore drill: it passes on the sound
/// repository, and fails once a data pack of the repository is damaged.
#[test]
fn backup_script_and_restore_drill_run_with_vault_and_restic() {
    let Some(salt_call) = salt_call() else { return };
    let Some(vault_bin) = common::agents::consumer("vault") else {
        return;
    };
    let Some(restic) = common::validator("restic", "Debian restic") else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let disk = temp.path().join("My Disk");
    let data = disk.join("eos/app/data");
    std::fs::create_dir_all(data.join("sub dir")).unwrap();
    std::fs::write(data.join("sub dir/it's here.txt"), "backed up\n").unwrap();
    let repository = format!("local:{}", temp.path().join("My Backups").display());
    let spec = awkward_spec(disk.to_str().unwrap(), &repository, "1.0");
    let artifacts = build_text(&spec).unwrap();
    let minion = Minion::new(&salt_call, &artifacts);
    let states = minion
        .call(None, &["state.show_sls", "eos.backup.box"])
        .unwrap();
    let script = temp.path().join("backup.sh");
    let drill = temp.path().join("drill.sh");
    let restore_script = temp.path().join("restore.sh");
    for (path, id) in [
        (&script, "eos_backup.app.data.script"),
        (&drill, "eos_backup.app.data.drill.script"),
        (&restore_script, "eos_backup.app.data.restore.script"),
    ] {
        std::fs::write(path, argument(&states, id, "contents").as_str().unwrap()).unwrap();
    }

    let vault = common::agents::Vault::start(&vault_bin, temp.path());
    let password = "pa$$ 'wo\"rd` $(true)";
    let body = serde_json::json!({ "data": { "password": password } }).to_string();
    let (code, text) = vault.call("POST", "secret/data/restic", Some(&body));
    assert_eq!(code, 200, "KV v2 write: {text}");
    let token = temp.path().join("vault-token");
    std::fs::write(&token, vault.token).unwrap();

    let scratch = temp.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let run_script = |script: &Path, args: &[&str]| {
        let run = Command::new("sh")
            .arg(script)
            .args(args)
            .env("VAULT_ADDR", &vault.address)
            .env("VAULT_TOKEN_FILE", &token)
            .env("PATH", path_with(&restic))
            .env("RESTIC_CACHE_DIR", temp.path().join("restic-cache"))
            .env("EOS_DRILL_DIR", &scratch)
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(!said.contains(password), "{script:?} printed the password");
        (run.status.success(), said)
    };
    let (ok, said) = run_script(&script, &[]);
    assert!(ok, "the backup script failed:\n{said}");

    let restore = temp.path().join("restored");
    let restic_run = |args: &[&str]| {
        let output = Command::new(&restic)
            .args(args)
            .env("RESTIC_REPOSITORY", &repository)
            .env("RESTIC_PASSWORD", password)
            .env("RESTIC_CACHE_DIR", temp.path().join("restic-cache"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "restic {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let snapshots: Value = serde_json::from_str(&restic_run(&["snapshots", "--json"])).unwrap();
    let snapshot = &snapshots[0];
    assert_eq!(snapshot["hostname"], "box", "{snapshots}");
    assert_eq!(snapshot["tags"], serde_json::json!(["eos:app/data"]));
    assert_eq!(
        snapshot["paths"],
        serde_json::json!([data.to_str().unwrap()])
    );
    restic_run(&["restore", "latest", "--target", restore.to_str().unwrap()]);
    let restored = restore
        .join(data.strip_prefix("/").unwrap())
        .join("sub dir/it's here.txt");
    assert_eq!(std::fs::read_to_string(restored).unwrap(), "backed up\n");

    // The restore (orch.restore's step): the folder as the snapshot has it,
    // what was there kept aside; `load` has nothing to load without pg_dump.
    std::fs::write(data.join("sub dir/it's here.txt"), "changed\n").unwrap();
    std::fs::write(data.join("new.txt"), "after the backup\n").unwrap();
    let (ok, said) = run_script(&restore_script, &["files"]);
    assert!(ok, "the restore failed:\n{said}");
    assert_eq!(
        std::fs::read_to_string(data.join("sub dir/it's here.txt")).unwrap(),
        "backed up\n"
    );
    assert!(
        !data.join("new.txt").exists(),
        "the folder is the snapshot's"
    );
    let aside: Vec<PathBuf> = std::fs::read_dir(data.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("data.before-restore-"))
        .collect();
    assert_eq!(aside.len(), 1, "{said}");
    assert_eq!(
        std::fs::read_to_string(aside[0].join("new.txt")).unwrap(),
        "after the backup\n"
    );
    assert!(run_script(&restore_script, &["load"]).0);

    let (ok, said) = run_script(&drill, &[]);
    assert!(
        ok,
        "the restore drill failed on a sound repository:\n{said}"
    );
    assert!(
        said.contains(
            "restore drill of app/data: repository checked, latest snapshot restored (1 files)"
        ),
        "{said}"
    );
    assert_eq!(
        std::fs::read_dir(&scratch).unwrap().count(),
        0,
        "the drill removes its scratch folder"
    );
    // Damage every data pack: the drill must fail, and say why.
    let packs = temp.path().join("My Backups/data");
    let mut damaged = 0;
    for entry in walk(&packs) {
        let mut bytes = std::fs::read(&entry).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&entry, bytes).unwrap();
        damaged += 1;
    }
    assert!(damaged > 0, "the repository has data packs");
    let (ok, said) = run_script(&drill, &[]);
    assert!(
        !ok,
        "the restore drill passed on a damaged repository:\n{said}"
    );
    assert!(
        said.contains("restore drill of app/data: restic check found a problem"),
        "{said}"
    );
    // A restore whose data is gone (every pack emptied) fails and leaves
    // the folder as it was.
    for pack in walk(&packs) {
        std::fs::write(pack, b"").unwrap();
    }
    std::fs::write(data.join("current.txt"), "kept\n").unwrap();
    let (ok, said) = run_script(&restore_script, &["files"]);
    assert!(!ok, "a restore from a damaged repository passed:\n{said}");
    assert!(said.contains("the folder is as it was"), "{said}");
    assert_eq!(
        std::fs::read_to_string(data.join("current.txt")).unwrap(),
        "kept\n"
    );
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            files.extend(walk(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files
}

/// PATH with the folder of `tool` first.
fn path_with(tool: &Path) -> std::ffi::OsString {
    let mut dirs = vec![tool.parent().unwrap().to_path_buf()];
    dirs.extend(
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths),
    );
    std::env::join_paths(dirs).unwrap()
}

/// The longest one wait state of `orch.bootstrap` (as `state.show_sls`
/// gives it) may take, in seconds: `wait_for` of an HTTP wait; every probe
/// of a retried one timing out, `interval` apart.
fn wait_bound(state: &Value) -> u64 {
    let (function, args) = state
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| !k.starts_with("__"))
        .unwrap();
    let arg = |key: &str| args.as_array().unwrap().iter().find_map(|a| a.get(key));
    let number = |v: &Value| v.as_u64().unwrap();
    if function == "http" {
        return number(arg("wait_for").unwrap());
    }
    let retry = arg("retry").unwrap_or_else(|| panic!("a wait without retry: {state}"));
    let attempts = number(&retry["attempts"]);
    let interval = number(&retry["interval"]);
    // The probe's own bound: cmd.run under `timeout N` (tcp) or the
    // `timeout` of the remote cmd.run (command checks).
    let timeout = arg("kwarg")
        .and_then(|k| k.get("timeout"))
        .map(number)
        .or_else(|| {
            let name = arg("name")?.as_str()?;
            name.strip_prefix("timeout ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("a retried wait without a probe timeout: {state}"));
    attempts * timeout + (attempts - 1) * interval
}

/// `plan.json`'s cold-start estimate and the bootstrap's health waits come
/// from the same numbers: for every service, the estimate's own share (its
/// time minus its latest dependency's) is at least what each of its waits in
/// the rendered orchestration may take, and exactly an HTTP wait's
/// `wait_for`; a service without a health check has no wait and no share.
#[test]
fn cold_start_estimate_matches_the_bootstrap_waits() {
    let Some(salt_call) = salt_call() else { return };
    let spec = common::root().join("specs/eos.eos");
    let checked = eosc::driver::check_file(&spec).unwrap();
    let stack = checked.stack.as_ref().unwrap();
    let analysis = checked.analysis.as_ref().unwrap();
    let artifacts = common::build(&spec);
    let plan: Value = serde_json::from_str(&artifacts.files["plan.json"]).unwrap();
    let times = &plan["cold_start"]["services"];
    let minion = Minion::new(&salt_call, &artifacts);
    let orchestrate = minion
        .call(None, &["state.show_sls", "orch.bootstrap"])
        .unwrap();
    let mut checked_waits = 0;
    for id in stack.service_ids() {
        let name = stack.service(id).name();
        let latest = analysis
            .graph
            .dependencies(id)
            .iter()
            .map(|(d, _)| times[stack.service(*d).name()].as_u64().unwrap())
            .max()
            .unwrap_or(0);
        let own = times[name].as_u64().unwrap() - latest;
        let marker = format!(".{name}.health");
        let waits: Vec<(&String, &Value)> = orchestrate
            .as_object()
            .unwrap()
            .iter()
            .filter(|(id, _)| id.ends_with(&marker) || id.contains(&format!("{marker}.")))
            .collect();
        let has_health = stack.service(id).decl.health.is_some();
        // The orchestration runs on the salt master, which it does not apply
        // (nor wait for); the estimate counts its start all the same.
        if name != "salt-master" {
            assert_eq!(!waits.is_empty(), has_health, "{name}: waits {waits:?}");
        }
        assert_eq!(own == 0, !has_health, "{name}: own share {own} ms");
        for (wait, state) in waits {
            let bound = wait_bound(state) * 1000;
            assert!(
                bound <= own,
                "{wait} may take {bound} ms; the estimate allows {own}"
            );
            if state.get("http").is_some() {
                assert_eq!(bound, own, "{wait}");
            }
            checked_waits += 1;
        }
    }
    assert!(checked_waits > 20, "{checked_waits} waits checked");
    let total = plan["cold_start"]["total_ms"].as_u64().unwrap();
    let path: Vec<&str> = plan["cold_start"]["critical_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(times[*path.last().unwrap()].as_u64().unwrap(), total);
    assert!(plan["cold_start"]["bootstrap_ms"].as_u64().unwrap() >= total);
}

/// The states of an orchestrate file in the order Salt runs them (its
/// requisites resolved) under `mock=True`, which also requires every state
/// to succeed: (run number, state ID).
fn mock_run_order(minion: &Minion, sls: &str) -> Vec<(u64, String)> {
    let ran = minion
        .states(None, &["state.sls", sls, "mock=True"])
        .unwrap();
    let mut order: Vec<(u64, String)> = ran
        .as_object()
        .unwrap()
        .values()
        .map(|s| {
            (
                s["__run_num__"].as_u64().unwrap(),
                s["__id__"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    order.sort();
    order
}

/// `orch.restart.nomad` of `specs/eos.eos`, run by Salt under `mock=True`
/// (requisites resolved, nothing executed): every state ran, Nomad and
/// exactly its transitive dependents are stopped, highest stage first, all
/// before anything starts; then they start lowest stage first, each stage's
/// health waits passing before the next stage starts.
#[test]
fn restart_stops_dependents_first_and_starts_them_stage_by_stage() {
    let Some(salt_call) = salt_call() else { return };
    let spec = common::root().join("specs/eos.eos");
    let checked = eosc::driver::check_file(&spec).unwrap();
    let stack = checked.stack.as_ref().unwrap();
    let analysis = checked.analysis.as_ref().unwrap();
    let stages = analysis.stages.as_ref().unwrap();
    let nomad = stack
        .service_ids()
        .find(|&id| stack.service(id).name() == "nomad")
        .unwrap();
    let mut expected = BTreeSet::from([nomad]);
    let mut queue = vec![nomad];
    while let Some(id) = queue.pop() {
        for dependent in analysis.graph.dependents(id) {
            if expected.insert(dependent) {
                queue.push(dependent);
            }
        }
    }
    let expected: BTreeSet<String> = expected
        .iter()
        .map(|&id| stack.service(id).name().to_string())
        .collect();
    assert!(expected.len() > 5, "{expected:?}");
    let minion = Minion::new(&salt_call, &common::build(&spec));
    let order = mock_run_order(&minion, "orch.restart.nomad");
    let phase = |id: &str| -> (String, usize, String) {
        let (head, rest) = id.split_once('.').unwrap();
        let (word, stage) = head.rsplit_once('-').unwrap();
        let service = rest.split('.').next().unwrap().to_string();
        (word.to_string(), stage.parse().unwrap(), service)
    };
    let stopped: BTreeSet<String> = order
        .iter()
        .map(|(_, id)| phase(id))
        .filter(|(word, _, what)| word == "stop" && what != "stopped")
        .map(|(_, _, service)| service)
        .collect();
    assert_eq!(stopped, expected, "the services stopped");
    // Started: applied or waited for by Salt, or (nomad jobs) applied by
    // the stage's targeted `terraform apply`.
    let shown = minion
        .call(None, &["state.show_sls", "orch.restart.nomad"])
        .unwrap();
    let mut started: BTreeSet<String> = BTreeSet::new();
    for (_, id) in &order {
        let (word, _, what) = phase(id);
        if word != "start" || ["done", "ready", "cephfs-mount"].contains(&what.as_str()) {
            continue;
        }
        if what == "terraform" {
            let command = argument(&shown, id, "kwarg")["cmd"].as_str().unwrap();
            for service in &expected {
                let resource = service.replace('-', "_");
                if command.contains(&format!("-target=nomad_job.{resource}")) {
                    started.insert(service.clone());
                }
            }
        } else {
            started.insert(what);
        }
    }
    assert_eq!(started, expected, "the services started again");
    let mut last: Option<(String, usize)> = None;
    for (_, id) in &order {
        let (word, stage, service) = phase(id);
        if !["stopped", "done", "ready", "terraform", "cephfs-mount"].contains(&service.as_str()) {
            let of_service = stack
                .service_ids()
                .find(|&s| stack.service(s).name() == service)
                .unwrap();
            assert_eq!(stages[of_service.0], stage, "{id}: the service's stage");
        }
        if let Some((last_word, last_stage)) = &last {
            let in_order = match (last_word.as_str(), word.as_str()) {
                ("stop", "stop") => stage <= *last_stage,
                ("stop", "start") => true,
                ("start", "start") => stage >= *last_stage,
                _ => false,
            };
            assert!(
                in_order,
                "{id} runs after {last_word}-{last_stage}: {order:?}"
            );
        }
        last = Some((word, stage));
    }
}

/// A Nomad client's `eos.nomad_client.<host>` creates no `CephFS` folder of
/// its own (only the guard of the mount): `eos.cephfs_mount`, which creates
/// them, must come first on every client — in `orch.bootstrap`, as Salt runs
/// it under `mock=True`, and in each client's highstate (`top.sls` order).
#[test]
fn clients_mount_cephfs_before_their_nomad_configuration() {
    let Some(salt_call) = salt_call() else { return };
    let spec = common::root().join("specs/eos.eos");
    let artifacts = common::build(&spec);
    let minion = Minion::new(&salt_call, &artifacts);
    let order = mock_run_order(&minion, "orch.bootstrap");
    let position = |wanted: &dyn Fn(&str) -> bool| order.iter().position(|(_, id)| wanted(id));
    let mounted =
        position(&|id| id.ends_with(".cephfs-mount")).expect("the bootstrap mounts CephFS");
    let clients: Vec<&String> = order
        .iter()
        .map(|(_, id)| id)
        .filter(|id| id.contains(".nomad-client."))
        .collect();
    assert!(clients.len() > 1, "{order:?}");
    for client in clients {
        let configured = position(&|id| id == client).unwrap();
        assert!(
            mounted < configured,
            "{client} runs before CephFS is mounted: {order:?}"
        );
    }
    let top = artifacts.files.get("salt/top.sls").expect("salt/top.sls");
    let mut hosts_checked = 0;
    for host in top.split("\n  \"").skip(1) {
        let states: Vec<&str> = host.lines().skip(1).map(str::trim).collect();
        let at = |sls: &str| states.iter().position(|line| line.contains(sls));
        if let Some(client) = at("\"eos.nomad_client.") {
            let mount = at("\"eos.cephfs_mount\"").expect("a Nomad client mounts CephFS");
            assert!(mount < client, "{host}");
            hosts_checked += 1;
        }
    }
    assert!(hosts_checked > 1, "{top}");
}

/// `eos.wazuh-agent` of `specs/eos.eos` as Salt renders it: on every host
/// but the manager's (in `top.sls`), an `ossec.conf` that is well-formed
/// XML (read by Python's parser) naming the manager's address, its `agent`
/// port as the server and its `enroll` port for enrollment.
#[test]
fn wazuh_agents_on_every_other_host_enroll_with_the_manager() {
    let Some(salt_call) = salt_call() else { return };
    let artifacts = common::build(&common::root().join("specs/eos.eos"));
    let top = &artifacts.files["salt/top.sls"];
    let with_agent: Vec<&str> = top
        .split("\n  \"")
        .skip(1)
        .filter(|block| block.contains("\"eos.wazuh-agent\""))
        .map(|block| block.split('"').next().unwrap())
        .collect();
    assert_eq!(
        with_agent,
        ["hv1", "hv2", "hv4", "hv5"],
        "hv3 runs the manager"
    );
    let minion = Minion::new(&salt_call, &artifacts);
    let states = minion
        .call(None, &["state.show_sls", "eos.wazuh-agent"])
        .unwrap();
    let config = argument(&states, "eos-wazuh-agent.config", "contents")
        .as_str()
        .unwrap()
        .to_string();
    let python = r#"
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
client = root.find("client")
for server in client.findall("server"):
    print("server", server.findtext("address"), server.findtext("port"), server.findtext("protocol"))
enrollment = client.find("enrollment")
print("enroll", enrollment.findtext("enabled"), enrollment.findtext("manager_address"), enrollment.findtext("port"))
"#;
    let output = common::run_with_stdin(
        Command::new("python3").args(["-c", python]),
        config.as_bytes(),
    );
    assert!(
        output.status.success(),
        "ossec.conf is not well-formed XML: {}\n{config}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "server 10.0.0.13 1514 tcp\nenroll yes 10.0.0.13 1515\n"
    );
}

/// `orch.restore.postgres` of `specs/eos.eos` under `mock=True`: the volume
/// is restored after everything that depends on `PostgreSQL` has stopped and
/// before anything starts, and its dump is loaded once `PostgreSQL` is
/// healthy, before its dependents start.
#[test]
fn restore_restores_between_stop_and_start_and_loads_the_dump_before_dependents() {
    let Some(salt_call) = salt_call() else { return };
    let minion = Minion::new(
        &salt_call,
        &common::build(&common::root().join("specs/eos.eos")),
    );
    let order = mock_run_order(&minion, "orch.restore.postgres");
    let ids: Vec<&str> = order.iter().map(|(_, id)| id.as_str()).collect();
    let at = |id: &str| {
        ids.iter()
            .position(|i| *i == id)
            .unwrap_or_else(|| panic!("no {id}: {ids:?}"))
    };
    let restored = at("restore.data");
    let loaded = at("restore.data.load");
    for (i, id) in ids.iter().enumerate() {
        if id.starts_with("stop-") {
            assert!(i < restored, "{id} after the restore: {ids:?}");
        }
        if id.starts_with("start-") {
            assert!(i > restored, "{id} before the restore: {ids:?}");
        }
        if id.starts_with("start-3.") {
            assert!(i > loaded, "{id} before the dump is loaded: {ids:?}");
        }
    }
    assert!(loaded > at("start-2.postgres.health"));
    assert!(
        ids.contains(&"stop-3.authentik.stop"),
        "its dependents stop too"
    );
}
