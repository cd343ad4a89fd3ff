"""What every fix template shares: the context of one request, text surgery on statements,
what is held where (from the facts), the function's unwind ladder, and verification.

A template builds candidate edit lists; `FixContext.offer` verifies each one with
`verify.verify_text` and keeps only those that pass. Nothing here guesses silently: when the
code does not have the shape a template understands, the template offers nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import tree_sitter

from ..cfg import CFG, call_name
from ..engine import Engine
from ..facts import FunctionFacts, Res, State, norm
from ..model import Applicability, Finding, Fix, Span, TextEdit
from ..syntax import Function, ParsedFile, descendants
from .verify import EditError, apply_edits, verify_text

# Calls that may sit in an unwind ladder without changing what it releases.
HARMLESS_RE = re.compile(r"^(?:dev_|pr_|netdev_|snd_printk|snd_printd|printk|dev_err_probe|"
                         r"WARN|BUG_ON|trace_|dump_stack)")
# Releases that accept a failed (NULL) handle, so a rung may also be entered on the path
# where the allocation failed.
NULL_TOLERANT = frozenset("""kfree kvfree vfree kfree_sensitive kvfree_sensitive kfree_const
    of_node_put release_firmware fwnode_handle_put usb_free_urb bitmap_free kmem_cache_free
    put_device""".split())
ERR_VARS = ("err", "ret", "rc", "error", "retval", "status", "res", "result", "rv")

Item = tuple[str, object]  # ("r", acquisition CFG node) or ("l", lock name)


@dataclass
class Candidate:
    title: str
    edits: list[TextEdit]
    applicability: Applicability
    fix_id: str
    kind: str = "quickfix"
    extra_allowed: list[tuple[int, int]] = field(default_factory=list)  # other sites (old lines)


class FixContext:
    """One fix request: the document, its fresh facts, the finding's function."""

    def __init__(self, engine: Engine, parsed: ParsedFile, findings: list[Finding]) -> None:
        self.engine = engine
        self.parsed = parsed
        self.text = parsed.text
        self.lines = self.text.split("\n")
        self.findings = findings
        analysis = engine.analyze(parsed, keep_facts=True)
        self.facts_by_name = {f.function.name: f for f in analysis.facts}
        self.fresh = analysis.result.findings
        self.k = engine.knowledge
        self._indent_unit: str | None = None

    # ---- lookups ----
    def facts_of(self, name: str) -> FunctionFacts | None:
        f = self.facts_by_name.get(name)
        if f is None or f.cfg is None or f.truncated:
            return None
        return f

    def match_finding(self, f: Finding) -> Finding | None:
        """The freshly computed finding that is `f` (same rule, function, resource, line)."""
        same = [g for g in self.fresh if g.rule == f.rule and g.function == f.function
                and g.resource == f.resource]
        for g in same:
            if g.span.start_line == f.span.start_line:
                return g
        return same[0] if len(same) == 1 else None

    def line(self, n: int) -> str:
        return self.lines[n] if 0 <= n < len(self.lines) else ""

    def indent_of_line(self, n: int) -> str:
        s = self.line(n)
        return s[: len(s) - len(s.lstrip(" \t"))]

    def indent_unit(self) -> str:
        """One level of indentation as this file writes it (a tab, or N spaces)."""
        if self._indent_unit is None:
            tabs = spaces = 0
            widths: Counter[int] = Counter()
            for ln in self.lines:
                if ln.startswith("\t"):
                    tabs += 1
                elif ln.startswith(" ") and ln.strip() and not ln.lstrip().startswith("*"):
                    spaces += 1
                    widths[len(ln) - len(ln.lstrip(" "))] += 1
            if tabs >= spaces or not widths:
                self._indent_unit = "\t"
            else:
                small = min(w for w in widths if w > 0)
                self._indent_unit = " " * (small if small in (2, 3, 4, 8) else 8)
        return self._indent_unit

    def node_text(self, node: tree_sitter.Node) -> str:
        return self.parsed.original_text_of(node)

    def pos(self, byte: int) -> tuple[int, int]:
        return self.parsed.lines.position(byte)

    # ---- verification ----
    def offer(self, finding: Finding, fn: Function, cands: list[Candidate],
              rule: str | None = None) -> list[Fix]:
        out: list[Fix] = []
        seen: set[str] = set()
        fn_lo, fn_hi = fn.span.start_line, fn.span.end_line + 1
        for c in cands:
            try:
                new_text = apply_edits(self.text, c.edits)
            except EditError:
                continue
            if new_text in seen:
                continue
            seen.add(new_text)
            allowed = [_moved(lo, hi, c.edits) for lo, hi in [(fn_lo, fn_hi), *c.extra_allowed]]
            verdict = verify_text(self.engine, self.parsed.path, self.text, self.fresh, finding,
                                  new_text, allowed if not any(e.path for e in c.edits) else None)
            if not verdict.ok:
                continue
            out.append(Fix(c.title, tuple(c.edits), c.applicability, rule or finding.rule,
                           finding, c.kind, c.fix_id, tuple(c.extra_allowed)))
        return out

    # ---- spans ----
    def span(self, start_byte: int, end_byte: int) -> Span:
        return self.parsed.lines.span(start_byte, end_byte)

    def insert_at(self, line: int, col: int, text: str) -> TextEdit:
        b = self.parsed.lines.line_start(line) + len(self.line(line)[:col].encode("utf-8"))
        return TextEdit(Span(line, col, line, col, b, b), text)


