//! The Neovim configuration of `docs/editors.md` against the real `eosc lsp`
//! (issue 16: editor configuration tested where the editor is installable).
//!
//! The snippets are read from the doc itself: each fenced block of the
//! "Neovim" section whose paragraph names a file of `~/.config/nvim/`
//! (`init.lua`, and `ftdetect/eos.vim` for Neovim 0.7) is written to that
//! file of a temporary `XDG_CONFIG_HOME`, the one change being the server's
//! program: `{ 'eosc', 'lsp' }` becomes the eosc this test suite built.
//! `nvim --headless` (its data, state and cache also temporary) then opens
//! the included file of a small stack, where `on = [hv9]` names a host that
//! does not exist, and the Lua script [`SCRIPT`] records, through Neovim's
//! own LSP client: the buffer's filetype and clients, the diagnostics, the
//! definition of `hv1` (in the other file of the stack) and its hover, the diagnostics once the typo is fixed in the
//! buffer (not saved), and the client of a second `.eos` buffer. Neovim runs
//! at most [`NVIM_LIMIT`], and is killed after that.
//!
//! Needs `nvim` (0.7 or later; `scripts/setup-editors.sh` installs Debian's
//! `neovim`); missing, the test fails, unless `EOSC_SKIP_VALIDATORS=1` asks to
//! skip it.

mod common;

use common::lsp_stack;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long Neovim may run; the waits of [`SCRIPT`] add up to less.
const NVIM_LIMIT: Duration = Duration::from_secs(60);

/// The program of the documented `cmd`, replaced by the built eosc.
const DOC_CMD: &str = "cmd = { 'eosc', 'lsp' }";

/// The included file Neovim opens: `hv9` is a typo for `hv1`.
fn app_text() -> String {
    lsp_stack::APP.replacen("[hv1]", "[hv9]", 1)
}

/// What Neovim runs (`-S`), with the `@…@` placeholders filled in: it opens
/// `apps/web.eos` (Neovim's working directory is the stack's folder), and
/// writes what it saw as JSON to `@RESULT@`, then quits, whatever happened
/// (an error is recorded as `error`). Positions are 0-based, as in LSP.
const SCRIPT: &str = r"
local out = { version = vim.version(), steps = {} }

local function step(name)
  table.insert(out.steps, name)
end

local function clients(bufnr)
  local list
  if vim.lsp.get_clients then -- Neovim 0.10 or later
    list = vim.lsp.get_clients(bufnr and { bufnr = bufnr } or nil)
  elseif bufnr then
    list = vim.lsp.buf_get_clients(bufnr)
  else
    list = vim.lsp.get_active_clients()
  end
  local names = {}
  for _, client in pairs(list) do
    table.insert(names, { id = client.id, name = client.name })
  end
  return names
end

local function diagnostics()
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(list, { code = d.code, message = d.message, line = d.lnum, col = d.col })
  end
  return list
end

-- Every client's answer to a request at a position of the current buffer.
local function request(method, line, character)
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(),
    position = { line = line, character = character },
  }
  local answers, err = vim.lsp.buf_request_sync(0, method, params, 10000)
  if not answers then
    error(method .. ': ' .. tostring(err))
  end
  local results, errors = {}, {}
  for _, answer in pairs(answers) do
    if answer.error then
      table.insert(errors, answer.error)
    else
      table.insert(results, answer.result or vim.NIL)
    end
  end
  return results, errors
end

-- Location, Location[] or LocationLink[]: { uri, file, line, character }.
local function locations(result)
  if result == nil or result == vim.NIL then
    return {}
  end
  if result.uri or result.targetUri then
    result = { result }
  end
  local list = {}
  for _, l in ipairs(result) do
    local uri = l.targetUri or l.uri
    local start = (l.targetSelectionRange or l.range).start
    table.insert(list, {
      uri = uri,
      file = vim.uri_to_fname(uri),
      line = start.line,
      character = start.character,
    })
  end
  return list
end

