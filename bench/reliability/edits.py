"""No lost edits: fuzzed interleavings of didChange, codeAction and codeAction/resolve
against a real `kernlint serve`, by a client that keeps its own copy of the text.

Checks, black-box:
- every edit the server returns for the document is a versioned TextDocumentEdit pinned to
  the version the action was listed for (never an unversioned `changes` entry, never another
  version);
- the client applies an edit only when that version is still its current one (a stale edit
  is refused and counted);
- an applied edit gives exactly what kernlint's own fixer (fixes_for / the suppress provider)
  computes on the client's copy of the text: the server's text has not diverged;
- pulled diagnostics for the current version equal the engine's findings on the client's text.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .rawlsp import REPO, RawClient, ServerDied

SOURCES = ["alsa_pci_probe.c", "inline_release.c", "mutex_shutdown.c", "race_guard.c",
           "ladder_rung.c", "platform_clk.c", "spin_irqsave.c", "of_loop.c"]


@dataclass
class EditStats:
    steps: int = 0
    actions_listed: int = 0
    resolves: int = 0
    edits_returned: int = 0
    edits_applied: int = 0
    stale_refused: int = 0  # edits pinned to an older version; the client refused them
    stale_no_edit: int = 0  # resolve of a stale action: the server gave no edit
    unversioned: int = 0
    wrong_version: int = 0
    diverged: int = 0  # applied result != kernlint's own fix on the client's text
    diag_checks: int = 0
    diag_mismatch: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return self.unversioned + self.wrong_version + self.diverged + self.diag_mismatch


def _index(text: str, pos: dict[str, int]) -> int:
    lines = text.split("\n")
    line = pos["line"]
    if line >= len(lines):
        return len(text)
    start = sum(len(x) + 1 for x in lines[:line])
    used = 0
    for i, ch in enumerate(lines[line]):
        if used >= pos["character"]:
            return start + i
        used += 2 if ord(ch) > 0xFFFF else 1
    return start + len(lines[line])


def apply_lsp(text: str, edits: list[dict[str, Any]]) -> str:
    spans = sorted(((_index(text, e["range"]["start"]), _index(text, e["range"]["end"]),
                     e["newText"]) for e in edits), key=lambda x: (x[0], x[1]), reverse=True)
    for a, b, new in spans:
        text = text[:a] + new + text[b:]
    return text


class Doc:
    def __init__(self, client: RawClient, uri: str, path: str, text: str) -> None:
        self.c, self.uri, self.path, self.text, self.version = client, uri, path, text, 1
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "c", "version": 1, "text": text}})

    def change(self, rng: random.Random) -> None:
        lines = self.text.split("\n")
        r = rng.random()
        line = rng.randrange(len(lines))
        if r < 0.45:  # insert a comment or blank line
            ins = rng.choice(["\n", "/* x */\n", "\t/* edit */\n", "\n\n"])
            a = b = (line, 0)
        elif r < 0.75:  # trailing whitespace, or removing it again
            col = len(lines[line])
            if lines[line].endswith(" "):
                ins, a, b = "", (line, col - 1), (line, col)
            else:
                ins, a, b = " ", (line, col), (line, col)
        elif r < 0.9 and any(ln.strip() == "" for ln in lines):  # drop a blank line
            blanks = [i for i, ln in enumerate(lines) if ln.strip() == "" and i + 1 < len(lines)]
            if not blanks:
                return self.change(rng)
            i = rng.choice(blanks)
            ins, a, b = "", (i, 0), (i + 1, 0)
        else:  # replace the whole text (e.g. undo to the original)
            self.set_text(self.original if hasattr(self, "original") else self.text)
            return
        start = sum(len(x) + 1 for x in lines[: a[0]]) + a[1]
        end = sum(len(x) + 1 for x in lines[: b[0]]) + b[1]
        self.text = self.text[:start] + ins + self.text[end:]
        self.version += 1
        self.c.notify("textDocument/didChange", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "contentChanges": [{"range": {"start": {"line": a[0], "character": a[1]},
                                          "end": {"line": b[0], "character": b[1]}},
                                "text": ins}]})

    def set_text(self, text: str) -> None:
        self.text = text
        self.version += 1
        self.c.notify("textDocument/didChange", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "contentChanges": [{"text": text}]})


class Oracle:
    """kernlint's own answers on the client's text (in process)."""

    def __init__(self) -> None:
        from kernlint.engine import Engine

        self.engine = Engine()
        self._memo: dict[str, Any] = {}

    def analysis(self, text: str, path: str) -> Any:
        from kernlint.syntax import ParsedFile

        got = self._memo.get(text)
        if got is None:
            parsed = ParsedFile(text, path)
            got = (parsed, self.engine.analyze(parsed))
            if len(self._memo) > 64:
                self._memo.clear()
            self._memo[text] = got
        return got

    def expected(self, text: str, path: str, data: dict[str, Any], title: str) -> list[str] | None:
        """The texts kernlint's fixer gives for this action on `text` (None: no such finding)."""
        from kernlint.fixes.provider import fixes_for
        from kernlint.fixes.verify import apply_edits
        from kernlint.lsp.actions import SuppressLine

        parsed, analysis = self.analysis(text, path)
        f = next((x for x in analysis.result.findings if x.fingerprint == data["fingerprint"]),
                 None)
        if f is None:
            return None
        if data["provider"] == "suppress":
            class _Ctx:
                pass
            ctx = _Ctx()
            ctx.text = text  # type: ignore[attr-defined]
            fix = SuppressLine().resolve(ctx, f, data["key"])  # type: ignore[arg-type]
            return [apply_edits(text, fix.edits)] if fix else []
        return [apply_edits(text, fx.edits) for fx in fixes_for(self.engine, parsed, analysis, f)
                if fx.title == title]

    def diagnostics(self, text: str, path: str) -> list[tuple[str, int, int]]:
        _, analysis = self.analysis(text, path)
        return sorted((f.rule, f.span.start_line, f.span.start_col)
                      for f in analysis.result.findings)


