"""prepareRename and rename, across the files of a stack: each rename's
edits are checked one by one, then applied to the files, and the stack must
still check clean with `eosc check` (nothing left dangling). Invalid names,
names already taken and names an instance derives are refused."""

from __future__ import annotations

import subprocess

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from conftest import EOSC, Files, apply_edits, open_doc, request, settle


async def prepare(client, files: Files, rel: str, needle: str, delta: int):
    return await request(
        client.text_document_prepare_rename_async(
            types.PrepareRenameParams(
                text_document=types.TextDocumentIdentifier(uri=files.uri(rel)),
                position=files.pos(rel, needle, delta=delta),
            )
        )
    )


async def rename(client, files: Files, rel: str, needle: str, delta: int, new_name: str):
    return await request(
        client.text_document_rename_async(
            types.RenameParams(
                text_document=types.TextDocumentIdentifier(uri=files.uri(rel)),
                position=files.pos(rel, needle, delta=delta),
                new_name=new_name,
            )
        )
    )


def edits_by_file(files: Files, edit: types.WorkspaceEdit):
    """{relative path: sorted [(line, col, line, col, new text)]}"""
    assert edit.document_changes is None
    prefix = files.root.as_uri() + "/"
    out = {}
    for uri, edits in (edit.changes or {}).items():
        assert uri.startswith(prefix), uri
        out[uri[len(prefix):]] = sorted(
            (e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character, e.new_text)
            for e in edits
        )
    return out


