"""Version races: quick edits are coalesced; nothing is published for a version the editor
already replaced; the last publication is for the last version and matches its text."""

from __future__ import annotations

import asyncio

import pytest
from lsphelpers import Session, by_code
from lsprotocol import types as t


async def test_burst_of_changes_ends_with_last_version(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    await client.diagnostics(uri, 1)
    text = client.texts[uri]
    line = text.split("\n").index("\t\treturn -ENODEV;")
    versions = []
    # type a comment character by character, then fix the lock leak in the last edit
    for i, ch in enumerate("/* typing */"):
        versions.append(client.edit(uri, t.Range(t.Position(0, i), t.Position(0, i)), ch))
    last = client.edit(uri, t.Range(t.Position(line, 2), t.Position(line, 2)),
                       "{ mutex_unlock(&chip->lock); ")
    last = client.edit(uri, t.Range(t.Position(line, 46), t.Position(line, 46)), " }")
    diags = await client.diagnostics(uri, last)
    assert not by_code(diags, "KL201")
    await asyncio.sleep(0.3)  # anything still in flight would arrive now
    published = [p.version for p in client.recorder.for_uri(uri)]
    assert published[-1] == last
    assert published == sorted(published), "publications must never go back in version"
    assert len(published) == len(set(published))


@pytest.mark.init_options({"debounceMs": 300})
async def test_debounce_skips_intermediate_versions(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    await client.diagnostics(uri, 1)
    for i in range(8):
        last = client.edit(uri, t.Range(t.Position(0, i), t.Position(0, i)), "x")
    await client.diagnostics(uri, last)
    await asyncio.sleep(0.5)
    published = [p.version for p in client.recorder.for_uri(uri)]
    assert published == [1, last], "stale versions were published"


async def test_close_while_analysing_publishes_nothing_after(client: Session) -> None:
    uri = client.open_doc("snd_demo.c")
    client.edit(uri, t.Range(t.Position(0, 0), t.Position(0, 0)), "x")
    client.close(uri)
    cleared = await client.recorder.wait_for(lambda p: p.uri == uri and p.version is None)
    assert cleared.diagnostics == []
    await asyncio.sleep(0.5)
    after = client.recorder.items[client.recorder.items.index(cleared) + 1:]
    assert not [p for p in after if p.uri == uri], "published for a closed document"


async def test_race_findings_follow_in_a_complete_pass(client: Session) -> None:
    """The quick pass leaves out race findings of the edited function; the complete pass
    for the same version brings them back once typing pauses."""
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[1] / "races" / "cases" / "kr401_unguarded.c"
    uri = client.open_doc("races.c", fixture.read_text())
    first = await client.diagnostics(uri, 1)
    races = [d for d in first if str(d.code).startswith("KR")]
    assert races
    target = races[0]
    # a harmless statement at the start of the line that carries the finding
    line = target.range.start.line
    v = client.edit(uri, t.Range(t.Position(line, 0), t.Position(line, 0)), "\t;")
    complete = await client.recorder.wait_for(
        lambda p: p.uri == uri and p.version == v and
        any(str(d.code) == str(target.code) and d.range.start.line == line
            for d in p.diagnostics))
    assert complete.version == v
