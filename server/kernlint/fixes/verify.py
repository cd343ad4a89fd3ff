"""Applying text edits and verifying a candidate fix with the same engine that found the bug.

A fix is offered only if, applied to a copy of the document:
  1. it parses with no more ERROR nodes than before,
  2. the target finding is gone,
  3. no finding appears that was not there before (anywhere in the file),
  4. every changed line lies inside the regions the fix may touch (its function, or the
     struct / init sites a multi-site fix declares),
  5. the change is not larger than a bound (for model-written patches).
Deterministic fixes and LLM drafts go through exactly this function.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field

from ..engine import Engine
from ..model import Finding, TextEdit
from ..syntax import ParsedFile


class EditError(ValueError):
    pass


def _offsets(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def apply_edits(text: str, edits: list[TextEdit] | tuple[TextEdit, ...]) -> str:
    """Apply non-overlapping edits (0-based line / code-point column spans) to text."""
    starts = _offsets(text)

    def index(line: int, col: int) -> int:
        if line < 0 or col < 0:
            raise EditError("negative position")
        if line >= len(starts):
            if line == len(starts) and col == 0:
                return len(text)
            raise EditError(f"line {line + 1} is past the end of the document")
        end = starts[line + 1] - 1 if line + 1 < len(starts) else len(text)
        if starts[line] + col > end:
            raise EditError(f"column {col + 1} is past the end of line {line + 1}")
        return starts[line] + col

    spans = sorted(((index(e.span.start_line, e.span.start_col),
                     index(e.span.end_line, e.span.end_col), e.new_text) for e in edits),
                   key=lambda x: (x[0], x[1]))
    out: list[str] = []
    pos = 0
    for a, b, new in spans:
        if a < pos or b < a:
            raise EditError("overlapping edits")
        out.append(text[pos:a])
        out.append(new)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def _same_issue(a: Finding, b: Finding) -> bool:
    return a.rule == b.rule and a.function == b.function and a.resource == b.resource


def _key(f: Finding) -> tuple[str, str, str, str]:
    return (f.rule, f.function, f.resource, f.message)


@dataclass
class Verdict:
    ok: bool
    reason: str = ""
    new_findings: list[Finding] = field(default_factory=list)
    changed_lines: int = 0
    new_text: str = ""


def changed_line_ranges(old: str, new: str) -> list[tuple[int, int]]:
    """0-based [start, end) line ranges of `new` that differ from `old` (plus deletion points)."""
    sm = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines(), autojunk=False)
    out = []
    for tag, _i1, _i2, j1, j2 in sm.get_opcodes():
        if tag != "equal":
            out.append((j1, max(j2, j1 + 1)))
    return out


def verify_text(engine: Engine, path: str, before_text: str, before: list[Finding],
                target: Finding, new_text: str, allowed_lines: list[tuple[int, int]] | None = None,
                max_changed_lines: int | None = None) -> Verdict:
    """Check new_text as a fix of target. allowed_lines: 0-based [start, end) ranges of new_text."""
    if new_text == before_text:
        return Verdict(False, "the fix changes nothing")
    ranges = changed_line_ranges(before_text, new_text)
    changed = sum(b - a for a, b in ranges)
    if max_changed_lines is not None and changed > max_changed_lines:
        return Verdict(False, f"the change touches {changed} lines, more than the "
                              f"{max_changed_lines} allowed", changed_lines=changed)
    if allowed_lines is not None:
        for a, b in ranges:
            if not any(lo <= a and b <= hi for lo, hi in allowed_lines):
                return Verdict(False, f"the change at line {a + 1} is outside the function",
                               changed_lines=changed)
    old_parsed = ParsedFile(before_text, path)
    new_parsed = ParsedFile(new_text, path)
    if new_parsed.error_node_count() > old_parsed.error_node_count():
        return Verdict(False, "the fixed code does not parse", changed_lines=changed)
    after = engine.analyze(new_parsed).result.findings
    if any(_same_issue(f, target) for f in after):
        still = [f for f in after if _same_issue(f, target)]
        # The same resource may be leaked at several exits; the target exit must be gone.
        if len(still) >= sum(1 for f in before if _same_issue(f, target)):
            return Verdict(False, f"{target.rule} on `{target.resource}` is still reported",
                           changed_lines=changed)
    budget = Counter(_key(f) for f in before)
    new: list[Finding] = []
    for f in after:
        k = _key(f)
        if budget[k] > 0:
            budget[k] -= 1
        else:
            new.append(f)
    if new:
        f = new[0]
        return Verdict(False, f"the fix introduces {f.rule} at line {f.span.start_line + 1}: "
                              f"{f.message}", new, changed_lines=changed)
    return Verdict(True, "verified", changed_lines=changed, new_text=new_text)


def function_lines(parsed: ParsedFile, name: str) -> tuple[int, int] | None:
    for fn in parsed.functions:
        if fn.name == name:
            return fn.span.start_line, fn.span.end_line + 1
    return None
