"""Pull diagnostics, workspace commands (check with progress and cancellation, recheck, rule
docs) and malformed requests."""

from __future__ import annotations

import asyncio

import pytest
from lsphelpers import EXAMPLE, Session, by_code, raw_request, send_raw
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException

MANY = {f"sub/copy{i:03d}.c": EXAMPLE.read_text() for i in range(120)}


async def command(client: Session, name: str, *args: object) -> object:
    return await client.client.workspace_execute_command_async(
        t.ExecuteCommandParams(command=name, arguments=list(args)))


async def test_pull_diagnostics(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    report = await client.client.text_document_diagnostic_async(t.DocumentDiagnosticParams(
        text_document=t.TextDocumentIdentifier(uri=uri)))
    assert isinstance(report, t.RelatedFullDocumentDiagnosticReport)
    assert sorted(str(d.code) for d in report.items) == ["KL101", "KL101", "KL201"]
    again = await client.client.text_document_diagnostic_async(t.DocumentDiagnosticParams(
        text_document=t.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id))
    assert isinstance(again, t.RelatedUnchangedDocumentDiagnosticReport)
    # an edit: the next pull sees the new version at once (no debounce wait)
    line = client.texts[uri].split("\n").index("\t\treturn -ENODEV;")
    client.edit(uri, t.Range(t.Position(line, 2), t.Position(line, 2)), "{ mutex_unlock(&chip->lock); ")
    client.edit(uri, t.Range(t.Position(line, 46), t.Position(line, 46)), " }")
    report = await client.client.text_document_diagnostic_async(t.DocumentDiagnosticParams(
        text_document=t.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id))
    assert isinstance(report, t.RelatedFullDocumentDiagnosticReport)
    assert not by_code(list(report.items), "KL201")


async def test_show_rule_doc(client: Session) -> None:
    doc = await command(client, "kernlint.showRuleDoc", "KL101")
    assert isinstance(doc, str) and doc.startswith("## KL101")
    with pytest.raises(JsonRpcException, match="unknown rule"):
        await command(client, "kernlint.showRuleDoc", "KL999")
    with pytest.raises(JsonRpcException, match="expected 1 argument"):
        await command(client, "kernlint.showRuleDoc")


async def test_recheck_file(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    await client.diagnostics(uri, 1)
    n = len(client.recorder.for_uri(uri))
    got = await command(client, "kernlint.recheckFile", uri)
    assert got == {"uri": uri, "version": 1, "findings": 3}
    await client.recorder.wait_for(lambda p: p.uri == uri and p.version == 1
                                   and len(client.recorder.for_uri(uri)) > n)
    # a file that is not open is read from disk and published without a version
    other = client.uri("snd_demo.c").replace("snd_demo.c", "sub/copy000.c")
    (client.root / "sub").mkdir(exist_ok=True)
    (client.root / "sub" / "copy000.c").write_text(EXAMPLE.read_text())
    got = await command(client, "kernlint.recheckFile", other)
    assert got == {"uri": other, "version": None, "findings": 3}
    pub = await client.recorder.wait_for(lambda p: p.uri == other)
    assert pub.version is None and len(pub.diagnostics) == 3


@pytest.mark.files({"a.c": EXAMPLE.read_text(), "inc/b.h": "static inline int b(void) { return 0; }\n",
                    "notes.txt": "not C"})
async def test_check_workspace_with_progress(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    await client.diagnostics(uri, 1)
    result = await command(client, "kernlint.checkWorkspace")
    assert result == {"files": 3, "findings": 6, "cancelled": False}
    tokens = list(client.client.progress_reports)
    assert len(tokens) == 1
    kinds = [type(v).__name__ for v in client.client.progress_reports[tokens[0]]]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    begin = client.client.progress_reports[tokens[0]][0]
    assert isinstance(begin, t.WorkDoneProgressBegin) and begin.cancellable
    a = client.uri("a.c")
    pub = await client.recorder.wait_for(lambda p: p.uri == a)
    assert len(pub.diagnostics) == 3
    # a second run creates a fresh token
    await command(client, "kernlint.checkWorkspace")
    assert len(client.client.progress_reports) == 2


@pytest.mark.files(MANY)
async def test_check_workspace_cancelled_by_progress(client: Session) -> None:
    task = asyncio.ensure_future(command(client, "kernlint.checkWorkspace"))

    async def first_report() -> t.ProgressToken:
        while True:
            for token, values in client.client.progress_reports.items():
                if any(isinstance(v, t.WorkDoneProgressReport) for v in values):
                    return token
            await asyncio.sleep(0.01)

    token = await asyncio.wait_for(first_report(), 30)
    client.client.window_work_done_progress_cancel(t.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(task, 30)
    assert isinstance(result, dict) and result["cancelled"] is True
    assert result["files"] < len(MANY) + 1
    end = client.client.progress_reports[token][-1]
    assert isinstance(end, t.WorkDoneProgressEnd) and "cancelled" in (end.message or "")


@pytest.mark.files(MANY)
async def test_check_workspace_cancelled_by_request_cancel(client: Session) -> None:
    proto = client.client.protocol
    fut = asyncio.ensure_future(proto.send_request_async(
        t.WORKSPACE_EXECUTE_COMMAND,
        t.ExecuteCommandParams(command="kernlint.checkWorkspace", arguments=[]),
        msg_id="check-1"))

    async def started() -> None:
        while not any(any(isinstance(v, t.WorkDoneProgressReport) for v in vals)
                      for vals in client.client.progress_reports.values()):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(started(), 30)
    proto.notify(t.CANCEL_REQUEST, t.CancelParams(id="check-1"))
    with pytest.raises(JsonRpcException):
        await asyncio.wait_for(fut, 30)

    async def ended() -> t.WorkDoneProgressEnd:
        while True:
            for vals in client.client.progress_reports.values():
                if vals and isinstance(vals[-1], t.WorkDoneProgressEnd):
                    return vals[-1]
            await asyncio.sleep(0.01)

    end = await asyncio.wait_for(ended(), 30)
    assert "cancelled" in (end.message or "")
    assert await command(client, "kernlint.showRuleDoc", "KL201")


async def test_malformed_requests_get_errors(client: Session) -> None:
    with pytest.raises(JsonRpcException) as info:
        await raw_request(client.client, "bad-1", t.TEXT_DOCUMENT_CODE_ACTION, {"bogus": 1})
    assert info.value.code == -32602
    with pytest.raises(JsonRpcException) as info:
        await raw_request(client.client, "bad-2", t.TEXT_DOCUMENT_DIAGNOSTIC,
                          {"textDocument": "nope"})
    assert info.value.code == -32602
    with pytest.raises(JsonRpcException):
        await command(client, "kernlint.noSuchCommand")
    with pytest.raises(JsonRpcException):
        await command(client, "kernlint.recheckFile", 42)
    with pytest.raises(JsonRpcException) as info:
        await raw_request(client.client, "bad-3", "kernlint/unknownMethod", {})
    assert info.value.code == -32601
    # notifications with bad params or unknown documents are logged, not fatal
    await send_raw(client.client, {"method": t.TEXT_DOCUMENT_DID_CHANGE,
                                   "params": {"textDocument": 5}})
    client.client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri="file:///nowhere.c", version=2),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text="int x;")]))
    uri = client.open_doc("snd_demo.c")
    assert len(await client.diagnostics(uri, 1)) == 3


@pytest.mark.files({"a.c": EXAMPLE.read_text()})
async def test_check_workspace_uses_the_clients_token(client: Session) -> None:
    client.client.progress_reports["client-token"] = []  # as if the client made it
    result = await client.client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="kernlint.checkWorkspace", arguments=[], work_done_token="client-token"))
    assert result == {"files": 2, "findings": 6, "cancelled": False}
    assert list(client.client.progress_reports) == ["client-token"]
    values = client.client.progress_reports["client-token"]
    assert isinstance(values[0], t.WorkDoneProgressBegin)
    assert isinstance(values[-1], t.WorkDoneProgressEnd)
