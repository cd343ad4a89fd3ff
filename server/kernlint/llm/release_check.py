"""A guard the rules do not cover yet: a rewrite must not release something twice.

kernlint has no double-free / double-unlock rule, so `verify_text` alone would accept a
model's "fix" that adds `kfree(buf)` on a path that already freed `buf`. This check runs on
the engine's own facts (the CFG and the calls it resolved) for the target function, before
and after the rewrite:

  a *repeat* is a release call R of a resource or lock X such that another release call of X
  reaches R along the CFG without passing an assignment to X (or to its base variable), or,
  for a lock, another acquisition of X.

Release calls are the knowledge base's release functions (the argument it names), unlock
operations, and unknown functions named like releases (first argument). The rewrite is
rejected when, for some X, it has more repeats than the original function had. Paths are
not pruned by branch conditions, so the check can reject a correct rewrite whose two releases
sit on correlated branches (`if (err) kfree(p); ... if (!err) kfree(p);`) — it never accepts
more than the path-insensitive reading allows. It is deliberately one-sided: code that
already repeated a release is not blamed on the model.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass

from ..facts import FunctionFacts, base_name
from ..knowledge import Knowledge
from ..syntax import ParsedFile


@dataclass
class Repeat:
    key: str
    line: int  # 0-based line of the repeated release
    earlier_line: int
    call: str


def _events(facts: FunctionFacts, k: Knowledge) -> tuple[dict[int, set[str]], dict[int, set[str]],
                                                         dict[int, str]]:
    """(release node -> keys, lock acquire node -> keys, release node -> call name)."""
    releases: dict[int, set[str]] = {}
    acquires: dict[int, set[str]] = {}
    names: dict[int, str] = {}
    for node, name, args in dict.fromkeys(facts.calls):
        lo = k.locks.get(name)
        if lo is not None:
            key = "lock " + (lo.lock_class if lo.no_argument or not args else args[0])
            (releases if lo.op == "release" else acquires).setdefault(node, set()).add(key)
            names[node] = name
            continue
        rels = k.releases_of(name)
        keys: set[str] = set()
        if rels:
            for rel, _acq in rels:
                if rel.arg < len(args) and args[rel.arg] and args[rel.arg] != "NULL":
                    keys.add(args[rel.arg])
        elif k.looks_like_release(name) and not k.is_managed(name) and args and args[0]:
            keys.add(args[0])
        if keys:
            releases.setdefault(node, set()).update(keys)
            names[node] = name
    return releases, acquires, names


def _assigns(text: str, key: str) -> bool:
    targets = {key, key.lstrip("&"), base_name(key.lstrip("&"))}
    for t in targets:
        if t and re.search(rf"(?<![\w.>]){re.escape(t)}\s*(?:=(?!=)|\+\+|--)", text):
            return True
        if t and re.search(rf"&\s*{re.escape(t)}\b", text) and not text.lstrip().startswith(
                ("kfree", "vfree", "kvfree")):
            return True  # passed by address: may be reassigned by the callee
    return False


def repeats(parsed: ParsedFile, facts: FunctionFacts, k: Knowledge) -> list[Repeat]:
    cfg = facts.cfg
    if cfg is None:
        return []
    releases, acquires, names = _events(facts, k)
    text_of: dict[int, str] = {}

    def node_text(i: int) -> str:
        if i not in text_of:
            ast = cfg.nodes[i].ast
            text_of[i] = parsed.original_text_of(ast) if ast is not None else ""
        return text_of[i]

    out: list[Repeat] = []
    by_key: dict[str, list[int]] = {}
    for node, keys in releases.items():
        for key in keys:
            by_key.setdefault(key, []).append(node)
    for key, nodes in by_key.items():
        if len(nodes) < 2:
            continue
        targets = set(nodes)
        hit: dict[int, int] = {}
        for start in nodes:
            seen = {start}
            queue = deque(cfg.nodes[start].succ)
            while queue:
                n = queue.popleft()
                if n in seen:
                    continue
                seen.add(n)
                if n in targets and n != start:
                    hit.setdefault(n, start)
                    continue
                if n == start:
                    continue
                if key.startswith("lock "):
                    if key in acquires.get(n, ()):
                        continue
                elif node_text(n) and n not in targets and _assigns(node_text(n), key):
                    continue
                queue.extend(cfg.nodes[n].succ)
        for n, start in hit.items():
            ast, first = cfg.nodes[n].ast, cfg.nodes[start].ast
            out.append(Repeat(key, ast.start_point[0] if ast is not None else -1,
                              first.start_point[0] if first is not None else -1,
                              names.get(n, "")))
    return out


def new_repeats(old: list[Repeat], new: list[Repeat]) -> list[Repeat]:
    """Repeats of keys that the rewrite repeats more often than the original did."""
    before = Counter(r.key for r in old)
    after = Counter(r.key for r in new)
    return [r for r in new if after[r.key] > before[r.key]]


def describe(r: Repeat) -> str:
    what = r.key[5:] if r.key.startswith("lock ") else r.key
    verb = "unlocked" if r.key.startswith("lock ") else "released"
    return (f"`{what}` may be {verb} twice: {r.call}() at line {r.line + 1} can run after "
            f"the release at line {r.earlier_line + 1}")
