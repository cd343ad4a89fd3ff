"""End-to-end fixtures: a real `kernlint serve` subprocess driven by pytest-lsp, under the
client capabilities of VS Code and of Neovim.

`client` is an initialized Session (see lsphelpers.py): open_doc / edit / replace_all /
diagnostics. Per-test settings: `@pytest.mark.init_options({...})` (initializationOptions,
default {"debounceMs": 0}), `@pytest.mark.settings({...})` (the "kernlint" section of
workspace/configuration) and `@pytest.mark.files({name: text})` (extra workspace files).
Each test gets a private workspace root with a copy of examples/snd_demo.c.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsphelpers import EXAMPLE, Recorder, Session
from lsprotocol import types as t
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

CLIENTS = ["visual-studio-code", "neovim"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "init_options(dict): initializationOptions for the server")
    config.addinivalue_line("markers", "settings(dict): the client's 'kernlint' settings section")
    config.addinivalue_line("markers", "files(dict): extra workspace files name -> text")


@pytest.fixture
def workspace(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(EXAMPLE, root / "snd_demo.c")
    marker = request.node.get_closest_marker("files")
    if marker is not None:
        for name, text in marker.args[0].items():
            p = root / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
    return root


@pytest_lsp.fixture(
    params=CLIENTS,
    config=ClientServerConfig(server_command=[sys.executable, "-m", "kernlint", "serve"]),
)
async def lsp(lsp_client: LanguageClient, request: pytest.FixtureRequest, workspace: Path) -> Any:
    recorder = Recorder()
    # Keep pytest-lsp's own bookkeeping and record versions as well.
    features = lsp_client.protocol.fm.features
    default = features[t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def on_publish(params: t.PublishDiagnosticsParams) -> None:
        default(params)
        recorder.add(params)

    features[t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = on_publish
    init = {"debounceMs": 0}
    marker = request.node.get_closest_marker("init_options")
    if marker is not None:
        init = marker.args[0]
    marker = request.node.get_closest_marker("settings")
    if marker is not None:
        lsp_client.set_configuration(marker.args[0], section="kernlint")
    root_uri = from_fs_path(str(workspace))
    result = await lsp_client.initialize_session(t.InitializeParams(
        capabilities=pytest_lsp.client_capabilities(request.param),
        root_uri=root_uri,
        workspace_folders=[t.WorkspaceFolder(uri=root_uri or "", name="ws")],
        initialization_options=init,
    ))
    lsp_client.kernlint_session = Session(  # type: ignore[attr-defined]
        lsp_client, request.param, workspace, recorder, result)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def client(lsp: LanguageClient) -> Session:
    session: Session = lsp.kernlint_session  # type: ignore[attr-defined]
    return session
