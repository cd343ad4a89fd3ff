"""KL102 skipped-cleanup: an error exit skips an unwind step that the error exits before it
perform, and nothing in between made that step unnecessary.

What: the function leaves on an error (`return err;`, `goto` a label whose code returns an
error) without calling a cleanup (a release, put, disable, unregister, unlock, ... - known
API or the driver's own helper) that an *earlier* error exit of the same function calls and
that the function calls again *after* this exit (a later error exit or the main line), although
nothing on the way from the earlier exit to this one ran the cleanup or handed its object to
someone else. The step is undone before and after this exit, so it is pending here. This is the
function's own exemplar, so it needs no table entry: `wm_adsp2_remove(dsp)`,
`foo_disable_regulators(priv)` or `snd_hda_gen_free(codec)` count as much as `kfree()`.

Why: most error-path leaks in drivers are a `return` written where the ladder needed a
`goto`, or a `goto` to the wrong rung, usually added by a later patch that did not look at
the unwind code. KL101/KL201/KL301 see them only for resources whose acquisition they can
recognise; KL102 sees them from the cleanup side.

Example:
    ret = foo_enable_regulators(priv);
    if (ret)
        return ret;
    ret = foo_load_firmware(priv);
    if (ret)
        goto err_disable;          /* runs foo_disable_regulators(priv) */
    ret = foo_hw_init(priv);
    if (ret)
        return ret;                /* KL102: skips foo_disable_regulators(priv) */
    ret = foo_register(priv);
    if (ret)
        goto err_disable;          /* ... which runs again here */

Not reported: nothing after the exit undoes the step again (an earlier exit alone is weak
evidence on real drivers: a cache discard, an error notification, an object whose ownership
moved through a helper); the cleanup ran on the way (`release_firmware(fw)` after parsing);
the object was handed over in between (registered, appended, given to the card, a destructor
installed), re-created (`foo_build(.., &plugin)`), tested absent by the earlier exit
(`if (np) { of_node_put(np); return ..; }`), or is still NULL; the failing step is the
acquisition this cleanup undoes; the exit runs the same cleanup itself, through an alias or in
a helper of the file; the object is picked by a variable index; or the step is already held by a
tracked resource or lock (KL101/KL201/KL301 report it with the acquisition). On `sound/` of
6.12 this leaves 1 finding; most of KL102's value is on code being written (planted bugs:
20 of 287 flagged).

Fix: send the exit to the label the earlier exit uses (`ret = X; goto err_disable;`), or
repeat its inline cleanup before the `return`.

Fix safety: unsafe - the rung is inferred from the earlier exit, and the step between may
have changed what needs undoing; read the diff.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import tree_sitter

from ..cfg import CFG, closure, reach
from ..facts import base_name
from ..model import Finding, Related, Severity
from ._leaks import _reportable
from .base import FunctionContext, Rule

# Calls that are never an unwind step although their name looks like one.
_NOT_CLEANUP = re.compile(r"^(?:dev|pr|netdev|snd|dev_dbg|dev_warn)_(?:err|warn|info|dbg|notice)"
                          r"\w*$|^WARN|^BUG|^print|^trace_|^schedule|^msleep|^udelay|^usleep|"
                          r"^wake_up|^complete|^memset|^memcpy|^strscpy|^spin_lock|^mutex_lock|"
                          r"^snd_printk|^list_for_each|^IS_ERR|^PTR_ERR")
_LOGGING = re.compile(r"^(?:dev|pr|netdev|snd|drm|pci|usb)_(?:err|warn|info|dbg|notice|printk)|"
                      r"printk|^WARN|^BUG|^trace_")
# A condition that tests for failure: an error variable, a negative result, IS_ERR(), or a
# NULL pointer (if (!p)).
_ERROR_TEST = re.compile(r"(?<![>.\w])(?:ret|err|error|rc|retval|status|result|res|rval|rv|r)"
                         r"\w*(?!\s*(?:->|\.|\())|<\s*0\b|\bIS_ERR|^\s*!\s*[A-Za-z_][\w>.-]*\s*$|"
                         r"==\s*NULL\b|\bWARN_ON")
_ERROR_SET = re.compile(r"=\s*(?:-\s*E[A-Z0-9]+|PTR_ERR\b|ERR_PTR\b)")
_MAX_DEPARTURES = 120
_PRE_JUMP_STEPS = 12


@dataclass
class _Departure:
    cond: int  # the branch that leaves the main line
    jump: int  # the goto / return that ends the inline part
    inline: list[int]  # statements between the branch and the jump
    tail: frozenset[int]  # every node run after leaving (inline + the ladder it enters)
    byte: int  # position of the branch, for ordering
    error: bool


def _returns_zero(ctx: FunctionContext, cfg: CFG, ret: int) -> bool:
    ast = cfg.nodes[ret].ast
    if ast is None or ast.type != "return_statement":
        return False
    kids = [c for c in ast.named_children if c.type != "comment"]
    return len(kids) == 1 and ctx.parsed.text_of(kids[0]).strip() == "0"


def _tests_object(cond: str, args: tuple[str, ...]) -> bool:
    """The branch tests the cleanup's object itself (its existence), so on the main line
    after it the object is absent."""
    c = re.sub(r"\s+", "", cond).strip("()")
    for a in args:
        v = re.sub(r"\s+", "", _plain(a))
        if not v:
            continue
        if c in (v, f"!{v}", f"{v}!=NULL", f"{v}==NULL", f"!IS_ERR({v})", f"IS_ERR({v})",
                 f"IS_ERR_OR_NULL({v})", f"!IS_ERR_OR_NULL({v})", f"likely({v})",
                 f"unlikely({v})"):
            return True
    return False


def _address_taken(ctx: FunctionContext, ast: tree_sitter.Node) -> set[str]:
    """Objects whose address a call in this statement takes (&plugin, &chip->buf)."""
    out: set[str] = set()
    stack = [ast]
    while stack:
        n = stack.pop()
        if n.type == "argument_list":
            for a in n.named_children:
                t = ctx.parsed.text_of(a).strip()
                if t.startswith("&"):
                    out.add(_loose(t))
        if n.type not in ("compound_statement", "function_definition"):
            stack.extend(n.named_children)
    return out


def _loose(arg: str) -> str:
    """An object's name with array indexes blurred (stream[i] and stream[PLAYBACK] may be
    the same slot)."""
    return re.sub(r"\[[^\]]*\]", "[]", re.sub(r"\s+", "", _plain(arg)))


def _plain(arg: str) -> str:
    return arg.strip().lstrip("&(").rstrip(")").strip()


def _enclosing_if(expr: tree_sitter.Node) -> tree_sitter.Node | None:
    """The if statement whose condition contains expr (None for loop conditions)."""
    n: tree_sitter.Node | None = expr
    while n is not None:
        p = n.parent
        if p is None:
            return None
        if p.type == "if_statement":
            c = p.child_by_field_name("condition")
            return p if c is not None and c.start_byte <= expr.start_byte < c.end_byte else None
        if p.type.endswith("_statement") or p.type == "compound_statement":
            return None
        n = p
    return None


def _preds(cfg: CFG) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for n in cfg.nodes:
        for s in n.succ:
            out.setdefault(s, []).append(n.id)
    return out


class SkippedCleanup(Rule):
    code = "KL102"
    name = "skipped-cleanup"
    summary = "Error exit skips an unwind step that the earlier error exits perform"
    severity = Severity.WARNING
    fix_safety = "unsafe: the rung is inferred from the earlier exit"

    def check_function(self, ctx: FunctionContext) -> Iterable[Finding]:
        facts = ctx.facts
        cfg = facts.cfg
        if facts.truncated or not facts.walked or cfg is None or len(facts.exits) < 1:
            return []
        k = ctx.knowledge
        calls: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
        for node, name, args in facts.calls:
            lst = calls.setdefault(node, [])
            if (name, args) not in lst:
                lst.append((name, args))

        def is_cleanup(name: str) -> bool:
            if _NOT_CLEANUP.match(name):
                return False
            lo = k.locks.get(name)
            if lo is not None:
                return lo.op == "release"
            return bool(k.releases_of(name)) or k.looks_like_unwind(name)

        exits_at: dict[int, list[bool]] = {}
        for ex in facts.exits:
            exits_at.setdefault(ex.node, []).append(ex.error)
        deps = self._departures(ctx, cfg, calls, exits_at)
        if len(deps) < 2:
            return []
        cond_text = {d.cond: ctx.parsed.text_of(a) for d in deps
                     if (a := cfg.nodes[d.cond].ast) is not None}
        # Names the walk knows to be one object (codec_dev and priv->codec_dev).
        aliases: dict[str, set[str]] = {}
        for _node, st in itertools.islice(facts.parents, 4000):
            for r in st.res:
                if len(r.names) > 1:
                    for alias in r.names:
                        aliases.setdefault(alias, set()).update(r.names)
        preds = _preds(cfg)
        out: list[Finding] = []
        reported: set[tuple[int, str]] = set()
        for dk in deps:
            if not dk.error:
                continue
            k_names = {name for n in dk.tail for name, _a in calls.get(n, ())}
            k_calls = {(name, tuple(_plain(a) for a in args)) for n in dk.tail
                       for name, args in calls.get(n, ())}
            helper_names = self._called_by_helpers(ctx, k_names)
            k_first = {(name, _plain(args[0])) for name, args in k_calls if args}
            # Objects the exit does clean up (exactly these: kfree(f) is still missing when
            # only snd_seq_pool_delete(&f->pool) runs).
            k_bases = {_plain(a) for n in dk.tail for name, args in calls.get(n, ())
                       if is_cleanup(name) for a in args}
            before_k = closure([dk.cond], lambda n: preds.get(n, ()))
            failing = {dk.cond, *preds.get(dk.cond, ())}  # the step this exit's test is about
            held = self._held_names(ctx, dk)
            best: dict[tuple[str, tuple[str, ...]], tuple[_Departure, int]] = {}
            for di in deps:
                if di is dk or not di.error or di.byte >= dk.byte or di.cond not in before_k \
                        or dk.cond in di.tail:
                    continue  # (a branch inside the earlier exit's own unwind code)
                cont = [s for s in cfg.nodes[di.cond].succ if s not in di.tail]
                if not cont:
                    continue
                between = reach(cfg, cont) & before_k
                step_i = {di.cond, *preds.get(di.cond, ())}  # the step the earlier exit tests
                between |= step_i
                for n in sorted(di.tail):
                    for name, args in calls.get(n, ()):
                        if not is_cleanup(name) or not args:
                            continue
                        if name in helper_names or \
                                (name, tuple(_plain(a) for a in args)) in k_calls:
                            continue  # this exit runs it too (itself or in a helper)
                        if name in k_names and not (k.releases_of(name) or k.locks.get(name)):
                            continue  # the driver's own helper runs here too (on what, unsure)
                        if _tests_object(cond_text[di.cond], args) or \
                                _tests_object(cond_text[dk.cond], args):
                            # if (np) { of_node_put(np); return ..; }: none later; and
                            # if (!x->buf) goto ..: this exit has no x->buf to free
                            continue
                        if any(re.search(r"\[\s*[a-z_]\w*\s*\]", a) for a in args):
                            continue  # clk[i]: which object depends on a variable
                        same = aliases.get(_plain(args[0]), set())
                        if any((name, b) in k_first for b in same):
                            continue  # put_device(priv->codec_dev) puts codec_dev too
                        bases = {base_name(a) for a in args if a}
                        if not bases or {_plain(a) for a in args} & k_bases or \
                                any(a in held for a in args):
                            continue
                        if self._undone_between(ctx, calls, between, name, args, bases,
                                                failing, step_i):
                            continue
                        if self._unset_local(ctx, cfg, before_k, args):
                            continue  # release_firmware(fw) with fw still NULL here: a no-op
                        key = (name, args)
                        prev = best.get(key)
                        if prev is None or prev[0].byte < di.byte:
                            best[key] = (di, n)
            for (name, args), (di, call_node) in sorted(best.items(), key=lambda kv: kv[1][1]):
                if (dk.jump, name) in reported:
                    continue
                if not self._later_exit_runs(cfg, dk, calls, name, args):
                    continue  # a step undone before this exit and after it, not here
                reported.add((dk.jump, name))
                out.append(self._finding(ctx, dk, di, call_node, name, args))
        return out

    # ---- helpers ----
    @staticmethod
    def _later_exit_runs(cfg: CFG, dk: _Departure,
                         calls: dict[int, list[tuple[str, tuple[str, ...]]]], name: str,
                         args: tuple[str, ...]) -> bool:
        """The function runs the same cleanup later, past this exit (a later error exit or the
        main line): the step is undone both before and after this exit, so it is still pending
        here."""
        want = (name, tuple(_plain(a) for a in args))
        after = reach(cfg, [s for s in cfg.nodes[dk.cond].succ if s not in dk.tail])
        for n in after - dk.tail:
            for cname, cargs in calls.get(n, ()):
                if (cname, tuple(_plain(a) for a in cargs)) == want:
                    return True
        return False

    def _departures(self, ctx: FunctionContext, cfg: CFG,
                    calls: dict[int, list[tuple[str, tuple[str, ...]]]],
                    exits_at: dict[int, list[bool]]) -> list[_Departure]:
        out: list[_Departure] = []
        for n in cfg.nodes:
            if n.kind not in ("cond", "switch") or n.ast is None or len(set(n.succ)) < 2:
                continue
            stmt = _enclosing_if(n.ast) if n.kind == "cond" else n.ast.parent
            if stmt is None:
                continue
            for s in n.succ:
                first = cfg.nodes[s].ast
                if first is None or not stmt.start_byte <= first.start_byte < stmt.end_byte:
                    continue  # the fall-through: not a branch taken out of the main line
                inline: list[int] = []
                cur = s
                jump = None
                for _ in range(_PRE_JUMP_STEPS):
                    node = cfg.nodes[cur]
                    if node.kind in ("goto", "return"):
                        jump = cur
                        break
                    if node.kind not in ("stmt", "scope_end") or len(node.succ) != 1:
                        break
                    inline.append(cur)
                    cur = node.succ[0]
                if jump is None or cfg.nodes[jump].ast is None or \
                        not stmt.start_byte <= cfg.nodes[jump].ast.start_byte < stmt.end_byte:  # type: ignore[union-attr]
                    continue
                jn = cfg.nodes[jump]
                if jn.kind == "goto":
                    target = jn.succ[0] if jn.succ else None
                    if target is None or cfg.nodes[target].ast is None or \
                            cfg.nodes[target].ast.start_byte < jn.ast.start_byte:  # type: ignore[union-attr]
                        continue  # a backward goto (retry loop) is not an exit
                    ladder = reach(cfg, [target])
                    tail = frozenset({*inline, jump, *ladder})
                    rets = [x for x in ladder if cfg.nodes[x].kind == "return"]
                    error = any(any(exits_at.get(r, ())) for r in rets) or \
                        (not any(r in exits_at for r in rets) and
                         any(self._syntactic_error(ctx, cfg, r) for r in rets))
                    # A jump forward into the main line (`goto skip_cfg;` that can still end
                    # in `return 0;`) is not a way out on failure.
                    error = error and not any(_returns_zero(ctx, cfg, r) for r in rets)
                    # The ladder's return is shared with other paths: this jump must itself
                    # be a failure (an error test, or an error code set on the way).
                    texts = [ctx.parsed.text_of(a) for a in
                             (cfg.nodes[x].ast for x in inline) if a is not None]
                    error = error and (
                        _ERROR_TEST.search(ctx.parsed.text_of(n.ast)) is not None or
                        any(_ERROR_SET.search(t) for t in texts))
                else:
                    tail = frozenset({*inline, jump})
                    error = any(exits_at.get(jump, ())) if jump in exits_at else \
                        self._syntactic_error(ctx, cfg, jump)
                out.append(_Departure(n.id, jump, inline, tail, n.ast.start_byte,
                                      error or self._failure_constant(ctx, cfg, jump, tail)))
                if len(out) >= _MAX_DEPARTURES:
                    return out
        return out

    @staticmethod
    def _called_by_helpers(ctx: FunctionContext, names: set[str]) -> set[str]:
        """Functions called (two levels deep) by the file's static helpers among names:
        snd_foo_unregister_all() runs platform_driver_unregister() for the exit."""
        summ = ctx.summaries
        out: set[str] = set()
        frontier = {n for n in names if n in summ}
        for _ in range(2):
            nxt: set[str] = set()
            for f in frontier:
                for callee in summ[f].callees:
                    if callee not in out:
                        out.add(callee)
                        if callee in summ:
                            nxt.add(callee)
            frontier = nxt
        return out

    @staticmethod
    def _failure_constant(ctx: FunctionContext, cfg: CFG, jump: int, tail: frozenset[int]) -> bool:
        """`return 1;` in a function that returns 0 on success (older drivers' convention)."""
        rets = [jump] if cfg.nodes[jump].kind == "return" else \
            [x for x in tail if cfg.nodes[x].kind == "return"]
        values = set()
        for r in rets:
            ast = cfg.nodes[r].ast
            if ast is None or ast.type != "return_statement" or not ast.named_children:
                return False
            values.add(ctx.parsed.text_of(ast.named_children[0]).strip())
        if len(values) != 1 or not re.fullmatch(r"[1-9]\d*", next(iter(values))):
            return False
        return re.search(r"\breturn\s+0\s*;", ctx.parsed.text_of(ctx.facts.function.body)) \
            is not None

    @staticmethod
    def _syntactic_error(ctx: FunctionContext, cfg: CFG, ret: int) -> bool:
        ast = cfg.nodes[ret].ast
        if ast is None or ast.type != "return_statement" or not ast.named_children:
            return False
        txt = ctx.parsed.text_of(ast.named_children[0]).strip()
        return bool(re.match(r"^\(?\s*-\s*E[A-Z0-9]+|^ERR_PTR\s*\(", txt))

    @staticmethod
    def _held_names(ctx: FunctionContext, dk: _Departure) -> set[str]:
        """Objects a tracked resource or lock still holds at this exit: the other rules own
        them (they know the acquisition)."""
        out: set[str] = set()
        for ex in ctx.facts.exits:
            if ex.node not in dk.tail:
                continue
            for lk in ex.state.locks:
                out.add(lk.name)
                out.add(lk.name.lstrip("&"))
            for r in ex.state.res:
                if _reportable(ctx, ex, r) or not r.weak:
                    out |= set(r.names)
        return out

    @staticmethod
    def _unset_local(ctx: FunctionContext, cfg: CFG, before: set[int],
                     args: tuple[str, ...]) -> bool:
        """A plain local argument that nothing before this exit has set (beyond NULL)."""
        locals_ = ctx.facts.local_names
        for a in args:
            v = _plain(a)
            if not re.fullmatch(r"[A-Za-z_]\w*", v) or v not in locals_:
                continue
            set_re = re.compile(r"(?<![\w>.])" + re.escape(v) + r"\s*(?:=(?!=)|\+\+|--)|&\s*"
                                + re.escape(v) + r"\b")
            null_init = re.compile(r"(?<![\w>.])" + re.escape(v) + r"\s*=\s*(?:NULL|0)\s*[,;]")
            assigned = False
            for n in before:
                ast = cfg.nodes[n].ast
                if ast is None or cfg.nodes[n].kind not in ("stmt", "cond", "return"):
                    continue
                t = ctx.parsed.text_of(ast)
                if set_re.search(t) and not (ast.type == "declaration" and null_init.search(t)):
                    assigned = True
                    break
            if not assigned:
                return True
        return False

    def _undone_between(self, ctx: FunctionContext,
                        calls: dict[int, list[tuple[str, tuple[str, ...]]]], between: set[int],
                        name: str, args: tuple[str, ...], bases: set[str],
                        failing: set[int], step_i: set[int]) -> bool:
        """The cleanup ran on the main line in between, or its object was handed over."""
        k = ctx.knowledge
        plain = {_plain(a) for a in args}
        for n in between:
            for cname, cargs in calls.get(n, ()):
                if cname == name and cargs == args:
                    return True
                loose = {_loose(a) for a in cargs}
                if n in failing:
                    if {_loose(a) for a in args} <= loose and k.looks_like_acquire(cname):
                        return True  # the step that failed is the one this cleanup undoes
                    continue  # the step that failed did not take it
                tr = k.transfers.get(cname)
                if tr is not None and any(i < len(cargs) and base_name(cargs[i]) in bases
                                          for i in tr[0]):
                    return True
                if cname in k.destructor_registrars:
                    return True  # a devm action now tears down what the function built
                if len(cargs) == 1 and _plain(cargs[0]) in plain and k.looks_like_transfer(cname):
                    return True  # snd_pcm_plugin_append(plugin): the chain owns it now
                if any(_plain(a) in plain for a in cargs[1:]) and \
                        not _LOGGING.match(cname) and cname not in k.borrowed and \
                        not k.releases_of(cname) and cname not in k.locks and \
                        (cname not in k.acquires or k.looks_like_transfer(cname)):
                    return True  # given to a helper that may keep it (foo_create(mgr, card))
            ast = ctx.facts.cfg.nodes[n].ast if ctx.facts.cfg is not None else None
            if ast is not None and _address_taken(ctx, ast) & {_loose(x) for x in args}:
                return True  # foo_build(.., &plugin): a new object under the same name
            if ast is not None and ast.type == "expression_statement" and ast.named_children \
                    and ast.named_children[0].type == "assignment_expression":
                a = ast.named_children[0]
                rhs = a.child_by_field_name("right")
                lhs = a.child_by_field_name("left")
                if rhs is not None and lhs is not None:
                    rtxt = ctx.parsed.text_of(rhs).strip()
                    ltxt = ctx.parsed.text_of(lhs).strip()
                    if _plain(rtxt) in plain and ("->" in ltxt or "." in ltxt):
                        return True  # stored into another object: it owns it now
                    field_name = re.split(r"->|\.", ltxt)[-1].strip()
                    if ("->" in ltxt or "." in ltxt) and field_name in k.destructor_fields:
                        return True  # a destructor installed: it releases what hangs off
                    if (ltxt in bases or ltxt in args) and n not in step_i:
                        # re-pointed after the earlier exit: a different object (the step
                        # that the earlier exit tests is the acquisition it cleans up)
                        return True
        return False

    def _finding(self, ctx: FunctionContext, dk: _Departure, di: _Departure, call_node: int,
                 name: str, args: tuple[str, ...]) -> Finding:
        cfg = ctx.facts.cfg
        assert cfg is not None
        call_txt = f"{name}({', '.join(args)})"
        # No line numbers in the message: it is part of a finding's identity (baselines,
        # fix verification) and must not change when unrelated lines move.
        msg = f"this error exit skips `{call_txt}`, which an earlier error exit runs"
        related = [
            Related(ctx.span_of_node(di.cond), "an earlier failure leaves here"),
            Related(ctx.span_of_node(di.jump), "through this exit"),
            Related(ctx.span_of_node(call_node), f"and runs {name}() here"),
            Related(ctx.span_of_node(dk.cond), "this failure leaves here"),
        ]
        via = cfg.nodes[di.jump]
        data: dict[str, object] = {
            "exit_node": dk.jump, "release_fn": name, "release_node": call_node,
            "release_args": list(args), "earlier_jump": di.jump,
            "earlier_label": str(via.data.get("label") or "") if via.kind == "goto" else "",
            "error_exit": True,
        }
        resource = args[0] if args else name
        return self.finding(ctx, ctx.span_of_node(dk.jump), msg, ctx.facts.function.name,
                            resource, related, data)
