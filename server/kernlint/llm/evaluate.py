"""`kernlint eval --model M CASES`: how often a model's fixes pass kernlint's verifier.

A case is a pair of files in the CASES folder (sub-folders included):

    NAME.c      the code before the fix (one bug to fix)
    NAME.toml   (or NAME.json) the finding kernlint must report and the model must fix:
                    rule = "KL101"        # required
                    line = 23             # required, 1-based line of the finding
                    class = "leak"        # optional: leak | lock | refcount | race | atomic
                    description = "..."   # optional, shown in the JSON report

Without `class`, the class follows the rule family (KL1 leak, KL2 lock, KL3 refcount,
KR4 race, KA5 atomic). A case whose finding kernlint does not report counts as not fixed
(status "not detected"). Results are never read from or written to the fix cache.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import LlmSettings
from .actions import resolve_llm_fix
from .batch import EXIT_CLEAN, EXIT_ERROR, BatchError, config_for, resolve_settings
from .cache import FixCache
from .client import scrub

CLASSES = ("leak", "lock", "refcount", "race", "atomic")
_FAMILY = {"KL1": "leak", "KL2": "lock", "KL3": "refcount", "KR4": "race", "KA5": "atomic"}
CLASS_TITLES = {"leak": "memory/resource leak", "lock": "lock", "refcount": "refcount",
                "race": "race", "atomic": "atomic context", "overall": "overall"}


class CaseError(ValueError):
    pass


@dataclass
class Case:
    name: str
    source: Path
    rule: str
    line: int
    cls: str
    description: str = ""


@dataclass
class CaseResult:
    case: Case
    status: str  # verified | rejected | not detected | error
    reason: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    calls: int = 0
    diff: str = ""


@dataclass
class ClassStats:
    cases: int = 0
    detected: int = 0
    verified: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    results: list[CaseResult] = field(default_factory=list)

    def add(self, r: CaseResult) -> None:
        self.cases += 1
        self.detected += r.status != "not detected"
        self.verified += r.status == "verified"
        self.tokens_in += r.tokens_in
        self.tokens_out += r.tokens_out
        self.seconds += r.seconds

    @property
    def share(self) -> float | None:
        return self.verified / self.cases if self.cases else None


def load_cases(root: Path) -> list[Case]:
    if not root.is_dir():
        raise CaseError(f"{root}: not a folder of cases")
    out = []
    for src in sorted(root.rglob("*.c")):
        meta: dict[str, Any] | None = None
        for ext in (".toml", ".json"):
            side = src.with_suffix(ext)
            if side.is_file():
                try:
                    raw = side.read_text("utf-8")
                    meta = tomllib.loads(raw) if ext == ".toml" else json.loads(raw)
                except (OSError, ValueError) as exc:
                    raise CaseError(f"{side}: cannot read ({exc})") from exc
                break
        if meta is None:
            continue  # a helper file, not a case
        rule, line = meta.get("rule"), meta.get("line")
        if not isinstance(rule, str) or not isinstance(line, int) or line < 1:
            raise CaseError(f"{src.with_suffix('')}: a case needs rule = \"KL...\" and line = N")
        cls = meta.get("class") or next((c for p, c in _FAMILY.items() if rule.startswith(p)),
                                        "leak")
        if cls not in CLASSES:
            raise CaseError(f"{src}: class must be one of {', '.join(CLASSES)}")
        out.append(Case(str(src.relative_to(root).with_suffix("")), src, rule.upper(), line,
                        cls, str(meta.get("description", ""))))
    return out


async def run_case(engine: Any, settings: LlmSettings, case: Case) -> CaseResult:
    text = case.source.read_text("utf-8")
    path = str(case.source)
    findings = engine.analyze_text(text, path).findings
    hit = [f for f in findings if f.rule == case.rule and f.span.start_line + 1 == case.line]
    if not hit:
        got = ", ".join(f"{f.rule}@{f.span.start_line + 1}" for f in findings) or "nothing"
        return CaseResult(case, "not detected", f"kernlint reports {got}")
    t0 = time.perf_counter()
    res = await resolve_llm_fix(engine, settings, text, path, hit[0], cache=FixCache(None))
    status = "verified" if res.verified else ("error" if not res.calls else "rejected")
    return CaseResult(case, status, scrub(res.reason), res.tokens_in, res.tokens_out,
                      round(res.seconds or time.perf_counter() - t0, 3), res.calls, res.diff)


def summarise(results: list[CaseResult]) -> dict[str, ClassStats]:
    stats = {c: ClassStats() for c in (*CLASSES, "overall")}
    for r in results:
        stats[r.case.cls].add(r)
        stats["overall"].add(r)
        stats[r.case.cls].results.append(r)
    return stats


def to_json(settings: LlmSettings, results: list[CaseResult]) -> dict[str, Any]:
    stats = summarise(results)
    return {
        "model": settings.model,
        "classes": {c: {"cases": s.cases, "detected": s.detected, "verified": s.verified,
                        "share": None if s.share is None else round(s.share, 3),
                        "tokens_in": s.tokens_in, "tokens_out": s.tokens_out,
                        "seconds": round(s.seconds, 3)}
                    for c, s in stats.items()},
        "cases": [{"case": r.case.name, "class": r.case.cls, "rule": r.case.rule,
                   "line": r.case.line, "status": r.status, "reason": r.reason,
                   "calls": r.calls, "tokens_in": r.tokens_in, "tokens_out": r.tokens_out,
                   "seconds": r.seconds, "diff": r.diff} for r in results],
    }


def to_table(settings: LlmSettings, results: list[CaseResult]) -> str:
    stats = summarise(results)
    rows = [("class", "cases", "detected", "verified", "share", "tokens in/out", "seconds")]
    for c, s in stats.items():
        share = "-" if s.share is None else f"{100 * s.share:.0f}%"
        rows.append((CLASS_TITLES[c], str(s.cases), str(s.detected), str(s.verified), share,
                     f"{s.tokens_in}/{s.tokens_out}", f"{s.seconds:.1f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"kernlint eval: {settings.model}, {len(results)} case(s)"]
    for i, r in enumerate(rows):
        lines.append("  ".join(v.ljust(w) if j == 0 else v.rjust(w)
                               for j, (v, w) in enumerate(zip(r, widths, strict=True))))
        if i == 0 or i == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_eval(args: argparse.Namespace) -> int:
    from ..engine import Engine

    root = Path(args.cases)
    try:
        cases = load_cases(root)
        cfg = config_for([str(root)], args)
        settings = resolve_settings(cfg, args)
    except (CaseError, BatchError) as exc:
        print(f"kernlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if not cases:
        print(f"kernlint: error: no cases (NAME.c + NAME.toml) under {root}", file=sys.stderr)
        return EXIT_ERROR
    engine = Engine(cfg)

    async def run() -> list[CaseResult]:
        out = []
        for case in cases:
            r = await run_case(engine, settings, case)
            print(f"kernlint: {case.name}: {r.status}" + (f" ({r.reason})" if r.reason and
                                                           r.status != "verified" else ""),
                  file=sys.stderr)
            out.append(r)
        return out

    results = asyncio.run(run())
    doc = to_json(settings, results)
    if getattr(args, "json", None):
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    if getattr(args, "format", "text") == "json":
        print(json.dumps(doc, indent=2))
    else:
        print(to_table(settings, results))
    return EXIT_CLEAN
