"""KL101 error-path-leak: memory or a resource acquired in a function is not released on an
error exit.

What: after an acquisition succeeded (kmalloc() returned non-NULL, snd_card_new() returned
0, request_irq() succeeded, ...), the function returns an error (`return -EINVAL;`,
`return err;` with err known negative, `return ERR_PTR(..)`) while still holding it, and did
not hand it to anyone (stored in a struct reachable from a parameter, registered with the
card, returned; a hand-off the knowledge says takes effect only on success does not count on
an error return that followed its failure). A file-scope object set up by a module's __init
function is held like a local: nothing runs after a failed init. Driver-private or unknown
APIs are reported only when the function itself
releases the same object on another path (the function's own exemplar). State kept in a
struct field (an enabled clock in priv->mclk) is reported with such an exemplar too, or when
the error path itself undoes a later acquisition by the same API and skips this one (it
turns the core clock off again but leaves the bus clock on), or when the path entered the
unwind ladder above the label the acquisition's own failure jumps to and fell through to it
without releasing it (the rung between the two labels lost its release), or when unwind
code under a label that no path reaches any more releases it (`return ret;` typed where
`goto err;` was meant), or when the way out frees its container with a plain memory free
(`kfree(data)` while `data->rbuffer` still holds a buffer), or when the function is a
runtime-PM resume callback or a `*_enable()` step (a failed runtime resume is never followed
by a runtime suspend, and the caller of a failed enable does not disable; a codec
component's system resume is not one of them). A success return
is reported only when another success return of the function gives back the same constant
(`return IRQ_HANDLED;`, `return 0;`, or a `ret` known to be 0 that was not reached through a
goto, or the same variable with the same known range on two exits neither of which was
reached through a goto) after releasing the object: the caller cannot tell the two apart; or when code under a
label no path reaches any more releases it; or, for state kept on an object (a clock enable),
in an interrupt handler or a control's get(), whose callers never undo it.

Why: the error path is the least tested code in a driver; a probe that fails after
snd_card_new() and forgets snd_card_free() leaks the card and its device node every time
the device is plugged in with, say, missing firmware.

Example:
    err = snd_card_new(&pci->dev, idx, id, THIS_MODULE, 0, &card);
    if (err < 0)
        return err;
    err = snd_pcm_new(card, "demo", 0, 1, 0, &pcm);
    if (err < 0)
        return err;          /* KL101: card is not released */

Fix: jump to (or create) the unwind label that releases the card:
    if (err < 0)
        goto err_free_card;
    ...
    err_free_card:
        snd_card_free(card);
        return err;

Fix safety: safe when the label already exists and releases exactly what is held; unsafe
when a new label or a new release call is written (the order of the ladder is inferred).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, Severity
from ._leaks import leak_findings
from .base import FunctionContext, Rule


class ErrorPathLeak(Rule):
    code = "KL101"
    name = "error-path-leak"
    summary = "Resource acquired in this function is not released on an error path"
    severity = Severity.WARNING
    fix_safety = "safe when routed to an existing label that releases it; unsafe otherwise"

    def check_function(self, ctx: FunctionContext) -> Iterable[Finding]:
        return leak_findings(self, ctx, frozenset({"memory", "resource"}))
