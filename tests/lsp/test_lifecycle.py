"""The session: what the server says it offers, and a clean shutdown."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from conftest import NEOVIM, SERVER, TIMEOUT, Files, open_doc, settle


async def test_initialize_announces_every_feature(client):
    result: types.InitializeResult = client.initialize_result
    assert result.server_info.name == "eosc"
    assert result.server_info.version
    caps = result.capabilities
    sync = caps.text_document_sync
    assert sync.open_close is True
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert sync.save is True
    assert caps.hover_provider is True
    assert caps.definition_provider is True
    assert caps.references_provider is True
    assert caps.rename_provider.prepare_provider is True
    assert set(caps.completion_provider.trigger_characters) == {".", "=", "[", " "}
    assert caps.document_formatting_provider is True
    assert list(caps.code_action_provider.code_action_kinds) == [types.CodeActionKind.QuickFix]
    assert caps.document_symbol_provider is True


async def test_shutdown_then_exit_ends_the_process_cleanly(single: Files):
    client = await SERVER.start()
    try:
        await asyncio.wait_for(
            client.initialize_session(types.InitializeParams(capabilities=NEOVIM)), TIMEOUT
        )
        uri = open_doc(client, single, "single.eos")
        await settle(client, uri)
        await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
        client.exit(None)
        code = await asyncio.wait_for(client._server.wait(), TIMEOUT)
        assert code == 0
    finally:
        await client.stop()