def _moved(lo: int, hi: int, edits: list[TextEdit]) -> tuple[int, int]:
    """The old line range [lo, hi) in the edited text's coordinates."""
    def added(e: TextEdit) -> int:
        return e.new_text.count("\n") - (e.span.end_line - e.span.start_line)

    return (lo + sum(added(e) for e in edits if e.span.end_line < lo),
            hi + sum(added(e) for e in edits if e.span.start_line < hi))


# ---------------------------------------------------------------- statements
def enclosing_statement(node: tree_sitter.Node) -> tree_sitter.Node:
    n = node
    while n.parent is not None and not n.type.endswith("_statement") and n.type != "declaration":
        n = n.parent
    return n


def replace_statement(ctx: FixContext, stmt: tree_sitter.Node, new_stmts: list[str]) -> list[TextEdit] | None:
    """Edits that put `new_stmts` where `stmt` is, adding braces when stmt is the lone body of
    an if/else/loop. The statements are given without indentation."""
    parent = stmt.parent
    unit = ctx.indent_unit()
    if parent is None:
        return None
    braced_parent = parent.type in ("if_statement", "else_clause", "for_statement",
                                    "while_statement", "do_statement")
    if not braced_parent or len(new_stmts) == 1:
        if len(new_stmts) == 1:
            return [TextEdit(ctx.span(stmt.start_byte, stmt.end_byte), new_stmts[0])]
        sl, sc = ctx.pos(stmt.start_byte)
        if ctx.line(sl)[:sc].strip():
            # not at the start of its line (`case X: return y;`): keep it simple
            return None
        ind = ctx.line(sl)[:sc]
        text = ("\n" + ind).join(new_stmts)
        return [TextEdit(ctx.span(stmt.start_byte, stmt.end_byte), text)]
    # A lone statement body: replace from the end of the head to the end of the statement.
    if parent.type == "if_statement":
        cons = parent.child_by_field_name("consequence")
        if cons is None or cons.id != stmt.id:
            return None
        head = parent.child_by_field_name("condition")
        head_end = head.end_byte if head is not None else None
        head_line = ctx.pos(parent.start_byte)[0]
    elif parent.type == "else_clause":
        kw = parent.children[0] if parent.children else None
        head_end = kw.end_byte if kw is not None and kw.type == "else" else None
        head_line = ctx.pos(parent.start_byte)[0]
    elif parent.type in ("for_statement", "while_statement"):
        body = parent.child_by_field_name("body")
        if body is None or body.id != stmt.id:
            return None
        close = [c for c in parent.children if c.type == ")"]
        head_end = close[-1].end_byte if close else None
        head_line = ctx.pos(parent.start_byte)[0]
    else:
        return None
    if head_end is None:
        return None
    between = ctx.parsed.original[head_end:stmt.start_byte].decode("utf-8", "replace")
    if between.strip():
        return None  # a comment between head and body: do not guess
    ind = ctx.indent_of_line(head_line)
    inner = "".join(f"\n{ind}{unit}{s}" for s in new_stmts)
    return [TextEdit(ctx.span(head_end, stmt.end_byte), " {" + inner + f"\n{ind}}}")]


