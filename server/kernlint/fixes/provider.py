"""The fix provider: which verified fixes exist for a finding (or a selection).

Used by the language server's code actions and by `kernlint fix`. Every fix returned here
went through `verify.verify_text` (it parses, removes its finding, adds none, and touches
only its function or the sites it declares). Order: safe before unsafe, then the template
that best matches the function's own style (an existing unwind ladder -> cleanup label;
inline releases -> release before return).
"""

from __future__ import annotations

import logging

from ..engine import Analysis, Engine
from ..model import Applicability, Finding, Fix
from ..syntax import Function, ParsedFile
from . import (
    add_lock,
    cleanup_label,
    disconnect_check,
    managed,
    refcount,
    release_before_return,
    scoped,
    skipped_cleanup,
)
from .base import Candidate, FixContext, ladder_of

log = logging.getLogger("kernlint.fixes")

_ORDER = {Applicability.SAFE: 0, Applicability.UNSAFE: 1, Applicability.SUGGESTION: 2}


def _findings_of(analysis_findings: object) -> list[Finding]:
    if isinstance(analysis_findings, Analysis):
        return list(analysis_findings.result.findings)
    if analysis_findings is None:
        return []
    return list(analysis_findings)  # type: ignore[call-overload]


def fixes_for(engine: Engine, parsed: ParsedFile, analysis_findings: object,
              finding: Finding) -> list[Fix]:
    """Verified fixes for one finding, best first. `analysis_findings` is the document's
    findings (a list, or the Analysis that produced them)."""
    try:
        ctx = FixContext(engine, parsed, _findings_of(analysis_findings))
        fresh = ctx.match_finding(finding)
        if fresh is None:
            return []
        return _fixes(ctx, fresh, finding)
    except Exception:  # a template bug must not break the editor
        log.exception("fix templates failed for %s in %s", finding.rule, parsed.path)
        return []


def _fixes(ctx: FixContext, fresh: Finding, original: Finding) -> list[Fix]:
    facts = ctx.facts_of(fresh.function)
    rule = fresh.rule
    cands: list[Candidate] = []
    if rule.startswith("KR40") and rule != "KR403":
        fn = _function(ctx, fresh.function)
        if fn is None:
            return []
        cands = add_lock.candidates(ctx, facts, fn, fresh)
    elif rule == "KR403":
        fn = _function(ctx, fresh.function)
        if fn is None:
            return []
        cands = disconnect_check.candidates(ctx, facts, fn, fresh)
    elif rule == "KL102" and facts is not None:
        cands = skipped_cleanup.candidates(ctx, facts, facts.function, fresh)
    elif rule.startswith(("KL1", "KL2", "KL3")) and facts is not None:
        fn = facts.function
        if fresh.data.get("iter_ref"):
            cands = refcount.candidates(ctx, facts, fn, fresh)
        elif "exit_node" in fresh.data:
            label = cleanup_label.candidates(ctx, facts, fn, fresh)
            inline = release_before_return.candidates(ctx, facts, fn, fresh)
            cands = _rank(ctx, facts, fresh, label, inline)
            # the idiomatic alternatives (__free / guard, then devm_) come second, where the
            # file already uses them; they are unsafe, so never preferred
            cands += scoped.candidates(ctx, facts, fn, fresh)
            cands += managed.candidates(ctx, facts, fn, fresh)
    else:
        return []
    if not cands:
        return []
    fn = _function(ctx, fresh.function)
    if fn is None:
        return []
    fixes = ctx.offer(fresh, fn, cands)
    fixes = [Fix(f.title, f.edits, f.applicability, f.rule, original, f.kind, f.fix_id, f.sites)
             for f in fixes]
    fixes.sort(key=lambda f: _ORDER.get(f.applicability, 3))
    return fixes


def _function(ctx: FixContext, name: str) -> Function | None:
    for fn in ctx.parsed.functions:
        if fn.name == name:
            return fn
    return None


def _rank(ctx: FixContext, facts: object, finding: Finding, label: list[Candidate],
          inline: list[Candidate]) -> list[Candidate]:
    """Order the label-based and inline candidates by the function's own style."""
    from ..facts import FunctionFacts

    assert isinstance(facts, FunctionFacts)
    safe = [c for c in [*label, *inline] if c.applicability == Applicability.SAFE]
    rest_label = [c for c in label if c not in safe]
    rest_inline = [c for c in inline if c not in safe]
    ladder = ladder_of(ctx, facts.function)
    prefer_inline = ladder is None
    if any(c.fix_id == cleanup_label.FIX_LADDER for c in label):
        return [*safe, *rest_label, *rest_inline]
    rel = finding.data.get("release_node")
    cfg = facts.cfg
    if ladder is not None and ladder.order and isinstance(rel, int) and cfg is not None \
            and 0 <= rel < len(cfg.nodes) and cfg.nodes[rel].ast is not None:
        rel_line = ctx.pos(cfg.nodes[rel].ast.start_byte)[0]  # type: ignore[union-attr]
        prefer_inline = rel_line < ladder.label_line[ladder.order[0]]
    if prefer_inline:
        return [*safe, *rest_inline, *rest_label]
    return [*safe, *rest_label, *rest_inline]


def selection_fixes(engine: Engine, parsed: ParsedFile, findings: object, start_line: int,
                    end_line: int) -> list[Fix]:
    """"Add mutex around selection": verified refactorings for the whole statements between
    the 0-based lines start_line..end_line."""
    try:
        ctx = FixContext(engine, parsed, _findings_of(findings))
        return add_lock.selection_fixes(ctx, start_line, end_line)
    except Exception:
        log.exception("selection fixes failed in %s", parsed.path)
        return []