local ok, err = xpcall(function()
  step('open apps/web.eos')
  vim.cmd('edit apps/web.eos')
  local app = vim.api.nvim_get_current_buf()
  out.filetype = vim.bo.filetype
  out.commentstring = vim.bo.commentstring
  out.omnifunc = vim.bo.omnifunc

  step('client')
  if not vim.wait(10000, function() return #clients(app) > 0 end, 20) then
    error('no LSP client attached to apps/web.eos')
  end

  step('diagnostics')
  if not vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 20) then
    error('no diagnostics for apps/web.eos within 20 s')
  end
  out.clients = clients(app)
  out.diagnostics = diagnostics()

  step('definition')
  local results, errors = request('textDocument/definition', @DEF_LINE@, @DEF_CHAR@)
  out.definition = {}
  for _, result in ipairs(results) do
    vim.list_extend(out.definition, locations(result))
  end
  out.definition_errors = errors

  step('hover')
  results, errors = request('textDocument/hover', @DEF_LINE@, @DEF_CHAR@)
  out.hover = {}
  for _, result in ipairs(results) do
    if result ~= vim.NIL then
      local contents = result.contents
      table.insert(out.hover, type(contents) == 'table' and (contents.value or contents) or contents)
    end
  end
  out.hover_errors = errors

  step('fix the typo in the buffer')
  vim.api.nvim_buf_set_text(app, @TYPO_LINE@, @TYPO_COL@, @TYPO_LINE@, @TYPO_COL@ + 3, { 'hv1' })
  out.fixed = vim.wait(10000, function() return #vim.diagnostic.get(app) == 0 end, 20)
  out.diagnostics_after_fix = diagnostics()

  step('open hosts.eos')
  vim.cmd('edit hosts.eos')
  local hosts = vim.api.nvim_get_current_buf()
  vim.wait(10000, function() return #clients(hosts) > 0 end, 20)
  out.hosts_filetype = vim.bo.filetype
  out.hosts_clients = clients(hosts)
  out.all_clients = clients(nil)
end, debug.traceback)

if not ok then
  out.error = err
end
out.messages = vim.fn.execute('messages')
out.lsp_log = vim.lsp.get_log_path()
vim.fn.writefile({ vim.fn.json_encode(out) }, @RESULT@)
vim.cmd('qall!')
";

/// The text of the `## Neovim` section of the doc, up to the next `## `.
fn neovim_section(doc: &str) -> &str {
    let start = doc
        .find("\n## Neovim\n")
        .expect("docs/editors.md has no \"## Neovim\" section");
    let rest = &doc[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |at| at + 4);
    &rest[..end]
}

/// The fenced blocks of `section` that the prose before them (since the
/// previous fence) says to put in a file of `~/.config/nvim/`: `(that
/// file's path below `nvim/`, the fence's language, its text)`.
fn config_files(section: &str) -> Vec<(String, String, String)> {
    const DIR: &str = "`~/.config/nvim/";
    let mut files = Vec::new();
    let mut prose = String::new();
    let mut open: Option<(String, String)> = None;
    for line in section.lines() {
        match &mut open {
            Some(_) if line.trim() == "```" => {
                let (lang, body) = open.take().unwrap();
                if let Some(at) = prose.rfind(DIR) {
                    let name = &prose[at + DIR.len()..];
                    let name = &name[..name.find('`').expect("an unclosed `path`")];
                    files.push((name.to_string(), lang, body));
                }
                prose.clear();
            }
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
            None => match line.trim().strip_prefix("```") {
                Some(lang) => open = Some((lang.to_string(), String::new())),
                None => {
                    prose.push_str(line);
                    prose.push('\n');
                }
            },
        }
    }
    assert!(open.is_none(), "an unclosed fence in the Neovim section");
    files
}

/// A Lua string literal for `text`.
fn lua_string(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\\' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Writes the doc's Neovim configuration into `config/nvim/`, running
/// `server` instead of `eosc`.
fn write_config(config: &Path, server: &Path) {
    let doc = std::fs::read_to_string(common::root().join("docs/editors.md")).unwrap();
    let files = config_files(neovim_section(&doc));
    let names: Vec<&str> = files.iter().map(|(name, ..)| name.as_str()).collect();
    assert_eq!(
        names,
        ["init.lua", "ftdetect/eos.vim"],
        "the files the Neovim section of docs/editors.md says to create"
    );
    for (name, lang, mut body) in files {
        let expected = if name == "init.lua" { "lua" } else { "vim" };
        assert_eq!(lang, expected, "the fence of {name}");
        if name == "init.lua" {
            assert_eq!(
                body.matches(DOC_CMD).count(),
                1,
                "the init.lua of docs/editors.md must have `{DOC_CMD}` once:\n{body}"
            );
            let server = server.to_str().expect("a UTF-8 path to eosc");
            body = body.replace(
                DOC_CMD,
                &format!("cmd = {{ {}, 'lsp' }}", lua_string(server)),
            );
        }
        let path = config.join("nvim").join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
}

/// The stack in `dir`: `(its apps/web.eos, its hosts.eos)`.
fn write_stack(dir: &Path) -> (PathBuf, PathBuf) {
    let (_, hosts, app) = lsp_stack::write(dir, &app_text());
    (app, hosts)
}

/// The 0-based line and column of the first `needle` in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(line, l)| l.find(needle).map(|col| (line, col)))
        .unwrap_or_else(|| panic!("no `{needle}` in the text"))
}

/// Runs `command` for at most `limit`, its output going to `out` and `err`;
/// `None` when it was killed for taking longer.
fn run_bounded(
    command: &mut Command,
    out: &Path,
    err: &Path,
    limit: Duration,
) -> Option<ExitStatus> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(File::create(out).unwrap())
        .stderr(File::create(err).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What Neovim printed and logged, for a failure's message.
fn report(temp: &Path) -> String {
    let mut out = String::new();
    for name in [
        "nvim.stdout",
        "nvim.stderr",
        "result.json",
        "cache/nvim/lsp.log",
        "state/nvim/lsp.log",
    ] {
        if let Ok(text) = std::fs::read_to_string(temp.join(name)) {
            out.push_str(&format!("--- {name}\n{}\n", text.trim_end()));
        }
    }
    out
}

/// `path`, canonical, for comparing the files Neovim and the test name.
fn canonical(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_documented_neovim_configuration_runs_eosc_lsp() {
    let Some(nvim) = common::find_tool(
        "nvim",
        Path::new("/usr/bin"),
        "run scripts/setup-editors.sh (it installs Debian's neovim)",
    ) else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let temp = temp.path();
    let stack = temp.join("stack");
    let (app, hosts) = write_stack(&stack);
    write_config(&temp.join("config"), Path::new(env!("CARGO_BIN_EXE_eosc")));

    let app_text = app_text();
    let (typo_line, typo_col) = position(&app_text, "hv9]");
    let (def_line, def_char) = position(&app_text, "hv1]");
    let (host_line, host_char) = position(lsp_stack::HOSTS, "hv1");
    let result = temp.join("result.json");
    let script = SCRIPT
        .replace("@DEF_LINE@", &def_line.to_string())
        .replace("@DEF_CHAR@", &def_char.to_string())
        .replace("@TYPO_LINE@", &typo_line.to_string())
        .replace("@TYPO_COL@", &typo_col.to_string())
        .replace("@RESULT@", &lua_string(result.to_str().unwrap()));
    let script_path = temp.join("test.lua");
    std::fs::write(&script_path, script).unwrap();

    let mut command = Command::new(&nvim);
    command
        .arg("--headless")
        .arg("-S")
        .arg(&script_path)
        .current_dir(&stack)
        .env("XDG_CONFIG_HOME", temp.join("config"))
        .env("XDG_DATA_HOME", temp.join("data"))
        .env("XDG_STATE_HOME", temp.join("state"))
        .env("XDG_CACHE_HOME", temp.join("cache"));
    // What would make Neovim read another configuration, or none.
    for var in [
        "VIMINIT",
        "EXINIT",
        "MYVIMRC",
        "NVIM_APPNAME",
        "NVIM_LOG_FILE",
    ] {
        command.env_remove(var);
    }
    let started = Instant::now();
    let status = run_bounded(
        &mut command,
        &temp.join("nvim.stdout"),
        &temp.join("nvim.stderr"),
        NVIM_LIMIT,
    );
    let elapsed = started.elapsed();
    let Some(status) = status else {
        panic!(
            "nvim did not quit within {NVIM_LIMIT:?} and was killed\n{}",
            report(temp)
        );
    };
    let text = std::fs::read_to_string(&result).unwrap_or_else(|e| {
        panic!(
            "nvim ({status}) wrote no results to {}: {e}\n{}",
            result.display(),
            report(temp)
        )
    });
    let out: Value = serde_json::from_str(&text).unwrap();
    let context = report(temp);
    let version = &out["version"];
    let version = format!(
        "{}.{}.{}",
        version["major"], version["minor"], version["patch"]
    );
    assert!(
        out.get("error").is_none(),
        "Neovim {version}: the script failed at step {}: {}\n{context}",
        out["steps"]
            .as_array()
            .and_then(|s| s.last())
            .unwrap_or(&Value::Null),
        out["error"].as_str().unwrap_or_default(),
    );
    assert!(status.success(), "nvim exited with {status}\n{context}");

    // The doc's filetype detection and FileType autocommand.
    assert_eq!(out["filetype"], "eos", "{context}");
    assert_eq!(out["commentstring"], "// %s", "{context}");
    assert_eq!(out["omnifunc"], "v:lua.vim.lsp.omnifunc", "{context}");
    let names = |clients: &Value| -> Vec<String> {
        clients
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(names(&out["clients"]), ["eosc"], "{context}");

    // The typo, reported in the included file with its suggestion.
    let diagnostics = out["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{context}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["code"], "E0201", "{context}");
    assert_eq!(diagnostic["line"], typo_line, "{context}");
    assert_eq!(diagnostic["col"], typo_col, "{context}");
    let message = diagnostic["message"].as_str().unwrap();
    assert!(
        message.contains("unknown host `hv9`") && message.contains("did you mean `hv1`"),
        "{message}\n{context}"
    );

    // `hv1` → its label in hosts.eos, another file of the stack.
    assert_eq!(out["definition_errors"], serde_json::json!([]), "{context}");
    let definition = out["definition"].as_array().unwrap();
    assert_eq!(definition.len(), 1, "{context}");
    let target = &definition[0];
    assert_eq!(
        canonical(Path::new(target["file"].as_str().unwrap())),
        canonical(&hosts),
        "{context}"
    );
    assert_eq!(target["line"], host_line, "{context}");
    assert_eq!(target["character"], host_char, "{context}");
    let hover = out["hover"].to_string();
    assert!(hover.contains("host `hv1`"), "hover: {hover}\n{context}");

    // Fixed in the buffer, not saved: the diagnostic goes.
    assert_eq!(out["fixed"], true, "{context}");
    assert_eq!(
        out["diagnostics_after_fix"],
        serde_json::json!([]),
        "{context}"
    );

    // A second eos buffer shares the one server.
    assert_eq!(out["hosts_filetype"], "eos", "{context}");
    assert_eq!(out["hosts_clients"], out["clients"], "{context}");
    assert_eq!(out["all_clients"], out["clients"], "{context}");

    println!(
        "Neovim {version} ({}) ran docs/editors.md's configuration with {} in {elapsed:.1?}: \
         E0201 at {}:{}:{}, the definition of `hv1` at hosts.eos:{}:{}",
        nvim.display(),
        env!("CARGO_BIN_EXE_eosc"),
        app.strip_prefix(&stack).unwrap().display(),
        typo_line + 1,
        typo_col + 1,
        host_line + 1,
        host_char + 1,
    );
}
