//! `eosc-lsp-bench FILE [--edits N] [--pause MS] [--insert]`: the language server's
//! latency from an edit to its diagnostics, and its memory across edits (issue 16's
//! benchmark; `scripts/bench-lsp.sh` runs it on a generated stack).
//!
//! The server runs in this process, as `eosc lsp` runs it, without the
//! pipe: FILE is opened, then N edits alternately change the first digit of
//! a `memory` value in the middle of the file and restore it (typing in a
//! value: the file stays valid, and the stack is checked whole each time),
//! back to back or `--pause` milliseconds apart (as keystrokes are). With
//! `--insert`, the edits alternately insert a space before that value and
//! delete it: the text after the edit moves, so the server moves what it
//! reuses of the blocks after it (`compose::BlockMemo`). Each
//! edit is timed from the `didChange` notification until the stack is
//! checked and its `publishDiagnostics` serialized (what `eosc lsp` writes
//! to stdout; it sends a file's diagnostics only when they changed), and
//! resident memory is read every 100 edits.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use eosc::lsp::{Explanations, Server};
use lsp_server::{Message, Notification};
use serde_json::json;

// The allocator of `eosc` itself (src/main.rs), so the numbers are its.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn notify(server: &mut Server, method: &str, params: serde_json::Value) -> (Duration, usize) {
    let start = Instant::now();
    server.handle(Message::Notification(Notification::new(
        method.into(),
        params,
    )));
    server.refresh();
    let mut bytes = 0;
    for message in server.take_outbox() {
        bytes += serde_json::to_string(&message).map_or(0, |s| s.len());
    }
    (start.elapsed(), bytes)
}

/// Sends a request; the time until its answer is serialized.
fn request(server: &mut Server, method: &str, params: serde_json::Value) -> Duration {
    let start = Instant::now();
    server.handle(Message::Request(lsp_server::Request::new(
        lsp_server::RequestId::from(0),
        method.into(),
        params,
    )));
    for message in server.take_outbox() {
        let _ = serde_json::to_string(&message);
    }
    start.elapsed()
}

fn percentile(sorted: &[Duration], p: usize) -> f64 {
    let at = (sorted.len() * p / 100).min(sorted.len() - 1);
    sorted[at].as_secs_f64() * 1000.0
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut file = None;
    let mut edits = 1000usize;
    // Time between two edits, as between keystrokes (0: back to back).
    let mut pause = Duration::ZERO;
    // Insert and delete a space instead of changing a digit.
    let mut insert = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--edits" => match it.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => edits = n,
                _ => {
                    eprintln!("--edits needs a positive number");
                    return ExitCode::from(2);
                }
            },
            "--pause" => match it.next().and_then(|n| n.parse().ok()) {
                Some(ms) => pause = Duration::from_millis(ms),
                None => {
                    eprintln!("--pause needs a number of milliseconds");
                    return ExitCode::from(2);
                }
            },
            "--insert" => insert = true,
            path if file.is_none() => file = Some(PathBuf::from(path)),
            other => {
                eprintln!("unexpected argument `{other}`; usage: eosc-lsp-bench FILE [--edits N] [--pause MS] [--insert]");
                return ExitCode::from(2);
            }
        }
    }
    let Some(file) = file else {
        eprintln!("usage: eosc-lsp-bench FILE [--edits N] [--pause MS] [--insert]");
        return ExitCode::from(2);
    };
    let Ok(path) = file.canonicalize() else {
        eprintln!("cannot read {}", file.display());
        return ExitCode::from(2);
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("cannot read {}", path.display());
        return ExitCode::from(2);
    };
    let uri = lsp_types::Url::from_file_path(&path).expect("an absolute path");
    let lines = text.lines().count();
    // The first `memory = <digits>…` line from the middle on, and its digit.
    let Some((line, character, digit)) =
        text.lines().enumerate().skip(lines / 2).find_map(|(n, l)| {
            let at = l.find("memory")?;
            let value = l[at..].find('=')? + at + 1;
            let digit = l[value..].find(|c: char| !c.is_whitespace())? + value;
            let c = l[digit..].chars().next()?;
            c.is_ascii_digit().then_some((n as u32, digit as u32, c))
        })
    else {
        eprintln!("no `memory = N` line in the second half of the file");
        return ExitCode::from(2);
    };
    let other = if digit == '9' { '8' } else { '9' };
    let mut server = Server::new(Explanations::none());
    let (open, _) = notify(
        &mut server,
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "eos", "version": 1, "text": text}}),
    );
    let rss_open = rss_kib();
    let mut times = Vec::with_capacity(edits);
    let mut rss = Vec::new();
    for edit in 0..edits {
        let version = i32::try_from(edit).unwrap_or(i32::MAX - 2) + 2;
        let (end, typed) = match (insert, edit % 2 == 0) {
            (false, true) => (character + 1, other.to_string()),
            (false, false) => (character + 1, digit.to_string()),
            (true, true) => (character, " ".to_string()),
            (true, false) => (character + 1, String::new()),
        };
        let change = json!({
            "range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": end}},
            "text": typed,
        });
        let (took, _) = notify(
            &mut server,
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
        );
        times.push(took);
        std::thread::sleep(pause);
        if (edit + 1) % 100 == 0 {
            rss.push(rss_kib());
        }
    }
    times.sort();
    // Requests after the last edit: the first builds the names index.
    let service_line = text
        .lines()
        .take(line as usize + 1)
        .enumerate()
        .filter(|(_, l)| l.starts_with("service \""))
        .last()
        .map_or(0, |(n, _)| n as u32);
    let at =
        json!({"textDocument": {"uri": uri}, "position": {"line": service_line, "character": 10}});
    let hover_first = request(&mut server, "textDocument/hover", at.clone());
    let hover_next = request(&mut server, "textDocument/hover", at.clone());
    let mut with_context = at.clone();
    with_context["context"] = json!({"includeDeclaration": true});
    let references = request(&mut server, "textDocument/references", with_context);
    let completion = request(&mut server, "textDocument/completion", at);
    println!(
        "file: {} ({:.1} MB, {} lines)",
        path.display(),
        text.len() as f64 / 1e6,
        lines
    );
    println!(
        "open → diagnostics: {:.1} ms; RSS after open: {:.1} MB",
        open.as_secs_f64() * 1000.0,
        rss_open as f64 / 1024.0
    );
    println!(
        "edit → diagnostics over {edits} edits, {} ms apart: median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        pause.as_millis(),
        percentile(&times, 50),
        percentile(&times, 90),
        percentile(&times, 100)
    );
    let shown: Vec<String> = rss
        .iter()
        .map(|kib| format!("{:.1}", *kib as f64 / 1024.0))
        .collect();
    println!("RSS every 100 edits (MB): {}", shown.join(" "));
    println!(
        "hover on a service: {:.1} ms the first time after an edit (builds the index), then {:.1} ms; references {:.1} ms; completion {:.1} ms",
        hover_first.as_secs_f64() * 1000.0,
        hover_next.as_secs_f64() * 1000.0,
        references.as_secs_f64() * 1000.0,
        completion.as_secs_f64() * 1000.0
    );
    println!("disk reads: {}", server.disk_reads());
    ExitCode::SUCCESS
}
