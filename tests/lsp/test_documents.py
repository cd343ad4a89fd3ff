"""Open / change / close: diagnostics carry the document version and are cleared on close."""

from __future__ import annotations

import pytest
from lsphelpers import EXAMPLE, Session, by_code, units
from lsprotocol import types as t


async def test_open_publishes_versioned_diagnostics(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    diags = await client.diagnostics(uri, 1)
    codes = sorted(str(d.code) for d in diags)
    assert codes == ["KL101", "KL101", "KL201"]
    leak = next(d for d in by_code(diags, "KL101") if "`card`" in d.message)
    assert leak.source == "kernlint"
    assert leak.severity in (t.DiagnosticSeverity.Error, t.DiagnosticSeverity.Warning)
    if client.name == "visual-studio-code":  # codeDescriptionSupport
        assert leak.code_description is not None
        assert leak.code_description.href.endswith("KL101")
    else:  # Neovim does not announce codeDescriptionSupport: not sent
        assert leak.code_description is None
    assert leak.range.start.line == 71  # `return err;` after snd_pcm_new() fails
    assert leak.related_information
    messages = [r.message for r in leak.related_information]
    assert any("acquired here" in m for m in messages)
    assert any("released here" in m for m in messages)
    assert all(r.location.uri == uri for r in leak.related_information)
    acquire = next(r for r in leak.related_information if "acquired here" in r.message)
    assert acquire.location.range.start.line == 57


async def test_change_reanalyses_and_close_clears(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    diags = await client.diagnostics(uri, 1)
    assert by_code(diags, "KL201")
    text = client.texts[uri]
    line = text.split("\n").index("\t\treturn -ENODEV;")
    # unlock before the early return (a braced block: the `if` has no braces)
    v = client.edit(uri, t.Range(t.Position(line, 2), t.Position(line, 2)),
                    "{ mutex_unlock(&chip->lock); ")
    v = client.edit(uri, t.Range(t.Position(line, 46), t.Position(line, 46)), " }")
    diags = await client.diagnostics(uri, v)
    assert not by_code(diags, "KL201")
    assert len(by_code(diags, "KL101")) == 2
    client.close(uri)
    got = await client.recorder.wait_for(lambda p: p.uri == uri and p.version is None)
    assert got.diagnostics == []


async def test_positions_use_the_negotiated_encoding(client: Session) -> None:
    text = client.root.joinpath("snd_demo.c").read_text()
    prefix = "\t\t/* \u00e9\U0001f3b5 */ "
    text = text.replace("\t\treturn -ENODEV;", prefix + "return -ENODEV;")
    uri = client.open_doc("snd_demo.c", text)
    (lock,) = by_code(await client.diagnostics(uri, 1), "KL201")
    expected = {"visual-studio-code": "utf-16", "neovim": "utf-8"}[client.name]
    assert client.encoding == expected
    assert lock.range.start.character == units(prefix, expected)
    # an edit after the emoji, in client units, lands where the client meant it
    line = lock.range.start.line
    col = units(prefix + "return -ENODEV", expected)
    v = client.edit(uri, t.Range(t.Position(line, col), t.Position(line, col)), " ")
    (lock,) = by_code(await client.diagnostics(uri, v), "KL201")
    assert lock.range.end.character == units(prefix + "return -ENODEV ;", expected)


@pytest.mark.init_options({"debounceMs": 0, "maxFileBytes": 4096})
async def test_huge_document_gets_no_diagnostics(client: Session) -> None:
    big_text = EXAMPLE.read_text() * 3
    big = client.open_doc("big.c", big_text)
    small = client.open_doc("snd_demo.c")
    await client.diagnostics(small, 1)  # one worker: big.c was handled before
    assert not client.recorder.for_uri(big)
    assert any("max_file_bytes" in m.message for m in client.client.log_messages)
    # the server still works on big.c once it is small again
    v = client.replace_all(big, "int x;\n")
    assert await client.diagnostics(big, v) == []
