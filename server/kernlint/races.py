"""Shared analysis for the race and atomic-context rules (KR4xx, KA5xx).

Two levels:

* ``summarise_function`` — a position-independent *access summary* of one function: every
  struct-field access (read / write / read-modify-write) with the locks held at it, every
  call with the locks held at it, every lock acquisition with the locks already held, the
  declared struct type of each local and parameter. Lines and bytes are relative to the
  function's first line / byte, and lock names are as written in the function, so the
  summary depends only on the function's text (and the helper summaries its facts used):
  the engine can cache it per function hash.
* ``analyse_file`` — the file-wide view built from the summaries and a few file-level
  facts (struct definitions, ops-struct initializers, callback registrations): lock and
  field names normalised by struct type (``chip->lock`` and ``c->lock`` with both of type
  ``struct foo *`` become ``foo.lock``), locks inherited by static helpers from all of their
  call sites, init/teardown-only functions, entry points and atomic-context functions, and
  the lock that guards each field (the lockset inference the rules share).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import tree_sitter

from .cfg import call_name
from .facts import FunctionFacts, norm
from .knowledge import Knowledge, _builtin_data
from .syntax import C_LANGUAGE, Function, ParsedFile, mask_code

# ---------------------------------------------------------------- knowledge


@dataclass(frozen=True)
class Callback:
    fns: frozenset[str]
    arg: int
    kind: str
    atomic: bool


@dataclass
class RaceKnowledge:
    entry_fields: dict[str, frozenset[str]]
    callbacks: dict[str, list[Callback]]
    atomic_fields: dict[str, frozenset[str]]
    atomic_members: dict[str, str]
    shutdown_fields: frozenset[str]
    shutdown_helpers: frozenset[str]
    atomic_prefixes: tuple[str, ...]
    atomic_calls: frozenset[str]
    self_sync_types: frozenset[str]
    init_words: tuple[str, ...]
    fini_words: tuple[str, ...]
    not_sleeping: frozenset[str]
    bus_dependent: tuple[str, ...] = ()
    per_call_types: frozenset[str] = frozenset()
    setup_fields: frozenset[str] = frozenset()
    setup_suffixes: tuple[str, ...] = ()
    teardown_entry_fields: frozenset[str] = frozenset()
    bus_markers: tuple[str, ...] = ()
    init_calls: frozenset[str] = frozenset()
    entry_param_types: dict[str, str] = field(default_factory=dict)
    atomic_param_types: frozenset[str] = frozenset()
    single_param_types: frozenset[str] = frozenset()


def _lst(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v]
    return [str(x) for x in (v or [])]


@lru_cache(maxsize=1)
def race_knowledge() -> RaceKnowledge:
    d = _builtin_data().get("races", {})
    cbs: dict[str, list[Callback]] = {}
    for e in d.get("callback", []):
        cb = Callback(frozenset(_lst(e.get("fn"))), int(e.get("arg", 0)), str(e.get("kind", "callback")),
                      bool(e.get("atomic", False)))
        for fn in cb.fns:
            cbs.setdefault(fn, []).append(cb)
    acc = d.get("access", {})
    sd = d.get("shutdown", {})
    return RaceKnowledge(
        entry_fields={k: frozenset(_lst(v)) for k, v in d.get("entry_fields", {}).items()},
        callbacks=cbs,
        atomic_fields={k: frozenset(_lst(v)) for k, v in d.get("atomic_fields", {}).items()},
        atomic_members={str(k): str(v) for k, v in d.get("atomic_members", {}).items()},
        shutdown_fields=frozenset(_lst(sd.get("fields"))),
        shutdown_helpers=frozenset(_lst(sd.get("helpers"))),
        atomic_prefixes=tuple(_lst(acc.get("atomic_prefixes"))),
        atomic_calls=frozenset(_lst(acc.get("atomic_calls"))),
        self_sync_types=frozenset(_lst(acc.get("self_synchronised_types"))),
        init_words=tuple(_lst(acc.get("init_words"))),
        fini_words=tuple(_lst(acc.get("fini_words"))),
        not_sleeping=frozenset(_lst(acc.get("not_sleeping"))),
        bus_dependent=tuple(_lst(acc.get("bus_dependent_prefixes"))),
        bus_markers=tuple(_lst(acc.get("sleeping_bus_markers"))),
        per_call_types=frozenset(_lst(acc.get("per_call_types"))),
        setup_fields=frozenset(_lst(acc.get("stream_setup_fields"))),
        setup_suffixes=tuple(_lst(acc.get("stream_setup_suffixes"))),
        teardown_entry_fields=frozenset(_lst(acc.get("teardown_entry_fields"))),
        init_calls=frozenset(_lst(acc.get("init_calls"))),
        entry_param_types={str(k): str(v) for k, v in d.get("entry_param_types", {}).items()},
        atomic_param_types=frozenset(_lst(d.get("atomic_param_types"))),
        single_param_types=frozenset(_lst(d.get("single_param_types"))),
    )


def sleeps(k: Knowledge, rk: RaceKnowledge, fn: str, args: tuple[str, ...],
           sleepy_bus: bool = True) -> bool:
    if fn in rk.not_sleeping:
        return False
    if not sleepy_bus and fn.startswith(rk.bus_dependent):
        return False
    idx = k.gfp_arg.get(fn)
    if idx is not None:  # the gfp argument decides, even for entries also listed as "always"
        if idx >= len(args):
            return False
        flags = args[idx]
        return any(re.search(r"\b" + re.escape(g) + r"\b", flags) for g in k.sleeping_gfp) and \
            "GFP_ATOMIC" not in flags and "GFP_NOWAIT" not in flags
    return k.sleeps(fn, list(args))


# ---------------------------------------------------------------- per-function summary

_Q_FIELDS = tree_sitter.Query(C_LANGUAGE, "(field_expression) @f")
_Q_CALLS = tree_sitter.Query(C_LANGUAGE, "(call_expression) @c")
_Q_DECLS = tree_sitter.Query(
    C_LANGUAGE,
    "(declaration type: (struct_specifier name: (type_identifier) @t)) @d\n"
    "(parameter_declaration type: (struct_specifier name: (type_identifier) @t)) @d")
_Q_LABELS = tree_sitter.Query(C_LANGUAGE, "(labeled_statement label: (statement_identifier) @l)")

_ALLOC_WORDS = frozenset({"alloc", "new", "create", "dup", "clone"})
_COPY_RE = re.compile(r"(?<![\w>.])([A-Za-z_]\w*)\s*=\s*([A-Za-z_]\w*)\s*;")
_NODE_KINDS = ("stmt", "cond", "switch", "return", "iter_enter", "guard_enter", "noreturn")
_STMT_TYPES = frozenset({"expression_statement", "declaration", "return_statement", "if_statement",
                         "while_statement", "for_statement", "do_statement", "switch_statement"})


@dataclass(frozen=True)
class Access:
    expr: str  # normalised text, subscripts dropped: chip->ch.val
    base: str  # chip
    path: str  # ->ch.val
    kind: str  # r | w | rw
    held: tuple[str, ...]  # lock names as written in this function
    line: int  # relative to the function's first line
    byte: int  # relative to the function's first byte
    end_byte: int
    stmt: tuple[int, int]  # relative line range of the enclosing statement
    cond: bool  # part of a condition (if / while / switch / ?:)
    if_span: tuple[int, int, int]  # (rel start byte, rel end byte of the block holding the if, rel line)
    rhs: str = ""  # for writes: the assigned identifier, if it is one


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[str, ...]
    held: tuple[str, ...]
    line: int
    byte: int
    end_byte: int
    stmt: tuple[int, int]


@dataclass(frozen=True)
class Acquisition:
    lock: str  # as written
    cls: str
    before: tuple[str, ...]  # locks already held
    line: int
    byte: int
    trylock: bool
    nested: bool


@dataclass
class AccessSummary:
    """Position-independent per-function summary (cacheable by function text hash)."""

    name: str
    is_static: bool
    analysed: bool  # False: the walk was truncated; lock state unknown
    types: dict[str, str]
    accesses: list[Access] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    acquisitions: list[Acquisition] = field(default_factory=list)
    lock_classes: dict[str, str] = field(default_factory=dict)
    labels: list[tuple[str, int]] = field(default_factory=list)  # (label, rel byte)
    allocated: frozenset[str] = frozenset()  # locals holding a fresh allocation
    stack_objects: frozenset[str] = frozenset()  # struct locals (not pointers): private
    precondition_held: bool = False  # the comment above says a lock must be held
    indirect: list[Call] = field(default_factory=list)  # calls through a field: name = field
    init_calls: bool = False  # calls an API that only set-up code calls (snd_ctl_add, ...)
    entry_locks: frozenset[str] = frozenset()  # released here but taken by the caller


def _declared_name(parsed: ParsedFile, d: tree_sitter.Node | None) -> tuple[str, bool]:
    ptr = False
    while d is not None and d.type not in ("identifier", "field_identifier"):
        if d.type == "pointer_declarator":
            ptr = True
        d = d.child_by_field_name("declarator")
    return (parsed.text_of(d) if d is not None else ""), ptr


def _strip_subscripts(t: str) -> str:
    prev = None
    while prev != t:
        prev = t
        t = re.sub(r"\[[^\[\]]*\]", "", t)
    return t


class _FileNodes:
    """Query captures for the whole file, bucketed by function (computed once per file)."""

    def __init__(self, parsed: ParsedFile, root: tree_sitter.Node | None = None) -> None:
        root = root if root is not None else parsed.tree.root_node
        self.fields = sorted(tree_sitter.QueryCursor(_Q_FIELDS).captures(root).get("f", []),
                             key=lambda n: n.start_byte)
        self.calls = sorted(tree_sitter.QueryCursor(_Q_CALLS).captures(root).get("c", []),
                            key=lambda n: n.start_byte)
        decl_caps = tree_sitter.QueryCursor(_Q_DECLS).matches(root)
        self.decls: list[tuple[int, str, tree_sitter.Node]] = []
        for _i, caps in decl_caps:
            t = caps.get("t", [])
            d = caps.get("d", [])
            if t and d:
                self.decls.append((d[0].start_byte, parsed.text_of(t[0]), d[0]))
        self.decls.sort(key=lambda x: x[0])
        self.labels = sorted(tree_sitter.QueryCursor(_Q_LABELS).captures(root).get("l", []),
                             key=lambda n: n.start_byte)
        self.field_starts = [n.start_byte for n in self.fields]
        self.call_starts = [n.start_byte for n in self.calls]
        self.decl_starts = [x[0] for x in self.decls]
        self.label_starts = [n.start_byte for n in self.labels]

    @staticmethod
    def _slice(starts: list[int], items: list[Any], lo: int, hi: int) -> list[Any]:
        import bisect

        return items[bisect.bisect_left(starts, lo):bisect.bisect_left(starts, hi)]


def _function_types(parsed: ParsedFile, fn: Function,
                    fnodes: _FileNodes) -> tuple[dict[str, str], set[str]]:
    out: dict[str, str] = {}
    stack: set[str] = set()
    for _s, tname, d in fnodes._slice(fnodes.decl_starts, fnodes.decls, fn.node.start_byte,
                                      fn.node.end_byte):
        for dd in d.children_by_field_name("declarator"):
            name, ptr = _declared_name(parsed, dd)
            if name:
                out.setdefault(name, tname)
                if not ptr and d.type == "declaration":
                    stack.add(name)
    return out, stack


_PRECOND_RE = re.compile(r"(?:must be |is |be )?(?:called|invoked|entered)?[^.]*\b(?:with|under)\b[^.]*"
                         r"(?:\b|_)(?:lock|mutex|spinlock|sem)\w*\b[^.]*\b(?:held|locked|taken)\b"
                         r"|(?:\b|_)(?:lock|mutex)\w* (?:must be |is )?held\b|\bcaller (?:must )?holds?\b"
                         r"|\block(?:ed)? by (?:the )?caller\b", re.I)


def _precondition_held(parsed: ParsedFile, fn: Function) -> bool:
    """Does the comment right above the function say that a lock is held on entry?"""
    start = fn.node.start_byte
    head = parsed.original[max(0, start - 1600):start].decode("utf-8", "replace")
    # the comment blocks stacked right above the function (`/* call with X held */
    # /* NOTE: ... */`)
    for _i in range(3):
        end = head.rfind("*/")
        if end < 0 or head[end + 2:].strip():
            return False
        begin = head.rfind("/*", 0, end)
        if begin < 0:
            return False
        if _PRECOND_RE.search(head[begin:end]):
            return True
        head = head[:begin]
    return False


def _held_map(facts: FunctionFacts | None) -> tuple[list[tuple[int, int, int]], dict[int, frozenset[str]]]:
    """Intervals (start, end, nid) of the CFG nodes that carry expressions, and must_locks."""
    if facts is None or facts.cfg is None:
        return [], {}
    iv = []
    for n in facts.cfg.nodes:
        if n.kind in _NODE_KINDS and n.ast is not None:
            iv.append((n.ast.start_byte, n.ast.end_byte, n.id))
    iv.sort()
    return iv, facts.must_locks


def _node_for(iv: list[tuple[int, int, int]], byte: int) -> int | None:
    import bisect

    i = bisect.bisect_right(iv, (byte, 1 << 62, 1 << 62)) - 1
    best: tuple[int, int] | None = None
    # intervals do not nest except opaque statements; look back a few entries
    j = i
    while j >= 0 and j > i - 8:
        s, e, nid = iv[j]
        if s <= byte < e and (best is None or e - s < best[0]):
            best = (e - s, nid)
        j -= 1
    return best[1] if best is not None else None


def _enclosing_stmt(n: tree_sitter.Node) -> tree_sitter.Node:
    cur = n
    while cur.parent is not None and cur.type not in _STMT_TYPES:
        cur = cur.parent
    return cur


def summarise_function(parsed: ParsedFile, fn: Function, facts: FunctionFacts | None,
                       k: Knowledge, fnodes: _FileNodes | None = None) -> AccessSummary:
    rk = race_knowledge()
    fnodes = fnodes or _FileNodes(parsed)
    f0 = fn.node.start_byte
    l0 = fn.span.start_line
    lo, hi = fn.body.start_byte, fn.body.end_byte
    truncated = facts is not None and (facts.truncated or facts.partial)
    types, stack = _function_types(parsed, fn, fnodes)
    s = AccessSummary(fn.name, fn.is_static, not truncated, types)
    s.stack_objects = frozenset(stack - set(fn.params))
    s.precondition_held = _precondition_held(parsed, fn)
    iv, must = _held_map(facts if facts is not None and facts.walked else None)
    # Locks held on entry when the walk did not run (no lock calls in the function).
    entry: tuple[str, ...] = ()
    if not iv:
        names = [norm(a.arg) for a in fn.annotations if a.name == "__must_hold"]
        for c in fnodes._slice(fnodes.call_starts, fnodes.calls, lo, hi):
            nm = call_name(parsed, c)
            if nm.startswith("lockdep_assert_held") or nm.endswith(("_assert_locked", "assert_held")):
                a = c.child_by_field_name("arguments")
                if a is not None and a.named_children:
                    names.append(norm(parsed.text_of(a.named_children[0])))
        entry = tuple(sorted(set(names)))
    if facts is not None:
        s.lock_classes = dict(facts.lock_classes)
        for n in facts.entry_locks:
            s.lock_classes.setdefault(n, "entry")
        s.entry_locks = frozenset(facts.entry_locks)

    def held_at(byte: int) -> tuple[str, ...] | None:
        if not iv:
            return entry
        nid = _node_for(iv, byte)
        if nid is None:
            return None
        m = must.get(nid)
        return None if m is None else tuple(sorted(m))

    lines = parsed.lines

    def rel_line(b: int) -> int:
        return lines.position(b)[0] - l0

    def stmt_range(n: tree_sitter.Node) -> tuple[int, int]:
        st = _enclosing_stmt(n)
        return (st.start_point[0] - l0, st.end_point[0] - l0)

    # ---- field accesses ----
    for f in fnodes._slice(fnodes.field_starts, fnodes.fields, lo, hi):
        a = f
        p = a.parent
        skip = False
        while p is not None and p.type in ("subscript_expression", "parenthesized_expression"):
            if p.type == "subscript_expression" and p.child_by_field_name("argument") != a:
                break
            a = p
            p = a.parent
        if p is None:
            continue
        if p.type == "field_expression" and p.child_by_field_name("argument") == a:
            continue  # an inner hop of a longer chain
        if p.type == "call_expression" and p.child_by_field_name("function") == a:
            continue  # call through a function pointer
        kind = "r"
        rhs = ""
        if p.type == "assignment_expression" and p.child_by_field_name("left") == a:
            op = p.child_by_field_name("operator")
            kind = "w" if op is None or parsed.text_of(op) == "=" else "rw"
            r = p.child_by_field_name("right")
            if r is not None and r.type == "identifier":
                rhs = parsed.text_of(r)
        elif p.type == "update_expression":
            kind = "rw"
        elif p.type == "pointer_expression" and parsed.text_of(p).lstrip().startswith("&"):
            continue  # address handed to an API (lock, list, atomic, ...)
        # Inside an atomic accessor, sizeof, or a per-cpu macro?
        cond = False
        q = p
        depth = 0
        while q is not None and depth < 12 and q.type not in _STMT_TYPES:
            if q.type in ("sizeof_expression", "alignof_expression", "offsetof_expression"):
                skip = True
                break
            if q.type == "call_expression":
                nm = call_name(parsed, q)
                if nm in rk.atomic_calls or nm.startswith(rk.atomic_prefixes):
                    skip = True
                    break
            if q.type == "conditional_expression":
                c = q.child_by_field_name("condition")
                if c is not None and c.start_byte <= a.start_byte < c.end_byte:
                    cond = True
            if q.type in ("condition_clause", "parenthesized_expression") and q.parent is not None \
                    and q.parent.type in ("if_statement", "while_statement", "switch_statement",
                                          "do_statement") \
                    and q.parent.child_by_field_name("condition") == q:
                cond = True
            q = q.parent
            depth += 1
        if skip:
            continue
        if q is not None and q.type in ("if_statement", "while_statement", "switch_statement",
                                        "do_statement"):
            cond = True
        held = held_at(f.start_byte)
        if held is None:
            continue
        expr = _strip_subscripts(norm(parsed.text_of(f)))
        m = re.match(r"\**([A-Za-z_]\w*)", expr)
        if not m:
            continue
        base = m.group(1)
        path = expr[m.end():]
        if not path.startswith(("->", ".")):
            continue
        st = _enclosing_stmt(f)
        if_span = (0, 0, 0)
        if cond and st.type == "if_statement":
            blk = st.parent
            end = blk.end_byte if blk is not None else st.end_byte
            if_span = (st.start_byte - f0, end - f0, st.start_point[0] - l0)
        s.accesses.append(Access(expr, base, path, kind, held, f.start_point[0] - l0,
                                 f.start_byte - f0, f.end_byte - f0,
                                 (st.start_point[0] - l0, st.end_point[0] - l0), cond, if_span, rhs))
    # ---- calls ----
    allocated: set[str] = set()
    for c in fnodes._slice(fnodes.call_starts, fnodes.calls, lo, hi):
        nm = call_name(parsed, c)
        if not nm:
            fnode = c.child_by_field_name("function")
            while fnode is not None and fnode.type == "parenthesized_expression" and \
                    fnode.named_children:
                fnode = fnode.named_children[0]
            fld = fnode.child_by_field_name("field") if fnode is not None and \
                fnode.type == "field_expression" else None
            held = held_at(c.start_byte)
            if fld is not None and held is not None:
                args_node = c.child_by_field_name("arguments")
                nargs = tuple("" for x in (args_node.named_children if args_node is not None
                                            else []) if x.type != "comment")
                s.indirect.append(Call(parsed.text_of(fld), nargs, held, c.start_point[0] - l0,
                                       c.start_byte - f0, c.end_byte - f0, stmt_range(c)))
            continue
        if nm in rk.init_calls:
            s.init_calls = True
        held = held_at(c.start_byte)
        if held is None:
            continue
        args_node = c.child_by_field_name("arguments")
        if nm == "guard()":
            fnode = c.child_by_field_name("function")
            inner = fnode.child_by_field_name("arguments") if fnode is not None else None
            gcls = parsed.text_of(inner.named_children[0]).strip() if inner is not None and \
                inner.named_children else ""
            args = (gcls, *(norm(parsed.text_of(x)) for x in
                            (args_node.named_children if args_node is not None else [])
                            if x.type != "comment"))
        else:
            args = tuple(norm(parsed.text_of(x)) if x.type != "comment" else ""
                         for x in (args_node.named_children if args_node is not None else []))
            args = tuple(a for a in args if a)
        s.calls.append(Call(nm, args, held, c.start_point[0] - l0, c.start_byte - f0,
                            c.end_byte - f0, stmt_range(c)))
        acq = k.acquires.get(nm)
        fresh = acq is not None and acq.take == "ret" and acq.kind == "memory"
        if not fresh and _ALLOC_WORDS & set(_name_words(nm)):
            # a driver's own allocator: `foo_cell_alloc(pool, &cell)` / `c = foo_new(..)`
            fresh = True
            for xn in (args_node.named_children if args_node is not None else []):
                m = re.fullmatch(r"&\s*([A-Za-z_]\w*)", parsed.text_of(xn).strip())
                if m:
                    allocated.add(m.group(1))
        if fresh:
            p = c.parent
            while p is not None and p.type in ("parenthesized_expression", "cast_expression"):
                p = p.parent
            if p is not None and p.type == "assignment_expression":
                lhs = p.child_by_field_name("left")
                if lhs is not None and lhs.type == "identifier":
                    allocated.add(parsed.text_of(lhs))
            elif p is not None and p.type == "init_declarator":
                name, _ptr = _declared_name(parsed, p.child_by_field_name("declarator"))
                if name:
                    allocated.add(name)
        # lock acquisitions
        lo_op = k.locks.get(nm)
        lock = ""
        cls = ""
        tryl = False
        if lo_op is not None and lo_op.op != "release" and not lo_op.no_argument and args:
            lock, cls, tryl = args[0], lo_op.lock_class, lo_op.op == "acquire_nonzero"
        elif nm == "guard()" and len(args) > 1:
            cls = k.guards.get(args[0], "")
            lock = args[1] if cls else ""
        elif nm in ("scoped_guard", "scoped_cond_guard") and len(args) > 1:
            cls = k.guards.get(args[0], "")
            lock = (args[2] if nm == "scoped_cond_guard" and len(args) > 2 else args[1]) if cls else ""
        if lock and cls:
            lop = k.lock_classes.get(cls)
            if lop is not None and lop.no_argument:
                continue
            s.lock_classes.setdefault(lock, cls)
            s.acquisitions.append(Acquisition(lock, cls, tuple(h for h in held if h != lock),
                                              c.start_point[0] - l0, c.start_byte - f0, tryl,
                                              "nested" in nm))
    # copies of a fresh object (`tail = tmp;`) are private too
    body = parsed.text_of(fn.body)
    for _round in range(2):
        for m in _COPY_RE.finditer(body):
            if m.group(2) in allocated:
                allocated.add(m.group(1))
    s.allocated = frozenset(allocated)
    for lab in fnodes._slice(fnodes.label_starts, fnodes.labels, lo, hi):
        s.labels.append((parsed.text_of(lab), lab.start_byte - f0))
    return s


# ---------------------------------------------------------------- file level


@dataclass
class StructInfo:
    fields: dict[str, tuple[str, bool]]  # field -> (type name, is pointer)


@dataclass
class FnInfo:
    fn: Function
    summary: AccessSummary
    entry_of: list[str] = field(default_factory=list)  # "snd_pcm_ops.trigger", "timer callback"
    atomic_kind: str = ""  # why it runs in atomic context
    inherited: frozenset[str] = frozenset()  # normalised locks held at every call site
    inherited_atomic: bool = False
    init_like: bool = False  # probe/init/teardown, or only called from such functions
    address_taken: bool = False
    # Address taken, not a known entry point, and not every way it is called is visible in
    # the file (a driver-private ops table called from another file): callers may hold locks.
    unknown_ctx: bool = False
    indirect_sites: list[tuple[FnInfo, Call]] = field(default_factory=list)
    trigger_ctx: bool = False  # a PCM .trigger callback, or only called from one
    dead: bool = False  # inside `#if 0`
    may_inherited: frozenset[str] = frozenset()  # held at some in-file call site (non-static)
    stream_setup: bool = False  # a PCM set-up callback (its stream's data path is stopped)

    @property
    def l0(self) -> int:
        return self.fn.span.start_line

    @property
    def b0(self) -> int:
        return self.fn.node.start_byte


@dataclass
class Guard:
    lock: str  # normalised lock key
    cls: str
    guarded: list[tuple[FnInfo, Access]]
    total: int
    guarded_fns: int = 0
    total_fns: int = 0
    other_locks: frozenset[str] = frozenset()  # other locks held at accesses in other functions


@dataclass
class RaceFile:
    parsed: ParsedFile
    k: Knowledge
    rk: RaceKnowledge
    structs: dict[str, StructInfo]
    fns: dict[str, FnInfo]
    order: list[FnInfo]
    guards: dict[str, Guard] = field(default_factory=dict)  # field key -> guard
    callers: dict[str, list[tuple[FnInfo, Call]]] = field(default_factory=dict)
    sleepy_bus: bool = True  # the device may sit on a sleeping bus (regmap over I2C/SPI)
    sleep_guards: dict[str, int | None] = field(default_factory=dict)  # see sleepers()

    def sleeps(self, c: Call) -> bool:
        return sleeps(self.k, self.rk, c.name, c.args, self.sleepy_bus)

    # ---- naming ----
    def resolve(self, info: FnInfo, expr: str) -> str:
        """`chip->ep->state` -> `snd_usb_endpoint.state` via local types and struct fields."""
        m = re.match(r"\**([A-Za-z_]\w*)", expr)
        if not m:
            return expr
        base = m.group(1)
        typ = info.summary.types.get(base)
        if typ is None:
            if base in info.fn.params:
                return "?" + expr
            return expr  # a global (or a local of a typedef'd type): keep its name
        hops = re.findall(r"(->|\.)([A-Za-z_]\w*)", expr[m.end():])
        i = 0
        while i < len(hops) - 1:
            st = self.structs.get(typ)
            if st is None:
                break
            ft = st.fields.get(hops[i][1])
            if ft is None or ft[0] not in self.structs:
                break
            typ = ft[0]
            i += 1
        rest = "".join(op + name for op, name in hops[i:])
        return typ + rest if rest.startswith(".") else f"{typ}.{rest[2:]}" if rest.startswith("->") \
            else typ + rest

    def lock_key(self, info: FnInfo, lock: str) -> str:
        return self.resolve(info, lock)

    def local_name(self, info: FnInfo, key: str, fallback: str) -> str:
        """A normalised key (`foo.lock`) spelled in this function's names (`chip->lock`)."""
        if "." not in key or key.startswith("?"):
            return fallback
        typ, rest = key.split(".", 1)
        for var, t in info.summary.types.items():
            if t == typ and var in info.fn.params:
                return f"{var}->{rest}"
        for var, t in info.summary.types.items():
            if t == typ:
                return f"{var}->{rest}"
        # one hop: a local of type X whose struct has a pointer member of type typ
        for var, t in info.summary.types.items():
            st = self.structs.get(t)
            if st is None:
                continue
            for fname, (ft, ptr) in st.fields.items():
                if ft == typ:
                    return f"{var}->{fname}{'->' if ptr else '.'}{rest}"
        return fallback

    def lock_class(self, info: FnInfo, lock: str) -> str:
        cls = info.summary.lock_classes.get(lock, "")
        if cls and cls != "entry":
            return cls
        return self.class_from_type(self.lock_key(info, lock)) or cls

    def class_from_type(self, key: str) -> str:
        if "." not in key:
            return ""
        typ, rest = key.rsplit(".", 1) if "->" not in key.split(".", 1)[1] else (None, None)
        if typ is None or rest is None:
            return ""
        st = self.structs.get(typ)
        if st is None:
            return ""
        ft = st.fields.get(rest)
        if ft is None:
            return ""
        return {"spinlock_t": "spinlock", "raw_spinlock_t": "spinlock", "mutex": "mutex",
                "rwlock_t": "rwlock-write", "rw_semaphore": "rwsem-write",
                "semaphore": "semaphore"}.get(ft[0], "")

    def is_atomic_class(self, cls: str) -> bool:
        lop = self.k.lock_classes.get(cls)
        return lop is not None and lop.atomic

    def held_keys(self, info: FnInfo, held: tuple[str, ...]) -> frozenset[str]:
        return frozenset(self.lock_key(info, h) for h in held) | info.inherited

    def field_type(self, key: str) -> str:
        if "." not in key or key.startswith("?"):
            return ""
        typ, rest = key.split(".", 1)
        if "->" in rest or "." in rest:
            return ""
        st = self.structs.get(typ)
        if st is None:
            return ""
        ft = st.fields.get(rest)
        return ft[0] if ft is not None and not ft[1] else ""


