"""Diagnostics: published for every file of the stack an opened document
belongs to, as the user types (incremental didChange), with the code, its
explanation page, the help and the labels of other files; re-checked when
files change on disk; withdrawn when the stack's last document closes."""

from __future__ import annotations

import asyncio
import pathlib
from urllib.parse import unquote, urlparse

from lsprotocol import types

from conftest import (
    CACHE_HOME,
    TIMEOUT,
    Files,
    change,
    codes,
    diagnostics_until,
    errors,
    insert_at,
    open_doc,
    replace,
    request,
    settle,
)


async def test_a_clean_stack_publishes_no_diagnostics(client, lab: Files):
    root = open_doc(client, lab, "stack.eos")
    await settle(client, root)
    published = {uri: list(d) for uri, d in client.diagnostics.items() if d}
    assert published == {}


async def test_a_typo_typed_then_fixed(client, single: Files):
    """didChange introduces `memroy`, the diagnostic appears at the word;
    the fix removes it."""
    uri = open_doc(client, single, "single.eos")
    await settle(client, uri)
    assert not client.diagnostics.get(uri)

    # `memory` of caddy becomes `memroy`: select "or" and type "ro".
    start = single.pos("single.eos", "memory   = 256MiB", delta=3)
    end = single.pos("single.eos", "memory   = 256MiB", delta=5)
    change(client, uri, 2, (types.Range(start=start, end=end), "ro"))

    found = await diagnostics_until(client, uri, lambda d: len(d) > 0)
    typo = next(d for d in found if d.code == "E0102")
    assert typo.range == types.Range(
        start=types.Position(line=20, character=2), end=types.Position(line=20, character=8)
    )
    assert typo.severity == types.DiagnosticSeverity.Error
    assert typo.source == "eosc"
    assert "memroy" in typo.message
    assert "\nhelp: " in typo.message and "memory" in typo.message.split("\nhelp: ", 1)[1]
    # Without `memory` the service also misses a required attribute.
    assert "E0104" in codes(found)

    # The code links to its explanation, written as markdown for the editor.
    assert typo.code_description is not None
    href = typo.code_description.href
    assert href.startswith("file://")
    page = pathlib.Path(unquote(urlparse(href).path))
    assert page.is_relative_to(CACHE_HOME / "eosc" / "explain")
    assert page.name == "E0102.md"
    assert page.read_text().startswith("# E0102: unknown attribute\n")

    # Fixed, one keystroke at a time: `memroy` → `memoy` → `memory`.
    p = single.pos("single.eos", "memory   = 256MiB", delta=3)
    change(client, uri, 3, (types.Range(start=p, end=types.Position(line=p.line, character=p.character + 1)), ""))
    change(client, uri, 4, insert_at(types.Position(line=p.line, character=p.character + 1), "r"))
    assert await diagnostics_until(client, uri, lambda d: len(d) == 0) == []


async def test_each_keystroke_is_checked(client, single: Files):
    """An attribute typed letter by letter: the diagnostics follow the text,
    from a syntax error to a valid attribute that is wrong for the service."""
    uri = open_doc(client, single, "single.eos")
    at = single.pos("single.eos", "  cpu      = 0.5", delta=len("  cpu      = 0.5"))
    assert at == types.Position(line=21, character=16)
    change(client, uri, 2, insert_at(at, "\n  c"))
    # `c` then the block's `}`: a syntax error at the `}`.
    brace = types.Range(start=types.Position(line=23, character=0), end=types.Position(line=23, character=1))
    found = await diagnostics_until(client, uri, lambda d: "E0001" in codes(d))
    assert [(d.code, d.range) for d in found] == [("E0001", brace)]
    version = 3
    line = types.Position(line=22, character=3)
    for ch in "ount = 2":
        change(client, uri, version, insert_at(line, ch))
        line = types.Position(line=line.line, character=line.character + 1)
        version += 1
    # `count` is an attribute, but for nomad services only (E0107).
    found = await diagnostics_until(client, uri, lambda d: "E0001" not in codes(d))
    count = types.Range(start=types.Position(line=22, character=2), end=types.Position(line=22, character=7))
    assert [(d.code, d.range) for d in found] == [("E0107", count)]
    assert "`count` does not apply to a baremetal service" in found[0].message


async def test_diagnostics_of_an_included_file_when_the_root_is_opened(client, lab: Files):
    hosts = lab.path("hosts.eos")
    hosts.write_text(hosts.read_text().replace("cpus    = 8", "cpus    = \"eight\""))
    root = open_doc(client, lab, "stack.eos")
    found = await diagnostics_until(client, lab.uri("hosts.eos"), lambda d: len(d) > 0)
    assert [(d.code, d.range) for d in found] == [
        ("E0103", lab.range("hosts.eos", '"eight"'))
    ]
    # Nothing in the root itself.
    await settle(client, root)
    assert not client.diagnostics.get(root)


