"""A server given what an editor sends mid-typing — unterminated strings and
comments, half blocks, stray brackets, positions past the end of a line or
inside a surrogate pair, edits with reversed ranges — keeps answering every
request (an error answer is fine where there is nothing to answer, an
internal error is not), and checks the text right again once it is valid."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from conftest import (
    TIMEOUT,
    Files,
    change,
    diagnostics_until,
    insert_at,
    open_doc,
    position_of,
    settle,
)

INTERNAL_ERROR = -32603


async def ask_everything(client, uri: str, position: types.Position) -> list[tuple[str, int, str]]:
    """Every request the server answers, at `position`: the internal errors
    (and time-outs) found, as (method, code, message)."""
    doc = types.TextDocumentIdentifier(uri=uri)
    at = dict(text_document=doc, position=position)
    requests = {
        "hover": client.text_document_hover_async(types.HoverParams(**at)),
        "definition": client.text_document_definition_async(types.DefinitionParams(**at)),
        "references": client.text_document_references_async(
            types.ReferenceParams(**at, context=types.ReferenceContext(include_declaration=True))
        ),
        "prepareRename": client.text_document_prepare_rename_async(types.PrepareRenameParams(**at)),
        "rename": client.text_document_rename_async(types.RenameParams(**at, new_name="renamed")),
        "completion": client.text_document_completion_async(types.CompletionParams(**at)),
        "formatting": client.text_document_formatting_async(
            types.DocumentFormattingParams(
                text_document=doc, options=types.FormattingOptions(tab_size=2, insert_spaces=True)
            )
        ),
        "codeAction": client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=doc,
                range=types.Range(start=types.Position(line=0, character=0), end=position),
                context=types.CodeActionContext(diagnostics=[]),
            )
        ),
        "documentSymbol": client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=doc)
        ),
    }
    bad = []
    for method, awaitable in requests.items():
        try:
            await asyncio.wait_for(awaitable, TIMEOUT)
        except JsonRpcException as e:
            if e.code == INTERNAL_ERROR:
                bad.append((method, e.code, e.message))
        except asyncio.TimeoutError:
            bad.append((method, 0, "no answer"))
    return bad


async def test_typing_a_whole_stack_character_by_character(client, single: Files):
    """From an empty file to the whole of single.eos, one keystroke per
    didChange; at every newline, every request at the cursor."""
    goal = single.text("single.eos")
    uri = open_doc(client, single, "single.eos", text="")
    text = ""
    found = []
    for version, ch in enumerate(goal, start=2):
        at = position_of(text, len(text))
        change(client, uri, version, insert_at(at, ch))
        text += ch
        if ch == "\n" or ch == '"':
            found += await ask_everything(client, uri, position_of(text, len(text)))
    assert found == []
    # Whole and valid again: nothing to report.
    assert await diagnostics_until(client, uri, lambda d: len(d) == 0) == []
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=single.pos("single.eos", 'service "cockpit"', delta=10),
        )
    )
    assert hover.contents.value.startswith("**service `cockpit`** — baremetal, bootstrap stage 0")


GARBAGE = [
    'service "web',                     # unterminated string at the end
    'service "web\n  memory = 1GiB\n',  # unterminated string, then more lines
    "service {",                         # no label
    "service \"x\" { port \"p\" { number = ",
    "host \"a\" { disk \"b\" { size = 1TB",
    "}}}}",
    "]]]] ,,, === {{{{",
    "/* never closed",
    "# a comment\n// another\n/* a third */ host",
    "route \"r\" { to = .. }",
    "service \"x\" { env = { A = B = C } }",
    "service \"x\" { on = [hv1 hv2] }",
    'service "é😀x" { memory = 1GiB }',
    "service \"x\" { memory = 12ZiB cpu = 1e99 }",
    "module \"m\" { source = \"../../../etc/passwd\" }",
    "module \"m\" { source = \"single.eos\" }",
    "env \"e\" { env \"f\" { } }",
    "stack \"other\" {}",
    "\u0000\u0001\ufeff",
    "x" * 5000,
    "[" * 300,
    "service \"x\" {\n" * 100,
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
async def test_garbage_mid_file_keeps_the_server_answering(client, single: Files, garbage: str):
    """Garbage inserted in the middle of a valid stack (after `caddy`), every
    request asked at several places, then the garbage removed again."""
    text = single.text("single.eos")
    uri = open_doc(client, single, "single.eos", text=text)
    at = single.pos("single.eos", 'service "cockpit"')
    change(client, uri, 2, insert_at(at, garbage))
    broken = text[: single.offset("single.eos", 'service "cockpit"')] + garbage + text[single.offset("single.eos", 'service "cockpit"'):]
    found = []
    end = position_of(broken, single.offset("single.eos", 'service "cockpit"') + len(garbage))
    for p in [
        at,
        end,
        types.Position(line=at.line, character=at.character + min(5, len(garbage))),
        single.pos("single.eos", "on       = [box]", delta=13),   # a name before it
        position_of(broken, len(broken)),                          # the very end
        types.Position(line=end.line, character=end.character + 1000),  # past the line
        types.Position(line=10_000, character=0),                   # past the file
    ]:
        found += await ask_everything(client, uri, p)
    assert found == []
    # The garbage is reported, not swallowed.
    assert await diagnostics_until(client, uri, lambda d: len(d) > 0)
    # Removed: clean again.
    change(client, uri, 3, (types.Range(start=at, end=end), ""))
    assert await diagnostics_until(client, uri, lambda d: len(d) == 0) == []


async def test_positions_inside_a_surrogate_pair(client, single: Files):
    """An emoji is two UTF-16 units: a position between them, and an edit
    that starts there, are clamped, never a crash."""
    text = single.text("single.eos").replace('"/ping"', '"/p😀ing"')
    uri = open_doc(client, single, "single.eos", text=text)
    emoji = single.pos("single.eos", "😀", text=text)
    inside = types.Position(line=emoji.line, character=emoji.character + 1)
    assert await ask_everything(client, uri, inside) == []
    change(client, uri, 2, (types.Range(start=inside, end=types.Position(line=inside.line, character=inside.character + 1)), "x"))
    assert await ask_everything(client, uri, inside) == []
    await settle(client, uri)


async def test_edits_with_odd_ranges(client, single: Files):
    """A reversed range, a range past the end of the file, and an insertion
    past the end of a line."""
    uri = open_doc(client, single, "single.eos")
    reversed_range = types.Range(start=types.Position(line=5, character=3), end=types.Position(line=2, character=0))
    change(client, uri, 2, (reversed_range, ""))
    beyond = types.Range(start=types.Position(line=500, character=0), end=types.Position(line=900, character=9))
    change(client, uri, 3, (beyond, "// appended\n"))
    change(client, uri, 4, insert_at(types.Position(line=0, character=999), " // end of line"))
    assert await ask_everything(client, uri, types.Position(line=3, character=4)) == []
    # A whole-document change puts everything right.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=5),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=single.text("single.eos"))],
        )
    )
    await settle(client, uri)
    assert not client.diagnostics.get(uri)


async def test_requests_about_documents_never_opened(client, single: Files, tmp_path):
    """An unknown document, a non-file URI: an error answer, and the server
    goes on."""
    for uri in [single.uri("single.eos"), (tmp_path / "nope.eos").as_uri(), "untitled:Untitled-1"]:
        with pytest.raises(JsonRpcException) as caught:
            await asyncio.wait_for(
                client.text_document_hover_async(
                    types.HoverParams(
                        text_document=types.TextDocumentIdentifier(uri=uri),
                        position=types.Position(line=0, character=0),
                    )
                ),
                TIMEOUT,
            )
        assert caught.value.code == -32602  # InvalidParams
    # A change to a document never opened is ignored.
    change(client, single.uri("single.eos"), 7, insert_at(types.Position(line=0, character=0), "x"))
    uri = open_doc(client, single, "single.eos")
    await settle(client, uri)
    assert not client.diagnostics.get(uri)


async def test_an_unknown_method_is_refused_and_the_server_goes_on(client, single: Files):
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wait_for(
            client.protocol.send_request_async("eos/notAMethod", {"x": 1}), TIMEOUT
        )
    assert caught.value.code == -32601  # MethodNotFound
    uri = open_doc(client, single, "single.eos")
    await settle(client, uri)


async def test_a_stack_that_includes_itself_and_missing_files(client, tmp_path):
    """include patterns that match the root, a folder and nothing: reported,
    and the server answers."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "root.eos").write_text(
        'stack "s" {\n  domain  = "example.org"\n  include = ["*.eos", "sub", "missing/*.eos"]\n}\n'
    )
    files = Files(tmp_path)
    uri = open_doc(client, files, "root.eos")
    found = await diagnostics_until(client, uri, lambda d: len(d) > 0)
    assert {d.code for d in found} == {"E0503"}
    assert await ask_everything(client, uri, files.pos("root.eos", '"sub"', delta=2)) == []
