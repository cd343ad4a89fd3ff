"""Settings: initializationOptions, workspace/configuration, .kernlint.toml; bad values are
reported and the server keeps working with the previous / default values."""

from __future__ import annotations

import pytest
from lsphelpers import Session, by_code
from lsprotocol import types as t


def errors(client: Session) -> list[str]:
    return [m.message for m in client.client.messages if m.type == t.MessageType.Error]


async def changed(client: Session) -> None:
    client.client.workspace_did_change_configuration(
        t.DidChangeConfigurationParams(settings=None))


async def test_select_and_ignore_change_diagnostics(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    diags = await client.diagnostics(uri, 1)
    assert by_code(diags, "KL201") and by_code(diags, "KL101")
    client.client.set_configuration({"ignore": ["KL2"]}, section="kernlint")
    await changed(client)
    got = await client.recorder.wait_for(
        lambda p: p.uri == uri and p.version == 1 and not by_code(p.diagnostics, "KL201"))
    assert len(by_code(got.diagnostics, "KL101")) == 2
    client.client.set_configuration({"select": ["KL2"]}, section="kernlint")
    await changed(client)
    got = await client.recorder.wait_for(
        lambda p: p.uri == uri and p.version == 1 and not by_code(p.diagnostics, "KL101"))
    assert [d.code for d in got.diagnostics] == ["KL201"]


async def test_severity_setting(client: Session) -> None:
    client.client.set_configuration({"severity": {"KL201": "hint"}}, section="kernlint")
    await changed(client)
    uri = client.open_doc("snd_demo.c")
    got = await client.recorder.wait_for(
        lambda p: p.uri == uri and any(d.severity == t.DiagnosticSeverity.Hint
                                       for d in by_code(p.diagnostics, "KL201")))
    assert by_code(got.diagnostics, "KL101")


async def test_bad_setting_is_reported_and_server_keeps_working(client: Session) -> None:
    client.client.set_configuration({"debounceMs": "soon", "ignore": ["KL1"]}, section="kernlint")
    await changed(client)
    uri = client.open_doc("snd_demo.c")
    got = await client.recorder.wait_for(
        lambda p: p.uri == uri and not by_code(p.diagnostics, "KL101"))
    assert by_code(got.diagnostics, "KL201"), "the good key still applies"
    assert any("debounceMs" in m for m in errors(client))
    doc = await client.client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="kernlint.showRuleDoc", arguments=["KL201"]))
    assert "KL201" in doc


@pytest.mark.init_options({"debounceMs": 0, "select": ["XYZ"], "severity": {"KL101": "loud"}})
async def test_bad_initialization_options_keep_defaults(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    diags = await client.diagnostics(uri, 1)
    assert sorted(str(d.code) for d in diags) == ["KL101", "KL101", "KL201"]
    msgs = errors(client)
    assert any("select" in m for m in msgs)
    assert any("severity" in m for m in msgs)


@pytest.mark.files({".kernlint.toml": 'ignore = ["KL101"]\n'})
async def test_kernlint_toml_in_workspace_root(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    diags = await client.diagnostics(uri, 1)
    assert [d.code for d in diags] == ["KL201"]


@pytest.mark.files({".kernlint.toml": "ignore = [\n"})
async def test_broken_kernlint_toml_is_reported(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    diags = await client.diagnostics(uri, 1)
    assert len(diags) == 3
    assert any("invalid TOML" in m for m in errors(client))


@pytest.mark.settings({"ignore": ["KL101"]})
async def test_workspace_configuration_wins_over_init_options(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    got = await client.recorder.wait_for(lambda p: p.uri == uri and p.version == 1
                                         and not by_code(p.diagnostics, "KL101"))
    assert by_code(got.diagnostics, "KL201")


@pytest.mark.settings([])
@pytest.mark.init_options([])
async def test_empty_lua_table_settings_are_no_settings(client: Session) -> None:
    """Neovim sends an empty Lua settings table as a JSON array: that is not an error."""
    uri = client.open_doc("snd_demo.c")
    diags = await client.diagnostics(uri, 1)
    assert by_code(diags, "KL101")
    assert not errors(client)
