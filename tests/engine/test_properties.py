"""Property tests: the engine never raises, whatever C (or not-C) it is given."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernlint.engine import Engine
from kernlint.fixes.verify import apply_edits
from kernlint.model import Span, TextEdit

CASES = Path(__file__).parent / "cases"
SEED = "\n".join(p.read_text() for p in sorted(CASES.glob("*.c")))
ENGINE = Engine()
TOKENS = ["if (", ")", "{", "}", "return", "err", ";", "goto out;", "out:", "mutex_lock(&l);",
          "mutex_unlock(&l);", "p = kmalloc(8, GFP_KERNEL);", "kfree(p);", "else", "while (x)",
          "for (;;)", "switch (v) {", "case 1:", "break;", "#ifdef X", "#endif", "\n", "int ",
          "list_for_each_entry(a, b, c)", "guard(mutex)(&l);", "scoped_guard(spinlock, &s)",
          "__free(kfree)", "/*", "*/", "\"", "'", "\\", "...", "->", "&", "*", "NULL"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=len(SEED)))
def test_truncated_sources(cut: int) -> None:
    ENGINE.analyze_text(SEED[:cut], "t.c")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=120))
def test_token_soup(tokens: list[str]) -> None:
    body = " ".join(tokens)
    ENGINE.analyze_text(f"int f(void)\n{{\n{body}\n}}\n", "t.c")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    ENGINE.analyze_text(text, "t.c")


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 3), st.integers(0, 10), st.text(max_size=10))
def test_apply_edits_inserts_at_position(line: int, col: int, new: str) -> None:
    text = "abc\ndefgh\nij\n\n"
    lines = text.split("\n")
    col = min(col, len(lines[line]))
    offset = sum(len(ln) + 1 for ln in lines[:line]) + col
    out = apply_edits(text, [TextEdit(Span(line, col, line, col), new)])
    assert out[:offset] + out[offset + len(new):] == text
    assert out[offset:offset + len(new)] == new
