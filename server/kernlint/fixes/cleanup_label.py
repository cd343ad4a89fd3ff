"""Cleanup label / unwind ladder (KL101, KL201, KL301): send a leaking exit through the
function's unwind code.

Three shapes, tried in this order:

* **jump to an existing label** — the exit `return err;` becomes `goto err_free_card;`
  (`err = -ENOMEM; goto ...;` for a constant) when the ladder from that label releases
  exactly what is held at the exit: another `goto` to the label holds the same resources
  and locks (read from the facts), or the label's statements release exactly them.
  Applicability: **safe** when the match is exact and the ladder does nothing else;
  unsafe when the label's code also does something we cannot read.
* **new rung** — a new label with the release is put in the ladder just above the label
  that releases everything else held at the exit (reverse order of acquisition), or, when
  the ladder has no such rung, a new ladder is appended after the function's last return
  (`err_free_x:\\n\\tkfree(x);\\n\\treturn err;`). Labels are named like the function's
  (err_/error_/fail_/out_ + verb + resource) and indented like the file. **Unsafe**: a new
  release call is written and the rung order is inferred.
* **release in the ladder** — when the leak is inside the unwind code itself (a rung lost
  its release), the release is put back into the rung that the leaking paths enter last, in
  reverse order of acquisition, provided every path through that point holds the resource.
  **Unsafe**.

Every title starts with "Add cleanup label".
"""

from __future__ import annotations

import re

import tree_sitter

from ..facts import FunctionFacts, State, norm
from ..model import Applicability, Finding, TextEdit
from ..syntax import Function
from .base import (
    NULL_TOLERANT,
    Candidate,
    FixContext,
    Item,
    Ladder,
    call_of_statement,
    entering_states,
    err_var_of,
    finding_exit,
    held_items,
    is_release_like,
    jump_statements,
    label_targets,
    ladder_of,
    release_text_for,
    releases_item,
    replace_statement,
    res_in,
    return_expr,
    states_at,
)

FIX_REUSE = "cleanup-label.reuse"
FIX_RUNG = "cleanup-label.new-rung"
FIX_LADDER = "cleanup-label.release-in-ladder"

_VERBS = ("unlock", "free", "put", "release", "disable", "unregister", "unmap", "destroy",
          "remove", "unprepare", "iounmap", "deinit", "cleanup", "exit", "close", "stop", "up")


def _chain(ladder: Ladder, label: str, hops: int = 3) -> tuple[list[tree_sitter.Node], tree_sitter.Node | None]:
    """Statements run from label (following gotos into other labels) and the final return."""
    out: list[tree_sitter.Node] = []
    cur = label
    for _ in range(hops):
        if cur not in ladder.label_index:
            return out, None
        ch = ladder.chain(cur)
        if not ch:
            return out, None
        last = ch[-1]
        if last.type == "return_statement":
            return out + ch[:-1], last
        if last.type == "goto_statement":
            out += ch[:-1]
            lab = last.child_by_field_name("label")
            if lab is None:
                return out, None
            cur = lab.text.decode() if lab.text else ""
            continue
        return out + ch, None
    return out, None


def _acquire_byte(ctx: FixContext, facts: FunctionFacts, item: Item) -> int:
    cfg = facts.cfg
    assert cfg is not None
    if item[0] == "r":
        n = cfg.nodes[int(item[1])]  # type: ignore[call-overload]
        return n.ast.start_byte if n.ast is not None else 0
    nodes = facts.lock_acquires.get(str(item[1]), [])
    bytes_ = [cfg.nodes[i].ast.start_byte for i in nodes if cfg.nodes[i].ast is not None]  # type: ignore[union-attr]
    return min(bytes_) if bytes_ else 0


def _matched(ctx: FixContext, stmt: tree_sitter.Node, states: list[State],
             items: set[Item]) -> tuple[set[Item], bool]:
    """(items this ladder statement releases, whether it is an unexplained release)."""
    c = call_of_statement(ctx, stmt)
    if c is None:
        return set(), False
    name, args = c
    hit: set[Item] = set()
    for st in states:
        for it in items:
            res = res_in(st, int(it[1])) if it[0] == "r" else None  # type: ignore[call-overload]
            if releases_item(ctx, name, args, st, it, res):
                hit.add(it)
    if hit:
        return hit, False
    return set(), is_release_like(ctx, name)


