"""Race and atomic-context rules (KR4xx, KA5xx) on our own C fixtures.

Each fixture states what it expects on the line itself:
    x = 1; /* expect: KR401 rel=a,b */     a finding of KR401 on this line, whose related
                                          locations include the lines marked `rel: a` / `rel: b`
    y = 2; /* rel: a */
Every finding of the KR/KA families must be expected, and every expectation must be met.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kernlint.engine import Engine

CASES = Path(__file__).parent / "cases"
EXPECT_RE = re.compile(r"expect:\s*((?:K[RA]\d{3}(?:\s+rel=[\w,]+)?\s*)+)")
ONE_RE = re.compile(r"(K[RA]\d{3})(?:\s+rel=([\w,]+))?")
REL_RE = re.compile(r"rel:\s*(\w+)")


def expectations(text: str) -> tuple[dict[tuple[str, int], list[str]], dict[str, int]]:
    exp: dict[tuple[str, int], list[str]] = {}
    marks: dict[str, int] = {}
    for i, line in enumerate(text.splitlines()):
        m = EXPECT_RE.search(line)
        if m:
            for rule, rel in ONE_RE.findall(m.group(1)):
                exp[(rule, i)] = rel.split(",") if rel else []
        for r in REL_RE.findall(line):
            marks[r] = i
    return exp, marks


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.mark.parametrize("path", sorted(CASES.glob("*.c")), ids=lambda p: p.name)
def test_fixture(engine: Engine, path: Path) -> None:
    text = path.read_text()
    exp, marks = expectations(text)
    res = engine.analyze_text(text, str(path))
    got = {(f.rule, f.span.start_line): f for f in res.findings if f.rule[:2] in ("KR", "KA")}
    unexpected = [f"{r}:{ln + 1} {got[(r, ln)].message}" for r, ln in got if (r, ln) not in exp]
    missing = [f"{r}:{ln + 1}" for r, ln in exp if (r, ln) not in got]
    assert not unexpected and not missing, f"unexpected={unexpected} missing={missing}"
    for key, rels in exp.items():
        lines = {r.span.start_line for r in got[key].related}
        for name in rels:
            assert marks[name] in lines, f"{key[0]}:{key[1] + 1} lacks related `{name}` ({sorted(lines)})"


def test_finding_data(engine: Engine) -> None:
    text = (CASES / "kr403_shutdown.c").read_text()
    res = engine.analyze_text(text, "kr403_shutdown.c")
    f = next(f for f in res.findings if f.rule == "KR403")
    assert f.data["flag_expr"] == "c->shutdown"
    assert f.data["lock"] == "c->mutex"
    assert f.data["unlock_label"] == "out"
    assert text.encode()[int(f.data["lock_byte"]):].startswith(b"mutex_lock(&c->mutex)")  # type: ignore[call-overload]
    text = (CASES / "kr401_unguarded.c").read_text()
    res = engine.analyze_text(text, "kr401_unguarded.c")
    f = next(f for f in res.findings if f.rule == "KR401")
    assert f.data["lock"] == "chip->lock"
    assert f.data["lock_class"] == "spinlock"
    assert f.data["field"] == "chip->running"
    assert f.data["stmt_lines"] == [f.span.start_line, f.span.start_line]


def test_access_summaries_are_position_independent(engine: Engine) -> None:
    """Cached per-function summaries give the same findings after lines move."""
    from kernlint.engine import FunctionCache
    from kernlint.syntax import ParsedFile

    text = (CASES / "kr401_unguarded.c").read_text()
    cache = FunctionCache()
    first = engine.analyze(ParsedFile(text, "a.c"), cache).result.findings
    moved = "/* one */\n/* two */\n" + text
    again = engine.analyze(ParsedFile(moved, "a.c"), cache).result.findings
    fresh = engine.analyze(ParsedFile(moved, "a.c")).result.findings
    assert any(cache.file_rule_summaries.values())

    def key(fs: list) -> list:  # type: ignore[type-arg]
        return [(f.rule, f.span.start_line, f.span.start_byte, f.message,
                 [r.span.start_line for r in f.related], f.data.get("stmt_lines"))
                for f in fs if f.rule[:2] in ("KR", "KA")]

    assert key(again) == key(fresh)
    assert [k[1] + 2 for k in key(first)] == [k[1] for k in key(again)]
