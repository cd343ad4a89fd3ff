"""KL202 double-lock: a lock is taken again on a path where it is already held.

What: mutex_lock(&l) (or any non-recursive lock from the knowledge file) on a path where the
same lock is already held by this function — taken earlier on the path, or declared held on
entry by lockdep_assert_held() / __must_hold(). Read-side locks (read_lock, down_read, RCU)
and paths made impossible by earlier branches are not reported.

Why: a second mutex_lock() on the same mutex deadlocks the task; a second spin_lock() spins
forever. Typical cause: a helper that takes the lock is called from a path that already
holds it, or an unlock was lost in a refactoring.

Example:
    mutex_lock(&chip->mutex);
    if (chip->busy)
        goto again;
    ...
    again:
    mutex_lock(&chip->mutex);   /* KL202 */

Fix: none offered automatically; decide which of the two acquisitions is wrong.

Fix safety: no fix.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, Related, Severity
from .base import FunctionContext, Rule


class DoubleLock(Rule):
    code = "KL202"
    name = "double-lock"
    summary = "Lock acquired again on a path where it is already held"
    severity = Severity.ERROR
    fix_safety = "no automatic fix"

    def check_function(self, ctx: FunctionContext) -> Iterable[Finding]:
        facts = ctx.facts
        if facts.truncated or not facts.walked or facts.cfg is None:
            return
        seen: set[int] = set()
        for node, held in facts.double_locks:
            if node in seen or held.scoped:
                continue
            seen.add(node)
            related = []
            if held.site >= 0:
                related.append(Related(ctx.span_of_node(held.site), f"`{held.name}` first taken here"))
                msg = f"`{held.name}` is locked again while already held on this path"
            else:
                msg = f"`{held.name}` is locked, but the function is entered with it held"
            yield self.finding(ctx, ctx.span_of_node(node), msg, facts.function.name, held.name,
                               related, {"lock": held.name})
