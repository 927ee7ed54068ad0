"""Go to definition and find references, across the files of a stack:
hosts, disks (`HOST.DISK`), services, ports (`SVC.PORT`, a health check's
own port), params, module instances and their services (`wiki-db` is `db`
of the module), environments, and a module's `source` (the file)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from conftest import Files, open_doc, request, settle


def where(files: Files, locations) -> list[tuple[str, tuple[int, int, int, int]]]:
    """Locations as (file relative to the stack, (line, col, line, col))."""
    assert locations is not None
    prefix = files.root.as_uri() + "/"
    out = []
    for l in locations:
        assert l.uri.startswith(prefix), l.uri
        r = l.range
        out.append((l.uri[len(prefix):], (r.start.line, r.start.character, r.end.line, r.end.character)))
    return out


def at(files: Files, rel: str, needle: str, word: str, nth: int = 0):
    r = files.range(rel, needle, nth=nth, word=word)
    return rel, (r.start.line, r.start.character, r.end.line, r.end.character)


async def definition(client, files: Files, rel: str, needle: str, delta: int, nth: int = 0):
    found = await request(
        client.text_document_definition_async(
            types.DefinitionParams(
                text_document=types.TextDocumentIdentifier(uri=files.uri(rel)),
                position=files.pos(rel, needle, nth=nth, delta=delta),
            )
        )
    )
    return None if found is None else where(files, found)


async def references(client, files: Files, rel: str, needle: str, delta: int, declaration: bool):
    found = await request(
        client.text_document_references_async(
            types.ReferenceParams(
                text_document=types.TextDocumentIdentifier(uri=files.uri(rel)),
                position=files.pos(rel, needle, delta=delta),
                context=types.ReferenceContext(include_declaration=declaration),
            )
        )
    )
    return where(files, found)


async def test_host_definition_in_another_file(client, opened: Files):
    assert await definition(client, opened, "services/web.eos", "on      = [hv1]", 12) == [
        ("hosts.eos", (0, 6, 0, 9))
    ]
    # The cursor just after the name still stands on it.
    assert await definition(client, opened, "services/web.eos", "on      = [hv1]", 14) == [
        ("hosts.eos", (0, 6, 0, 9))
    ]


async def test_host_references_in_every_file(client, opened: Files):
    uses = [
        ("services/core.eos", (4, 14, 4, 17)),    # docker
        ("services/core.eos", (15, 14, 15, 17)),  # consul
        ("services/core.eos", (30, 14, 30, 17)),  # nomad
        ("services/core.eos", (46, 14, 46, 17)),  # caddy
        ("services/core.eos", (71, 14, 71, 17)),  # vault
        ("services/web.eos", (2, 13, 2, 16)),     # grafana
        at(opened, "apps.eos", "disk   = hv1.ssd0", "hv1"),
        at(opened, "environments/staging.eos", "on      = [hv1]", "hv1"),
    ]
    found = await references(client, opened, "hosts.eos", 'host "hv1"', 7, declaration=False)
    assert found == uses
    found = await references(client, opened, "services/web.eos", "on      = [hv1]", 12, declaration=True)
    assert found == [("hosts.eos", (0, 6, 0, 9))] + uses


async def test_disk(client, opened: Files):
    assert await definition(client, opened, "apps.eos", "disk   = hv2.nvme0", 14) == [
        at(opened, "hosts.eos", 'disk "nvme0"', "nvme0")
    ]
    # The host part of `hv2.nvme0` is the host.
    assert await definition(client, opened, "apps.eos", "disk   = hv2.nvme0", 10) == [
        at(opened, "hosts.eos", 'host "hv2"', "hv2")
    ]
    assert await references(client, opened, "hosts.eos", 'disk "nvme0"', 8, declaration=True) == [
        at(opened, "hosts.eos", 'disk "nvme0"', "nvme0"),
        at(opened, "apps.eos", "disk   = hv2.nvme0", "nvme0"),
    ]


async def test_service_and_port_of_a_connection(client, opened: Files):
    postgres = ("services/core.eos", (51, 9, 51, 17))
    assert await definition(client, opened, "services/web.eos", "DB = postgres.pg", 7) == [postgres]
    assert await definition(client, opened, "services/web.eos", "DB = postgres.pg", 15) == [
        ("services/core.eos", (58, 8, 58, 10))
    ]
    # postgres: its `after`, its connection, and its changes in staging.
    assert await references(client, opened, "services/core.eos", 'service "postgres"', 10, declaration=True) == [
        postgres,
        at(opened, "services/web.eos", "after   = [postgres]", "postgres"),
        at(opened, "services/web.eos", "DB = postgres.pg", "postgres"),
        at(opened, "environments/staging.eos", 'service "postgres"', "postgres"),
    ]
    # pg: its health check and the connection.
    assert await references(client, opened, "services/core.eos", 'port "pg"', 7, declaration=False) == [
        at(opened, "services/core.eos", "port = pg", "pg"),
        at(opened, "services/web.eos", "DB = postgres.pg", "pg"),
    ]


async def test_own_port_of_a_health_check_and_a_route(client, opened: Files):
    http = at(opened, "services/web.eos", 'port "http"', "http")
    assert await definition(client, opened, "services/web.eos", "port = http", 8) == [http]
    assert await definition(client, opened, "services/web.eos", "to   = grafana.http", 15) == [http]
    assert await references(client, opened, "services/web.eos", "port = http", 8, declaration=True) == [
        http,
        at(opened, "services/web.eos", "port = http", "http"),
        at(opened, "services/web.eos", "to   = grafana.http", "http"),
    ]


async def test_an_environment_change_names_the_base_block(client, opened: Files):
    assert await definition(client, opened, "environments/staging.eos", 'service "postgres"', 10) == [
        ("services/core.eos", (51, 9, 51, 17))
    ]
    assert await definition(client, opened, "environments/staging.eos", 'module "wiki"', 9) == [
        ("apps.eos", (0, 8, 0, 12))
    ]


async def test_a_block_only_an_environment_adds(client, opened: Files):
    mailpit = at(opened, "environments/staging.eos", 'service "mailpit"', "mailpit")
    assert await definition(client, opened, "environments/staging.eos", 'service "mailpit"', 10) == [mailpit]
    assert await references(client, opened, "environments/staging.eos", 'service "mailpit"', 10, declaration=True) == [mailpit]


async def test_references_without_the_declaration_of_an_environment_block(client, opened: Files):
    """mailpit is declared by staging's block and used nowhere: without the
    declaration there is nothing to list (as for any other name)."""
    assert await references(client, opened, "environments/staging.eos", 'service "mailpit"', 10, declaration=False) == []


async def test_environment(client, opened: Files):
    staging = at(opened, "environments/staging.eos", 'env "staging"', "staging")
    assert await definition(client, opened, "environments/staging.eos", 'env "staging"', 6) == [staging]
    assert await references(client, opened, "environments/staging.eos", 'env "staging"', 6, declaration=False) == []


async def test_params(client, opened: Files):
    host = at(opened, "modules/web.eos", 'param "host"', "host")
    # From `param.host`, from an instance's argument, from staging's change
    # of an argument.
    assert await definition(client, opened, "modules/web.eos", "host = param.host", 14) == [host]
    assert await definition(client, opened, "apps.eos", 'host   = "wiki', 1) == [host]
    assert await definition(client, opened, "environments/staging.eos", 'host = "wiki', 1) == [host]
    assert await references(client, opened, "modules/web.eos", 'param "host"', 8, declaration=True) == [
        at(opened, "apps.eos", 'host   = "wiki', "host"),
        at(opened, "apps.eos", 'host   = "blog', "host"),
        at(opened, "environments/staging.eos", 'host = "wiki', "host"),
        host,
        at(opened, "modules/web.eos", "param.host", "host"),
    ]


async def test_module_instance(client, opened: Files):
    wiki = ("apps.eos", (0, 8, 0, 12))
    assert await definition(client, opened, "apps.eos", 'module "wiki"', 9) == [wiki]
    assert await references(client, opened, "apps.eos", 'module "wiki"', 9, declaration=True) == [
        wiki,
        at(opened, "environments/staging.eos", 'module "wiki"', "wiki"),
    ]


async def test_module_source_is_the_module_file(client, opened: Files):
    assert await definition(client, opened, "apps.eos", 'source = "modules/web.eos"', 12) == [
        ("modules/web.eos", (0, 0, 0, 0))
    ]


async def test_an_instance_service_is_the_module_service(client, opened: Files):
    """`wiki-db` (written outside) is declared by `service "db"` of the
    module; `db` (written inside) counts every instance's uses."""
    db = at(opened, "modules/web.eos", 'service "db"', "db")
    assert await definition(client, opened, "apps.eos", "after   = [wiki-db]", 13) == [db]
    assert await definition(client, opened, "modules/web.eos", "after   = [db]", 12) == [db]
    assert await references(client, opened, "modules/web.eos", 'service "db"', 10, declaration=True) == [
        at(opened, "apps.eos", "after   = [wiki-db]", "wiki-db"),
        at(opened, "apps.eos", "WIKI_DB = wiki-db.pg", "wiki-db"),
        at(opened, "environments/staging.eos", 'service "wiki-db"', "wiki-db"),
        at(opened, "modules/web.eos", "after   = [db]", "db"),
        at(opened, "modules/web.eos", "DATABASE = db.pg", "db"),
        db,
    ]
    # Its port, through an instance's connection.
    pg = at(opened, "modules/web.eos", 'port "pg"', "pg")
    assert await definition(client, opened, "apps.eos", "WIKI_DB = wiki-db.pg", 19) == [pg]
    assert await references(client, opened, "modules/web.eos", 'port "pg"', 7, declaration=False) == [
        at(opened, "apps.eos", "WIKI_DB = wiki-db.pg", "pg"),
        at(opened, "modules/web.eos", "DATABASE = db.pg", "pg"),
        at(opened, "modules/web.eos", "port = pg", "pg"),
    ]


async def test_nowhere_to_go(client, opened: Files):
    # A string value and a number are no names.
    assert await definition(client, opened, "hosts.eos", '"10.0.0.11"', 3) is None
    assert await definition(client, opened, "hosts.eos", "32GiB", 1) is None
    assert await references(client, opened, "hosts.eos", "32GiB", 1, declaration=True) == []
