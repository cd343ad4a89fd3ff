"""KR402 check-then-act: a shared field is tested and then acted on without the lock
that guards it elsewhere.

What: `if (chip->running)` / `if (ep->state != EP_STOPPED) return -EBUSY;` reads a field
that the file's lockset inference says is guarded by a lock (see KR401), the test is made
without that lock, and later in the same block the function writes the same field, still
without the lock. The finding is on the test; the write is a related location.

Why: between the test and the write another context (an interrupt, a second ioctl, a
disconnect) can change the field: two callers both see "stopped" and both start the
stream, or a disconnect tears the object down between the check and the use.

Example:
    if (ep->state != EP_STOPPED)          /* KR402 */
        return -EBUSY;
    ep->rate = rate;
    ep->state = EP_READY;

Fix: hold the lock from the test to the act (`data.lock`, spelled with this function's
variables; `data.stmt_lines` spans the test through the act):
    mutex_lock(&ep->lock);
    if (ep->state != EP_STOPPED) { mutex_unlock(&ep->lock); return -EBUSY; }
    ...
    mutex_unlock(&ep->lock);

Fix safety: unsafe — every exit between test and act must release the lock, and nothing
in between may sleep when the lock is a spinlock.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, Related, Severity
from ..races import checks_then_acts, file_races, partners, raw_lock_in, span_of
from .base import FileContext, Rule


class CheckThenAct(Rule):
    code = "KR402"
    name = "check-then-act"
    summary = "Shared field tested, then acted on, without the lock that guards it"
    severity = Severity.WARNING
    scope = "file"
    fix_safety = "unsafe: hold the guarding lock from the test to the act"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        rf = file_races(ctx)
        for info, t, a, g, key in checks_then_acts(rf):
            lock = raw_lock_in(rf, info, g.lock, g.guarded)
            related = [Related(span_of(rf, info, a.byte, a.end_byte),
                               f"`{a.expr}` is written here, still without `{lock}`")]
            others = partners(rf, info, t, g)
            related += [Related(span_of(rf, i, e.byte, e.end_byte),
                                f"`{e.expr}` accessed with `{g.lock}` held in {i.fn.name}()")
                        for i, e in others[:2]]
            msg = (f"`{t.expr}` is tested and then `{a.expr}` written without `{lock}`, "
                   f"which is held where {g.guarded_fns} of the {g.total_fns} functions using "
                   "it access it")
            yield self.finding(ctx, span_of(rf, info, t.byte, t.end_byte), msg, info.fn.name,
                               t.expr, related,
                               {"lock": lock, "lock_class": g.cls, "lock_key": g.lock,
                                "field": t.expr, "field_key": key,
                                "stmt_lines": [info.l0 + t.if_span[2], info.l0 + a.stmt[1]]})