def _pieces(parsed: ParsedFile) -> list[tree_sitter.Node]:
    """Top-level items of the file; queries run per item so results can be memoised by the
    item's text (an edit inside one function re-queries only that function)."""
    return list(parsed.tree.root_node.children)


def _memo_per_piece(parsed: ParsedFile, memo: dict[object, object] | None, tag: str,
                    compute: Any) -> list[Any]:
    out: list[Any] = []
    for piece in _pieces(parsed):
        key = (tag, hashlib.sha1(parsed.src[piece.start_byte:piece.end_byte]).hexdigest())
        got = memo.get(key) if memo is not None else None
        if got is None:
            got = compute(piece)
            if memo is not None:
                memo[key] = got
        out.append(got)
    if memo is not None and len(memo) > 50000:
        memo.clear()
    return out


_Q_STRUCTS = tree_sitter.Query(C_LANGUAGE, "(struct_specifier name: (type_identifier) @n "
                                           "body: (field_declaration_list) @b)")
_Q_INITS = tree_sitter.Query(C_LANGUAGE, "(initializer_pair designator: (field_designator "
                                         "(field_identifier) @f) value: (identifier) @v)")


def _structs(parsed: ParsedFile, memo: dict[object, object] | None = None) -> dict[str, StructInfo]:
    out: dict[str, StructInfo] = {}
    for part in _memo_per_piece(parsed, memo, "structs", lambda n: _structs_in(parsed, n)):
        for name, fields in part:
            out.setdefault(name, StructInfo({})).fields.update(fields)
    return out


