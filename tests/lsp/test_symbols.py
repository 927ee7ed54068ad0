"""documentSymbol: the outline of a file, every block with its label,
nested as written (ports, health checks, volumes and their backups, an
environment's changes, NUMA nodes by number)."""

from __future__ import annotations

from lsprotocol import types

from conftest import Files, open_doc, request

K = types.SymbolKind


async def outline(client, uri: str):
    found = await request(
        client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
    )
    assert found is not None
    assert all(isinstance(s, types.DocumentSymbol) for s in found)
    return found


def tree(symbols) -> list:
    return [
        (s.name, s.detail, s.kind, tree(s.children) if s.children else [])
        for s in symbols
    ]


def r(l1, c1, l2, c2) -> types.Range:
    return types.Range(start=types.Position(line=l1, character=c1), end=types.Position(line=l2, character=c2))


async def test_nested_outline_of_a_module_file(client, lab: Files):
    found = await outline(client, open_doc(client, lab, "modules/web.eos"))
    assert tree(found) == [
        ("image", "param", K.Variable, []),
        ("host", "param", K.Variable, []),
        ("disk", "param", K.Variable, []),
        ("app", "service", K.Object, [
            ("http", "port", K.Field, []),
            ("health", None, K.Struct, []),
        ]),
        ("db", "service", K.Object, [
            ("pg", "port", K.Field, []),
            ("health", None, K.Struct, []),
            ("data", "volume", K.Field, [("backup", None, K.Struct, [])]),
        ]),
        ("app", "route", K.Interface, []),
    ]
    db = found[4]
    assert db.range == r(31, 0, 55, 1)
    assert db.selection_range == r(31, 0, 31, 12)
    assert db.children[2].range == r(46, 2, 54, 3)
    assert db.children[2].selection_range == r(46, 2, 46, 15)


async def test_outline_of_an_environment(client, lab: Files):
    found = await outline(client, open_doc(client, lab, "environments/staging.eos"))
    assert tree(found) == [
        ("staging", "env", K.Namespace, [
            ("stack", None, K.Package, []),
            ("postgres", "service", K.Object, []),
            ("wiki", "module", K.Module, []),
            ("wiki-db", "service", K.Object, []),
            ("mailpit", "service", K.Object, []),
        ]),
    ]
    assert found[0].range == r(0, 0, 23, 1)


async def test_outline_of_hosts_with_disks(client, lab: Files):
    found = await outline(client, open_doc(client, lab, "hosts.eos"))
    assert tree(found) == [
        ("hv1", "host", K.Class, [("ssd0", "disk", K.Field, [])]),
        ("hv2", "host", K.Class, [("nvme0", "disk", K.Field, [])]),
    ]
    assert found[1].selection_range == r(11, 0, 11, 10)


async def test_outline_of_the_root(client, lab: Files):
    found = await outline(client, open_doc(client, lab, "stack.eos"))
    assert tree(found) == [("lab", "stack", K.Package, [("backup", None, K.Struct, [])])]


async def test_outline_while_a_block_is_half_typed(client, single: Files):
    """The blocks before a syntax error are still outlined."""
    text = single.text("single.eos") + '\nservice "new" {\n  runtime = \n'
    found = await outline(client, open_doc(client, single, "single.eos", text=text))
    names = [s.name for s in found]
    assert names[:5] == ["single", "box", "caddy", "cockpit", "admin"]