def label_name(ctx: FixContext, fn: Function, finding: Finding, existing: set[str],
               release: tuple[str, str] | None = None) -> str:
    prefix = "err_"
    labels = list(existing)
    if labels:
        firsts = [re.split(r"_", lab)[0] for lab in labels]
        common = max(set(firsts), key=firsts.count)
        if common and common not in ("out", "exit", "done", "unlock", "end"):
            prefix = common + "_"
        elif common in ("out", "exit"):
            prefix = common + "_"
    if release is None and finding.rule.startswith("KL2"):
        base = "unlock"
    else:
        rel, what = release or (str(finding.data.get("release_fn") or ""), finding.resource)
        verb = next((v for v in _VERBS if re.search(r"(?:^|_)" + v + r"(?:_|$)", rel)), "free")
        if verb == "unlock":
            what = ""
        res = re.findall(r"[A-Za-z_]\w*", what or "")
        base = f"{verb}_{res[-1]}" if res else verb
    name = prefix + base if not base.startswith(prefix) else base
    name = re.sub(r"__+", "_", name)
    n, cand = 2, name
    while cand in existing:
        cand = f"{name}{n}"
        n += 1
    return cand


def _label_indent(ctx: FixContext) -> str:
    for ln in ctx.lines:
        m = re.match(r"^([ \t]*)[A-Za-z_]\w*:\s*(?:/[*/].*)?$", ln)
        if m and not re.match(r"\s*(default|public|private)\b", ln):
            return m.group(1)
    return ""


def _passing_labels(ladder: Ladder, at: int, own: list[str]) -> list[str]:
    """Labels whose code runs through an insertion point just before ladder statement `at`
    (own: the labels of statement `at` that sit above the insertion point)."""
    labels = list(own)
    i = at - 1
    while i >= 0:
        st = ladder.stmts[i]
        if st.node.type in ("return_statement", "goto_statement"):
            break
        labels += st.labels
        i -= 1
    return labels


def _states_ok_through(facts: FunctionFacts, ladder: Ladder, labels: list[str], item: Item,
                       finding: Finding, release_fn: str) -> bool:
    """Every path entering the ladder at one of `labels` holds item (or failed to acquire it
    and the release accepts NULL)."""
    cfg = facts.cfg
    assert cfg is not None
    for lab in labels:
        lid = cfg.labels.get(lab)
        if lid is None:
            continue
        for lst in entering_states(facts, lid, ladder.start):
            if item in held_items(lst):
                continue
            if item[0] == "r" and release_fn in NULL_TOLERANT and \
                    _failed(lst.fact(norm(finding.resource))):
                continue
            return False
    return True


def _failed(v: frozenset[str]) -> bool:
    from ..knowledge import N, Z

    return bool(v) and v <= frozenset({N, Z})


def candidates(ctx: FixContext, facts: FunctionFacts, fn: Function, finding: Finding) -> list[Candidate]:
    cfg = facts.cfg
    assert cfg is not None
    exit_info = finding_exit(facts, finding)
    if exit_info is None:
        return []
    item, exit_node, states = exit_info
    rel = release_text_for(ctx, facts, finding, states[0])
    ex_node = cfg.nodes[exit_node].ast
    if ex_node is not None and ex_node.type == "return_statement":
        from .release_before_return import pm_failure_release

        rel = pm_failure_release(ctx, facts, finding, ex_node) or rel
    if rel is None:
        return []
    ladder = ladder_of(ctx, fn)
    ex = cfg.nodes[exit_node]
    ex_ast = ex.ast
    ex_line = ctx.pos(ex_ast.start_byte)[0] if ex_ast is not None else fn.span.end_line
    in_ladder = ladder is not None and ladder.order and ex_line > ladder.label_line[ladder.order[0]]
    if ladder is not None and in_ladder:
        c = _in_ladder(ctx, facts, fn, finding, item, ladder, rel)
        return [c] if c is not None else []
    if ex_ast is None or ex_ast.type != "return_statement":
        return []
    out: list[Candidate] = []
    if ladder is not None:
        out += _reuse(ctx, facts, fn, finding, item, ladder, states, ex_ast)
        if any(c.applicability == Applicability.SAFE for c in out):
            return out
        split = _split(ctx, facts, fn, finding, ladder, ex_ast)
        if split is not None:
            return [split, *out]
    rung = _new_rung(ctx, facts, fn, finding, item, ladder, states, ex_ast, rel)
    if rung is not None:
        out.append(rung)
    return out