async def test_a_file_opened_alone_is_checked_as_part_of_its_stack(client, lab: Files):
    """apps.eos names hosts of hosts.eos and a module file: opened alone it is
    checked with the stack found on disk (no unknown names), and an error in
    it names the other files."""
    uri = open_doc(client, lab, "apps.eos")
    await settle(client, uri)
    assert not client.diagnostics.get(uri)

    # A misspelt host: E0201 with "did you mean" a host of hosts.eos.
    at = lab.range("apps.eos", "disk   = hv2.nvme0", word="hv2")
    change(client, uri, 2, (at, "hv3"))
    found = await diagnostics_until(client, uri, lambda d: len(d) > 0)
    unknown = [d for d in found if d.code == "E0201"]
    assert [d.range for d in unknown] == [at]
    assert "hv3" in unknown[0].message
    # hv1 and hv2 are both one letter away.
    assert "\nhelp: did you mean `hv" in unknown[0].message


async def test_related_information_points_into_other_files(client, lab: Files):
    """A host declared a second time in an included file: E0105 with the
    first declaration, in hosts.eos, as related information."""
    extra = lab.path("services/extra.eos")
    extra.write_text('host "hv1" {\n  address = "10.0.0.99"\n  memory  = 8GiB\n  cpus    = 2\n}\n')
    open_doc(client, lab, "stack.eos")
    found = await diagnostics_until(client, lab.uri("services/extra.eos"), lambda d: len(d) > 0)
    twice = [d for d in found if d.code == "E0105"]
    assert len(twice) == 1
    assert twice[0].range == lab.range("services/extra.eos", '"hv1"', word="hv1") or (
        twice[0].range == lab.range("services/extra.eos", '"hv1"')
    )
    related = twice[0].related_information
    assert related is not None
    first = [r for r in related if r.location.uri == lab.uri("hosts.eos")]
    assert len(first) == 1
    assert first[0].location.range.start.line == 0
    assert "first defined here" in first[0].message


async def test_an_environment_only_finding_names_its_environment(client, lab: Files):
    uri = open_doc(client, lab, "environments/staging.eos")
    await settle(client, uri)
    assert not client.diagnostics.get(uri)
    # mailpit exists only in staging: a reference to an unknown host there is
    # a finding of that environment alone.
    at = lab.range("environments/staging.eos", "on      = [hv1]", word="hv1")
    change(client, uri, 2, (at, "hv7"))
    found = await diagnostics_until(client, uri, lambda d: len(d) > 0)
    unknown = [d for d in found if d.code == "E0201"]
    assert [d.range for d in unknown] == [at]
    assert unknown[0].message.startswith("in environment `staging`: ")


async def test_a_module_error_shows_in_the_module_file(client, lab: Files):
    """A module file opened alone is checked with the stack that stamps it
    out; an error in a module service shows in the module file."""
    uri = open_doc(client, lab, "modules/web.eos")
    await settle(client, uri)
    assert not client.diagnostics.get(uri)
    at = lab.range("modules/web.eos", "param.image", word="image")
    change(client, uri, 2, (at, "imagee"))
    found = await diagnostics_until(client, uri, lambda d: len(d) > 0)
    # One diagnostic (not one per instance), on the whole `param.imagee`.
    param = types.Range(start=at.start, end=types.Position(line=at.end.line, character=at.end.character + 1))
    param.start = types.Position(line=at.start.line, character=at.start.character - len("param."))
    assert [(d.code, d.range) for d in found] == [("E0201", param)]
    assert found[0].message == "unknown parameter `imagee`\nhelp: did you mean `param.image`?"


async def test_a_saved_change_of_another_file_is_seen(client, lab: Files):
    """hosts.eos is not open: the editor writes it and says so
    (didChangeWatchedFiles); the stack is checked again from disk."""
    root = open_doc(client, lab, "stack.eos")
    await settle(client, root)
    hosts = lab.path("hosts.eos")
    hosts.write_text(hosts.read_text().replace('kind = nvme', 'kind = nvm'))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=lab.uri("hosts.eos"), type=types.FileChangeType.Changed)]
        )
    )
    found = await diagnostics_until(client, lab.uri("hosts.eos"), lambda d: len(d) > 0)
    assert [(d.code, d.range) for d in found] == [
        ("E0103", lab.range("hosts.eos", "kind = nvm", word="nvm"))
    ]
    assert "did you mean `nvme`?" in found[0].message

    hosts.write_text(hosts.read_text().replace('kind = nvm', 'kind = nvme'))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=lab.uri("hosts.eos"), type=types.FileChangeType.Changed)]
        )
    )
    assert await diagnostics_until(client, lab.uri("hosts.eos"), lambda d: len(d) == 0) == []


