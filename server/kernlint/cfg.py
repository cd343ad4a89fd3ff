"""Control-flow layer: one CFG per function, with kernel macros read as what they are.

Handles if/else (with && and || split into separate conditions so each can
carry facts), switch with fall-through, while/for/do, break/continue,
goto/labels, return, iterator macros followed by a block (loops), guard()
scopes (scope_end nodes), scoped_guard blocks, and #ifdef bodies (the first
branch is taken, consistently, so lock/unlock under one #ifdef stay paired).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import tree_sitter

from .syntax import ParsedFile

ITERATOR_RE = re.compile(r"(?:^|_)for_each(?:_|$)|^list_for_each|^hlist_for_each|_for_each_")
SCOPED_GUARDS = ("scoped_guard", "scoped_cond_guard")


@dataclass
class CNode:
    id: int
    kind: str  # entry exit stmt cond switch return goto label scope_end loop_head iter_enter iter_next guard_enter noreturn
    ast: tree_sitter.Node | None = None
    succ: list[int] = field(default_factory=list)
    data: dict[str, object] = field(default_factory=dict)


@dataclass
class CFG:
    nodes: list[CNode]
    entry: int
    exit: int
    labels: dict[str, int]
    truncated: bool = False

    def node(self, i: int) -> CNode:
        return self.nodes[i]


def closure(starts: Iterable[int], edges: Callable[[int], Iterable[int]]) -> set[int]:
    """Every node reachable from starts along edges (successors or predecessors)."""
    seen: set[int] = set()
    stack = list(starts)
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(edges(n))
    return seen


def last_index(path: list[int], node: int) -> int:
    """Where node last occurs on a path (a loop may pass it more than once)."""
    return len(path) - 1 - path[::-1].index(node)


def reach(cfg: CFG, starts: Iterable[int]) -> set[int]:
    """Every node reachable forward from starts (starts included)."""
    return closure(starts, lambda n: cfg.nodes[n].succ)


def call_name(parsed: ParsedFile, call: tree_sitter.Node) -> str:
    fn = call.child_by_field_name("function")
    if fn is None:
        return ""
    if fn.type == "identifier":
        name = parsed.text_of(fn)
        aliases = parsed.call_aliases
        return aliases.get(name, name) if aliases else name
    if fn.type == "call_expression":  # guard(mutex)(&l)
        inner = fn.child_by_field_name("function")
        if inner is not None and inner.type == "identifier":
            return parsed.text_of(inner) + "()"
    return ""


def macro_args(cond: tree_sitter.Node) -> list[tree_sitter.Node]:
    """Arguments of a rewritten loop macro: the parts of its (a, b, c) condition."""
    e = cond
    while e.type == "parenthesized_expression" and e.named_children:
        e = e.named_children[0]
    out: list[tree_sitter.Node] = []
    while e.type == "comma_expression":
        left = e.child_by_field_name("left")
        right = e.child_by_field_name("right")
        if left is None or right is None:
            break
        out.append(left)
        e = right
    out.append(e)
    return [a for a in out if a.type != "comment"]


def _missing_semicolon(stmt: tree_sitter.Node) -> bool:
    last = stmt.children[-1] if stmt.children else None
    return last is not None and last.is_missing


def loop_macro(parsed: ParsedFile, stmt: tree_sitter.Node) -> tree_sitter.Node | None:
    """The call of `iter(a, b) <stmt>` / `scoped_guard(k, &l) { }`, or None."""
    if stmt.type != "expression_statement" or not _missing_semicolon(stmt):
        return None
    call = stmt.named_children[0] if stmt.named_children else None
    if call is None or call.type != "call_expression":
        return None
    name = call_name(parsed, call)
    if name in SCOPED_GUARDS or ITERATOR_RE.search(name):
        return call
    return None


class _Builder:
    MAX_NODES = 20000

    def __init__(self, parsed: ParsedFile) -> None:
        self.p = parsed
        self.nodes: list[CNode] = []
        self.labels: dict[str, int] = {}
        self.breaks: list[int] = []
        self.continues: list[int] = []
        self.breaks_loop_depth = 0
        self.exit = self.new("exit")

    def new(self, kind: str, ast: tree_sitter.Node | None = None, succ: list[int] | None = None,
            **data: object) -> int:
        if len(self.nodes) >= self.MAX_NODES:
            raise OverflowError("function too large")
        if self.breaks_loop_depth:
            data["in_loop"] = True
        n = CNode(len(self.nodes), kind, ast, list(succ or []), dict(data))
        self.nodes.append(n)
        return n.id

    # ---- statements ----
    def stmt(self, node: tree_sitter.Node, succ: int) -> int:
        t = node.type
        if t == "compound_statement":
            return self.seq(node.named_children, succ, scope=node)
        if t in ("expression_statement", "declaration"):
            call = None
            if t == "expression_statement" and node.named_children:
                call = node.named_children[0]
            if call is not None and call.type == "call_expression":
                name = call_name(self.p, call)
                if name in self._noreturn:
                    return self.new("noreturn", node, [self.exit])
            if t == "expression_statement" and not node.named_children:
                return succ
            return self.new("stmt", node, [succ])
        if t == "if_statement":
            cond = node.child_by_field_name("condition")
            cons = node.child_by_field_name("consequence")
            alt = node.child_by_field_name("alternative")
            f = succ
            if alt is not None:
                kids = [c for c in alt.named_children if c.type != "comment"] \
                    if alt.type == "else_clause" else []
                # (`else /* why */ return x;`: the comment is not the else branch)
                alt_body = kids[0] if kids else alt
                f = self.stmt(alt_body, succ)
            t_entry = self.stmt(cons, succ) if cons is not None else succ
            return self.cond(cond, t_entry, f)
        if t == "return_statement":
            return self.new("return", node, [self.exit])
        if t == "goto_statement":
            label = node.child_by_field_name("label")
            name = self.p.text_of(label) if label is not None else ""
            target = self.labels.get(name)
            if target is None:
                return self.new("return", node, [self.exit], unknown_goto=True)
            return self.new("goto", node, [target], label=name)
        if t == "labeled_statement":
            label = node.child_by_field_name("label")
            name = self.p.text_of(label) if label is not None else ""
            lid = self.labels.get(name)
            inner = [c for c in node.named_children if c.type != "statement_identifier"]
            entry = self.seq(inner, succ) if inner else succ
            if lid is None:
                return entry
            self.nodes[lid].succ = [entry]
            return lid
        if t == "break_statement":
            return self.breaks[-1] if self.breaks else succ
        if t == "continue_statement":
            return self.continues[-1] if self.continues else succ
        if t == "while_statement":
            macro = self.p.loop_macro_at(node.start_byte)
            cond_n = node.child_by_field_name("condition")
            body_n = node.child_by_field_name("body")
            if macro is not None and cond_n is not None and body_n is not None:
                return self.macro_loop(macro, macro_args(cond_n), node, body_n, succ)
            head = self.new("loop_head", node)
            cond = node.child_by_field_name("condition")
            body = node.child_by_field_name("body")
            self.breaks_loop_depth += 1
            self.breaks.append(succ)
            self.continues.append(head)
            b = self.stmt(body, head) if body is not None else head
            self.breaks.pop()
            self.continues.pop()
            self.breaks_loop_depth -= 1
            self.nodes[head].succ = [self.cond(cond, b, succ)]
            return head
        if t == "do_statement":
            head = self.new("loop_head", node)
            cond = node.child_by_field_name("condition")
            body = node.child_by_field_name("body")
            c = self.cond(cond, head, succ)
            self.breaks_loop_depth += 1
            self.breaks.append(succ)
            self.continues.append(c)
            b = self.stmt(body, c) if body is not None else c
            self.breaks.pop()
            self.continues.pop()
            self.breaks_loop_depth -= 1
            self.nodes[head].succ = [b]
            return head
        if t == "for_statement":
            init = node.child_by_field_name("initializer")
            cond = node.child_by_field_name("condition")
            update = node.child_by_field_name("update")
            body = node.child_by_field_name("body")
            head = self.new("loop_head", node)
            upd = self.new("stmt", update, [head]) if update is not None else head
            self.breaks_loop_depth += 1
            self.breaks.append(succ)
            self.continues.append(upd)
            b = self.stmt(body, upd) if body is not None else upd
            self.breaks.pop()
            self.continues.pop()
            self.breaks_loop_depth -= 1
            test = self.cond(cond, b, succ) if cond is not None else b
            self.nodes[head].succ = [test]
            if init is not None:
                return self.new("stmt", init, [head])
            return head
        if t == "switch_statement":
            cond = node.child_by_field_name("condition")
            body = node.child_by_field_name("body")
            sw = self.new("switch", cond)
            cases: list[tuple[str | None, int]] = []
            self.breaks.append(succ)
            nxt = succ
            has_default = False
            if body is not None:
                items = body.named_children
                for item in reversed(items):
                    if item.type == "case_statement":
                        value = item.child_by_field_name("value")
                        stmts = [c for c in item.named_children if value is None or c.id != value.id]
                        nxt = self.seq(stmts, nxt)
                        if value is None:
                            has_default = True
                        cases.append((self.p.text_of(value) if value is not None else None, nxt))
                    elif item.type != "comment":
                        nxt = self.stmt(item, nxt)
            self.breaks.pop()
            cases.reverse()
            succs = [c[1] for c in cases]
            if not has_default:
                succs.append(succ)
            self.nodes[sw].succ = succs or [succ]
            self.nodes[sw].data["cases"] = [c[0] for c in cases]
            return sw
        if t in ("preproc_ifdef", "preproc_if", "preproc_elif", "preproc_else", "preproc_elifdef"):
            return self.seq(self._preproc_body(node), succ)
        if t in ("comment", "preproc_call", "preproc_def", "preproc_function_def", "preproc_include",
                 "type_definition", "struct_specifier", "enum_specifier", "union_specifier", ";"):
            return succ
        if t == "case_statement":  # case outside a switch body list (error recovery)
            value = node.child_by_field_name("value")
            stmts = [c for c in node.named_children if value is None or c.id != value.id]
            return self.seq(stmts, succ)
        if t == "attributed_statement":
            inner = [c for c in node.named_children if c.type != "attribute_declaration"]
            return self.seq(inner, succ)
        # ERROR nodes and anything unexpected: keep it as an opaque statement.
        return self.new("stmt", node, [succ], opaque=True)

    def _preproc_body(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        if node.type == "preproc_if":
            cond = node.child_by_field_name("condition")
            if cond is not None and self.p.text_of(cond).strip() in ("0", "(0)"):
                alt = node.child_by_field_name("alternative")
                return self._preproc_body(alt) if alt is not None else []
        skip = set()
        for fname in ("name", "condition", "alternative"):
            c = node.child_by_field_name(fname)
            if c is not None:
                skip.add(c.id)
        return [c for c in node.named_children if c.id not in skip]

    @property
    def _noreturn(self) -> frozenset[str]:
        return self.noreturn

    noreturn: frozenset[str] = frozenset()

    def seq(self, items: list[tree_sitter.Node], succ: int, scope: tree_sitter.Node | None = None) -> int:
        # Group `iter(...)` + following statement into a loop, `scoped_guard(...) {}` into a scope.
        groups: list[tuple[str, tree_sitter.Node, tree_sitter.Node | None]] = []
        i = 0
        has_guard = False
        while i < len(items):
            it = items[i]
            call = loop_macro(self.p, it)
            if call is not None and i + 1 < len(items):
                groups.append(("macro", call, items[i + 1]))
                i += 2
                continue
            if it.type == "expression_statement" and it.named_children:
                c = it.named_children[0]
                if c.type == "call_expression" and call_name(self.p, c) == "guard()":
                    has_guard = True
            groups.append(("stmt", it, None))
            i += 1
        cur = succ
        if scope is not None and has_guard:
            cur = self.new("scope_end", scope, [succ])
        for kind, a, b in reversed(groups):
            if kind == "stmt":
                cur = self.stmt(a, cur)
            else:
                assert b is not None
                cur = self.macro(a, b, cur)
        return cur

    def macro(self, call: tree_sitter.Node, body: tree_sitter.Node, succ: int) -> int:
        args_node = call.child_by_field_name("arguments")
        args = [a for a in args_node.named_children if a.type != "comment"] \
            if args_node is not None else []
        return self.macro_loop(call_name(self.p, call), args, call, body, succ)

    def macro_loop(self, name: str, args: list[tree_sitter.Node], anchor: tree_sitter.Node,
                   body: tree_sitter.Node, succ: int) -> int:
        """A loop macro (iterator) or scoped_guard; nodes carry the macro name and arguments."""
        call = anchor
        if name in SCOPED_GUARDS:
            leave = self.new("scope_end", body, [succ], guard_call=call)
            inner = self.stmt(body, leave)
            return self.new("guard_enter", call, [inner], scope_end=leave, macro=name, args=args)
        # Iterator: head -> (enter -> body -> next -> head) | succ
        head = self.new("loop_head", call, iterator=name, macro=name, args=args)
        nxt = self.new("iter_next", call, [head], macro=name, args=args)
        self.breaks_loop_depth += 1
        self.breaks.append(succ)
        self.continues.append(nxt)
        b = self.stmt(body, nxt)
        self.breaks.pop()
        self.continues.pop()
        self.breaks_loop_depth -= 1
        enter = self.new("iter_enter", call, [b], macro=name, args=args)
        self.nodes[head].succ = [enter, succ]
        return head

    # ---- conditions ----
    def cond(self, expr: tree_sitter.Node | None, t: int, f: int) -> int:
        if expr is None:
            return t
        e = expr
        while e.type == "parenthesized_expression" and e.named_children:
            e = e.named_children[0]
        if e.type == "binary_expression":
            op = e.child_by_field_name("operator")
            op_text = self.p.text_of(op) if op is not None else ""
            left = e.child_by_field_name("left")
            right = e.child_by_field_name("right")
            if op_text == "&&" and left is not None and right is not None:
                return self.cond(left, self.cond(right, t, f), f)
            if op_text == "||" and left is not None and right is not None:
                return self.cond(left, t, self.cond(right, t, f))
        if e.type == "unary_expression":
            op = e.child_by_field_name("operator")
            arg = e.child_by_field_name("argument")
            if op is not None and self.p.text_of(op) == "!" and arg is not None:
                inner = arg
                while inner.type == "parenthesized_expression" and inner.named_children:
                    inner = inner.named_children[0]
                if inner.type == "binary_expression":
                    iop = inner.child_by_field_name("operator")
                    if iop is not None and self.p.text_of(iop) in ("&&", "||"):
                        return self.cond(inner, f, t)
        if e.type == "call_expression":
            name = call_name(self.p, e)
            args = e.child_by_field_name("arguments")
            if name in ("likely", "unlikely") and args is not None and args.named_children:
                return self.cond(args.named_children[0], t, f)
        return self.new("cond", e, [t, f])


def build_cfg(parsed: ParsedFile, body: tree_sitter.Node, noreturn: frozenset[str]) -> CFG:
    b = _Builder(parsed)
    b.noreturn = noreturn
    # Labels first, so forward gotos find them.
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type == "labeled_statement":
            label = n.child_by_field_name("label")
            if label is not None:
                name = parsed.text_of(label)
                b.labels[name] = b.new("label", n, [], label=name)
        for c in n.named_children:
            if c.type not in ("function_definition",):
                stack.append(c)
    start = b.stmt(body, b.exit)
    entry = b.new("entry", None, [start])
    for lid in b.labels.values():
        if not b.nodes[lid].succ:
            b.nodes[lid].succ = [b.exit]
    return CFG(b.nodes, entry, b.exit, b.labels)


_IDENT_RE = re.compile(r"[A-Za-z_]\w*")


def _ends_in_goto(stmt: tree_sitter.Node | None) -> tree_sitter.Node | None:
    """The goto a branch body ends with (`goto L;` or `{ ...; goto L; }`)."""
    while stmt is not None and stmt.type == "compound_statement":
        kids = [c for c in stmt.named_children if c.type != "comment"]
        stmt = kids[-1] if kids else None
    return stmt if stmt is not None and stmt.type == "goto_statement" else None


def failure_label(parsed: ParsedFile, site: tree_sitter.Node, names: Iterable[str]) -> str | None:
    """The label an acquisition's own failure test jumps to: `ret = get(x); if (ret) goto L;`,
    `p = alloc(); if (!p) { ...; goto L; }` or `if (get(x)) goto L;`. The test must be the
    statement right after and name the result (or one of names); None when there is none."""
    stmt: tree_sitter.Node | None = site
    while stmt is not None and stmt.parent is not None and stmt.parent.type != "compound_statement":
        stmt = stmt.parent
    if stmt is None or stmt.parent is None:
        return None
    test: tree_sitter.Node | None = stmt
    if stmt.type != "if_statement":
        test = stmt.next_named_sibling
        while test is not None and test.type == "comment":
            test = test.next_named_sibling
        if test is None or test.type != "if_statement":
            return None
        wanted = {n for n in names if _IDENT_RE.fullmatch(n)}
        if stmt.type == "expression_statement" and stmt.named_children:
            e = stmt.named_children[0]
            if e.type == "assignment_expression":
                left = e.child_by_field_name("left")
                if left is not None:
                    wanted.add(parsed.text_of(left))
        elif stmt.type == "declaration":
            for d in stmt.named_children:
                if d.type == "init_declarator":
                    decl = d.child_by_field_name("declarator")
                    if decl is not None:
                        wanted.update(_IDENT_RE.findall(parsed.text_of(decl)))
        cond = test.child_by_field_name("condition")
        text = parsed.text_of(cond) if cond is not None else ""
        if not wanted or not any(re.search(rf"(?<![\w.>]){re.escape(w)}(?!\w)", text)
                                 for w in wanted):
            return None
    if test is None or test.child_by_field_name("alternative") is not None:
        return None
    g = _ends_in_goto(test.child_by_field_name("consequence"))
    label = g.child_by_field_name("label") if g is not None else None
    return parsed.text_of(label) if label is not None else None
