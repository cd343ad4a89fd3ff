"""Add a lock around a critical section (KR401 unguarded field access, KR402 check-then-act,
and the "add mutex around selection" refactoring).

The statements named by the finding (`data.stmt_lines`, extended to whole statements of one
block) are wrapped with the lock that guards the field elsewhere (`data.lock`), taken the
way the file takes it elsewhere (`spin_lock_irqsave(&chip->lock, flags)` adds `unsigned long
flags;` when the function has none). Every `return`/`goto` leaving the region gets the
unlock first, so every exit stays balanced. Where the file already uses guard(), the
scope-based form is offered as well: `guard(mutex)(&chip->lock);` when the region runs to
the end of its block, `scoped_guard(mutex, &chip->lock) { ... }` otherwise.

For a selection, the lock is the one most often held in this file where the selected fields
are accessed. When the struct has no such lock, the fix adds `struct mutex lock;` to the
struct definition and `mutex_init(&x->lock);` where the struct is allocated in this file
(a multi-site edit).

Applicability: always **unsafe** — taking a lock changes behaviour (sleeping under a
spinlock, lock order, IRQ context), so a human must read it.
"""

from __future__ import annotations

import re
from collections import Counter

import tree_sitter

from ..facts import FunctionFacts
from ..model import Applicability, Finding, Fix, Severity, Span
from ..syntax import Function
from .base import Candidate, FixContext, insert_before_statement, unlock_for

FIX_WRAP = "add-lock.wrap"
FIX_GUARD = "add-lock.guard"
FIX_FIELD = "add-lock.new-field"


def _line_of(ctx: FixContext, byte: int) -> int:
    return ctx.pos(byte)[0]


def region(ctx: FixContext, fn: Function, a: int, b: int) -> list[tree_sitter.Node] | None:
    """Whole consecutive statements of the innermost block covering lines a..b."""
    best: tree_sitter.Node | None = None
    stack = [fn.body]
    while stack:
        n = stack.pop()
        if n.type == "compound_statement":
            lo, hi = _line_of(ctx, n.start_byte), _line_of(ctx, n.end_byte)
            if (lo < a and b < hi) or (n.id == fn.body.id and lo <= a and b <= hi):
                if best is None or n.end_byte - n.start_byte < best.end_byte - best.start_byte:
                    best = n
        stack.extend(n.named_children)
    if best is None:
        return None
    kids = [c for c in best.named_children if c.type != "comment"]
    sel = [c for c in kids if _line_of(ctx, c.end_byte) >= a and _line_of(ctx, c.start_byte) <= b]
    if not sel:
        return None
    return sel


def _exits_inside(nodes: list[tree_sitter.Node]) -> tuple[list[tree_sitter.Node], bool]:
    """(return/goto statements leaving the region, whether a break/continue/label escapes)."""
    out: list[tree_sitter.Node] = []
    bad = False
    lo, hi = nodes[0].start_byte, nodes[-1].end_byte

    def walk(n: tree_sitter.Node, loop_depth: int, switch_depth: int) -> None:
        nonlocal bad
        t = n.type
        if t in ("return_statement",):
            out.append(n)
            return
        if t == "goto_statement":
            out.append(n)
            return
        if t == "labeled_statement":
            bad = True
        if t == "break_statement" and loop_depth == 0 and switch_depth == 0:
            bad = True
        if t == "continue_statement" and loop_depth == 0:
            bad = True
        if t in ("for_statement", "while_statement", "do_statement"):
            loop_depth += 1
        if t == "switch_statement":
            switch_depth += 1
        for c in n.named_children:
            walk(c, loop_depth, switch_depth)

    for n in nodes:
        walk(n, 0, 0)
    del lo, hi
    return out, bad


def _lock_fn_for(ctx: FixContext, lock: str, cls: str) -> str:
    uses: Counter[str] = Counter()
    member = lock[lock.rfind("->"):] if "->" in lock else lock
    for facts in ctx.facts_by_name.values():
        for _node, name, args in facts.calls:
            lo = ctx.k.locks.get(name)
            if lo is None or not lo.op.startswith("acquire") or lo.op != "acquire" or not args:
                continue
            if args[0] == lock or args[0].endswith(member):
                uses[name] += 1
    if uses:
        return uses.most_common(1)[0][0]
    return "mutex_lock" if cls.startswith("mutex") else "spin_lock_irqsave"


