"""Code-action providers. Protocol-free: server.py turns ActionSpecs into LSP CodeActions.

A provider offers actions for the findings under the cursor (`actions`, called for every
codeAction request, so it must be cheap or cache) and computes the fix when the client
resolves one (`resolve`). Providers are listed in FACTORIES; each factory imports its module
lazily and a missing module (ImportError) just means "no such actions". Adding a provider is
one factory and one list entry.

Providers with `blocking = False` run on the analysis worker thread and get the document's
ParsedFile and last Analysis. A `blocking = True` provider (the LLM) may take seconds in
`resolve`; it runs on another thread and gets a text snapshot only (`parsed`/`analysis` None)
— it must build its own ParsedFile if it needs one. `actions` always runs on the worker.

Contract for `kernlint.llm.actions` (the "Fix with LLM" provider):
    llm_actions(ctx: ActionContext) -> list[ActionSpec]
        cheap, no network; return [] unless ctx.config.llm.enabled. Set spec.provider = "llm"
        (or leave it empty: the adapter fills it) and put what resolve needs, JSON-able,
        in spec.key.
    resolve_llm_action(ctx: ActionContext, finding: Finding, key: dict) -> Fix | None
        may call the model (import litellm here, never at module level); return a Fix
        that went through fixes.verify, applicability SUGGESTION, or None.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..model import Applicability, Finding, Fix, Span, TextEdit

if TYPE_CHECKING:
    from ..config import Config
    from ..engine import Analysis, Engine
    from ..syntax import ParsedFile

log = logging.getLogger("kernlint.lsp")


@dataclass
class ActionContext:
    engine: Engine
    config: Config
    uri: str
    path: str
    version: int
    text: str
    findings: list[Finding]  # the findings the request is about (those under the cursor)
    parsed: ParsedFile | None = None  # None for blocking providers
    analysis: Analysis | None = None
    fix_cache: dict[str, list[Fix]] = field(default_factory=dict)  # per document version
    # For blocking providers: set when the client cancels the request or the progress.
    cancel: threading.Event | None = None
    progress: Callable[[str], None] | None = None  # short status lines ($/progress report)


@dataclass
class ActionSpec:
    title: str
    finding: Finding
    key: dict[str, Any]  # JSON-able; comes back in resolve
    kind: str = "quickfix"
    preferred: bool = False
    provider: str = ""
    fix: Fix | None = None  # set when the fix is already known (resolve may reuse it)


class Provider(Protocol):
    name: str
    blocking: bool

    def actions(self, ctx: ActionContext) -> list[ActionSpec]: ...

    def resolve(self, ctx: ActionContext, finding: Finding, key: dict[str, Any]) -> Fix | None: ...


# ------------------------------------------------------------------ template fixes
class TemplateFixes:
    """Deterministic, verified fixes from kernlint.fixes.provider.fixes_for."""

    name = "fix"
    blocking = False

    def __init__(self, fixes_for: Callable[..., list[Fix]]) -> None:
        self._fixes_for = fixes_for

    def _fixes(self, ctx: ActionContext, f: Finding) -> list[Fix]:
        key = f.fingerprint
        got = ctx.fix_cache.get(key)
        if got is None:
            got = list(self._fixes_for(ctx.engine, ctx.parsed, ctx.analysis, f) or [])
            ctx.fix_cache[key] = got
        return got

    def actions(self, ctx: ActionContext) -> list[ActionSpec]:
        out = []
        for f in ctx.findings:
            for i, fix in enumerate(self._fixes(ctx, f)):
                out.append(ActionSpec(fix.title, f, {"index": i, "fixId": fix.fix_id},
                                      kind=fix.kind or "quickfix",
                                      preferred=fix.applicability == Applicability.SAFE, fix=fix))
        return out

    def resolve(self, ctx: ActionContext, finding: Finding, key: dict[str, Any]) -> Fix | None:
        fixes = self._fixes(ctx, finding)
        fix_id = key.get("fixId")
        index = key.get("index")
        for i, fix in enumerate(fixes):
            if fix.fix_id == fix_id and (not fix_id or i == index):
                return fix
        if isinstance(index, int) and 0 <= index < len(fixes):
            return fixes[index]
        return None


# ------------------------------------------------------------------ suppress comment
_SUPPRESS = re.compile(r"kernlint:\s*ignore\[([A-Z0-9,\s]*)\]")


def suppress_edit(text_line: str, above: str | None, line: int, rule: str) -> TextEdit:
    """Insert `/* kernlint: ignore[RULE] */` above `line` (same indentation), or add RULE to
    an existing ignore[...] comment on the line above."""
    if above is not None:
        m = _SUPPRESS.search(above)
        if m:
            codes = [c.strip() for c in m.group(1).split(",") if c.strip()]
            if rule not in codes:
                codes.append(rule)
            start, end = m.span(1)
            return TextEdit(Span(line - 1, start, line - 1, end), ", ".join(codes))
    indent = text_line[: len(text_line) - len(text_line.lstrip(" \t"))]
    return TextEdit(Span(line, 0, line, 0), f"{indent}/* kernlint: ignore[{rule}] */\n")


class SuppressLine:
    name = "suppress"
    blocking = False

    def actions(self, ctx: ActionContext) -> list[ActionSpec]:
        out = []
        seen: set[tuple[str, int]] = set()
        for f in ctx.findings:
            k = (f.rule, f.span.start_line)
            if k in seen:
                continue
            seen.add(k)
            out.append(ActionSpec(f"Suppress {f.rule} on this line", f,
                                  {"rule": f.rule, "line": f.span.start_line}))
        return out

    def resolve(self, ctx: ActionContext, finding: Finding, key: dict[str, Any]) -> Fix | None:
        lines = ctx.text.split("\n")
        line = finding.span.start_line
        if line >= len(lines):
            return None
        above = lines[line - 1] if line > 0 else None
        edit = suppress_edit(lines[line], above, line, finding.rule)
        return Fix(f"Suppress {finding.rule} on this line", (edit,), Applicability.SUGGESTION,
                   finding.rule, finding, "quickfix", "suppress-line")


# ------------------------------------------------------------------ LLM hook
class LlmFixes:
    name = "llm"
    blocking = True

    def __init__(self, module: Any) -> None:
        self._m = module

    def actions(self, ctx: ActionContext) -> list[ActionSpec]:
        specs = list(self._m.llm_actions(ctx) or [])
        for s in specs:
            s.provider = s.provider or self.name
            s.preferred = False  # never preferred: LLM fixes are never "safe"
        return specs

    def resolve(self, ctx: ActionContext, finding: Finding, key: dict[str, Any]) -> Fix | None:
        fix: Fix | None = self._m.resolve_llm_action(ctx, finding, key, ctx.cancel, ctx.progress)
        return fix


# ------------------------------------------------------------------ registry
def _template() -> Provider:
    from ..fixes.provider import fixes_for

    return TemplateFixes(fixes_for)


def _suppress() -> Provider:
    return SuppressLine()


def _llm() -> Provider:
    from ..llm import actions as llm_actions  # type: ignore[attr-defined,unused-ignore]

    return LlmFixes(llm_actions)


# Order is the order in the editor's menu: real fixes first, then the LLM, suppression last.
FACTORIES: list[Callable[[], Provider]] = [_template, _llm, _suppress]


def load_providers() -> list[Provider]:
    out: list[Provider] = []
    for factory in FACTORIES:
        try:
            out.append(factory())
        except ImportError as exc:
            log.info("code actions: %s unavailable (%s)", factory.__name__.strip("_"), exc)
        except Exception:
            log.exception("code actions: provider %s failed to load", factory.__name__)
    return out
