"""Unified diffs: making them (for `fix --diff`) and applying them strictly (for `diff --patch`
and model-written patches). Applying never guesses: a hunk whose context does not match
exactly is an error."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field


class PatchError(ValueError):
    pass


@dataclass
class FilePatch:
    old_path: str
    new_path: str
    hunks: list[tuple[int, int, list[str]]] = field(default_factory=list)  # (old_start, old_len, lines)


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _strip_prefix(p: str) -> str:
    p = p.split("\t")[0].strip()
    if p.startswith(("a/", "b/")):
        return p[2:]
    return p


def parse_patch(text: str) -> list[FilePatch]:
    lines = text.splitlines(keepends=True)
    out: list[FilePatch] = []
    i = 0
    cur: FilePatch | None = None
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            cur = FilePatch(_strip_prefix(ln[4:]), _strip_prefix(lines[i + 1][4:]))
            out.append(cur)
            i += 2
            continue
        m = _HUNK.match(ln)
        if m and cur is not None:
            old_start = int(m.group(1))
            old_len = int(m.group(2)) if m.group(2) is not None else 1
            new_len = int(m.group(4)) if m.group(4) is not None else 1
            body: list[str] = []
            i += 1
            seen_old = seen_new = 0
            while i < len(lines) and (seen_old < old_len or seen_new < new_len):
                b = lines[i]
                if b.startswith("\\"):
                    i += 1
                    continue
                tag = b[:1]
                if tag not in (" ", "-", "+"):
                    if b.strip() == "":
                        tag, b = " ", " " + b
                    else:
                        raise PatchError(f"malformed hunk line: {b.rstrip()[:60]!r}")
                if tag in (" ", "-"):
                    seen_old += 1
                if tag in (" ", "+"):
                    seen_new += 1
                body.append(b)
                i += 1
            cur.hunks.append((old_start, old_len, body))
            continue
        i += 1
    if not out:
        raise PatchError("no file headers (---/+++) found in patch")
    return out


def apply_file_patch(original: str, fp: FilePatch) -> str:
    src = original.splitlines(keepends=True)
    result: list[str] = []
    pos = 0
    for old_start, _old_len, body in fp.hunks:
        start = max(old_start - 1, 0)
        if start < pos:
            raise PatchError("overlapping hunks")
        result.extend(src[pos:start])
        k = start
        for b in body:
            tag, content = b[:1], b[1:]
            if tag in (" ", "-"):
                if k >= len(src) or src[k].rstrip("\r\n") != content.rstrip("\r\n"):
                    raise PatchError(f"{fp.old_path}: hunk at line {old_start} does not apply")
                if tag == " ":
                    result.append(src[k])
                k += 1
            else:
                if not content.endswith("\n"):
                    content += "\n"
                result.append(content)
        pos = k
    result.extend(src[pos:])
    return "".join(result)


def make_diff(old: str, new: str, path: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"a/{path}", tofile=f"b/{path}"))
