"""Formatting: the same text as `eosc fmt` (comments kept), as one edit of
the whole document; nothing to do for a formatted file; a file that does not
parse is left alone."""

from __future__ import annotations

import subprocess

from lsprotocol import types

from conftest import EOSC, Files, apply_edits, open_doc, replace, request


def eosc_fmt(text: str) -> str:
    done = subprocess.run([EOSC, "fmt", "-"], input=text, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def formatting(client, uri: str):
    return await request(
        client.text_document_formatting_async(
            types.DocumentFormattingParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                options=types.FormattingOptions(tab_size=2, insert_spaces=True),
            )
        )
    )


MESSY = """// A stack typed in a hurry.
stack "single" { domain = "example.org" }
host "box" {
address = "192.0.2.10"   // the only box
    memory = 16GiB
  cpus=4
  disk "ssd0" { size = 500GB
  kind = ssd }
}

service "caddy" {
  runtime = baremetal
  provides = [ caddy ]
  on = [box,]
  memory = 256MiB
  cpu = 0.5
  /* TLS ends here */
}
"""


async def test_the_same_text_as_eosc_fmt(client, single: Files):
    uri = open_doc(client, single, "single.eos", text=MESSY)
    edits = await formatting(client, uri)
    expected = eosc_fmt(MESSY)
    assert expected != MESSY
    # One edit, over the whole document.
    assert len(edits) == 1
    assert edits[0].range.start == types.Position(line=0, character=0)
    assert edits[0].range.end == types.Position(line=MESSY.count("\n"), character=0)
    assert edits[0].new_text == expected
    assert apply_edits(MESSY, edits) == expected
    # Comments kept, layout canonical.
    assert "// the only box" in expected and "/* TLS ends here */" in expected
    assert '  address = "192.0.2.10" // the only box\n' in expected


async def test_the_unsaved_text_is_formatted(client, single: Files):
    """Formatting reads the editor's buffer after incremental edits, not the
    file on disk."""
    uri = open_doc(client, single, "single.eos")
    assert await formatting(client, uri) == []
    text, _ = replace(client, single, "single.eos", "  cpu      = 0.5\n", "  cpu=0.5\n")
    edits = await formatting(client, uri)
    assert len(edits) == 1
    assert apply_edits(text, edits) == single.text("single.eos")


async def test_a_formatted_file_needs_no_edit(client, lab: Files):
    for rel in ["stack.eos", "hosts.eos", "modules/web.eos", "environments/staging.eos"]:
        uri = open_doc(client, lab, rel)
        assert await formatting(client, uri) == [], rel


async def test_a_file_that_does_not_parse_is_left_alone(client, single: Files):
    broken = single.text("single.eos").replace('domain = "example.org"', 'domain = "example.org')
    uri = open_doc(client, single, "single.eos", text=broken)
    assert await formatting(client, uri) is None
