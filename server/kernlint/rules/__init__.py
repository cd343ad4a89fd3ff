"""The rule registry: one ordered list, stable codes.

Order matters only for output: findings are sorted by position, then by the order here.
Families: KL1xx leaks, KL2xx locks, KL3xx references, KR4xx races, KA5xx atomic context.
"""

from __future__ import annotations

from .base import FileContext, FunctionContext, Rule
from .ka501_sleep_in_atomic import SleepInAtomic
from .kl101_error_path_leak import ErrorPathLeak
from .kl102_skipped_cleanup import SkippedCleanup
from .kl201_lock_held_at_return import LockHeldAtReturn
from .kl202_double_lock import DoubleLock
from .kl301_refcount_leak import RefcountLeak
from .kr401_unguarded_field_access import UnguardedFieldAccess
from .kr402_check_then_act import CheckThenAct
from .kr403_shutdown_race import UncheckedShutdown
from .kr404_lock_order import LockOrderInversion

REGISTRY: list[type[Rule]] = [
    ErrorPathLeak,  # KL101 leaks first: the most common driver bug
    SkippedCleanup,  # KL102
    LockHeldAtReturn,  # KL201
    DoubleLock,  # KL202
    RefcountLeak,  # KL301
    UnguardedFieldAccess,  # KR401
    CheckThenAct,  # KR402
    UncheckedShutdown,  # KR403
    LockOrderInversion,  # KR404
    SleepInAtomic,  # KA501
]


def all_rules() -> list[Rule]:
    return [cls() for cls in REGISTRY]


def rule_by_code(code: str) -> Rule | None:
    for cls in REGISTRY:
        if cls.code == code:
            return cls()
    return None


__all__ = ["REGISTRY", "FileContext", "FunctionContext", "Rule", "all_rules", "rule_by_code"]
