"""KR403 unchecked-shutdown: an entry point takes the device lock but does not test the
driver's shutdown / disconnected flag that other entry points test under that lock.

What: the file has a "going away" flag or helper (`chip->shutdown`,
`atomic_read(&chip->shutdown)`, `ep->disconnected`, `snd_usb_lock_shutdown(chip)`) and
at least one function tests it right after taking a lock. Then an entry point — a function
placed in an ops struct (snd_pcm_ops, snd_kcontrol_new .get/.put/.info, file_operations
.unlocked_ioctl, ...) or registered as a callback (URB completion, timer, work, tasklet,
IRQ handler) — that takes the same lock and works on the device under it without testing
the flag (itself or through a file-local helper) is reported at the lock call.

Why: disconnect / remove sets the flag under the lock and then frees what the entry
points use. An entry point that does not re-test the flag after acquiring the lock can
run just after the disconnect and touch freed memory or a dead device (USB audio devices
are unplugged at any time).

Example:
    static int demo_put(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
    {
        mutex_lock(&chip->mutex);             /* KR403 */
        chip->volume = uc->value.integer.value[0];
        demo_send_volume(chip);
        mutex_unlock(&chip->mutex);
    }

Fix: right after the lock, test the flag and leave through the unlock:
        mutex_lock(&chip->mutex);
        if (chip->shutdown) { err = -ENODEV; goto unlock; }
`data.flag_expr` is the test spelled with this function's variables, `data.lock` the lock,
`data.lock_byte` the offset of the lock call, `data.unlock_label` a label leading to the
unlock when there is one.

Fix safety: safe when an unlock label exists and the function returns an int error; unsafe
otherwise (the error value and the exit path are chosen by the fixer).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, Related, Severity
from ..races import file_races, flag_checkers, shutdown_protocol, span_of
from .base import FileContext, Rule


class UncheckedShutdown(Rule):
    code = "KR403"
    name = "unchecked-shutdown"
    summary = "Entry point takes the device lock but does not test the shutdown flag"
    severity = Severity.WARNING
    scope = "file"
    fix_safety = "safe with an existing unlock label; unsafe otherwise"

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        rf = file_races(ctx)
        proto = shutdown_protocol(rf)
        if not proto:
            return
        checks = flag_checkers(rf)
        k = rf.k
        for info in rf.order:
            if not info.entry_of or info.init_like or not info.summary.analysed:
                continue
            if any(e.rsplit(".", 1)[-1] in rf.rk.teardown_entry_fields for e in info.entry_of):
                continue  # closing must work after a disconnect too
            s = info.summary
            for acq in s.acquisitions:
                key = rf.lock_key(info, acq.lock)
                got = proto.get(key)
                if got is None or acq.trylock:
                    continue
                flag_key, ex_info, ex_ref = got
                if flag_key in checks.get(info.fn.name, set()) or ex_info is info:
                    continue
                busy = any(acq.lock in a.held for a in s.accesses) or any(
                    acq.lock in c.held and c.name not in k.locks for c in s.calls)
                if not busy:
                    continue
                if flag_key.startswith("helper:"):
                    base = info.fn.params[0] if info.fn.params else "chip"
                    flag_expr = ex_ref.expr.split("(")[0] + f"({base})"
                    for var, t in s.types.items():
                        if t == ex_info.summary.types.get(ex_ref.expr.split("(")[1].rstrip(")")):
                            flag_expr = ex_ref.expr.split("(")[0] + f"({var})"
                            break
                else:
                    local = rf.local_name(info, flag_key, "")
                    if not local:
                        continue
                    flag_expr = ex_ref.expr.replace(
                        ex_ref.expr[ex_ref.expr.index("(&") + 2:-1], local) \
                        if "(&" in ex_ref.expr else local
                # a label that leads to the unlock
                unlock_label = ""
                unlocks = [c.byte for c in s.calls if c.args and c.args[0] == acq.lock and
                           (k.locks.get(c.name) is not None and k.locks[c.name].op == "release")]
                for ub in unlocks:
                    labs = [(b, n) for n, b in s.labels if acq.byte < b < ub]
                    if labs:
                        unlock_label = max(labs)[1]
                        break
                related = [Related(span_of(rf, ex_info, ex_ref.byte, ex_ref.byte + len(ex_ref.expr)),
                                   f"{ex_info.fn.name}() tests `{ex_ref.expr}` with "
                                   f"`{acq.lock if ex_info is info else key}` held")]
                why = ", ".join(sorted(set(info.entry_of)))
                msg = (f"{info.fn.name}() ({why}) takes `{acq.lock}` but does not test "
                       f"`{flag_expr}`; a disconnect can complete before the lock is taken")
                yield self.finding(ctx, span_of(rf, info, acq.byte, acq.byte + 1), msg,
                                   info.fn.name, acq.lock, related,
                                   {"flag_expr": flag_expr, "lock": acq.lock, "lock_key": key,
                                    "lock_class": acq.cls, "lock_byte": info.b0 + acq.byte,
                                    "lock_line": info.l0 + acq.line,
                                    "unlock_label": unlock_label, "entry": why})
                break
