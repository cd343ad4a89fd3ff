"""Turning a model's answer into a candidate file text.

Accepted answer shapes, tried in this order:
  1. a unified diff (fenced as ```diff/```patch, or bare with ---/+++/@@ lines), applied to
     the file with `patches.apply_file_patch`; a hunk whose line numbers are off is moved to
     the one place its old lines match exactly (never fuzzily); a diff for another file is
     rejected;
  2. fenced code blocks: the last block that defines the target function is the answer;
  3. a bare function definition in the answer text (prose around it is ignored).

For 1 and 2 nothing is silently dropped: a block's other top-level items that are not
verbatim copies of code already in the file (a new helper, a new global, a changed second
function) are spliced in next to the function, where the verifier sees them as changes
outside the function and rejects the candidate. Comments outside the function and echoed
context (the struct definitions we sent) are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..patches import FilePatch, PatchError, apply_file_patch, parse_patch
from ..syntax import Function, ParsedFile

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+\-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_DIFF_LANGS = {"diff", "patch", "udiff"}


@dataclass
class Candidate:
    new_text: str | None
    kind: str  # diff | block | bare | none
    error: str = ""


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _looks_like_diff(text: str) -> bool:
    return bool(re.search(r"^--- .*\n\+\+\+ .*\n", text, re.M)) and "\n@@ " in "\n" + text


def _same_file(a: str, b: str) -> bool:
    pa, pb = PurePosixPath(a.replace("\\", "/")), PurePosixPath(b.replace("\\", "/"))
    if str(pa) in ("/dev/null", "dev/null"):
        return False
    return pa.name == pb.name and (str(pb).endswith(str(pa)) or str(pa).endswith(str(pb))
                                   or len(pa.parts) == 1 or len(pb.parts) == 1)


def _relocate(original: str, fp: FilePatch) -> FilePatch:
    """Move hunks whose old lines match exactly one place of the file to that place."""
    src = [ln.rstrip("\r\n") for ln in original.splitlines()]
    hunks = []
    for old_start, old_len, body in fp.hunks:
        old = [b[1:].rstrip("\r\n") for b in body if b[:1] in (" ", "-")]
        at = old_start - 1
        if old and src[at:at + len(old)] != old:
            hits = [i for i in range(len(src) - len(old) + 1) if src[i:i + len(old)] == old]
            if len(hits) == 1:
                at = hits[0]
        hunks.append((at + 1, old_len, body))
    hunks.sort(key=lambda h: h[0])
    return FilePatch(fp.old_path, fp.new_path, hunks)


def from_diff(diff: str, original: str, path: str) -> Candidate:
    try:
        patches = parse_patch(diff if diff.endswith("\n") else diff + "\n")
    except PatchError as exc:
        return Candidate(None, "diff", f"the diff cannot be read ({exc})")
    text = original
    for fp in patches:
        if not _same_file(fp.new_path, path) or not _same_file(fp.old_path, path):
            return Candidate(None, "diff", f"the diff edits another file ({fp.new_path})")
        try:
            text = apply_file_patch(text, _relocate(text, fp))
        except PatchError as exc:
            return Candidate(None, "diff", f"the diff does not apply ({exc})")
    return Candidate(text, "diff")


def splice_function(original: str, target: Function, replacement: str) -> str:
    raw = original.encode("utf-8", "surrogatepass")
    new = raw[:target.node.start_byte] + replacement.encode("utf-8", "surrogatepass") + \
        raw[target.node.end_byte:]
    return new.decode("utf-8", "surrogatepass")


def from_code(code: str, original: str, target: Function) -> Candidate | None:
    """None when the code does not define the target function."""
    parsed = ParsedFile(code, "<answer>")
    defs = [f for f in parsed.functions if f.name == target.name]
    if not defs:
        return None
    fn = defs[-1]
    known = _squash(original)
    before: list[str] = []
    after: list[str] = []
    for node in parsed.tree.root_node.children:
        if node.start_byte >= fn.node.start_byte and node.end_byte <= fn.node.end_byte:
            continue
        if fn.node.start_byte >= node.start_byte and fn.node.end_byte <= node.end_byte:
            continue  # e.g. an ERROR node wrapping the function: judged by the parse check
        if node.type == "comment":
            continue
        text = parsed.original_text_of(node)
        if not text.strip() or _squash(text) in known:
            continue
        (before if node.end_byte <= fn.node.start_byte else after).append(text.strip())
    fn_text = parsed.original_text_of(fn.node)
    replacement = "\n\n".join([*before, fn_text, *after])
    return Candidate(splice_function(original, target, replacement), "block")


def _bare_function(answer: str, name: str) -> str | None:
    """The text of a function definition `name` in free text, by brace matching."""
    head = re.compile(rf"^[A-Za-z_][^\n;{{}}()]*\b{re.escape(name)}\s*\([^;{{}}]*\)\s*\{{",
                      re.M)
    matches = list(head.finditer(answer))
    if not matches:
        return None
    m = matches[-1]
    depth = 0
    for i in range(m.end() - 1, len(answer)):
        ch = answer[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return answer[m.start():i + 1]
    return None


def parse_answer(answer: str, original: str, path: str, target: Function) -> Candidate:
    if not answer.strip():
        return Candidate(None, "none", "the answer is empty")
    blocks = [(m.group(1).lower(), m.group(2), m.group(0).rstrip().endswith("```"))
              for m in _FENCE.finditer(answer)]
    for lang, body, _closed in blocks:
        if lang in _DIFF_LANGS or _looks_like_diff(body):
            return from_diff(body, original, path)
    if not blocks and _looks_like_diff(answer):
        return from_diff(answer, original, path)
    code_blocks = [(body, closed) for lang, body, closed in blocks
                   if lang in ("", "c", "h", "cpp", "c++")]
    for body, closed in reversed(code_blocks):
        if not closed:
            if re.search(rf"\b{re.escape(target.name)}\s*\(", body):
                return Candidate(None, "block", "the answer was cut off (the code block is "
                                                "not closed; raise llm.max_tokens?)")
            continue
        cand = from_code(body, original, target)
        if cand is not None:
            return cand
    if blocks:
        return Candidate(None, "block", f"no code block in the answer defines `{target.name}`")
    bare = _bare_function(answer, target.name)
    if bare is None:
        return Candidate(None, "none", f"the answer contains no definition of `{target.name}` "
                                       "(expected one ```c block)")
    return Candidate(splice_function(original, target, bare), "bare")
