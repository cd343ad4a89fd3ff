"""KR401 unguarded-field-access: a struct field that is protected by a lock almost
everywhere is written without it here.

What: per file, kernlint infers which lock guards each struct field (lockset inference):
for every access of `chip->rate`, `ep->state`, `s->x.y` it takes the locks held on every
path to it — mutex_lock/spin_lock pairs, guard()/scoped_guard() scopes, lockdep_assert_held()
and __must_hold(), and the locks held at every call site of a static helper (direct calls
and calls through a function pointer in the same file). Lock and field names are matched
by struct type (`chip->lock` and `c->lock` of the same `struct foo *` are both `foo.lock`).
When accesses in at least three functions hold the lock, one of them a write, and the lock
is held in 75% or more of the functions that write the field, a write (or read-modify-
write) without it is reported — once per field and function, and only when some access
under the lock can run concurrently with it (kcontrol .put callbacks are serialised with
each other and with .get by the control core). Not counted: probe / init / create / alloc /
suspend / resume and remove / free / destroy / delete / exit functions, functions that
create controls or PCMs (snd_ctl_add(), ...), static helpers only called from them (their
accesses under the lock still count as evidence), functions stored in a table that another
file calls (the caller's locks are unknown), exported functions called here with the lock
held, objects the function just allocated (also from the driver's own `*_alloc()`), fields
of atomic_t / refcount_t / lock / list / work types, accesses inside READ_ONCE/WRITE_ONCE/
atomic_*/bit operations, addresses passed to APIs (`&chip->lock`), members of struct
variables on the stack, functions whose leading comments say a lock is held on entry, PCM
set-up callbacks (and their helpers) for spinlock-guarded fields, PCM .trigger callbacks
(and their helpers) for mutex-guarded fields, writes under a second lock that other
functions also hold around the field, `#if 0` code, and writes followed by
wake_up()/complete() (a reply handed to a waiter).

Why: a write that skips the lock races with every reader and writer that holds it:
torn or lost updates, a stale state machine, use-after-free when the field is a pointer.

Example:
    static int demo_trigger(...)        { spin_lock(&chip->lock); chip->running = 1; ... }
    static irqreturn_t demo_irq(...)    { spin_lock(&chip->lock); if (chip->running) ... }
    static int demo_hw_free(...)        { chip->running = 0;      /* KR401 */ }

Fix: take the lock around the statement (`data.lock` is the lock spelled with this
function's variables, `data.stmt_lines` the statement to wrap), or use WRITE_ONCE() when
the field is a lone flag that needs no consistency with other fields.

Fix safety: unsafe — wrapping must use the lock variant of the other sites (irqsave in
process context for an IRQ-shared spinlock) and must not sleep under a spinlock.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, Related, Severity
from ..races import (
    access_key,
    candidate,
    checks_then_acts,
    file_races,
    guard_of,
    partners,
    racing,
    raw_lock_in,
    span_of,
    stmt_lines,
)
from .base import FileContext, Rule

_HANDOFF = ("wake_up", "complete", "complete_all")


class UnguardedFieldAccess(Rule):
    code = "KR401"
    name = "unguarded-field-access"
    summary = "Field written without the lock that guards it everywhere else"
    severity = Severity.WARNING
    scope = "file"
    fix_safety = "unsafe: wrap the statement in the guarding lock"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        rf = file_races(ctx)
        acts = {(i.fn.name, a.byte) for i, _t, a, _g, _k in checks_then_acts(rf)}
        for info in rf.order:
            wakes = [c.byte for c in info.summary.calls if c.name.startswith(_HANDOFF)]
            seen: set[str] = set()  # one finding per field and function
            for a in info.summary.accesses:
                if a.kind == "r" or not candidate(rf, info, a):
                    continue
                if any(b > a.byte for b in wakes):
                    continue  # a reply handed to a waiter (written, then wake_up/complete)
                if (info.fn.name, a.byte) in acts:
                    continue  # reported as check-then-act (KR402)
                key = access_key(rf, info, a)
                if key in seen:
                    continue
                g = guard_of(rf, key)
                if g is None or g.lock in rf.held_keys(info, a.held) or not racing(rf, info, g, a):
                    continue
                others = partners(rf, info, a, g)
                if not others:
                    continue  # every guarded access is serialised with this one anyway
                lock = raw_lock_in(rf, info, g.lock, g.guarded)
                seen.add(key)
                related = [Related(span_of(rf, i, e.byte, e.end_byte),
                                   f"`{e.expr}` accessed with `{g.lock}` held in {i.fn.name}()")
                           for i, e in others[:3]]
                msg = (f"`{a.expr}` is {'written' if a.kind == 'w' else 'updated'} without "
                       f"`{lock}`, which is held where {g.guarded_fns} of the {g.total_fns} "
                       "functions using it access it")
                yield self.finding(ctx, span_of(rf, info, a.byte, a.end_byte), msg,
                                   info.fn.name, a.expr, related,
                                   {"lock": lock, "lock_class": g.cls, "lock_key": g.lock,
                                    "field": a.expr, "field_key": key, "access": a.kind,
                                    "stmt_lines": stmt_lines(info, a.stmt)})
