"""The language server: protocol handling and scheduling only.

- Documents are kept in our own store (documents.py), not pygls' workspace: incremental
  changes are applied once, in the negotiated position encoding.
- Analysis runs on one worker thread (analysis.py). A change schedules the document after
  `debounceMs`; while a job runs, newer versions wait and only the newest is analysed;
  results are published with their version and only if that version is still current.
- Code actions come from providers (actions.py); the list carries title/kind/diagnostics/data
  and the edit is made in codeAction/resolve, pinned to the version it was computed for.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import json
import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from .. import __version__
from ..config import Config, ConfigError, apply_dict, find_config, load_config
from . import convert
from .analysis import Analyser, Outcome
from .documents import Change, Document, DocumentStore, TextLines
from .fastinit import CMD_CHECK_WORKSPACE, CMD_RECHECK_FILE, CMD_SHOW_RULE_DOC

# The file-wide race rules run when typing pauses this long (docs/server.md).
COMPLETE_AFTER_S = 0.075

log = logging.getLogger("kernlint.lsp")

SECTION = "kernlint"
SOURCE_EXTS = (".c", ".h")

_command_params: contextvars.ContextVar[t.ExecuteCommandParams | None] = contextvars.ContextVar(
    "kernlint_command_params", default=None)


class _Malformed:
    """A request whose params did not match the method's schema (answered InvalidParams)."""

    jsonrpc = "2.0"

    def __init__(self, msg_id: Any, method: str, notification: bool = False) -> None:
        self.id = msg_id
        self.method = method
        self.notification = notification  # an LSP notification method sent with an id


class KernlintProtocol(LanguageServerProtocol):
    """pygls' protocol with four changes: text sync goes to our store only; a request with
    bad params gets an InvalidParams response (pygls would drop it and leave the client
    waiting); cancelled request ids are remembered so long commands can stop; and a running
    command can see its ExecuteCommandParams (for the client's workDoneToken)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cancelled: set[Any] = set()

    def structure_message(self, data: dict[str, Any]) -> Any:
        if isinstance(data, dict) and "jsonrpc" in data and "id" in data and "error" not in data \
                and isinstance(data.get("method"), str):
            types = t.METHOD_TO_TYPES.get(data["method"])
            if types is not None and types[1] is None:
                # pygls would structure it as the notification, drop the id and never answer
                return _Malformed(data["id"], data["method"], notification=True)
        try:
            return super().structure_message(data)
        except JsonRpcException:
            if isinstance(data, dict) and "id" in data and isinstance(data.get("method"), str):
                return _Malformed(data["id"], data["method"])
            raise

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Malformed):
            if message.notification:
                log.error("request %s %r: that method is a notification", message.id,
                          message.method)
                err = JsonRpcInvalidRequest(
                    f"{message.method} is a notification; send it without an id"
                ).to_response_error()
            else:
                log.error("request %s %r: invalid params", message.id, message.method)
                err = JsonRpcInvalidParams(f"{message.method}: invalid params").to_response_error()
            self._send_response(message.id, error=err)
            return
        super().handle_message(message)

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        self.cancelled.add(msg_id)
        if len(self.cancelled) > 1000:
            self.cancelled.clear()
            self.cancelled.add(msg_id)
        super()._handle_cancel_notification(msg_id)

    @lsp_method(t.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: t.DidOpenTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(t.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: t.DidChangeTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(t.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: t.DidCloseTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    @lsp_method(t.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: t.ExecuteCommandParams) -> Any:
        _command_params.set(params)
        return (yield from super().lsp_workspace__execute_command(params))


_LEVEL = [(logging.ERROR, t.MessageType.Error), (logging.WARNING, t.MessageType.Warning),
          (logging.INFO, t.MessageType.Info), (0, t.MessageType.Log)]


class ClientLogHandler(logging.Handler):
    """Forwards log records to the client's log (window/logMessage), from any thread."""

    def __init__(self, server: KernlintServer) -> None:
        super().__init__()
        self.server = server
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._local, "busy", False):
            return
        loop = self.server.loop
        if loop is None or self.server.protocol.writer is None or loop.is_closed():
            return
        try:
            msg = self.format(record)
        except Exception:
            return
        kind = next(k for lvl, k in _LEVEL if record.levelno >= lvl)
        params = t.LogMessageParams(type=kind, message=msg)
        if threading.current_thread() is self.server.loop_thread:
            self._send(params)
        else:
            loop.call_soon_threadsafe(self._send, params)

    def _send(self, params: t.LogMessageParams) -> None:
        self._local.busy = True
        try:
            self.server.window_log_message(params)
        except Exception:
            pass
        finally:
            self._local.busy = False