def _caps() -> dict[str, Any]:
    from .rawlsp import default_capabilities

    return default_capabilities()


def run(steps: int = 300, seed: int = 9, progress: bool = False) -> EditStats:
    stats = EditStats()
    rng = random.Random(seed)
    oracle = Oracle()
    root = Path(tempfile.mkdtemp(prefix="kernlint-edits-"))
    t0 = time.monotonic()
    client = RawClient(cwd=root)
    try:
        client.initialize(root, capabilities=_caps())
        docs = []
        for name in SOURCES:
            p = root / name
            text = (REPO / "tests" / "fixes" / "cases" / name).read_text()
            p.write_text(text)
            d = Doc(client, p.resolve().as_uri(), str(p), text)
            d.original = text  # type: ignore[attr-defined]
            docs.append(d)
        pending: list[tuple[Doc, dict[str, Any], str]] = []  # listed actions (maybe stale)
        for step in range(steps):
            stats.steps += 1
            d = rng.choice(docs)
            r = rng.random()
            if r < 0.25:
                for _ in range(rng.randint(1, 3)):
                    d.change(rng)
            elif r < 0.6:
                _list_actions(client, d, rng, stats, pending)
            elif r < 0.9 and pending:
                i = len(pending) - 1 if rng.random() < 0.6 else rng.randrange(len(pending))
                item = pending.pop(i)
                q = rng.random()
                if q < 0.2:  # edit, then resolve: the action is stale
                    item[0].change(rng)
                _resolve(client, item, oracle, stats, rng if q > 0.7 else None)
            else:
                _check_diagnostics(client, d, oracle, stats)
            if progress and step % 100 == 99:
                print(f"edits: {step + 1}/{steps} applied={stats.edits_applied} "
                      f"lost={stats.lost}", flush=True, file=__import__("sys").stderr)
        for d in docs:
            _check_diagnostics(client, d, oracle, stats)
    except (ServerDied, TimeoutError) as exc:
        stats.failures.append(f"server: {exc}")
    finally:
        client.shutdown()
        shutil.rmtree(root, ignore_errors=True)
    stats.seconds = time.monotonic() - t0
    return stats


