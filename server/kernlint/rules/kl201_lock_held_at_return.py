"""KL201 lock-held-at-return: a lock taken in the function is still held on an exit where
other exits have released it.

What: mutex_lock()/spin_lock*()/down*()/snd_pcm_stream_lock*() taken in this function
(not a guard() or scoped_guard() scope, not a lock the function is entered with per
lockdep_assert_held() or __must_hold()) is still held when the function returns an error,
or returns from a void function, or returns a variable that may hold an error code
(`return ret;` with ret from a call that can fail: the caller cannot tell whether it holds
the lock), while the function releases the lock on some other path;
or it returns a success value while another success return of the function has released it
(`return 0;` in the middle of a function whose `out:` path unlocks), or while code under a
label that no path reaches any more unlocks it (`return 0;` typed where `goto found;` was
meant).
Functions that return with the lock held on every path are lock wrappers and are left alone
when they are named or annotated as such (`*_lock*`, `*_begin`, `__acquires`), or when another
function of the file unlocks the same member without taking it (a save()/restore() pair; not
for an interrupt handler or a control's get(), which nobody pairs with an unlock) -
except on an error return of a wrapper whose other failures return without the lock (its
callers do not unlock after a failure);
otherwise a lock the function takes itself and releases on no exit (no unlock at all, or
only unlocks followed by taking it again) is reported on every exit that holds it, success
included;
paths on which a conditional lock (`if (locked) mutex_lock(..)`) was not taken are impossible
and are not walked. A spinlock taken with spin_lock_irqsave() into a local `flags` variable
is reported on every exit that holds it, whatever the function's name: the saved interrupt
state dies with the function, so no caller can undo it.

Why: a mutex left held hangs the next ioctl forever; a spinlock left held with interrupts
off locks up the CPU. Both are found only when the rare error path runs in the field.

Example:
    mutex_lock(&chip->mutex);
    if (chip->shutdown)
        return -ENODEV;        /* KL201: chip->mutex still held */
    ...
    mutex_unlock(&chip->mutex);

Fix: release the lock before returning, or route the exit through the existing unlock label.

Fix safety: safe when routed to an existing unlock label; unsafe when an unlock call is
inserted (it may need the saved flags of spin_lock_irqsave()).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..facts import ExitRecord, base_name
from ..knowledge import N
from ..model import Finding, Related, Severity
from ._leaks import _cannot_hand_back
from .base import FunctionContext, Rule

_LOCK_HELPER_WORDS = frozenset({"lock", "trylock", "acquire", "begin", "claim", "grab", "hold",
                                "enter", "locked"})


def _unlock_for(ctx: FunctionContext, cls: str, site: int) -> str:
    """The release function matching the acquisition at site (spin_lock_irqsave ->
    spin_unlock_irqrestore), from the knowledge file."""
    acquired = next((name for node, name, _a in ctx.facts.calls if node == site), "")
    releases = [op.fn for op in ctx.knowledge.locks.values()
                if op.lock_class == cls and op.op == "release"]
    for suffix, rel_suffix in (("_irqsave", "_irqrestore"), ("_irq", "_irq"), ("_bh", "_bh")):
        if acquired.endswith(suffix):
            match = [r for r in releases if r.endswith(rel_suffix)]
            if match:
                return match[0]
    plain = [r for r in releases if not r.endswith(("_irqrestore", "_irq", "_bh"))]
    return (plain or releases or [""])[0]


def _saved_flags_local(ctx: FunctionContext, site: int) -> bool:
    """spin_lock_irqsave(&l, flags) with flags a local of this function that it never hands
    back (`return flags;`): the saved interrupt state dies with the function, so nobody else
    can ever release the lock properly."""
    for node, name, args in ctx.facts.calls:
        if node == site and name.endswith("_irqsave") and len(args) >= 2:
            flags = args[-1]
            if flags not in ctx.facts.local_names:
                return False
            body = ctx.parsed.text_of(ctx.facts.function.body)
            return re.search(r"\breturn\b[^;]*\b" + re.escape(flags) + r"\b", body) is None
    return False


def _locked_here(ctx: FunctionContext, site: int) -> bool:
    """The lock was taken by a lock API call here, not inherited from a helper's summary (a
    helper that drops and retakes the caller's lock around a cancel_work_sync())."""
    return any(node == site and (op := ctx.knowledge.locks.get(name)) is not None and
               op.op != "release" for node, name, _a in ctx.facts.calls)


