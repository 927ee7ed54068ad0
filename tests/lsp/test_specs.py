"""The repository's example stacks, opened as an editor opens them (read
only): specs/eos.eos, a stack of one file, and specs/platform.eos, a stack
over specs/platform/ with a module stamped out twice and an environment —
whose files, opened alone, are checked as part of it."""

from __future__ import annotations

from lsprotocol import types

from conftest import Files, open_doc, request, settle


def where(files: Files, locations):
    prefix = files.root.as_uri() + "/"
    return [
        (l.uri[len(prefix):], (l.range.start.line, l.range.start.character, l.range.end.line, l.range.end.character))
        for l in locations
    ]


def position(files: Files, rel: str, needle: str, delta: int):
    return dict(
        text_document=types.TextDocumentIdentifier(uri=files.uri(rel)),
        position=files.pos(rel, needle, delta=delta),
    )


async def test_eos_checks_clean_and_hovers(client, specs: Files):
    uri = open_doc(client, specs, "eos.eos")
    await settle(client, uri)
    assert not client.diagnostics.get(uri)

    found = await request(client.text_document_hover_async(
        types.HoverParams(**position(specs, "eos.eos", 'service "docker"', 10))
    ))
    text = found.contents.value
    assert text.startswith("**service `docker`** — baremetal, bootstrap stage 0\n\n")
    # One line per host it runs on.
    assert [line.split(":")[0] for line in text.split("\n") if line.startswith("- on ")] == [
        "- on `hv1` ×1", "- on `hv2` ×1", "- on `hv3` ×1", "- on `hv4` ×1", "- on `hv5` ×1",
    ]

    found = await request(client.text_document_hover_async(
        types.HoverParams(**position(specs, "eos.eos", 'host "hv1"', 7))
    ))
    text = found.contents.value
    assert "- NUMA node 0: memory: 4 GiB used of a budget of 38.4 GiB (10.4%), 48 GiB installed" in text
    assert "- disk `ssd0`: space: 3.4 TB used of a budget of 3.46 TB (98.4%), 3.84 TB installed" in text


async def test_eos_outline_has_numa_nodes_by_number(client, specs: Files):
    uri = open_doc(client, specs, "eos.eos")
    found = await request(client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    ))
    hv1 = found[1]
    assert (hv1.name, hv1.detail) == ("hv1", "host")
    assert [(c.name, c.detail, c.kind) for c in hv1.children] == [
        ("0", "numa", types.SymbolKind.Number),
        ("1", "numa", types.SymbolKind.Number),
        ("nvme0", "disk", types.SymbolKind.Field),
        ("nvme1", "disk", types.SymbolKind.Field),
        ("ssd0", "disk", types.SymbolKind.Field),
    ]


async def test_a_platform_file_opened_alone_belongs_to_platform(client, specs: Files):
    """apps/wiki.eos has no stack block: it is checked as part of
    platform.eos (found on disk), so its host and disk resolve, and its
    names lead into the other files of the stack."""
    uri = open_doc(client, specs, "platform/apps/wiki.eos")
    await settle(client, uri)
    assert not client.diagnostics.get(uri)

    found = await request(client.text_document_definition_async(
        types.DefinitionParams(**position(specs, "platform/apps/wiki.eos", "db_disk = hv2.ssd1", 15))
    ))
    assert where(specs, found) == [("platform/hosts.eos", (63, 8, 63, 12))]

    found = await request(client.text_document_hover_async(
        types.HoverParams(**position(specs, "platform/apps/wiki.eos", 'module "wiki"', 9))
    ))
    assert found.contents.value == (
        "**module instance `wiki`** of `platform/modules/app.eos`: its services are named `wiki-SERVICE`"
    )

    # The param, from the argument: declared in the module, given by both
    # instances, used twice in the module.
    found = await request(client.text_document_references_async(
        types.ReferenceParams(
            **position(specs, "platform/apps/wiki.eos", "db_disk", 2),
            context=types.ReferenceContext(include_declaration=True),
        )
    ))
    assert where(specs, found) == [
        ("platform/apps/git.eos", (6, 2, 6, 9)),
        ("platform/apps/wiki.eos", (6, 2, 6, 9)),
        ("platform/modules/app.eos", (17, 7, 17, 14)),
        ("platform/modules/app.eos", (87, 17, 87, 24)),
        ("platform/modules/app.eos", (118, 17, 118, 24)),
    ]


async def test_the_module_file_lists_both_instances(client, specs: Files):
    uri = open_doc(client, specs, "platform/modules/app.eos")
    await settle(client, uri)
    assert not client.diagnostics.get(uri)
    found = await request(client.text_document_hover_async(
        types.HoverParams(**position(specs, "platform/modules/app.eos", 'service "db"', 10))
    ))
    assert found.contents.value == (
        "**service `db`** of module `platform/modules/app.eos`\n\ninstances: `git-db`, `wiki-db`"
    )


async def test_the_environment_file_changes_base_blocks(client, specs: Files):
    uri = open_doc(client, specs, "platform/environments/staging.eos")
    await settle(client, uri)
    assert not client.diagnostics.get(uri)
    found = await request(client.text_document_definition_async(
        types.DefinitionParams(**position(specs, "platform/environments/staging.eos", 'service "authentik"', 10))
    ))
    assert where(specs, found) == [("platform/core/services.eos", (310, 9, 310, 18))]
    found = await request(client.text_document_hover_async(
        types.HoverParams(**position(specs, "platform/environments/staging.eos", 'module "wiki"', 9))
    ))
    assert "`platform/modules/app.eos`" in found.contents.value


async def test_an_error_typed_in_a_platform_file_is_reported_there(client, specs: Files):
    """The unsaved buffer of an included file is what platform.eos reads:
    a disk the host lacks is E0201 in apps/wiki.eos, nothing on disk changes."""
    rel = "platform/apps/wiki.eos"
    text = specs.text(rel)
    uri = open_doc(client, specs, rel, text=text.replace("hv2.ssd1", "hv2.ssd9"))
    await settle(client, uri)
    found = client.diagnostics.get(uri)
    assert found, "no diagnostics"
    assert [(d.code, d.range.start.line, d.range.start.character) for d in found] == [
        ("E0201", 6, 16)
    ]
    assert "did you mean `ssd0`?" in found[0].message or "did you mean `ssd1`?" in found[0].message
    assert specs.text(rel) == text
