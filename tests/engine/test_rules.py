"""Every KL rule fixture has its exact expected findings beside it (rule, position, resource,
message and related locations). Files named *_good.c must produce nothing.

To regenerate after an intended change: KERNLINT_UPDATE_SNAPSHOTS=1 pytest tests/engine
and review the diff of the .expected files like code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kernlint.config import Config
from kernlint.engine import Engine
from kernlint.model import Finding

CASES = Path(__file__).parent / "cases"
FILES = sorted(CASES.glob("*.c"))


def render(findings: list[Finding]) -> str:
    out = []
    for f in findings:
        out.append(f"{f.span.start_line + 1}:{f.span.start_col + 1} {f.rule} [{f.function}] "
                   f"`{f.resource}` {f.message}")
        for r in f.related:
            out.append(f"    {r.span.start_line + 1}: {r.message}")
    return "\n".join(out) + ("\n" if out else "")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(Config(select=["KL"]))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_fixture(engine: Engine, path: Path) -> None:
    got = render(engine.analyze_text(path.read_text(), path.name).findings)
    if path.stem.endswith("_good"):
        assert got == "", f"{path.name} must be clean:\n{got}"
        return
    expected_file = path.with_suffix(".expected")
    if os.environ.get("KERNLINT_UPDATE_SNAPSHOTS"):
        expected_file.write_text(got)
    assert expected_file.exists(), f"missing {expected_file.name}"
    assert got == expected_file.read_text()


def test_every_bad_fixture_finds_something(engine: Engine) -> None:
    for path in FILES:
        if not path.stem.endswith("_good"):
            assert engine.analyze_text(path.read_text(), path.name).findings, path.name


def test_findings_are_stable_under_unrelated_edits(engine: Engine) -> None:
    path = CASES / "kl101_bad_probe.c"
    text = path.read_text()
    before = engine.analyze_text(text, path.name).findings
    shifted = "/* a comment added at the top */\n\n" + text
    after = engine.analyze_text(shifted, path.name).findings
    assert [f.fingerprint for f in before] == [f.fingerprint for f in after]
    assert [f.span.start_line + 2 for f in before] == [f.span.start_line for f in after]


def test_suppression_comment(engine: Engine) -> None:
    text = (CASES / "kl201_bad.c").read_text()
    lines = text.splitlines()
    idx = next(i for i, ln in enumerate(lines) if "return -ENODEV;" in ln)
    lines.insert(idx, "\t\t/* kernlint: ignore[KL201] shutdown path is tested elsewhere */")
    got = engine.analyze_text("\n".join(lines) + "\n", "x.c").findings
    assert not any(f.rule == "KL201" and f.function == "fx_set_rate" for f in got)
    assert any(f.rule == "KL201" and f.function == "fx_trigger" for f in got)