def _structs_in(parsed: ParsedFile, root: tree_sitter.Node) -> list[tuple[str, dict[str, tuple[str, bool]]]]:
    out: dict[str, StructInfo] = {}
    for _i, caps in tree_sitter.QueryCursor(_Q_STRUCTS).matches(root):
        n = caps.get("n", [])
        b = caps.get("b", [])
        if not n or not b:
            continue
        info = out.setdefault(parsed.text_of(n[0]), StructInfo({}))
        for fd in b[0].named_children:
            if fd.type != "field_declaration":
                continue
            t = fd.child_by_field_name("type")
            if t is None:
                continue
            if t.type in ("struct_specifier", "union_specifier"):
                nm = t.child_by_field_name("name")
                tname = parsed.text_of(nm) if nm is not None else ""
            else:
                tname = parsed.text_of(t).strip()
            for d in fd.children_by_field_name("declarator"):
                name, ptr = _declared_name(parsed, d)
                if name:
                    info.fields[name] = (tname, ptr)
    return [(k, dict(v.fields)) for k, v in out.items()]


def _initializers(parsed: ParsedFile, names: set[str],
                  memo: dict[object, object] | None = None) -> list[tuple[str, str, str]]:
    """(function, struct type, field) for `.field = function` in struct initializers."""
    out: list[tuple[str, str, str]] = []
    for part in _memo_per_piece(parsed, memo, "inits", lambda n: _initializers_in(parsed, n)):
        out.extend(x for x in part if x[0] in names)
    return out