def insert_before_statement(ctx: FixContext, stmt: tree_sitter.Node, new_stmts: list[str]) -> list[TextEdit] | None:
    own = ctx.node_text(stmt)
    return replace_statement(ctx, stmt, [*new_stmts, own])


def insert_lines_before(ctx: FixContext, line: int, stmts: list[str], indent: str) -> TextEdit:
    return ctx.insert_at(line, 0, "".join(f"{indent}{s}\n" for s in stmts))


# ---------------------------------------------------------------- held items
def held_items(state: State) -> frozenset[Item]:
    out: set[Item] = {("r", r.site) for r in state.res}
    for lk in state.locks:
        if not lk.entry and not lk.scoped and lk.cond_var is None:
            out.add(("l", lk.name))
    return frozenset(out)


def item_of_finding(f: Finding) -> Item | None:
    if f.rule.startswith("KL2"):
        lock = f.data.get("lock")
        return ("l", str(lock)) if lock else None
    site = f.data.get("acquire_node")
    return ("r", site) if isinstance(site, int) else None


def finding_exit(facts: FunctionFacts, finding: Finding) -> tuple[Item, int, list[State]] | None:
    """The held item of a leak/lock finding, its exit node, and the states reaching that exit
    still holding it (None when any of them is missing)."""
    item = item_of_finding(finding)
    exit_node = finding.data.get("exit_node")
    if item is None or not isinstance(exit_node, int):
        return None
    states = exit_states(facts, exit_node, item)
    if not states:
        return None
    return item, exit_node, states


def exit_states(facts: FunctionFacts, exit_node: int, item: Item) -> list[State]:
    return [ex.state for ex in facts.exits if ex.node == exit_node and item in held_items(ex.state)]


def _by_node(facts: FunctionFacts) -> dict[int, list[tuple[State, int | None]]]:
    idx = getattr(facts, "_kl_fix_index", None)
    if idx is None:
        idx = {}
        for (n, st), prev in facts.parents.items():
            idx.setdefault(n, []).append((st, prev[0] if prev is not None else None))
        setattr(facts, "_kl_fix_index", idx)  # noqa: B010
    return idx


def states_at(facts: FunctionFacts, nid: int) -> list[State]:
    return [st for st, _prev in _by_node(facts).get(nid, [])]


def entering_states(facts: FunctionFacts, lid: int, ladder_start: int) -> list[State]:
    """States at label node lid that come from a goto or from code above the ladder (not
    from the label above falling through)."""
    cfg = facts.cfg
    assert cfg is not None
    out = []
    for st, prev in _by_node(facts).get(lid, []):
        if prev is None:
            continue
        p = cfg.nodes[prev]
        if p.kind == "goto" or (p.ast is not None and p.ast.start_byte < ladder_start):
            out.append(st)
    return out


def res_in(state: State, site: int) -> Res | None:
    for r in state.res:
        if r.site == site:
            return r
    return None


# ---------------------------------------------------------------- the unwind ladder
@dataclass
class LadderStmt:
    node: tree_sitter.Node  # the statement (not the labeled_statement)
    labels: list[str]  # labels directly in front of it


