"""KA501 sleep-in-atomic: a function that may sleep is called in atomic context.

What: a call listed as sleeping in the knowledge file (msleep, mutex_lock, copy_to_user,
usb_control_msg, kmalloc(.., GFP_KERNEL) — gfp-taking functions sleep only with a sleeping
gfp mask) while a spinlock, rwlock, PCM stream lock, RCU read lock or disabled interrupts
are held on every path to it, or anywhere in a function that runs atomically: a primary
IRQ handler registered with request_irq()/request_threaded_irq() (not the thread
function), a tasklet, a timer or hrtimer callback, a URB completion handler, an
snd_pcm_ops .trigger/.pointer callback, ndo_get_stats64. A static file-local function
that may sleep, called in such a context, is reported at the call with the sleeping call
as related information.

Why: sleeping with a spinlock held or in interrupt context triggers "BUG: scheduling while
atomic" or deadlocks the CPU; with CONFIG_DEBUG_ATOMIC_SLEEP off it silently corrupts
scheduling state, so it escapes testing.

Example:
    spin_lock_irqsave(&chip->lock, flags);
    buf = kmalloc(size, GFP_KERNEL);       /* KA501: use GFP_ATOMIC or allocate before */
    spin_unlock_irqrestore(&chip->lock, flags);

Fix: for allocations, GFP_ATOMIC (or allocate before taking the lock); otherwise move the
sleeping call out of the atomic section (defer to a work item, drop the lock first).

Fix safety: GFP_KERNEL -> GFP_ATOMIC is safe when the allocation's failure is handled;
other fixes are unsafe (they change what the lock protects).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, Related, Severity
from ..races import file_races, passes_false, sleepers, span_of
from .base import FileContext, Rule


class SleepInAtomic(Rule):
    code = "KA501"
    name = "sleep-in-atomic"
    summary = "Function that may sleep called in atomic context"
    severity = Severity.ERROR
    scope = "file"
    fix_safety = "GFP_ATOMIC swap is safe; moving the call is unsafe"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        rf = file_races(ctx)
        sl = sleepers(rf)
        k = rf.k
        for info in rf.order:
            if not info.summary.analysed:
                continue
            for c in info.summary.calls:
                direct = rf.sleeps(c)
                via = None if direct or passes_false(c, rf.sleep_guards.get(c.name)) \
                    else sl.get(c.name)
                if not direct and via is None:
                    continue
                atomic = [h for h in c.held if rf.is_atomic_class(rf.lock_class(info, h))]
                if via is not None and atomic:
                    # A helper entered with the caller's lock that drops it (`__releases`,
                    # an unlock of a lock it did not take) sleeps after the unlock.
                    callee = rf.fns.get(c.name)
                    drops = {rf.lock_key(callee, n) for n in callee.summary.entry_locks} \
                        if callee is not None else set()
                    atomic = [h for h in atomic if rf.lock_key(info, h) not in drops]
                    if not atomic and not info.atomic_kind:
                        continue
                if atomic:
                    cls = rf.lock_class(info, atomic[0])
                    where = f"while `{atomic[0]}` ({cls}) is held"
                    ctx_data = {"lock": atomic[0], "lock_class": cls}
                elif info.atomic_kind:
                    where = f"in {info.fn.name}(), which runs in atomic context ({info.atomic_kind})"
                    ctx_data = {"context": info.atomic_kind}
                else:
                    continue
                related = []
                if via is not None:
                    vi, vc = via
                    related.append(Related(span_of(rf, vi, vc.byte, vc.end_byte),
                                           f"{vc.name}() may sleep here, in {vi.fn.name}()"))
                    what = f"{c.name}() may sleep (it calls {vc.name}())"
                else:
                    what = f"{c.name}() may sleep"
                gfp = c.name in k.gfp_arg
                yield self.finding(ctx, span_of(rf, info, c.byte, c.end_byte), f"{what} {where}",
                                   info.fn.name, c.name, related,
                                   {"call": c.name, "gfp": gfp, **ctx_data,
                                    "stmt_lines": [info.l0 + c.stmt[0], info.l0 + c.stmt[1]]})
