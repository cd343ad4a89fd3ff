"""KL301 refcount-leak: a reference taken in a function is not dropped on an exit.

What: a get (of_find_node_by_name(), of_parse_phandle(), get_device(), pci_get_device(),
pm_runtime_get_sync() — which raises the count even when it fails — usb_get_dev(), ...) or
the reference held by a for_each_child_of_node()-style loop variable, is still held when
the function returns an error, or when a loop is left early with break/return/goto; on a
success return, when another success return with the same constant value has dropped it, or
in an interrupt handler or a control's get(), whose callers never drop what it leaves
raised (a runtime-PM count, a clock enable), or in a control's put() that drops it on no
path (one that powers up for as long as a switch is on powers down on its other branch). A
destructor of the driver that drops the same kind of reference (a devm action calling
pm_runtime_put_sync()) excuses the references taken in setup code (probe, init, open),
not those a callback takes per call.

Why: a leaked reference is invisible until a module cannot be unloaded, a device node is
never freed, or runtime PM never suspends the device again.

Example:
    ret = pm_runtime_get_sync(dev);
    if (ret < 0)
        return ret;            /* KL301: the usage count was raised anyway */

    for_each_child_of_node(np, child) {
        if (!of_device_is_available(child))
            return -ENODEV;    /* KL301: child still holds a reference */
    }

Fix: drop the reference on that exit: of_node_put(child), pm_runtime_put_noidle(dev), ...
(or use pm_runtime_resume_and_get() / for_each_child_of_node_scoped()).

Fix safety: safe for loop exits and pm_runtime_get_sync() failure paths; unsafe when a new
unwind label is created.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, Severity
from ._leaks import leak_findings
from .base import FunctionContext, Rule


class RefcountLeak(Rule):
    code = "KL301"
    name = "refcount-leak"
    summary = "Reference taken in this function is not dropped on an exit"
    severity = Severity.WARNING
    fix_safety = "safe for loop exits and get-even-on-failure APIs; unsafe for new labels"

    def check_function(self, ctx: FunctionContext) -> Iterable[Finding]:
        return leak_findings(self, ctx, frozenset({"ref"}))
