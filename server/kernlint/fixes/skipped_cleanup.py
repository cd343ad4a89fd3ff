"""Fixes for KL102 (an error exit skips an unwind step the earlier error exits run).

Two shapes, both taken from the earlier exit the finding names:

* **jump to the earlier exit's label** - the earlier failure leaves with `goto err_x;`: the
  skipping exit `return ret;` becomes `goto err_x;` (`ret = -EIO; goto err_x;` when it
  returns something else), and a `goto` to a lower rung is redirected to `err_x`.
* **repeat the earlier exit's cleanup** - the earlier failure cleans up inline
  (`{ foo_power_down(fx); return err; }`): the same call is written before the skipping
  `return`.

Applicability: **unsafe**. The rung is inferred from the earlier exit; the step that failed in
between may have changed what needs undoing. Every candidate is verified like any other fix
(the KL102 finding gone, no new finding, the change inside the function).
"""

from __future__ import annotations

import re

import tree_sitter

from ..facts import FunctionFacts
from ..model import Applicability, Finding
from ..syntax import Function
from .base import (
    Candidate,
    FixContext,
    insert_before_statement,
    jump_statements,
    ladder_of,
    replace_statement,
    return_expr,
)

FIX_LABEL = "skipped-cleanup.label"
FIX_INLINE = "skipped-cleanup.inline"


def candidates(ctx: FixContext, facts: FunctionFacts, fn: Function,
               finding: Finding) -> list[Candidate]:
    if finding.rule != "KL102" or facts.cfg is None:
        return []
    cfg = facts.cfg
    exit_node = finding.data.get("exit_node")
    earlier = finding.data.get("earlier_jump")
    rel = finding.data.get("release_node")
    if not all(isinstance(x, int) and 0 <= x < len(cfg.nodes) for x in (exit_node, earlier, rel)):
        return []
    assert isinstance(exit_node, int) and isinstance(earlier, int) and isinstance(rel, int)
    jump = cfg.nodes[exit_node].ast
    if jump is None:
        return []
    out: list[Candidate] = []
    label = str(finding.data.get("earlier_label") or "")
    if label and label in cfg.labels:
        edits = None
        ladder = ladder_of(ctx, fn)
        term = ladder.terminal(label) if ladder is not None and label in ladder.label_index \
            else None
        if jump.type == "return_statement" and term is not None:
            value = return_expr(ctx, jump)
            ladder_value = return_expr(ctx, term)
            if value is not None and ladder_value is not None:
                stmts = jump_statements(value, ladder_value, label)
                if stmts is not None:
                    edits = replace_statement(ctx, jump, stmts)
        elif jump.type == "goto_statement":
            edits = replace_statement(ctx, jump, [f"goto {label};"])
        if edits:
            out.append(Candidate(f"Add cleanup label: jump to `{label}` like the earlier failure",
                                 edits, Applicability.UNSAFE, FIX_LABEL))
    else:
        stmt = _statement_of(cfg.nodes[rel].ast)
        if stmt is not None and jump.type == "return_statement":
            text = re.sub(r"\s*\n\s*", " ", ctx.node_text(stmt)).strip()
            edits = insert_before_statement(ctx, jump, [text])
            if edits:
                name = str(finding.data.get("release_fn") or "the cleanup")
                out.append(Candidate(f"Call {name}() before this return, like the earlier failure",
                                     edits, Applicability.UNSAFE, FIX_INLINE))
    return out


def _statement_of(node: tree_sitter.Node | None) -> tree_sitter.Node | None:
    if node is None or node.type != "expression_statement":
        return None
    kids = node.named_children
    if len(kids) != 1 or kids[0].type != "call_expression":
        return None
    return node
