"""Kernel API knowledge, loaded from the packaged data file and project extensions.

Nothing in the analysis names a kernel function; it asks this module.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

# Abstract values a variable may hold: Z zero/NULL, N negative/ERR_PTR, P positive/valid.
Z, N, P = "Z", "N", "P"
ALL = frozenset({Z, N, P})

# check -> the set of values that mean the call succeeded
SUCCESS_SETS: dict[str, frozenset[str]] = {
    "null": frozenset({N, P}),  # non-NULL (ERR_PTR never returned)
    "zero_fail": frozenset({N, P}),
    "err": frozenset({Z, P}),  # !IS_ERR
    "err_or_null": frozenset({P}),
    "zero": frozenset({Z}),
    "nonneg": frozenset({Z, P}),
    "nonzero": frozenset({N, P}),
    "none": ALL,
}


class KnowledgeError(ValueError):
    pass


@dataclass(frozen=True)
class Release:
    fn: str
    arg: int = 0
    member: str = ""  # release takes &resource->member


@dataclass(frozen=True)
class Acquire:
    fn: str
    take: str  # "ret" | "out" | "arg"
    index: int
    success: frozenset[str]
    releases: tuple[Release, ...]
    kind: str  # memory | resource | ref
    what: str
    alias_arg: int | None = None
    persistent: bool = False  # an enable state drivers often keep on purpose
    # How a fix writes the release, from the acquisition's arguments ("free_irq({0}, {4})");
    # empty: `release(resource)` when that release takes one argument.
    release_call: str = ""

    @property
    def rule_family(self) -> str:
        return "ref" if self.kind == "ref" else "leak"


@dataclass(frozen=True)
class LockOp:
    fn: str
    lock_class: str
    op: str  # acquire | acquire_zero | acquire_nonzero | release
    atomic: bool
    recursive_ok: bool
    no_argument: bool
    # False for a lock that serializes whole operations (a card-wide mutex taken through
    # the runtime object): the race rules do not take it for a guard of fields.
    guards_fields: bool = True


@dataclass(frozen=True)
class IteratorRef:
    fn: str
    var: int
    releases: tuple[str, ...]


@dataclass(frozen=True)
class ManagedAlt:
    """The device-managed counterpart of an acquisition (data/managed_api.toml)."""

    fn: str
    managed: str
    device: str  # "same": same arguments | "prepend": a `struct device *` goes first


@dataclass
class ManagedApi:
    alternatives: dict[str, ManagedAlt] = field(default_factory=dict)
    device_arg: frozenset[str] = frozenset()  # calls whose first argument is the device
    device_of_param: dict[str, str] = field(default_factory=dict)  # struct name -> "&{}->dev"
    drvdata: dict[str, str] = field(default_factory=dict)  # setter -> getter
    setup_words: tuple[str, ...] = ()
    teardown_words: tuple[str, ...] = ()
    teardown_fields: tuple[str, ...] = ()


@dataclass
class Knowledge:
    acquires: dict[str, Acquire] = field(default_factory=dict)
    release_index: dict[str, list[tuple[Release, Acquire | None]]] = field(default_factory=dict)
    # function -> (the arguments it takes over, whether it does so even when it fails)
    transfers: dict[str, tuple[tuple[int, ...], bool]] = field(default_factory=dict)
    drvdata_setters: set[str] = field(default_factory=set)  # transfers marked drvdata
    locks: dict[str, LockOp] = field(default_factory=dict)
    lock_classes: dict[str, LockOp] = field(default_factory=dict)  # class -> a representative op
    guards: dict[str, str] = field(default_factory=dict)
    iterators: dict[str, IteratorRef] = field(default_factory=dict)
    transfer_fragments: tuple[str, ...] = ()
    managed_prefixes: tuple[str, ...] = ()
    noreturn: frozenset[str] = frozenset()
    release_verbs: tuple[str, ...] = ()
    unwind_words: tuple[str, ...] = ()  # extra name words of unwind steps (KL102)
    release_arity: dict[str, int] = field(default_factory=dict)  # releases taking > 1 argument
    # Name words of two-valued enumerators (IN/OUT): x != FOO_IN_STREAM means x == FOO_OUT_STREAM.
    opposite_words: dict[str, str] = field(default_factory=dict)
    configure_words: tuple[str, ...] = ()  # transfer words that only set up their first argument
    acquire_verbs: tuple[str, ...] = ()
    borrowed: frozenset[str] = frozenset()
    sleeping: frozenset[str] = frozenset()
    gfp_arg: dict[str, int] = field(default_factory=dict)
    sleeping_gfp: frozenset[str] = frozenset()
    not_pairs: frozenset[str] = frozenset()
    allocator_verbs: tuple[str, ...] = ()
    transfer_words: tuple[str, ...] = ()
    destructor_fields: tuple[str, ...] = ()
    destructor_registrars: dict[str, int] = field(default_factory=dict)
    # Functions that log and return the error code they were given as argument N
    # (dev_err_probe(dev, err, fmt, ..) returns err).
    error_passthrough: dict[str, int] = field(default_factory=dict)
    managed_if: list[tuple[frozenset[str], frozenset[str]]] = field(default_factory=list)
    managed: ManagedApi = field(default_factory=ManagedApi)
    _memo: dict[tuple[str, str], bool] = field(default_factory=dict)

    # ---- queries ----
    def is_managed(self, fn: str) -> bool:
        return fn.startswith(self.managed_prefixes)

    def knows(self, fn: str) -> bool:
        """fn is in the tables: an acquisition, a release, a lock operation or a transfer."""
        return fn in self.acquires or fn in self.release_index or fn in self.locks or \
            fn in self.transfers

    def releases_of(self, fn: str) -> list[tuple[Release, Acquire | None]]:
        return self.release_index.get(fn, [])

    def looks_like_release(self, fn: str) -> bool:
        got = self._memo.get(("rel", fn))
        if got is None:
            words = fn.lower().split("_")
            got = any(w in self.release_verbs for w in words)
            self._memo[("rel", fn)] = got
        return got

    def looks_like_unwind(self, fn: str) -> bool:
        """A release, or another step an unwind ladder runs (unlock, power down, ..)."""
        got = self._memo.get(("unwind", fn))
        if got is None:
            low = fn.lower()
            words = low.split("_")
            got = self.looks_like_release(fn) or any(w in self.unwind_words for w in words) or \
                any("_" in w and w in low for w in self.unwind_words)
            self._memo[("unwind", fn)] = got
        return got

    def looks_like_acquire(self, fn: str) -> bool:
        got = self._memo.get(("acq", fn))
        if got is None:
            words = fn.lower().split("_")
            got = any(w in self.acquire_verbs for w in words)
            self._memo[("acq", fn)] = got
        return got

    def looks_like_transfer(self, fn: str) -> bool:
        got = self._memo.get(("tr", fn))
        if got is None:
            low = fn.lower()
            words = low.split("_")
            got = any(frag.lower() in low for frag in self.transfer_fragments) or \
                any(w in self.transfer_words for w in words)
            self._memo[("tr", fn)] = got
        return got

    def only_configures(self, fn: str) -> bool:
        """A transfer-looking name whose only evidence is a configuring verb
        (device_set_driver_override): its first argument is the object set up, not kept."""
        low = fn.lower()
        words = set(low.split("_"))
        return not any(frag.lower() in low for frag in self.transfer_fragments) and \
            bool(words & set(self.configure_words)) and \
            not (words & set(self.transfer_words)) - set(self.configure_words)

    def looks_like_allocator(self, fn: str) -> bool:
        got = self._memo.get(("alloc", fn))
        if got is None:
            words = fn.lower().split("_")
            got = any(w in self.allocator_verbs for w in words)
            self._memo[("alloc", fn)] = got
        return got

    def sleeps(self, fn: str, args: list[str]) -> bool:
        if fn in self.sleeping:
            return True
        idx = self.gfp_arg.get(fn)
        if idx is not None and idx < len(args):
            flags = re.sub(r"\s+", " ", args[idx])
            return any(re.search(r"\b" + re.escape(g) + r"\b", flags) for g in self.sleeping_gfp) and (
                "GFP_ATOMIC" not in flags and "GFP_NOWAIT" not in flags
            )
        return False


def _as_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise KnowledgeError(f"{where}: expected a string or a list of strings")


def _parse_release(spec: str, where: str) -> Release:
    parts = spec.split(":")
    try:
        arg = int(parts[1]) if len(parts) > 1 and parts[1] else 0
    except ValueError as exc:
        raise KnowledgeError(f"{where}: bad release spec {spec!r}") from exc
    member = parts[2] if len(parts) > 2 else ""
    return Release(parts[0], arg, member)


def _merge(k: Knowledge, data: dict[str, Any], origin: str) -> None:
    for i, entry in enumerate(data.get("acquire", [])):
        where = f"{origin}: acquire[{i}]"
        take = str(entry.get("take", "ret"))
        m = re.fullmatch(r"(ret|out|arg)(?::(\d+))?", take)
        if not m:
            raise KnowledgeError(f"{where}: take must be ret, out:N or arg:N, not {take!r}")
        check = str(entry.get("check", "null"))
        if check not in SUCCESS_SETS:
            raise KnowledgeError(f"{where}: unknown check {check!r}")
        kind = str(entry.get("kind", "memory"))
        if kind not in ("memory", "resource", "ref"):
            raise KnowledgeError(f"{where}: kind must be memory, resource or ref")
        releases = tuple(_parse_release(r, where) for r in _as_list(entry.get("release", []), where))
        for fn in _as_list(entry.get("fn", []), where):
            alias = entry.get("alias_arg")
            call = str(entry.get("release_call", ""))
            if call and not re.fullmatch(r"[A-Za-z_]\w*\((?:\{\d+\}(?:,\s*\{\d+\})*)?\)", call):
                raise KnowledgeError(f"{where}: release_call must look like free_irq({{0}}, {{4}})")
            acq = Acquire(fn, m.group(1), int(m.group(2) or 0), SUCCESS_SETS[check], releases,
                          kind, str(entry.get("what", kind)),
                          int(alias) if alias is not None else None,
                          bool(entry.get("persistent", False)), call)
            k.acquires[fn] = acq
            for rel in releases:
                k.release_index.setdefault(rel.fn, []).append((rel, acq))
    for i, entry in enumerate(data.get("release", [])):
        where = f"{origin}: release[{i}]"
        for spec in _as_list(entry.get("fn", []), where):
            rel = _parse_release(spec, where)
            k.release_index.setdefault(rel.fn, []).append((rel, None))
    for i, entry in enumerate(data.get("transfer", [])):
        where = f"{origin}: transfer[{i}]"
        raw = entry.get("arg", 0)
        try:
            idxs = tuple(int(x) for x in raw) if isinstance(raw, list) else (int(raw),)
        except (TypeError, ValueError):
            raise KnowledgeError(f"{where}: arg must be an argument index or a list of them") \
                from None
        if not idxs:
            raise KnowledgeError(f"{where}: arg must name at least one argument")
        for fn in _as_list(entry.get("fn", []), where):
            k.transfers[fn] = (idxs, bool(entry.get("always", False)))
            if entry.get("drvdata", False):
                k.drvdata_setters.add(fn)
    for i, entry in enumerate(data.get("lock", [])):
        where = f"{origin}: lock[{i}]"
        cls = str(entry.get("class", f"lock{i}"))
        atomic = bool(entry.get("atomic", False))
        rec = bool(entry.get("recursive_ok", False))
        noarg = bool(entry.get("no_argument", False))
        fields = bool(entry.get("guards_fields", True))
        for op in ("acquire", "acquire_zero", "acquire_nonzero", "release"):
            for fn in _as_list(entry.get(op, []), where):
                lo = LockOp(fn, cls, op, atomic, rec, noarg, fields)
                k.locks[fn] = lo
                k.lock_classes.setdefault(cls, lo)
    for name, cls in data.get("guards", {}).items():
        k.guards[str(name)] = str(cls)
    for i, entry in enumerate(data.get("iterator_ref", [])):
        where = f"{origin}: iterator_ref[{i}]"
        rels = tuple(_as_list(entry.get("release", []), where))
        for fn in _as_list(entry.get("fn", []), where):
            k.iterators[fn] = IteratorRef(fn, int(entry.get("var", 0)), rels)
    h = data.get("heuristics", {})
    if h:
        k.transfer_fragments += tuple(_as_list(h.get("transfer_fragments", []), origin))
        k.managed_prefixes += tuple(_as_list(h.get("managed_prefixes", []), origin))
        k.noreturn |= frozenset(_as_list(h.get("noreturn", []), origin))
        k.release_verbs += tuple(_as_list(h.get("release_verbs", []), origin))
        k.unwind_words += tuple(_as_list(h.get("unwind_words", []), origin))
        for fn, n in dict(h.get("release_arity", {})).items():
            try:
                k.release_arity[str(fn)] = int(n)
            except (TypeError, ValueError):
                raise KnowledgeError(f"{origin}: release_arity.{fn} must be a number") from None
        k.configure_words += tuple(_as_list(h.get("configure_words", []), origin))
        for i, pair in enumerate(h.get("opposite_words", [])):
            words = _as_list(pair, f"{origin}: opposite_words[{i}]")
            if len(words) != 2:
                raise KnowledgeError(f"{origin}: opposite_words[{i}] must name two words")
            k.opposite_words[words[0]] = words[1]
            k.opposite_words[words[1]] = words[0]
        k.acquire_verbs += tuple(_as_list(h.get("acquire_verbs", []), origin))
        k.borrowed |= frozenset(_as_list(h.get("borrowed", []), origin))
        k.not_pairs |= frozenset(_as_list(h.get("not_pairs", []), origin))
        k.allocator_verbs += tuple(_as_list(h.get("allocator_verbs", []), origin))
        k.transfer_words += tuple(_as_list(h.get("transfer_words", []), origin))
        k.destructor_fields += tuple(_as_list(h.get("destructor_fields", []), origin))
        for fn, idx in dict(h.get("destructor_registrars", {})).items():
            k.destructor_registrars[str(fn)] = int(idx)
        for fn, idx in dict(h.get("error_passthrough", {})).items():
            try:
                k.error_passthrough[str(fn)] = int(idx)
            except (TypeError, ValueError):
                raise KnowledgeError(f"{origin}: error_passthrough.{fn} must be a number") from None
    for i, entry in enumerate(data.get("managed_if", [])):
        where = f"{origin}: managed_if[{i}]"
        k.managed_if.append((frozenset(_as_list(entry.get("when", []), where)),
                             frozenset(_as_list(entry.get("releases", []), where))))
    mg = data.get("managed", {})
    if mg:
        _merge_managed(k.managed, mg, f"{origin}: managed")
    s = data.get("sleeping", {})
    if s:
        k.sleeping |= frozenset(_as_list(s.get("always", []), origin))
        for fn, idx in dict(s.get("gfp", {})).items():
            k.gfp_arg[str(fn)] = int(idx)
        k.sleeping_gfp |= frozenset(_as_list(s.get("sleeping_gfp", []), origin))


def _merge_managed(m: ManagedApi, data: Any, where: str) -> None:
    if not isinstance(data, dict):
        raise KnowledgeError(f"{where}: expected a table")
    for fn, entry in dict(data.get("alternatives", {})).items():
        w = f"{where}.alternatives.{fn}"
        if not isinstance(entry, dict) or not isinstance(entry.get("managed"), str):
            raise KnowledgeError(f"{w}: expected {{ managed = \"devm_...\", device = ... }}")
        device = str(entry.get("device", "same"))
        if device not in ("same", "prepend"):
            raise KnowledgeError(f"{w}: device must be \"same\" or \"prepend\"")
        m.alternatives[str(fn)] = ManagedAlt(str(fn), str(entry["managed"]), device)
    m.device_arg |= frozenset(_as_list(data.get("device_arg", []), f"{where}.device_arg"))
    for key in ("device_of_param", "drvdata"):
        table = data.get(key, {})
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise KnowledgeError(f"{where}.{key}: expected a table of strings")
        getattr(m, key).update({str(a): str(b) for a, b in table.items()})
    for key in ("setup_words", "teardown_words", "teardown_fields"):
        extra = tuple(_as_list(data.get(key, []), f"{where}.{key}"))
        setattr(m, key, getattr(m, key) + extra)


@lru_cache(maxsize=1)
def _builtin_data() -> dict[str, Any]:
    text = resources.files("kernlint").joinpath("data/kernel_api.toml").read_text("utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def _managed_data() -> dict[str, Any]:
    text = resources.files("kernlint").joinpath("data/managed_api.toml").read_text("utf-8")
    return tomllib.loads(text)


def load_knowledge(extra: dict[str, Any] | None = None) -> Knowledge:
    k = Knowledge()
    _merge(k, _builtin_data(), "kernel_api.toml")
    _merge(k, _managed_data(), "managed_api.toml")
    if extra:
        _merge(k, extra, ".kernlint.toml [knowledge]")
    return k


@lru_cache(maxsize=1)
def default_knowledge() -> Knowledge:
    return load_knowledge()