def _list_actions(client: RawClient, d: Doc, rng: random.Random, stats: EditStats,
                  pending: list[tuple[Doc, dict[str, Any], str]]) -> None:
    n = d.text.count("\n") + 1
    rid = client.request_async("textDocument/codeAction", {
        "textDocument": {"uri": d.uri},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": n, "character": 0}},
        "context": {"diagnostics": []}})
    if rng.random() < 0.3:  # change while the request is in flight
        d.change(rng)
    got = client.wait_response(rid, 120)
    for a in got.get("result") or []:
        data = a.get("data") or {}
        stats.actions_listed += 1
        if "edit" in a:  # lazy client: edits come in resolve only
            stats.failures.append(f"{a['title']}: edit in the list despite resolveSupport")
        pending.append((d, a, d.text if data.get("version") == d.version else ""))
    del pending[:-40]


def _resolve(client: RawClient, item: tuple[Doc, dict[str, Any], str], oracle: Oracle,
             stats: EditStats, race: random.Random | None = None) -> None:
    """Resolve an action; with `race`, the document changes while the request is in flight
    (the answer may carry an edit for the old version, which the client must refuse)."""
    d, action, _ = item
    data = action.get("data") or {}
    stats.resolves += 1
    rid = client.request_async("codeAction/resolve", action)
    if race is not None:
        d.change(race)
    got = client.wait_response(rid, 120)
    res = got.get("result") or {}
    edit = res.get("edit")
    if not edit:
        if data.get("version") != d.version:
            stats.stale_no_edit += 1
        return
    stats.edits_returned += 1
    if edit.get("changes"):
        stats.unversioned += 1
        stats.failures.append(f"{action['title']}: unversioned edit {list(edit['changes'])}")
        return
    mine = [dc for dc in edit.get("documentChanges") or []
            if dc.get("textDocument", {}).get("uri") == d.uri]
    for dc in mine:
        if dc["textDocument"].get("version") != data.get("version"):
            stats.wrong_version += 1
            stats.failures.append(f"{action['title']}: edit pinned to "
                                  f"{dc['textDocument'].get('version')}, listed for "
                                  f"{data.get('version')}")
            return
    if not mine:
        return
    if data.get("version") != d.version:
        stats.stale_refused += 1  # a correct client refuses it: nothing is lost
        return
    base = d.text
    new = apply_lsp(base, [e for dc in mine for e in dc["edits"]])
    want = oracle.expected(base, d.path, data, action["title"])
    if want is None or new not in want:
        stats.diverged += 1
        stats.failures.append(f"{action['title']} on v{d.version}: the edit does not give what "
                              "kernlint fix computes on the client's text")
        return
    stats.edits_applied += 1
    d.set_text(new)


def _check_diagnostics(client: RawClient, d: Doc, oracle: Oracle, stats: EditStats) -> None:
    got = client.request("textDocument/diagnostic", {"textDocument": {"uri": d.uri}}, timeout=120)
    res = got.get("result") or {}
    stats.diag_checks += 1
    if not str(res.get("resultId", "")).startswith(f"{d.version}:"):
        stats.diag_mismatch += 1
        stats.failures.append(f"{d.path}: diagnostics for {res.get('resultId')}, client at "
                              f"v{d.version}")
        return
    have = sorted((x["code"], x["range"]["start"]["line"], x["range"]["start"]["character"])
                  for x in res.get("items", []))
    want = oracle.diagnostics(d.text, d.path)
    if have != want:
        stats.diag_mismatch += 1
        stats.failures.append(f"{d.path} v{d.version}: server {have} != engine {want}")