# ---------------------------------------------------------------- reuse an existing label
def _reuse(ctx: FixContext, facts: FunctionFacts, fn: Function, finding: Finding, item: Item,
           ladder: Ladder, states: list[State], ex_ast: tree_sitter.Node) -> list[Candidate]:
    cfg = facts.cfg
    assert cfg is not None
    value = return_expr(ctx, ex_ast)
    if value is None:
        return []
    all_exit = [e.state for e in facts.exits if e.node == finding.data.get("exit_node")]
    family_e = {held_items(s) for s in all_exit}
    held_e: set[Item] = set().union(*family_e) if family_e else set()
    targets = label_targets(cfg)
    ex_line = ctx.pos(ex_ast.start_byte)[0]
    ranked: list[tuple[int, int, Candidate]] = []
    for idx, lab in enumerate(ladder.order):
        if ladder.label_line.get(lab, -1) <= ex_line:
            continue
        body, term = _chain(ladder, lab)
        if term is None:
            continue
        lv = return_expr(ctx, term)
        if lv is None:
            continue
        stmts = jump_statements(value, lv, lab)
        if stmts is None:
            continue
        # 1. the facts: what other gotos to this label hold
        family_l = set()
        for g in targets.get(lab, []):
            for st in states_at(facts, g):
                family_l.add(held_items(st))
        rank = None
        if family_l and family_e <= family_l:
            rank = 0
        # 2. the text: what the label's statements release
        matched: set[Item] = set()
        unexplained = complex_ = False
        for s in body:
            if s.type == "expression_statement":
                got, unexp = _matched(ctx, s, all_exit, held_e)
                matched |= got
                unexplained |= unexp
                if call_of_statement(ctx, s) is None:
                    complex_ = True
            elif s.type not in ("comment", ";"):
                complex_ = True
        if item not in matched and rank is None:
            continue
        if rank is None:
            if unexplained:
                continue
            rank = 1 if (matched == held_e and not complex_) else 2
        edits = replace_statement(ctx, ex_ast, stmts)
        if edits is None:
            continue
        app = Applicability.SAFE if rank <= 1 else Applicability.UNSAFE
        near = [abs(ctx.pos(cfg.nodes[g].ast.start_byte)[0] - ex_line)  # type: ignore[union-attr]
                for g in targets.get(lab, []) if cfg.nodes[g].ast is not None]
        ranked.append((rank, min(near) if near else 10**6 - idx, Candidate(f"Add cleanup label: goto {lab}", edits, app,
                                             FIX_REUSE)))
    ranked.sort(key=lambda t: (t[0], t[1]))
    if ranked and ranked[0][0] <= 1:
        ranked = [t for t in ranked if t[0] <= 1]
    return [c for _, _, c in ranked]