def _held_in_region(facts: FunctionFacts | None, nodes: list[tree_sitter.Node], lock: str) -> bool:
    if facts is None or facts.cfg is None:
        return False
    lo, hi = nodes[0].start_byte, nodes[-1].end_byte
    for n in facts.cfg.nodes:
        if n.ast is not None and lo <= n.ast.start_byte < hi and lock in facts.may_locks.get(n.id, ()):
            return True
    return False


def _starts_line(ctx: FixContext, node: tree_sitter.Node) -> bool:
    sl, sc = ctx.pos(node.start_byte)
    return not ctx.line(sl)[:sc].strip()


def _ends_line(ctx: FixContext, node: tree_sitter.Node) -> bool:
    el, ec = ctx.pos(node.end_byte)
    rest = ctx.line(el)[ec:].strip()
    return not rest or rest.startswith(("/*", "//"))


def wrap(ctx: FixContext, facts: FunctionFacts | None, fn: Function, nodes: list[tree_sitter.Node],
         lock: str, cls: str, kind: str = "quickfix") -> list[Candidate]:
    if not nodes or not _starts_line(ctx, nodes[0]) or not _ends_line(ctx, nodes[-1]):
        return []
    if _held_in_region(facts, nodes, lock):
        return []
    exits, bad = _exits_inside(nodes)
    if bad:
        return []
    unit = ctx.indent_unit()
    first_line = ctx.pos(nodes[0].start_byte)[0]
    last_line = ctx.pos(nodes[-1].end_byte)[0]
    ind = ctx.indent_of_line(first_line)
    out: list[Candidate] = []
    # lock / unlock pair
    lock_fn = _lock_fn_for(ctx, lock, cls)
    unlock_fn = unlock_for(lock_fn)
    if unlock_fn is not None:
        edits = []
        extra_decl = None
        if lock_fn.endswith("irqsave"):
            lock_s, unlock_s = f"{lock_fn}(&{lock}, flags);", f"{unlock_fn}(&{lock}, flags);"
            if not re.search(r"\bunsigned\s+long\s+(?:\w+\s*,\s*)*flags\b", ctx.node_text(fn.body)):
                bl = ctx.pos(fn.body.start_byte)[0]
                kids = [k for k in fn.body.named_children if k.type != "comment"]
                gap = "" if kids and kids[0].type == "declaration" else "\n"
                extra_decl = ctx.insert_at(bl + 1, 0, f"{unit}unsigned long flags;\n{gap}")
        else:
            lock_s, unlock_s = f"{lock_fn}(&{lock});", f"{unlock_fn}(&{lock});"
        ok = True
        for ex in exits:
            e = insert_before_statement(ctx, ex, [unlock_s])
            if e is None:
                ok = False
                break
            edits += e
        if ok:
            edits.append(ctx.insert_at(first_line, 0, f"{ind}{lock_s}\n"))
            edits.append(ctx.insert_at(last_line + 1, 0, f"{ind}{unlock_s}\n"))
            if extra_decl is not None:
                edits.append(extra_decl)
            out.append(Candidate(f"Hold `{lock}` here: {lock_fn}() / {unlock_fn}()", edits,
                                 Applicability.UNSAFE, FIX_WRAP, kind))
    # guard() forms where the file uses them
    gm = re.search(r"\b(?:scoped_)?guard\((\w+)", ctx.text)
    if gm:
        gcls = "mutex" if cls.startswith("mutex") else (
            "spinlock_irqsave" if lock_fn.endswith("irqsave") else "spinlock")
        own = re.search(r"\bguard\((\w+)\)\(&" + re.escape(lock) + r"\)", ctx.text)
        if own:
            gcls = own.group(1)
        parent = nodes[0].parent
        kids = [c for c in parent.named_children if c.type != "comment"] if parent else []
        to_end = bool(kids) and kids[-1].id == nodes[-1].id
        if to_end:
            edits = [ctx.insert_at(first_line, 0, f"{ind}guard({gcls})(&{lock});\n")]
            out.append(Candidate(f"Hold `{lock}` here: guard({gcls})", edits,
                                 Applicability.UNSAFE, FIX_GUARD, kind))
        else:
            body = []
            for ln in range(first_line, last_line + 1):
                s = ctx.line(ln)
                body.append(unit + s if s.strip() else s)
            new = f"{ind}scoped_guard({gcls}, &{lock}) {{\n" + "\n".join(body) + f"\n{ind}}}"
            span_end = len(ctx.line(last_line))
            b0 = ctx.parsed.lines.line_start(first_line)
            b1 = ctx.parsed.lines.line_start(last_line) + len(ctx.line(last_line).encode())
            from ..model import TextEdit

            edits = [TextEdit(Span(first_line, 0, last_line, span_end, b0, b1), new)]
            out.append(Candidate(f"Hold `{lock}` here: scoped_guard({gcls})", edits,
                                 Applicability.UNSAFE, FIX_GUARD, kind))
        if own:
            out.reverse()  # the file's own idiom first
    return out