def applied_and_checked(files: Files, edit: types.WorkspaceEdit) -> None:
    """Writes the renamed files and checks the stack with the CLI."""
    prefix = files.root.as_uri() + "/"
    for uri, edits in (edit.changes or {}).items():
        path = files.path(uri[len(prefix):])
        path.write_text(apply_edits(path.read_text(), edits))
    checked = subprocess.run(
        [EOSC, "check", str(files.path("stack.eos"))], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def span(files: Files, rel: str, needle: str, word: str, new: str, nth: int = 0):
    r = files.range(rel, needle, nth=nth, word=word)
    return (r.start.line, r.start.character, r.end.line, r.end.character, new)


async def refused(awaitable) -> str:
    with pytest.raises(JsonRpcException) as caught:
        await awaitable
    assert caught.value.code == -32803  # RequestFailed
    return caught.value.message


async def test_host_across_files(client, opened: Files):
    assert await prepare(client, opened, "hosts.eos", 'host "hv1"', 7) == types.Range(
        start=types.Position(line=0, character=6), end=types.Position(line=0, character=9)
    )
    edit = await rename(client, opened, "services/web.eos", "on      = [hv1]", 12, "hv9")
    assert edits_by_file(opened, edit) == {
        "hosts.eos": [(0, 6, 0, 9, "hv9")],
        "services/core.eos": [
            (4, 14, 4, 17, "hv9"),
            (15, 14, 15, 17, "hv9"),
            (30, 14, 30, 17, "hv9"),
            (46, 14, 46, 17, "hv9"),
            (71, 14, 71, 17, "hv9"),
        ],
        "services/web.eos": [(2, 13, 2, 16, "hv9")],
        "apps.eos": [span(opened, "apps.eos", "disk   = hv1.ssd0", "hv1", "hv9")],
        "environments/staging.eos": [
            span(opened, "environments/staging.eos", "on      = [hv1]", "hv1", "hv9")
        ],
    }
    applied_and_checked(opened, edit)


async def test_files_the_editor_has_not_opened(client, lab: Files):
    """Only apps.eos is open: the rename still edits every file of the
    stack, read from disk."""
    open_doc(client, lab, "apps.eos")
    await settle(client, lab.uri("apps.eos"))
    edit = await rename(client, lab, "apps.eos", "disk   = hv1.ssd0", 10, "hv9")
    assert {rel: len(edits) for rel, edits in edits_by_file(lab, edit).items()} == {
        "hosts.eos": 1,
        "services/core.eos": 5,
        "services/web.eos": 1,
        "apps.eos": 1,
        "environments/staging.eos": 1,
    }
    applied_and_checked(lab, edit)


async def test_disk(client, opened: Files):
    edit = await rename(client, opened, "apps.eos", "disk   = hv2.nvme0", 15, "nvme9")
    assert edits_by_file(opened, edit) == {
        "hosts.eos": [span(opened, "hosts.eos", 'disk "nvme0"', "nvme0", "nvme9")],
        "apps.eos": [span(opened, "apps.eos", "disk   = hv2.nvme0", "nvme0", "nvme9")],
    }
    applied_and_checked(opened, edit)


async def test_service_and_its_environment_change(client, opened: Files):
    assert await prepare(client, opened, "services/web.eos", "DB = postgres.pg", 7) == opened.range(
        "services/web.eos", "DB = postgres.pg", word="postgres"
    )
    edit = await rename(client, opened, "services/web.eos", "DB = postgres.pg", 7, "pg16")
    assert edits_by_file(opened, edit) == {
        "services/core.eos": [(51, 9, 51, 17, "pg16")],
        "services/web.eos": [
            span(opened, "services/web.eos", "after   = [postgres]", "postgres", "pg16"),
            span(opened, "services/web.eos", "DB = postgres.pg", "postgres", "pg16"),
        ],
        "environments/staging.eos": [
            span(opened, "environments/staging.eos", 'service "postgres"', "postgres", "pg16")
        ],
    }
    applied_and_checked(opened, edit)


async def test_port(client, opened: Files):
    edit = await rename(client, opened, "services/core.eos", 'port "pg"', 7, "sql")
    assert edits_by_file(opened, edit) == {
        "services/core.eos": [
            span(opened, "services/core.eos", 'port "pg"', "pg", "sql"),
            span(opened, "services/core.eos", "port = pg", "pg", "sql"),
        ],
        "services/web.eos": [span(opened, "services/web.eos", "DB = postgres.pg", "pg", "sql")],
    }
    applied_and_checked(opened, edit)


async def test_own_port_from_a_health_check(client, opened: Files):
    edit = await rename(client, opened, "services/web.eos", "port = http", 8, "web")
    assert edits_by_file(opened, edit) == {
        "services/web.eos": [
            span(opened, "services/web.eos", 'port "http"', "http", "web"),
            span(opened, "services/web.eos", "port = http", "http", "web"),
            span(opened, "services/web.eos", "to   = grafana.http", "http", "web"),
        ],
    }
    applied_and_checked(opened, edit)


async def test_param_and_the_arguments(client, opened: Files):
    assert await prepare(client, opened, "modules/web.eos", "param.host", 7) == opened.range(
        "modules/web.eos", "param.host", word="host"
    )
    edit = await rename(client, opened, "modules/web.eos", "param.host", 7, "domain")
    assert edits_by_file(opened, edit) == {
        "modules/web.eos": [
            span(opened, "modules/web.eos", 'param "host"', "host", "domain"),
            span(opened, "modules/web.eos", "param.host", "host", "domain"),
        ],
        "apps.eos": [
            span(opened, "apps.eos", 'host   = "wiki', "host", "domain"),
            span(opened, "apps.eos", 'host   = "blog', "host", "domain"),
        ],
        "environments/staging.eos": [
            span(opened, "environments/staging.eos", 'host = "wiki', "host", "domain")
        ],
    }
    applied_and_checked(opened, edit)


async def test_param_to_a_name_with_an_underscore(client, opened: Files):
    """Params are attribute names at the instances (`db_disk`, `s3_size` in
    specs/platform/modules/app.eos): `_` is allowed in them."""
    edit = await rename(client, opened, "modules/web.eos", 'param "disk"', 8, "data_disk")
    assert edits_by_file(opened, edit) == {
        "modules/web.eos": [
            span(opened, "modules/web.eos", 'param "disk"', "disk", "data_disk"),
            span(opened, "modules/web.eos", "param.disk", "disk", "data_disk"),
        ],
        "apps.eos": [
            span(opened, "apps.eos", "disk   = hv2", "disk", "data_disk"),
            span(opened, "apps.eos", "disk   = hv1", "disk", "data_disk"),
        ],
    }
    applied_and_checked(opened, edit)


async def test_module_instance_renames_its_services_elsewhere(client, opened: Files):
    edit = await rename(client, opened, "environments/staging.eos", 'module "wiki"', 9, "docs")
    assert edits_by_file(opened, edit) == {
        "apps.eos": [
            (0, 8, 0, 12, "docs"),
            span(opened, "apps.eos", "after   = [wiki-db]", "wiki-db", "docs-db"),
            span(opened, "apps.eos", "WIKI_DB = wiki-db.pg", "wiki-db", "docs-db"),
        ],
        "environments/staging.eos": [
            span(opened, "environments/staging.eos", 'module "wiki"', "wiki", "docs"),
            span(opened, "environments/staging.eos", 'service "wiki-db"', "wiki-db", "docs-db"),
        ],
    }
    applied_and_checked(opened, edit)


async def test_module_service_renames_the_instance_names(client, opened: Files):
    """`db` of the module renamed to `pg`: `wiki-db` becomes `wiki-pg` in
    apps.eos and in staging, every use inside the module follows."""
    assert await prepare(client, opened, "modules/web.eos", 'service "db"', 10) == opened.range(
        "modules/web.eos", 'service "db"', word="db"
    )
    edit = await rename(client, opened, "modules/web.eos", 'service "db"', 10, "pg")
    assert edits_by_file(opened, edit) == {
        "modules/web.eos": [
            span(opened, "modules/web.eos", "after   = [db]", "db", "pg"),
            span(opened, "modules/web.eos", "DATABASE = db.pg", "db", "pg"),
            span(opened, "modules/web.eos", 'service "db"', "db", "pg"),
        ],
        "apps.eos": [
            span(opened, "apps.eos", "after   = [wiki-db]", "wiki-db", "wiki-pg"),
            span(opened, "apps.eos", "WIKI_DB = wiki-db.pg", "wiki-db", "wiki-pg"),
        ],
        "environments/staging.eos": [
            span(opened, "environments/staging.eos", 'service "wiki-db"', "wiki-db", "wiki-pg")
        ],
    }
    applied_and_checked(opened, edit)


async def test_module_port_renames_the_instances_uses(client, opened: Files):
    edit = await rename(client, opened, "apps.eos", "WIKI_DB = wiki-db.pg", 19, "sql")
    assert edits_by_file(opened, edit) == {
        "modules/web.eos": [
            span(opened, "modules/web.eos", "DATABASE = db.pg", "pg", "sql"),
            span(opened, "modules/web.eos", 'port "pg"', "pg", "sql"),
            span(opened, "modules/web.eos", "port = pg", "pg", "sql"),
        ],
        "apps.eos": [span(opened, "apps.eos", "WIKI_DB = wiki-db.pg", "pg", "sql")],
    }
    applied_and_checked(opened, edit)


async def test_environment(client, opened: Files):
    edit = await rename(client, opened, "environments/staging.eos", 'env "staging"', 6, "stage")
    assert edits_by_file(opened, edit) == {
        "environments/staging.eos": [(0, 5, 0, 12, "stage")]
    }
    applied_and_checked(opened, edit)


async def test_route(client, opened: Files):
    edit = await rename(client, opened, "services/web.eos", 'route "grafana"', 8, "graphs")
    assert edits_by_file(opened, edit) == {
        "services/web.eos": [span(opened, "services/web.eos", 'route "grafana"', "grafana", "graphs")]
    }


async def test_the_same_name_changes_nothing(client, opened: Files):
    edit = await rename(client, opened, "hosts.eos", 'host "hv1"', 7, "hv1")
    assert not edit.changes


@pytest.mark.parametrize(
    "new_name",
    ["Bad_Name", "hv 1", "", "1st", "a" * 64],
)
async def test_invalid_names_are_refused(client, opened: Files, new_name):
    message = await refused(rename(client, opened, "hosts.eos", 'host "hv1"', 7, new_name))
    assert message.startswith(f"`{new_name}` is not a valid name: ")


async def test_the_refusal_says_why_once(client, opened: Files):
    message = await refused(rename(client, opened, "hosts.eos", 'host "hv1"', 7, "Bad_Name"))
    assert message.count("is not a valid name") == 1, message


async def test_taken_names_are_refused(client, opened: Files):
    assert await refused(rename(client, opened, "hosts.eos", 'host "hv1"', 7, "hv2")) == (
        "the stack already has a host named `hv2`"
    )
    assert await refused(rename(client, opened, "apps.eos", 'module "wiki"', 9, "blog")) == (
        "the stack already has a module instance named `blog`"
    )
    # A stack service may not take a name an instance makes…
    assert await refused(
        rename(client, opened, "services/core.eos", 'service "postgres"', 10, "wiki-db")
    ) == "the stack already has a service named `wiki-db`"
    # …nor a module's service the name of another one of the module.
    assert await refused(rename(client, opened, "modules/web.eos", 'service "db"', 10, "app")) == (
        "the stack already has a service named `app`"
    )


async def test_instance_derived_names_are_refused(client, opened: Files):
    why = (
        "`wiki-db` is a service of module instance `wiki`: rename the instance, "
        "or the service in the module file"
    )
    assert await refused(prepare(client, opened, "apps.eos", "after   = [wiki-db]", 13)) == why
    assert await refused(rename(client, opened, "apps.eos", "after   = [wiki-db]", 13, "x")) == why
    assert await refused(
        rename(client, opened, "environments/staging.eos", 'service "wiki-db"', 10, "x")
    ) == why


async def test_nothing_to_rename(client, opened: Files):
    assert await refused(prepare(client, opened, "hosts.eos", "32GiB", 1)) == (
        "there is no name to rename here"
    )
    assert await refused(prepare(client, opened, "apps.eos", 'source = "modules', 12)) == (
        "a module's `source` is a path: rename the file instead"
    )
