"""Shared reasoning of the leak-shaped rules (KL101 memory/resources, KL301 references)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..cfg import closure, failure_label, last_index
from ..facts import ExitRecord, Res, base_name
from ..knowledge import Z
from ..model import Finding, Related
from .base import FunctionContext, Rule


def _exemplar(ctx: FunctionContext, r: Res) -> tuple[int, str] | None:
    rels = ctx.facts.releases.get(r.rid)
    return rels[0] if rels else None


def _unwinding_evidence(ctx: FunctionContext, ex: ExitRecord, r: Res) -> tuple[int, str] | None:
    """Evidence from the path itself that the function unwinds r's kind by hand and skipped r
    (a weak resource with no exemplar of its own). Returns (node, what it shows):

    - the container freed: a plain memory free of the object r hangs off (kfree(data) while
      data->rbuffer still holds a buffer);
    - an unwound sibling: the path undid another acquisition by the same API made after r
      (clk_prepare_enable(b) undone, clk_prepare_enable(a) before it not);
    - the ladder: r's own failure test jumps to label L_r, this path entered the unwind code
      at a label above L_r and fell through to it, so the code that was to release r (between
      the two labels) did not.
    """
    facts = ctx.facts
    cfg = facts.cfg
    if r.escaped or r.pending is not None or cfg is None:
        return None
    path = facts.path_to(ex.node, ex.state)
    if r.site not in path:
        return None
    at = last_index(path, r.site)  # a loop may have taken it again: the held one is the last
    after = path[at + 1:]
    pos = {n: i for i, n in enumerate(after)}
    # Only an undo on the way out counts: after the jump into the unwind code (or, without
    # one, after the last test that chose this exit); a free in a soft-failure branch the
    # function then carried on from (if (err) free(cache); ... return err2;) says nothing.
    kinds = [cfg.nodes[n].kind for n in after]
    gotos = [i for i, k in enumerate(kinds) if k == "goto"]
    conds = [i for i, k in enumerate(kinds) if k == "cond"]
    departure = gotos[-1] if gotos else (conds[-1] if conds else -1)
    out = {n for n, i in pos.items() if i > departure}  # the way out
    container = _container_freed(ctx, r, out)
    if container is not None:
        return container
    # fx_free_fmt(fx) on the way out may well release fx->fmt: stay silent.
    bases = {base_name(n) for n in r.names}
    for node, name, args in facts.calls:
        if node in out and ctx.knowledge.looks_like_unwind(name) and any(a in bases for a in args):
            return None
    sibling = _unwound_sibling(ctx, ex, r, pos, departure)
    if sibling is not None:
        node, fn = sibling
        return node, f"this path undoes a later {r.fn}() here with {fn}()"
    if gotos:
        return _ladder(ctx, ex, r, path[:at], pos, gotos[-1], after[gotos[-1]])
    return None


def _container_freed(ctx: FunctionContext, r: Res, out: set[int]) -> tuple[int, str] | None:
    """kfree(data) on the way out while data->rbuffer is still held: a plain memory free
    takes the block, never what its members point to."""
    if r.stem or not any("->" in n or "." in n for n in r.names):
        return None
    bases = {base_name(n) for n in r.names}
    for node, name, args in ctx.facts.calls:
        if node in out and args and args[0] in bases and _frees_memory_only(ctx, name):
            return node, (f"`{args[0]}` is freed here with {name}() while `{r.name}` still "
                          f"holds its {r.what or 'resource'}")
    return None


def _ladder(ctx: FunctionContext, ex: ExitRecord, r: Res, before: list[int],
            pos: dict[int, int], departure: int, goto_node: int) -> tuple[int, str] | None:
    """The path jumped into the unwind ladder above r's own failure label and fell through
    it without releasing r."""
    facts = ctx.facts
    cfg = facts.cfg
    # The ladder needs an acquisition the knowledge names (not a stem-paired guess, whose
    # object may be released under another name).
    if cfg is None or not r.releases or r.stem:
        return None
    entered = str(cfg.nodes[goto_node].data.get("label", ""))
    site_ast = cfg.nodes[r.site].ast
    own = failure_label(ctx.parsed, site_ast, r.names) if site_ast is not None else None
    own_node = cfg.labels.get(own) if own else None
    if own_node is None or own == entered or own_node not in pos or pos[own_node] <= departure:
        return None
    # An owner acquired before r going down on the way out (snd_card_free(card) for a
    # chip->buf) may take r, kept in a struct, with it through its destructor: no evidence
    # then. (A plain local is nobody's member.)
    earlier = set(before)
    if any("->" in n or "." in n for n in r.names) and any(
            (s := facts.released_res.get(rid)) is not None and not s.weak and s.site in earlier
            and any(node in pos and pos[node] > departure for node, _ in facts.releases.get(rid, ()))
            for rid in ex.state.released):
        return None
    return own_node, (f"`{r.name}`'s own failure jumps to `{own}`; this path entered the "
                      f"unwind code above it at `{entered}` and released nothing for it on "
                      f"the way down")


def _dead_unwind(ctx: FunctionContext, r: Res) -> tuple[int, str] | None:
    """Unwind code that releases r under a label no path reaches any more: the return that
    should have jumped there (`return ret;` typed for `goto err_mclk;`) skipped it."""
    if r.escaped or r.stem or not r.releases:
        return None
    for label, node, name, args in ctx.dead_label_calls():
        for rel in r.releases:
            if rel.fn == name and rel.arg < len(args) and args[rel.arg] in r.names:
                return node, (f"the unwind code at `{label}` releases it here with "
                              f"{name}(), but no path jumps there")
    return None


def _frees_memory_only(ctx: FunctionContext, name: str) -> bool:
    """kfree()/kvfree()/vfree(): every acquisition it releases is plain memory."""
    rels = ctx.knowledge.releases_of(name)
    return bool(rels) and all(acq is not None and acq.kind == "memory" for _rel, acq in rels)


def _unwound_sibling(ctx: FunctionContext, ex: ExitRecord, r: Res, pos: dict[int, int],
                     departure: int) -> tuple[int, str] | None:
    """The release (node, fn) of a later same-API acquisition this path undid after it left."""
    facts = ctx.facts
    if not ex.state.released:
        return None
    rel_fns = {rel.fn for rel in r.releases}
    for rid in ex.state.released:
        s = facts.released_res.get(rid)
        if s is None or rid == r.rid or s.site == r.site or s.fn != r.fn or s.names & r.names:
            continue
        if s.site not in pos:
            continue  # acquired before r (or elsewhere): not evidence of unwinding r's peers
        for node, fn in facts.releases.get(rid, ()):
            if (not rel_fns or fn in rel_fns) and node in pos and \
                    pos[node] > max(pos[s.site], departure):
                return node, fn
    return None


def _signature(ctx: FunctionContext) -> str:
    """The function's text before its body: return type, name and parameters."""
    fn = ctx.facts.function
    return ctx.parsed.text_of(fn.node)[: max(0, fn.body.start_byte - fn.node.start_byte)]


