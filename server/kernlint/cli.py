"""Command line: argument parsing and presentation only; the engine does the work.

Exit codes: 0 clean, 1 findings (or, for diff, findings introduced), 2 usage or input error.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from . import __version__
from .config import Config, ConfigError, apply_dict, find_config, load_config
from .model import FileResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


def _codes(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


def _config_for(paths: list[str], args: argparse.Namespace) -> Config:
    cfg_path: Path | None
    if getattr(args, "config", None):
        cfg_path = Path(args.config)
        if not cfg_path.is_file():
            raise UsageError(f"--config {args.config}: no such file")
    else:
        start = Path(paths[0]).resolve() if paths else Path.cwd()
        cfg_path = find_config(start if start.exists() else Path.cwd())
    cfg = load_config(cfg_path)
    overrides: dict[str, object] = {}
    if getattr(args, "select", None):
        overrides["select"] = _codes(args.select)
    if getattr(args, "ignore", None):
        overrides["ignore"] = _codes(args.ignore)
    if overrides:
        apply_dict(cfg, overrides, "command line")
    return cfg


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", help="only these rules or prefixes, comma-separated (KL1,KR401)")
    p.add_argument("--ignore", help="skip these rules or prefixes, comma-separated")
    p.add_argument("--config", help="path to a .kernlint.toml (default: searched upwards)")


# ---------------------------------------------------------------- check
def _stats_dict(results: list[FileResult], seconds: float, cached: int) -> dict[str, object]:
    by_rule = Counter(f.rule for r in results for f in r.findings)
    return {"seconds": round(seconds, 3), "files": len(results), "cached_files": cached,
            "functions": sum(r.functions for r in results),
            "files_with_error_nodes": sum(1 for r in results if r.error_nodes),
            "findings_by_rule": dict(sorted(by_rule.items())),
            "notes": sum(len(r.notes) for r in results)}


def _load_baseline(path: str) -> set[tuple[str, str]]:
    try:
        doc = json.loads(Path(path).read_text("utf-8"))
        return {(d["path"], d["fingerprint"]) for d in doc["findings"]}
    except FileNotFoundError as exc:
        raise UsageError(f"--baseline {path}: no such file (create it with --write-baseline)") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--baseline {path}: not a kernlint JSON report ({exc})") from exc


def cmd_check(args: argparse.Namespace) -> int:
    from .output import to_json, to_sarif, to_text
    from .runner import InputError, default_cache_dir, discover, run_check, terminal_progress

    cfg = _config_for(args.paths, args)
    try:
        files = discover(args.paths)
    except InputError as exc:
        raise UsageError(str(exc)) from exc
    if not files:
        raise UsageError("no .c or .h files found under the given paths")
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    cache = None if args.no_cache else (Path(args.cache_dir) if args.cache_dir else default_cache_dir())
    results, stats = run_check(files, cfg, jobs, cache, terminal_progress())
    if args.baseline:
        known = _load_baseline(args.baseline)
        for r in results:
            r.findings = [f for f in r.findings if (r.path, f.fingerprint) not in known]
    sd = _stats_dict(results, stats.seconds, stats.cached)
    if args.write_baseline:
        Path(args.write_baseline).write_text(to_json(results, sd), "utf-8")
    if args.format == "json":
        out = to_json(results, sd)
    elif args.format == "sarif":
        out = to_sarif(results)
    else:
        out = to_text(results, color=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    if args.output:
        Path(args.output).write_text(out + "\n", "utf-8")
    elif out:
        print(out)
    for r in results:
        for e in r.errors:
            print(f"kernlint: {e}", file=sys.stderr)
        if args.verbose:
            for n in r.notes:
                print(f"kernlint: note: {n}", file=sys.stderr)
    if args.format == "text" and not args.quiet:
        total = sum(len(r.findings) for r in results)
        by_rule = Counter(f.rule for r in results for f in r.findings)
        per = ", ".join(f"{k} {v}" for k, v in sorted(by_rule.items()))
        print(f"kernlint: {total} finding(s) in {len(results)} file(s) "
              f"({per or 'none'}); {stats.seconds:.1f}s, {stats.cached} from cache",
              file=sys.stderr)
    if any(r.errors for r in results) and not any(r.findings for r in results):
        return EXIT_ERROR if all(r.errors for r in results) else EXIT_CLEAN
    return EXIT_FINDINGS if any(r.findings for r in results) else EXIT_CLEAN


# ---------------------------------------------------------------- diff
def _git(args: list[str], cwd: Path) -> str:
    try:
        cp = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise UsageError("git is not installed") from exc
    if cp.returncode != 0:
        raise UsageError(f"git {' '.join(args)}: {cp.stderr.strip().splitlines()[-1] if cp.stderr.strip() else 'failed'}")
    return cp.stdout


def cmd_diff(args: argparse.Namespace) -> int:
    from .engine import Engine
    from .output import finding_to_dict
    from .patches import PatchError, apply_file_patch, parse_patch

    cfg = _config_for(args.paths or ["."], args)
    engine = Engine(cfg)
    pairs: list[tuple[str, str, str]] = []  # (path, old text, new text)
    cwd = Path.cwd()
    if args.patch:
        try:
            text = Path(args.patch).read_text("utf-8") if args.patch != "-" else sys.stdin.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--patch {args.patch}: cannot read ({exc})") from exc
        try:
            for fp in parse_patch(text):
                if not fp.new_path.endswith((".c", ".h")):
                    continue
                old_file = cwd / fp.old_path
                old = old_file.read_text("utf-8", "replace") if old_file.exists() else ""
                pairs.append((fp.new_path, old, apply_file_patch(old, fp)))
        except PatchError as exc:
            raise UsageError(f"--patch {args.patch}: {exc}") from exc
    else:
        if not args.rev:
            raise UsageError("give a revision (kernlint diff HEAD~1) or --patch FILE")
        top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
        names = _git(["diff", "--name-only", args.rev, "--", *(args.paths or ["."])], cwd).split()
        for name in names:
            if not name.endswith((".c", ".h")):
                continue
            new_file = top / name
            new = new_file.read_text("utf-8", "replace") if new_file.exists() else ""
            try:
                old = _git(["show", f"{args.rev}:{name}"], top)
            except UsageError:
                old = ""
            pairs.append((name, old, new))
    introduced: list[dict[str, object]] = []
    fixed: list[dict[str, object]] = []
    for path, old, new in pairs:
        before = engine.analyze_text(old, path).findings if old else []
        after = engine.analyze_text(new, path).findings if new else []
        b = Counter(f.fingerprint for f in before)
        a = Counter(f.fingerprint for f in after)
        for f in after:
            if b[f.fingerprint] > 0:
                b[f.fingerprint] -= 1
            else:
                introduced.append(finding_to_dict(f, path))
        for f in before:
            if a[f.fingerprint] > 0:
                a[f.fingerprint] -= 1
            else:
                fixed.append(finding_to_dict(f, path))
    if args.format == "json":
        print(json.dumps({"files": len(pairs), "introduced": introduced, "fixed": fixed}, indent=2))
    else:
        for d in introduced:
            print(f"+ {d['path']}:{d['line']}: {d['rule']} {d['message']} [{d['function']}]")
        for d in fixed:
            print(f"- {d['path']}:{d['line']}: {d['rule']} {d['message']} [{d['function']}] (fixed)")
        print(f"kernlint diff: {len(pairs)} file(s): {len(introduced)} introduced, "
              f"{len(fixed)} fixed", file=sys.stderr)
    return EXIT_FINDINGS if introduced else EXIT_CLEAN


# ---------------------------------------------------------------- rules / doc
def cmd_rules(args: argparse.Namespace) -> int:
    from .docs import rule_doc_markdown, rules_markdown
    from .rules import REGISTRY

    if args.markdown:
        print(rules_markdown())
        return EXIT_CLEAN
    if args.code:
        doc = rule_doc_markdown(args.code)
        if doc is None:
            raise UsageError(f"unknown rule {args.code!r}; see `kernlint rules`")
        print(doc)
        return EXIT_CLEAN
    for cls in REGISTRY:
        print(f"{cls.code}  {cls.name:<28} {cls.summary}")
    return EXIT_CLEAN


Command = Callable[[argparse.Namespace], int]
EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="kernlint", description="Leak, lock, refcount and race "
                                 "checks for Linux kernel driver C code.")
    ap.add_argument("--version", action="version", version=f"kernlint {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("check", help="check files or trees and report findings")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    p.add_argument("-o", "--output", help="write the report to this file")
    p.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: CPUs)")
    p.add_argument("--no-cache", action="store_true", help="ignore and do not write the cache")
    p.add_argument("--cache-dir", help="result cache folder (default: ~/.cache/kernlint)")
    p.add_argument("--baseline", help="report only findings not in this JSON report")
    p.add_argument("--write-baseline", metavar="FILE", help="write all findings as a baseline")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    p.add_argument("-v", "--verbose", action="store_true", help="print notes on skipped functions")
    _add_common(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("diff", help="findings a change introduces and fixes (git revision or patch)")
    p.add_argument("rev", nargs="?", help="git revision to compare the working tree with")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--patch", help="a unified diff (file or - for stdin) applied to the working tree")
    p.add_argument("--format", choices=["text", "json"], default="text")
    _add_common(p)
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("rules", help="list the rules, or show one rule's documentation")
    p.add_argument("code", nargs="?")
    p.add_argument("--markdown", action="store_true", help="all rule docs as Markdown")
    p.set_defaults(func=cmd_rules)

    for register in EXTRA_COMMANDS:
        register(sub)
    _register_optional(sub)
    return ap


def _register_optional(sub: argparse._SubParsersAction) -> None:
    """Subcommands living in their own modules (server, fixes, LLM)."""
    import importlib

    for mod in ("kernlint.lsp.cli", "kernlint.fixes.cli", "kernlint.llm.cli"):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("kernlint"):
                continue
            raise
        m.register(sub)


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    if not getattr(args, "func", None):
        ap.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return int(args.func(args))
    except (UsageError, ConfigError) as exc:
        print(f"kernlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("kernlint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as exc:  # last resort: one line, never a traceback
        print(f"kernlint: internal error: {exc!r} (run with KERNLINT_DEBUG=1 for details)",
              file=sys.stderr)
        if os.environ.get("KERNLINT_DEBUG"):
            raise
        return EXIT_ERROR