class KernlintServer(LanguageServer):
    protocol: KernlintProtocol

    def __init__(self) -> None:
        super().__init__("kernlint", __version__, protocol_cls=KernlintProtocol,
                         text_document_sync_kind=t.TextDocumentSyncKind.Incremental)
        self.store = DocumentStore()
        self.config = Config()
        self.analyser = Analyser(self.config)
        self.encoding = "utf-16"
        self.init_options: Any = None
        self.client_settings: Any = None
        self.settings_errors: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread: threading.Thread | None = None
        self.diag_opts = convert.DiagnosticOptions(None)
        self.config_generation = 0
        self.workspace_published: set[str] = set()
        self._blocking_pool: ThreadPoolExecutor | None = None

    # ---- helpers ----
    @property
    def debounce(self) -> float:
        return self.config.debounce_ms / 1000.0

    def cap(self, dotted: str, default: Any = None) -> Any:
        obj: Any = self.client_capabilities
        for part in dotted.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return default
        return obj

    def run_worker(self, fn: Any, *args: Any) -> asyncio.Future[Any]:
        assert self.loop is not None
        return self.loop.run_in_executor(self.analyser.executor, fn, *args)

    def run_blocking(self, fn: Any, *args: Any) -> asyncio.Future[Any]:
        assert self.loop is not None
        if self._blocking_pool is None:
            self._blocking_pool = ThreadPoolExecutor(2, thread_name_prefix="kernlint-actions")
        return self.loop.run_in_executor(self._blocking_pool, fn, *args)

    def show_error(self, message: str) -> None:
        log.error("%s", message)
        self.window_show_message(t.ShowMessageParams(type=t.MessageType.Error,
                                                     message=f"kernlint: {message}"))

    def report_server_error(self, error: Exception, source: Any) -> None:
        # Malformed notifications and failed handlers: log, never pop up a dialog per message.
        log.error("protocol error (%s): %s", getattr(source, "__name__", source), error)
        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError, RecursionError)):
            # A body that is not JSON: JSON-RPC wants a Parse error response with id null
            # (a client that sent a request would otherwise wait for ever).
            try:
                self.protocol._send_response(None, error=JsonRpcParseError(  # type: ignore[arg-type]
                    f"not a JSON message: {type(error).__name__}").to_response_error())
            except Exception:
                log.debug("could not send the parse error response", exc_info=True)

    # ---- settings ----
    def root_path(self) -> Path | None:
        try:
            root = self.workspace.root_path
        except RuntimeError:
            return None
        if root:
            return Path(root)
        for folder in self.workspace.folders.values():
            p = convert.uri_to_path(folder.uri)
            if p:
                return Path(p)
        return None

    def build_config(self) -> tuple[Config, list[str]]:
        """Defaults <- .kernlint.toml <- initializationOptions <- workspace/configuration.
        A bad value is reported and skipped; the other keys still apply."""
        errors: list[str] = []
        cfg = Config()
        root = self.root_path()
        if root is not None:
            try:
                cfg = load_config(find_config(root))
            except ConfigError as exc:
                errors.append(f"{exc}; using the defaults")
                cfg = Config()
        for origin, data in (("initializationOptions", self.init_options),
                             ("settings", self.client_settings)):
            if data is None or data == []:
                continue  # no settings (Lua clients encode an empty table as [])
            if not isinstance(data, dict):
                errors.append(f"{origin}: expected an object; ignored")
                continue
            for key, value in data.items():
                trial = copy.deepcopy(cfg)
                try:
                    cfg = apply_dict(trial, {key: value}, origin)
                except ConfigError as exc:
                    errors.append(f"{exc}; keeping the previous value")
        return cfg, errors

    async def refresh_settings(self, pull: bool) -> None:
        if pull and self.cap("workspace.configuration", False):
            try:
                got = await self.workspace_configuration_async(t.ConfigurationParams(
                    items=[t.ConfigurationItem(section=SECTION)]))
                self.client_settings = got[0] if got else None
            except Exception as exc:
                log.warning("workspace/configuration failed: %s", exc)
        cfg, errors = self.build_config()
        for e in errors:
            self.show_error(f"bad setting: {e}")
        await self.apply_config(cfg)

    async def apply_config(self, cfg: Config) -> None:
        old = self.config
        self.config = cfg
        same = (old.fingerprint() == cfg.fingerprint() and old.max_file_bytes == cfg.max_file_bytes
                and old.llm == cfg.llm and old.function_seconds == cfg.function_seconds)
        if same:
            return
        ok = await self.run_worker(self.analyser.set_config, cfg, list(self.store))
        if not ok:
            self.config = old
            self.show_error("the engine rejected the settings; keeping the previous ones")
            return
        self.config_generation += 1
        log.info("settings applied (from %s); re-checking %d open document(s)", cfg.source,
                 len(self.store))
        for doc in self.store:
            doc.findings_version = doc.published_version = None
            self.schedule(doc, immediate=True)
        if self.cap("workspace.diagnostics.refresh_support", False):
            self.workspace_diagnostic_refresh(None)

    # ---- scheduling ----
    def schedule(self, doc: Document, immediate: bool = False) -> None:
        if doc.closed:
            return
        if doc.task is not None and not doc.task.done():
            if doc.running:
                return  # the loop looks at the version again when the job returns
            doc.task.cancel()
        doc.task = asyncio.ensure_future(self._analysis_loop(doc, immediate))

    async def _analysis_loop(self, doc: Document, immediate: bool) -> None:
        while not doc.closed:
            if self.debounce > 0 and not immediate:
                await asyncio.sleep(self.debounce)
            immediate = False
            version, lines = doc.version, doc.lines
            # Quick pass: per-function rules, race findings of unchanged functions carried
            # over; published at once.
            out = await self._run_analysis(doc, lines, version, quick=True)
            if out is not None and not out.complete and doc.version == version \
                    and not doc.closed:
                # Complete pass (file-wide race inference) once typing pauses; a new edit
                # during the pause cancels this task (schedule()) and starts over.
                await asyncio.sleep(COMPLETE_AFTER_S)
                if doc.version == version and not doc.closed:
                    await self._run_analysis(doc, lines, version, quick=False)
            if doc.closed or doc.version == version:
                return

    async def _run_analysis(self, doc: Document, lines: Any, version: int,
                            quick: bool) -> Outcome | None:
        doc.running = True
        try:
            out = await self.run_worker(self.analyser.analyse, doc, lines, version, False, quick)
        except Exception:
            log.exception("%s: analysis job failed", doc.path)
            return None
        finally:
            doc.running = False
        if out is not None:
            self.deliver(doc, out)
        return out

    async def current(self, doc: Document) -> bool:
        """Bring doc's findings/diagnostics up to its current version (skips the debounce).
        False if the analysis failed (the previous findings are kept)."""
        for _ in range(20):
            version = doc.version
            if doc.findings_version == version and \
                    (doc.analysis is None or doc.analysis.complete):
                return True
            out = await self.run_worker(self.analyser.analyse, doc, doc.lines, version)
            if out is not None:
                self.deliver(doc, out)
                if not out.ok:
                    return False
            if doc.closed:
                return False
        return doc.findings_version == doc.version

    def deliver(self, doc: Document, out: Outcome) -> None:
        """Take an analysis result; publish it if it is for the current version."""
        if doc.closed or out.version != doc.version or not out.ok:
            return
        if out.too_big:
            had = bool(doc.diagnostics)
            doc.findings, doc.diagnostics, doc.findings_version = [], [], out.version
            if had and not doc.pulled:
                self.publish(doc.uri, [], out.version)
            return
        if out.reused and doc.findings_version == out.version:
            diags = doc.diagnostics
        else:
            diags = [convert.finding_to_diagnostic(f, doc.uri, out.lines, self.encoding,
                                                   self.diag_opts) for f in out.findings]
        previous = doc.diagnostics if doc.findings_version == out.version else None
        doc.findings, doc.diagnostics, doc.findings_version = out.findings, diags, out.version
        if not doc.pulled and (doc.published_version != out.version or
                               (previous is not None and diags != previous)):
            self.publish(doc.uri, diags, out.version)
            doc.published_version = out.version
        if not out.reused:
            log.debug("%s v%s: %d finding(s) in %.1f ms", doc.path, out.version,
                      len(out.findings), out.seconds * 1000)

    def publish(self, uri: str, diags: list[t.Diagnostic], version: int | None) -> None:
        self.text_document_publish_diagnostics(
            t.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version))