def _initializers_in(parsed: ParsedFile, root: tree_sitter.Node) -> list[tuple[str, str, str]]:
    out = []
    for _i, caps in tree_sitter.QueryCursor(_Q_INITS).matches(root):
        f = caps.get("f", [])
        v = caps.get("v", [])
        if not f or not v:
            continue
        fn = parsed.text_of(v[0])
        p = v[0].parent
        typ = ""
        while p is not None:
            if p.type == "declaration":
                t = p.child_by_field_name("type")
                if t is not None and t.type == "struct_specifier":
                    nm = t.child_by_field_name("name")
                    typ = parsed.text_of(nm) if nm is not None else ""
                break
            if p.type == "function_definition":
                break
            p = p.parent
        out.append((fn, typ, parsed.text_of(f[0])))
    return out


def _in_if0(parsed: ParsedFile, fn: Function) -> bool:
    p = fn.node.parent
    while p is not None:
        if p.type in ("preproc_if", "preproc_elif"):
            c = p.child_by_field_name("condition")
            if c is not None and parsed.text_of(c).strip() in ("0", "(0)"):
                return True
        p = p.parent
    return False


def _positional_initializers(parsed: ParsedFile, names: set[str],
                             memo: dict[object, object] | None = None) -> list[str]:
    """Functions stored without a designator: `{ 0x08, demo_notify_sync }`."""
    def one(root: tree_sitter.Node) -> list[str]:
        return [parsed.text_of(n) for n in
                tree_sitter.QueryCursor(_Q_POSITIONAL).captures(root).get("v", [])]
    out: list[str] = []
    for part in _memo_per_piece(parsed, memo, "positional", one):
        out.extend(t for t in part if t in names)
    return out


