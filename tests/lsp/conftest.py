"""Shared fixtures of the LSP tests: a client (pytest-lsp, declaring Neovim
0.11's capabilities) connected to `eosc lsp` over stdio, copies of the
fixture stacks to work on, and helpers that find positions by the text they
point at, open and edit documents, and wait for diagnostics.

The server is the binary named by EOSC_BIN (default target/debug/eosc, as
`cargo build` leaves it). Each test starts its own server.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pathlib
import shutil
import tempfile
from collections.abc import Callable, Sequence

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import register_lsp_features

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURES = HERE / "fixtures"
SPECS = REPO / "specs"
EOSC = os.environ.get("EOSC_BIN") or str(REPO / "target" / "debug" / "eosc")

# The servers write their `eosc explain` pages under $XDG_CACHE_HOME/eosc:
# a folder of this run's own, removed at its end.
CACHE_HOME = pathlib.Path(tempfile.mkdtemp(prefix="eosc-lsp-tests-"))

# How long one answer or one round of diagnostics may take (a debug build
# checks the fixture stacks in milliseconds: this only bounds a hang).
TIMEOUT = 10.0


def pytest_sessionstart(session):
    if not pathlib.Path(EOSC).is_file():
        raise pytest.UsageError(
            f"no eosc binary at {EOSC}: run `cargo build`, or set EOSC_BIN"
        )


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(CACHE_HOME, ignore_errors=True)


# One converter (lsprotocol types <-> JSON) for every client of the run: a
# new one generates its code again, which costs more than the server does.
_CONVERTER = default_converter()


def _make_client() -> LanguageClient:
    """pytest-lsp's test client (it records diagnostics, messages…), with
    the shared converter."""
    client = LanguageClient(converter_factory=lambda: _CONVERTER)
    register_lsp_features(client)
    return client


SERVER = ClientServerConfig(
    client_factory=_make_client,
    server_command=[EOSC, "lsp"],
    server_env={**os.environ, "XDG_CACHE_HOME": str(CACHE_HOME), "RUST_BACKTRACE": "1"},
)


# The client the tests speak as (read once: it is a large JSON file).
NEOVIM = client_capabilities("neovim@v0.11.0")


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    params = types.InitializeParams(
        capabilities=NEOVIM,
        root_uri=REPO.as_uri(),
    )
    result = await asyncio.wait_for(lsp_client.initialize_session(params), TIMEOUT)
    lsp_client.initialize_result = result
    yield
    # A server that died (or hung) fails the test here rather than passing it.
    await asyncio.wait_for(lsp_client.shutdown_session(), TIMEOUT)


class Files:
    """A folder of spec files, and positions in them found by their text."""

    def __init__(self, root: pathlib.Path):
        self.root = root
        # The text of documents changed through `replace`, by relative path.
        self.buffers: dict[str, str] = {}

    def path(self, rel: str) -> pathlib.Path:
        return self.root / rel

    def uri(self, rel: str) -> str:
        return self.path(rel).as_uri()

    def text(self, rel: str) -> str:
        return self.path(rel).read_text(encoding="utf-8")

    def offset(self, rel: str, needle: str, nth: int = 0, text: str | None = None) -> int:
        """The character offset where the nth occurrence of `needle` starts."""
        text = self.text(rel) if text is None else text
        at = -1
        for _ in range(nth + 1):
            at = text.find(needle, at + 1)
            assert at >= 0, f"{needle!r} (occurrence {nth}) is not in {rel}"
        return at

    def pos(
        self, rel: str, needle: str, nth: int = 0, delta: int = 0, text: str | None = None
    ) -> types.Position:
        """The position of the nth `needle` in `rel`, moved `delta` characters."""
        text = self.text(rel) if text is None else text
        return position_of(text, self.offset(rel, needle, nth, text) + delta)

    def range(
        self, rel: str, needle: str, nth: int = 0, word: str | None = None,
        text: str | None = None,
    ) -> types.Range:
        """The range of `word` (default: all of `needle`) inside the nth `needle`."""
        text = self.text(rel) if text is None else text
        start = self.offset(rel, needle, nth, text)
        if word is not None:
            inner = needle.find(word)
            assert inner >= 0, f"{word!r} is not in {needle!r}"
            start, length = start + inner, len(word)
        else:
            length = len(needle)
        return types.Range(position_of(text, start), position_of(text, start + length))


def position_of(text: str, offset: int) -> types.Position:
    """The LSP position (UTF-16 columns) of a character offset."""
    before = text[:offset]
    line = before.count("\n")
    column = before[before.rfind("\n") + 1 :]
    return types.Position(line=line, character=len(column.encode("utf-16-le")) // 2)


def apply_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """`text` with LSP edits applied (as an editor does: all at once)."""
    lines = text.split("\n")

    def offset(p: types.Position) -> int:
        before = sum(len(l) + 1 for l in lines[: p.line])
        line = lines[p.line] if p.line < len(lines) else ""
        units, chars = 0, 0
        for ch in line:
            if units >= p.character:
                break
            units += len(ch.encode("utf-16-le")) // 2
            chars += 1
        return before + chars

    spans = sorted(
        ((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


@pytest.fixture
def lab(tmp_path) -> Files:
    """A copy of fixtures/lab (root stack.eos, included files, a module with
    two instances, an environment) that a test may change on disk."""
    root = tmp_path / "lab"
    shutil.copytree(FIXTURES / "lab", root)
    return Files(root)


# Every file of fixtures/lab.
LAB_FILES = [
    "stack.eos",
    "hosts.eos",
    "apps.eos",
    "services/core.eos",
    "services/web.eos",
    "modules/web.eos",
    "environments/staging.eos",
]


@pytest.fixture
async def opened(client, lab: Files):
    """The lab with every file open in the editor, diagnostics settled."""
    for rel in LAB_FILES:
        open_doc(client, lab, rel)
    await settle(client, lab.uri("stack.eos"))
    return lab


@pytest.fixture
def single(tmp_path) -> Files:
    """A copy of fixtures/single.eos, a stack of one file."""
    shutil.copy(FIXTURES / "single.eos", tmp_path / "single.eos")
    return Files(tmp_path)


@pytest.fixture
def specs() -> Files:
    """The repository's specs/ (read only: the tests never write there)."""
    return Files(SPECS)


