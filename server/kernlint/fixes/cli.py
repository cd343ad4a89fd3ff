"""`kernlint fix`: apply verified fixes to files.

    kernlint fix PATH... [--select RULES] [--ignore RULES] [--diff | --write] [--unsafe]
                 [--allow-dirty] [--only-function NAME] [--line N]

Safe fixes are applied (unsafe ones too with --unsafe), one at a time, re-analysing the file
after each (fixes in one function interact). The first fix offered for a finding is the one
applied — the same one an editor lists first. By default a unified diff is printed; --write
writes the files, and refuses files with uncommitted git changes unless --allow-dirty.
--only-function and --line restrict the run to findings in that function / on that 1-based
line, and --line applies a single fix.

Exit codes: 0 nothing left to fix, 1 findings remain unfixed, 2 errors.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from ..model import Applicability, Finding

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
MAX_STEPS = 200


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser("fix", help="apply verified fixes (diff by default, --write to write)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff (default)")
    mode.add_argument("--write", action="store_true", help="write the fixed files")
    p.add_argument("--unsafe", action="store_true", help="also apply unsafe fixes")
    p.add_argument("--allow-dirty", action="store_true",
                   help="write files that have uncommitted git changes")
    p.add_argument("--only-function", metavar="NAME", help="only findings in this function")
    p.add_argument("--line", type=int, metavar="N",
                   help="only the finding on this 1-based line; apply one fix")
    p.add_argument("--select", help="only these rules or prefixes, comma-separated")
    p.add_argument("--ignore", help="skip these rules or prefixes, comma-separated")
    p.add_argument("--config", help="path to a .kernlint.toml (default: searched upwards)")
    p.add_argument("--llm", action="store_true",
                   help="send every finding to a model; offer only verified rewrites "
                        "(templates are not used; see docs/llm.md)")
    from ..llm.cli import add_llm_args

    add_llm_args(p, write=False, report=True)
    p.set_defaults(func=cmd_fix)


def _codes(value: str | None) -> list[str]:
    return [c.strip() for c in (value or "").split(",") if c.strip()]


def git_dirty(path: Path) -> bool:
    """True when path is inside a git work tree and has uncommitted changes."""
    try:
        cp = subprocess.run(["git", "status", "--porcelain", "--", path.name],
                            cwd=path.resolve().parent, capture_output=True, text=True, check=False)
    except (FileNotFoundError, OSError):
        return False
    if cp.returncode != 0:
        return False  # not a git work tree
    return any(ln.strip() and not ln.startswith("??") for ln in cp.stdout.splitlines())


def cmd_fix(args: argparse.Namespace) -> int:
    if getattr(args, "llm", False):
        from ..llm.batch import run_llm_fix

        return run_llm_fix(args)
    from ..cli import UsageError, _config_for
    from ..engine import Engine
    from ..patches import make_diff
    from ..runner import InputError, discover

    select, ignore = _codes(args.select), _codes(args.ignore)
    ns = argparse.Namespace(config=args.config, select=None, ignore=None)
    cfg = _config_for(args.paths, ns)
    engine = Engine(cfg)  # every rule stays on: verification must see everything

    def wanted(f: Finding) -> bool:
        if not cfg.rule_enabled(f.rule):
            return False
        if select and not any(f.rule.startswith(s) for s in select):
            return False
        if any(f.rule.startswith(s) for s in ignore):
            return False
        if args.only_function and f.function != args.only_function:
            return False
        return not (args.line is not None and f.span.start_line + 1 != args.line)

    try:
        files = discover(args.paths)
    except InputError as exc:
        raise UsageError(str(exc)) from exc
    errors = remaining = applied_total = 0
    for path in files:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"kernlint: {path}: cannot read ({exc})", file=sys.stderr)
            errors += 1
            continue
        if args.write and not args.allow_dirty and git_dirty(path):
            print(f"kernlint: {path}: has uncommitted changes; commit or stash them, "
                  "or pass --allow-dirty", file=sys.stderr)
            errors += 1
            continue
        new_text, applied, left = fix_text(engine, str(path), text, wanted, args.unsafe,
                                           single=args.line is not None)
        applied_total += len(applied)
        remaining += left
        if new_text != text:
            if args.write:
                path.write_text(new_text, "utf-8")
            else:
                sys.stdout.write(make_diff(text, new_text, str(path)))
        for title in applied:
            print(f"kernlint: {path}: {title}", file=sys.stderr)
    print(f"kernlint fix: {applied_total} fix(es) applied, {remaining} finding(s) left",
          file=sys.stderr)
    if errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if remaining else EXIT_CLEAN


def fix_text(engine: object, path: str, text: str, wanted: object, unsafe: bool,
             single: bool = False) -> tuple[str, list[str], int]:
    """Apply fixes to text until none applies. Returns (text, titles applied, findings left)."""
    from ..engine import Engine
    from ..syntax import ParsedFile
    from .provider import fixes_for
    from .verify import EditError, apply_edits

    assert isinstance(engine, Engine)
    want = wanted if callable(wanted) else (lambda f: True)
    applied: list[str] = []
    skipped: set[tuple[str, str]] = set()
    findings: list[Finding] = []
    for _step in range(MAX_STEPS):
        parsed = ParsedFile(text, path)
        analysis = engine.analyze(parsed)
        findings = [f for f in analysis.result.findings if want(f)]
        lines = text.split("\n")
        progress = False
        for f in findings:
            key = (f.fingerprint, lines[f.span.start_line].strip()
                   if f.span.start_line < len(lines) else "")
            if key in skipped:
                continue
            chosen = None
            for fx in fixes_for(engine, parsed, analysis, f):
                if fx.applicability == Applicability.SAFE or \
                        (unsafe and fx.applicability == Applicability.UNSAFE):
                    if any(e.path for e in fx.edits):
                        continue  # other files: the editor applies those, not the CLI
                    chosen = fx
                    break
            if chosen is None:
                skipped.add(key)
                continue
            try:
                text = apply_edits(text, chosen.edits)
            except EditError:
                skipped.add(key)
                continue
            applied.append(chosen.title)
            progress = True
            break
        if not progress or single:
            break
    if applied:
        findings = [f for f in engine.analyze_text(text, path).findings if want(f)]
    return text, applied, len(findings)
