// Tokenizes .eos files with the extension's TextMate grammar, as VS Code does
// (vscode-textmate over vscode-oniguruma, line by line), and compares the scopes
// with what eosc's parser read in the same files.
//
//   node test/tokenize.mjs TRUTH.json
//
// TRUTH.json is written by the Rust test tests/editor_grammar.rs:
//
//   {"files": [{"path": "/abs/file.eos", "name": "specs/x.eos", "length": N,
//               "spans": {"comment": [[start, end], …], "string": […], …}}]}
//
// Offsets are UTF-16 code units from the start of the file (JavaScript string
// indices), end exclusive. For every class below, a character must have the
// class's scope exactly when the parser put it in a span of that class. Line
// breaks are not tokenized and not checked, nor are the spans of "unchecked":
// names and object keys whose `=` is on a later line, which a grammar that
// sees one line at a time cannot know for what they are. Exit 0: no mismatch;
// 1: mismatches (listed on stdout); 2: bad input or grammar.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const grammarPath = join(here, '..', 'syntaxes', 'eos.tmLanguage.json');

/** What each class of the parser's spans must be scoped as (and nothing else may be). */
const CLASSES = {
  comment: { scope: 'comment.*', has: (s) => s.startsWith('comment.') },
  string: { scope: 'string.*', has: (s) => s.startsWith('string.') },
  block_kind: {
    scope: 'storage.type.block.eos or entity.name.type.block.eos',
    has: (s) => s.startsWith('storage.type.block.') || s.startsWith('entity.name.type.block.'),
  },
  attribute_name: {
    scope: 'entity.other.attribute-name.eos',
    has: (s) => s.startsWith('entity.other.attribute-name.'),
  },
  key: { scope: 'support.type.property-name.eos', has: (s) => s.startsWith('support.type.property-name.') },
  number: { scope: 'constant.numeric.*', has: (s) => s.startsWith('constant.numeric.') },
  boolean: { scope: 'constant.language.boolean.eos', has: (s) => s.startsWith('constant.language.boolean.') },
  reference: { scope: 'variable.*', has: (s) => s.startsWith('variable.') },
};

const MAX_REPORTED = 60;

function fail(message) {
  console.error(`tokenize.mjs: ${message}`);
  process.exit(2);
}

async function loadGrammar() {
  const vsctm = require('vscode-textmate');
  const oniguruma = require('vscode-oniguruma');
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === 'source.eos' ? vsctm.parseRawGrammar(readFileSync(grammarPath, 'utf8'), grammarPath) : null,
  });
  const grammar = await registry.loadGrammar('source.eos');
  if (!grammar) fail(`cannot load ${grammarPath}`);
  return { grammar, INITIAL: vsctm.INITIAL };
}

/**
 * The scopes of every UTF-16 unit of `text` (null for line breaks), tokenized
 * line by line with VS Code's line breaks (\r\n, \r, \n).
 */
function scopesOf(text, grammar, INITIAL) {
  const scopes = new Array(text.length).fill(null);
  const lineStarts = [];
  const breaks = /\r\n|\r|\n/g;
  let state = INITIAL;
  let start = 0;
  for (;;) {
    const found = breaks.exec(text);
    const end = found ? found.index : text.length;
    lineStarts.push(start);
    const line = text.slice(start, end);
    const result = grammar.tokenizeLine(line, state);
    if (result.stoppedEarly) fail('tokenizing stopped early');
    for (const token of result.tokens) {
      for (let i = token.startIndex; i < Math.min(token.endIndex, line.length); i++) {
        scopes[start + i] = token.scopes;
      }
    }
    for (let i = 0; i < line.length; i++) {
      if (scopes[start + i] === null) fail(`no token at ${start + i}`);
    }
    state = result.ruleStack;
    if (!found) break;
    start = found.index + found[0].length;
  }
  return { scopes, lineStarts };
}

/** 1-based line and UTF-16 column of an offset. */
function position(lineStarts, offset) {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return [low + 1, offset - lineStarts[low] + 1];
}

function checkFile(file, grammar, INITIAL, report) {
  const text = readFileSync(file.path, 'utf8');
  if (text.length !== file.length) {
    fail(`${file.name}: ${text.length} UTF-16 units read, the parser's text has ${file.length}`);
  }
  const { scopes, lineStarts } = scopesOf(text, grammar, INITIAL);
  const units = (name) => {
    const inside = new Uint8Array(text.length);
    for (const [from, to] of file.spans[name] ?? []) {
      if (!(from >= 0 && from < to && to <= text.length)) fail(`${file.name}: bad ${name} span ${from}..${to}`);
      inside.fill(1, from, to);
    }
    return inside;
  };
  const unchecked = units('unchecked');
  let mismatches = 0;
  for (const [name, cls] of Object.entries(CLASSES)) {
    const inside = units(name);
    // Each run of adjacent units on one line that are wrong the same way is
    // reported once (with the scopes of its first unit).
    let run = null;
    const flush = () => {
      if (!run) return;
      mismatches++;
      const [line, column] = position(lineStarts, run.from);
      const shown = JSON.stringify(text.slice(run.from, run.to));
      const should = run.want ? `should be ${name} (${cls.scope})` : `should not be ${name}`;
      report.push(`${file.name}:${line}:${column}: ${shown} ${should}; scopes at its start: ${run.scopes.join(' ')}`);
      run = null;
    };
    for (let i = 0; i < text.length; i++) {
      const unitScopes = scopes[i];
      const want = inside[i] === 1;
      if (unitScopes === null || unchecked[i] === 1 || unitScopes.some(cls.has) === want) {
        flush();
        continue;
      }
      if (run && run.to === i && run.want === want) {
        run.to = i + 1;
      } else {
        flush();
        run = { from: i, to: i + 1, want, scopes: unitScopes };
      }
    }
    flush();
  }
  return { mismatches, lines: lineStarts.length };
}

async function main() {
  const truthPath = process.argv[2];
  if (!truthPath) fail('usage: node test/tokenize.mjs TRUTH.json');
  const truth = JSON.parse(readFileSync(truthPath, 'utf8'));
  const { grammar, INITIAL } = await loadGrammar();
  const report = [];
  let mismatches = 0;
  let lines = 0;
  const spans = Object.fromEntries([...Object.keys(CLASSES), 'unchecked'].map((name) => [name, 0]));
  for (const file of truth.files) {
    const checked = checkFile(file, grammar, INITIAL, report);
    mismatches += checked.mismatches;
    lines += checked.lines;
    for (const name of Object.keys(spans)) spans[name] += (file.spans[name] ?? []).length;
  }
  const counts = Object.keys(CLASSES)
    .map((name) => `${spans[name]} ${name}`)
    .join(', ');
  console.log(`${truth.files.length} files, ${lines} lines; spans: ${counts}`);
  console.log(`not checked: ${spans.unchecked} names or keys whose \`=\` is on a later line`);
  if (mismatches > 0) {
    for (const line of report.slice(0, MAX_REPORTED)) console.log(line);
    if (report.length > MAX_REPORTED) console.log(`… and ${report.length - MAX_REPORTED} more`);
    console.log(`${mismatches} mismatches between the grammar (${grammarPath}) and eosc's parser`);
    process.exit(1);
  }
  console.log('the grammar scopes every span as the parser reads it');
}

main().catch((error) => fail(error && error.stack ? error.stack : String(error)));