def _cannot_hand_back(ctx: FunctionContext) -> bool:
    """An interrupt handler or a control's get(): nobody it returns to will drop a
    runtime-PM count, a clock enable or a reference it leaves behind."""
    # (A put() may switch something on for as long as the control says so: not put().)
    return bool(re.match(r"\s*(?:static\s+)?(?:inline\s+)?irqreturn_t\b", _signature(ctx)) or
                (_control_callback(ctx) and ctx.facts.function.name.endswith("_get")))


def _control_callback(ctx: FunctionContext) -> bool:
    """A control's get()/put() (it takes a struct snd_ctl_elem_value *)."""
    return re.search(r"\bstruct\s+snd_ctl_elem_value\s*\*", _signature(ctx)) is not None


def _put_keeps_reference(ctx: FunctionContext, r: Res) -> bool:
    """A control's put() that takes a reference (snd_hda_power_up(codec)) and drops it on no
    path: the control core will not drop it either. (One that switches power on for as long
    as the control says so drops it on its other branch.)"""
    fn = ctx.facts.function
    rel_fns = {rel.fn for rel in r.releases}
    return r.kind == "ref" and fn.name.endswith("_put") and _control_callback(ctx) and \
        not any(name in rel_fns for _n, name, _a in ctx.facts.calls)


_RUNTIME_RESUME_RE = re.compile(r"RUNTIME_PM_OPS\s*\(\s*\w+\s*,\s*(\w+)|"
                                r"\.runtime_resume\s*=\s*&?\s*(\w+)")


def _runtime_resume_callbacks(ctx: FunctionContext) -> frozenset[str]:
    return ctx.parsed.derived("runtime_resume_callbacks", lambda p: frozenset(
        a or b for a, b in _RUNTIME_RESUME_RE.findall(p.src.decode(errors="replace"))))


def _failure_undone_by_nobody(ctx: FunctionContext) -> bool:
    """A runtime resume, or an enable step, that fails: the PM core keeps the device
    suspended and will not run its runtime suspend, and the caller of a failed foo_enable()
    does not call foo_disable(); a clock or supply switched on before failing stays on.
    (A component's system resume is not one: its result is ignored and the next suspend
    switches everything off.)"""
    name = ctx.facts.function.name
    return "runtime_resume" in name or name.endswith("_enable") or \
        name in _runtime_resume_callbacks(ctx)