async def test_a_new_file_an_include_pattern_matches(client, lab: Files):
    """A file created under services/ joins the stack (include
    services/*.eos): its unknown reference is reported once the editor says
    the file was created."""
    root = open_doc(client, lab, "stack.eos")
    await settle(client, root)
    new = lab.path("services/new.eos")
    new.write_text(
        'service "extra" {\n  runtime = baremetal\n  on      = [hv9]\n'
        '  memory  = 64MiB\n  cpu     = 0.1\n}\n'
    )
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=lab.uri("services/new.eos"), type=types.FileChangeType.Created)]
        )
    )
    found = await diagnostics_until(client, lab.uri("services/new.eos"), lambda d: len(d) > 0)
    assert [(d.code, d.range) for d in found] == [
        ("E0201", lab.range("services/new.eos", "hv9"))
    ]


async def test_did_save_reads_the_file_again(client, lab: Files):
    """An open document closed, changed on disk and saved by another
    program: didSave of the root re-reads the files it includes."""
    root = open_doc(client, lab, "stack.eos")
    await settle(client, root)
    web = lab.path("services/web.eos")
    web.write_text(web.read_text().replace("after   = [postgres]", "after   = [postgress]"))
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=lab.uri("services/web.eos")))
    )
    found = await diagnostics_until(client, lab.uri("services/web.eos"), lambda d: len(d) > 0)
    assert [d.code for d in found] == ["E0201"]
    assert found[0].range == lab.range("services/web.eos", "postgress")
    assert "did you mean `postgres`?" in found[0].message


async def test_unsaved_text_of_an_included_file_wins_over_the_disk(client, lab: Files):
    """Two documents of one stack open: an edit of the included one (not
    saved) is what the root's check reads, and its diagnostics are its own."""
    root = open_doc(client, lab, "stack.eos")
    hosts = open_doc(client, lab, "hosts.eos")
    await settle(client, root)
    at = lab.range("hosts.eos", 'host "hv2"', word="hv2")
    change(client, hosts, 2, (at, "hv5"))
    # Every `on = [hv2]` of the other files is now unknown.
    found = await diagnostics_until(client, lab.uri("services/core.eos"), lambda d: len(d) > 0)
    assert {d.code for d in found} == {"E0201"}
    lines = sorted(d.range.start.line for d in found)
    text = lab.text("services/core.eos").split("\n")
    assert all("hv2" in text[line] for line in lines)
    assert len(lines) == 3  # docker, nomad, postgres
    # Undo: all clear again.
    change(client, hosts, 3, (at, "hv2"))
    assert await diagnostics_until(client, lab.uri("services/core.eos"), lambda d: len(d) == 0) == []


async def test_closing_the_last_document_withdraws_the_diagnostics(client, lab: Files):
    hosts = lab.path("hosts.eos")
    hosts.write_text(hosts.read_text().replace("cpus    = 8", "cpus    = \"eight\""))
    root = open_doc(client, lab, "stack.eos")
    await diagnostics_until(client, lab.uri("hosts.eos"), lambda d: len(d) > 0)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=root))
    )
    assert await diagnostics_until(client, lab.uri("hosts.eos"), lambda d: len(d) == 0) == []


async def test_a_document_becomes_a_root_when_it_gains_a_stack_block(client, tmp_path):
    """A new, unsaved file: first a lone host (no stack block: E0108), then
    a `stack` block typed above it makes it a stack of its own."""
    files = Files(tmp_path)
    (tmp_path / "new.eos").write_text("")
    uri = open_doc(client, files, "new.eos", text='host "a" {\n  address = "10.0.0.1"\n  memory = 8GiB\n  cpus = 1\n}\n')
    found = await diagnostics_until(client, uri, lambda d: len(d) > 0)
    assert "E0108" in codes(found)
    change(client, uri, 2, insert_at(types.Position(line=0, character=0), 'stack "new" {\n  domain = "example.org"\n}\n\n'))
    found = await diagnostics_until(client, uri, lambda d: "E0108" not in codes(d))
    assert errors(found) == []