def _dead_unlock(ctx: FunctionContext, name: str) -> tuple[str, int] | None:
    """Code under a label no path reaches any more unlocks it (`return 0;` typed where
    `goto found;` was meant, skipping the unlock after the label): (label, node)."""
    for label, node, fn, args in ctx.dead_label_calls():
        op = ctx.knowledge.locks.get(fn)
        if op is not None and op.op == "release" and args and args[0] == name:
            return label, node
    return None


def _path_nodes(ctx: FunctionContext, ex: ExitRecord, memo: dict[int, frozenset[int]]) -> frozenset[int]:
    """The nodes on the walked path to ex (memoised per exit: asked for every lock)."""
    got = memo.get(id(ex))
    if got is None:
        got = memo[id(ex)] = frozenset(ctx.facts.path_to(ex.node, ex.state))
    return got


def _released_after(ctx: FunctionContext, name: str, site: int,
                    memo: dict[int, frozenset[int]]) -> bool:
    """Some exit reached after the lock at site leaves with it released (an unlock that is
    only ever followed by taking the lock again, around a sleep, releases it on no exit)."""
    facts = ctx.facts
    rels = facts.lock_releases.get(name)
    if not rels:
        return False
    # (a helper of this file that drops and retakes the lock leaves the walk unsure which
    # acquisition is held afterwards: only the function's own unlock calls are trusted)
    api = {node for node, fn, _a in facts.calls
           if (op := ctx.knowledge.locks.get(fn)) is not None and op.op == "release"}
    if any(n not in api for n in rels):
        return True
    sites = set(facts.lock_acquires.get(name, ())) | {site}
    return any(all(o.name != name for o in ex.state.locks) and
               sites & _path_nodes(ctx, ex, memo) for ex in facts.exits)


def _may_fail(ctx: FunctionContext, ex: ExitRecord) -> bool:
    """`return ret;` of an int function with ret possibly negative: the caller cannot tell
    whether it now holds the lock, so this is no lock helper's success return."""
    fn = ctx.facts.function
    cfg = ctx.facts.cfg
    ast = cfg.nodes[ex.node].ast if cfg is not None else None
    if ast is None or ast.type != "return_statement" or fn.returns_pointer or fn.returns_void:
        return False
    vals = [c for c in ast.named_children if c.type != "comment"]
    if len(vals) != 1 or vals[0].type != "identifier":
        return False
    return N in ex.state.fact(ctx.parsed.text_of(vals[0]))


def _partner_unlocks(ctx: FunctionContext, name: str) -> bool:
    """Another function of the file unlocks the same member without taking it (the restore()
    of a save()/restore() pair that holds the lock across the two calls)."""
    suffix = name[len(base_name(name)):]
    if not suffix:
        return False
    me = ctx.facts.function.name
    arg = r"\s*\(\s*&?\s*[\w>.-]*" + re.escape(suffix) + r"\s*[,)]"
    unlock = re.compile(r"\b\w*unlock\w*" + arg)
    lock = re.compile(r"\b(?!\w*unlock)\w*lock\w*" + arg)
    for fn in ctx.parsed.functions:
        if fn.name != me:
            body = ctx.parsed.text_of(fn.body)
            if unlock.search(body) and not lock.search(body):
                return True
    return False


