"""File-wide ownership facts computed once per file, before the per-function walks.

A driver that installs a destructor (`card->private_free = f`, `.dev_free = f` in its
snd_device_ops, `devm_add_action_or_reset(dev, f, data)`) hands everything `f` releases to
whoever runs the destructor; a driver that calls pcim_enable_device() has managed PCI
regions. Acquisitions whose release functions are all among these are not leaks on the
acquiring function's error paths.
"""

from __future__ import annotations

import re

from .knowledge import Knowledge
from .syntax import ParsedFile

_CALL_RE = re.compile(rb"\b([A-Za-z_]\w*)\s*\(")


def managed_releases(parsed: ParsedFile, k: Knowledge) -> frozenset[str]:
    src = parsed.src
    names: set[str] = set()
    if k.destructor_fields:
        fields = "|".join(re.escape(f) for f in k.destructor_fields)
        for m in re.finditer(rb"(?:->|\.)\s*(?:" + fields.encode() + rb")\s*=\s*&?\s*([A-Za-z_]\w*)",
                             src):
            names.add(m.group(1).decode())
    for reg, idx in k.destructor_registrars.items():
        for m in re.finditer(rb"\b" + re.escape(reg.encode()) + rb"\s*\(", src):
            depth, args, cur = 0, [], bytearray()
            for ch in src[m.end(): m.end() + 400]:
                c = chr(ch)
                if c == "(":
                    depth += 1
                elif c == ")":
                    if depth == 0:
                        args.append(cur.decode().strip())
                        break
                    depth -= 1
                elif c == "," and depth == 0:
                    args.append(cur.decode().strip())
                    cur = bytearray()
                    continue
                cur.append(ch)
            if idx < len(args):
                a = re.sub(r"^\(.*?\)\s*", "", args[idx]).lstrip("&")
                if re.fullmatch(r"[A-Za-z_]\w*", a):
                    names.add(a)
    bodies = {fn.name: fn for fn in parsed.functions}
    released: set[str] = set()
    seen: set[str] = set()
    frontier = [n for n in names if n in bodies]
    depth = 0
    while frontier and depth < 3:
        nxt = []
        for name in frontier:
            if name in seen:
                continue
            seen.add(name)
            fn = bodies[name]
            for m in _CALL_RE.finditer(src, fn.body.start_byte, fn.body.end_byte):
                callee = m.group(1).decode()
                if callee in k.release_index:
                    released.add(callee)
                elif callee in bodies and callee not in seen:
                    nxt.append(callee)
        frontier = nxt
        depth += 1
    called = None
    for when, rels in k.managed_if:
        if called is None:
            called = {m.group(1).decode() for m in _CALL_RE.finditer(src)}
        if when & called:
            released |= rels
    return frozenset(released)
