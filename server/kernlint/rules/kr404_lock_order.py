"""KR404 lock-order-inversion: two locks are taken in opposite orders in one file.

What: on one path lock A is held when lock B is acquired, and on another path B is held
when A is acquired — directly, or through a file-local function called with the first lock
held that takes the second. Locks are matched by struct type (`chip->lock` and `c->lock`
of the same `struct foo *` are `foo.lock`); two instances of the same lock class field
(`a->lock` then `b->lock`) are not an inversion, nor are trylocks or *_nested() calls
(explicit lockdep subclasses).

Why: ABBA deadlock: thread 1 holds A and waits for B, thread 2 holds B and waits for A.
Lockdep reports it only when both paths actually run in the same boot.

Example:
    demo_a() { mutex_lock(&chip->ctl_lock); mutex_lock(&chip->reg_lock); ... }
    demo_b() { mutex_lock(&chip->reg_lock); mutex_lock(&chip->ctl_lock);   /* KR404 */ }

Fix: none offered automatically: choose one order, document it, and restructure the
other path (drop the first lock before taking the second, or take them in the same order).

Fix safety: no fix.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, Related, Severity
from ..races import FnInfo, file_races, span_of
from .base import FileContext, Rule


class LockOrderInversion(Rule):
    code = "KR404"
    name = "lock-order-inversion"
    summary = "Two locks acquired in opposite orders"
    severity = Severity.ERROR
    scope = "file"
    fix_safety = "no automatic fix"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        rf = file_races(ctx)
        k = rf.k
        noarg = {c for c, lo in k.lock_classes.items() if lo.no_argument}
        # transitive acquisitions of file-local functions
        acq_of: dict[str, dict[str, tuple[FnInfo, int, int]]] = {}
        for info in rf.order:
            if not info.summary.analysed:
                continue
            own = acq_of.setdefault(info.fn.name, {})
            for acq in info.summary.acquisitions:
                if not acq.trylock and not acq.nested:
                    own.setdefault(rf.lock_key(info, acq.lock), (info, acq.byte, acq.line))
        for _round in range(4):
            changed = False
            for info in rf.order:
                d = acq_of.get(info.fn.name)
                if d is None:
                    continue
                for c in info.summary.calls:
                    sub = acq_of.get(c.name)
                    if not sub or c.name == info.fn.name:
                        continue
                    for key, site in sub.items():
                        if key not in d:
                            d[key] = site
                            changed = True
            if not changed:
                break
        # edges A -> B with their first site
        edges: dict[tuple[str, str], tuple[FnInfo, int, int, str, tuple[FnInfo, int] | None]] = {}
        for info in rf.order:
            if not info.summary.analysed or info.init_like:
                continue  # probe/remove run before/after the other paths can
            for acq in info.summary.acquisitions:
                if acq.trylock or acq.nested:
                    continue
                bkey = rf.lock_key(info, acq.lock)
                before = {rf.lock_key(info, h): h for h in acq.before} | \
                    {h: h for h in info.inherited}
                for ak, raw in before.items():
                    if ak == bkey or ak in noarg or raw in noarg:
                        continue
                    edges.setdefault((ak, bkey),
                                     (info, acq.byte, acq.byte + len(acq.lock), raw, None))
            for c in info.summary.calls:
                sub = acq_of.get(c.name)
                if not sub or not c.held or c.name == info.fn.name:
                    continue
                for bk, (si, sb, _sl) in sub.items():
                    for h in c.held:
                        ak = rf.lock_key(info, h)
                        if ak == bk or ak in noarg or h in noarg:
                            continue
                        edges.setdefault((ak, bk), (info, c.byte, c.end_byte, h, (si, sb)))
        done: set[frozenset[str]] = set()
        for (a, b), esite in sorted(edges.items(), key=lambda e: (e[1][0].b0 + e[1][1])):
            pair = frozenset((a, b))
            rev = edges.get((b, a))
            if rev is None or pair in done:
                continue
            done.add(pair)
            # report at the later of the two first sites
            first, second = (esite, rev) if esite[0].b0 + esite[1] <= rev[0].b0 + rev[1] else (rev, esite)
            info, byte, end, held_raw, via = second
            o_info, o_byte, o_end, o_held, _ = first
            related = [Related(span_of(rf, o_info, o_byte, o_end),
                               f"{o_info.fn.name}() takes them in the other order "
                               f"(`{o_held}` held first)")]
            if via is not None:
                related.append(Related(span_of(rf, via[0], via[1], via[1] + 1),
                                       f"the second lock is taken here, in {via[0].fn.name}()"))
            la, lb = (a, b) if second is esite else (b, a)
            msg = (f"`{lb}` is acquired while `{la}` is held, but {o_info.fn.name}() "
                   f"acquires them in the opposite order (possible ABBA deadlock)")
            yield self.finding(ctx, span_of(rf, info, byte, end), msg, info.fn.name, lb, related,
                               {"lock": lb, "held": la, "held_as_written": held_raw})