async def test_closing_an_unsaved_document_falls_back_to_the_disk(client, lab: Files):
    """An error typed into hosts.eos and never saved: once the editor closes
    it, the root's check reads the file on disk again, which is clean."""
    root = open_doc(client, lab, "stack.eos")
    hosts = open_doc(client, lab, "hosts.eos")
    replace(client, lab, "hosts.eos", "kind = nvme", "kind = nvm")
    await diagnostics_until(client, hosts, lambda d: [x.code for x in d] == ["E0103"])
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=hosts))
    )
    assert await diagnostics_until(client, hosts, lambda d: len(d) == 0) == []
    await settle(client, root)


async def test_a_deleted_file_loses_its_diagnostics(client, lab: Files):
    web = lab.path("services/web.eos")
    web.write_text(web.read_text().replace("[postgres]", "[postgress]"))
    root = open_doc(client, lab, "stack.eos")
    await diagnostics_until(client, lab.uri("services/web.eos"), lambda d: len(d) == 1)
    web.unlink()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=lab.uri("services/web.eos"), type=types.FileChangeType.Deleted)]
        )
    )
    assert await diagnostics_until(client, lab.uri("services/web.eos"), lambda d: len(d) == 0) == []
    await settle(client, root)
    assert not client.diagnostics.get(root)


async def test_ranges_count_utf16_units(client, single: Files):
    """Two emoji (two UTF-16 units each) before a misspelt attribute on the
    same line: its range is in UTF-16 units, as LSP positions are."""
    text = single.text("single.eos").replace('    path = "/ping"', '    path = "/😀😀" memroy = 1GiB')
    uri = open_doc(client, single, "single.eos", text=text)
    found = await diagnostics_until(client, uri, lambda d: "E0102" in codes(d))
    typo = next(d for d in found if d.code == "E0102")
    line = text.split("\n")[typo.range.start.line]
    assert typo.range.start.character == len(line[: line.index("memroy")].encode("utf-16-le")) // 2
    assert typo.range == single.range("single.eos", "memroy", text=text)
    assert typo.range.start == types.Position(line=36, character=19)


async def test_crlf_line_endings(client, single: Files):
    text = single.text("single.eos").replace("\n", "\r\n")
    uri = open_doc(client, single, "single.eos", text=text)
    await settle(client, uri)
    assert not client.diagnostics.get(uri)
    text, _ = replace(client, single, "single.eos", "  memory   = 256MiB", "  memroy   = 256MiB", text=text)
    found = await diagnostics_until(client, uri, lambda d: "E0102" in codes(d))
    typo = next(d for d in found if d.code == "E0102")
    assert typo.range == types.Range(
        start=types.Position(line=20, character=2), end=types.Position(line=20, character=8)
    )


async def test_diagnostics_carry_the_document_version(client, single: Files):
    uri = open_doc(client, single, "single.eos")
    await settle(client, uri)
    published = client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    change(client, uri, 7, insert_at(types.Position(line=0, character=0), "x"))
    params = await asyncio.wait_for(published, TIMEOUT)
    assert params.uri == uri
    assert params.version == 7


async def test_a_file_two_open_stacks_include_is_reported_once(client, lab: Files):
    """hosts.eos is included by stack.eos and by another root beside it:
    its one mistake is one diagnostic, not one per stack."""
    (lab.root / "other.eos").write_text(
        'stack "other" {\n  domain  = "other.example.org"\n  include = ["hosts.eos"]\n}\n'
    )
    hosts = lab.path("hosts.eos")
    hosts.write_text(hosts.read_text().replace("kind = nvme", "kind = nvm"))
    root = open_doc(client, lab, "stack.eos")
    open_doc(client, lab, "other.eos")
    await settle(client, root)
    found = client.diagnostics.get(lab.uri("hosts.eos"))
    assert [(d.code, d.range) for d in found] == [
        ("E0103", lab.range("hosts.eos", "kind = nvm", word="nvm"))
    ]


async def test_a_file_its_root_stops_including_is_still_served(client, lab: Files):
    """apps.eos was opened as part of stack.eos; stack.eos (saved by another
    program) no longer includes it. The document is not left without a
    stack: requests on it are answered and it is checked (alone, it has no
    `stack` block: E0108)."""
    apps = open_doc(client, lab, "apps.eos")
    await settle(client, apps)
    root = lab.path("stack.eos")
    root.write_text(root.read_text().replace('"apps.eos", ', ""))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=lab.uri("stack.eos"), type=types.FileChangeType.Changed)]
        )
    )
    symbols = await request(
        client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=apps))
        )
    )
    assert [s.name for s in symbols] == ["wiki", "blog", "reports"]
    found = await diagnostics_until(client, apps, lambda d: len(d) > 0)
    assert "E0108" in codes(found)