@dataclass
class Ladder:
    """Top-level labels of a function body and the statements after the first one."""

    stmts: list[LadderStmt]
    label_line: dict[str, int]  # label -> 0-based line of `label:`
    label_index: dict[str, int]  # label -> index into stmts of its first statement
    order: list[str]  # labels in text order
    start: int = 0  # byte where the first label starts

    def chain(self, label: str) -> list[tree_sitter.Node]:
        """Statements run from `label` up to and including the first return/goto."""
        out = []
        for st in self.stmts[self.label_index[label]:]:
            out.append(st.node)
            if st.node.type in ("return_statement", "goto_statement"):
                break
        return out

    def terminal(self, label: str) -> tree_sitter.Node | None:
        ch = self.chain(label)
        return ch[-1] if ch and ch[-1].type == "return_statement" else None


def _flatten(node: tree_sitter.Node, labels: list[str], parsed: ParsedFile,
             out: list[LadderStmt]) -> None:
    if node.type == "labeled_statement":
        lab = node.child_by_field_name("label")
        name = parsed.text_of(lab) if lab is not None else ""
        inner = [c for c in node.named_children if c.type != "statement_identifier"]
        if not inner:
            out.append(LadderStmt(node, [*labels, name]))
            return
        _flatten(inner[0], [*labels, name], parsed, out)
        for extra in inner[1:]:
            _flatten(extra, [], parsed, out)
        return
    out.append(LadderStmt(node, labels))


def ladder_of(ctx: FixContext, fn: Function) -> Ladder | None:
    items = [c for c in fn.body.named_children if c.type != "comment"]
    first = next((i for i, c in enumerate(items) if c.type == "labeled_statement"), None)
    if first is None:
        return None
    stmts: list[LadderStmt] = []
    label_line: dict[str, int] = {}
    for c in items[first:]:
        n = c
        while n.type == "labeled_statement":
            lab_node = n.child_by_field_name("label")
            if lab_node is not None:
                label_line[ctx.parsed.text_of(lab_node)] = ctx.pos(n.start_byte)[0]
            inner = [x for x in n.named_children if x.type != "statement_identifier"]
            if not inner:
                break
            n = inner[0]
        _flatten(c, [], ctx.parsed, stmts)
    index: dict[str, int] = {}
    for i, ls in enumerate(stmts):
        for lab in ls.labels:
            index.setdefault(lab, i)
    order = sorted(index, key=lambda x: (index[x], label_line.get(x, 0)))
    return Ladder(stmts, label_line, index, order, items[first].start_byte)


def call_of_statement(ctx: FixContext, stmt: tree_sitter.Node) -> tuple[str, list[str]] | None:
    if stmt.type != "expression_statement" or not stmt.named_children:
        return None
    c = stmt.named_children[0]
    if c.type != "call_expression":
        return None
    name = call_name(ctx.parsed, c)
    args_node = c.child_by_field_name("arguments")
    args = [norm(ctx.parsed.text_of(a)) for a in (args_node.named_children if args_node else [])
            if a.type != "comment"]
    return name, args


def releases_item(ctx: FixContext, name: str, args: list[str], state: State | None,
                  item: Item, res: Res | None) -> bool:
    """Does the call name(args) release `item` (as held in `state`)?"""
    kind, key = item
    if kind == "l":
        lo = ctx.k.locks.get(name)
        return lo is not None and lo.op == "release" and bool(args) and args[0] == key
    if res is None:
        return False
    rels = ctx.k.releases_of(name)
    if rels:
        for rel, _acq in rels:
            if rel.arg < len(args):
                a = args[rel.arg]
                if rel.member:
                    if any(a in (f"{n}->{rel.member}", f"{n}.{rel.member}") for n in res.names):
                        return True
                elif a in res.names:
                    return True
        return False
    if any(r.fn == name for r in res.releases) or ctx.k.looks_like_release(name):
        return any(a in res.names for a in args)
    return False


def is_release_like(ctx: FixContext, name: str) -> bool:
    if not name or HARMLESS_RE.match(name):
        return False
    lo = ctx.k.locks.get(name)
    if lo is not None:
        return lo.op == "release"
    return bool(ctx.k.releases_of(name)) or ctx.k.looks_like_release(name)


def label_targets(cfg: CFG) -> dict[str, list[int]]:
    """label -> goto CFG nodes jumping to it."""
    out: dict[str, list[int]] = {}
    for n in cfg.nodes:
        if n.kind == "goto":
            out.setdefault(str(n.data.get("label")), []).append(n.id)
    return out


