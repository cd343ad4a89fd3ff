"""Facts layer: a bounded, path-sensitive walk over one function's CFG.

Per path it tracks the resources held (acquired, not yet released, handed off
or known to have failed), the locks held, and what each branch said about a
variable (zero / negative / positive, NULL / ERR_PTR / valid), which makes
paths such as "the allocation failed" or "err was already checked"
impossible. Identical (node, state) pairs are explored once, so loops end
and correlated branches stay cheap. When the walk exceeds its bounds the
function is marked truncated and rules stay silent about it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import tree_sitter

from .cfg import CFG, build_cfg, call_name
from .knowledge import ALL, Acquire, Knowledge, N, P, Release, Z
from .syntax import Function, ParsedFile, descendants, mask_code

NONE_SET: frozenset[str] = frozenset()


def norm(text: str) -> str:
    """Canonical text of an lvalue-ish expression: no spaces, casts, outer parens or leading &."""
    t = re.sub(r"\s+", "", text)
    changed = True
    while changed and t:
        changed = False
        m = re.match(r"^\((?:const|volatile|struct|union|enum|unsigned|signed|\w)+\**\)(?=[\w(&*])", t)
        if m and not re.match(r"^\(\w+\)$", t):
            t = t[m.end():]
            changed = True
        while t.startswith("(") and t.endswith(")") and _balanced(t[1:-1]):
            t = t[1:-1]
            changed = True
        if t.startswith("&"):
            t = t[1:]
            changed = True
    return t


def _balanced(t: str) -> bool:
    depth = 0
    for c in t:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def base_name(expr: str) -> str:
    m = re.match(r"\**([A-Za-z_]\w*)", expr)
    return m.group(1) if m else ""


def stem(fn: str, verbs: set[str]) -> str:
    return "_".join(w for w in fn.lower().split("_") if w and w not in verbs)


_SIGN_TEST_RE = re.compile(r"(\w+)\s*<\s*0")


def _branch_condition(stmt: tree_sitter.Node) -> tree_sitter.Node | None:
    """The condition of the `if` whose then-branch stmt sits in (directly or in its block)."""
    n = stmt.parent
    while n is not None and n.type == "compound_statement":
        n = n.parent
    if n is None or n.type != "if_statement":
        return None
    cons, cond = n.child_by_field_name("consequence"), n.child_by_field_name("condition")
    if cons is None or cond is None or not cons.start_byte <= stmt.start_byte < cons.end_byte:
        return None
    return cond


@dataclass(frozen=True)
class Res:
    rid: int
    names: frozenset[str]
    fn: str
    kind: str  # memory | resource | ref | unknown
    site: int  # CFG node of the acquisition
    cond_var: str | None
    success: frozenset[str]
    releases: tuple[Release, ...] = ()
    weak: bool = False  # held in a struct field or guessed: needs an exemplar release
    iter_ref: bool = False
    stem: str = ""  # unknown arg-style acquisitions pair with a release of the same stem
    what: str = ""
    take_arg: bool = False  # the object itself became held (clk enabled, irq requested)
    escaped: bool = False  # a guessed hand-off happened (store into a struct we do not own)
    # A hand-off by a call whose error code is in this variable (err = register(x)): it
    # takes effect once err is known to be a success, and never if the call failed.
    pending: str | None = None
    pending_hard: bool = False
    pending_site: int = -1

    @property
    def name(self) -> str:
        return min(self.names, key=lambda n: (len(n), n)) if self.names else "?"


@dataclass(frozen=True)
class HeldLock:
    name: str
    cls: str
    site: int
    scoped: bool = False
    entry: bool = False
    asserted: bool = False  # entry lock declared by lockdep_assert_held()/__must_hold()
    cond_var: str | None = None
    success: frozenset[str] = ALL
    site_byte: int = 0


@dataclass(frozen=True)
class State:
    res: frozenset[Res]
    locks: frozenset[HeldLock]
    facts: frozenset[tuple[str, frozenset[str]]]
    released: frozenset[int] = frozenset()  # rids released on this path (exemplars)

    def fact(self, var: str) -> frozenset[str]:
        for k, v in self.facts:
            if k == var:
                return v
        return ALL


@dataclass
class ExitRecord:
    node: int
    state: State
    error: bool
    void: bool
    returned: frozenset[str]
    returned_res: frozenset[Res] = frozenset()
    # written through an out-parameter (*rchip = chip): (param, resource as held then)
    out_res: frozenset[tuple[str, Res]] = frozenset()


@dataclass
class Event:
    node: int
    what: str
    detail: str


@dataclass
class FunctionFacts:
    function: Function
    cfg: CFG | None
    exits: list[ExitRecord] = field(default_factory=list)
    releases: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # rid -> (node, fn)
    error_exemplars: set[int] = field(default_factory=set)  # rids released on an error path
    weak_releases: set[int] = field(default_factory=set)  # rids released while weak
    escaped_releases: set[int] = field(default_factory=set)  # rids released after a hand-off
    released_res: dict[int, Res] = field(default_factory=dict)  # rid -> as it was released
    # rid -> CFG nodes (inside a loop body) where it was handed off
    loop_escapes: dict[int, set[int]] = field(default_factory=dict)
    lock_releases: dict[str, list[int]] = field(default_factory=dict)
    lock_acquires: dict[str, list[int]] = field(default_factory=dict)
    double_locks: list[tuple[int, HeldLock]] = field(default_factory=list)
    must_locks: dict[int, frozenset[str]] = field(default_factory=dict)
    may_locks: dict[int, frozenset[str]] = field(default_factory=dict)
    lock_classes: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[int, str, tuple[str, ...]]] = field(default_factory=list)
    entry_locks: frozenset[str] = frozenset()
    parents: dict[tuple[int, State], tuple[int, State] | None] = field(default_factory=dict)
    truncated: bool = False
    partial: bool = False  # some states were not walked (bound per node); findings still valid
    note: str = ""
    walked: bool = False
    callees: frozenset[str] = frozenset()
    local_names: frozenset[str] = frozenset()

    def path_to(self, node: int, state: State, limit: int = 400) -> list[int]:
        out = [node]
        key: tuple[int, State] | None = (node, state)
        seen = 0
        while key is not None and seen < limit:
            prev = self.parents.get(key)
            if prev is None:
                break
            out.append(prev[0])
            key = prev
            seen += 1
        out.reverse()
        return out


@dataclass
class Summary:
    """What a file-local function does to its parameters, for its callers."""

    releases: list[tuple[int, str]] = field(default_factory=list)  # (param index, member suffix)
    unlocks: list[tuple[int, str, str]] = field(default_factory=list)  # (param, suffix, class)
    locks: list[tuple[int, str, str]] = field(default_factory=list)  # returns with these held
    returns_alloc: Res | None = None
    # the returned allocation is also stored into this parameter's member (codec->spec)
    returns_alloc_into: tuple[int, str] | None = None
    # Known resources it leaves acquired on a parameter on every success (return 0) exit:
    # (param index, member suffix, the resource as the helper tracked it)
    acquires: list[tuple[int, str, Res]] = field(default_factory=list)
    global_releases: list[str] = field(default_factory=list)  # file-scope objects released
    released_fns: frozenset[str] = frozenset()  # release APIs it calls (on anything)
    callees: frozenset[str] = frozenset()  # everything it calls (KL102 looks through helpers)


class Limits:
    max_visits = 30000
    max_states_per_node = 96
    seconds = 2.0


_CMP_OPS = {"==", "!=", "<", "<=", ">", ">="}
# Functions that bring a device up: an enable that fails half-way must be undone here.
# (Not resume, power_on or *_enable: their callers often ignore the error and run the paired
# suspend / power_off / disable later anyway, so an early return is no leak.)
_SETUP_FN_RE = re.compile(r"probe|_init\b|init_|startup|_open|bind|setup|attach|create|_load",
                          re.IGNORECASE)
_ERRISH = re.compile(r"^(?:err|ret|rc|error|retval|result|res|status|rv|r|e|rval|ret_val|"
                     r"ret_code|rcode|errno|error_code|err_code)\w*$")
_EFFECT_TYPES = frozenset({"call_expression", "assignment_expression", "init_declarator",
                           "update_expression"})


def _strip(node: tree_sitter.Node) -> tree_sitter.Node:
    while node.type in ("parenthesized_expression", "cast_expression") and node.named_children:
        node = node.named_children[-1] if node.type == "cast_expression" else node.named_children[0]
    return node


_NAMED_CONST_RE = re.compile(r"[A-Z][A-Z0-9_]*[A-Z0-9]")
_VAR_INDEX_RE = re.compile(r"\[[a-z_]\w*\]")
_RETURN_RE = re.compile(r"\breturn\b([^;]*);")


def _find_zero_functions(parsed: ParsedFile) -> frozenset[str]:
    names: set[str] = set()
    other: set[str] = set()  # a name defined twice (#ifdef stubs) must qualify both times
    for f in parsed.functions:
        if f.is_static and not f.returns_void and not f.returns_pointer:
            values = [v.strip() for v in _RETURN_RE.findall(mask_code(parsed.text_of(f.body)))]
            if values and all(v == "0" for v in values):
                names.add(f.name)
                continue
        other.add(f.name)
    return frozenset(names - other)


def zero_functions(parsed: ParsedFile) -> frozenset[str]:
    """Static int functions of the file whose every return is `return 0;`: a caller's
    `if (ret)` after them is dead code."""
    return parsed.derived("zero_functions", _find_zero_functions)


class Walker:
    def __init__(self, parsed: ParsedFile, fn: Function, k: Knowledge,
                 summaries: dict[str, Summary], limits: type[Limits] = Limits,
                 managed_releases: frozenset[str] = frozenset()) -> None:
        self.p = parsed
        self.managed_releases = managed_releases
        self.fn = fn
        self.k = k
        self.summaries = summaries
        self.limits = limits
        self.verbs = set(k.release_verbs) | set(k.acquire_verbs)
        self.locals: set[str] = set()
        self.params = set(fn.params)
        self.managed_vars: set[str] = set()
        self.value_structs: set[str] = set()  # locals that are structs, not pointers to one
        # A probe: if it fails, no remove() undoes anything it set up.
        self.in_probe = "probe" in fn.name.lower()
        # An open() callback: the close (`.release`) of its ops runs only once it succeeded.
        self.in_open = fn.name.endswith("_open") or fn.name in open_callbacks(parsed)
        self._addr_stored: set[str] = set()
        self.release_verb_args: set[str] = set()
        self.release_stems: set[str] = set()
        self.unlockish = False  # calls an unwind-looking step (unlock, power down: KL102)
        self.callees: set[str] = set()
        self.owned: set[str] = set()
        self.derived: dict[str, str] = {}
        self.cond_idents: set[str] = set()
        self._cond_counts: dict[str, int] = {}
        self._release_calls: list[tuple[int, str, str]] = []
        self._assigns: list[tuple[str, tree_sitter.Node]] = []
        self._field_assigns: list[tuple[str, tree_sitter.Node]] = []  # priv->dev = &pdev->dev
        self._prescan()
        self.value_structs -= self._addr_stored
        self._compute_owned()
        # Branch facts are kept only where they can correlate two decisions: error codes,
        # values tested twice or more, loop counters; facts tied to a resource or lock are
        # always kept (see _set_fact). Fewer distinct states keep large functions in bounds.
        self.fact_vars = {v for v, n in self._cond_counts.items() if n >= 2} | \
            {v for v in self._cond_counts if _ERRISH.match(v.split("->")[-1].split(".")[-1])} | \
            {v for v in self._cond_counts if any(  # ret = data->irq; after its test
                _ERRISH.match(lhs) and norm(self.p.text_of(_strip(rhs))) == v
                for lhs, rhs in self._assigns)}
        self.facts = FunctionFacts(fn, None)
        self._rid = 0
        self._rids: dict[tuple[int, str], int] = {}
        self._call_cache: dict[int, tuple[str, list[tree_sitter.Node]]] = {}
        self._argtext_cache: dict[int, list[str]] = {}
        self._cur_in_loop = False
        self._cur_node = -1
        self._ops_cache: dict[int, list[tree_sitter.Node]] = {}
        self._bind_cache: dict[tuple[int, str | None], dict[int, str]] = {}
        self._named_cache: dict[int, tuple[str, str, bool] | None] = {}

    # ---- prescan ----
    def _prescan(self) -> None:
        body = self.fn.body
        stack = [body]
        src = self.p
        while stack:
            n = stack.pop()
            t = n.type
            if t == "declaration":
                is_static = any(c.type == "storage_class_specifier" and src.text_of(c) == "static"
                                for c in n.children)
                ty = n.child_by_field_name("type")
                for d in n.children_by_field_name("declarator"):
                    name = self._declared_name(d)
                    if name and not is_static:
                        self.locals.add(name)
                        core = d.child_by_field_name("declarator") \
                            if d.type == "init_declarator" else d
                        if ty is not None and ty.type in ("struct_specifier", "union_specifier") \
                                and core is not None and core.type == "identifier":
                            self.value_structs.add(name)  # struct foo x; (not a pointer)
                    if name and src.annotations_in(n.start_byte, n.end_byte, "__free"):
                        self.managed_vars.add(name)
            elif t in ("if_statement", "while_statement", "for_statement", "do_statement",
                       "switch_statement"):
                macro = src.loop_macro_at(n.start_byte) if t == "while_statement" else None
                if macro is not None:
                    self.callees.add(macro)
                c = n.child_by_field_name("condition")
                if c is not None:
                    for m in re.finditer(r"[A-Za-z_][\w>.-]*", src.text_of(c)):
                        w = m.group(0).rstrip(".->")
                        self.cond_idents.add(w)
                        self._cond_counts[w] = self._cond_counts.get(w, 0) + 1
                        if t == "for_statement":
                            self._cond_counts[w] = self._cond_counts.get(w, 0) + 1
            elif t == "assignment_expression":
                lhs = n.child_by_field_name("left")
                rhs = n.child_by_field_name("right")
                if rhs is not None:
                    m_addr = re.fullmatch(r"&\s*([A-Za-z_]\w*)", src.text_of(rhs).strip())
                    if m_addr:
                        # pinfo.kernel = &pcb: pcb's members go wherever pinfo goes
                        self._addr_stored.add(m_addr.group(1))
                if lhs is not None and rhs is not None and lhs.type == "identifier":
                    self._assigns.append((src.text_of(lhs), rhs))
                elif lhs is not None and rhs is not None and lhs.type == "field_expression":
                    self._field_assigns.append((norm(src.text_of(lhs)), rhs))
            elif t == "init_declarator":
                dn = n.child_by_field_name("declarator")
                v = n.child_by_field_name("value")
                if dn is not None and v is not None:
                    nm = self._declared_name(dn)
                    if nm:
                        self._assigns.append((nm, v))
            if t == "call_expression":
                name = call_name(src, n)
                self.callees.add(name)
                if name in self.k.release_index:
                    a_n = n.child_by_field_name("arguments")
                    if a_n is not None and a_n.named_children:
                        self._release_calls.append(
                            (n.start_byte, name, norm(src.text_of(a_n.named_children[0]))))
                acq = self.k.acquires.get(name)
                if acq is not None and acq.take == "out":
                    args_n = n.child_by_field_name("arguments")
                    if args_n is not None and acq.index < len(args_n.named_children):
                        self.owned.add(norm(src.text_of(args_n.named_children[acq.index])))
                if name and self.k.looks_like_unwind(name):
                    self.unlockish = True
                if name and self.k.looks_like_release(name) and name not in self.k.locks:
                    self.release_stems.add(stem(name, self.verbs))
                    args = n.child_by_field_name("arguments")
                    if args is not None:
                        for a in args.named_children:
                            self.release_verb_args.add(norm(src.text_of(a)))
            stack.extend(n.named_children)

    def _compute_owned(self) -> None:
        """Locals that point to objects this function owns (allocated here, or inside them).
        A local with any other kind of assignment (buf = data->wbuffer) is not owned."""
        for _ in range(3):
            before = len(self.owned)
            for lhs, rhs in self._assigns:
                r = _strip(rhs)
                if r.type == "call_expression":
                    name = call_name(self.p, r)
                    acq = self.k.acquires.get(name)
                    if acq is not None and acq.take == "ret" and not self.k.is_managed(name):
                        self.owned.add(lhs)
                elif r.type in ("field_expression", "pointer_expression", "identifier"):
                    b = base_name(norm(self.p.text_of(r)))
                    if b in self.owned:
                        self.owned.add(lhs)
                        if b != lhs and r.type != "identifier":
                            self.derived.setdefault(lhs, b)
            if len(self.owned) == before:
                break
        for lhs, rhs in self._assigns:
            if lhs not in self.owned:
                continue
            r = _strip(rhs)
            if r.type == "call_expression":
                name = call_name(self.p, r)
                acq = self.k.acquires.get(name)
                if acq is not None and acq.take == "ret" and not self.k.is_managed(name):
                    continue
            elif r.type in ("field_expression", "pointer_expression", "identifier"):
                if base_name(norm(self.p.text_of(r))) in self.owned:
                    continue
            elif r.type in ("null", "number_literal") or self.p.text_of(r) == "NULL":
                continue
            self.owned.discard(lhs)
            self.derived.pop(lhs, None)

    def _declared_name(self, d: tree_sitter.Node) -> str:
        while d is not None and d.type not in ("identifier",):
            nxt = d.child_by_field_name("declarator")
            if nxt is None:
                return ""
            d = nxt
        return self.p.text_of(d) if d is not None else ""

    def interesting(self) -> bool:
        """Cheap pre-filter: is there anything for the walk to track?"""
        k = self.k
        for name in self.callees:
            if name in k.acquires or name in k.locks or name in k.iterators or name == "guard()":
                return True
            if name in ("scoped_guard", "scoped_cond_guard"):
                return True
            if name in self.summaries:
                return True
        return bool(self.release_stems) or self.unlockish

    # ---- helpers on state ----
    def _set_fact(self, state: State, var: str, values: frozenset[str] | None) -> State:
        if values is not None and values != ALL and var not in self._cond_counts and \
                not var.startswith("$") and not _ERRISH.match(var) and \
                not any(r.cond_var == var or var in r.names for r in state.res) and \
                not any(lk.cond_var == var for lk in state.locks):
            values = None  # a fact nobody will read again: drop it, keep states few
        facts = {k: v for k, v in state.facts if k != var}
        if values is not None and values != ALL:
            facts[var] = values
        return replace(state, facts=frozenset(facts.items()))

    def _restrict(self, state: State, var: str, allowed: frozenset[str],
                  _depth: int = 0) -> State | None:
        cur = state.fact(var)
        new = cur & allowed
        if not new:
            return None
        if any(r.pending == var for r in state.res):
            if new <= frozenset({N}):
                state = self._settle(state, var, False)  # the call failed: nothing handed off
            elif N not in new:
                state = self._settle(state, var, True)
        st = self._set_fact(state, var, new)
        if var not in self.fact_vars and not var.startswith("$") and not _ERRISH.match(var) \
                and not any(r.cond_var == var or var in r.names for r in st.res) \
                and not any(lk.cond_var == var for lk in st.locks) \
                and not any(k.startswith("=") and (k == "=" + var or v == frozenset({var}))
                            for k, v in st.facts):
            st = self._set_fact(st, var, None)  # its only test is done: forget, keep states few
        if _depth == 0:
            # Variables known equal (tmp = be_chan) learn the same fact.
            for k, v in list(st.facts):
                other = None
                if k == "=" + var:
                    other = next(iter(v))
                elif k.startswith("=") and v == frozenset({var}):
                    other = k[1:]
                if other is not None:
                    nxt = self._restrict(st, other, allowed, 1)
                    if nxt is None:
                        return None
                    st = nxt
        # Resources / locks whose success depends on var and is now impossible; a name that
        # is NULL holds nothing.
        res = frozenset(r for r in st.res if not (r.cond_var == var and not (new & r.success))
                        and not (var in r.names and new == frozenset({Z})))
        for r in res:
            if r.cond_var == var and new <= r.success and r.success != ALL and not r.stem:
                for n in r.names:
                    if n != var and re.fullmatch(r"[A-Za-z_]\w*", n):
                        st = self._set_fact(st, n, frozenset({P}))
        locks = frozenset(lk for lk in st.locks if not (lk.cond_var == var and not (new & lk.success)))
        if res != st.res or locks != st.locks:
            st = replace(st, res=res, locks=locks)
        return st

    # ---- call and assignment effects ----
    def _call_info(self, call: tree_sitter.Node) -> tuple[str, list[tree_sitter.Node]]:
        got = self._call_cache.get(call.id)
        if got is None:
            name = call_name(self.p, call)
            # This file's `#define dsp_lock(dev) snd_hdac_dsp_lock(azx_stream(dev))`: the
            # known API it stands for (its arguments stay the macro's, same on both sides).
            alias = self.p.derived("macro_aliases", _macro_aliases).get(name) if name else None
            if alias is not None and self.k.knows(alias) and not self.k.knows(name):
                name = alias
            args_node = call.child_by_field_name("arguments")
            args = list(args_node.named_children) if args_node is not None else []
            args = [a for a in args if a.type != "comment"]
            got = (name, args)
            self._call_cache[call.id] = got
        return got

    def _new_rid(self, site: int = -1, name: str = "") -> int:
        """Stable per acquisition site and handle, so every path agrees on which resource a
        release on another path (an exemplar) belongs to."""
        key = (site, name)
        rid = self._rids.get(key)
        if rid is None:
            self._rid += 1
            rid = self._rids[key] = self._rid
        return rid

    def _release_matching(self, state: State, node: int, fn: str, arg_texts: list[str],
                          releases: list[tuple[Release, Acquire | None]]) -> State:
        released: list[Res] = []
        for r in state.res:
            hit = False
            for rel, acq in releases:
                if rel.arg >= len(arg_texts):
                    continue
                a = arg_texts[rel.arg]
                if rel.member:
                    if any(a == f"{n}->{rel.member}" or a == f"{n}.{rel.member}" for n in r.names):
                        hit = True
                elif a in r.names:
                    # (Another API's release frees memory too: kvfree() of a kmalloc()ed
                    # block, put_device() of the last reference. A reference's put does not
                    # undo another API's state: pm_runtime_put(dev) drops a usage count, it
                    # does not undo pm_runtime_enable(dev).)
                    if acq is None or r.kind == "unknown" or r.fn == acq.fn or \
                            any(rr.fn == fn for rr in r.releases) or r.kind == "memory" or \
                            (r.kind == "resource" and acq.kind != "ref"):
                        hit = True
                if hit:
                    break
            if hit:
                released.append(r)
        st = self._release(state, node, fn, released)
        # of_node_put(np[i]) in a loop: releases the slots np[0], np[1] named elsewhere. It
        # silences them but is no exemplar (which slot it reached is not known).
        loose: list[Res] = []
        for rel, _acq in releases:
            if rel.arg < len(arg_texts) and _VAR_INDEX_RE.search(arg_texts[rel.arg]):
                pat = re.compile(r"\[\w+\]".join(
                    re.escape(piece) for piece in _VAR_INDEX_RE.split(arg_texts[rel.arg])))
                loose += [r for r in st.res if r not in loose and
                          any(pat.fullmatch(n) for n in r.names)]
        return self._release(st, node, fn, loose, guessed=True)

    @staticmethod
    def _value_node(arg: tree_sitter.Node) -> tree_sitter.Node:
        """What an argument passes: `(kctl = snd_ctl_new1(..))` passes kctl."""
        a = _strip(arg)
        while a.type == "assignment_expression":
            left = a.child_by_field_name("left")
            if left is None:
                break
            a = _strip(left)
        return a if a.type != "assignment_expression" else arg

    def _handle_call(self, state: State, node: int, call: tree_sitter.Node,
                     result: str | None) -> State:
        # Guessed hand-offs by a call whose error code lands in err/ret wait for the test.
        defer = result if result and _ERRISH.match(result) and self._is_plain_local(result) \
            else None
        self._defer_var, self._defer_site = defer, node
        try:
            return self._handle_call_now(state, node, call, result)
        finally:
            self._defer_var = None

    def _handle_call_now(self, state: State, node: int, call: tree_sitter.Node,
                         result: str | None) -> State:
        k = self.k
        name, args = self._call_info(call)
        if not name:
            return state
        arg_texts = self._argtext_cache.get(call.id)
        if arg_texts is None:
            arg_texts = [norm(self.p.text_of(self._value_node(a))) for a in args]
            self._argtext_cache[call.id] = arg_texts
        self.facts.calls.append((node, name, tuple(arg_texts)))
        # ---- locks ----
        lo = k.locks.get(name)
        if lo is not None:
            lname = lo.lock_class if lo.no_argument or not arg_texts else arg_texts[0]
            self.facts.lock_classes[lname] = lo.lock_class
            if lo.op == "release":
                held = [lk for lk in state.locks if lk.name == lname]
                if not held and "->" in lname:
                    # The same lock reached another way (lock(&priv->lock) .. unlock(
                    # &hda->priv->lock)): the one held lock of this class and member.
                    member = lname.rsplit("->", 1)[1]
                    alias = [lk for lk in state.locks if not lk.entry and lk.cls == lo.lock_class
                             and "->" in lk.name and lk.name.rsplit("->", 1)[1] == member]
                    if len(alias) == 1:
                        self.facts.lock_releases.setdefault(alias[0].name, []).append(node)
                        return replace(state, locks=state.locks - {alias[0]})
                if not held:
                    self.unheld_unlocks[lname] = lo.lock_class
                    self.facts.lock_releases.setdefault(lname, []).append(node)
                    return state
                self.facts.lock_releases.setdefault(lname, []).append(node)
                return replace(state, locks=state.locks - {held[0]})
            cond_var, success = None, ALL
            if lo.op == "acquire_zero":
                cond_var, success = result, frozenset({Z})
            elif lo.op == "acquire_nonzero":
                cond_var, success = result, frozenset({N, P})
            if lo.op != "acquire" and not result:
                return state  # success unknown (e.g. inside ?:): cannot track
            already = [lk for lk in state.locks if lk.name == lname and lk.cond_var is None]
            if already and not lo.recursive_ok and cond_var is None:
                if not already[0].entry or already[0].asserted:
                    self.facts.double_locks.append((node, already[0]))
                if already[0].entry:
                    return state  # re-taking a caller's lock: keep one entry
            self.facts.lock_acquires.setdefault(lname, []).append(node)
            lk = HeldLock(lname, lo.lock_class, node, cond_var=cond_var, success=success,
                          site_byte=call.start_byte)
            return replace(state, locks=state.locks | {lk})
        if name == "guard()":
            inner = call.child_by_field_name("function")
            cls_name = ""
            if inner is not None:
                _, inner_args = self._call_info(inner)
                if inner_args:
                    cls_name = self.p.text_of(inner_args[0]).strip()
            cls = k.guards.get(cls_name)
            if cls is None:
                return state
            lop = k.lock_classes.get(cls)
            lname = cls if (lop is not None and lop.no_argument) or not arg_texts else arg_texts[0]
            self.facts.lock_classes[lname] = cls
            lk = HeldLock(lname, cls, node, scoped=True, site_byte=call.start_byte)
            return replace(state, locks=state.locks | {lk})
        if name == "lockdep_assert_held" or name == "lockdep_assert_held_once":
            return state
        # ---- acquisitions ----
        acq = k.acquires.get(name)
        if acq is not None and not k.is_managed(name):
            return self._acquire(state, node, acq, arg_texts, result, call)
        # ---- releases (table) ----
        rels = k.releases_of(name)
        if rels:
            return self._release_matching(state, node, name, arg_texts, rels)
        # ---- ownership transfer (table) ----
        tr = k.transfers.get(name)
        if tr is not None:
            idxs, always = tr
            if always:
                self._defer_var = None  # snd_ctl_add() consumes it even when it fails
            drop: set[str] = set()
            for i in idxs:
                if i < len(args):
                    target = arg_texts[i]
                    drop |= {target, base_name(target) if "->" in target or "." in target
                             else target}
            # A probe's private object set as drvdata: if the probe fails no remove() runs,
            # so the state held in its fields (enabled supplies, clocks) is still the probe's.
            members = not (name in k.drvdata_setters and self.in_probe)
            return self._drop_names(state, drop, hard=True, members=members) if drop else state
        # ---- file-local summaries ----
        summ = self.summaries.get(name)
        if summ is not None and summ is not self._own_summary:
            st = state
            # This file's helpers often consume what they are given even when they fail
            # (a wrapper of snd_ctl_add()): their hand-offs are not deferred.
            self._defer_var = None
            for idx, suffix in summ.releases:
                if idx < len(arg_texts):
                    st = self._release_by_name(st, node, name, arg_texts[idx] + suffix)
            if self.k.looks_like_release(name):
                # the undo of a set-up call paired with it by name (foo_enable_clk(afe, c) ..
                # foo_disable_clk(afe, c)), as for a helper we cannot see into
                s_of = stem(name, self.verbs)
                st = self._release(st, node, name, [
                    r for r in st.res if r.stem and r.stem == s_of and r.names & set(arg_texts)])
            for g in summ.global_releases:
                if g not in self.locals:
                    st = self._release_by_name(st, node, name, g)
            if len(arg_texts) == 1 and re.fullmatch(r"[A-Za-z_]\w*", arg_texts[0]) and \
                    "free" in name.lower().split("_"):
                # this file's foo_free(codec): what we stored into codec goes with it
                a = arg_texts[0]
                st = self._release(st, node, name, [
                    r for r in st.res if r.escaped and
                    any("->" in n and base_name(n) == a for n in r.names)])
            # A helper that releases this kind of state (regulator_bulk_disable(..) inside
            # foo_halt(component)) is taken to release it: stay silent rather than guess.
            if summ.released_fns:
                rstems = {stem(f, self.verbs) for f in summ.released_fns}
                hit = [r for r in st.res
                       if (r.stem and r.stem in rstems) or
                       ((r.weak or r.kind in ("resource", "ref")) and
                        any(rel.fn in summ.released_fns for rel in r.releases))]
                st = self._release(st, node, name, hit, guessed=True)
            for idx, suffix, _cls in summ.unlocks:
                if idx < len(arg_texts):
                    lname = arg_texts[idx] + suffix
                    held = [lk for lk in st.locks if lk.name == lname]
                    self.facts.lock_releases.setdefault(lname, []).append(node)
                    if held:
                        st = replace(st, locks=st.locks - {held[0]})
            for idx, suffix, cls in summ.locks:
                if idx < len(arg_texts):
                    lname = arg_texts[idx] + suffix
                    if any(lk.name == lname for lk in st.locks):
                        continue  # dropped and retaken inside (around a cancel_work_sync())
                    self.facts.lock_acquires.setdefault(lname, []).append(node)
                    self.facts.lock_classes[lname] = cls
                    st = replace(st, locks=st.locks | {HeldLock(lname, cls, node,
                                                                 site_byte=call.start_byte)})
            if summ.returns_alloc is not None and result and self._is_trackable_var(result):
                proto = summ.returns_alloc
                into = summ.returns_alloc_into
                if into is None:
                    r = Res(self._new_rid(node, result), frozenset({result}), name, proto.kind,
                            node, result, frozenset({P}), proto.releases,
                            weak=not self._is_plain_local(result), what=proto.what or "allocation")
                    st = replace(st, res=st.res | {r})
                elif into[0] < len(arg_texts) and self._is_trackable_var(arg_texts[into[0]]):
                    holder = arg_texts[into[0]] + into[1]
                    r = Res(self._new_rid(node, result), frozenset({result, holder}), name,
                            proto.kind, node, result, frozenset({P}), proto.releases, weak=True,
                            escaped=True, what=proto.what or "allocation")
                    st = replace(st, res=st.res | {r})
            if summ.releases or summ.unlocks or summ.locks or summ.returns_alloc or \
                    summ.global_releases or summ.released_fns or summ.acquires:
                st = self._heuristic_transfer(st, name, args, arg_texts)
                return self._helper_acquires(st, node, name, summ, args, arg_texts, result)
        # ---- unknown function ----
        if name in k.borrowed or k.is_managed(name):
            return state
        st = state
        if k.looks_like_release(name):
            for a_node, a in zip(args, arg_texts, strict=False):
                st = self._release_by_name(st, node, name, a, stem_of=stem(name, self.verbs))
                if self.p.text_of(a_node).lstrip().startswith("&") and "->" in a and \
                        not any(lhs == a for lhs, _rhs in self._field_assigns) and \
                        not (kept_params(self.p, name) is not None and
                             {"free", "delete", "clear", "cleanup"} & set(name.lower().split("_"))):
                    # the object embeds what is freed (snd_rawmidi_free(&ump->core),
                    # put_device(&x->dev)): it goes with it; but this file's own
                    # foo_free_fmt(&x->fmt) frees what the member holds, not x, and so does
                    # foo_pool_delete(&f->pool) when f->pool is a pointer this function set
                    st = self._release_by_name(st, node, name, base_name(a))
                if re.fullmatch(r"[A-Za-z_]\w*", a) and len(arg_texts) == 1 and \
                        "free" in name.lower().split("_"):
                    # what this function stored into the object goes with it
                    st = self._release(st, node, name, [
                        r for r in st.res if r.escaped and
                        any("->" in n and base_name(n) == a for n in r.names)])
            # sst_pm_runtime_put(ctx) drops what pm_runtime_get_sync(ctx->dev) took.
            bases = {a for a in arg_texts if re.fullmatch(r"[A-Za-z_]\w*", a)}
            hit = [r for r in st.res if any(rel.fn in name for rel in r.releases)
                   and any(base_name(n) in bases for n in r.names)]
            st = self._release(st, node, name, hit, guessed=True)
            if st is not state:
                return st
        st = self._heuristic_transfer(st, name, args, arg_texts)
        # A helper of this file that stores what it is given into another object
        # (rmidi->private_data = umidi): a hand-off we can only guess at.
        stored = stored_params(self.p, name)
        if stored:
            st = self._drop_names(st, {arg_texts[i] for i in stored if i < len(arg_texts)
                                       and self._is_trackable_var(arg_texts[i])},
                                 members=False)
        # Address of a tracked pointer passed to an unknown function: it may be freed or kept.
        for a_node, a in zip(args, arg_texts, strict=False):
            raw = self.p.text_of(a_node).strip()
            if raw.startswith("&") and "->" not in a and "." not in a:
                st = self._drop_names(st, {a})
                st = self._set_fact(st, a, None)
        # Unknown acquisitions, tracked only when this function releases them somewhere.
        if self.k.looks_like_acquire(name) and not self.k.looks_like_release(name) \
                and name not in self.k.not_pairs:
            if result and not result.startswith("$") and self._is_plain_local(result) \
                    and self.k.looks_like_allocator(name) \
                    and result in self.release_verb_args and result not in self.managed_vars:
                r = Res(self._new_rid(node, result), frozenset({result}), name, "unknown", node, result,
                        frozenset({P}), weak=True, what="object")
                st = replace(st, res=frozenset(x for x in st.res if result not in x.names) | {r})
            else:
                st = self._stem_acquire(st, node, name, arg_texts, result)
        return st

    def _helper_acquires(self, st: State, node: int, name: str, summ: Summary,
                         args: list[tree_sitter.Node], arg_texts: list[str],
                         result: str | None) -> State:
        """A file-local helper that returns 0 with a resource acquired on our argument
        (foo_setup_regulators(dev, priv) enabling priv->supplies): held when it returned 0."""
        if not summ.acquires or not result or self._cur_in_loop or not (
                result.startswith("$") or (_ERRISH.match(result) and self._is_plain_local(result))):
            return st
        # Only a failing probe has nobody to undo it (no remove() follows); other set-up
        # functions leave state in the caller's object to that object's destructor.
        strong = self.in_probe
        for idx, suffix, proto in summ.acquires:
            if idx >= len(arg_texts) or not self._is_trackable_var(arg_texts[idx]):
                continue
            if suffix == "*":
                # written through an out-parameter: op_request(d, &fw, ..) leaves fw held
                if not self.p.text_of(args[idx]).lstrip().startswith("&"):
                    continue
                target = arg_texts[idx]
                if any(target in r.names for r in st.res):
                    continue
                r = Res(self._new_rid(node, target), frozenset({target}), name, proto.kind,
                        node, result, frozenset({Z}), proto.releases,
                        weak=not self._is_plain_local(target), what=proto.what or "resource")
                st = replace(st, res=st.res | {r})
                continue
            target = arg_texts[idx] + suffix
            if not self._is_trackable_var(target) or \
                    any(target in r.names for r in st.res):
                continue
            r = Res(self._new_rid(node, target), frozenset({target}), name, proto.kind, node,
                    result, frozenset({Z}), proto.releases, weak=not strong or proto.weak,
                    escaped=proto.escaped, what=proto.what or "resource")
            st = replace(st, res=st.res | {r})
        return st

    def _stem_acquire(self, st: State, node: int, name: str, arg_texts: list[str],
                      result: str | None) -> State:
        """An unknown (or file-local) set-up call whose undo this function calls by the same
        stem (foo_hw_start / foo_hw_stop): weak state, reported only with an exemplar."""
        s = stem(name, self.verbs)
        if not (result and arg_texts and s in self.release_stems
                and (result.startswith("$") or result in self.cond_idents)
                and not self._cur_in_loop):  # loop-made objects usually live in arrays
            return st
        handle = next((a for a in arg_texts if self._is_trackable_var(a)
                       and not re.fullmatch(r"[A-Z0-9_]+", a)), "")
        if not (s and handle):
            return st
        r = Res(self._new_rid(node, handle), frozenset({handle}), name, "unknown", node,
                result, frozenset({Z}), weak=True, stem=s, what="state")
        return replace(st, res=st.res | {r})

    _own_summary: Summary | None = None

    def _heuristic_transfer(self, st: State, name: str, args: list[tree_sitter.Node],
                            arg_texts: list[str]) -> State:
        """Handed to a registering/adding function (add_new_ctl(mixer, .., store)); for a
        function of this file, only through the parameters it may keep."""
        if not self.k.looks_like_transfer(name):
            return st
        kept = kept_params(self.p, name)
        drop: set[str] = set()
        members_only: set[str] = set()
        configures = self.k.only_configures(name)
        for i, (a_node, a) in enumerate(zip(args, arg_texts, strict=False)):
            if kept is not None and i not in kept:
                continue  # the helper only fills it in (q6asm_add_hdr(ac, &pkt->hdr, ..))
            raw = self.p.text_of(a_node).strip()
            if i == 0 and configures and self._is_plain_local(base_name(a)):
                continue  # this function's own object being set up, not handed over
            if i == 0 and configures and base_name(a) in self.params and raw.startswith("&"):
                # dma_set_mask(&pci->dev, ..) configures the device the caller gave us: the
                # device itself (enabled here) is not handed off, what hangs off it may be
                members_only.add(base_name(a))
                continue
            if i > 0 or raw.startswith("&"):
                drop.add(a)
                if raw.startswith("&") or "->" not in a:
                    # &obj->list hands off obj; obj->name (a value read from it) does not
                    drop.add(base_name(a))
        # A state of the object (runtime PM enabled on the device, a component registered
        # on it) is no object to hand over: tegra_pcm_platform_register(&pdev->dev) does
        # not take over pm_runtime_enable(&pdev->dev).
        # (Where nobody else will undo them: a probe, a stream's startup or open. A set-up
        # helper's caller often undoes them itself when the helper fails.)
        states = frozenset(r for r in st.res if r.take_arg and r.kind == "resource") \
            if self.in_probe or re.search(r"startup|_open$", self.fn.name) else frozenset()
        if states:
            st = replace(st, res=st.res - states)
        if members_only:
            st = self._drop_names(st, members_only, hard=True, direct_too=False)
        st = self._drop_names(st, drop, hard=True)
        return replace(st, res=st.res | states) if states else st

    def _retakes(self, before: int) -> set[tuple[str, str]]:
        """(object, acquire fn) whose release call appears earlier in the function text."""
        out: set[tuple[str, str]] = set()
        for n in self._release_calls:
            if n[0] < before:
                for _rel, acq in self.k.releases_of(n[1]):
                    if acq is not None:
                        out.add((n[2], acq.fn))
        return out

    def _same_object(self, name: str) -> set[str]:
        """Other names of name: a local set once to a field of another object
        (dev = &pdev->dev) and that field."""
        eq = self._equiv
        if eq is None:
            counts: dict[str, int] = {}
            pairs = self._assigns + self._field_assigns
            for lhs, _rhs in pairs:
                counts[lhs] = counts.get(lhs, 0) + 1
            eq = {}
            for lhs, rhs in pairs:
                r = _strip(rhs)
                if counts.get(lhs) == 1 and (lhs in self.locals or "->" in lhs) and \
                        r.type in ("pointer_expression", "field_expression"):
                    txt = self.p.text_of(r).strip()
                    if r.type == "pointer_expression" and not txt.startswith("&"):
                        continue
                    v = norm(txt)
                    if "->" in v and self._is_trackable_var(v):
                        eq[lhs] = v
            self._equiv = eq
        out = {v for k, v in eq.items() if k == name}
        out |= {k for k, v in eq.items() if v == name}
        return out

    _equiv: dict[str, str] | None = None

    def _is_plain_local(self, var: str) -> bool:
        return re.fullmatch(r"[A-Za-z_]\w*", var) is not None and var in self.locals

    def _in_value_struct(self, var: str) -> bool:
        """knew.tlv.p: a member of a struct that lives on this function's stack."""
        return "." in var and "->" not in var and var.split(".", 1)[0] in self.value_structs

    def _out_param(self, name: str) -> str | None:
        """The parameter p when name is `*p` (written through an out-parameter)."""
        m = re.fullmatch(r"\*\s*([A-Za-z_]\w*)", name)
        return m.group(1) if m and m.group(1) in self.params else None

    def _is_trackable_var(self, var: str) -> bool:
        # Fields, and array slots with a constant index (clocks[MT_CLK_BUS], supply[0]);
        # a variable index names a different object on every iteration.
        return bool(re.fullmatch(r"[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*|\[(?:[A-Z0-9_]+|\d+)\])*",
                                 var))

    def _acquire(self, state: State, node: int, acq: Acquire, arg_texts: list[str],
                 result: str | None, call: tree_sitter.Node) -> State:
        if acq.take == "ret":
            target = result
            cond_var = result
            success = acq.success
        elif acq.take == "out":
            target = arg_texts[acq.index] if acq.index < len(arg_texts) else None
            cond_var = result
            success = acq.success
        else:
            target = arg_texts[acq.index] if acq.index < len(arg_texts) else None
            cond_var = result
            success = acq.success
        if not target or target.startswith("$") or target in self.managed_vars:
            return state
        if acq.take == "arg" and acq.kind == "ref" and \
                (target, acq.fn) in self._retakes(call.start_byte):
            return state  # put then get again around a reparent: the caller's count
        # A destructor installed on the device releases what hangs off the device (fields,
        # registrations on objects), not a local buffer of this function.
        # A reference count (runtime-PM usage, a module reference) taken in a callback is that
        # call's own, not the one the destructor drops: only setup code hands it over.
        if self.managed_releases and any(r.fn in self.managed_releases for r in acq.releases) \
                and not self.in_open \
                and (acq.take == "arg" or not self._is_plain_local(target)) \
                and (acq.kind != "ref" or _SETUP_FN_RE.search(self.fn.name)):
            return state
        if not self._is_trackable_var(target) and not (
                acq.take == "ret" and self._out_param(target)):  # *rkctl = kzalloc(..)
            return state
        if acq.success == ALL:
            cond_var = None
        # Held through a struct field (or a guess): needs the function's own exemplar.
        # Registrations on a field (request_irq(chip->irq, ..)) are strong; an enable state
        # kept in a field (clk_prepare_enable(chip->clk)) is often meant to persist.
        weak = not (self._is_plain_local(target) or target in self.params or
                    self._in_value_struct(target)) and \
            (acq.take != "arg" or (acq.persistent and not _SETUP_FN_RE.search(self.fn.name)))
        if weak and acq.take != "arg" and self.in_probe and \
                self._is_plain_local(base_name(target)) and "->" in target:
            # priv->clk = clk_get(..) in a probe, priv being its own object: nobody else
            # releases it if the probe fails (until priv is handed off, e.g. set as drvdata)
            weak = False
        if weak and acq.take != "arg" and re.fullmatch(r"[A-Za-z_]\w*", target) and \
                any(a.name == "__init" for a in self.fn.annotations):
            # A file-scope object set up by a module's __init function: when init fails the
            # module's exit never runs, so nobody else will release it.
            weak = False
        if acq.take == "out" and base_name(target) in self.params:
            weak = True  # written into the caller's object: the caller owns it
        names = {target} | self._same_object(target)
        if acq.alias_arg is not None and acq.alias_arg < len(arg_texts) and \
                self._is_trackable_var(arg_texts[acq.alias_arg]):
            names.add(arg_texts[acq.alias_arg])
            weak = weak and not (self._is_plain_local(arg_texts[acq.alias_arg]) or
                                 arg_texts[acq.alias_arg] in self.params)
        r = Res(self._new_rid(node, target), frozenset(names), acq.fn, acq.kind, node, cond_var,
                success,
                acq.releases, weak=weak, what=acq.what, take_arg=acq.take == "arg")
        res = frozenset(x for x in state.res if not (target in x.names and acq.take != "arg"))
        st = replace(state, res=res | {r})
        if result and acq.take == "ret":
            st = self._set_fact(st, result, None)
        return st

    def _release_by_name(self, state: State, node: int, fn: str, name: str,
                         stem_of: str | None = None) -> State:
        hit = [r for r in state.res if name in r.names and
               (not r.stem or stem_of is None or r.stem == stem_of)]
        return self._release(state, node, fn, hit)

    def _release(self, state: State, node: int, fn: str, hit: list[Res],
                 guessed: bool = False) -> State:
        """Release these resources at node (by fn) and record it for the exemplar rules.
        guessed: a helper that only looks like it releases them; it silences, but is no
        evidence (exemplar) for reporting another path."""
        if not hit:
            return state
        for r in hit:
            if guessed:
                continue
            self.facts.releases.setdefault(r.rid, []).append((node, fn))
            self.facts.released_res.setdefault(r.rid, r)
            if r.weak:
                self.facts.weak_releases.add(r.rid)
            if r.escaped:
                self.facts.escaped_releases.add(r.rid)
        return replace(state, res=state.res - set(hit),
                       released=state.released | frozenset(r.rid for r in hit))

    _defer_var: str | None = None
    _defer_site: int = -1

    def _settle(self, state: State, var: str | None, succeeded: bool) -> State:
        """Resolve hand-offs pending on var (None: all of them): applied if the call
        succeeded (or we cannot tell any more), dropped if it failed."""
        pend = [r for r in state.res if r.pending is not None and (var is None or r.pending == var)]
        if not pend:
            return state
        out = set(state.res) - set(pend)
        for r in pend:
            if not succeeded:
                out.add(replace(r, pending=None, pending_hard=False, pending_site=-1))
            elif r.pending_hard:
                if self._cur_in_loop:
                    self.facts.loop_escapes.setdefault(r.rid, set()).add(self._cur_node)
            else:
                if self._cur_in_loop:
                    self.facts.loop_escapes.setdefault(r.rid, set()).add(self._cur_node)
                out.add(replace(r, pending=None, pending_hard=False, pending_site=-1, weak=True,
                                escaped=True))
        return replace(state, res=frozenset(out))

    def _drop_names(self, state: State, names: set[str], hard: bool = False,
                    members: bool = True, direct_too: bool = True) -> State:
        """Hand off resources going by these names.

        hard: a documented transfer (snd_ctl_add, list_add, a drvdata setter, return): the
        resource is no longer ours. Otherwise the hand-off is a guess (a store into a struct
        we do not own, a registration-looking call, an object carved out of the resource):
        the resource stays tracked as weak, so it is reported only where the function itself
        releases it on another error path. direct_too=False hands off only what is stored
        in the named objects, not the objects themselves."""
        names = {n for n in names if n}
        if not names:
            return state
        defer = self._defer_var
        direct = set(names)
        # Handing off an object carved out of a resource may hand off the resource.
        parents: set[str] = set()
        todo = [base_name(n) for n in names]
        while todo:
            b = todo.pop()
            parent = self.derived.get(b)
            if parent and parent not in names and parent not in parents:
                parents.add(parent)
                todo.append(parent)
        # ... and so may whatever is stored in the fields of an object that is handed off.
        bases = {n for n in direct if re.fullmatch(r"[A-Za-z_]\w*", n)} if members else set()
        out = set()
        changed = False
        for r in state.res:
            if r.names & direct and not direct_too:
                out.add(r)  # the object itself stays ours (only what is stored in it goes)
                continue
            if r.names & direct:
                strength = hard
            elif r.names & parents or any(("->" in n or "." in n) and base_name(n) in bases
                                          for n in r.names):
                strength = False
            else:
                out.add(r)
                continue
            changed = True
            if defer is not None:
                out.add(replace(r, pending=defer, pending_hard=strength or r.pending_hard,
                                pending_site=self._defer_site))
                continue
            if strength:
                if self._cur_in_loop:
                    self.facts.loop_escapes.setdefault(r.rid, set()).add(self._cur_node)
                continue
            if self._cur_in_loop:
                self.facts.loop_escapes.setdefault(r.rid, set()).add(self._cur_node)
            out.add(r if (r.weak and r.escaped) else replace(r, weak=True, escaped=True))
        if not changed:
            return state
        return replace(state, res=frozenset(out))

    def _passed_error(self, call: tree_sitter.Node) -> tree_sitter.Node | None:
        """The argument an error-passthrough call (dev_err_probe()) returns, if call is one."""
        idx = self.k.error_passthrough.get(call_name(self.p, call) or "")
        if idx is None:
            return None
        _name, args = self._call_info(call)
        return args[idx] if idx < len(args) else None

    def _value_of(self, rhs: tree_sitter.Node) -> frozenset[str] | None:
        r = _strip(rhs)
        t = r.type
        if t == "call_expression" and call_name(self.p, r) in zero_functions(self.p):
            return frozenset({Z})  # a helper of this file that can only return 0
        if t == "number_literal":
            txt = self.p.text_of(r).rstrip("uUlL")
            try:
                v = int(txt, 0)
            except ValueError:
                return None
            return frozenset({Z}) if v == 0 else frozenset({P})
        if t in ("null", "false"):
            return frozenset({Z})
        if t == "true":
            return frozenset({P})
        if t == "identifier":
            name = self.p.text_of(r)
            if name == "NULL":
                return frozenset({Z})
            if re.fullmatch(r"E[A-Z0-9]+", name):
                return frozenset({P})
            return None
        if t == "unary_expression":
            op = r.child_by_field_name("operator")
            if op is not None and self.p.text_of(op) == "-":
                return frozenset({N})
        if t == "call_expression":
            name = call_name(self.p, r)
            if name in ("ERR_PTR", "PTR_ERR", "ERR_CAST"):
                return frozenset({N})
            passed = self._passed_error(r)
            if passed is not None:
                # ret = dev_err_probe(dev, PTR_ERR(clk), ..): what it was given
                return self._value_of(passed)
        if t == "binary_expression":
            op = r.child_by_field_name("operator")
            if op is not None and self.p.text_of(op) in ("==", "!=", "<", "<=", ">", ">=",
                                                          "&&", "||"):
                return frozenset({Z, P})
        if t == "unary_expression":
            op = r.child_by_field_name("operator")
            if op is not None and self.p.text_of(op) == "!":
                return frozenset({Z, P})
        return None

    def _assign(self, state: State, node_id: int, lhs_node: tree_sitter.Node,
                rhs_node: tree_sitter.Node | None, op: str) -> State:
        lhs = norm(self.p.text_of(lhs_node))
        if not lhs:
            return state
        if op == "=" and rhs_node is not None and "->" in lhs and \
                self.p.text_of(_strip(rhs_node)).strip() in ("NULL", "0") and \
                any(r.escaped and lhs in r.names for r in state.res):
            # The store that handed it off is undone (swidget->private = NULL): the object is
            # this function's again.
            state = replace(state, res=frozenset(
                replace(r, escaped=False, weak=bool(r.stem) or
                        not any(self._is_plain_local(n) for n in r.names))
                if r.escaped and lhs in r.names else r for r in state.res))
        # `sub->area = NULL;` while that is the only handle on a block still held: nobody can
        # free it any more, whoever owns sub. Kept (strong) under that name, so the exit
        # that follows reports it; a later kfree(sub->area) is a kfree(NULL) and stays quiet.
        lost = [r for r in state.res if r.names == frozenset({lhs}) and r.site != node_id and
                r.kind in ("memory", "resource") and not (r.escaped or r.stem or r.iter_ref) and
                r.pending is None] \
            if op == "=" and rhs_node is not None and \
            self.p.text_of(_strip(rhs_node)).strip() in ("NULL", "0") else []
        st = self._reassigned(state, node_id, lhs)
        if lost:
            st = replace(st, res=st.res | {replace(r, weak=False, cond_var=None) for r in lost})
        if op != "=" or rhs_node is None:
            return self._set_fact(st, lhs, None)
        rhs_stripped = _strip(rhs_node)
        while rhs_stripped.type == "assignment_expression":  # a = b = kzalloc(..)
            inner = rhs_stripped.child_by_field_name("left")
            if inner is None:
                break
            rhs_stripped = _strip(inner)
        rhs = norm(self.p.text_of(rhs_stripped))
        # Aliases and escapes.
        if rhs_stripped.type in ("identifier", "field_expression", "pointer_expression"):
            holders = [r for r in st.res if rhs in r.names]
            # Stored into an object of ours that was already handed off (stream_priv given
            # to spcm, then stream_priv->time_info = time_info): it goes along.
            owner_gone = any(r.escaped and base_name(lhs) in r.names for r in st.res)
            if holders and self._out_param(lhs) and \
                    all(not (r.weak or r.escaped or r.stem or r.iter_ref) for r in holders):
                # *rchip = chip: the caller's now, once this function returns (see _return)
                st = replace(st, res=frozenset(
                    replace(r, names=r.names | {lhs}) if rhs in r.names else r for r in st.res))
            elif holders:
                if self._is_plain_local(lhs) or self._in_value_struct(lhs) or \
                        (base_name(lhs) in self.owned and "[" not in lhs and not owner_gone):
                    st = replace(st, res=frozenset(
                        replace(r, names=r.names | {lhs}) if rhs in r.names else r for r in st.res))
                else:
                    st = self._drop_names(st, {rhs})
                    if "->" in lhs and self._is_trackable_var(lhs) and \
                            (base_name(lhs) in self.params or self._is_plain_local(base_name(lhs))):
                        # Remember where it went (codec->spec = spec): a release-looking
                        # call on that object (snd_hda_gen_free(codec)) then releases it.
                        st = replace(st, res=frozenset(
                            replace(r, names=r.names | {lhs}) if rhs in r.names and r.escaped
                            else r for r in st.res))
        val = self._value_of(rhs_node)
        if val is None and rhs_stripped.type in ("identifier", "field_expression"):
            # (ret = data->irq; after `if (data->irq < 0)`: ret is negative too)
            f = st.fact(rhs)
            if f != ALL:
                val = f
            if rhs_stripped.type == "identifier" and re.fullmatch(r"[A-Za-z_]\w*", lhs) and \
                    lhs != rhs and (lhs in self.fact_vars or rhs in self.fact_vars):
                st = replace(st, facts=st.facts | {("=" + lhs, frozenset({rhs}))})
        if rhs_stripped.type == "call_expression" and \
                call_name(self.p, rhs_stripped) in ("PTR_ERR_OR_ZERO", "PTR_ERR"):
            _, cargs = self._call_info(rhs_stripped)
            if cargs:
                ptr = norm(self.p.text_of(cargs[0]))
                # err == 0 exactly when ptr is not an ERR_PTR: success now hangs on err.
                st = replace(st, res=frozenset(
                    replace(r, cond_var=lhs, success=frozenset({Z}))
                    if r.cond_var == ptr and r.success == frozenset({Z, P}) else r
                    for r in st.res))
                if call_name(self.p, rhs_stripped) == "PTR_ERR_OR_ZERO":
                    val = None
        return self._set_fact(st, lhs, val)

    def _reassigned(self, state: State, node_id: int, var: str) -> State:
        """var gets a new value: earlier resources lose it as a name and as success witness,
        and it is no longer known equal to anything."""
        if any(r.pending == var and r.pending_site != node_id for r in state.res):
            state = self._settle(state, var, True)  # never tested: assume it took it
        changed = False
        if any(k == "=" + var or k == "#" + var or (k.startswith("=") and v == frozenset({var}))
               for k, v in state.facts):
            state = replace(state, facts=frozenset(
                (k, v) for k, v in state.facts
                if not (k == "=" + var or k == "#" + var or
                        (k.startswith("=") and v == frozenset({var})))))
        res = set()
        for r in state.res:
            if r.site == node_id:
                res.add(r)
                continue
            nr = r
            if var in r.names:
                nr = replace(nr, names=r.names - {var})
            if r.cond_var == var:
                nr = replace(nr, cond_var=None)
            if nr is not r:
                changed = True
                if not nr.names:
                    continue  # the only handle was overwritten; stay silent
            res.add(nr)
        locks = set()
        for lk in state.locks:
            if lk.cond_var == var and lk.site != node_id:
                locks.add(replace(lk, cond_var=None))
                changed = True
            elif lk.name != var and base_name(lk.name) == var and not lk.entry:
                locks.add(replace(lk, name=lk.name + "'"))  # the old object's lock
                changed = True
            else:
                locks.add(lk)
        if not changed:
            return state
        return replace(state, res=frozenset(res), locks=frozenset(locks))

    def _ops(self, expr: tree_sitter.Node) -> list[tree_sitter.Node]:
        got = self._ops_cache.get(expr.id)
        if got is None:
            got = [n for n in self._postorder(expr) if n.type in _EFFECT_TYPES]
            self._ops_cache[expr.id] = got
        return got

    def _effects(self, state: State, node_id: int, expr: tree_sitter.Node,
                 bindings: dict[int, str]) -> State:
        """Apply calls and assignments inside expr, innermost first."""
        st = state
        for n in self._ops(expr):
            t = n.type
            if t == "call_expression":
                st = self._handle_call(st, node_id, n, bindings.get(n.id))
            elif t == "assignment_expression":
                lhs = n.child_by_field_name("left")
                rhs = n.child_by_field_name("right")
                op = n.child_by_field_name("operator")
                if lhs is not None:
                    st = self._assign(st, node_id, lhs, rhs,
                                      self.p.text_of(op) if op is not None else "=")
            elif t == "init_declarator":
                d = n.child_by_field_name("declarator")
                v = n.child_by_field_name("value")
                if d is not None:
                    name = self._declared_name(d)
                    if name and v is not None and v.type != "initializer_list":
                        st = self._assign_name(self._reassigned(st, node_id, name), name, v)
                    elif name:
                        st = self._set_fact(self._reassigned(st, node_id, name), name, None)
            elif t == "update_expression":
                arg = n.child_by_field_name("argument")
                if arg is not None:
                    uv = norm(self.p.text_of(arg))
                    st = self._set_fact(self._reassigned(st, node_id, uv), uv, None)
        return st

    def _assign_name(self, state: State, name: str, rhs: tree_sitter.Node) -> State:
        st = state
        rs = _strip(rhs)
        if rs.type in ("identifier", "field_expression"):
            rtext = norm(self.p.text_of(rs))
            if any(rtext in r.names for r in st.res):
                st = replace(st, res=frozenset(
                    replace(r, names=r.names | {name}) if rtext in r.names else r for r in st.res))
        return self._set_fact(st, name, self._value_of(rhs))

    def _postorder(self, root: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
        stack: list[tuple[tree_sitter.Node, bool]] = [(root, False)]
        while stack:
            n, done = stack.pop()
            if done:
                yield n
                continue
            if n.type in ("sizeof_expression", "string_literal", "comment", "compound_statement",
                          "alignof_expression", "offsetof_expression"):
                continue
            stack.append((n, True))
            if n.type == "conditional_expression":
                c = n.child_by_field_name("condition")
                if c is not None:
                    stack.append((c, False))
                continue
            for c in reversed(n.named_children):
                stack.append((c, False))

    def _bindings(self, expr: tree_sitter.Node, cond_temp: str | None) -> dict[int, str]:
        key = (expr.id, cond_temp)
        got = self._bind_cache.get(key)
        if got is None:
            got = self._compute_bindings(expr, cond_temp)
            self._bind_cache[key] = got
        return got

    def _compute_bindings(self, expr: tree_sitter.Node, cond_temp: str | None) -> dict[int, str]:
        b: dict[int, str] = {}
        for n in self._ops(expr):
            if n.type == "assignment_expression":
                rhs = n.child_by_field_name("right")
                lhs = n.child_by_field_name("left")
                if rhs is not None and lhs is not None:
                    r = _strip(rhs)
                    if r.type == "call_expression":
                        b[r.id] = norm(self.p.text_of(lhs))
            elif n.type == "init_declarator":
                d = n.child_by_field_name("declarator")
                v = n.child_by_field_name("value")
                if d is not None and v is not None:
                    r = _strip(v)
                    if r.type == "call_expression":
                        b[r.id] = self._declared_name(d)
        if cond_temp is not None:
            core = self._cond_core(expr)
            if core is not None and core.type == "call_expression" and core.id not in b:
                b[core.id] = cond_temp
        return b

    def _cond_core(self, expr: tree_sitter.Node) -> tree_sitter.Node | None:
        e = _strip(expr)
        while True:
            if e.type == "unary_expression":
                op = e.child_by_field_name("operator")
                arg = e.child_by_field_name("argument")
                if op is not None and self.p.text_of(op) == "!" and arg is not None:
                    e = _strip(arg)
                    continue
            if e.type == "binary_expression":
                op = e.child_by_field_name("operator")
                left = e.child_by_field_name("left")
                if op is not None and self.p.text_of(op) in _CMP_OPS and left is not None:
                    e = _strip(left)
                    continue
            if e.type == "call_expression":
                name = call_name(self.p, e)
                if name in ("likely", "unlikely", "WARN_ON", "WARN_ON_ONCE", "WARN", "WARN_ONCE",
                            "IS_ERR", "IS_ERR_OR_NULL", "IS_ERR_VALUE"):
                    _, args = self._call_info(e)
                    if args:
                        e = _strip(args[0])
                        continue
            if e.type == "assignment_expression":
                return None
            return e

    def _cond_fact(self, expr: tree_sitter.Node,
                   temp: str) -> tuple[str, frozenset[str], frozenset[str]] | None:
        """(variable, values it may have when the condition is true, values it may have when
        it is false), or None when unknown. `ret == -EBUSY` being false says nothing."""
        e = _strip(expr)
        if e.type == "unary_expression":
            uop = e.child_by_field_name("operator")
            arg = e.child_by_field_name("argument")
            if uop is not None and self.p.text_of(uop) == "!" and arg is not None:
                inner = self._cond_fact(arg, temp)
                if inner is None:
                    return None
                return inner[0], inner[2], inner[1]
            return None
        if e.type == "binary_expression":
            op_n = e.child_by_field_name("operator")
            left = e.child_by_field_name("left")
            right = e.child_by_field_name("right")
            if op_n is None or left is None or right is None:
                return None
            op = self.p.text_of(op_n)
            if op not in _CMP_OPS:
                return None
            rv = self._value_of(right)
            lv_var = self._var_of(left, temp)
            if lv_var is None:
                return None
            if rv == frozenset({Z}):
                table = {"==": {Z}, "!=": {N, P}, "<": {N}, "<=": {N, Z}, ">": {P}, ">=": {Z, P}}
                t = frozenset(table[op])
                return lv_var, t, ALL - t
            if rv == frozenset({N}) and op == "==":
                return lv_var, frozenset({N}), ALL
            rs = _strip(right)
            if op == "==" and rs.type == "identifier" and \
                    re.fullmatch(r"[A-Z][A-Z0-9_]*[A-Z0-9]", self.p.text_of(rs)) and \
                    self.p.text_of(rs) != "NULL":
                return lv_var, frozenset({N, P}), ALL  # a named (error) constant is not zero
            if rv == frozenset({N}) and op == "!=":
                return None
            return None
        if e.type == "call_expression":
            name = call_name(self.p, e)
            _, args = self._call_info(e)
            if name in ("likely", "unlikely", "WARN_ON", "WARN_ON_ONCE") and args:
                return self._cond_fact(args[0], temp)
            if name in ("WARN", "WARN_ONCE") and args:
                return self._cond_fact(args[0], temp)
            if name == "IS_ERR" and args:
                v = self._var_of(args[0], temp)
                return (v, frozenset({N}), frozenset({Z, P})) if v else None
            if name == "IS_ERR_OR_NULL" and args:
                v = self._var_of(args[0], temp)
                return (v, frozenset({N, Z}), frozenset({P})) if v else None
        v = self._var_of(e, temp)
        if v is None:
            return None
        return v, frozenset({N, P}), frozenset({Z})

    def _named_test(self, expr: tree_sitter.Node) -> tuple[str, str, bool] | None:
        """`x == SOME_CONST` / `x != SOME_CONST` (under ! and likely()) on a value tested
        more than once: (x, SOME_CONST, the truth that means equal)."""
        if expr.id not in self._named_cache:
            self._named_cache[expr.id] = self._named_test_now(expr)
        return self._named_cache[expr.id]

    def _named_test_now(self, expr: tree_sitter.Node) -> tuple[str, str, bool] | None:
        e = _strip(expr)
        equal_when = True
        while True:
            if e.type == "unary_expression":
                op = e.child_by_field_name("operator")
                arg = e.child_by_field_name("argument")
                if op is None or arg is None or self.p.text_of(op) != "!":
                    return None
                equal_when = not equal_when
                e = _strip(arg)
                continue
            if e.type == "call_expression" and call_name(self.p, e) in ("likely", "unlikely"):
                _, args = self._call_info(e)
                if not args:
                    return None
                e = _strip(args[0])
                continue
            break
        if e.type != "binary_expression":
            return None
        op_n, left, right = (e.child_by_field_name(f) for f in ("operator", "left", "right"))
        if op_n is None or left is None or right is None:
            return None
        cmp = self.p.text_of(op_n)
        if cmp not in ("==", "!="):
            return None
        rs = _strip(right)
        const = self.p.text_of(rs)
        if rs.type != "identifier":
            return None
        # Two-valued enumerators (dir == X_IN .. dir == X_OUT); or one constant the function
        # tests more than once (id == snd_soc_dapm_scheduler .. id != snd_soc_dapm_scheduler):
        # other facts would only split states.
        if not (_NAMED_CONST_RE.fullmatch(const) and self._opposite(const) is not None) and \
                not ((_NAMED_CONST_RE.fullmatch(const) or "_" in const) and
                     const not in self.locals and const not in self.params and
                     self._cond_counts.get(const, 0) >= 2):
            return None
        var = self._var_of(left, "")
        if not var or var not in self.fact_vars:
            return None
        return var, const, equal_when if cmp == "==" else not equal_when

    def _restrict_named(self, state: State, var: str, const: str, equal: bool) -> State | None:
        """Two-valued enumerator facts ("#x": {"=C"}): tests of one value against a pair
        (dir == X_IN ... dir == X_OUT) are correlated; not X_IN means X_OUT."""
        key = "#" + var
        cur = next((v for k, v in state.facts if k == key), frozenset())
        is_ = next((c[1:] for c in cur if c.startswith("=")), None)
        other = self._opposite(const)
        if other is None:  # one constant: equal to it, or known not to be
            if equal:
                if is_ is not None:
                    return state if is_ == const else None
                if "!" + const in cur:
                    return None
                new = frozenset({"=" + const})
            else:
                if is_ == const:
                    return None
                if is_ is not None:
                    return state
                new = cur | {"!" + const}
            if new == cur:
                return state
            return replace(state, facts=frozenset((k, v) for k, v in state.facts if k != key)
                           | {(key, new)})
        if is_ is not None and is_ not in (const, other):
            return state  # a value outside the pair: the enumerator is not two-valued
        if equal:
            if is_ == other:
                return None
            new = frozenset({"=" + const})
        else:
            if is_ == const:
                return None
            new = frozenset({"=" + other}) if other else cur
        if new == cur:
            return state
        facts = frozenset((k, v) for k, v in state.facts if k != key) | {(key, new)}
        return replace(state, facts=facts)

    def _opposite(self, const: str) -> str | None:
        """FOO_IN_STREAM -> FOO_OUT_STREAM: exactly one word swapped for its pair."""
        words = const.split("_")
        hits = [i for i, w in enumerate(words) if w in self.k.opposite_words]
        if len(hits) != 1:
            return None
        words[hits[0]] = self.k.opposite_words[words[hits[0]]]
        return "_".join(words)

    def _var_of(self, node: tree_sitter.Node, temp: str) -> str | None:
        e = _strip(node)
        if e.type == "assignment_expression":
            lhs = e.child_by_field_name("left")
            return norm(self.p.text_of(lhs)) if lhs is not None else None
        if e.type in ("identifier", "field_expression", "pointer_expression", "subscript_expression"):
            txt = norm(self.p.text_of(e))
            if txt in ("true", "false", "NULL"):
                return None
            return txt
        if e.type == "call_expression":
            return temp
        return None

    # ---- the walk ----
    def run(self, entry_locks: dict[str, str] | None = None) -> FunctionFacts:
        self.unheld_unlocks: dict[str, str] = {}
        facts = self.facts
        try:
            cfg = build_cfg(self.p, self.fn.body, self.k.noreturn)
        except (OverflowError, RecursionError):
            facts.truncated = True
            facts.note = f"{self.fn.name}: function too large for the CFG; skipped"
            return facts
        facts.cfg = cfg
        facts.walked = True
        entry = dict(entry_locks or {})
        asserted: set[str] = set()
        for a in self.fn.annotations:
            if a.name == "__must_hold":
                entry[norm(a.arg)] = "annotation"
                asserted.add(norm(a.arg))
        for _node, name, how in self._lockdep_asserts():
            entry[name] = how
            asserted.add(name)
        facts.entry_locks = frozenset(entry)
        start = State(frozenset(),
                      frozenset(HeldLock(n, c, -1, entry=True, asserted=n in asserted)
                                for n, c in entry.items()),
                      frozenset())
        self._walk(cfg, start)
        return facts

    def _lockdep_asserts(self) -> list[tuple[int, str, str]]:
        """Unconditional assertions only: statements directly in the function body."""
        out = []
        stack = [c for c in self.fn.body.named_children if c.type == "expression_statement"]
        while stack:
            n = stack.pop()
            stack.extend(n.named_children)
            if n.type == "call_expression":
                name, args = self._call_info(n)
                if name in ("lockdep_assert_held", "lockdep_assert_held_once",
                            "lockdep_assert_held_write", "lockdep_assert_held_read") and args:
                    out.append((n.start_byte, norm(self.p.text_of(args[0])), "asserted"))
                elif name.endswith("_assert_locked") or name.endswith("assert_held"):
                    if args:
                        out.append((n.start_byte, norm(self.p.text_of(args[0])), "asserted"))
        return out

    def _walk(self, cfg: CFG, start: State) -> None:
        facts = self.facts
        lim = self.limits
        deadline = time.monotonic() + lim.seconds
        seen: dict[int, set[State]] = {}
        parents = facts.parents
        parents[(cfg.entry, start)] = None
        work: list[tuple[int, State]] = [(cfg.entry, start)]
        visits = 0
        must = facts.must_locks
        may = facts.may_locks
        nodes = cfg.nodes
        while work:
            nid, st = work.pop()
            visits += 1
            if visits > lim.max_visits or (visits & 15 == 0 and time.monotonic() > deadline):
                facts.truncated = True
                facts.note = (f"{self.fn.name}: path bound reached after {visits} steps; "
                              "no findings reported for this function")
                return
            names = frozenset(lk.name for lk in st.locks if lk.cond_var is None)
            prev_must = must.get(nid)
            must[nid] = names if prev_must is None else prev_must & names
            may[nid] = may.get(nid, frozenset()) | names
            node = nodes[nid]
            self._cur_in_loop = bool(node.data.get("in_loop"))
            self._cur_node = nid
            succ_states = self._step(node, st)
            for nxt, nst in succ_states:
                bucket = seen.setdefault(nxt, set())
                if nst in bucket:
                    continue
                if len(bucket) >= lim.max_states_per_node:
                    # Too many distinct states here: walk no more of them. Every exit still
                    # reached is reached by a real path, so its findings stand; some paths
                    # (and their findings) are simply not seen.
                    if not facts.partial:
                        facts.partial = True
                        facts.note = (f"{self.fn.name}: too many distinct states at one point; "
                                      "some paths were not walked")
                    continue
                bucket.add(nst)
                parents[(nxt, nst)] = (nid, st)
                work.append((nxt, nst))

    def _step(self, node: object, st: State) -> list[tuple[int, State]]:
        from .cfg import CNode

        assert isinstance(node, CNode)
        kind = node.kind
        nid = node.id
        if kind == "loop_head" and node.data.get("iterator") in self.k.iterators \
                and len(node.succ) == 2 and node.ast is not None:
            # a reference-holding iterator ends with its loop variable NULL
            it = self.k.iterators[str(node.data["iterator"])]
            _, args = self._macro(node)
            if it.var < len(args):
                var = norm(self.p.text_of(args[it.var]))
                return [(node.succ[0], st), (node.succ[1], self._set_fact(st, var, frozenset({Z})))]
        if kind in ("entry", "label", "goto", "loop_head"):
            return [(s, st) for s in node.succ]
        if kind == "exit":
            self.facts.exits.append(ExitRecord(nid, st, False, True, frozenset()))
            return []
        if kind == "noreturn":
            return []
        if kind == "stmt":
            if node.ast is None or node.data.get("opaque"):
                return [(node.succ[0], st)]
            b = self._bindings(node.ast, None)
            return [(node.succ[0], self._effects(st, nid, node.ast, b))]
        if kind == "return":
            return self._return(node, st)
        if kind == "cond":
            assert node.ast is not None
            temp = f"$c{nid}"
            b = self._bindings(node.ast, temp)
            st2 = self._effects(st, nid, node.ast, b)
            const = self._const_truth(node.ast)
            if const is None:
                const = self._loop_entry_truth(node.ast, st2)
            if const is None:
                const = self._fresh_pointer_truth(node.ast, st2)
            fact = self._cond_fact(node.ast, temp)
            named = self._named_test(node.ast)
            out = []
            for branch, succ in ((True, node.succ[0]), (False, node.succ[1])):
                if const is not None and const != branch:
                    continue
                s = st2
                if named is not None:
                    s3 = self._restrict_named(s, named[0], named[1], named[2] == branch)
                    if s3 is None:
                        continue
                    s = s3
                if fact is not None:
                    var, tv, fv = fact
                    allowed = tv if branch else fv
                    s2 = self._restrict(s, var, allowed)
                    if s2 is None:
                        continue
                    s = s2
                out.append((succ, self._drop_temps(s)))
            return out
        if kind == "switch":
            assert node.ast is not None
            temp = f"$c{nid}"
            st2 = self._drop_temps(self._effects(st, nid, node.ast, self._bindings(node.ast, temp)))
            svar = self._var_of(node.ast, temp)
            cases = node.data.get("cases", [])
            out = []
            assert isinstance(cases, list)
            for i, succ in enumerate(node.succ):
                cs: State | None = st2
                if svar is not None and i < len(cases) and cases[i] is not None:
                    val = self._case_value(str(cases[i]))
                    if val is not None and cs is not None:
                        cs = self._restrict(cs, svar, val)
                if cs is not None:
                    out.append((succ, cs))
            return out
        if kind == "iter_enter":
            return [(node.succ[0], self._iter_enter(node, st))]
        if kind == "iter_next":
            return [(node.succ[0], self._iter_next(node, st))]
        if kind == "guard_enter":
            return [(node.succ[0], self._guard_enter(node, st))]
        if kind == "scope_end":
            return [(node.succ[0], self._scope_end(node, st))]
        return [(s, st) for s in node.succ]

    def _drop_temps(self, st: State) -> State:
        if not any(k.startswith("$") for k, _ in st.facts) and \
                not any((r.cond_var or "").startswith("$") for r in st.res) and \
                not any((lk.cond_var or "").startswith("$") for lk in st.locks):
            return st
        res = frozenset(replace(r, cond_var=None) if (r.cond_var or "").startswith("$") else r
                        for r in st.res)
        locks = frozenset(replace(lk, cond_var=None) if (lk.cond_var or "").startswith("$") else lk
                          for lk in st.locks)
        f = frozenset((k, v) for k, v in st.facts if not k.startswith("$"))
        return State(res, locks, f, st.released)

    def _loop_entry_truth(self, expr: tree_sitter.Node, st: State) -> bool | None:
        """`i < N` with i known zero and N a positive constant, ARRAY_SIZE() or sizeof: true."""
        e = _strip(expr)
        if e.type != "binary_expression":
            return None
        op = e.child_by_field_name("operator")
        left = e.child_by_field_name("left")
        right = e.child_by_field_name("right")
        if op is None or left is None or right is None or self.p.text_of(op) not in ("<", "!="):
            return None
        if left.type != "identifier" or st.fact(self.p.text_of(left)) != frozenset({Z}):
            return None
        r = _strip(right)
        if r.type == "number_literal":
            try:
                return int(self.p.text_of(r).rstrip("uUlL"), 0) > 0 or None
            except ValueError:
                return None
        if r.type == "sizeof_expression":
            return True
        if r.type == "call_expression" and call_name(self.p, r) == "ARRAY_SIZE":
            return True
        return None

    def _case_value(self, text: str) -> frozenset[str] | None:
        t = text.strip()
        if re.fullmatch(r"0[xX]?0*|0", t):
            return frozenset({Z})
        if t.startswith("-"):
            return frozenset({N})
        if re.fullmatch(r"\d+|0[xX][0-9a-fA-F]+", t):
            return frozenset({P})
        return None

    def _fresh_pointer_truth(self, expr: tree_sitter.Node, st: State) -> bool | None:
        """`res != other` / `res == other`: memory this function just allocated (held, plain
        local, known allocator) is not any pointer that existed before it."""
        e = _strip(expr)
        if e.type != "binary_expression":
            return None
        op = e.child_by_field_name("operator")
        left, right = e.child_by_field_name("left"), e.child_by_field_name("right")
        if op is None or left is None or right is None or self.p.text_of(op) not in ("==", "!="):
            return None
        a, b = norm(self.p.text_of(_strip(left))), norm(self.p.text_of(_strip(right)))
        for mine, other in ((a, b), (b, a)):
            if not re.fullmatch(r"[A-Za-z_]\w*", other) or other == "NULL":
                continue
            for r in st.res:
                if mine in r.names and other not in r.names and r.kind == "memory" and \
                        not r.weak and self._is_plain_local(mine) and \
                        st.fact(mine) <= frozenset({N, P}):
                    return self.p.text_of(op) == "!="
        return None

    def _const_truth(self, expr: tree_sitter.Node) -> bool | None:
        e = _strip(expr)
        if e.type == "number_literal":
            try:
                return int(self.p.text_of(e).rstrip("uUlL"), 0) != 0
            except ValueError:
                return None
        if e.type == "true":
            return True
        if e.type == "false":
            return False
        return None

    def _return(self, node: object, st: State) -> list[tuple[int, State]]:
        from .cfg import CNode

        assert isinstance(node, CNode)
        ast = node.ast
        expr = ast.named_children[0] if ast is not None and ast.named_children and \
            ast.type == "return_statement" else None
        if expr is not None and expr.type == "comment":
            expr = None
        if expr is not None:
            st = self._effects(st, node.id, expr, self._bindings(expr, None))
        # An error return on a path where the hand-off's own result is known not to be 0
        # (`ret = platform_device_add(pdev); if (ret) goto fail;`): the function itself took
        # the call as failed, so nothing was handed off. Otherwise assume it was.
        # Only for the knowledge's own transfers (taken on success only); a guessed hand-off
        # (virtsnd_ctl_msg_send(msg)) may consume the object even when it fails.
        if any(r.pending is not None for r in st.res) and self._is_error_return(expr, st):
            table = {n for n, name, _a in self.facts.calls if name in self.k.transfers}
            for var in sorted({r.pending for r in st.res
                               if r.pending is not None and Z not in st.fact(r.pending)
                               and r.pending_site in table}):
                st = self._settle(st, var, False)
        st = self._settle(st, None, True)
        returned: set[str] = set()
        if expr is not None:
            txt = norm(self.p.text_of(expr))
            for r in st.res:
                for n in r.names:
                    if re.search(r"(?<![\w>.])" + re.escape(n) + r"(?![\w])", txt):
                        returned.add(n)
        returned_res: frozenset[Res] = frozenset()
        if returned:
            returned_res = frozenset(r for r in st.res if r.names & returned)
            st = self._drop_names(st, returned, hard=True)
        # What was written through an out-parameter goes back to the caller too.
        out_res = frozenset((p, r) for r in st.res for n in r.names
                            if (p := self._out_param(n)) is not None)
        if out_res:
            st = self._drop_names(st, {n for _p, r in out_res for n in r.names
                                       if self._out_param(n)}, hard=True)
        error = self._is_error_return(expr, st) or (
            expr is None and self.fn.returns_void and ast is not None and
            self._void_failure(ast, st)) or (
            expr is not None and _strip(expr).type == "identifier" and ast is not None and
            self._failed_alloc_branch(ast))
        if error and st.released:
            self.facts.error_exemplars.update(st.released)
        self.facts.exits.append(ExitRecord(node.id, st, error, expr is None, frozenset(returned),
                                           returned_res, out_res))
        return []

    def _is_error_return(self, expr: tree_sitter.Node | None, st: State) -> bool:
        if expr is None:
            return False
        e = _strip(expr)
        if e.type == "unary_expression":
            op = e.child_by_field_name("operator")
            return op is not None and self.p.text_of(op) == "-"
        if e.type == "call_expression":
            passed = self._passed_error(e)
            if passed is not None:
                return self._is_error_return(passed, st)
            return call_name(self.p, e) in ("ERR_PTR", "ERR_CAST", "PTR_ERR")
        if e.type in ("null",) or (e.type == "identifier" and self.p.text_of(e) == "NULL"):
            return self.fn.returns_pointer
        if e.type == "number_literal":
            return False
        if e.type == "conditional_expression":
            # return err < 0 ? err : 0; -- the branch the facts of err choose
            cond = e.child_by_field_name("condition")
            m = _SIGN_TEST_RE.fullmatch(norm(self.p.text_of(_strip(cond)))) if cond else None
            if m is None:
                return False
            f = st.fact(m.group(1))
            if f <= frozenset({N}):
                return self._is_error_return(e.child_by_field_name("consequence"), st)
            if N not in f:
                return self._is_error_return(e.child_by_field_name("alternative"), st)
            return False
        if e.type in ("identifier", "field_expression"):
            v = norm(self.p.text_of(e))
            f = st.fact(v)
            if self.fn.returns_pointer:
                return f <= frozenset({N, Z}) or (f == ALL and self._tested_failed(expr, v))
            if f <= frozenset({N}):
                return True
            if f == ALL and self._tested_failed(expr, v):
                return True  # if (value < 0) return value; (a fact not kept for one test)
            return f == frozenset({N, P}) and _ERRISH.match(v.split("->")[-1]) is not None
        return False

    def _failed_alloc_branch(self, ret: tree_sitter.Node) -> bool:
        """`return err;` in the branch of `if (!x)` right after x = kzalloc(..) (or another
        allocation): a failure, whatever err still holds (0 from the last success)."""
        cond = _branch_condition(ret)
        if cond is None:
            return False
        c = norm(self.p.text_of(cond))
        m = re.fullmatch(r"\(?\s*(?:!\s*([\w>.-]+)|([\w>.-]+)\s*==\s*NULL)\s*\)?", c)
        if m is None:
            return False
        x = m.group(1) or m.group(2)
        for lhs, rhs in self._assigns + self._field_assigns:
            if norm(lhs) == x and rhs.end_byte <= cond.start_byte:
                r = _strip(rhs)
                if r.type == "call_expression":
                    acq = self.k.acquires.get(call_name(self.p, r) or "")
                    if acq is not None and acq.kind == "memory" and acq.take == "ret":
                        return True
        return False

    def _void_failure(self, ret: tree_sitter.Node, st: State) -> bool:
        """`return;` of a void function in the branch taken when a call failed:
        `if (ret) { dev_err(..); return; }` with ret an error code known non-zero here, or
        `if (IS_ERR(x)) return;`."""
        cond = _branch_condition(ret)
        if cond is None:
            return False
        c = norm(self.p.text_of(cond))
        if "||" in c or "&&" in c:
            return False
        if re.fullmatch(r"\(?\s*IS_ERR(?:_OR_NULL)?\(.*\)\s*\)?", c):
            return True
        m = re.fullmatch(r"\(?\s*([A-Za-z_]\w*)\s*(?:<\s*0|!=\s*0)?\s*\)?", c)
        return m is not None and _ERRISH.match(m.group(1)) is not None and \
            self._is_plain_local(m.group(1)) and N in st.fact(m.group(1)) and \
            Z not in st.fact(m.group(1))

    def _tested_failed(self, expr: tree_sitter.Node, v: str) -> bool:
        """The return sits in the then-branch of `if (v < 0)` / `if (IS_ERR(v))`."""
        ret = expr.parent
        while ret is not None and ret.type == "parenthesized_expression":
            ret = ret.parent
        cond = _branch_condition(ret) if ret is not None and ret.type == "return_statement" \
            else None
        if cond is None:
            return False
        c = norm(self.p.text_of(cond))
        ve = re.escape(v)
        return re.search(r"(?<![\w>.])" + ve + r"\s*<\s*0(?!\w)|\bIS_ERR(?:_OR_NULL)?\(\s*"
                         + ve + r"\s*\)", c) is not None and "||" not in c

    def _macro(self, node: object) -> tuple[str, list[tree_sitter.Node]]:
        from .cfg import CNode

        assert isinstance(node, CNode)
        name = node.data.get("macro")
        args = node.data.get("args")
        if isinstance(name, str) and isinstance(args, list):
            return name, args
        assert node.ast is not None
        return self._call_info(node.ast)

    def _iter_enter(self, node: object, st: State) -> State:
        from .cfg import CNode

        assert isinstance(node, CNode)
        assert node.ast is not None
        name, args = self._macro(node)
        # The loop cursors get a new value on every iteration. For reference-holding
        # iterators the knowledge file says which argument it is; for other loop macros
        # (cursor first or last) every plain identifier that does not name a held resource.
        known = self.k.iterators.get(name)
        cursors = [args[known.var]] if known is not None and known.var < len(args) else \
            [a for a in args if a.type == "identifier" and
             not any(self.p.text_of(a) in r.names for r in st.res)]
        for a in cursors:
            if a.type == "identifier":
                v = self.p.text_of(a)
                st = self._set_fact(self._reassigned(st, node.id, v), v, None)
        it = self.k.iterators.get(name)
        if it is None or it.var >= len(args):
            return st
        var = norm(self.p.text_of(args[it.var]))
        st = self._set_fact(self._reassigned(st, node.id, var), var, frozenset({P}))
        rels = tuple(Release(r, 0) for r in it.releases)
        r = Res(-node.id, frozenset({var}), name, "ref", node.id, None, ALL, rels,
                iter_ref=True, what="loop node reference")
        return replace(st, res=frozenset(x for x in st.res if var not in x.names) | {r})

    def _iter_next(self, node: object, st: State) -> State:
        from .cfg import CNode

        assert isinstance(node, CNode)
        name, _args = self._macro(node)
        head_ids = {r for r in st.res if r.iter_ref and r.fn == name}
        return replace(st, res=st.res - head_ids) if head_ids else st

    def _guard_enter(self, node: object, st: State) -> State:
        from .cfg import CNode

        assert isinstance(node, CNode)
        assert node.ast is not None
        name, args = self._macro(node)
        if not args:
            return st
        cls_name = self.p.text_of(args[0]).strip()
        cls = self.k.guards.get(cls_name)
        if cls is None:
            return st
        lock_arg = args[2] if name == "scoped_cond_guard" and len(args) > 2 else \
            (args[1] if len(args) > 1 else None)
        lop = self.k.lock_classes.get(cls)
        lname = cls if lock_arg is None or (lop is not None and lop.no_argument) else \
            norm(self.p.text_of(lock_arg))
        self.facts.lock_classes[lname] = cls
        return replace(st, locks=st.locks | {HeldLock(lname, cls, node.id, scoped=True,
                                                        site_byte=node.ast.start_byte)})

    def _scope_end(self, node: object, st: State) -> State:
        from .cfg import CNode

        assert isinstance(node, CNode)
        call = node.data.get("guard_call")
        if call is not None:
            assert isinstance(call, tree_sitter.Node)
            drop = {lk for lk in st.locks if lk.scoped and lk.site_byte == call.start_byte}
        else:
            assert node.ast is not None
            lo, hi = node.ast.start_byte, node.ast.end_byte
            drop = {lk for lk in st.locks if lk.scoped and lo <= lk.site_byte < hi}
        return replace(st, locks=st.locks - drop) if drop else st


def analyse_function(parsed: ParsedFile, fn: Function, k: Knowledge,
                     summaries: dict[str, Summary], limits: type[Limits] = Limits,
                     force: bool = False,
                     managed_releases: frozenset[str] = frozenset()) -> FunctionFacts:
    w = Walker(parsed, fn, k, summaries, limits, managed_releases)
    w._own_summary = summaries.get(fn.name)
    if not force and not w.interesting():
        return FunctionFacts(fn, None, callees=frozenset(w.callees))
    facts = w.run()
    unheld = dict(w.unheld_unlocks)
    if unheld and not facts.truncated:
        # The function is entered with these locks held (it drops and maybe re-takes them).
        w2 = Walker(parsed, fn, k, summaries, limits, managed_releases)
        w2._own_summary = w._own_summary
        facts = w2.run(entry_locks=unheld)
    facts.callees = frozenset(w.callees)
    facts.local_names = frozenset(w.locals)
    return facts


def _param_acquisitions(facts: FunctionFacts, params: list[str],
                        k: Knowledge) -> list[tuple[int, str, Res]]:
    """Known-API resources rooted in a parameter (priv->supplies) held on every
    `return 0;` exit of a helper (foo_setup_regulators(dev, priv))."""
    cfg = facts.cfg
    if cfg is None or facts.partial:
        return []
    common: dict[tuple[int, str], Res] | None = None
    for ex in facts.exits:
        ast = cfg.nodes[ex.node].ast
        if ast is None or ast.type != "return_statement":
            continue
        kids = [c for c in ast.named_children if c.type != "comment"]
        if len(kids) != 1 or kids[0].type != "number_literal" or \
                kids[0].text is None or kids[0].text.strip() != b"0":
            continue
        here: dict[tuple[int, str], Res] = {}
        for p, r in ex.out_res:
            # a fresh allocation written through an out-parameter (*rkctl = kzalloc(..))
            if r.releases and k.acquires.get(r.fn) is not None and p in params:
                here[(params.index(p), "*")] = r
        for r in ex.state.res:
            if r.escaped and r.weak and not (r.stem or r.iter_ref or r.pending is not None) \
                    and r.releases and k.acquires.get(r.fn) is not None:
                # Made here and stored into the caller's object (codec->spec = spec): the
                # caller holds it there, handed off as far as this helper could tell.
                into = _stored_into_param(r, facts.function)
                if into is not None:
                    here[into] = r
                continue
            # (Held through the parameter's fields, so weak in the helper: the caller decides.)
            if r.escaped or r.stem or r.iter_ref or r.kind == "unknown" or \
                    r.pending is not None or not r.releases:
                continue
            for n in sorted(r.names):
                b = base_name(n)
                if b in params and "->" in n and re.fullmatch(re.escape(b) + r"(?:->\w+)+", n):
                    here[(params.index(b), n[len(b):])] = r
                    break
                acq = k.acquires.get(r.fn)
                if n in params and acq is not None and acq.take == "out":
                    here[(params.index(n), "*")] = r  # request_firmware(fw, ..) with fw a **
                    break
        common = here if common is None else {k: v for k, v in common.items() if k in here}
        if not common:
            return []
    return sorted(((i, sfx, r) for (i, sfx), r in (common or {}).items()),
                  key=lambda t: (t[0], t[1]))


_ALIAS_DEFINE_RE = re.compile(rb"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^()]*)\)[ \t]+"
                              rb"\(?[ \t]*([A-Za-z_]\w*)[ \t]*\((.*)\)[ \t]*\)?[ \t]*$",
                              re.MULTILINE)


_DEFINE_LINE_RE = re.compile(rb"#[ \t]*define[ \t]+[A-Za-z_]\w*\([^\n]*")  # (unanchored: fast)


def _macro_aliases(parsed: ParsedFile) -> dict[str, str]:
    """Function-like macros of this file whose whole body is one call: name -> callee.
    (Matched on the #define lines alone: scanning the whole file costs every keystroke.)"""
    out: dict[str, str] = {}
    for m in _ALIAS_DEFINE_RE.finditer(b"\n".join(_DEFINE_LINE_RE.findall(parsed.src))):
        body = m.group(4)
        depth = 0
        for ch in body:  # the call's own parentheses must close only at the end
            depth += {40: 1, 41: -1}.get(ch, 0)
            if depth < 0:
                break
        else:
            if depth == 0 and not body.rstrip().endswith(b"\\"):
                out[m.group(1).decode()] = m.group(3).decode()
    return out


def _stored_into_param(r: Res, fn: Function) -> tuple[int, str] | None:
    """(param index, "->member") when r was stored straight into a parameter's member
    (codec->spec = spec). Not a list head: `sf->next = list->fonts; list->fonts = sf;`
    links it into the caller's list, which owns it from then on."""
    params = fn.params
    body = (fn.body.text or b"").decode(errors="replace")
    for n in sorted(r.names):
        m = re.fullmatch(r"([A-Za-z_]\w*)->(\w+)", n)
        if m and m.group(1) in params:
            own = "|".join(re.escape(x) for x in r.names if re.fullmatch(r"[A-Za-z_]\w*", x))
            if own and re.search(rf"\b(?:{own})\s*->\s*\w+\s*=\s*{m.group(1)}\s*->\s*"
                                 rf"{m.group(2)}\b", body):
                return None
            return params.index(m.group(1)), "->" + m.group(2)
    return None


def _params_kept(parsed: ParsedFile, fn: Function) -> frozenset[int]:
    """The parameters fn may keep: stores (x->p = p, x = &p->node), returns, or passes on to
    any call. A parameter outside the set is only read or written through
    (q6asm_add_hdr(ac, &pkt->hdr, ..) filling in a header)."""
    params = fn.params
    kept: set[int] = set()
    for n in descendants(fn.body, "assignment_expression", "init_declarator",
                         "return_statement", "call_expression"):
        if n.type == "assignment_expression":
            values = [n.child_by_field_name("right")]
        elif n.type == "init_declarator":
            values = [n.child_by_field_name("value")]
        elif n.type == "return_statement":
            values = list(n.named_children)
        else:
            a = n.child_by_field_name("arguments")
            values = list(a.named_children) if a is not None else []
        for v in values:
            if v is None:
                continue
            raw = parsed.text_of(v).strip()
            text = norm(raw)
            b = base_name(text)
            # p itself, or the address of something inside it; not a value read out of it
            if b in params and (text == b or raw.startswith("&")):
                kept.add(params.index(b))
    return frozenset(kept)


def _params_stored(parsed: ParsedFile, fn: Function) -> frozenset[int]:
    """The parameters fn stores, as they are, into a field of another object
    (rmidi->private_data = p)."""
    params = fn.params
    out: set[int] = set()
    for n in descendants(fn.body, "assignment_expression"):
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if left is None or right is None or left.type not in ("field_expression",
                                                                 "subscript_expression"):
            continue
        value = norm(parsed.text_of(right).strip())
        if value in params and base_name(norm(parsed.text_of(left))) != value:
            out.add(params.index(value))
    return frozenset(out)


def stored_params(parsed: ParsedFile, name: str) -> frozenset[int]:
    """_params_stored() of this file's function `name` (empty when the file does not
    define it), worked out on first use."""
    return _per_function(parsed, "stored_params", name, _params_stored) or frozenset()


_OPEN_FIELD_RE = re.compile(r"\.\s*open\s*=\s*&?\s*([A-Za-z_]\w*)")


def open_callbacks(parsed: ParsedFile) -> frozenset[str]:
    """Functions this file installs as an `.open` callback."""
    return parsed.derived("open_callbacks", lambda p: frozenset(
        _OPEN_FIELD_RE.findall(p.src.decode(errors="replace"))))


def _per_function(parsed: ParsedFile, key: str, name: str,
                  compute: Callable[[ParsedFile, Function], frozenset[int]]) -> frozenset[int] | None:
    """compute(parsed, fn) for this file's function `name` (None when the file does not
    define it), worked out on first use and remembered until the next edit."""
    memo: dict[str, frozenset[int] | None] = parsed.derived(key, lambda _p: {})
    if name not in memo:
        fns: dict[str, Function] = parsed.derived(
            "functions_by_name", lambda p: {f.name: f for f in p.functions})
        fn = fns.get(name)
        memo[name] = compute(parsed, fn) if fn is not None else None
    return memo[name]


def kept_params(parsed: ParsedFile, name: str) -> frozenset[int] | None:
    """_params_kept() of this file's function `name` (None when the file does not define
    it), worked out on first use and remembered until the next edit."""
    return _per_function(parsed, "kept_params", name, _params_kept)


_RETURN_PTR_RE = re.compile(r"\breturn_ptr\s*\(\s*([A-Za-z_]\w*)\s*\)|"
                            r"\breturn\s+no_free_ptr\s*\(\s*([A-Za-z_]\w*)\s*\)")


def _scoped_alloc_returned(fn: Function, k: Knowledge) -> Res | None:
    """`struct w *w __free(kfree) = kmemdup(..); ... return_ptr(w);`: the scope-freed
    allocation is handed to the caller, who now owns it (the walk never tracks __free
    variables, so this is read from the text)."""
    body = fn.body
    text = (body.text or b"").decode(errors="replace")
    returned = {a or b for a, b in _RETURN_PTR_RE.findall(text)}
    if not returned:
        return None
    for n in descendants(body, "init_declarator"):
        value = n.child_by_field_name("value")
        decl = n.child_by_field_name("declarator")
        if value is None or decl is None or value.type != "call_expression":
            continue
        name = re.sub(r"[\s*]", "", (decl.text or b"").decode(errors="replace"))
        callee = value.child_by_field_name("function")
        acq = k.acquires.get((callee.text or b"").decode()) if callee is not None else None
        if name in returned and acq is not None and acq.take == "ret" and \
                acq.kind in ("memory", "resource", "ref"):
            return Res(-1, frozenset({name}), acq.fn, acq.kind, -1, None, frozenset({P}),
                       acq.releases, what=acq.what)
    return None


def summarise(facts: FunctionFacts, k: Knowledge) -> Summary | None:
    """Summary of a helper of this file for its callers: which params it releases / unlocks /
    locks, and whether it returns a fresh allocation."""
    fn = facts.function
    if facts.truncated or not facts.walked:
        return None
    params = fn.params
    s = Summary()
    released: set[tuple[int, str]] = set()
    local_names = facts.local_names
    for _node, name, args in facts.calls:
        rels = k.releases_of(name)
        for rel, _acq in rels:
            if rel.arg < len(args):
                a = args[rel.arg]
                b = base_name(a)
                if b in params and re.fullmatch(re.escape(b) + r"(?:(?:->|\.)\w+)*", a):
                    released.add((params.index(b), a[len(b):] + (f"->{rel.member}" if rel.member else "")))
        if k.looks_like_release(name) and name not in k.locks:
            for a in args:
                if re.fullmatch(r"[A-Za-z_]\w*", a) and a not in params and a not in local_names:
                    s.global_releases.append(a)
    s.releases = sorted(released)
    exits = facts.exits
    if exits:
        common: frozenset[tuple[str, str]] | None = None
        for ex in exits:
            names = frozenset((lk.name, lk.cls) for lk in ex.state.locks
                              if not lk.entry and not lk.scoped and lk.cond_var is None)
            common = names if common is None else common & names
        for lname, cls in sorted(common or ()):
            b = base_name(lname)
            if b in params:
                s.locks.append((params.index(b), lname[len(b):], cls))
    for lname in facts.entry_locks:
        if lname in facts.lock_releases:
            b = base_name(lname)
            if b in params and not any(any(lk.name == lname for lk in ex.state.locks)
                                       for ex in exits):
                s.unlocks.append((params.index(b), lname[len(b):],
                                  facts.lock_classes.get(lname, "lock")))
    if fn.returns_pointer:
        for ex in exits:
            for r in ex.returned_res:
                # An allocator that also stores the object in the caller's struct
                # (codec->spec = spec) hands ownership to that struct, not to its caller.
                if r.kind in ("memory", "resource", "ref") and not r.iter_ref and not r.weak:
                    s.returns_alloc = r
                    break
                # ... but the caller holds it there (spec = foo_new_spec(codec) with
                # codec->spec set inside): weak and handed off, for the caller's own
                # foo_free(codec) to show whether it unwinds it.
                if r.escaped and r.weak and r.kind in ("memory", "resource") and \
                        not (r.iter_ref or r.stem) and k.acquires.get(r.fn) is not None and \
                        (into := _stored_into_param(r, fn)) is not None:
                    s.returns_alloc = r
                    s.returns_alloc_into = into
            if s.returns_alloc is not None:
                break
        if s.returns_alloc is None:
            s.returns_alloc = _scoped_alloc_returned(fn, k)
    if not fn.returns_void and not fn.returns_pointer:
        s.acquires = _param_acquisitions(facts, params, k)
    s.global_releases = sorted(set(s.global_releases))
    s.callees = facts.callees
    # Release APIs it calls on what it was given; a put of its own lookup (ports =
    # of_get_parent(port); ... of_node_put(ports)) says nothing about the caller's objects.
    own = {node for rels in facts.releases.values() for node, _fn in rels}
    s.released_fns = frozenset(name for n, name, _a in facts.calls
                               if n not in own and (name in k.release_index or
                                                    (k.looks_like_release(name) and
                                                     name not in k.locks)))
    if not (s.releases or s.locks or s.unlocks or s.returns_alloc or s.global_releases or s.acquires
            or s.released_fns):
        return None
    return s