def _value_uses(parsed: ParsedFile, memo: dict[object, object] | None) -> Counter[str]:
    """How often each identifier is used as a value (not called), EXPORT_SYMBOL() aside."""
    def one(root: tree_sitter.Node) -> Counter[str]:
        text = parsed.src[root.start_byte:root.end_byte].decode("utf-8", "replace")
        masked = re.sub(r"\bEXPORT_SYMBOL\w*\s*\([^)]*\)", "", mask_code(text))
        return Counter(re.findall(r"(?<![\w.>])([A-Za-z_]\w*)\b(?!\s*\()", masked))
    total: Counter[str] = Counter()
    for part in _memo_per_piece(parsed, memo, "values", one):
        total.update(part)
    return total


_Q_POSITIONAL = tree_sitter.Query(C_LANGUAGE, "(initializer_list (identifier) @v)")


def _name_words(name: str) -> list[str]:
    # trailing digits are not part of the word: snd_ctl_new1 -> new
    return [w.rstrip("0123456789") for w in name.lower().split("_") if w.rstrip("0123456789")]


def _init_like_name(rk: RaceKnowledge, name: str) -> bool:
    words = _name_words(name)
    if name.endswith("hw_free"):  # snd_pcm_ops.hw_free runs on a live device
        return False
    for w in words:
        if w in rk.init_words or w in rk.fini_words:
            return True
    return False