def err_var_of(ctx: FixContext, fn: Function) -> str | None:
    """The function's error variable (err/ret/rc...), if it declares one."""
    body = ctx.node_text(fn.body)
    for v in ERR_VARS:
        if re.search(r"\b(?:int|long|ssize_t)\b[^;(]*\b" + v + r"\b\s*[,;=]", body):
            return v
    params = fn.params
    for v in ERR_VARS:
        if v in params:
            return None
    return None


def return_expr(ctx: FixContext, ret: tree_sitter.Node) -> str | None:
    """Text of the returned expression ('' for `return;`), None if not a return."""
    if ret.type != "return_statement":
        return None
    kids = [c for c in ret.named_children if c.type != "comment"]
    return ctx.node_text(kids[0]).strip() if kids else ""


def jump_statements(value: str, label_value: str, label: str) -> list[str] | None:
    """Statements replacing `return value;` by a jump to `label`, whose ladder returns
    `label_value`. None when the values cannot be reconciled."""
    v, lv = norm(value), norm(label_value)
    if v == lv:
        return [f"goto {label};"]
    if re.fullmatch(r"[A-Za-z_]\w*", lv):
        if not value:
            return None
        return [f"{label_value} = {value};", f"goto {label};"]
    m = re.fullmatch(r"ERR_PTR\(([A-Za-z_]\w*)\)", lv)
    if m:
        mv = re.fullmatch(r"ERR_PTR\((.*)\)", v, re.S)
        if mv:
            return [f"{m.group(1)} = {value[value.index('(') + 1:value.rindex(')')].strip()};",
                    f"goto {label};"]
    return None


def release_text_for(ctx: FixContext, facts: FunctionFacts, finding: Finding,
                     state: State | None) -> str | None:
    """The statement that releases the finding's resource or lock, in the function's own words
    (its exemplar release) when it has one."""
    cfg = facts.cfg
    assert cfg is not None
    item = item_of_finding(finding)
    if item is None:
        return None
    if item[0] == "l":
        lock = str(item[1])
        best: str | None = None
        want = str(finding.data.get("unlock_fn") or "")
        for nid in facts.lock_releases.get(lock, []):
            n = cfg.nodes[nid]
            if n.ast is None:
                continue
            c = call_of_statement(ctx, n.ast)
            if c is None or ctx.k.locks.get(c[0]) is None or not c[1] or c[1][0] != lock:
                continue
            txt = _one_line(ctx.node_text(n.ast))
            if best is None or c[0] == want:
                best = txt
            if c[0] == want:
                break
        if best is not None:
            return best
        return _synth_unlock(ctx, facts, finding)
    res = res_in(state, int(str(item[1]))) if state is not None else None
    rel_node = finding.data.get("release_node")
    if isinstance(rel_node, int) and 0 <= rel_node < len(cfg.nodes):
        n = cfg.nodes[rel_node]
        if n.ast is not None:
            c = call_of_statement(ctx, n.ast)
            if c is not None and (res is None or releases_item(ctx, c[0], c[1], state, item, res)):
                return _one_line(ctx.node_text(n.ast))
    if res is None:
        return None
    acq = ctx.k.acquires.get(res.fn)
    if acq is not None and acq.release_call:
        # free_irq({0}, {4}): the arguments of the acquisition, as written there
        args = _raw_call_args(ctx, cfg.nodes[res.site].ast, res.fn)
        idx = [int(i) for i in re.findall(r"\{(\d+)\}", acq.release_call)]
        if args is None or any(i >= len(args) for i in idx):
            return None
        fn_name = acq.release_call.split("(", 1)[0]
        return f"{fn_name}({', '.join(args[i] for i in idx)});"
    if res.releases:
        rel = res.releases[0]
        name = res.name
        if ctx.k.release_arity.get(rel.fn, 1) > 1:
            return None  # free_irq(irq, dev_id): never written with one argument
        if rel.member:
            arg = f"&{name}->{rel.member}"
        elif rel.arg == 0:
            arg = name
            if acq is not None and acq.take == "arg":
                # the object as the acquisition wrote it: pm_runtime_enable(&pdev->dev)
                raw = _raw_call_args(ctx, cfg.nodes[res.site].ast, res.fn)
                if raw is None or acq.index >= len(raw) or norm(raw[acq.index]) not in res.names:
                    return None
                arg = raw[acq.index]
        else:
            return None
        if res.iter_ref or res.kind == "ref" or rel.fn:
            return f"{rel.fn}({arg});"
    fn = str(finding.data.get("release_fn") or "")
    if fn and str(finding.data.get("release_arg") or 0) == "0" and \
            ctx.k.release_arity.get(fn, 1) == 1:
        return f"{fn}({res.name});"
    return None