def candidates(ctx: FixContext, facts: FunctionFacts | None, fn: Function,
               finding: Finding) -> list[Candidate]:
    lock = str(finding.data.get("lock") or "")
    cls = str(finding.data.get("lock_class") or "mutex")
    lines = finding.data.get("stmt_lines")
    if not lock or not re.fullmatch(r"[\w>.\-\[\]]+", lock):
        return []
    if isinstance(lines, (list, tuple)) and len(lines) == 2:
        a, b = int(lines[0]), int(lines[1])
    else:
        a, b = finding.span.start_line, finding.span.end_line
    nodes = region(ctx, fn, a, b)
    if nodes is None:
        return []
    return wrap(ctx, facts, fn, nodes, lock, cls)


# ---------------------------------------------------------------- selection
_FIELD_RE = re.compile(r"([A-Za-z_]\w*)\s*->\s*([A-Za-z_]\w*)")


def _guarding_lock(ctx: FixContext, base: str, fields: set[str]) -> tuple[str, str] | None:
    """(lock spelled with `base`, class) most often held where these fields are accessed."""
    votes: Counter[tuple[str, str]] = Counter()
    for facts in ctx.facts_by_name.values():
        cfg = facts.cfg
        if cfg is None:
            continue
        for n in cfg.nodes:
            held = facts.must_locks.get(n.id)
            if not held or n.ast is None or n.kind not in ("stmt", "cond", "return"):
                continue
            for m in _FIELD_RE.finditer(ctx.parsed.text_of(n.ast)):
                b, f = m.group(1), m.group(2)
                if f not in fields:
                    continue
                for lk in held:
                    if lk.startswith(b + "->") or lk.startswith(b + "."):
                        votes[(lk[len(b):], facts.lock_classes.get(lk, "mutex"))] += 1
    if not votes:
        return None
    (suffix, cls), _ = votes.most_common(1)[0]
    return base + suffix, cls


def selection_fixes(ctx: FixContext, start_line: int, end_line: int) -> list[Fix]:
    fn = next((f for f in ctx.parsed.functions
               if f.span.start_line <= start_line and end_line <= f.span.end_line), None)
    if fn is None:
        return []
    nodes = region(ctx, fn, start_line, end_line)
    if nodes is None:
        return []
    text = "".join(ctx.parsed.text_of(n) for n in nodes)
    accesses = _FIELD_RE.findall(text)
    if not accesses:
        return []
    base = Counter(b for b, _ in accesses).most_common(1)[0][0]
    fields = {f for b, f in accesses if b == base}
    facts = ctx.facts_of(fn.name)
    target = Finding("KR401", "selection", Span(start_line, 0, end_line, 0), Severity.HINT,
                     fn.name, f"{base}->selection")
    got = _guarding_lock(ctx, base, fields)
    if got is not None:
        lock, cls = got
        cands = wrap(ctx, facts, fn, nodes, lock, cls, "refactor.rewrite")
    else:
        cands = _new_field(ctx, facts, fn, nodes, base)
    return ctx.offer(target, fn, cands, rule="KR401")


