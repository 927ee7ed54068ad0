// The Eos extension: runs `eosc lsp` (LSP over stdin/stdout) for the documents
// of language `eos`, and starts it again when its settings change or on
// `Eos: Restart Language Server`.
'use strict';

const path = require('path');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;
/** Restarts run one after the other, never two at once. */
let queue = Promise.resolve();
/** @type {vscode.FileSystemWatcher} */
let watcher;
/** @type {vscode.OutputChannel} */
let output;

/** The command that runs the server: `<eos.server.path> lsp <eos.server.extraArgs…>`. */
function serverCommand() {
  const config = vscode.workspace.getConfiguration('eos');
  let command = config.get('server.path') || 'eosc';
  // A relative path (`target/debug/eosc`) is the first workspace folder's;
  // a bare name is looked up on PATH.
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder && folder.uri.scheme === 'file' && /[\\/]/.test(command) && !path.isAbsolute(command)) {
    command = path.join(folder.uri.fsPath, command);
  }
  const extraArgs = config.get('server.extraArgs') || [];
  // No `transport`: with TransportKind.stdio the client would add `--stdio`.
  return { command, args: ['lsp', ...extraArgs.map(String)] };
}

async function start() {
  const executable = serverCommand();
  const next = new LanguageClient(
    'eos',
    'Eos',
    { run: executable, debug: executable },
    {
      documentSelector: [
        { scheme: 'file', language: 'eos' },
        { scheme: 'untitled', language: 'eos' },
      ],
      // workspace/didChangeWatchedFiles: included and module files change on disk.
      synchronize: { fileEvents: watcher },
      outputChannel: output,
    },
  );
  client = next;
  try {
    await next.start();
  } catch (error) {
    // The client has already shown the error; say what to change.
    output.appendLine(
      `Could not start \`${executable.command} ${executable.args.join(' ')}\`: ${error && error.message}. ` +
        'Set `eos.server.path` to an eosc that has the `lsp` command.',
    );
  }
}

async function stop() {
  const previous = client;
  client = undefined;
  if (previous) {
    try {
      await previous.stop();
    } catch {
      // A server that never started, or has died, has nothing to stop.
    }
  }
}

function restart() {
  queue = queue.then(stop).then(start);
  return queue;
}

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  output = vscode.window.createOutputChannel('Eos');
  watcher = vscode.workspace.createFileSystemWatcher('**/*.eos');
  context.subscriptions.push(
    output,
    watcher,
    vscode.commands.registerCommand('eos.restartServer', restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('eos.server')) {
        restart();
      }
    }),
  );
  return restart();
}

function deactivate() {
  queue = queue.then(stop);
  return queue;
}

module.exports = { activate, deactivate };
