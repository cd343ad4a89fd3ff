"""Batch LLM fixing: `kernlint llm-fix` (and `kernlint fix --llm`, routed here).

Every finding in the given files is sent to the model (deterministic fix templates are not
used). Verified rewrites are printed as one unified diff per file, or written with --write;
--report FILE.jsonl records every attempt. Asking on the command line is consent: --llm /
llm-fix turn LLM fixes on for this run even if `[llm] enabled` is false; the destination
allowlist (`[llm] allowed_hosts`) still applies.

Settings, later ones winning: `.kernlint.toml [llm]`, $KERNLINT_LLM_MODEL and
$KERNLINT_LLM_API_BASE, then --model / --api-base / --candidates / --timeout.

Exit codes: 0 every finding got a verified fix (or there were none), 1 some remain,
2 usage or input error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from ..config import Config, LlmSettings, apply_dict, find_config, load_config
from ..model import Finding
from ..patches import make_diff
from .actions import LlmFixResult, resolve_llm_fix
from .cache import FixCache
from .cli import add_llm_args
from .client import scrub

__all__ = ["add_llm_args", "resolve_settings", "run_llm_fix"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class BatchError(Exception):
    """A usage or input problem; the message is one line."""


def resolve_settings(cfg: Config, args: argparse.Namespace) -> LlmSettings:
    """[llm] from the config, then the environment, then flags; enabled for this run."""
    llm = replace(cfg.llm, allowed_hosts=list(cfg.llm.allowed_hosts))
    env: dict[str, object] = {}
    if os.environ.get("KERNLINT_LLM_MODEL"):
        env["model"] = os.environ["KERNLINT_LLM_MODEL"]
    if os.environ.get("KERNLINT_LLM_API_BASE"):
        env["api_base"] = os.environ["KERNLINT_LLM_API_BASE"]
    flags: dict[str, object] = {}
    for name in ("model", "api_base", "candidates", "timeout"):
        v = getattr(args, name, None)
        if v is not None:
            flags[name] = v
    c = Config(llm=llm)
    if env:
        apply_dict(c, {"llm": env}, "environment")
    if flags:
        apply_dict(c, {"llm": flags}, "command line")
    out = c.llm
    out.enabled = True
    if not out.model:
        raise BatchError("no model: pass --model, set $KERNLINT_LLM_MODEL or [llm] model")
    return out


def config_for(paths: list[str], args: argparse.Namespace) -> Config:
    if getattr(args, "config", None):
        p = Path(args.config)
        if not p.is_file():
            raise BatchError(f"--config {args.config}: no such file")
        cfg = load_config(p)
    else:
        start = Path(paths[0]).resolve() if paths else Path.cwd()
        cfg = load_config(find_config(start if start.exists() else Path.cwd()))
    over: dict[str, object] = {}
    for name in ("select", "ignore"):
        v = getattr(args, name, None)
        if v:
            over[name] = [c.strip() for c in str(v).split(",") if c.strip()]
    if over:
        apply_dict(cfg, over, "command line")
    return cfg


def attempt_record(path: str, finding: Finding, settings: LlmSettings,
                   res: LlmFixResult) -> dict[str, Any]:
    return {
        "path": path, "line": finding.span.start_line + 1, "rule": finding.rule,
        "function": finding.function, "resource": finding.resource,
        "message": finding.message, "fingerprint": finding.fingerprint,
        "model": settings.model, "verified": res.verified, "reason": scrub(res.reason),
        "cached": res.cached, "calls": res.calls, "diff": res.diff,
        "tokens_in": res.tokens_in, "tokens_out": res.tokens_out,
        "latency": round(res.seconds, 3),
        "attempts": [{**a.to_dict(), "reason": scrub(a.reason)} for a in res.attempts],
    }


async def _fix_file(engine: Any, settings: LlmSettings, path: str, text: str,
                    cache: FixCache, report: TextIO | None, log: TextIO) -> tuple[str, int, int]:
    """(final text, findings fixed, findings left)."""
    findings = engine.analyze_text(text, path).findings
    budget = Counter(f.fingerprint for f in findings)
    fixed = 0
    while True:
        pending = [f for f in findings if budget[f.fingerprint] > 0]
        if not pending:
            break
        f = pending[0]
        budget[f.fingerprint] -= 1
        res = await resolve_llm_fix(engine, settings, text, path, f,
                                    cache=cache)
        if report is not None:
            report.write(json.dumps(attempt_record(path, f, settings, res)) + "\n")
            report.flush()
        where = f"{path}:{f.span.start_line + 1}: {f.rule} [{f.function}]"
        if res.verified:
            fixed += 1
            text = res.new_text
            findings = engine.analyze_text(text, path).findings
            print(f"kernlint: {where}: verified fix"
                  f"{' (cached)' if res.cached else ''}", file=log)
        else:
            print(f"kernlint: {where}: no fix: {scrub(res.reason)}", file=log)
    return text, fixed, len(findings)


def run_llm_fix(args: argparse.Namespace) -> int:
    """Entry point of `kernlint llm-fix` and `kernlint fix --llm`."""
    from ..engine import Engine
    from ..runner import InputError, discover, read_source

    try:
        cfg = config_for(list(args.paths), args)
        settings = resolve_settings(cfg, args)
        files = discover(args.paths)
    except (BatchError, InputError) as exc:
        print(f"kernlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if not files:
        print("kernlint: error: no .c or .h files found under the given paths", file=sys.stderr)
        return EXIT_ERROR
    engine = Engine(cfg)
    cache = FixCache(None) if getattr(args, "no_cache", False) else FixCache.default()
    report: TextIO | None = None
    if getattr(args, "report", None):
        try:
            report = open(args.report, "w", encoding="utf-8")
        except OSError as exc:
            print(f"kernlint: error: --report {args.report}: {exc}", file=sys.stderr)
            return EXIT_ERROR

    async def run() -> tuple[int, int, bool]:
        total_fixed = total_left = 0
        bad_input = False
        for p in files:
            text, err = read_source(p, cfg.max_file_bytes)
            if text is None:
                print(f"kernlint: {err}", file=sys.stderr)
                bad_input = True
                continue
            new, fixed, left = await _fix_file(engine, settings, str(p), text, cache, report,
                                               sys.stderr)
            total_fixed += fixed
            total_left += left
            if new != text:
                if getattr(args, "write", False):
                    p.write_text(new, "utf-8")
                else:
                    sys.stdout.write(make_diff(text, new, str(p)))
        return total_fixed, total_left, bad_input

    try:
        fixed, left, bad_input = asyncio.run(run())
    finally:
        if report is not None:
            report.close()
    verb = "applied" if getattr(args, "write", False) else "verified"
    print(f"kernlint: {fixed} fix(es) {verb}, {left} finding(s) left ({settings.model})",
          file=sys.stderr)
    if bad_input and not fixed and not left:
        return EXIT_ERROR
    return EXIT_FINDINGS if left else EXIT_CLEAN
