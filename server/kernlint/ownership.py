"""File-wide ownership facts computed once per file, before the per-function walks.

A driver that installs a destructor (`card->private_free = f`, `.dev_free = f` in its
snd_device_ops, `devm_add_action_or_reset(dev, f, data)`) hands everything `f` releases to
whoever runs the destructor; a driver that calls pcim_enable_device() has managed PCI
regions. Acquisitions whose release functions are all among these are not leaks on the
acquiring function's error paths.

The scan is split into per-function pieces memoised by function text, so the editor only
rescans the function being typed in.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from .knowledge import Knowledge
from .syntax import ParsedFile

_CALL_RE = re.compile(rb"\b([A-Za-z_]\w*)\s*\(")


@lru_cache(maxsize=8)
def _patterns(fields: tuple[str, ...], registrars: tuple[str, ...]) -> tuple[re.Pattern[bytes], re.Pattern[bytes] | None]:
    f = b"|".join(re.escape(x.encode()) for x in fields) or b"(?!)"
    field_re = re.compile(rb"(?:->|\.)\s*(?:" + f + rb")\s*=(?!=)\s*&?\s*([A-Za-z_]\w*)")
    reg_re = None
    if registrars:
        r = b"|".join(re.escape(x.encode()) for x in registrars)
        reg_re = re.compile(rb"\b(" + r + rb")\s*\(")
    return field_re, reg_re


def _registered(text: bytes, k: Knowledge) -> frozenset[str]:
    """Destructor functions installed in this piece of text."""
    field_re, reg_re = _patterns(tuple(k.destructor_fields), tuple(sorted(k.destructor_registrars)))
    names = {m.group(1).decode() for m in field_re.finditer(text)}
    if reg_re is not None:
        for m in reg_re.finditer(text):
            idx = k.destructor_registrars[m.group(1).decode()]
            args = _split_args(text, m.end())
            if idx < len(args):
                a = re.sub(r"^\(.*?\)\s*", "", args[idx]).lstrip("&")
                if re.fullmatch(r"[A-Za-z_]\w*", a):
                    names.add(a)
    return frozenset(names)


def _split_args(text: bytes, start: int) -> list[str]:
    depth, args, cur = 0, [], bytearray()
    for ch in text[start: start + 400]:
        c = chr(ch)
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                args.append(cur.decode("utf-8", "replace").strip())
                return args
            depth -= 1
        elif c == "," and depth == 0:
            args.append(cur.decode("utf-8", "replace").strip())
            cur = bytearray()
            continue
        cur.append(ch)
    return args


def managed_releases(parsed: ParsedFile, k: Knowledge,
                     memo: dict[object, object] | None = None) -> frozenset[str]:
    memo = memo if memo is not None else {}
    src = parsed.src
    functions = parsed.functions
    names: set[str] = set()
    calls_of: dict[str, frozenset[str]] = {}
    gaps = bytearray()
    pos = 0
    for fn in functions:
        body = src[fn.node.start_byte: fn.node.end_byte]
        got = memo.get(("fn", fn.text_hash))
        if not isinstance(got, tuple):
            got = (_registered(body, k), frozenset(m.group(1).decode() for m in _CALL_RE.finditer(body)))
            memo[("fn", fn.text_hash)] = got
        names |= got[0]
        calls_of[fn.name] = got[1]
        gaps += src[pos: fn.node.start_byte]
        pos = fn.node.end_byte
    gaps += src[pos:]
    gkey = ("gaps", hashlib.sha1(gaps).hexdigest())
    greg = memo.get(gkey)
    if not isinstance(greg, frozenset):
        greg = _registered(bytes(gaps), k)
        memo[gkey] = greg
    names |= greg
    released: set[str] = set()
    seen: set[str] = set()
    frontier = [n for n in names if n in calls_of]
    depth = 0
    while frontier and depth < 3:
        nxt = []
        for name in frontier:
            if name in seen:
                continue
            seen.add(name)
            for callee in calls_of[name]:
                if callee == name:
                    continue
                if callee in k.release_index:
                    released.add(callee)
                elif callee in calls_of and callee not in seen:
                    nxt.append(callee)
        frontier = nxt
        depth += 1
    every_call: set[str] = set()
    for c in calls_of.values():
        every_call |= c
    for when, rels in k.managed_if:
        if when & every_call:
            released |= rels
    if len(memo) > 20000:
        memo.clear()
    return frozenset(released)
