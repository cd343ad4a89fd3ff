"""In-process tests of the protocol-free parts: text edits and position encodings, the fast
initialize answer, and the analysis worker's error handling."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from kernlint.lsp import fastinit
from kernlint.lsp.analysis import Analyser
from kernlint.lsp.documents import Change, DocumentStore, TextLines
from lsphelpers import EXAMPLE

CLIENT_SPECS = sorted(p.stem.replace("_v", "@v").replace("_", "-")
                      for p in (Path(__import__("pytest_lsp").__file__).parent / "clients").glob("*.json"))


def test_text_lines_conversions() -> None:
    text = "a\u00e9\U0001f3b5b\nplain\n"
    lines = TextLines(text)
    assert lines.line(0) == "a\u00e9\U0001f3b5b"
    # column 3 (code points) is after the emoji
    assert lines.to_client(0, 3, "utf-16") == 4
    assert lines.to_client(0, 3, "utf-8") == 7
    assert lines.to_client(0, 3, "utf-32") == 3
    assert lines.from_client(0, 4, "utf-16") == 3
    assert lines.from_client(0, 7, "utf-8") == 3
    assert lines.from_client(1, 99, "utf-16") == 5  # clamped


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_incremental_changes_match_full_text(encoding: str) -> None:
    store = DocumentStore()
    doc = store.open("file:///x.c", "/x.c", 1, "int a;\n/* \u00e9\U0001f3b5 */ int b;\nint c;\n")
    # replace "b" on line 1 (after the emoji) by "bee", then join lines 0 and 1
    col_b = fastinit_units("/* \u00e9\U0001f3b5 */ int ", encoding)
    doc.apply([Change("bee", (1, col_b), (1, col_b + 1))], 2, encoding)
    assert doc.text == "int a;\n/* \u00e9\U0001f3b5 */ int bee;\nint c;\n"
    doc.apply([Change("", (0, 6), (1, 0)), Change("X", (1, 0), (1, 0))], 3, encoding)  # sequential
    assert doc.text == "int a;/* \u00e9\U0001f3b5 */ int bee;\nXint c;\n"
    assert doc.lines.starts == TextLines(doc.text).starts
    doc.apply([Change("whole")], 4, encoding)
    assert doc.text == "whole" and doc.version == 4


def fastinit_units(s: str, encoding: str) -> int:
    from kernlint.lsp.documents import units

    return units(s, encoding)


@pytest.mark.parametrize("spec", CLIENT_SPECS)
def test_fast_initialize_matches_pygls(spec: str) -> None:
    """The answer given before pygls is loaded equals what pygls computes."""
    import pytest_lsp
    from kernlint.lsp.server import build_server
    from lsprotocol import types as t
    from pygls.capabilities import ServerCapabilitiesBuilder

    caps = pytest_lsp.client_capabilities(spec)
    ls = build_server()
    fm = ls.protocol.fm
    enc = ServerCapabilitiesBuilder.choose_position_encoding(caps)
    built = ServerCapabilitiesBuilder(
        caps, set({**fm.features, **fm.builtin_features}.keys()), fm.feature_options,
        list(fm.commands.keys()), t.TextDocumentSyncKind.Incremental, None, enc).build()
    expected = ls.protocol._converter.unstructure(built)
    raw_caps = ls.protocol._converter.unstructure(caps)
    assert fastinit.capabilities(raw_caps) == expected


def test_fast_initialize_replays_and_drops_duplicate() -> None:
    init = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "initialize",
                       "params": {"capabilities": {"general": {"positionEncodings": ["utf-32"]}}}})
    nxt = json.dumps({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    data = b"".join(b"Content-Length: %d\r\n\r\n%s" % (len(m), m.encode()) for m in (init, nxt))
    out = io.BytesIO()
    stdin, stdout = fastinit.answer_initialize(io.BytesIO(data), out)
    answer = json.loads(out.getvalue().partition(b"\r\n\r\n")[2])
    assert answer["id"] == 7 and answer["result"]["capabilities"]["positionEncoding"] == "utf-32"
    # pygls reads the same bytes again
    assert stdin.readline() == f"Content-Length: {len(init)}\r\n".encode()
    assert stdin.readline() == b"\r\n"
    assert stdin.read(len(init)) == init.encode()
    assert stdin.readline().startswith(b"Content-Length")
    # pygls' own answer to id 7 is dropped, everything else passes
    before = len(out.getvalue())
    stdout.write(b"Content-Length: 30\r\n\r\n" + json.dumps({"jsonrpc": "2.0", "id": 7, "result": {}}).encode())
    assert len(out.getvalue()) == before
    stdout.write(b"Content-Length: 2\r\n\r\n{}")
    assert len(out.getvalue()) == before + 23


def test_analysis_failure_keeps_previous_result(monkeypatch: pytest.MonkeyPatch) -> None:
    an = Analyser()
    store = DocumentStore()
    doc = store.open("file:///d.c", str(EXAMPLE), 1, EXAMPLE.read_text())
    first = an.analyse(doc, doc.lines, 1)
    assert first is not None and first.ok and len(first.findings) == 3
    engine = an.engine()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(engine, "analyze", boom)
    doc.apply([Change("// edit\n", (0, 0), (0, 0))], 2, "utf-16")
    out = an.analyse(doc, doc.lines, 2)
    assert out is not None and not out.ok
    assert doc.parsed is None, "a failed parse state is dropped"
    monkeypatch.undo()
    out = an.analyse(doc, doc.lines, 2)
    assert out is not None and out.ok and len(out.findings) == 3
    an.shutdown()


def test_stale_job_is_skipped_and_huge_document_not_analysed() -> None:
    an = Analyser()
    store = DocumentStore()
    doc = store.open("file:///d.c", "/d.c", 1, EXAMPLE.read_text())
    doc.apply([Change("x")], 2, "utf-16")
    assert an.analyse(doc, TextLines(EXAMPLE.read_text()), 1) is None
    an.config.max_file_bytes = 1024
    big = store.open("file:///big.c", "/big.c", 1, "int x;\n" * 1000)
    out = an.analyse(big, big.lines, 1)
    assert out is not None and out.too_big and not out.findings
    an.shutdown()