def analyse_file(parsed: ParsedFile, facts: list[FunctionFacts], k: Knowledge,
                 summaries: dict[str, object] | None = None,
                 memo: dict[object, object] | None = None) -> RaceFile:
    """File-wide race view. `summaries` (function text hash -> AccessSummary) is an optional
    cache shared across runs; entries are position independent."""
    rk = race_knowledge()
    fnodes: _FileNodes | None = None
    structs = _structs(parsed, memo)
    fns: dict[str, FnInfo] = {}
    order: list[FnInfo] = []
    missing = 0 if summaries is None else sum(
        1 for fa in facts if not isinstance(summaries.get(fa.function.text_hash), AccessSummary))
    for fa in facts:
        fn = fa.function
        key = f"{fn.text_hash}"
        got = summaries.get(key) if summaries is not None else None
        s = got if isinstance(got, AccessSummary) else None
        if s is None:
            if summaries is not None and missing <= 4:
                nodes = _FileNodes(parsed, fn.node)  # only the edited functions
            else:
                fnodes = fnodes or _FileNodes(parsed)
                nodes = fnodes
            s = summarise_function(parsed, fn, fa, k, nodes)
            if summaries is not None:
                summaries[key] = s
        info = FnInfo(fn, s)
        info.dead = _in_if0(parsed, fn)
        fns.setdefault(fn.name, info)
        order.append(info)
    rf = RaceFile(parsed, k, rk, structs, fns, order)
    rf.sleepy_bus = any(m in parsed.text for m in rk.bus_markers)
    # ---- address-taken functions (used as values, not only called) ----
    value_uses = _value_uses(parsed, memo)
    for info in order:
        info.address_taken = value_uses.get(info.fn.name, 0) > 0
    # ---- entry points and atomic callbacks ----
    names = set(fns)
    stored: dict[str, set[str]] = defaultdict(set)  # function -> fields it is stored in
    explained: Counter[str] = Counter()  # value uses accounted for by a known storage
    nonatomic = "nonatomic" in parsed.text and \
        re.search(r"\bnonatomic\s*=\s*(?:true|1)\b", parsed.text) is not None
    for fname, typ, fld in _initializers(parsed, names, memo):
        info = fns[fname]
        stored[fname].add(fld)
        explained[fname] += 1
        allowed = rk.entry_fields.get(typ)
        if allowed is None and (typ.endswith("_ops") or typ.endswith("_operations")):
            allowed = rk.entry_fields.get("*")
        if allowed is not None and fld in allowed:
            info.entry_of.append(f"{typ or '?'}.{fld}")
        if fld in rk.atomic_fields.get(typ, frozenset()) and not nonatomic:
            info.atomic_kind = info.atomic_kind or f"{typ}.{fld} callback"
    positional = Counter(_positional_initializers(parsed, names, memo))
    explained.update(positional)
    for info in order:
        for c in info.summary.calls:
            for cb in rk.callbacks.get(c.name, ()):
                if cb.arg >= len(c.args):
                    continue
                target = c.args[cb.arg]
                tgt = fns.get(target)
                if tgt is not None:
                    tgt.entry_of.append(cb.kind)
                    explained[target] += 1
                    if cb.atomic:
                        tgt.atomic_kind = tgt.atomic_kind or cb.kind
        for a in info.summary.accesses:
            if a.kind == "w" and a.rhs in fns:
                last = re.split(r"->|\.", a.path)[-1]
                stored[a.rhs].add(last)
                explained[a.rhs] += 1
                kind = rk.atomic_members.get(last)
                if kind:
                    tgt = fns[a.rhs]
                    tgt.entry_of.append(kind)
                    tgt.atomic_kind = tgt.atomic_kind or kind
    # Callbacks recognised by their first parameter (`struct work_struct *`,
    # `struct snd_kcontrol *`, ...) when stored through a macro or a table.
    for info in order:
        if info.entry_of or not info.address_taken or not info.fn.params:
            continue
        t = info.summary.types.get(info.fn.params[0], "")
        kind = rk.entry_param_types.get(t)
        if t in rk.single_param_types and len(info.fn.params) != 1:
            kind = None  # `out_packet(struct urb *, u8, ...)` is not a completion handler
        if kind:
            info.entry_of.append(kind)
            if t in rk.atomic_param_types:
                info.atomic_kind = info.atomic_kind or kind
    # The control core runs every .put with card->controls_rwsem held for writing and
    # .get/.info with it held for reading: kcontrol callbacks are serialised with each other.
    for info in order:
        kc = [e for e in info.entry_of if e.startswith("snd_kcontrol_new.") or e == "kcontrol callback"]
        if kc:
            put = any(e.endswith(".put") for e in kc) or (
                "kcontrol callback" in kc and re.search(r"(?:put|set|write)", info.fn.name) is not None)
            info.inherited = frozenset({CTL_WRITE if put else CTL_READ})
    # ---- calls through function pointers (`ops->f(x)`, `tbl->func(m)`) ----
    by_field: dict[str, list[tuple[FnInfo, Call]]] = defaultdict(list)
    by_arity: dict[int, list[tuple[FnInfo, Call]]] = defaultdict(list)
    for info in order:
        for c in info.summary.indirect:
            by_field[c.name].append((info, c))
            by_arity[len(c.args)].append((info, c))
    for info in order:
        name = info.fn.name
        if info.entry_of or not info.address_taken or not info.fn.is_static:
            continue
        if value_uses.get(name, 0) > explained.get(name, 0):
            info.unknown_ctx = True  # passed to an API we do not know, compared, ...
            continue
        sites: list[tuple[FnInfo, Call]] = []
        for fld in sorted(stored.get(name, ())):
            got = by_field.get(fld)
            if not got:
                info.unknown_ctx = True  # called through this field from another file
                break
            sites += got
        if positional.get(name):
            got = by_arity.get(len(info.fn.params))
            if not got:
                info.unknown_ctx = True
            sites += got or []
        info.indirect_sites = [] if info.unknown_ctx else sites
    # ---- call graph ----
    callers: dict[str, list[tuple[FnInfo, Call]]] = defaultdict(list)
    for info in order:
        for c in info.summary.calls:
            if c.name in fns:
                callers[c.name].append((info, c))
    rf.callers = dict(callers)
    for info in order:
        info.init_like = (_init_like_name(rk, info.fn.name) or info.summary.init_calls) and \
            not info.entry_of
        info.stream_setup = info.fn.name.endswith(rk.setup_suffixes) or any(
            e in rk.setup_fields for e in info.entry_of)
        info.trigger_ctx = any(e.endswith("_ops.trigger") for e in info.entry_of)
    # Locks held at every call site (a "must" fixpoint): helpers not resolved yet are TOP,
    # so mutually recursive helpers reached only under a lock keep it.
    top = {info.fn.name for info in order
           if info.fn.is_static and not info.entry_of and
           (callers.get(info.fn.name) or info.indirect_sites)}
    for _round in range(8):
        changed = False
        for info in order:
            fn = info.fn
            sites = [(ci, c) for ci, c in callers.get(fn.name, []) + info.indirect_sites
                     if ci is not info]
            if not fn.is_static or info.entry_of or not sites:
                if fn.name in top:
                    top.discard(fn.name)
                    changed = True
                continue
            if info.address_taken and info.unknown_ctx:
                top.discard(fn.name)
                continue
            live = [(ci, c) for ci, c in sites if not ci.init_like]
            init_only = not live
            known = [(ci, c) for ci, c in live if not ci.unknown_ctx]
            unknown = bool(live) and not known
            basis = [(ci, c) for ci, c in (known or live or sites) if ci.fn.name not in top]
            if not basis:
                continue  # every caller is still unresolved
            inh: frozenset[str] | None = None
            atomic = True
            for ci, c in basis:
                keys = rf.held_keys(ci, c.held)
                inh = keys if inh is None else inh & keys
                site_atomic = ci.inherited_atomic or bool(ci.atomic_kind) or any(
                    rf.is_atomic_class(rf.lock_class(ci, h)) for h in c.held)
                atomic = atomic and site_atomic
            inh = inh or frozenset()
            trig = bool(known) and all(ci.trigger_ctx for ci, _c in known)
            # a helper of PCM set-up callbacks only (`*_setup_periods()` from .prepare)
            setup = bool(known) and all(ci.stream_setup for ci, _c in known)
            if fn.name in top or inh != info.inherited or atomic != info.inherited_atomic or \
                    (init_only and not info.init_like) or (unknown and not info.unknown_ctx) or \
                    (trig and not info.trigger_ctx) or (setup and not info.stream_setup):
                top.discard(fn.name)
                info.inherited = inh
                info.inherited_atomic = atomic
                info.init_like = info.init_like or init_only
                info.unknown_ctx = info.unknown_ctx or unknown
                info.trigger_ctx = info.trigger_ctx or trig
                info.stream_setup = info.stream_setup or setup
                changed = True
        if not changed:
            break
    # Exported functions: other files call them too. When a call site in this file holds a
    # lock, the function's contract is probably "called with the lock held".
    for info in order:
        if not info.fn.is_static:
            may: set[str] = set()
            for ci, c in callers.get(info.fn.name, []):
                if not ci.init_like:
                    may |= rf.held_keys(ci, c.held)
            info.may_inherited = frozenset(may)
    _infer_guards(rf)
    return rf