def _raw_call_args(ctx: FixContext, ast: tree_sitter.Node | None, fn: str) -> list[str] | None:
    """The source text of the arguments of the call to fn in this statement."""
    if ast is None:
        return None
    for n in descendants(ast, "call_expression"):
        f = n.child_by_field_name("function")
        a = n.child_by_field_name("arguments")
        if f is not None and a is not None and ctx.node_text(f).strip() == fn:
            return [re.sub(r"\s+", " ", ctx.node_text(x)).strip()
                    for x in a.named_children if x.type != "comment"]
    return None


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text.strip())


_UNLOCK_OF = {
    "mutex_lock": "mutex_unlock", "mutex_lock_nested": "mutex_unlock",
    "mutex_lock_interruptible": "mutex_unlock", "mutex_lock_killable": "mutex_unlock",
    "mutex_lock_io": "mutex_unlock", "mutex_trylock": "mutex_unlock",
    "spin_lock": "spin_unlock", "spin_lock_irq": "spin_unlock_irq",
    "spin_lock_bh": "spin_unlock_bh", "spin_lock_irqsave": "spin_unlock_irqrestore",
    "spin_lock_nested": "spin_unlock", "spin_lock_irqsave_nested": "spin_unlock_irqrestore",
    "raw_spin_lock": "raw_spin_unlock", "raw_spin_lock_irq": "raw_spin_unlock_irq",
    "raw_spin_lock_irqsave": "raw_spin_unlock_irqrestore", "raw_spin_lock_bh": "raw_spin_unlock_bh",
    "read_lock": "read_unlock", "read_lock_irq": "read_unlock_irq",
    "read_lock_irqsave": "read_unlock_irqrestore", "read_lock_bh": "read_unlock_bh",
    "write_lock": "write_unlock", "write_lock_irq": "write_unlock_irq",
    "write_lock_irqsave": "write_unlock_irqrestore", "write_lock_bh": "write_unlock_bh",
    "down_read": "up_read", "down_write": "up_write", "down_read_killable": "up_read",
    "down_write_killable": "up_write", "down_read_interruptible": "up_read",
    "down": "up", "down_interruptible": "up", "down_killable": "up",
}


def unlock_for(lock_fn: str) -> str | None:
    return _UNLOCK_OF.get(lock_fn)


def _synth_unlock(ctx: FixContext, facts: FunctionFacts, finding: Finding) -> str | None:
    cfg = facts.cfg
    assert cfg is not None
    node = finding.data.get("lock_node")
    if not isinstance(node, int) or not (0 <= node < len(cfg.nodes)):
        return None
    n = cfg.nodes[node]
    if n.ast is None:
        return None
    stack = [n.ast]
    while stack:
        x = stack.pop()
        if x.type == "call_expression":
            name = call_name(ctx.parsed, x)
            un = unlock_for(name)
            if un is not None:
                args = x.child_by_field_name("arguments")
                texts = [_one_line(ctx.node_text(a)) for a in (args.named_children if args else [])]
                if not texts:
                    return None
                if un.endswith("irqrestore"):
                    if len(texts) < 2:
                        return None
                    return f"{un}({texts[0]}, {texts[1]});"
                return f"{un}({texts[0]});"
        stack.extend(x.named_children)
    return None
