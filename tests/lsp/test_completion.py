"""Completion while typing: block kinds at the top level (as snippets),
the attributes of the block at the cursor not yet written and its nested
block kinds, enum values, the names a reference takes (hosts, services,
`HOST.DISK`, `SVC.PORT`, a health check's own ports, connections in
`env`), `param.NAME` in a module file, and a module instance's arguments.
Each item replaces the word typed so far (its textEdit)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from conftest import Files, open_doc, replace, request, settle


ALL_SERVICES = [
    "blog-app", "blog-db", "caddy", "consul", "docker", "grafana", "nomad",
    "postgres", "reports", "vault", "wiki-app", "wiki-db",
]
ALL_PORTS = [
    "blog-app.http", "blog-db.pg", "consul.http", "grafana.http", "nomad.http",
    "postgres.pg", "vault.api", "wiki-app.http", "wiki-db.pg",
]
SERVICE_ATTRIBUTES = [
    "runtime", "provides", "on", "package", "image", "command", "args", "count",
    "memory", "memory_max", "cpu", "numa", "after", "env",
]
SERVICE_BLOCKS = ["port", "health", "volume", "secret", "file"]


async def complete(client, files: Files, rel: str, position: types.Position):
    found = await request(
        client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=files.uri(rel)),
                position=position,
            )
        )
    )
    assert found is not None
    return found.items if isinstance(found, types.CompletionList) else found


async def typed(client, files: Files, rel: str, old: str, new: str):
    """Types `new` (with `|`, the cursor) over `old`, then asks for completion."""
    _, cursor = replace(client, files, rel, old, new)
    return await complete(client, files, rel, cursor), cursor


def labels(items) -> list[str]:
    return [i.label for i in items]


def edit_range(cursor: types.Position, typed_so_far: int) -> types.Range:
    return types.Range(
        start=types.Position(line=cursor.line, character=cursor.character - typed_so_far),
        end=cursor,
    )


async def test_block_kinds_at_the_top_level(client, opened: Files):
    items, cursor = await typed(client, opened, "services/web.eos", 'route "grafana"', '|\n\nroute "grafana"')
    assert labels(items) == ["host", "service", "route", "module", "env"]
    service = items[1]
    assert service.kind == types.CompletionItemKind.Module
    assert service.detail == 'block `service "NAME"`'
    assert service.insert_text_format == types.InsertTextFormat.Snippet
    assert service.text_edit == types.TextEdit(
        range=edit_range(cursor, 0), new_text='service "${1:name}" {\n\t$0\n}'
    )
    assert isinstance(service.documentation, types.MarkupContent)
    assert service.documentation.value.startswith("Something that runs")


async def test_no_second_stack_block_in_the_root(client, opened: Files):
    items, _ = await typed(client, opened, "stack.eos", 'stack "', '|\n\nstack "')
    assert labels(items) == ["host", "service", "route", "module", "env"]


async def test_block_kinds_of_a_module_file(client, opened: Files):
    items, _ = await typed(client, opened, "modules/web.eos", 'route "app"', '|\n\nroute "app"')
    assert labels(items) == ["service", "route", "param"]


async def test_attributes_not_yet_written_and_nested_blocks(client, opened: Files):
    # A new line in grafana, which has runtime, on, after, memory, cpu and env.
    items, cursor = await typed(client, opened, "services/web.eos", "  cpu     = 0.5\n", "  cpu     = 0.5\n  |\n")
    # `env` is written after the cursor: only what stands before it counts.
    written = {"runtime", "on", "after", "memory", "cpu"}
    assert labels(items) == [a for a in SERVICE_ATTRIBUTES if a not in written] + SERVICE_BLOCKS
    memory_max = next(i for i in items if i.label == "memory_max")
    assert memory_max.kind == types.CompletionItemKind.Property
    assert memory_max.detail == "size ≥ memory"
    assert memory_max.text_edit == types.TextEdit(range=edit_range(cursor, 0), new_text="memory_max = ")


async def test_attributes_of_a_new_block(client, opened: Files):
    items, cursor = await typed(
        client, opened, "services/web.eos", 'route "grafana"',
        'service "x" {\n  runtime = nomad\n  mem|\n}\n\nroute "grafana"',
    )
    assert labels(items) == [a for a in SERVICE_ATTRIBUTES if a != "runtime"] + SERVICE_BLOCKS
    memory = next(i for i in items if i.label == "memory")
    # The word typed so far is replaced.
    assert memory.text_edit == types.TextEdit(range=edit_range(cursor, 3), new_text="memory = ")
    assert isinstance(memory.documentation, types.MarkupContent)
    assert memory.documentation.value == "RAM reserved per instance\n\n`memory`: size (default: required)"


async def test_attributes_of_a_nested_block(client, opened: Files):
    items, _ = await typed(
        client, opened, "services/web.eos", "  health {\n", '  volume "data" {\n    |\n  }\n\n  health {\n'
    )
    assert labels(items) == ["disk", "backend", "size", "path", "io", "backup"]


async def test_attributes_inside_an_environment_change(client, opened: Files):
    items, _ = await typed(
        client, opened, "environments/staging.eos", "    memory = 1GiB\n  }\n\n  module",
        "    memory = 1GiB\n    |\n  }\n\n  module",
    )
    # The block an env changes is a service: its attributes, less `memory`.
    assert labels(items) == [a for a in SERVICE_ATTRIBUTES if a != "memory"] + SERVICE_BLOCKS


async def test_block_kinds_inside_an_environment(client, opened: Files):
    items, cursor = await typed(
        client, opened, "environments/staging.eos", '  service "mailpit"', '  |\n\n  service "mailpit"'
    )
    assert labels(items) == ["stack", "host", "service", "route", "module"]
    stack = items[0]
    # An environment's `stack` block has no label (there is one stack).
    assert stack.text_edit.new_text == "stack {\n\t$0\n}"


async def test_enum_values(client, opened: Files):
    items, cursor = await typed(
        client, opened, "services/web.eos", "  runtime = baremetal\n", "  runtime = |\n"
    )
    assert labels(items) == ["baremetal", "docker", "nomad"]
    assert all(i.kind == types.CompletionItemKind.EnumMember for i in items)
    assert items[2].text_edit == types.TextEdit(range=edit_range(cursor, 0), new_text="nomad")
    # With a word begun: it is replaced.
    items, cursor = await typed(client, opened, "hosts.eos", "kind = nvme", "kind = nv|")
    assert labels(items) == ["ssd", "nvme", "hdd"]
    assert items[1].text_edit == types.TextEdit(range=edit_range(cursor, 2), new_text="nvme")


async def test_hosts_in_on(client, opened: Files):
    items, cursor = await typed(client, opened, "services/web.eos", "on      = [hv1]", "on      = [hv1, |]")
    assert labels(items) == ["hv1", "hv2"]
    assert items[1].kind == types.CompletionItemKind.Class
    assert items[1].detail == "host"
    assert items[1].text_edit == types.TextEdit(range=edit_range(cursor, 0), new_text="hv2")


async def test_services_in_after(client, opened: Files):
    items, cursor = await typed(
        client, opened, "services/web.eos", "after   = [postgres]", "after   = [pos|]"
    )
    # Every service of the stack, the instances' included.
    assert labels(items) == ALL_SERVICES
    assert items[0].text_edit == types.TextEdit(range=edit_range(cursor, 3), new_text="blog-app")


async def test_disks(client, opened: Files):
    items, cursor = await typed(
        client, opened, "modules/web.eos", "    disk = param.disk\n", "    disk = |\n"
    )
    assert labels(items)[:2] == ["hv1.ssd0", "hv2.nvme0"]
    assert items[0].detail == "disk (HOST.DISK)"
    # …and in a module file, its params.
    assert labels(items)[2:] == ["param.image", "param.host", "param.disk"]


async def test_ports_of_a_route(client, opened: Files):
    items, cursor = await typed(client, opened, "services/web.eos", "to   = grafana.http", "to   = grafana.|")
    assert labels(items) == ALL_PORTS
    assert items[3].text_edit == types.TextEdit(range=edit_range(cursor, len("grafana.")), new_text="grafana.http")
    assert items[3].detail == "port (SERVICE.PORT)"


async def test_connections_in_env(client, opened: Files):
    items, cursor = await typed(client, opened, "services/web.eos", "DB = postgres.pg", "DB = postgres.pg  CACHE = |")
    assert "postgres.pg" in labels(items)
    assert "wiki-db.pg" in labels(items)
    assert set(labels(items)) <= set(ALL_PORTS)


async def test_own_ports_of_a_health_check(client, opened: Files):
    """`health { port = ` offers the ports of the service it is in: with a
    letter typed, and before any (the usual moment to ask)."""
    items, cursor = await typed(client, opened, "services/web.eos", "port = http", "port = h|")
    assert labels(items) == ["http"]
    assert items[0].detail == "port of this service"
    assert items[0].text_edit == types.TextEdit(range=edit_range(cursor, 1), new_text="http")

    items, cursor = await typed(client, opened, "services/web.eos", "port = h", "port = |")
    assert labels(items) == ["http"]


async def test_module_services_inside_the_module(client, opened: Files):
    items, _ = await typed(client, opened, "modules/web.eos", "after   = [db]", "after   = [db, |]")
    # The module's own services by their short names, and the stack's.
    assert labels(items)[:2] == ["app", "blog-app"]
    assert "db" in labels(items)
    assert "postgres" in labels(items)
    assert labels(items)[-3:] == ["param.image", "param.host", "param.disk"]


async def test_params_in_a_module_file(client, opened: Files):
    items, cursor = await typed(client, opened, "modules/web.eos", "image   = param.image", "image   = param.|")
    assert labels(items) == ["param.image", "param.host", "param.disk"]
    param = items[2]
    assert param.kind == types.CompletionItemKind.Variable
    assert param.detail == "param of type disk"
    assert param.text_edit == types.TextEdit(range=edit_range(cursor, len("param.")), new_text="param.disk")


async def test_module_arguments(client, opened: Files):
    # A new instance: its source's params (all missing).
    items, cursor = await typed(
        client, opened, "apps.eos", 'service "reports"',
        'module "docs" {\n  source = "modules/web.eos"\n  |\n}\n\nservice "reports"',
    )
    assert labels(items) == ["image", "host", "disk"]
    assert items[0].detail == "param of type string"
    assert items[0].text_edit == types.TextEdit(range=edit_range(cursor, 0), new_text="image = ")


async def test_module_arguments_not_yet_given(client, opened: Files):
    items, _ = await typed(client, opened, "apps.eos", "  disk   = hv2.nvme0\n", "  |\n")
    assert labels(items) == ["disk"]


async def test_only_source_before_the_module_is_known(client, opened: Files):
    items, _ = await typed(
        client, opened, "apps.eos", 'service "reports"', 'module "docs" {\n  |\n}\n\nservice "reports"'
    )
    assert labels(items) == ["source"]


async def test_module_argument_values_by_param_type(client, opened: Files):
    """`disk = ` at an instance: its param is a disk, so disks are offered —
    with a letter typed, and before any."""
    items, cursor = await typed(client, opened, "apps.eos", "disk   = hv2.nvme0", "disk   = hv|")
    assert labels(items) == ["hv1.ssd0", "hv2.nvme0"]
    assert items[1].text_edit == types.TextEdit(range=edit_range(cursor, 2), new_text="hv2.nvme0")

    items, cursor = await typed(client, opened, "apps.eos", "disk   = hv\n", "disk   = |\n")
    assert labels(items) == ["hv1.ssd0", "hv2.nvme0"]


async def test_nothing_inside_strings_and_comments(client, opened: Files):
    items, _ = await typed(client, opened, "services/web.eos", 'path = "/api/health"', 'path = "/api/|health"')
    assert items == []
    items, _ = await typed(client, opened, "services/web.eos", 'route "grafana"', '// a service {|\nroute "grafana"')
    assert items == []