def _released_on_other_success(ctx: FunctionContext, ex: ExitRecord, r: Res) -> bool:
    """Same outcome, same value: both exits return the same constant (IRQ_HANDLED, 0), so
    the caller cannot tell them apart and will not release it on one of them only."""
    if r.weak or r.escaped or r.pending is not None or r.stem:
        return False
    value = _returned_constant(ctx, ex)
    if value is None:
        return False
    # (The other exit holding nothing from the same API: a loop that put one adapter and
    # kept the next one released no less than this exit.)
    return any(not o.error and o.node != ex.node and r.rid in o.state.released and
               all(x.rid != r.rid and x.fn != r.fn for x in o.state.res) and
               _returned_constant(ctx, o) == value and
               (value != "0" or _returns_literal(ctx, o) or not _jumped(ctx, o)) and
               (not value.startswith("$") or not (_jumped(ctx, o) or _jumped(ctx, ex)))
               for o in ctx.facts.exits)


def _returns_literal(ctx: FunctionContext, ex: ExitRecord) -> bool:
    cfg = ctx.facts.cfg
    ast = cfg.nodes[ex.node].ast if cfg is not None else None
    return ast is not None and ast.type == "return_statement" and any(
        c.type == "number_literal" for c in ast.named_children)


def _jumped(ctx: FunctionContext, ex: ExitRecord) -> bool:
    """The path to ex went through a goto: `return ret;` in unwind code reached with ret
    still 0 is a failure that forgot its error code, not a second success."""
    cfg = ctx.facts.cfg
    return cfg is not None and any(cfg.nodes[n].kind == "goto"
                                   for n in ctx.facts.path_to(ex.node, ex.state))


def _returned_constant(ctx: FunctionContext, ex: ExitRecord) -> str | None:
    cfg = ctx.facts.cfg
    ast = cfg.nodes[ex.node].ast if cfg is not None else None
    if ast is None or ast.type != "return_statement":
        return None
    vals = [c for c in ast.named_children if c.type != "comment"]
    if len(vals) != 1 or vals[0].type not in ("number_literal", "identifier", "true", "false"):
        return None
    text = ctx.parsed.text_of(vals[0])
    # A constant: a literal or an upper-case name, or a variable known to be 0 on this path;
    # any other variable stands for itself ("$ret" and what is known of it), compared only
    # between exits not reached through a goto.
    if vals[0].type != "identifier" or text.isupper():
        return text
    known = ex.state.fact(text)
    if known == frozenset({Z}):
        return "0"
    # (what is known of it must match too: `if (ret > 0) return ret;` is another outcome)
    return "$" + text + ":" + ",".join(sorted(known))


def _before_loop_handoff(ctx: FunctionContext, ex: ExitRecord, r: Res, esc: set[int]) -> bool:
    """The exit leaves the loop body on a pass that has not reached the hand-off yet
    (list_add() at the bottom of the pass, `return -ENOMEM` in the middle of the first one):
    this path is walked precisely, unlike the zero-pass path to an exit after the loop."""
    cfg = ctx.facts.cfg
    if cfg is None or r.escaped:
        return False
    path = ctx.facts.path_to(ex.node, ex.state)
    if r.site not in path:
        return False
    tests = [n for n in path[last_index(path, r.site):] if cfg.nodes[n].kind == "cond"]
    if not tests:
        return False
    # The test that chose this exit comes before the hand-off in the same pass: the hand-off
    # is ahead of it without going round a loop again (so an inner loop that ran zero times
    # before this test, or an earlier pass, does not count).
    ahead = closure([tests[-1]], lambda n: [s for s in cfg.nodes[n].succ
                                           if cfg.nodes[s].kind not in ("loop_head", "iter_next")])
    return any(e in ahead for e in esc)


