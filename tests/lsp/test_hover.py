"""Hover: what a name is and what the checks made of it (runtime, bootstrap
stage, memory and cpu and each host's share; a host's budget use; a disk's
space; a port's number), and the schema catalog's documentation of block
kinds and attribute names; params and module instances."""

from __future__ import annotations

import pytest
from lsprotocol import types

from conftest import Files, open_doc, replace, request, settle


async def hover(client, files: Files, rel: str, needle: str, delta: int = 0, nth: int = 0):
    return await request(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=files.uri(rel)),
                position=files.pos(rel, needle, nth=nth, delta=delta),
            )
        )
    )


def markdown(found: types.Hover | None) -> str:
    assert found is not None, "no hover"
    assert isinstance(found.contents, types.MarkupContent)
    assert found.contents.kind == types.MarkupKind.Markdown
    return found.contents.value


async def test_service_runtime_stage_and_budget_share(client, opened: Files):
    found = await hover(client, opened, "services/core.eos", 'service "postgres"', delta=12)
    assert found.range == opened.range("services/core.eos", 'service "postgres"', word="postgres")
    assert markdown(found) == (
        "**service `postgres`** — baremetal, bootstrap stage 0\n\n"
        "per instance: memory 4 GiB, cpu 2\n\n"
        "- on `hv2` ×1: memory 4 GiB of its budget 51.2 GiB (7.8%), cpu 2 of 16 (12.5%)"
    )


async def test_a_service_used_in_another_file(client, opened: Files):
    """grafana's `to` in its route: the service at a reference, later stage
    (it starts after postgres)."""
    found = await hover(client, opened, "services/web.eos", "to   = grafana.http", delta=9)
    assert found.range == opened.range("services/web.eos", "to   = grafana.http", word="grafana")
    text = markdown(found)
    assert text.startswith("**service `grafana`** — baremetal, bootstrap stage 1\n\n")
    assert "per instance: memory 512 MiB, cpu 0.5" in text
    assert "- on `hv1` ×1: memory 512 MiB of its budget 25.6 GiB (2.0%), cpu 0.5 of 8 (6.2%)" in text


async def test_an_instance_service_by_its_full_name(client, opened: Files):
    found = await hover(client, opened, "apps.eos", "after   = [wiki-db]", delta=13)
    assert found.range == opened.range("apps.eos", "after   = [wiki-db]", word="wiki-db")
    text = markdown(found)
    assert text.startswith("**service `wiki-db`** — nomad, bootstrap stage 2\n\n")
    assert "- on `hv2` ×1: memory 2 GiB of its budget 51.2 GiB (3.9%)" in text


async def test_a_module_service_lists_its_instances(client, opened: Files):
    found = await hover(client, opened, "modules/web.eos", 'service "db"', delta=10)
    assert found.range == opened.range("modules/web.eos", 'service "db"', word="db")
    assert markdown(found) == (
        "**service `db`** of module `modules/web.eos`\n\ninstances: `wiki-db`, `blog-db`"
    )


async def test_host_budget_use(client, opened: Files):
    found = await hover(client, opened, "hosts.eos", 'host "hv2"', delta=7)
    assert found.range == opened.range("hosts.eos", 'host "hv2"', word="hv2")
    text = markdown(found)
    assert text.startswith("**host `hv2`**\n\n")
    assert "- memory: 11.75 GiB used of a budget of 51.2 GiB (22.9%), 64 GiB installed" in text
    assert "- cpu: 5.25 used of a budget of 16 (32.8%), 16 installed" in text
    assert "- disk `nvme0`: space: 20 GiB used of a budget of 1.8 TB (1.2%), 2 TB installed" in text


async def test_host_at_a_reference(client, opened: Files):
    found = await hover(client, opened, "services/web.eos", "on      = [hv1]", delta=12)
    assert found.range == opened.range("services/web.eos", "on      = [hv1]", word="hv1")
    assert markdown(found).startswith("**host `hv1`**\n\n- memory: ")


async def test_disk(client, opened: Files):
    found = await hover(client, opened, "apps.eos", "disk   = hv2.nvme0", delta=14)
    assert found.range == opened.range("apps.eos", "disk   = hv2.nvme0", word="nvme0")
    text = markdown(found)
    assert text.startswith("**disk `hv2.nvme0`** (nvme)\n\n")
    assert "space: 20 GiB used of a budget of 1.8 TB (1.2%), 2 TB installed" in text


async def test_port_at_a_connection(client, opened: Files):
    found = await hover(client, opened, "services/web.eos", "DB = postgres.pg", delta=15)
    assert found.range == opened.range("services/web.eos", "DB = postgres.pg", word="pg")
    assert markdown(found) == "**port `pg`** of service `postgres`\n\nnumber 5432, tcp"


