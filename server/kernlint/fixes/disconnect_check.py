"""Insert the disconnect / shutdown check (KR403): right after the entry point takes the
device lock, test the driver's "going away" flag (`data.flag_expr`, spelled with this
function's variables: `chip->shutdown`, `atomic_read(&chip->shutdown)`,
`snd_usb_lock_shutdown(chip)`...) and leave through the unlock:

    mutex_lock(&chip->mutex);
    if (chip->shutdown) {
        err = -ENODEV;
        goto unlock;          /* data.unlock_label, when the function has one */
    }

or, with no unlock label, `{ mutex_unlock(&chip->mutex); return -ENODEV; }`. The error value
is the one the file already returns after testing the same flag (e.g. -EIO in USB audio),
else -ENODEV; void functions just leave.

Applicability: **safe** when an unlock label exists and the function returns an int error
through an error variable; **unsafe** otherwise (the exit path and value are chosen here).
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
    call_of_statement,
    enclosing_statement,
    err_var_of,
    ladder_of,
    return_expr,
    unlock_for,
)

FIX_ID = "disconnect-check"


def _errno_for(ctx: FixContext, flag: str) -> str:
    pat = re.escape(flag).replace(r"\ ", r"\s*")
    m = re.search(r"if\s*\(\s*(?:unlikely\()?\s*" + pat + r"\s*\)?\s*\)\s*\{?\s*"
                  r"(?:\w+\s*=\s*|return\s+)(-E[A-Z]+)", ctx.text)
    return m.group(1) if m else "-ENODEV"


def _return_kind(ctx: FixContext, fn: Function) -> str | None:
    if fn.returns_void:
        return "void"
    if fn.returns_pointer:
        return None
    t = fn.node.child_by_field_name("type")
    tt = ctx.parsed.text_of(t).strip() if t is not None else ""
    if re.fullmatch(r"(?:unsigned\s+)?(?:int|long|ssize_t|s32|s64)", tt):
        return "int"
    return None


def _lock_statement(ctx: FixContext, fn: Function, finding: Finding) -> tree_sitter.Node | None:
    b = finding.data.get("lock_byte")
    if not isinstance(b, int):
        b = finding.span.start_byte
    if not (fn.body.start_byte <= b < fn.body.end_byte):
        return None
    node = ctx.parsed.tree.root_node.descendant_for_byte_range(b, b + 1)
    if node is None:
        return None
    st = enclosing_statement(node)
    if st.type != "expression_statement" or st.parent is None or \
            st.parent.type != "compound_statement":
        return None
    return st


def candidates(ctx: FixContext, facts: FunctionFacts | None, fn: Function,
               finding: Finding) -> list[Candidate]:
    flag = str(finding.data.get("flag_expr") or "")
    lock = str(finding.data.get("lock") or "")
    label = str(finding.data.get("unlock_label") or "")
    if not flag:
        return []
    kind = _return_kind(ctx, fn)
    if kind is None:
        return []
    st = _lock_statement(ctx, fn, finding)
    if st is None:
        return []
    sl, sc = ctx.pos(st.start_byte)
    el, ec = ctx.pos(st.end_byte)
    if ctx.line(sl)[:sc].strip() or ctx.line(el)[ec:].strip():
        return []
    ind = ctx.line(sl)[:sc]
    unit = ctx.indent_unit()
    errno = _errno_for(ctx, flag)
    app = Applicability.UNSAFE
    body: list[str]
    if label:
        if kind == "void":
            body = [f"goto {label};"]
        else:
            var = None
            ladder = ladder_of(ctx, fn)
            if ladder is not None and label in ladder.label_index:
                term = ladder.terminal(label)
                v = return_expr(ctx, term) if term is not None else None
                if v and re.fullmatch(r"[A-Za-z_]\w*", v):
                    var = v
            var = var or err_var_of(ctx, fn)
            if var is None:
                return []
            body = [f"{var} = {errno};", f"goto {label};"]
            app = Applicability.SAFE
    else:
        unlock = None
        c = call_of_statement(ctx, st)
        if c is not None:
            un = unlock_for(c[0])
            if un is not None:
                call = st.named_children[0]
                args = call.child_by_field_name("arguments")
                texts = [ctx.node_text(a).strip() for a in (args.named_children if args else [])]
                if un.endswith("irqrestore") and len(texts) >= 2:
                    unlock = f"{un}({texts[0]}, {texts[1]});"
                elif texts:
                    unlock = f"{un}({texts[0]});"
        if unlock is None and lock:
            unlock = f"mutex_unlock(&{lock});" if str(finding.data.get("lock_class", "")).startswith("mutex") else None
        if unlock is None:
            return []
        ret = "return;" if kind == "void" else f"return {errno};"
        body = [unlock, ret]
    text = f"{ind}if ({flag}) {{\n" + "".join(f"{ind}{unit}{s}\n" for s in body) + f"{ind}}}\n"
    if len(body) == 1:
        text = f"{ind}if ({flag})\n{ind}{unit}{body[0]}\n"
    edit = ctx.insert_at(el + 1, 0, text)
    return [Candidate(f"Test `{flag}` after taking the lock", [edit], app, FIX_ID)]