class LockHeldAtReturn(Rule):
    code = "KL201"
    name = "lock-held-at-return"
    summary = "Lock still held on an exit where other exits release it"
    severity = Severity.ERROR
    fix_safety = "safe when routed to an existing unlock label; unsafe for an inserted unlock"

    def check_function(self, ctx: FunctionContext) -> Iterable[Finding]:
        facts = ctx.facts
        if facts.truncated or not facts.walked or facts.cfg is None:
            return
        fn = facts.function
        acquires_ann = {a.arg.lstrip("&") for a in fn.annotations if a.name in ("__acquires",)}
        words = fn.name.lower().split("_")
        wrapper = bool(_LOCK_HELPER_WORDS & set(words)) or any(
            w.endswith("lock") and not w.startswith("unlock") for w in words) or any(
            a.name in ("__acquires", "__cond_acquires") for a in fn.annotations)
        exits = facts.exits
        seen: set[tuple[int, str]] = set()
        flags_local: dict[int, bool] = {}  # lock site -> irqsave into a local it never returns
        never: dict[tuple[str, int], bool] = {}  # (lock, site) -> taken here, released nowhere
        paths: dict[int, frozenset[int]] = {}
        for ex in sorted(exits, key=lambda e: e.node):
            plain_return = not (ex.error or (ex.void and fn.returns_void))
            for lk in sorted(ex.state.locks, key=lambda x: x.name):
                if lk.entry or lk.scoped or lk.cond_var is not None or lk.name in acquires_ann:
                    continue
                if lk.name in facts.entry_locks:
                    continue  # the function juggles a lock its caller holds
                if lk.site not in flags_local:
                    flags_local[lk.site] = _saved_flags_local(ctx, lk.site)
                # Taken and never released by a function that is not a lock helper: every
                # exit after the lock holds it (a get() whose one unlock at out: went missing).
                key = (lk.name, lk.site)
                if key not in never:
                    never[key] = not wrapper and "'" not in lk.name and \
                        _locked_here(ctx, lk.site) and \
                        not _released_after(ctx, lk.name, lk.site, paths) and \
                        (bool(facts.lock_releases.get(lk.name)) or _cannot_hand_back(ctx) or
                         not _partner_unlocks(ctx, lk.name))
                never_released = never[key]
                dead = _dead_unlock(ctx, lk.name) if plain_return else None
                if not flags_local[lk.site] and not never_released and dead is None:
                    if plain_return and (wrapper or not (lk.name in facts.lock_releases and any(
                            (not other.error or _may_fail(ctx, ex)) and other.node != ex.node
                            and all(o.name != lk.name for o in other.state.locks)
                            and lk.site in _path_nodes(ctx, other, paths)
                            for other in exits))):
                        # A success return with the lock held is reported only when another
                        # success return of the function has released it (not a lock helper).
                        continue
                    released_elsewhere = lk.name in facts.lock_releases and \
                        any(all(o.name != lk.name for o in other.state.locks) for other in exits)
                    # Held on every exit: a lock helper, unless it fails while holding the
                    # lock and is not named or annotated as one, or is one whose other
                    # failures return without it (its callers do not unlock after a failure).
                    if not released_elsewhere and not (ex.error and (not wrapper or any(
                            o.error and o.node != ex.node and
                            all(x.name != lk.name for x in o.state.locks) for o in exits))):
                        continue
                if (ex.node, lk.name) in seen:
                    continue
                seen.add((ex.node, lk.name))
                related = [Related(ctx.span_of_node(lk.site), f"`{lk.name}` locked here")]
                related += ctx.path_steps(ex, since=lk.site)
                rel_sites = facts.lock_releases.get(lk.name) or []
                rel_node = rel_sites[0] if rel_sites else None
                unlock_fn = ""
                if rel_node is not None:
                    for node_id, name, _args in facts.calls:
                        if node_id == rel_node and ctx.knowledge.locks.get(name) is not None:
                            unlock_fn = name
                            break
                    related.append(Related(ctx.span_of_node(rel_node),
                                           "released here on another path"))
                else:
                    unlock_fn = _unlock_for(ctx, lk.cls, lk.site)
                if dead is not None:
                    related.append(Related(ctx.span_of_node(dead[1]),
                                           f"the code at `{dead[0]}` unlocks it, but no path "
                                           f"jumps there"))
                where = "error path" if ex.error else "return"
                msg = f"`{lk.name}` ({lk.cls}) is still held on this {where}"
                if rel_node is None:
                    msg += "; no path of this function releases it"
                yield self.finding(ctx, ctx.span_of_node(ex.node), msg, fn.name, lk.name, related,
                                   {"lock": lk.name, "lock_class": lk.cls, "lock_node": lk.site,
                                    "exit_node": ex.node, "unlock_fn": unlock_fn,
                                    "release_node": rel_node,
                                    "via_goto": ctx.first_goto(ex, lk.site)})