# ---------------------------------------------------------------- a label inside a rung
def _split(ctx: FixContext, facts: FunctionFacts, fn: Function, finding: Finding,
           ladder: Ladder, ex_ast: tree_sitter.Node) -> Candidate | None:
    """A new label in the middle of the ladder, where the statements below it release exactly
    what is held at the exit (the rung that releases the rest already exists)."""
    cfg = facts.cfg
    assert cfg is not None
    value = return_expr(ctx, ex_ast)
    if value is None:
        return None
    all_exit = [e.state for e in facts.exits if e.node == finding.data.get("exit_node")]
    held_e: set[Item] = set().union(*(held_items(s) for s in all_exit)) if all_exit else set()
    ex_line = ctx.pos(ex_ast.start_byte)[0]
    for p, ls in enumerate(ladder.stmts):
        if ls.labels or ls.node.type in ("return_statement", "goto_statement"):
            continue
        sl, sc = ctx.pos(ls.node.start_byte)
        if sl <= ex_line or ctx.line(sl)[:sc].strip():
            continue
        matched: set[Item] = set()
        bad = False
        term = None
        for st in ladder.stmts[p:]:
            if st.node.type == "return_statement":
                term = st.node
                break
            if st.node.type != "expression_statement" or call_of_statement(ctx, st.node) is None:
                if st.node.type not in ("comment",):
                    bad = True
                    break
                continue
            got, unexp = _matched(ctx, st.node, all_exit, held_e)
            matched |= got
            bad = bad or unexp
        if bad or term is None or matched != held_e:
            continue
        lv = return_expr(ctx, term)
        c = call_of_statement(ctx, ls.node)
        name = label_name(ctx, fn, finding, set(cfg.labels),
                          (c[0], c[1][0] if c[1] else "") if c is not None else None)
        stmts = jump_statements(value, lv, name) if lv is not None else None
        if stmts is None:
            return None
        edits = replace_statement(ctx, ex_ast, stmts)
        if edits is None:
            return None
        ins = ctx.insert_at(sl, 0, f"{_label_indent(ctx)}{name}:\n")
        return Candidate(f"Add cleanup label: {name} (goto {name})", [*edits, ins],
                         Applicability.SAFE, FIX_RUNG)
    return None


# ---------------------------------------------------------------- a new rung / a new ladder
def _new_rung(ctx: FixContext, facts: FunctionFacts, fn: Function, finding: Finding, item: Item,
              ladder: Ladder | None, states: list[State], ex_ast: tree_sitter.Node,
              rel: str) -> Candidate | None:
    cfg = facts.cfg
    assert cfg is not None
    value = return_expr(ctx, ex_ast)
    if value is None:
        return None
    unit = ctx.indent_unit()
    lab_ind = _label_indent(ctx)
    existing = set(cfg.labels)
    name = label_name(ctx, fn, finding, existing)
    release_fn = str(finding.data.get("release_fn") or "")
    all_exit = [e.state for e in facts.exits if e.node == finding.data.get("exit_node")]
    held_e = set().union(*(held_items(s) for s in all_exit)) if all_exit else set()
    rest = held_e - {item}
    ex_line = ctx.pos(ex_ast.start_byte)[0]
    targets = label_targets(cfg)
    if ladder is not None and rest:
        # the rung that releases everything else held here: fall through into it
        for lab in ladder.order:
            if ladder.label_line.get(lab, -1) <= ex_line:
                continue
            fam = {held_items(st) for g in targets.get(lab, []) for st in states_at(facts, g)}
            if fam != {frozenset(rest)}:
                continue
            _body, term = _chain(ladder, lab)
            if term is None:
                continue
            lv = return_expr(ctx, term)
            stmts = jump_statements(value, lv or "", name) if lv is not None else None
            if stmts is None:
                continue
            upto = ladder.label_index[lab]
            if not _states_ok_through(facts, ladder, _passing_labels(ladder, upto, []), item,
                                      finding, release_fn):
                continue
            line = ladder.label_line[lab]
            ins = ctx.insert_at(line, 0, f"{lab_ind}{name}:\n{unit}{rel}\n")
            edits = replace_statement(ctx, ex_ast, stmts)
            if edits is None:
                return None
            return Candidate(f"Add cleanup label: {name} (goto {name})", [*edits, ins],
                             Applicability.UNSAFE, FIX_RUNG)
    # a new ladder after the function's last statement
    items = [c for c in fn.body.named_children if c.type != "comment"]
    if not items:
        return None
    last = items[-1]
    while last.type == "labeled_statement":
        inner = [c for c in last.named_children if c.type != "statement_identifier"]
        if not inner:
            break
        last = inner[-1]
    if last.type not in ("return_statement", "goto_statement"):
        return None
    if fn.returns_void:
        ret_value, stmts = "", ["goto " + name + ";"]
        if value:
            return None
    elif re.fullmatch(r"[A-Za-z_]\w*", value or "") and value not in ("NULL",):
        ret_value, stmts = value, [f"goto {name};"]
    else:
        ev = err_var_of(ctx, fn)
        if ev is not None and not fn.returns_pointer and re.fullmatch(r"-?\s*[A-Z][A-Z0-9_]*|-?\d+", value or ""):
            ret_value, stmts = ev, [f"{ev} = {value};", f"goto {name};"]
        else:
            ret_value, stmts = value or "", [f"goto {name};"]
    if rest:
        return None  # other things are held too and no rung releases them: do not guess
    close_line = ctx.pos(fn.body.end_byte - 1)[0]
    close_col = ctx.pos(fn.body.end_byte - 1)[1]
    if ctx.line(close_line)[:close_col].strip():
        return None
    ret = f"return {ret_value};" if ret_value else "return;"
    ins = ctx.insert_at(close_line, 0, f"\n{lab_ind}{name}:\n{unit}{rel}\n{unit}{ret}\n")
    edits = replace_statement(ctx, ex_ast, stmts)
    if edits is None:
        return None
    return Candidate(f"Add cleanup label: {name} (goto {name})", [*edits, ins],
                     Applicability.UNSAFE, FIX_RUNG)