def access_key(rf: RaceFile, info: FnInfo, a: Access) -> str:
    return rf.resolve(info, a.expr)


def candidate(rf: RaceFile, info: FnInfo, a: Access, evidence: bool = False) -> bool:
    """Is this access one that can race (shared object, concurrent context)? With
    `evidence`, accesses in init-like functions count (a guarded access as lock evidence)."""
    if (info.init_like and not evidence) or not info.summary.analysed or info.dead:
        return False
    if a.base in info.summary.allocated or info.summary.precondition_held:
        return False
    if a.base in info.summary.stack_objects and a.path.startswith("."):
        return False
    typ = info.summary.types.get(a.base)
    if typ is None and a.base not in info.fn.params:
        return False  # globals and untyped locals: not tracked
    return typ not in rf.rk.per_call_types


def _infer_guards(rf: RaceFile) -> None:
    """For each field key, the lock held at most of its accesses (lockset inference)."""
    by_key: dict[str, list[tuple[FnInfo, Access]]] = defaultdict(list)
    for info in rf.order:
        for a in info.summary.accesses:
            # A lock taken on purpose in set-up / teardown (a disconnect that clears the
            # state under the lock) is evidence too; unguarded accesses there are not.
            is_guarded = bool(rf.held_keys(info, a.held))
            if not candidate(rf, info, a, evidence=is_guarded):
                continue
            key = access_key(rf, info, a)
            if key.startswith("?"):
                continue
            ft = rf.field_type(key)
            if ft in rf.rk.self_sync_types:
                continue
            if info.unknown_ctx and not rf.held_keys(info, a.held):
                continue  # its callers may hold the lock: no vote either way
            by_key[key].append((info, a))
    key_cls: dict[str, str] = {}
    for info in rf.order:
        for raw, c in info.summary.lock_classes.items():
            if c and c != "entry":
                key_cls.setdefault(rf.lock_key(info, raw), c)
    for key, accs in by_key.items():
        if len(accs) < 3:
            continue
        counts: Counter[str] = Counter()
        for info, a in accs:
            for lk in rf.held_keys(info, a.held):
                if not lk.startswith("<"):  # core serialisation, not a driver lock
                    counts[lk] += 1
        if not counts:
            continue
        lock, _n = counts.most_common(1)[0]
        guarded = [(i, a) for i, a in accs if lock in rf.held_keys(i, a.held)]
        cls = ""
        for i, _a in guarded:
            raw = next((h for h in _a.held if rf.lock_key(i, h) == lock), "")
            cls = rf.lock_class(i, raw) if raw else ""
            if cls and cls not in ("entry", "annotation", "asserted"):
                break
        cls = key_cls.get(lock) or cls or rf.class_from_type(lock)
        lop = rf.k.lock_classes.get(cls)
        if cls in ("rcu", "irq-disabled", "preempt-disabled") or \
                (lop is not None and not lop.guards_fields):
            continue
        others: Counter[str] = Counter()
        for lk in list(counts):
            if lk != lock:
                others[lk] = len({i.fn.name for i, a in accs if lk in rf.held_keys(i, a.held)})
        g = Guard(lock, cls or "lock", guarded, len(accs),
                  len({i.fn.name for i, _a in guarded}), 0,
                  frozenset(lk for lk, n in others.items() if n >= 2))
        # Writers that cannot race with the lock's holders (PCM set-up callbacks for a
        # spinlock, .trigger for a mutex) do not vote against it.
        g.total_fns = len({i.fn.name for i, a in accs if a.kind != "r" and racing(rf, i, g)} |
                          {i.fn.name for i, _a in guarded})
        rf.guards[key] = g


def racing(rf: RaceFile, info: FnInfo, g: Guard, a: Access | None = None) -> bool:
    """Can an unguarded access in info race with the accesses under g?"""
    if a is not None and g.other_locks & rf.held_keys(info, a.held):
        # Written under a second lock that other functions also hold around this field
        # (written under both, read under either): a protocol we cannot judge.
        return False
    if info.unknown_ctx or g.lock in info.may_inherited:
        return False  # called through a pointer / from elsewhere: its callers may hold g
    if info.stream_setup and rf.is_atomic_class(g.cls):
        return False
    # A PCM .trigger runs under the stream lock, serialised by the PCM core with the
    # stream's other callbacks; a sleeping lock cannot be taken there at all.
    return not (info.trigger_ctx and not rf.is_atomic_class(g.cls))


CTL_WRITE = "<controls_rwsem>"  # pseudo-locks: held by kcontrol .put / .get callbacks
CTL_READ = "<controls_rwsem:r>"


def _exclusive(a: frozenset[str], b: frozenset[str]) -> bool:
    """Do two locksets share a lock (readers of the control rwsem do not exclude each other)?"""
    common = a & b
    if common - {CTL_READ}:
        return True
    return (CTL_WRITE in a and CTL_READ in b) or (CTL_READ in a and CTL_WRITE in b)


def partners(rf: RaceFile, info: FnInfo, a: Access, g: Guard) -> list[tuple[FnInfo, Access]]:
    """Guarded accesses in other functions that can run concurrently with `a` (their
    locksets share no lock with the one held at `a`)."""
    mine = rf.held_keys(info, a.held)
    return [(i, e) for i, e in g.guarded
            if i is not info and not _exclusive(mine, rf.held_keys(i, e.held))]


MIN_GUARDED_FNS = 3
MIN_GUARDED_RATIO = 0.75


def guard_of(rf: RaceFile, key: str, min_fns: int = MIN_GUARDED_FNS) -> Guard | None:
    g = rf.guards.get(key)
    if g is None:
        return None
    n = len(g.guarded)
    # Most functions that touch the field hold the lock (a ratio over functions, so one
    # function with many unguarded accesses does not outvote the rest).
    if n < 2 or g.guarded_fns / g.total_fns < MIN_GUARDED_RATIO or n == g.total:
        return None
    if not any(a.kind in ("w", "rw") for _i, a in g.guarded):
        return None
    if g.guarded_fns < min_fns:
        return None
    return g


