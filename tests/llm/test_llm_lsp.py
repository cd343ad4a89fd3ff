"""The editor path: `kernlint serve` (a real subprocess, pytest-lsp) lists "Fix with LLM",
resolves it through litellm against the stub, and returns a verified edit."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as t
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

from .answers import LEAK_FIXED, case_text, fenced
from .conftest import FAKE_KEY
from .stub_server import Canned, StubLLM

_CACHE = tempfile.mkdtemp(prefix="kernlint-llm-lsp-")
_ENV = {k: v for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
        and k not in ("OPENAI_API_BASE", "OPENAI_BASE_URL")}
_ENV.update({"OPENAI_API_KEY": FAKE_KEY, "NO_PROXY": "127.0.0.1,localhost",
             "no_proxy": "127.0.0.1,localhost", "KERNLINT_CACHE_DIR": _CACHE})
TITLE = "Fix with LLM (openai/stub-model)"


@pytest_lsp.fixture(
    params=["visual-studio-code", "neovim"],
    config=ClientServerConfig(server_command=[sys.executable, "-m", "kernlint", "serve"],
                              server_env=_ENV),
)
async def lsp(lsp_client: LanguageClient, request: pytest.FixtureRequest, stub: StubLLM,
              tmp_path: Path) -> Any:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "leak_probe.c").write_text(case_text("leak_probe"))
    enabled = request.node.get_closest_marker("llm_off") is None
    root_uri = from_fs_path(str(root)) or ""
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=pytest_lsp.client_capabilities(request.param),
        root_uri=root_uri,
        workspace_folders=[t.WorkspaceFolder(uri=root_uri, name="ws")],
        initialization_options={"debounceMs": 0, "llm": {
            "enabled": enabled, "model": "openai/stub-model", "apiBase": stub.api_base,
            "allowedHosts": ["127.0.0.1"], "timeout": 30, "candidates": 1}},
    ))
    lsp_client.ws_root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def _open(client: LanguageClient) -> tuple[str, t.Diagnostic]:
    root: Path = client.ws_root  # type: ignore[attr-defined]
    path = root / "leak_probe.c"
    uri = from_fs_path(str(path)) or ""
    client.text_document_did_open(t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(
        uri=uri, language_id="c", version=1, text=path.read_text())))
    for _ in range(100):
        diags = [d for d in client.diagnostics.get(uri, []) if d.code == "KL101"]
        if diags:
            return uri, diags[0]
        await asyncio.sleep(0.1)
    raise AssertionError("no KL101 diagnostic")


async def _actions(client: LanguageClient, uri: str, diag: t.Diagnostic) -> list[t.CodeAction]:
    got = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), range=diag.range,
        context=t.CodeActionContext(diagnostics=[diag])))
    return [a for a in got or [] if isinstance(a, t.CodeAction)]


def _edits(edit: t.WorkspaceEdit) -> list[t.TextEdit]:
    out: list[t.TextEdit] = []
    for dc in edit.document_changes or []:
        if isinstance(dc, t.TextDocumentEdit):
            out += [e for e in dc.edits if isinstance(e, t.TextEdit)]
    for edits in (edit.changes or {}).values():
        out += edits
    return out


async def test_fix_with_llm_action(lsp: LanguageClient, stub: StubLLM) -> None:
    stub.default = Canned(fenced(LEAK_FIXED))
    uri, diag = await _open(lsp)
    actions = await _actions(lsp, uri, diag)
    llm = [a for a in actions if a.title == TITLE]
    assert len(llm) == 1, [a.title for a in actions]
    action = llm[0]
    assert not action.is_preferred
    if action.edit is None:
        action = await lsp.code_action_resolve_async(action)
    assert action.edit is not None
    new_texts = [e.new_text for e in _edits(action.edit)]
    assert any("kfree(buf);" in n for n in new_texts), new_texts
    assert len(stub.requests) == 1


@pytest.mark.llm_off
async def test_no_llm_action_when_off(lsp: LanguageClient, stub: StubLLM) -> None:
    uri, diag = await _open(lsp)
    actions = await _actions(lsp, uri, diag)
    assert not any(a.title.startswith("Fix with LLM") for a in actions)
    assert stub.requests == []


async def test_llm_resolve_reports_progress(lsp: LanguageClient, stub: StubLLM,
                                            request: pytest.FixtureRequest) -> None:
    if "neovim" in request.node.name:
        pytest.skip("progress needs window.workDoneProgress (the VS Code capability set)")
    stub.default = Canned(fenced(LEAK_FIXED))
    uri, diag = await _open(lsp)
    [action] = [a for a in await _actions(lsp, uri, diag) if a.title == TITLE]
    resolved = await lsp.code_action_resolve_async(action)
    assert resolved.edit is not None
    await asyncio.sleep(0.2)
    llm_tokens = [tok for tok in lsp.progress_reports if str(tok).startswith("kernlint-llm-")]
    assert llm_tokens
    kinds = [type(r).__name__ for r in lsp.progress_reports[llm_tokens[-1]]]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"


async def test_llm_resolve_is_cancellable(lsp: LanguageClient, stub: StubLLM,
                                          request: pytest.FixtureRequest) -> None:
    if "neovim" in request.node.name:
        pytest.skip("cancels through the progress token (the VS Code capability set)")
    stub.default = Canned(fenced(LEAK_FIXED), delay=20.0)
    uri, diag = await _open(lsp)
    [action] = [a for a in await _actions(lsp, uri, diag) if a.title == TITLE]
    loop = asyncio.get_running_loop()
    started = loop.time()
    pending = asyncio.ensure_future(lsp.code_action_resolve_async(action))
    token = None
    for _ in range(100):
        token = next((tok for tok in lsp.progress_reports
                      if str(tok).startswith("kernlint-llm-")), None)
        if token is not None:
            break
        await asyncio.sleep(0.05)
    assert token is not None
    await asyncio.sleep(0.3)
    lsp.window_work_done_progress_cancel(t.WorkDoneProgressCancelParams(token=token))
    resolved = await asyncio.wait_for(pending, 10)
    assert resolved.edit is None
    assert loop.time() - started < 10, "the model call was not abandoned"
