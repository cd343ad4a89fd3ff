"""Helpers for the end-to-end server tests (imported by conftest.py and the tests)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types as t
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "snd_demo.c"


@dataclass
class Published:
    uri: str
    version: int | None
    diagnostics: list[t.Diagnostic]


@dataclass
class Recorder:
    """Every publishDiagnostics the client received, in order, with versions."""

    items: list[Published] = field(default_factory=list)
    event: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, params: t.PublishDiagnosticsParams) -> None:
        self.items.append(Published(params.uri, params.version, list(params.diagnostics)))
        self.event.set()

    def for_uri(self, uri: str) -> list[Published]:
        return [p for p in self.items if p.uri == uri]

    async def wait_for(self, pred: Callable[[Published], bool], timeout: float = 20.0) -> Published:
        async def loop() -> Published:
            seen = 0
            while True:
                for p in self.items[seen:]:
                    if pred(p):
                        return p
                seen = len(self.items)
                self.event.clear()
                await self.event.wait()

        return await asyncio.wait_for(loop(), timeout)


@dataclass
class Session:
    client: LanguageClient
    name: str  # which client's capabilities
    root: Path
    recorder: Recorder
    result: t.InitializeResult
    versions: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def encoding(self) -> str:
        enc = self.result.capabilities.position_encoding
        return str(getattr(enc, "value", enc) or "utf-16")

    def uri(self, name: str) -> str:
        return from_fs_path(str(self.root / name)) or ""

    def open_doc(self, name: str, text: str | None = None) -> str:
        uri = self.uri(name)
        if text is None:
            text = (self.root / name).read_text()
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(t.DidOpenTextDocumentParams(
            t.TextDocumentItem(uri=uri, language_id="c", version=1, text=text)))
        return uri

    def replace_all(self, uri: str, text: str) -> int:
        """Send the new text as one incremental change covering the whole document."""
        old = self.texts[uri]
        lines = old.split("\n")
        end = t.Position(len(lines) - 1, units(lines[-1], self.encoding))
        return self.edit(uri, t.Range(t.Position(0, 0), end), text, new_full=text)

    def edit(self, uri: str, rng: t.Range, text: str, new_full: str | None = None) -> int:
        self.versions[uri] += 1
        version = self.versions[uri]
        if new_full is None:
            new_full = apply_lsp_edits(self.texts[uri], [t.TextEdit(rng, text)], self.encoding)
        self.texts[uri] = new_full
        self.client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[t.TextDocumentContentChangePartial(range=rng, text=text)]))
        return version

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(t.DidCloseTextDocumentParams(
            t.TextDocumentIdentifier(uri=uri)))

    async def diagnostics(self, uri: str, version: int | None = None,
                          timeout: float = 20.0) -> list[t.Diagnostic]:
        want = self.versions.get(uri) if version is None else version
        got = await self.recorder.wait_for(lambda p: p.uri == uri and p.version == want, timeout)
        return got.diagnostics


def units(s: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(s.encode("utf-8"))
    if encoding == "utf-32":
        return len(s)
    return len(s.encode("utf-16-le")) // 2


def _index(text: str, pos: t.Position, encoding: str) -> int:
    lines = text.split("\n")
    start = sum(len(x) + 1 for x in lines[: pos.line])
    line = lines[pos.line] if pos.line < len(lines) else ""
    used = 0
    for i, ch in enumerate(line):
        if used >= pos.character:
            return start + i
        used += units(ch, encoding)
    return start + len(line)


def apply_lsp_edits(text: str, edits: list[t.TextEdit], encoding: str) -> str:
    spans = sorted(((_index(text, e.range.start, encoding), _index(text, e.range.end, encoding),
                     e.new_text) for e in edits), reverse=True)
    for a, b, new in spans:
        text = text[:a] + new + text[b:]
    return text


def workspace_edits(edit: t.WorkspaceEdit, uri: str) -> tuple[list[t.TextEdit], int | None]:
    """The text edits for uri and the version they are pinned to (None: unversioned)."""
    if edit.document_changes:
        for dc in edit.document_changes:
            assert isinstance(dc, t.TextDocumentEdit)
            if dc.text_document.uri == uri:
                return [e for e in dc.edits if isinstance(e, t.TextEdit)], dc.text_document.version
        return [], None
    return list((edit.changes or {}).get(uri, [])), None


def by_code(diags: list[t.Diagnostic], code: str) -> list[t.Diagnostic]:
    return [d for d in diags if d.code == code]


async def send_raw(client: LanguageClient, message: dict[str, object]) -> None:
    """Write a JSON-RPC message to the server as is (no client-side validation)."""
    proc = client._server
    assert proc is not None and proc.stdin is not None
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await proc.stdin.drain()


async def raw_request(client: LanguageClient, msg_id: str, method: str, params: object) -> object:
    """A request with arbitrary (possibly invalid) params; returns the result or raises the
    JsonRpcException the server answered with."""
    fut: concurrent.futures.Future[object] = concurrent.futures.Future()
    client.protocol._request_futures[msg_id] = fut
    await send_raw(client, {"id": msg_id, "method": method, "params": params})
    return await asyncio.wait_for(asyncio.wrap_future(fut), 20)
