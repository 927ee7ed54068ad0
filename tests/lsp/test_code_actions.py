"""Code actions: each "did you mean" diagnostic has a quick fix that writes
the suggestion in place of the misspelt word; only the fixes of the
diagnostics in the requested range are offered."""

from __future__ import annotations

import pytest
from lsprotocol import types

from conftest import Files, apply_edits, diagnostics_until, open_doc, replace, request, settle

WHOLE = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=10_000, character=0))


async def actions(client, files: Files, rel: str, where: types.Range = WHOLE, diagnostics=()):
    found = await request(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=files.uri(rel)),
                range=where,
                context=types.CodeActionContext(
                    diagnostics=list(diagnostics), only=[types.CodeActionKind.QuickFix]
                ),
            )
        )
    )
    assert found is not None
    return found


def fix(files: Files, rel: str, action: types.CodeAction) -> list[tuple]:
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.is_preferred is True
    assert list(action.edit.changes) == [files.uri(rel)]
    return [
        (e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character, e.new_text)
        for e in action.edit.changes[files.uri(rel)]
    ]


async def test_misspelt_attribute_block_kind_value_and_reference(client, opened: Files):
    rel = "services/web.eos"
    text, _ = replace(client, opened, rel, "  memory  = 512MiB", "  memroy  = 512MiB")
    text, _ = replace(client, opened, rel, "after   = [postgres]", "after   = [postgress]")
    text, _ = replace(client, opened, rel, "runtime = baremetal", "runtime = baremetl")
    text, _ = replace(client, opened, rel, "  health {", "  helth {")
    await diagnostics_until(client, opened.uri(rel), lambda d: len(d) == 5)

    found = await actions(client, opened, rel)
    titles = [a.title for a in found]
    assert titles == [
        "Change to `baremetal`",
        "Change to `postgres`",
        "Change to `memory`",
        "Change to `health`",
    ]
    r = lambda needle, word: opened.range(rel, needle, word=word, text=text)
    expected = [
        (r("runtime = baremetl", "baremetl"), "baremetal", "E0103"),
        (r("after   = [postgress]", "postgress"), "postgres", "E0201"),
        (r("  memroy  = 512MiB", "memroy"), "memory", "E0102"),
        (r("  helth {", "helth"), "health", "E0101"),
    ]
    for action, (where, new, code) in zip(found, expected):
        assert fix(opened, rel, action) == [
            (where.start.line, where.start.character, where.end.line, where.end.character, new)
        ]
        assert action.data == {"code": code}

    # All applied: the original file, and no diagnostics left.
    fixed = apply_edits(text, [a.edit.changes[opened.uri(rel)][0] for a in found])
    assert fixed == opened.text(rel)
    replace(client, opened, rel, text, fixed)
    assert await diagnostics_until(client, opened.uri(rel), lambda d: len(d) == 0) == []


async def test_only_the_fixes_in_range(client, opened: Files):
    rel = "services/web.eos"
    text, _ = replace(client, opened, rel, "  memory  = 512MiB", "  memroy  = 512MiB")
    text, _ = replace(client, opened, rel, "after   = [postgres]", "after   = [postgress]")
    await diagnostics_until(client, opened.uri(rel), lambda d: len(d) >= 2)
    # The cursor at the end of `memroy` (touching counts).
    end = opened.range(rel, "memroy", text=text).end
    found = await actions(client, opened, rel, types.Range(start=end, end=end))
    assert [a.title for a in found] == ["Change to `memory`"]
    # A line with no diagnostic: nothing.
    line = opened.pos(rel, "  cpu     = 0.5", text=text)
    assert await actions(client, opened, rel, types.Range(start=line, end=line)) == []


async def test_fixes_in_a_file_of_a_module_instance_and_an_environment(client, opened: Files):
    text, _ = replace(client, opened, "apps.eos", "disk   = hv2.nvme0", "disk   = hv2.nvme1")
    text, _ = replace(client, opened, "apps.eos", '  image  = "ghcr.io/example/blog', '  imag  = "ghcr.io/example/blog')
    await diagnostics_until(client, opened.uri("apps.eos"), lambda d: len(d) >= 2)
    found = await actions(client, opened, "apps.eos")
    assert [(a.title, fix(opened, "apps.eos", a)) for a in found] == [
        ("Change to `nvme0`", [(4, 15, 4, 20, "nvme0")]),
        ("Change to `image`", [(9, 2, 9, 6, "image")]),
    ]

    rel = "environments/staging.eos"
    text, _ = replace(client, opened, rel, "    memory = 1GiB\n  }\n\n  module", "    memroy = 1GiB\n  }\n\n  module")
    await diagnostics_until(client, opened.uri(rel), lambda d: len(d) >= 1)
    found = await actions(client, opened, rel)
    where = opened.range(rel, "memroy", text=text)
    assert [(a.title, fix(opened, rel, a)) for a in found] == [
        ("Change to `memory`", [(where.start.line, where.start.character, where.end.line, where.end.character, "memory")]),
    ]


async def test_a_misspelt_param_has_its_fix(client, opened: Files):
    """`param.imag` is E0201 with "did you mean `param.image`?": the fix
    rewrites the param's name, `imag` → `image`."""
    rel = "modules/web.eos"
    text, _ = replace(client, opened, rel, "param.image", "param.imag")
    found = await diagnostics_until(client, opened.uri(rel), lambda d: len(d) >= 1)
    assert "did you mean `param.image`?" in found[0].message
    found = await actions(client, opened, rel)
    where = opened.range(rel, "param.imag", word="imag", text=text)
    assert [(a.title, fix(opened, rel, a)) for a in found] == [
        ("Change to `image`", [(where.start.line, where.start.character, where.end.line, where.end.character, "image")]),
    ]


async def test_no_fix_without_a_suggestion(client, opened: Files):
    rel = "services/web.eos"
    text, _ = replace(client, opened, rel, "after   = [postgres]", "after   = [zzzzzz]")
    found = await diagnostics_until(client, opened.uri(rel), lambda d: len(d) >= 1)
    assert "did you mean" not in found[0].message
    assert await actions(client, opened, rel) == []
