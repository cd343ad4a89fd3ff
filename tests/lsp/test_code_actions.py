"""Code actions: listed with title/kind/diagnostics/data only, edit made in codeAction/resolve,
pinned to the document version; template fixes, suppression, stale versions."""

from __future__ import annotations

import importlib.util

import pytest
from lsphelpers import Session, apply_lsp_edits, by_code, workspace_edits
from lsprotocol import types as t


def has_template_fixes() -> bool:
    try:
        return importlib.util.find_spec("kernlint.fixes.provider") is not None
    except ModuleNotFoundError:
        return False


async def actions_at(client: Session, uri: str, diag: t.Diagnostic) -> list[t.CodeAction]:
    got = await client.client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), range=diag.range,
        context=t.CodeActionContext(diagnostics=[diag])))
    assert got is not None
    out = []
    for a in got:
        assert isinstance(a, t.CodeAction)
        out.append(a)
    return out


async def resolve(client: Session, action: t.CodeAction) -> t.CodeAction:
    return await client.client.code_action_resolve_async(action)


def check_listed(actions: list[t.CodeAction], uri: str, version: int) -> None:
    for a in actions:
        assert a.edit is None, "the list carries no edits; resolve computes them"
        assert a.kind == t.CodeActionKind.QuickFix
        assert a.diagnostics and a.diagnostics[0].source == "kernlint"
        assert isinstance(a.data, dict) and a.data["uri"] == uri and a.data["version"] == version


async def apply_and_check(client: Session, uri: str, action: t.CodeAction,
                          version: int) -> tuple[str, list[t.Diagnostic]]:
    resolved = await resolve(client, action)
    assert resolved.edit is not None
    edits, pinned = workspace_edits(resolved.edit, uri)
    assert edits
    if client.name == "visual-studio-code":  # documentChanges: a versioned TextDocumentEdit
        assert pinned == version
    new_text = apply_lsp_edits(client.texts[uri], edits, client.encoding)
    v = client.replace_all(uri, new_text)
    return new_text, await client.diagnostics(uri, v)


async def test_suppress_action(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    diags = await client.diagnostics(uri, 1)
    (lock,) = by_code(diags, "KL201")
    actions = await actions_at(client, uri, lock)
    check_listed(actions, uri, 1)
    titles = [a.title for a in actions]
    assert "Suppress KL201 on this line" in titles
    suppress = next(a for a in actions if a.title == "Suppress KL201 on this line")
    assert not suppress.is_preferred
    new_text, after = await apply_and_check(client, uri, suppress, 1)
    lines = new_text.split("\n")
    assert lines[lock.range.start.line] == "\t\t/* kernlint: ignore[KL201] */"
    assert lines[lock.range.start.line + 1] == "\t\treturn -ENODEV;"
    assert not by_code(after, "KL201")
    assert len(by_code(after, "KL101")) == 2


async def test_stale_resolve_has_no_edit(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    diags = await client.diagnostics(uri, 1)
    (lock,) = by_code(diags, "KL201")
    actions = await actions_at(client, uri, lock)
    suppress = next(a for a in actions if a.title.startswith("Suppress"))
    v = client.edit(uri, t.Range(t.Position(0, 0), t.Position(0, 0)), "// moved\n")
    await client.diagnostics(uri, v)
    resolved = await resolve(client, suppress)
    assert resolved.edit is None, "an edit computed for version 1 must not be given for version 2"


async def test_bad_resolve_data_is_an_error(client: Session) -> None:
    with pytest.raises(Exception, match="not a kernlint code action"):
        await resolve(client, t.CodeAction(title="x", data={"nonsense": True}))
    # the server still answers
    assert await client.client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="kernlint.showRuleDoc", arguments=["KL101"]))


async def test_no_actions_away_from_findings(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    await client.diagnostics(uri, 1)
    got = await client.client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri),
        range=t.Range(t.Position(0, 0), t.Position(0, 0)), context=t.CodeActionContext([])))
    assert not got


@pytest.mark.skipif(not has_template_fixes(), reason="kernlint.fixes.provider not built yet")
async def test_cleanup_label_fix(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    diags = await client.diagnostics(uri, 1)
    card = next(d for d in by_code(diags, "KL101") if "`card`" in d.message)
    actions = await actions_at(client, uri, card)
    check_listed(actions, uri, 1)
    fix = next((a for a in actions if a.title.startswith("Add cleanup label")), None)
    assert fix is not None, [a.title for a in actions]
    # only safe fixes are preferred; the suppression never is
    for a in actions:
        if a.title.startswith("Suppress"):
            assert not a.is_preferred
    new_text, after = await apply_and_check(client, uri, fix, 1)
    assert not [d for d in by_code(after, "KL101") if "`card`" in d.message]
    assert "snd_card_free(card)" in new_text
