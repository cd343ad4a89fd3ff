"""How often the device-managed alternative (fixes/managed.py) is offered on a real tree.

Runs ``kernlint check <tree>/<subdir> --select KL101 --format json`` (the command users
run), then, per finding, asks the fix provider for its fixes in-process and counts the
"Use devm_...() (device-managed)" ones. Each offered one is verified again here, on its own
declared sites, independently of the provider. The funnel says where the others drop out:

  findings -> acquired by an API with a managed counterpart (data/managed_api.toml)
           -> in a file that already calls a managed API
           -> alternative offered (and verified)

Usage: python bench/managed.py [--tree DIR] [--subdir sound] [--select KL101] [--show N]
Results go to ``bench/results/managed-<stamp>.json``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kbench
from kernlint.engine import Engine
from kernlint.fixes.managed import FIX_MANAGED
from kernlint.fixes.provider import fixes_for
from kernlint.fixes.verify import apply_edits, function_lines, verify_text
from kernlint.model import Fix
from kernlint.syntax import ParsedFile, mask_code

_FROM = re.compile(r"\bfrom (\w+)\(\)")


def _report(kernlint: str, root: Path, select: str) -> list[dict[str, Any]]:
    proc = subprocess.run([kernlint, "check", str(root), "--select", select, "--format", "json"],
                          capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"kernlint check failed ({proc.returncode}): {proc.stderr.strip()}")
    findings: list[dict[str, Any]] = json.loads(proc.stdout)["findings"]
    return findings


def _reverify(engine: Engine, path: str, text: str, parsed: ParsedFile, before: list[Any],
              finding: Any, fix: Fix) -> bool:
    new = apply_edits(text, list(fix.edits))
    lo, hi = function_lines(parsed, finding.function) or (0, 0)
    grow = max(new.count("\n") - text.count("\n"), 0)
    allowed = [(lo, hi + grow), *((a, b + grow) for a, b in fix.sites)]
    return verify_text(engine, path, text, before, finding, new, allowed).ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", help="kernel tree (the directory holding sound/)")
    ap.add_argument("--subdir", default="sound")
    ap.add_argument("--select", default="KL101", help="rule codes, e.g. KL101 or KL101,KL301")
    ap.add_argument("--show", type=int, default=0, help="print the first N diffs")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results/")
    args = ap.parse_args()

    tree = kbench.find_tree(args.tree)
    kernlint = kbench.find_kernlint()
    if kernlint is None:
        raise SystemExit("kernlint is not installed (make run)")
    root = tree / args.subdir
    report = _report(kernlint, root, args.select)
    engine = Engine()
    alts = engine.knowledge.managed.alternatives
    prefixes = "|".join(re.escape(p) for p in engine.knowledge.managed_prefixes)
    uses_managed = re.compile(r"\b(?:" + prefixes + r")\w*\s*\(")

    by_file: dict[str, list[dict[str, Any]]] = {}
    for f in report:
        by_file.setdefault(f["path"], []).append(f)
    mapped = in_managed_file = offered = verified = 0
    offers: list[dict[str, Any]] = []
    shown = 0
    for path, found in sorted(by_file.items()):
        text = Path(path).read_text("utf-8", "replace")
        parsed = ParsedFile(text, path)
        analysis = engine.analyze(parsed)
        managed_file = uses_managed.search(mask_code(text)) is not None
        for rep in found:
            m = _FROM.search(rep["message"])
            if m is None or m.group(1) not in alts:
                continue
            mapped += 1
            if not managed_file:
                continue
            in_managed_file += 1
            fresh = [g for g in analysis.result.findings if g.rule == rep["rule"]
                     and g.function == rep["function"] and g.resource == rep["resource"]
                     and g.span.start_line + 1 == rep["line"]]
            if not fresh:
                continue
            alt = [x for x in fixes_for(engine, parsed, analysis, fresh[0])
                   if x.fix_id == FIX_MANAGED]
            if not alt:
                continue
            offered += 1
            ok = _reverify(engine, path, text, parsed, analysis.result.findings, fresh[0], alt[0])
            verified += ok
            rel = str(Path(path).relative_to(tree))
            offers.append({"path": rel, "line": rep["line"], "function": rep["function"],
                           "resource": rep["resource"], "title": alt[0].title, "verified": ok})
            if shown < args.show:
                shown += 1
                new = apply_edits(text, list(alt[0].edits))
                sys.stdout.writelines(difflib.unified_diff(
                    text.splitlines(True), new.splitlines(True), f"a/{rel}", f"b/{rel}"))
    summary = {"select": args.select, "subdir": args.subdir, "findings": len(report),
               "mapped_acquisition": mapped, "in_file_using_managed_api": in_managed_file,
               "offered": offered, "verified": verified, "offers": offers}
    print(f"{args.select} findings in {args.subdir}/: {len(report)}")
    print(f"  acquired by an API with a managed counterpart: {mapped}")
    print(f"  ... in a file that already uses managed APIs:  {in_managed_file}")
    print(f"  managed alternative offered:                   {offered}")
    print(f"  ... verified again here:                       {verified}")
    for o in offers:
        print(f"    {o['path']}:{o['line']} {o['function']} `{o['resource']}`: {o['title']}")
    if not args.no_write:
        print(f"written: {kbench.write_result('managed', summary)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
