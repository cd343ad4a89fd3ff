"""One LLM fix, end to end, for the editor and the batch CLI.

    llm_action_titles(settings, finding)        cheap; what the editor lists at once
    await resolve_llm_fix(engine, settings, text, path, finding, progress, cancel)
        -> LlmFixResult: a verified Fix (applicability SUGGESTION, never preferred) and its
           diff, or the reason there is none

Flow: cache -> up to `candidates` model calls (stopping at the first verified answer) -> one
repair round that shows the model kernlint's complaint about its last answer. Every answer
is parsed (parse.py), spliced into a copy of the document and checked with
`fixes.verify.verify_text` (allowed lines: the function in the new text; change size bound:
`max_changed_lines`) and with the release-twice guard (release_check.py).

Time: each call is bounded by `timeout`; the whole resolution by timeout x (candidates + 1)
unless the caller passes a tighter `deadline`. Cancelling (asyncio.Event or threading.Event)
abandons the pending call at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..config import LlmSettings
from ..engine import Engine
from ..facts import FunctionFacts, analyse_function
from ..fixes.verify import verify_text
from ..model import Applicability, Finding, Fix, Span, TextEdit
from ..patches import make_diff
from ..syntax import Function, ParsedFile
from . import client, prompt
from .cache import FixCache, cache_key
from .parse import parse_answer, splice_function
from .release_check import Repeat, describe, new_repeats, repeats

log = logging.getLogger("kernlint.llm")

FIX_ID = "llm"
_CPU = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="kernlint-llm-cpu")


@dataclass
class Attempt:
    stage: str  # "candidate 1", "candidate 2", "repair", "cache"
    verified: bool
    reason: str
    diff: str = ""
    answer_kind: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class LlmFixResult:
    fix: Fix | None
    reason: str  # "verified", or why no fix is offered
    diff: str = ""
    model: str = ""
    new_text: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    cached: bool = False
    cancelled: bool = False

    @property
    def verified(self) -> bool:
        return self.fix is not None

    @property
    def tokens_in(self) -> int:
        return sum(a.tokens_in for a in self.attempts)

    @property
    def tokens_out(self) -> int:
        return sum(a.tokens_out for a in self.attempts)

    @property
    def seconds(self) -> float:
        return sum(a.seconds for a in self.attempts)

    @property
    def calls(self) -> int:
        return sum(1 for a in self.attempts if a.stage != "cache")


def llm_action_titles(settings: LlmSettings, finding: Finding) -> list[str]:
    """Titles of the LLM actions for a finding (no I/O; empty when LLM fixes are off)."""
    del finding  # every rule family has guidance; the title does not depend on the finding
    if not settings.enabled or not settings.model:
        return []
    return [f"Fix with LLM ({settings.model})"]


# ---------------------------------------------------------------- local work (threads)
@dataclass
class _Context:
    engine: Engine
    settings: LlmSettings
    text: str
    path: str
    finding: Finding
    parsed: ParsedFile
    target: Function
    before: list[Finding]
    old_repeats: list[Repeat]


def _pick(parsed: ParsedFile, name: str, line: int) -> Function | None:
    fns = [f for f in parsed.functions if f.name == name]
    if not fns:
        return None
    inside = [f for f in fns if f.span.contains_line(line)]
    if inside:
        return inside[0]
    return min(fns, key=lambda f: abs(f.span.start_line - line))


def _facts(engine: Engine, parsed: ParsedFile, fn: Function) -> FunctionFacts:
    return analyse_function(parsed, fn, engine.knowledge, {}, engine.limits, force=True)


def _prepare(engine: Engine, settings: LlmSettings, text: str, path: str,
             finding: Finding) -> _Context | str:
    parsed = ParsedFile(text, path)
    target = _pick(parsed, finding.function, finding.span.start_line)
    if target is None:
        return f"function `{finding.function}` is not in the document"
    before = engine.analyze(parsed).result.findings
    if not any(f.rule == finding.rule and f.function == finding.function
               and f.resource == finding.resource for f in before):
        return f"{finding.rule} is no longer reported here"
    try:
        old_repeats = repeats(parsed, _facts(engine, parsed, target), engine.knowledge)
    except Exception as exc:
        log.info("analysis of %s() failed: %r", target.name, exc)
        return f"kernlint could not analyse `{target.name}`"
    return _Context(engine, settings, text, path, finding, parsed, target, before, old_repeats)


def _verify(ctx: _Context, new_text: str) -> tuple[bool, str]:
    new_parsed = ParsedFile(new_text, ctx.path)
    fn = _pick(new_parsed, ctx.target.name, ctx.target.span.start_line)
    if fn is None:
        return False, f"the rewritten text has no function `{ctx.target.name}`"
    allowed = [(fn.span.start_line, fn.span.end_line + 1)]
    verdict = verify_text(ctx.engine, ctx.path, ctx.text, ctx.before, ctx.finding, new_text,
                          allowed, ctx.settings.max_changed_lines)
    if not verdict.ok:
        return False, verdict.reason
    try:
        facts = _facts(ctx.engine, new_parsed, fn)
    except Exception as exc:  # the engine skips such functions, so "no finding" means nothing
        log.info("analysis of the rewritten %s() failed: %r", fn.name, exc)
        return False, "kernlint could not analyse the rewritten function"
    if facts.truncated or facts.note:
        return False, "the rewritten function is too complex for kernlint to check"
    dropped = _dropped_calls(ctx, new_parsed, fn)
    if dropped:  # e.g. a gutted function: its finding is gone with everything else
        return False, (f"the rewrite no longer calls {', '.join(f'`{n}`' for n in dropped[:3])}"
                       "; a fix keeps what the function did")
    added = new_repeats(ctx.old_repeats, repeats(new_parsed, facts, ctx.engine.knowledge))
    if added:
        return False, describe(added[0])
    return True, "verified"


def _calls(parsed: ParsedFile, fn: Function) -> set[str]:
    """Names of the functions (and function-like macros) fn calls directly."""
    out: set[str] = set()
    stack = [fn.body]
    while stack:
        n = stack.pop()
        stack.extend(n.named_children)
        if n.type == "call_expression":
            callee = n.child_by_field_name("function")
            if callee is not None and callee.type == "identifier":
                out.add(parsed.text_of(callee))
    return out


def _dropped_calls(ctx: _Context, new_parsed: ParsedFile, fn: Function) -> list[str]:
    """Calls of the original function the rewrite lost. Releases and lock operations may go
    (a fix moves or removes them), and so may a call replaced by a variant whose name contains
    it (kzalloc -> devm_kzalloc)."""
    k = ctx.engine.knowledge
    new = _calls(new_parsed, fn)
    out = []
    for name in sorted(_calls(ctx.parsed, ctx.target) - new):
        if any(name in other for other in new) or k.releases_of(name) \
                or k.looks_like_release(name) or "lock" in name:
            continue
        out.append(name)
    return out


def _check_answer(ctx: _Context, answer: str) -> tuple[bool, str, str | None, str]:
    """(verified, reason, new text or None, answer kind)."""
    cand = parse_answer(answer, ctx.text, ctx.path, ctx.target)
    if cand.new_text is None:
        return False, cand.error, None, cand.kind
    ok, reason = _verify(ctx, cand.new_text)
    return ok, reason, cand.new_text, cand.kind


def _function_text(text: str, path: str, name: str, line: int) -> str:
    parsed = ParsedFile(text, path)
    fn = _pick(parsed, name, line)
    return parsed.original_text_of(fn.node) if fn is not None else ""


def _minimal_edit(old: str, new: str) -> TextEdit:
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    s = 0
    while s < min(len(a), len(b)) - p and a[len(a) - 1 - s] == b[len(b) - 1 - s]:
        s += 1
    end = len(a) - s
    old_chunk = "".join(a[p:end])
    if end < len(a) or old_chunk.endswith("\n") or not old_chunk:
        span = Span(p, 0, end, 0)
    else:  # the change reaches the last line, which has no newline
        span = Span(p, 0, end - 1, len(a[-1]))
    return TextEdit(span, "".join(b[p:len(b) - s]))


def make_fix(settings: LlmSettings, finding: Finding, old: str, new: str) -> Fix:
    return Fix(title=f"Fix with LLM ({settings.model}): rewrite {finding.function}() "
                     f"[verified by kernlint]",
               edits=(_minimal_edit(old, new),), applicability=Applicability.SUGGESTION,
               rule=finding.rule, finding=finding, kind="quickfix", fix_id=FIX_ID)


# ---------------------------------------------------------------- the async flow
async def _cpu(fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(_CPU, fn, *args)


def _noop(_: str) -> None:
    return None


async def resolve_llm_fix(engine: Engine, settings: LlmSettings, parsed_text: str, path: str,
                          finding: Finding, progress: Callable[[str], None] | None = None,
                          cancel_event: client.EventLike | None = None,
                          cache: FixCache | None = None,
                          deadline: float | None = None) -> LlmFixResult:
    """A verified LLM fix for `finding` in `parsed_text`, or the reason there is none.

    cache: None uses the default on-disk cache; FixCache(None) disables caching.
    deadline: a time.monotonic() value; default now + timeout x (candidates + 1).
    """
    report = progress or _noop
    result = LlmFixResult(None, "", model=settings.model)
    if not settings.enabled:
        result.reason = "LLM fixes are off (set llm.enabled = true)"
        return result
    why = client.check_destination(settings)
    if why is not None:
        result.reason = why
        return result
    try:
        template = prompt.load_template(settings)
    except prompt.TemplateError as exc:
        result.reason = str(exc)
        return result
    if deadline is None:
        deadline = time.monotonic() + settings.timeout * (settings.candidates + 1)
    cache = cache if cache is not None else FixCache.default()

    def cancelled() -> bool:
        return cancel_event is not None and cancel_event.is_set()

    prepared = await _cpu(_prepare, engine, settings, parsed_text, path, finding)
    if isinstance(prepared, str):
        result.reason = prepared
        return result
    ctx: _Context = prepared
    key = cache_key(ctx.target.text_hash, finding.fingerprint, settings.model,
                    settings.api_base, template.version)

    def succeed(new_text: str, attempt: Attempt) -> LlmFixResult:
        result.fix = make_fix(settings, finding, parsed_text, new_text)
        result.diff = make_diff(parsed_text, new_text, path)
        attempt.diff = result.diff
        result.new_text = new_text
        result.reason = "verified"
        return result

    hit = cache.get(key)
    if hit is not None:
        new_text = splice_function(parsed_text, ctx.target, str(hit["function_text"]))
        ok, reason = await _cpu(_verify, ctx, new_text)
        att = Attempt("cache", ok, reason)
        result.attempts.append(att)
        if ok:
            result.cached = True
            return succeed(new_text, att)

    messages = prompt.build_messages(template, ctx.parsed, ctx.target, finding, engine.knowledge)
    last_answer: str | None = None
    last_reason = ""
    stages = [f"candidate {i + 1}" for i in range(settings.candidates)] + ["repair"]
    for stage in stages:
        if cancelled():
            result.cancelled, result.reason = True, "cancelled"
            return result
        if stage == "repair":
            if last_answer is None:
                break
            msgs = prompt.repair_messages(messages, last_answer, last_reason, ctx.target.name)
        else:
            msgs = messages
        report(f"{stage}: asking {settings.model}")
        try:
            reply = await client.complete(settings, msgs, cancel_event, deadline)
        except client.LlmCancelled:
            result.cancelled, result.reason = True, "cancelled"
            return result
        except client.LlmError as exc:
            result.attempts.append(Attempt(stage, False, str(exc)))
            result.reason = str(exc)
            return result
        report(f"{stage}: verifying the answer")
        ok, reason, new_text, kind = await _cpu(_check_answer, ctx, reply.text)
        att = Attempt(stage, ok, reason, answer_kind=kind, tokens_in=reply.tokens_in,
                      tokens_out=reply.tokens_out, seconds=round(reply.seconds, 3))
        if new_text is not None:
            att.diff = make_diff(parsed_text, new_text, path)
        result.attempts.append(att)
        if ok and new_text is not None:
            fn_text = await _cpu(_function_text, new_text, path, ctx.target.name,
                                 ctx.target.span.start_line)
            if fn_text:
                cache.put(key, fn_text, model=settings.model, rule=finding.rule)
            return succeed(new_text, att)
        log.info("LLM answer (%s) rejected: %s", stage, client.scrub(reason))
        last_answer, last_reason = reply.text, reason
        if cancelled():
            result.cancelled, result.reason = True, "cancelled"
            return result
    calls = result.calls
    result.reason = (f"no verified fix after {calls} answer(s); last: {last_reason}"
                     if last_reason else "no answer")
    return result


# ---------------------------------------------------------------- the editor's provider hook
# Contract of kernlint.lsp.actions.LlmFixes: `llm_actions` runs on the analysis worker (cheap,
# no network); `resolve_llm_action` runs on the server's blocking pool with a text snapshot.
def llm_actions(ctx: Any) -> list[Any]:
    from ..lsp.actions import ActionSpec

    settings: LlmSettings = ctx.config.llm
    out = []
    for f in ctx.findings:
        for title in llm_action_titles(settings, f):
            out.append(ActionSpec(title, f, {"model": settings.model}, kind="quickfix",
                                  preferred=False, provider="llm"))
    if out:
        client.prewarm()  # import litellm in the background, so the resolve does not wait
    return out


def resolve_llm_action(ctx: Any, finding: Finding, key: dict[str, Any],
                       cancel_event: client.EventLike | None = None,
                       progress: Callable[[str], None] | None = None) -> Fix | None:
    settings: LlmSettings = ctx.config.llm
    if key.get("model") and key["model"] != settings.model:
        log.info("LLM action was listed for %s, the model is now %s; not resolving",
                 key["model"], settings.model)
        return None
    def report(msg: str) -> None:
        log.info("LLM fix: %s", msg)
        if progress is not None:
            progress(client.scrub(msg))

    res = asyncio.run(resolve_llm_fix(ctx.engine, settings, ctx.text, ctx.path, finding,
                                      report, cancel_event))
    if res.fix is None:
        log.info("LLM fix for %s in %s(): %s", finding.rule, finding.function,
                 client.scrub(res.reason))
        return None
    log.info("LLM fix for %s in %s() verified%s:\n%s", finding.rule, finding.function,
             " (cached)" if res.cached else "", res.diff)
    return res.fix