# ---------------------------------------------------------------- release inside the ladder
def _in_ladder(ctx: FixContext, facts: FunctionFacts, fn: Function, finding: Finding, item: Item,
               ladder: Ladder, rel: str) -> Candidate | None:
    cfg = facts.cfg
    assert cfg is not None
    release_fn = str(finding.data.get("release_fn") or "")
    holding: list[int] = []
    for idx, lab in enumerate(ladder.order):
        lid = cfg.labels.get(lab)
        if lid is None:
            continue
        if any(item in held_items(st) for st in entering_states(facts, lid, ladder.start)):
            holding.append(idx)
    if not holding:
        return None
    lab = ladder.order[holding[-1]]
    start = ladder.label_index[lab]
    # the rung: statements of this label up to the next label or return/goto
    end = start
    while end < len(ladder.stmts):
        st = ladder.stmts[end]
        if end > start and st.labels:
            break
        if st.node.type in ("return_statement", "goto_statement"):
            break
        end += 1
    mine = _acquire_byte(ctx, facts, item)
    lid = cfg.labels[lab]
    lab_states = entering_states(facts, lid, ladder.start)
    held: set[Item] = set()
    for lst in lab_states:
        held |= held_items(lst)
    at = end
    for i in range(start, end):
        got, _ = _matched(ctx, ladder.stmts[i].node, lab_states, held - {item})
        if got and min(_acquire_byte(ctx, facts, it) for it in got) < mine:
            at = i
            break
    if item[0] == "l":
        # an unlock goes before trailing calls (frees, logging), after state updates
        while at > start:
            c = call_of_statement(ctx, ladder.stmts[at - 1].node)
            if c is None or ctx.k.locks.get(c[0]) is not None:
                break
            at -= 1
    unit = ctx.indent_unit()
    own: list[str] = []
    if at < len(ladder.stmts):
        node = ladder.stmts[at].node
        labs = ladder.stmts[at].labels
        sl, sc = ctx.pos(node.start_byte)
        if at == start and lab in labs and labs.index(lab) + 1 < len(labs):
            # several labels on one statement: go between ours and the next one
            own = labs[:labs.index(lab) + 1]
            line, ind = ladder.label_line[labs[labs.index(lab) + 1]], unit
        elif labs and at != start:
            line, ind = ladder.label_line[labs[0]], unit
        elif ctx.line(sl)[:sc].strip():
            return None
        else:
            own = list(labs)
            line, ind = sl, ctx.line(sl)[:sc]
    else:
        line, ind = ctx.pos(fn.body.end_byte - 1)[0], unit
    if not _states_ok_through(facts, ladder, _passing_labels(ladder, at, own), item, finding,
                              release_fn):
        return None
    edit: TextEdit = ctx.insert_at(line, 0, f"{ind}{rel}\n")
    return Candidate(f"Add cleanup label: release in `{lab}` ({rel})", [edit],
                     Applicability.UNSAFE, FIX_LADDER)