async def test_port_at_a_health_check(client, opened: Files):
    found = await hover(client, opened, "services/web.eos", "port = http", delta=8)
    assert markdown(found) == "**port `http`** of service `grafana`\n\nnumber 3000, http"


async def test_param_at_its_use(client, opened: Files):
    found = await hover(client, opened, "modules/web.eos", "param.disk", delta=7)
    assert found.range == opened.range("modules/web.eos", "param.disk", word="disk")
    assert markdown(found) == "**param `disk`**: `disk` of module `modules/web.eos`"


async def test_module_argument_is_its_param(client, opened: Files):
    found = await hover(client, opened, "apps.eos", 'image  = "ghcr.io/example/wiki', delta=1)
    assert found.range == opened.range("apps.eos", 'image  = "ghcr.io/example/wiki', word="image")
    assert markdown(found) == "**param `image`**: `string` of module `modules/web.eos`"


async def test_module_instance(client, opened: Files):
    found = await hover(client, opened, "apps.eos", 'module "wiki"', delta=9)
    assert found.range == opened.range("apps.eos", 'module "wiki"', word="wiki")
    assert markdown(found) == (
        "**module instance `wiki`** of `modules/web.eos`: its services are named `wiki-SERVICE`"
    )


async def test_environment(client, opened: Files):
    found = await hover(client, opened, "environments/staging.eos", 'env "staging"', delta=6)
    assert found.range == opened.range("environments/staging.eos", 'env "staging"', word="staging")
    assert markdown(found) == (
        "**environment `staging`**: `eosc check --env staging`, `eosc build --env staging`"
    )


async def test_block_kind_documentation(client, opened: Files):
    found = await hover(client, opened, "services/core.eos", 'service "postgres"', delta=2)
    assert found.range == opened.range("services/core.eos", 'service "postgres"', word="service")
    assert markdown(found).startswith('**service "NAME"**\n\nSomething that runs: ')

    found = await hover(client, opened, "services/core.eos", 'port "pg"', delta=1)
    assert markdown(found).startswith('**port "NAME"**\n\nA port the service listens on.')

    found = await hover(client, opened, "stack.eos", 'stack "lab"', delta=1)
    assert found.range == opened.range("stack.eos", 'stack "lab"', word="stack")
    assert markdown(found).startswith('**stack "NAME"**\n\nThe stack itself')


async def test_attribute_documentation(client, opened: Files):
    found = await hover(client, opened, "services/core.eos", "runtime", delta=3)
    assert found.range == opened.range("services/core.eos", "runtime")
    assert markdown(found).endswith(
        "`runtime`: enum{baremetal, docker, nomad} (default: required)"
    )
    # In a nested block (a host's disk) and inside an environment's block.
    found = await hover(client, opened, "hosts.eos", "kind = ssd", delta=1)
    assert markdown(found).endswith("`kind`: enum{ssd, nvme, hdd} (default: required)")
    found = await hover(client, opened, "environments/staging.eos", "memory = 1GiB", delta=1)
    assert markdown(found) == "RAM reserved per instance\n\n`memory`: size (default: required)"


async def test_module_source_attribute_documentation(client, opened: Files):
    """`source` of a module block is an attribute of the catalog's `module`
    block, documented like any other (not a param of the module)."""
    found = await hover(client, opened, "apps.eos", 'source = "modules', delta=2)
    assert found is not None, "no hover on `source` of a module block"
    assert found.range == opened.range("apps.eos", 'source = "modules', word="source")
    assert "`source`" in markdown(found)


async def test_nothing_to_say(client, opened: Files):
    # A comment, and the blank between two blocks.
    assert await hover(client, opened, "stack.eos", "// The lab", delta=5) is None
    assert await hover(client, opened, "hosts.eos", '}\n\nhost "hv2"', delta=2) is None


async def test_a_stack_with_errors_says_so(client, opened: Files):
    """With an error anywhere in the stack there is no plan: a service says
    what it is and that its stage and placement wait for a clean stack."""
    replace(client, opened, "hosts.eos", "cpus    = 8", 'cpus    = "eight"')
    found = await hover(client, opened, "services/core.eos", 'service "postgres"', delta=12)
    assert markdown(found) == (
        "**service `postgres`**\n\n_stage and placement: the stack has errors_"
    )
    found = await hover(client, opened, "hosts.eos", 'host "hv2"', delta=7)
    assert markdown(found) == "**host `hv2`**\n\n_budget use: the stack has errors_"
