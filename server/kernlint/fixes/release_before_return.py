"""Release before return (KL101, KL201, KL301): put the release (the unlock, the put) right
before the leaking exit, in the function's own words — the statement it uses on another path
(`spin_unlock_irqrestore(&chip->lock, flags);` with the same flags variable), or the release
the knowledge file names for the resource.

An unbraced `if (..) return x;` gets braces. When the leak is reached through a `goto` into
unwind code, the release goes before that `goto` instead.

A runtime-PM reference taken by pm_runtime_get_sync() is dropped with
pm_runtime_put_noidle() on the path where the get failed (the device is not resumed there).

Applicability: **safe** for the pm_runtime_get_sync() failure path (the reference is raised
even when the call fails, and put_noidle is the documented remedy); **unsafe** otherwise (a
new release or unlock is written; the reader should check the order against the ladder).
"""

from __future__ import annotations

import re

import tree_sitter

from ..cfg import call_name
from ..facts import FunctionFacts, norm
from ..model import Applicability, Finding
from ..syntax import Function
from .base import (
    Candidate,
    FixContext,
    finding_exit,
    insert_before_statement,
    insert_lines_before,
    release_text_for,
    res_in,
    return_expr,
)

FIX_ID = "release-before-return"


def pm_failure_release(ctx: FixContext, facts: FunctionFacts, finding: Finding,
                        ex_ast: tree_sitter.Node) -> str | None:
    """`pm_runtime_put_noidle(dev);` when ex_ast is on the failure path of pm_runtime_get_sync()."""
    cfg = facts.cfg
    assert cfg is not None
    site = finding.data.get("acquire_node")
    if not isinstance(site, int):
        return None
    acq = cfg.nodes[site].ast
    if acq is None:
        return None
    if cfg.nodes[site].kind == "iter_enter":
        return None
    call = _find_call(ctx, acq, "pm_runtime_get_sync")
    if call is None:
        return None
    args = call.child_by_field_name("arguments")
    if args is None or not args.named_children:
        return None
    dev = ctx.node_text(args.named_children[0]).strip()
    m = re.match(r"\s*(?:int\s+)?([A-Za-z_][\w>.-]*)\s*=", ctx.node_text(acq))
    var = norm(m.group(1)) if m else None
    # the condition guarding this exit
    n = ex_ast.parent
    while n is not None and n.type not in ("if_statement",):
        if n.type in ("function_definition",):
            return None
        n = n.parent
    if n is None:
        return None
    cond = n.child_by_field_name("condition")
    if cond is None:
        return None
    ctext = ctx.node_text(cond)
    if (var and re.search(r"(?<![\w>.])" + re.escape(var) + r"(?!\w)", ctext)) or \
            "pm_runtime_get_sync" in ctext:
        return f"pm_runtime_put_noidle({dev});"
    return None


def _find_call(ctx: FixContext, root: tree_sitter.Node, name: str) -> tree_sitter.Node | None:
    stack = [root]
    while stack:
        x = stack.pop()
        if x.type == "call_expression" and call_name(ctx.parsed, x) == name:
            return x
        stack.extend(x.named_children)
    return None


def candidates(ctx: FixContext, facts: FunctionFacts, fn: Function, finding: Finding) -> list[Candidate]:
    cfg = facts.cfg
    assert cfg is not None
    exit_info = finding_exit(facts, finding)
    if exit_info is None:
        return []
    item, exit_node, states = exit_info
    ex = cfg.nodes[exit_node]
    ex_ast = ex.ast
    res = res_in(states[0], int(item[1])) if item[0] == "r" else None  # type: ignore[call-overload]
    app = Applicability.UNSAFE
    rel: str | None = None
    if ex_ast is not None and ex_ast.type == "return_statement" and res is not None \
            and res.fn == "pm_runtime_get_sync":
        rel = pm_failure_release(ctx, facts, finding, ex_ast)
        if rel is not None:
            app = Applicability.SAFE
    if rel is None:
        rel = release_text_for(ctx, facts, finding, states[0])
    if rel is None:
        return []
    what = finding.resource or "it"
    verb = "Unlock" if item[0] == "l" else "Release"
    via = finding.data.get("via_goto")
    if isinstance(via, int) and 0 <= via < len(cfg.nodes):
        g = cfg.nodes[via].ast
        if g is not None and g.type == "goto_statement":
            edits = insert_before_statement(ctx, g, [rel])
            if edits is None:
                return []
            return [Candidate(f"{verb} `{what}` before the goto: {rel}", edits, app, FIX_ID)]
    if ex_ast is None:
        # falling off the end of a void function
        close = fn.body.end_byte - 1
        line, col = ctx.pos(close)
        if ctx.line(line)[:col].strip():
            return []
        ind = ctx.line(line)[:col] + ctx.indent_unit()
        return [Candidate(f"{verb} `{what}` before returning: {rel}",
                          [insert_lines_before(ctx, line, [rel], ind)], app, FIX_ID)]
    if ex_ast.type != "return_statement":
        return []
    value = return_expr(ctx, ex_ast) or ""
    if res is not None and any(re.search(r"(?<![\w>.])" + re.escape(n) + r"(?!\w)", norm(value))
                               for n in res.names):
        return []  # the return value uses the resource
    before = _placement(ctx, ex_ast, item[0] == "l")
    if before is not None:
        sl, sc = ctx.pos(before.start_byte)
        edits = [insert_lines_before(ctx, sl, [rel], ctx.line(sl)[:sc])]
    else:
        got = insert_before_statement(ctx, ex_ast, [rel])
        if got is None:
            return []
        edits = got
    return [Candidate(f"{verb} `{what}` before returning: {rel}", edits, app, FIX_ID)]


def _placement(ctx: FixContext, ret: tree_sitter.Node, is_lock: bool) -> tree_sitter.Node | None:
    """For an unlock in a block `{ ...; return x; }`: the statement to put it before — after
    the last statement that is not a plain call (state updates stay under the lock; frees,
    logging and other calls go after the unlock). None: right before the return."""
    if not is_lock or ret.parent is None or ret.parent.type != "compound_statement":
        return None
    kids = [c for c in ret.parent.named_children if c.type != "comment"]
    i = next((k for k, c in enumerate(kids) if c.id == ret.id), None)
    if not i:
        return None
    j = i
    while j > 0 and kids[j - 1].type == "expression_statement" and kids[j - 1].named_children \
            and kids[j - 1].named_children[0].type == "call_expression" and \
            ctx.k.locks.get(call_name(ctx.parsed, kids[j - 1].named_children[0])) is None:
        j -= 1
    if j == i:
        return None
    cand = kids[j]
    sl, sc = ctx.pos(cand.start_byte)
    if ctx.line(sl)[:sc].strip():
        return None
    return cand