def file_races(ctx: Any) -> RaceFile:
    """The shared RaceFile of a FileContext, computed once for all race rules."""
    got = ctx.extra.get("races")
    if isinstance(got, RaceFile):
        return got
    cache = ctx.extra.get("access_summaries")
    memo = ctx.extra.get("race_memo")
    rf = analyse_file(ctx.parsed, ctx.functions, ctx.knowledge,
                      cache if isinstance(cache, dict) else None,
                      memo if isinstance(memo, dict) else None)
    ctx.extra["races"] = rf
    return rf


# ---------------------------------------------------------------- helpers for the rules


def span_of(rf: RaceFile, info: FnInfo, rel_byte: int, rel_end: int) -> Any:
    return rf.parsed.lines.span(info.b0 + rel_byte, info.b0 + rel_end)


def stmt_lines(info: FnInfo, rel: tuple[int, int]) -> list[int]:
    """Absolute 0-based [first, last] line of a statement."""
    return [info.l0 + rel[0], info.l0 + rel[1]]


def raw_lock_in(rf: RaceFile, info: FnInfo, key: str, evidence: list[tuple[FnInfo, Access]]) -> str:
    """The guarding lock as spelled in this function's names, or as written at the evidence."""
    fallback = ""
    for ei, ea in evidence:
        for h in ea.held:
            if rf.lock_key(ei, h) == key:
                fallback = h
                break
        if fallback:
            break
    return rf.local_name(info, key, fallback or key)


def checks_then_acts(rf: RaceFile) -> list[tuple[FnInfo, Access, Access, Guard, str]]:
    """KR402 candidates: (function, test access, act access, guard, field key)."""
    out = []
    for info in rf.order:
        accs = info.summary.accesses
        for t in accs:
            if not t.cond or t.kind != "r" or t.if_span == (0, 0, 0) or not candidate(rf, info, t):
                continue
            key = access_key(rf, info, t)
            g = guard_of(rf, key)
            if g is None or g.lock in rf.held_keys(info, t.held) or not racing(rf, info, g, t):
                continue
            if not partners(rf, info, t, g):
                continue
            lo, hi, _line = t.if_span
            for a in accs:
                if a is t or a.kind == "r" or not (lo <= a.byte < hi) or a.byte <= t.byte:
                    continue
                if access_key(rf, info, a) != key or g.lock in rf.held_keys(info, a.held):
                    continue
                out.append((info, t, a, g, key))
                break
    return out


# ---------------------------------------------------------------- shutdown flags (KR403)


@dataclass(frozen=True)
class FlagRef:
    key: str  # foo.shutdown, or helper:snd_usb_lock_shutdown
    expr: str  # as written: chip->shutdown, atomic_read(&chip->shutdown), helper(chip)
    held: tuple[str, ...]
    byte: int


_LAST_FIELD = re.compile(r"(?:->|\.)([A-Za-z_]\w*)$")


def flag_refs(rf: RaceFile, info: FnInfo) -> list[FlagRef]:
    rk = rf.rk
    out = []
    for a in info.summary.accesses:
        m = _LAST_FIELD.search(a.path)
        if a.kind == "r" and m and m.group(1) in rk.shutdown_fields:
            out.append(FlagRef(rf.resolve(info, a.expr), a.expr, a.held, a.byte))
    for c in info.summary.calls:
        if c.name in rk.shutdown_helpers:
            out.append(FlagRef("helper:" + c.name, f"{c.name}({', '.join(c.args[:1])})",
                               c.held, c.byte))
            continue
        if c.name in rk.atomic_calls or c.name.startswith(rk.atomic_prefixes):
            for arg in c.args[:1]:
                m = _LAST_FIELD.search(arg)
                if m and m.group(1) in rk.shutdown_fields and "=" not in arg:
                    out.append(FlagRef(rf.resolve(info, arg), f"{c.name}(&{arg})", c.held, c.byte))
    return out


def shutdown_protocol(rf: RaceFile) -> dict[str, tuple[str, FnInfo, FlagRef]]:
    """lock key -> (flag key, example function, example reference): the flag is tested with
    the lock held, the lock having been taken in that function."""
    out: dict[str, tuple[str, FnInfo, FlagRef]] = {}
    for info in rf.order:
        own = {a.lock for a in info.summary.acquisitions}
        for r in flag_refs(rf, info):
            for h in r.held:
                if h in own:
                    out.setdefault(rf.lock_key(info, h), (r.key, info, r))
    return out


def flag_checkers(rf: RaceFile) -> dict[str, set[str]]:
    """function -> flag keys it (or a file-local callee) tests."""
    direct = {info.fn.name: {r.key for r in flag_refs(rf, info)} for info in rf.order}
    for _round in range(4):
        changed = False
        for info in rf.order:
            cur = direct[info.fn.name]
            for c in info.summary.calls:
                extra = direct.get(c.name)
                if extra and not extra <= cur:
                    cur |= extra
                    changed = True
        if not changed:
            break
    return direct


# ---------------------------------------------------------------- sleeping (KA501)


_FALSE_ARGS = frozenset({"0", "false", "NULL", "0U", "0u"})


def _param_guard(rf: RaceFile, info: FnInfo, c: Call) -> int | None:
    """Index of a parameter tested before the call (`if (can_sleep) usleep_range(..)`,
    `if (!load_on_demand) return -EIO;` earlier): the call depends on that argument."""
    head = rf.parsed.original[info.b0:info.b0 + c.byte].decode("utf-8", "replace")
    for i, p in enumerate(info.fn.params):
        if p and re.search(r"\bif\s*\(\s*!?\s*" + re.escape(p) + r"\s*\)", head):
            return i
    return None


def passes_false(c: Call, idx: int | None) -> bool:
    return idx is not None and idx < len(c.args) and c.args[idx].strip() in _FALSE_ARGS


def sleepers(rf: RaceFile) -> dict[str, tuple[FnInfo, Call]]:
    """Static file-local functions that may sleep outside their own atomic sections:
    name -> (function, call) of a sleeping call (possibly in a deeper callee). A function
    whose only sleeping paths are behind a test of one of its parameters records that
    parameter in `rf.sleep_guards`; callers passing 0/false/NULL there do not sleep."""
    out: dict[str, tuple[FnInfo, Call]] = {}
    guards: dict[str, int | None] = {}
    for _round in range(5):
        changed = False
        for info in rf.order:
            name = info.fn.name
            if (name in out and guards.get(name) is None) or not info.summary.analysed:
                continue
            found: tuple[FnInfo, Call] | None = None
            found_guard: int | None = None
            for c in info.summary.calls:
                if any(rf.is_atomic_class(rf.lock_class(info, h)) for h in c.held):
                    continue
                if rf.sleeps(c):
                    hit = (info, c)
                else:
                    deeper = out.get(c.name)
                    if deeper is None or c.name == name or passes_false(c, guards.get(c.name)):
                        continue
                    hit = deeper
                g = _param_guard(rf, info, c)
                if g is None:
                    found, found_guard = hit, None
                    break
                if found is None:
                    found, found_guard = hit, g
            if found is not None and (out.get(name) != found or guards.get(name) != found_guard):
                if name in out and guards.get(name) is None:
                    continue
                out[name] = found
                guards[name] = found_guard
                changed = True
        if not changed:
            break
    rf.sleep_guards = guards
    return out
