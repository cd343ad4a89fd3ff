"""Drop a loop reference (KL301): a for_each_child_of_node()-style loop holds a reference on
its cursor; leaving the loop early with `break`, `goto` or `return` keeps it. The fix puts
`of_node_put(child);` (the iterator's own put, from the knowledge file) right before the
statement that leaves the loop, adding braces to an unbraced `if (..) break;`.

Applicability: **safe** when the cursor is not used after the loop (the reference is then
plainly dropped); **unsafe** when the code after the loop still reads the cursor (it may
have meant to keep the node: it then needs the put after its last use instead).
"""

from __future__ import annotations

import re

import tree_sitter

from ..facts import FunctionFacts
from ..model import Applicability, Finding
from ..syntax import Function
from .base import Candidate, FixContext, insert_before_statement, res_in

FIX_ID = "refcount.loop-exit"


def _loop_body(node: tree_sitter.Node) -> tree_sitter.Node | None:
    if node.type == "while_statement":  # loop macro rewritten by the syntax layer
        return node.child_by_field_name("body")
    stmt = node.parent
    if stmt is None or stmt.type != "expression_statement":
        return None
    nxt = stmt.next_named_sibling
    while nxt is not None and nxt.type == "comment":
        nxt = nxt.next_named_sibling
    return nxt


def _inside(node: tree_sitter.Node | None, body: tree_sitter.Node) -> bool:
    return node is not None and body.start_byte <= node.start_byte and node.end_byte <= body.end_byte


def _find_break(stmt: tree_sitter.Node) -> tree_sitter.Node | None:
    if stmt.type == "break_statement":
        return stmt
    if stmt.type == "compound_statement":
        for c in stmt.named_children:
            if c.type == "break_statement":
                return c
    return None


def candidates(ctx: FixContext, facts: FunctionFacts, fn: Function, finding: Finding) -> list[Candidate]:
    cfg = facts.cfg
    assert cfg is not None
    site = finding.data.get("acquire_node")
    exit_node = finding.data.get("exit_node")
    if not finding.data.get("iter_ref") or not isinstance(site, int) or not isinstance(exit_node, int):
        return []
    rec = next((e for e in facts.exits if e.node == exit_node and res_in(e.state, site) is not None),
               None)
    if rec is None:
        return []
    r = res_in(rec.state, site)
    assert r is not None
    call = cfg.nodes[site].ast
    if call is None:
        return []
    body = _loop_body(call)
    if body is None:
        return []
    path = facts.path_to(rec.node, rec.state)
    last = max((i for i, n in enumerate(path) if n == site), default=None)
    if last is None:
        return []
    leave: tree_sitter.Node | None = None
    for j in range(last + 1, len(path)):
        n = cfg.nodes[path[j]]
        if n.kind == "iter_next":
            return []  # the loop went round again: not this exit
        if _inside(n.ast, body) and n.kind != "exit":
            continue
        prev = cfg.nodes[path[j - 1]]
        if prev.ast is None or not _inside(prev.ast, body):
            return []
        if prev.kind in ("return", "goto"):
            leave = prev.ast
        elif prev.kind == "cond":
            ifs: tree_sitter.Node | None = prev.ast
            while ifs is not None and ifs.type != "if_statement":
                ifs = ifs.parent
            if ifs is None:
                return []
            branch = ifs.child_by_field_name("consequence") if prev.succ and prev.succ[0] == path[j] \
                else ifs.child_by_field_name("alternative")
            if branch is not None and branch.type == "else_clause" and branch.named_children:
                branch = branch.named_children[0]
            leave = _find_break(branch) if branch is not None else None
        elif prev.kind == "stmt":
            sib = prev.ast.next_named_sibling
            while sib is not None and sib.type == "comment":
                sib = sib.next_named_sibling
            leave = sib if sib is not None and sib.type == "break_statement" else None
        break
    if leave is None:
        ex_ast = cfg.nodes[exit_node].ast
        if ex_ast is not None and ex_ast.type == "return_statement" and _inside(ex_ast, body):
            leave = ex_ast
    if leave is None:
        return []
    rel_fn = r.releases[0].fn if r.releases else str(finding.data.get("release_fn") or "of_node_put")
    var = finding.resource
    rel = f"{rel_fn}({var});"
    after = ctx.parsed.original[body.end_byte:fn.body.end_byte].decode("utf-8", "replace")
    used_after = re.search(r"(?<![\w>.])" + re.escape(var) + r"(?!\w)", after) is not None
    if leave.type == "return_statement":
        ret = ctx.node_text(leave)
        if re.search(r"(?<![\w>.])" + re.escape(var) + r"(?!\w)", ret[6:]):
            return []
    edits = insert_before_statement(ctx, leave, [rel])
    if edits is None:
        return []
    how = {"break_statement": "break", "goto_statement": "goto", "return_statement": "return"}
    app = Applicability.UNSAFE if used_after else Applicability.SAFE
    return [Candidate(f"Drop the loop reference before {how.get(leave.type, 'leaving')}: {rel}",
                      edits, app, FIX_ID)]
