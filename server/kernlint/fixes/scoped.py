"""The idiomatic alternative, offered as a second action where the file already uses the
kernel's scope-based cleanup helpers (linux/cleanup.h):

- **KL101**, a local pointer from a kmalloc-family allocation, in a file that already declares
  `__free(...)` variables: declare it `T *p __free(kfree) = NULL;` (or add the attribute to
  its initialised declaration), drop the function's own `kfree(p);` statements, and hand it
  off explicitly with `return_ptr(p);` / `x->field = no_free_ptr(p);`.
- **KL201**, a mutex or spinlock taken at the top level of the function, in a file that already
  uses `guard()`: take it with `guard(mutex)(&lock);` and drop the function's unlock
  statements for it.

Applicability: **unsafe**. The free (or unlock) moves to the end of the scope, after code that
used to run without the object (or outside the lock); read the diff before applying. Only
offered when every use is one of the shapes above (anything else: no alternative).
"""

from __future__ import annotations

import re

import tree_sitter

from ..facts import FunctionFacts, norm
from ..model import Applicability, Finding, TextEdit
from ..syntax import Function, mask_code
from .base import Candidate, FixContext

FIX_FREE = "scoped.free"
FIX_GUARD = "scoped.guard"

# release function -> cleanup class of linux/cleanup.h users (DEFINE_FREE names)
_FREE_CLASS = {"kfree": "kfree", "kvfree": "kvfree", "vfree": "vfree"}
# lock function -> guard class
_GUARD_CLASS = {"mutex_lock": "mutex", "spin_lock": "spinlock", "spin_lock_irq": "spinlock_irq",
                "spin_lock_bh": "spinlock_bh", "raw_spin_lock": "raw_spinlock",
                "raw_spin_lock_irq": "raw_spinlock_irq"}
_UNLOCK_OF = {"mutex_lock": "mutex_unlock", "spin_lock": "spin_unlock",
              "spin_lock_irq": "spin_unlock_irq", "spin_lock_bh": "spin_unlock_bh",
              "raw_spin_lock": "raw_spin_unlock", "raw_spin_lock_irq": "raw_spin_unlock_irq"}


def _statements(body: tree_sitter.Node) -> list[tree_sitter.Node]:
    out = []
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type in ("expression_statement", "return_statement", "declaration"):
            out.append(n)
        stack.extend(n.named_children)
    return sorted(out, key=lambda n: n.start_byte)


def _call(ctx: FixContext, stmt: tree_sitter.Node) -> tuple[str, list[str]] | None:
    if stmt.type != "expression_statement" or not stmt.named_children:
        return None
    c = stmt.named_children[0]
    if c.type != "call_expression":
        return None
    fn = c.child_by_field_name("function")
    args = c.child_by_field_name("arguments")
    if fn is None or fn.type != "identifier" or args is None:
        return None
    return ctx.node_text(fn), [norm(ctx.node_text(a)) for a in args.named_children
                               if a.type != "comment"]


def _delete_statement(ctx: FixContext, stmt: tree_sitter.Node) -> TextEdit | None:
    """Delete a statement that stands alone on its line(s) inside a block."""
    if stmt.parent is None or stmt.parent.type != "compound_statement":
        return None
    sl, _ = ctx.pos(stmt.start_byte)
    el, ec = ctx.pos(stmt.end_byte)
    if ctx.line(sl).strip() != ctx.node_text(stmt).split("\n")[0].strip() or \
            ctx.line(el)[ec:].strip():
        return None
    start = ctx.parsed.lines.line_start(sl)
    end = ctx.parsed.lines.line_start(el + 1)
    return TextEdit(ctx.span(start, end), "")


def _replace(ctx: FixContext, node: tree_sitter.Node, text: str) -> TextEdit:
    return TextEdit(ctx.span(node.start_byte, node.end_byte), text)


