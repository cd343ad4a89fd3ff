"""The engine: text in, findings out. Used identically by the CLI, the server and the fixers.

    syntax (ParsedFile) -> control flow + facts (per function) -> rules -> findings

Per-function results are cached by the function's text, the summaries of the file-local
helpers it may call, and the configuration; the editor re-analyses only what changed.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace

from .config import Config
from .facts import FunctionFacts, Limits, Summary, analyse_function, summarise, zero_functions
from .knowledge import Knowledge, load_knowledge
from .model import FileResult, Finding, Related, Span
from .ownership import managed_releases
from .rules import FileContext, FunctionContext, Rule, all_rules
from .syntax import Function, ParsedFile

log = logging.getLogger("kernlint.engine")

SUPPRESS_RE = re.compile(r"kernlint:\s*ignore(?:\[([A-Z0-9,\s]+)\])?")


def _shift_span(s: Span, dline: int, dbyte: int) -> Span:
    return Span(s.start_line + dline, s.start_col, s.end_line + dline, s.end_col,
                s.start_byte + dbyte, s.end_byte + dbyte)


def _shift(f: Finding, dline: int, dbyte: int) -> Finding:
    related = tuple(Related(_shift_span(r.span, dline, dbyte), r.message, r.path) if r.path is None
                    else r for r in f.related)
    data = dict(f.data)
    for key in ("acquire_byte",):
        v = data.get(key)
        if isinstance(v, int):
            data[key] = v + dbyte
    return replace(f, span=_shift_span(f.span, dline, dbyte), related=related, data=data)


@dataclass
class _Cached:
    findings: list[Finding]  # relative to the function's first line and byte


@dataclass
class FunctionCache:
    """LRU of per-function results; share one per open document (or per process)."""

    capacity: int = 4096
    items: OrderedDict[str, _Cached] = field(default_factory=OrderedDict)
    summaries: dict[str, Summary | None] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    ownership: dict[object, object] = field(default_factory=dict)  # ownership.py memo
    races: dict[object, object] = field(default_factory=dict)  # races.py per-item memo
    file_findings: dict[str, list[Finding]] = field(default_factory=dict)  # by function hash
    # file-rule per-function summaries (races.AccessSummary), keyed by helper-summary
    # fingerprint, then function text hash; entries are position independent
    file_rule_summaries: OrderedDict[str, dict[str, object]] = field(default_factory=OrderedDict)

    def summaries_for(self, fp: str) -> dict[str, object]:
        got = self.file_rule_summaries.get(fp)
        if got is None:
            got = self.file_rule_summaries[fp] = {}
            while len(self.file_rule_summaries) > 4:
                self.file_rule_summaries.popitem(last=False)
        else:
            self.file_rule_summaries.move_to_end(fp)
        return got

    def get(self, key: str) -> _Cached | None:
        got = self.items.get(key)
        if got is not None:
            self.items.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return got

    def put(self, key: str, value: _Cached) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.capacity:
            self.items.popitem(last=False)


@dataclass
class Analysis:
    """Everything one run over a document produced (fixers and file rules use the facts)."""

    parsed: ParsedFile
    result: FileResult
    facts: list[FunctionFacts]
    complete: bool = True  # False: a quick run (file-wide rules carried over, not recomputed)


_CALL_RE = re.compile(rb"\b([A-Za-z_]\w*)\s*\(")


def _called_names(parsed: ParsedFile) -> Counter[str]:
    """How often each name is followed by `(` in the file (definitions included)."""
    return Counter(m.decode() for m in _CALL_RE.findall(parsed.src))


class Engine:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.knowledge: Knowledge = load_knowledge(self.config.knowledge or None)
        self.rules: list[Rule] = [r for r in all_rules() if self.config.rule_enabled(r.code)]
        self._fingerprint = self.config.fingerprint()

        class _L(Limits):
            seconds = self.config.function_seconds

        self.limits = _L
        self._managed: frozenset[str] = frozenset()

    # ---- public API ----
    def analyze_text(self, text: str, path: str = "<memory>",
                     cache: FunctionCache | None = None) -> FileResult:
        return self.analyze(ParsedFile(text, path), cache).result

    def analyze(self, parsed: ParsedFile, cache: FunctionCache | None = None,
                keep_facts: bool = False, quick: bool = False) -> Analysis:
        """quick (editor, with a cache): run the per-function rules only and carry over the
        file-wide (race) findings of functions whose text did not change since the last full
        run; Analysis.complete is False. The caller follows up with a full run."""
        result = FileResult(parsed.path)
        functions = parsed.functions
        result.functions = len(functions)
        result.error_nodes = parsed.error_node_count()
        fn_rules = [r for r in self.rules if r.scope == "function"]
        file_rules = [r for r in self.rules if r.scope == "file"]
        quick = quick and cache is not None and bool(file_rules)
        if quick:
            file_rules_run: list[Rule] = []
        else:
            file_rules_run = file_rules
        need_facts = keep_facts or bool(file_rules_run)
        self._managed = self._managed_releases(parsed, cache)
        # Pass 1: helpers, to learn what they do to their arguments: the static ones, and
        # those of other linkage this file calls itself (one body per name in C).
        pass1: dict[int, FunctionFacts] = {}
        summaries: dict[str, Summary] = {}
        scratch = FileResult(parsed.path)
        called = parsed.derived("called_names", _called_names) \
            if any(not fn.is_static for fn in functions) else Counter()
        for i, fn in enumerate(functions):
            if not fn.is_static and called.get(fn.name, 0) < 2:  # (its own definition is one)
                continue
            skey = f"S:{fn.text_hash}:{self._fingerprint}"
            if cache is not None and skey in cache.summaries:
                s = cache.summaries[skey]
            else:
                pf = self._function_facts(parsed, fn, {}, scratch)
                pass1[i] = pf
                s = summarise(pf, self.knowledge) if pf.walked else None
                if cache is not None:
                    cache.summaries[skey] = s
            if s is not None:
                summaries[fn.name] = s
        # Per-function results also depend on which helpers of the file can only return 0.
        summ_fp = hashlib.sha1(repr((sorted((k, repr(v)) for k, v in summaries.items()),
                                     sorted(zero_functions(parsed))))
                               .encode()).hexdigest()[:12]
        all_facts: list[FunctionFacts] = []
        access: dict[str, object] | None = None
        if cache is not None and file_rules_run:
            access = cache.summaries_for(f"{summ_fp}:{self._fingerprint}")
        for i, fn in enumerate(functions):
            key = f"{fn.text_hash}:{summ_fp}:{self._fingerprint}"
            cached = cache.get(key) if cache is not None else None
            # File rules read per-function summaries; facts are needed only where none is cached.
            want_facts = keep_facts or (bool(file_rules_run) and
                                        (access is None or fn.text_hash not in access))
            if cached is not None:
                dline, dbyte = fn.span.start_line, fn.node.start_byte
                result.findings.extend(_shift(f, dline, dbyte) for f in cached.findings)
                if not want_facts:
                    if file_rules_run:
                        all_facts.append(FunctionFacts(fn, None))
                    continue
            facts = pass1.get(i)
            if facts is None or (facts.callees & summaries.keys()):
                facts = self._function_facts(parsed, fn, summaries, result)
            elif facts.note:
                result.notes.append(f"{parsed.path}: {facts.note}")
            if need_facts:
                all_facts.append(facts)
            if cached is not None:
                continue
            findings = self._run_function_rules(parsed, facts, fn_rules, result, summaries)
            result.findings.extend(findings)
            if cache is not None:
                dline, dbyte = fn.span.start_line, fn.node.start_byte
                cache.put(key, _Cached([_shift(f, -dline, -dbyte) for f in findings]))
        if quick:
            assert cache is not None
            for fn in functions:
                for f in cache.file_findings.get(fn.text_hash, ()):
                    result.findings.append(_shift(f, fn.span.start_line, fn.node.start_byte))
        if file_rules_run:
            extra: dict[str, object] = {}
            if access is not None:
                extra["access_summaries"] = access
            if cache is not None:
                extra["race_memo"] = cache.races
            fctx = FileContext(parsed, all_facts, self.knowledge, extra)
            for rule in file_rules:
                try:
                    result.findings.extend(rule.check_file(fctx))
                except Exception as exc:  # a rule bug must not take the file down
                    log.debug("rule %s failed on %s", rule.code, parsed.path, exc_info=True)
                    result.notes.append(f"{parsed.path}: rule {rule.code} failed: {exc!r}")
            if cache is not None:
                self._remember_file_findings(parsed, result.findings, file_rules_run, cache)
        result.findings = self._postprocess(parsed, result.findings)
        return Analysis(parsed, result, all_facts, complete=not quick)

    def _remember_file_findings(self, parsed: ParsedFile, findings: list[Finding],
                                rules: list[Rule], cache: FunctionCache) -> None:
        """File-rule findings relative to their function, for the next quick run."""
        codes = {r.code for r in rules}
        by_name = {fn.name: fn for fn in parsed.functions}
        kept: dict[str, list[Finding]] = {}
        for f in findings:
            fn = by_name.get(f.function)
            if f.rule not in codes or fn is None:
                continue
            kept.setdefault(fn.text_hash, []).append(
                _shift(f, -fn.span.start_line, -fn.node.start_byte))
        cache.file_findings = kept

    # ---- internals ----
    def _managed_releases(self, parsed: ParsedFile, cache: FunctionCache | None) -> frozenset[str]:
        return managed_releases(parsed, self.knowledge, cache.ownership if cache else None)

    def _function_facts(self, parsed: ParsedFile, fn: Function, summaries: dict[str, Summary],
                        result: FileResult, force: bool = False) -> FunctionFacts:
        try:
            facts = analyse_function(parsed, fn, self.knowledge, summaries, self.limits, force,
                                     self._managed)
        except RecursionError:
            result.notes.append(f"{parsed.path}: {fn.name}: nesting too deep; skipped")
            return FunctionFacts(fn, None, truncated=True)
        except Exception as exc:
            log.debug("analysis of %s in %s failed", fn.name, parsed.path, exc_info=True)
            result.notes.append(f"{parsed.path}: {fn.name}: analysis failed ({exc!r}); skipped")
            return FunctionFacts(fn, None, truncated=True)
        if facts.note:
            result.notes.append(f"{parsed.path}: {facts.note}")
        return facts

    def _run_function_rules(self, parsed: ParsedFile, facts: FunctionFacts, rules: list[Rule],
                            result: FileResult,
                            summaries: dict[str, Summary] | None = None) -> list[Finding]:
        if facts.cfg is None:
            return []
        ctx = FunctionContext(parsed, facts, self.knowledge, summaries or {})
        out: list[Finding] = []
        for rule in rules:
            try:
                out.extend(rule.check_function(ctx))
            except Exception as exc:
                log.debug("rule %s failed on %s", rule.code, facts.function.name, exc_info=True)
                result.notes.append(
                    f"{parsed.path}: {facts.function.name}: rule {rule.code} failed ({exc!r})")
        return out

    def _postprocess(self, parsed: ParsedFile, findings: list[Finding]) -> list[Finding]:
        lines = parsed.text.splitlines()
        out = []
        seen: set[tuple[str, int, int, str]] = set()
        order = {r.code: i for i, r in enumerate(self.rules)}
        for f in findings:
            if not self.config.rule_enabled(f.rule):
                continue
            if _suppressed(lines, f.span.start_line, f.rule):
                continue
            key = (f.rule, f.span.start_line, f.span.start_col, f.resource)
            if key in seen:
                continue
            seen.add(key)
            sev = self.config.severity.get(f.rule)
            if sev is None:
                for prefix, level in self.config.severity.items():
                    if f.rule.startswith(prefix):
                        sev = level
            if sev is not None and sev != f.severity:
                f = replace(f, severity=sev)
            out.append(f)
        out.sort(key=lambda f: (f.span.start_line, f.span.start_col, order.get(f.rule, 99)))
        return out


def _suppressed(lines: list[str], line: int, code: str) -> bool:
    for ln in (line, line - 1):
        if 0 <= ln < len(lines):
            m = SUPPRESS_RE.search(lines[ln])
            if m:
                codes = m.group(1)
                if not codes:
                    return True
                if any(code.startswith(c.strip()) for c in codes.split(",") if c.strip()):
                    return True
    return False