def open_doc(
    client: LanguageClient, files: Files, rel: str, text: str | None = None, version: int = 1
) -> str:
    """Sends didOpen for `rel` (its text on disk unless `text` is given)."""
    uri = files.uri(rel)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id="eos",
                version=version,
                text=files.text(rel) if text is None else text,
            )
        )
    )
    return uri


def change(
    client: LanguageClient,
    uri: str,
    version: int,
    *edits: tuple[types.Range, str],
) -> None:
    """Sends one didChange with incremental edits (applied in order)."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(range=r, text=t) for r, t in edits
            ],
        )
    )


def insert_at(p: types.Position, text: str) -> tuple[types.Range, str]:
    return types.Range(start=p, end=p), text


_versions = itertools.count(2)


def replace(
    client: LanguageClient, files: Files, rel: str, old: str, new: str, text: str | None = None,
    cursor: str = "|",
) -> tuple[str, types.Position | None]:
    """Replaces the one `old` of an open document with `new`, in one
    incremental change, as an editor sends a paste or a keystroke. A `|` in
    `new` marks the cursor, whose position in the new text is returned
    (with the new text). The document's text is the one the last `replace`
    left (`files.buffers`), else `text`, else the file's."""
    text = files.buffers.get(rel, files.text(rel) if text is None else text)
    assert text.count(old) == 1, f"{old!r} is not once in {rel}"
    start = text.index(old)
    at = new.find(cursor)
    plain = new.replace(cursor, "", 1) if at >= 0 else new
    r = types.Range(start=position_of(text, start), end=position_of(text, start + len(old)))
    change(client, files.uri(rel), next(_versions), (r, plain))
    text = text[:start] + plain + text[start + len(old):]
    files.buffers[rel] = text
    return text, (position_of(text, start + at) if at >= 0 else None)


async def settle(client: LanguageClient, uri: str) -> None:
    """Waits until the server has handled every message sent before: it
    answers in order, and checks what changed before it answers."""
    await asyncio.wait_for(
        client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
        ),
        TIMEOUT,
    )


async def diagnostics_until(
    client: LanguageClient,
    uri: str,
    ready: Callable[[Sequence[types.Diagnostic]], bool],
    timeout: float = TIMEOUT,
) -> Sequence[types.Diagnostic]:
    """The diagnostics of `uri` once `ready` holds of them (published by the
    server on its own, with no request to prompt it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = client.diagnostics.get(uri)
        if found is not None and ready(list(found)):
            return list(found)
        if loop.time() > deadline:
            shown = "never published" if found is None else [
                (d.code, d.range.start.line, d.message) for d in found
            ]
            raise AssertionError(f"diagnostics of {uri} never became ready: last {shown}")
        await asyncio.sleep(0.01)


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def errors(diagnostics: Sequence[types.Diagnostic]) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.severity == types.DiagnosticSeverity.Error]


async def request(awaitable, timeout: float = TIMEOUT):
    """An answer, or a failure when the server does not answer in time. A
    list is a list (lsprotocol makes tuples of arrays)."""
    found = await asyncio.wait_for(awaitable, timeout)
    return list(found) if isinstance(found, tuple) else found
