"""The idiomatic alternative: __free() / guard() where the file already uses them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kernlint.engine import Engine
from kernlint.fixes.provider import fixes_for
from kernlint.fixes.verify import apply_edits
from kernlint.model import Applicability
from kernlint.syntax import ParsedFile

HERE = Path(__file__).parent / "scoped"


@pytest.mark.parametrize("name,rule,fix_id", [("free.c", "KL101", "scoped.free"),
                                              ("guard.c", "KL201", "scoped.guard")])
def test_scoped_alternative(name: str, rule: str, fix_id: str) -> None:
    engine = Engine()
    path = HERE / name
    text = path.read_text()
    parsed = ParsedFile(text, name)
    analysis = engine.analyze(parsed)
    [finding] = [f for f in analysis.result.findings if f.rule == rule]
    fixes = fixes_for(engine, parsed, analysis, finding)
    assert fixes[0].fix_id != fix_id, "the alternative is the second action, not the first"
    [alt] = [f for f in fixes if f.fix_id == fix_id]
    assert alt.applicability == Applicability.UNSAFE
    new = apply_edits(text, list(alt.edits))
    expected = path.with_suffix(".alt.c")
    if os.environ.get("KERNLINT_UPDATE_SNAPSHOTS") or not expected.exists():
        expected.write_text(new)
    assert new == expected.read_text()
    assert not [f for f in engine.analyze_text(new, name).findings if f.rule == rule]


def test_no_alternative_where_the_file_does_not_use_it() -> None:
    engine = Engine()
    for path in (HERE / "free.c", HERE / "guard.c"):
        text = path.read_text().replace("__free(kfree)", "").replace(
            "guard(mutex)(&chip->lock);", "mutex_lock(&chip->lock);")
        parsed = ParsedFile(text, path.name)
        analysis = engine.analyze(parsed)
        for f in analysis.result.findings:
            assert not [x for x in fixes_for(engine, parsed, analysis, f)
                        if x.fix_id.startswith("scoped.")]