def free_candidates(ctx: FixContext, facts: FunctionFacts, fn: Function,
                    finding: Finding) -> list[Candidate]:
    if finding.rule != "KL101" or not any(a.name == "__free" for a in ctx.parsed.annotations):
        return []
    var = finding.resource
    rel = str(finding.data.get("release_fn") or "")
    cls = _FREE_CLASS.get(rel)
    if cls is None or not re.fullmatch(r"[A-Za-z_]\w*", var):
        return []
    edits: list[TextEdit] = []
    decl_done = False
    for st in _statements(fn.body):
        text = ctx.node_text(st)
        if not re.search(r"(?<![\w>.])" + re.escape(var) + r"(?!\w)", text):
            continue
        if st.type == "declaration":
            decls = st.children_by_field_name("declarator")
            if len(decls) != 1 or decl_done:
                return []
            d = decls[0]
            if d.type == "init_declarator":
                inner = d.child_by_field_name("declarator")
                if inner is None or inner.type != "pointer_declarator" or \
                        norm(ctx.node_text(inner).lstrip("*")) != var:
                    return []
                edits.append(TextEdit(ctx.span(inner.end_byte, inner.end_byte),
                                      f" __free({cls})"))
            elif d.type == "pointer_declarator" and norm(ctx.node_text(d).lstrip("*")) == var:
                edits.append(TextEdit(ctx.span(d.end_byte, d.end_byte),
                                      f" __free({cls}) = NULL"))
            else:
                return []
            decl_done = True
            continue
        call = _call(ctx, st)
        if call is not None and call[0] == rel and call[1] == [var]:
            e = _delete_statement(ctx, st)
            if e is None:
                return []
            edits.append(e)
            continue
        if st.type == "return_statement":
            expr = st.named_children[0] if st.named_children else None
            if expr is not None and norm(ctx.node_text(expr)) == var:
                edits.append(_replace(ctx, st, f"return_ptr({var});"))
                continue
        if st.type == "expression_statement" and st.named_children and \
                st.named_children[0].type == "assignment_expression":
            a = st.named_children[0]
            lhs, rhs = a.child_by_field_name("left"), a.child_by_field_name("right")
            if lhs is not None and rhs is not None and norm(ctx.node_text(rhs)) == var \
                    and norm(ctx.node_text(lhs)) != var:
                edits.append(_replace(ctx, rhs, f"no_free_ptr({var})"))
                continue
        # Plain uses (p->x = .., memcpy(p, ..), if (!p), p = kmalloc(..)) need no change.
        if re.search(r"&\s*" + re.escape(var) + r"\b(?!\s*->)", text):
            return []  # the address of the pointer escapes: cannot tell who frees it
    if not decl_done or len(edits) < 2:
        return []
    return [Candidate(f"Use __free({cls}) for `{var}` (scope-based cleanup)", edits,
                      Applicability.UNSAFE, FIX_FREE)]


def guard_candidates(ctx: FixContext, facts: FunctionFacts, fn: Function,
                     finding: Finding) -> list[Candidate]:
    if finding.rule != "KL201" or not re.search(r"\b(?:scoped_)?guard\s*\(", mask_code(ctx.text)):
        return []
    lock = str(finding.data.get("lock") or finding.resource)
    lock_node = finding.data.get("lock_node")
    cfg = facts.cfg
    if cfg is None or not isinstance(lock_node, int) or not 0 <= lock_node < len(cfg.nodes):
        return []
    st = cfg.nodes[lock_node].ast
    if st is None or st.type != "expression_statement" or st.parent is None or \
            st.parent.id != fn.body.id:
        return []  # only a lock taken at the top level of the function
    call = _call(ctx, st)
    if call is None or call[0] not in _GUARD_CLASS or call[1] != [lock]:
        return []
    unlock = _UNLOCK_OF[call[0]]
    raw = ctx.node_text(st.named_children[0])
    arg = raw[raw.index("(") + 1: raw.rindex(")")].strip()
    edits = [_replace(ctx, st, f"guard({_GUARD_CLASS[call[0]]})({arg});")]
    for other in _statements(fn.body):
        c = _call(ctx, other)
        if c is None or c[1] != [lock]:
            continue
        if c[0] == call[0] and other.id != st.id:
            return []  # taken twice: a guard would double-lock
        if c[0] == unlock:
            e = _delete_statement(ctx, other)
            if e is None:
                return []
            edits.append(e)
    if len(edits) < 2:
        return []
    return [Candidate(f"Use guard({_GUARD_CLASS[call[0]]}) for `{lock}` (scope-based unlock)",
                      edits, Applicability.UNSAFE, FIX_GUARD)]


def candidates(ctx: FixContext, facts: FunctionFacts, fn: Function,
               finding: Finding) -> list[Candidate]:
    return [*free_candidates(ctx, facts, fn, finding), *guard_candidates(ctx, facts, fn, finding)]