def _verdict(ctx: FunctionContext, ex: ExitRecord, r: Res) -> tuple[bool, tuple[int, str] | None]:
    """Whether r is reported at ex, and the path's unwinding evidence when that decided it."""
    esc = ctx.facts.loop_escapes.get(r.rid)
    cfg = ctx.facts.cfg
    # Handed off inside a loop; the zero-iteration path is not trusted. An exit the hand-off
    # reaches only through r's own acquisition again (request_firmware(&fw) at the top of the
    # loop, stored at its bottom) holds the next iteration's object, which the walk tracks.
    if esc and cfg is not None and ex.node in closure(
            esc, lambda n: [s for s in cfg.nodes[n].succ if s != r.site]) and \
            not _before_loop_handoff(ctx, ex, r, esc):
        return False, None
    if r.iter_ref:
        return not r.weak, None  # a loop node stored into something handed off was kept on purpose
    if not ex.error:
        # A success return that still holds what another success return of the function has
        # released (`return IRQ_HANDLED;` in the middle of a handler whose `out:` path puts).
        if _released_on_other_success(ctx, ex, r):
            return True, None
        if r.take_arg and not (r.weak or r.pending is not None or r.stem) and \
                (_cannot_hand_back(ctx) or _put_keeps_reference(ctx, r)):
            return True, None
        dead = _dead_unwind(ctx, r) if not (r.weak or r.pending is not None) else None
        return dead is not None, dead
    # A void function's failure return (`if (ret) return;`): reported only where the
    # function releases it itself on another path; its caller learns nothing.
    if ex.void and ctx.facts.function.returns_void and r.rid not in ctx.facts.releases:
        return False, None
    # Guessed, struct-held or handed-off resources need the function's own exemplar: a
    # release on an error path, done while the resource was in that same weak state.
    if r.escaped:  # handed off (a guess): the function must release it after that too
        return r.rid in ctx.facts.error_exemplars and r.rid in ctx.facts.escaped_releases, None
    if not r.weak or (r.rid in ctx.facts.error_exemplars and r.rid in ctx.facts.weak_releases):
        return True, None
    evidence = _unwinding_evidence(ctx, ex, r) or _dead_unwind(ctx, r)
    if evidence is None and r.take_arg and not r.stem and r.pending is None and \
            _failure_undone_by_nobody(ctx):
        return True, None
    return evidence is not None, evidence


def _reportable(ctx: FunctionContext, ex: ExitRecord, r: Res) -> bool:
    return _verdict(ctx, ex, r)[0]


def leak_findings(rule: Rule, ctx: FunctionContext, kinds: frozenset[str]) -> Iterator[Finding]:
    facts = ctx.facts
    if facts.truncated or not facts.walked or facts.cfg is None:
        return
    seen: set[tuple[int, int]] = set()
    fn = facts.function
    for ex in sorted(facts.exits, key=lambda e: e.node):
        for r in sorted(ex.state.res, key=lambda r: r.rid):
            kind = "ref" if r.iter_ref else r.kind
            if kind == "unknown":
                kind = "memory"
            if kind not in kinds or (ex.node, r.rid) in seen:
                continue
            reported, evidence = _verdict(ctx, ex, r)
            if not reported:
                continue
            seen.add((ex.node, r.rid))
            span = ctx.span_of_node(ex.node)
            acquire_span = ctx.span_of_node(r.site)
            ex_rel = _exemplar(ctx, r)
            related: list[Related] = [
                Related(acquire_span, f"`{r.name}` acquired here by {r.fn}()")
            ]
            related += ctx.path_steps(ex, since=r.site)
            if ex_rel is not None:
                related.append(Related(ctx.span_of_node(ex_rel[0]),
                                       f"released here by {ex_rel[1]}() on another path"))
            if evidence is not None:
                related.append(Related(ctx.span_of_node(evidence[0]), evidence[1]))
            what = r.what or ("reference" if kind == "ref" else "resource")
            if r.iter_ref:
                msg = (f"`{r.name}` still holds a {what} from {r.fn}() when the loop is left "
                       f"here; drop it with {r.releases[0].fn if r.releases else 'a put'}()")
            else:
                where = "error path" if ex.error else "path"
                msg = f"`{r.name}` ({what} from {r.fn}()) is not released on this {where}"
                if ex_rel is not None:
                    msg += f"; another path releases it with {ex_rel[1]}()"
                elif r.releases:
                    msg += f"; release it with {r.releases[0].fn}()"
            goto = ctx.first_goto(ex, r.site)
            release_fn = ex_rel[1] if ex_rel is not None else (r.releases[0].fn if r.releases else "")
            release_arg = r.releases[0].arg if r.releases and ex_rel is None else 0
            data: dict[str, object] = {
                "rid": r.rid, "acquire_node": r.site, "exit_node": ex.node,
                "acquire_byte": acquire_span.start_byte, "resource": r.name,
                "release_fn": release_fn, "release_arg": release_arg,
                "release_node": ex_rel[0] if ex_rel is not None else None,
                "via_goto": goto, "iter_ref": r.iter_ref, "error_exit": ex.error,
            }
            yield rule.finding(ctx, span, msg, fn.name, r.name, related, data)
