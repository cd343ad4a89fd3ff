"""The analysis worker: one thread per server that owns every engine call.

The event loop never analyses; it hands (document, text snapshot, version) to `Analyser`
methods through `executor` and publishes what comes back if that version is still current.
Because there is exactly one worker thread, a document's ParsedFile, FunctionCache and last
Analysis are only ever touched by that thread (no locks needed), and a job for a version the
editor has already replaced is skipped before it starts (coalescing).

Protocol-free: results are model objects; server.py converts them.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..model import FileResult, Finding, Fix
from .actions import ActionContext, ActionSpec, Provider, load_providers
from .documents import Document, Fixes, TextLines

if TYPE_CHECKING:
    from ..engine import Engine

log = logging.getLogger("kernlint.lsp")

HOT_DOCUMENTS = 4


@dataclass
class Outcome:
    version: int
    lines: TextLines  # the text the findings' spans refer to
    findings: list[Finding] = field(default_factory=list)
    ok: bool = True  # False: analysis failed; keep the previous diagnostics
    too_big: bool = False
    seconds: float = 0.0
    reused: bool = False  # this version had already been analysed
    complete: bool = True  # False: a quick pass (file-wide race rules carried over)


def too_big(text: str, limit: int) -> bool:
    if len(text) > limit:
        return True
    if len(text) * 4 <= limit:
        return False
    return len(text.encode("utf-8", "surrogatepass")) > limit


class Analyser:
    def __init__(self, config: Config | None = None) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kernlint-analysis")
        self.config = config or Config()
        self._engine: Engine | None = None
        self._providers: list[Provider] | None = None
        self.busy_since: float | None = None
        self.closed = False
        # Documents that keep their ParsedFile (~10 MB for a large file): the most recently
        # analysed ones. The others keep only their FunctionCache; their next change costs
        # one full parse.
        self.hot: OrderedDict[str, Document] = OrderedDict()

    # Everything below runs on the worker thread.
    def engine(self) -> Engine:
        if self._engine is None:
            from ..engine import Engine

            self._engine = Engine(self.config)
        return self._engine

    def warm_up(self) -> None:
        """Import the engine and build the knowledge tables before the first document."""
        try:
            self.engine()
        except Exception:
            log.exception("could not create the engine with the current settings")
            self._engine = None

    def set_config(self, config: Config, docs: list[Document]) -> bool:
        """Swap the configuration; forget per-document results. False if the engine rejects it."""
        from ..engine import Engine

        try:
            engine = Engine(config)
        except Exception as exc:
            log.error("settings rejected by the engine (%s); keeping the previous ones", exc)
            return False
        self.config, self._engine = config, engine
        for doc in docs:
            doc.cache = None
            doc.analysis = None
            doc.analysed_version = None
            doc.fixes = None
        return True

    def providers(self) -> list[Provider]:
        if self._providers is None:
            self._providers = load_providers()
        return self._providers

    def analyse(self, doc: Document, lines: TextLines, version: int, force: bool = False,
                quick: bool = False) -> Outcome | None:
        """Analyse `lines` as `version` of doc. None: skipped (stale or closed).

        quick: only when a full analysis of an earlier version exists; runs the per-function
        rules and carries over race findings of unchanged functions (Outcome.complete False).
        The caller then asks again without quick for the complete result."""
        if doc.closed or (not force and doc.version != version):
            return None
        if not force and doc.analysed_version == version and \
                (quick or doc.analysis is None or doc.analysis.complete):
            if doc.too_big:
                return Outcome(version, lines, too_big=True, reused=True)
            if doc.analysis is not None:
                return Outcome(version, lines, list(doc.analysis.result.findings), reused=True)
        t0 = time.perf_counter()
        self.busy_since = t0
        try:
            quick = quick and not force and doc.analysis is not None and doc.parsed is not None
            return self._analyse(doc, lines, version, force, t0, quick)
        finally:
            self.busy_since = None

    def _analyse(self, doc: Document, lines: TextLines, version: int, force: bool,
                 t0: float, quick: bool = False) -> Outcome:
        from ..engine import FunctionCache
        from ..syntax import ParsedFile

        engine = self.engine()
        if too_big(lines.text, self.config.max_file_bytes):
            if not doc.too_big:
                log.warning("%s: larger than max_file_bytes (%d); not analysed", doc.path,
                            self.config.max_file_bytes)
            doc.too_big = True
            doc.parsed = None
            doc.analysis = None
            doc.cache = None
            doc.analysed_version = version
            return Outcome(version, lines, too_big=True)
        doc.too_big = False
        if force or doc.cache is None:
            doc.cache = FunctionCache()
        try:
            if doc.parsed is None or force:
                doc.parsed = ParsedFile(lines.text, doc.path)
            elif doc.parsed.text != lines.text:
                doc.parsed.update(lines.text)
            analysis = engine.analyze(doc.parsed, doc.cache, quick=quick)
        except Exception:
            log.exception("%s: analysis of version %s failed; keeping the previous diagnostics",
                          doc.path, version)
            doc.parsed = None  # start from a fresh parse next time
            doc.analysis = None
            doc.analysed_version = None
            return Outcome(version, lines, ok=False, seconds=time.perf_counter() - t0)
        doc.analysis = analysis
        doc.analysed_version = version
        doc.analysed_text = lines
        self._touch(doc)
        dt = time.perf_counter() - t0
        for note in analysis.result.notes:
            log.debug("%s", note)
        return Outcome(version, lines, list(analysis.result.findings), seconds=dt,
                       complete=analysis.complete)

    def _touch(self, doc: Document) -> None:
        self.hot[doc.uri] = doc
        self.hot.move_to_end(doc.uri)
        for uri, old in list(self.hot.items()):
            if len(self.hot) <= HOT_DOCUMENTS and not old.closed:
                break
            del self.hot[uri]
            old.parsed = None
            old.analysis = None
            old.analysed_text = None
            old.fixes = None

    def forget(self, doc: Document) -> None:
        """The document was closed: free its parse state (worker thread)."""
        if self.hot.get(doc.uri) is doc:
            del self.hot[doc.uri]
        doc.parsed = doc.analysis = doc.analysed_text = doc.fixes = None
        doc.cache = None

    def analyse_file(self, path: str) -> tuple[FileResult, str]:
        """A file that is not open in the editor (workspace check); errors go in the result.
        Returns the result and the text it was computed from."""
        result = FileResult(path)
        try:
            with open(path, "rb") as fh:
                data = fh.read(self.config.max_file_bytes + 1)
        except OSError as exc:
            result.errors.append(f"{path}: cannot read ({exc.strerror or exc})")
            return result, ""
        if len(data) > self.config.max_file_bytes:
            result.errors.append(f"{path}: larger than max_file_bytes; skipped")
            return result, ""
        text = data.decode("utf-8", "replace")
        try:
            return self.engine().analyze_text(text, path), text
        except Exception as exc:
            log.exception("%s: analysis failed", path)
            result.errors.append(f"{path}: analysis failed ({exc!r})")
            return result, text

    # ---- code actions (worker thread) ----
    def _context(self, doc: Document, version: int, findings: list[Finding]) -> ActionContext | None:
        if doc.closed or doc.version != version:
            return None
        if doc.analysed_version != version or doc.analysis is None:
            out = self.analyse(doc, doc.lines, version)
            if out is None or not out.ok or doc.analysis is None:
                return None
        if doc.fixes is None or doc.fixes.version != version:
            doc.fixes = Fixes(version)
        return ActionContext(self.engine(), self.config, doc.uri, doc.path, version,
                             doc.lines.text if doc.analysed_text is None else doc.analysed_text.text,
                             findings, doc.parsed, doc.analysis, doc.fixes.by_finding)

    def current_findings(self, doc: Document, version: int) -> list[Finding] | None:
        if doc.closed or doc.version != version:
            return None
        if doc.analysed_version != version or doc.analysis is None:
            self.analyse(doc, doc.lines, version)
        if doc.analysed_version != version or doc.analysis is None:
            return None
        return list(doc.analysis.result.findings)

    def list_actions(self, doc: Document, version: int, lines: tuple[int, int],
                     wanted: set[str] | None) -> list[ActionSpec]:
        """Actions for the findings whose first line lies in [lines[0], lines[1]]."""
        findings = self.current_findings(doc, version)
        if not findings:
            return []
        first, last = lines
        hits = [f for f in findings if first <= f.span.start_line <= last
                and (wanted is None or f.fingerprint in wanted)]
        if not hits:
            return []
        ctx = self._context(doc, version, hits)
        if ctx is None:
            return []
        out: list[ActionSpec] = []
        for p in self.providers():
            try:
                specs = p.actions(ctx)
            except Exception:
                log.exception("code actions: provider %s failed", p.name)
                continue
            for s in specs:
                s.provider = s.provider or p.name
            out.extend(specs)
        return out

    def resolve_context(self, doc: Document, version: int, fingerprint: str,
                        provider: str) -> tuple[Provider, ActionContext, Finding] | None:
        findings = self.current_findings(doc, version)
        if not findings:
            return None
        f = next((x for x in findings if x.fingerprint == fingerprint), None)
        p = next((x for x in self.providers() if x.name == provider), None)
        if f is None or p is None:
            return None
        ctx = self._context(doc, version, [f])
        if ctx is None:
            return None
        if p.blocking:  # runs on another thread: a snapshot only
            ctx.parsed, ctx.analysis, ctx.fix_cache = None, None, {}
        return p, ctx, f

    @staticmethod
    def resolve(p: Provider, ctx: ActionContext, f: Finding, key: dict[str, Any]) -> Fix | None:
        try:
            return p.resolve(ctx, f, key)
        except Exception:
            log.exception("code actions: resolving %s failed", p.name)
            return None

    def shutdown(self) -> None:
        self.closed = True
        self.executor.shutdown(wait=False, cancel_futures=True)