def _new_field(ctx: FixContext, facts: FunctionFacts | None, fn: Function,
               nodes: list[tree_sitter.Node], base: str) -> list[Candidate]:
    ftext = ctx.parsed.original_text_of(fn.node)
    m = re.search(r"struct\s+(\w+)\s*\*\s*" + re.escape(base) + r"\b", ftext)
    if m is None:
        return []
    sname = m.group(1)
    # the struct definition in this file
    sdef = None
    stack = [ctx.parsed.tree.root_node]
    while stack:
        n = stack.pop()
        if n.type == "struct_specifier":
            name = n.child_by_field_name("name")
            body = n.child_by_field_name("body")
            if name is not None and body is not None and ctx.parsed.text_of(name) == sname:
                sdef = body
                break
        if n.type in ("translation_unit", "declaration", "type_definition", "preproc_ifdef",
                      "preproc_if", "preproc_else"):
            stack.extend(n.named_children)
        elif n.type == "struct_specifier":
            continue
    if sdef is None:
        return []
    stext = ctx.parsed.text_of(sdef)
    field = "lock"
    for cand in ("lock", "mutex", "op_mutex", "fix_mutex"):
        if not re.search(r"\b" + cand + r"\s*;", stext):
            field = cand
            break
    else:
        return []
    lock = f"{base}->{field}"
    close_line = ctx.pos(sdef.end_byte - 1)[0]
    fields_ind = ctx.indent_unit()
    for c in sdef.named_children:
        if c.type == "field_declaration":
            fields_ind = ctx.indent_of_line(ctx.pos(c.start_byte)[0])
            break
    if ctx.line(close_line)[:ctx.pos(sdef.end_byte - 1)[1]].strip():
        return []
    field_edit = ctx.insert_at(close_line, 0, f"{fields_ind}struct mutex {field};\n")
    # the allocation site of a `struct sname *` in this file
    init = None
    for other in ctx.parsed.functions:
        otext = ctx.parsed.original_text_of(other.node)
        for dm in re.finditer(r"struct\s+" + re.escape(sname) + r"\s*\*\s*(\w+)", otext):
            var = dm.group(1)
            am = re.search(r"^[ \t]*" + re.escape(var) +
                           r"\s*=\s*(?:devm_)?k[zm]alloc\b[^;]*;[^\n]*\n", otext, re.M)
            if am is None:
                am = re.search(r"^[ \t]*" + re.escape(var) + r"\s*=\s*\w+->private_data\s*;[^\n]*\n",
                               otext, re.M)
            if am is None:
                continue
            off = other.node.start_byte + len(otext[:am.end()].encode())
            line = ctx.pos(off)[0]
            ind = ctx.indent_of_line(line - 1)
            # after an immediate NULL check
            nxt = ctx.line(line).strip()
            if re.match(r"if\s*\(\s*!\s*" + re.escape(var) + r"\s*\)", nxt):
                j = line + 1
                if nxt.endswith("{"):
                    while j < len(ctx.lines) and ctx.line(j).strip() != "}":
                        j += 1
                    j += 1
                elif not nxt.endswith(";"):
                    j = line + 2
                line = j
            init = (line, f"{ind}mutex_init(&{var}->{field});\n")
            break
        if init is not None:
            break
    if init is None:
        return []
    init_edit = ctx.insert_at(init[0], 0, init[1])
    wrapped = wrap(ctx, facts, fn, nodes, lock, "mutex", "refactor.rewrite")
    wrapped = [c for c in wrapped if c.fix_id == FIX_WRAP]
    out = []
    for w in wrapped:
        sl0, sl1 = ctx.pos(sdef.start_byte)[0], close_line
        out.append(Candidate(f"Add `struct mutex {field};` to struct {sname} and hold it here",
                             [*w.edits, field_edit, init_edit], Applicability.UNSAFE, FIX_FIELD,
                             "refactor.rewrite", [(sl0, sl1 + 1), (init[0], init[0] + 1)]))
    return out