def _path_of(uri: str) -> str:
    return convert.uri_to_path(uri) if uri.startswith("file:") else uri


def _change(c: Any) -> Change:
    rng = getattr(c, "range", None)
    if rng is None:
        return Change(c.text)
    return Change(c.text, (rng.start.line, rng.start.character), (rng.end.line, rng.end.character))


def _walk_sources(roots: list[Path]) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                                 and d not in ("node_modules", "__pycache__"))
            for name in sorted(filenames):
                if name.endswith(SOURCE_EXTS):
                    p = Path(dirpath, name)
                    if p not in seen:
                        seen.add(p)
                        out.append(p)
    return out


def build_server() -> KernlintServer:
    ls = KernlintServer()

    # ------------------------------------------------------------ lifecycle
    @ls.feature(t.INITIALIZE)
    def initialize(ls: KernlintServer, params: t.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ls.loop_thread = threading.current_thread()
        ls.encoding = convert.encoding_name(ls.workspace.position_encoding)
        ls.diag_opts = convert.DiagnosticOptions(params.capabilities)
        ls.init_options = params.initialization_options
        cfg, ls.settings_errors = ls.build_config()
        ls.config = cfg
        ls.analyser.config = cfg
        log.info("kernlint %s: position encoding %s, debounce %d ms, config from %s",
                 __version__, ls.encoding, cfg.debounce_ms, cfg.source)

    @ls.feature(t.INITIALIZED)
    async def initialized(ls: KernlintServer, params: t.InitializedParams) -> None:
        ls.analyser.executor.submit(ls.analyser.warm_up)  # imports the engine off the loop
        for e in ls.settings_errors:
            ls.show_error(f"bad setting: {e}")
        ls.settings_errors = []
        if ls.cap("workspace.configuration", False):
            await ls.refresh_settings(pull=True)

    @ls.feature(t.SHUTDOWN)
    def shutdown(ls: KernlintServer, params: Any) -> None:
        for doc in ls.store:
            ls.store.close(doc.uri)
        ls.analyser.shutdown()
        if ls._blocking_pool is not None:
            ls._blocking_pool.shutdown(wait=False, cancel_futures=True)

    @ls.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: KernlintServer,
                                       params: t.DidChangeConfigurationParams) -> None:
        pull = bool(ls.cap("workspace.configuration", False))
        if not pull:
            settings = params.settings
            if isinstance(settings, dict) and isinstance(settings.get(SECTION), dict):
                ls.client_settings = settings[SECTION]
        await ls.refresh_settings(pull=pull)

    # ------------------------------------------------------------ documents
    @ls.feature(t.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: KernlintServer, params: t.DidOpenTextDocumentParams) -> None:
        td = params.text_document
        doc = ls.store.open(td.uri, _path_of(td.uri), td.version, td.text, td.language_id)
        ls.schedule(doc, immediate=True)

    @ls.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: KernlintServer, params: t.DidChangeTextDocumentParams) -> None:
        doc = ls.store.get(params.text_document.uri)
        if doc is None:
            log.warning("didChange for a document that is not open: %s", params.text_document.uri)
            return
        doc.apply([_change(c) for c in params.content_changes], params.text_document.version,
                  ls.encoding)
        ls.schedule(doc)

    @ls.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: KernlintServer, params: t.DidCloseTextDocumentParams) -> None:
        doc = ls.store.close(params.text_document.uri)
        if doc is not None:
            ls.publish(doc.uri, [], None)
            ls.analyser.executor.submit(ls.analyser.forget, doc)

    @ls.feature(t.TEXT_DOCUMENT_DIAGNOSTIC,
                t.DiagnosticOptions(identifier="kernlint", inter_file_dependencies=False,
                                    workspace_diagnostics=False))
    async def pull_diagnostics(ls: KernlintServer,
                               params: t.DocumentDiagnosticParams) -> t.DocumentDiagnosticReport:
        doc = ls.store.get(params.text_document.uri)
        if doc is None:
            return t.RelatedFullDocumentDiagnosticReport(items=[])
        if not doc.pulled:
            # The client pulls for this document: stop pushing so it is not shown twice.
            doc.pulled = True
            if doc.published_version is not None:
                ls.publish(doc.uri, [], None)
        await ls.current(doc)
        result_id = f"{doc.findings_version}:{ls.config_generation}"
        if params.previous_result_id == result_id:
            return t.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return t.RelatedFullDocumentDiagnosticReport(items=list(doc.diagnostics),
                                                     result_id=result_id)

    # ------------------------------------------------------------ code actions
    @ls.feature(t.TEXT_DOCUMENT_CODE_ACTION,
                t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.QuickFix],
                                    resolve_provider=True))
    async def code_action(ls: KernlintServer,
                          params: t.CodeActionParams) -> list[t.CodeAction] | None:
        doc = ls.store.get(params.text_document.uri)
        if doc is None or doc.too_big:
            return None
        version = doc.version
        first = params.range.start.line
        last = max(first, params.range.end.line)
        wanted = {d.data["fingerprint"] for d in params.context.diagnostics
                  if d.source == convert.SOURCE and isinstance(d.data, dict)
                  and isinstance(d.data.get("fingerprint"), str)} or None
        specs = await ls.run_worker(ls.analyser.list_actions, doc, version, (first, last), wanted)
        if doc.closed or doc.version != version:
            return None
        only = params.context.only
        lazy = "edit" in (ls.cap("text_document.code_action.resolve_support.properties") or [])
        actions: list[t.CodeAction] = []
        for s in specs:
            kind = s.kind or "quickfix"
            if only and not any(kind == k or kind.startswith(f"{k}.") for k in only):
                continue
            diag = convert.finding_to_diagnostic(s.finding, doc.uri, doc.lines, ls.encoding,
                                                 ls.diag_opts)
            action = t.CodeAction(
                title=s.title, kind=kind, diagnostics=[diag],
                is_preferred=True if s.preferred else None,
                data={"uri": doc.uri, "version": version, "provider": s.provider,
                      "fingerprint": s.finding.fingerprint, "key": s.key})
            if not lazy:
                action = await resolve_action(ls, action)
                if action.edit is None:
                    continue
            actions.append(action)
        return actions

    async def resolve_action(ls: KernlintServer, action: t.CodeAction) -> t.CodeAction:
        data = action.data
        if not (isinstance(data, dict) and isinstance(data.get("uri"), str)
                and isinstance(data.get("version"), int) and isinstance(data.get("provider"), str)
                and isinstance(data.get("fingerprint"), str) and isinstance(data.get("key"), dict)):
            raise JsonRpcInvalidParams("codeAction/resolve: not a kernlint code action")
        doc = ls.store.get(data["uri"])
        version = data["version"]
        if doc is None or doc.version != version:
            log.info("code action %r is for version %s, the document moved on; no edit",
                     action.title, version)
            return action
        got = await ls.run_worker(ls.analyser.resolve_context, doc, version, data["fingerprint"],
                                  data["provider"])
        if got is None:
            return action
        provider, ctx, finding = got
        if provider.blocking:
            fix = await _resolve_blocking(ls, provider, ctx, finding, data["key"], action.title)
        else:
            fix = await ls.run_worker(ls.analyser.resolve, provider, ctx, finding, data["key"])
        if fix is None or doc.closed or doc.version != version:
            return action
        action.edit = convert.fix_to_workspace_edit(
            fix, doc.uri, version, TextLines(ctx.text), ls.encoding,
            bool(ls.cap("workspace.workspace_edit.document_changes", False)))
        return action

    async def _resolve_blocking(ls: KernlintServer, provider: Any, ctx: Any, finding: Any,
                                key: dict[str, Any], title: str) -> Any:
        """A slow provider (the LLM): on its own thread, with $/progress on a fresh token and
        cancellation by $/cancelRequest or by cancelling the progress."""
        msg_id = ls.protocol.msg_id
        progress = ls.work_done_progress
        token: str | None = None
        if ls.cap("window.work_done_progress", False):
            token = f"kernlint-llm-{uuid.uuid4()}"
            try:
                await progress.create_async(token)
                progress.begin(token, t.WorkDoneProgressBegin(title=f"kernlint: {title}",
                                                              cancellable=True))
            except Exception as exc:
                log.warning("window/workDoneProgress/create failed: %s", exc)
                token = None
        cancel = threading.Event()
        loop = ls.loop
        assert loop is not None

        def report(message: str) -> None:
            if token is not None:
                loop.call_soon_threadsafe(
                    progress.report, token, t.WorkDoneProgressReport(message=message[:200]))

        ctx.cancel, ctx.progress = cancel, report

        async def watch() -> None:
            while not cancel.is_set():
                fut = progress.tokens.get(token) if token is not None else None
                if (msg_id is not None and msg_id in ls.protocol.cancelled) or \
                        (fut is not None and fut.cancelled()):
                    cancel.set()
                    return
                await asyncio.sleep(0.05)

        watcher = asyncio.ensure_future(watch())
        try:
            return await ls.run_blocking(ls.analyser.resolve, provider, ctx, finding, key)
        except asyncio.CancelledError:
            cancel.set()
            raise
        finally:
            cancelled = cancel.is_set()
            cancel.set()  # stops the watcher
            watcher.cancel()
            if token is not None:
                progress.end(token, t.WorkDoneProgressEnd(
                    message="cancelled" if cancelled else "done"))
            if msg_id is not None:
                ls.protocol.cancelled.discard(msg_id)

    @ls.feature(t.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: KernlintServer, params: t.CodeAction) -> t.CodeAction:
        return await resolve_action(ls, params)

    # ------------------------------------------------------------ commands
    def _args(expected: int) -> list[Any]:
        params = _command_params.get()
        args = list(params.arguments or []) if params else []
        if len(args) < expected:
            raise JsonRpcInvalidParams(f"expected {expected} argument(s), got {len(args)}")
        return args

    @ls.command(CMD_SHOW_RULE_DOC)
    def show_rule_doc(ls: KernlintServer, *args: Any) -> str:
        code = _args(1)[0]
        if not isinstance(code, str):
            raise JsonRpcInvalidParams("kernlint.showRuleDoc: expected a rule code (string)")
        from ..docs import rule_doc_markdown

        doc = rule_doc_markdown(code)
        if doc is None:
            raise JsonRpcInvalidParams(f"unknown rule {code!r}")
        return doc

    @ls.command(CMD_RECHECK_FILE)
    async def recheck_file(ls: KernlintServer, *args: Any) -> dict[str, Any]:
        uri = _args(1)[0]
        if not isinstance(uri, str):
            raise JsonRpcInvalidParams("kernlint.recheckFile: expected a document URI")
        doc = ls.store.get(uri)
        if doc is not None:
            version = doc.version
            out = await ls.run_worker(ls.analyser.analyse, doc, doc.lines, version, True)
            if out is not None:
                doc.published_version = None
                ls.deliver(doc, out)
            return {"uri": uri, "version": version, "findings": len(doc.findings)}
        path = _path_of(uri)
        if not os.path.isfile(path):
            raise JsonRpcInvalidParams(f"kernlint.recheckFile: no such file {uri}")
        n = await _check_disk_file(ls, Path(path))
        return {"uri": uri, "version": None, "findings": n}

    async def _check_disk_file(ls: KernlintServer, path: Path) -> int:
        result, text = await ls.run_worker(ls.analyser.analyse_file, str(path))
        uri = convert.path_to_uri(str(path))
        for e in result.errors:
            log.warning("%s", e)
        if result.findings:
            lines = TextLines(text)
            ls.publish(uri, [convert.finding_to_diagnostic(f, uri, lines, ls.encoding, ls.diag_opts)
                             for f in result.findings], None)
            ls.workspace_published.add(uri)
        elif uri in ls.workspace_published:
            ls.publish(uri, [], None)
            ls.workspace_published.discard(uri)
        return len(result.findings)

    @ls.command(CMD_CHECK_WORKSPACE)
    async def check_workspace(ls: KernlintServer, *args: Any) -> dict[str, Any]:
        params = _command_params.get()
        msg_id = ls.protocol.msg_id
        roots = [Path(convert.uri_to_path(f.uri)) for f in ls.workspace.folders.values()]
        if not roots and (root := ls.root_path()) is not None:
            roots = [root]
        progress = ls.work_done_progress
        token = params.work_done_token if params is not None else None
        if token is None and ls.cap("window.work_done_progress", False):
            token = f"kernlint-check-{uuid.uuid4()}"
            try:
                await progress.create_async(token)
            except Exception as exc:
                log.warning("window/workDoneProgress/create failed: %s", exc)
                token = None
        if token is not None:
            progress.begin(token, t.WorkDoneProgressBegin(
                title="kernlint: checking workspace", cancellable=True, percentage=0,
                message="finding files"))

        def cancelled() -> bool:
            if msg_id is not None and msg_id in ls.protocol.cancelled:
                return True
            fut = progress.tokens.get(token) if token is not None else None
            return bool(fut is not None and fut.cancelled())

        assert ls.loop is not None
        files = await ls.loop.run_in_executor(None, _walk_sources, roots)
        checked = findings = 0
        last_report = 0.0
        was_cancelled = False
        try:
            for i, path in enumerate(files):
                if cancelled() or ls.analyser.closed:
                    was_cancelled = True
                    break
                uri = convert.path_to_uri(str(path))
                doc = ls.store.get(uri)
                if doc is not None:
                    await ls.current(doc)
                    findings += len(doc.findings)
                else:
                    findings += await _check_disk_file(ls, path)
                checked += 1
                now = time.monotonic()
                if token is not None and (now - last_report > 0.1 or i + 1 == len(files)):
                    last_report = now
                    progress.report(token, t.WorkDoneProgressReport(
                        message=f"{i + 1}/{len(files)} {path.name}",
                        percentage=int(100 * (i + 1) / max(1, len(files)))))
        finally:
            if token is not None:
                msg = (f"cancelled after {checked} file(s)" if was_cancelled
                       else f"{findings} finding(s) in {checked} file(s)")
                progress.end(token, t.WorkDoneProgressEnd(message=msg))
                progress.tokens.pop(token, None)
            if msg_id is not None:
                ls.protocol.cancelled.discard(msg_id)
        log.info("workspace check: %d finding(s) in %d file(s)%s", findings, checked,
                 " (cancelled)" if was_cancelled else "")
        return {"files": checked, "findings": findings, "cancelled": was_cancelled}

    return ls


def serve(tcp: tuple[str, int] | None = None, stdin: Any = None, stdout: Any = None) -> None:
    ls = build_server()
    handler = ClientLogHandler(ls)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.setLevel(logging.INFO)
    logging.getLogger("kernlint").addHandler(handler)
    try:
        if tcp is not None:
            ls.start_tcp(*tcp)
        else:
            ls.start_io(stdin, stdout)
    finally:
        ls.analyser.shutdown()
