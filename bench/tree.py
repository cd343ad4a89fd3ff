"""Whole-tree benchmark: kernlint vs. the kernel's own Coccinelle scripts.

Runs ``kernlint check --format json`` over ``<tree>/sound`` cold
(``--no-cache``), once more to fill the result cache, and warm (cache
filled), then the kernel's report-mode Coccinelle scripts over the same
directory, and prints both side by side. Results go to
``bench/results/tree-<stamp>.json``.

Usage: python bench/tree.py [--tree DIR] [--subdir sound] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kbench

# Scripts named in the benchmark brief, relative to scripts/coccinelle/.
COCCI_SCRIPTS = (
    "locks/mini_lock.cocci",
    "free/kfree.cocci",
    "free/put_device.cocci",
    "iterators/for_each_child.cocci",
    "api/pm_runtime.cocci",
)

# A report line: "sound/x.c:12:3-9: ERROR: message" (column part optional).
_REPORT_RE = re.compile(r"^(?P<path>[^:\s]+\.[ch]):(?P<line>\d+):(?:[\d\-]+:)?\s*(?P<msg>.*)$")


def parse_cocci_report(text: str) -> list[dict[str, Any]]:
    """Parse spatch report-mode output into findings (duplicates dropped)."""
    seen: set[tuple[str, int, str]] = set()
    out: list[dict[str, Any]] = []
    for raw in text.splitlines():
        m = _REPORT_RE.match(raw.strip())
        if not m:
            continue
        key = (m["path"], int(m["line"]), m["msg"])
        if key in seen:
            continue
        seen.add(key)
        out.append({"path": m["path"], "line": int(m["line"]), "message": m["msg"]})
    return out


def cocci_options(script: Path) -> list[str]:
    """The ``// Options:`` line of a .cocci file, as coccicheck passes it."""
    for line in script.read_text(errors="replace").splitlines():
        if line.startswith("// Options:"):
            return line.split(":", 1)[1].split()
    return []


def run_cocci(tree: Path, subdir: str, script_rel: str, jobs: int, timeout: int) -> dict[str, Any]:
    """Run one Coccinelle script in report mode the way coccicheck does."""
    spatch = shutil.which("spatch")
    script = tree / "scripts" / "coccinelle" / script_rel
    if spatch is None:
        return {"script": script_rel, "error": "spatch not installed (apt-get install coccinelle)"}
    if not script.exists():
        return {"script": script_rel, "error": f"missing {script}"}
    argv = [
        spatch,
        "-D",
        "report",
        "--no-show-diff",
        "--very-quiet",
        "--cocci-file",
        str(script),
        *cocci_options(script),
        "--dir",
        subdir,
        "-I",
        "include",
        "--timeout",
        str(timeout),
    ]
    if jobs > 1:
        argv += ["--jobs", str(jobs), "--chunksize", "1"]
    res = kkrun(argv, cwd=tree)
    findings = parse_cocci_report(res.stdout)
    kinds = Counter(_cocci_kind(f["message"]) for f in findings)
    return {
        "script": script_rel,
        "options": cocci_options(script),
        "findings": len(findings),
        "findings_by_kind": dict(kinds),
        "files_with_findings": len({f["path"] for f in findings}),
        "all": findings,
        "run": res.summary(),
    }


def _cocci_kind(msg: str) -> str:
    m = re.match(r"(ERROR|WARNING|INFO|CHECK)\b", msg)
    return m.group(1) if m else "other"


def kkrun(
    argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> kbench.RunResult:
    print("  $ " + " ".join(argv), file=sys.stderr, flush=True)
    return kbench.run_measured(argv, cwd=cwd, env=env)


def run_kernlint(
    exe: str,
    target: Path,
    jobs: int,
    label: str,
    no_cache: bool,
    env: dict[str, str],
    cache_dir: str | None = None,
) -> dict[str, Any]:
    """One timed ``kernlint check`` run; returns run figures plus the summary."""
    argv = [exe, "check", "--format", "json", "--jobs", str(jobs)]
    if no_cache:
        argv.append("--no-cache")
    elif cache_dir is not None:
        argv += ["--cache-dir", cache_dir]
    argv.append(str(target))
    before = kbench.engine_digest()
    res = kkrun(argv, env=env)
    out: dict[str, Any] = {"label": label, "run": res.summary(), "engine_digest": before}
    if kbench.engine_digest() != before:
        out["engine_changed_during_run"] = True
    if res.returncode not in (0, 1):
        out["error"] = f"exit status {res.returncode}"
    try:
        doc = kbench.parse_report(res.stdout)
    except kbench.ReportError as exc:
        out["error"] = str(exc)
        return out
    summ = kbench.summarize_report(doc)
    summ["top_files"] = [(_rel(p, target), n) for p, n in summ["top_files"]]
    out["findings_compact"] = [
        {
            "rule": f.get("rule"),
            "path": _rel(str(f.get("path")), target.parent),
            "line": f.get("line"),
            "function": f.get("function"),
            "resource": f.get("resource"),
        }
        for f in doc["findings"]
    ]
    out["summary"] = summ
    files = summ.get("files_checked") or 0
    out["files_per_s"] = round(files / res.wall_s, 1) if res.wall_s > 0 else None
    return out


def _rel(path: str, base: Path) -> str:
    try:
        return str(Path(path).relative_to(base))
    except ValueError:
        return path


def supports_cache_dir(exe: str) -> bool:
    """True if ``kernlint check`` takes ``--cache-dir``."""
    res = kbench.run_measured([exe, "check", "--help"], sample_rss=False)
    return "--cache-dir" in res.stdout


def count_sources(root: Path) -> dict[str, int]:
    nfiles = nlines = 0
    cfiles = clines = 0
    for p in root.rglob("*"):
        if p.suffix not in (".c", ".h") or not p.is_file():
            continue
        n = p.read_bytes().count(b"\n")
        nfiles += 1
        nlines += n
        if p.suffix == ".c":
            cfiles += 1
            clines += n
    return {"files": nfiles, "lines": nlines, "c_files": cfiles, "c_lines": clines}


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def render(result: dict[str, Any]) -> str:
    """Side-by-side text table of a tree benchmark result."""
    lines: list[str] = []
    src = result["sources"]
    lines.append(
        f"tree: {result['target']}  ({src['c_files']} .c / {src['files']} .c+.h files, "
        f"{src['c_lines']} / {src['lines']} lines)"
    )
    lines.append("")
    lines.append("kernlint")
    for run in result.get("kernlint", []):
        r = run["run"]
        if "error" in run and "summary" not in run:
            lines.append(f"  {run['label']:<6} ERROR {run['error']}")
            continue
        s = run["summary"]
        lines.append(
            f"  {run['label']:<6} {r['wall_s']:>8.1f} s  {run.get('files_per_s')} files/s  "
            f"peak RSS {_mib(r['max_rss_kib'])} (tree {_mib(r['peak_tree_rss_kib'])})  "
            f"findings {s['findings']}  errors {s['errors']}  "
            f"cache hits {(s.get('stats') or {}).get('cached_files', '?')}"
        )
    digests = {r.get("engine_digest") for r in result.get("kernlint", [])}
    if len(digests) > 1 or any(r.get("engine_changed_during_run") for r in result["kernlint"]):
        lines.append(
            "  WARNING: kernlint's sources changed during the runs; cache hits and"
            " findings of the runs are not comparable"
        )
    last = next((r for r in reversed(result.get("kernlint", [])) if "summary" in r), None)
    if last:
        for rule, n in last["summary"]["findings_by_rule"].items():
            lines.append(f"    {rule:<8} {n}")
    if result.get("kernlint_skipped"):
        lines.append(f"  skipped: {result['kernlint_skipped']}")
    lines.append("")
    lines.append("Coccinelle (report mode)")
    total_t = 0.0
    total_n = 0
    for c in result.get("coccinelle", []):
        if "error" in c:
            lines.append(f"  {c['script']:<34} ERROR {c['error']}")
            continue
        r = c["run"]
        total_t += r["wall_s"]
        total_n += c["findings"]
        lines.append(
            f"  {c['script']:<34} {r['wall_s']:>8.1f} s  findings {c['findings']:>4}  "
            f"peak RSS {_mib(r['max_rss_kib'])}"
        )
    if result.get("coccinelle"):
        lines.append(f"  {'total':<34} {total_t:>8.1f} s  findings {total_n:>4}")
    ov = result.get("overlap")
    if ov:
        lines.append(
            f"  Coccinelle findings also reported by kernlint (same file, +-{ov['window']} lines): "
            f"{ov['also_found_by_kernlint']} of {ov['cocci_findings']}"
        )
    ratio = result.get("ratios") or {}
    if ratio:
        lines.append("")
        for k, v in ratio.items():
            lines.append(f"{k}: {v}")
    return "\n".join(lines)


_LINE_REF_RE = re.compile(r"\bline (\d+)")


def cocci_overlap(
    cocci: list[dict[str, Any]], kl: list[dict[str, Any]], window: int = 5
) -> dict[str, Any]:
    """Coccinelle findings that kernlint also reports near the same place.

    A Coccinelle finding is matched by a kernlint finding in the same file
    whose line is within ``window`` lines of the reported line or of a line
    the message names ("preceding lock on line 41")."""
    by_path: dict[str, list[dict[str, Any]]] = {}
    for f in kl:
        by_path.setdefault(str(f["path"]), []).append(f)
    rows: list[dict[str, Any]] = []
    for c in cocci:
        for f in c.get("all", []):
            lines = [f["line"], *(int(x) for x in _LINE_REF_RE.findall(f["message"]))]
            near = [
                k
                for k in by_path.get(f["path"], [])
                if any(abs(int(k.get("line") or 0) - ln) <= window for ln in lines)
            ]
            rows.append(
                {
                    "script": c["script"],
                    **f,
                    "kernlint": [f"{k['rule']}:{k['line']}" for k in near],
                }
            )
    return {
        "window": window,
        "cocci_findings": len(rows),
        "also_found_by_kernlint": sum(bool(r["kernlint"]) for r in rows),
        "rows": rows,
    }


def compute_ratios(result: dict[str, Any]) -> dict[str, float]:
    cocci_t = sum(c["run"]["wall_s"] for c in result.get("coccinelle", []) if "run" in c)
    out: dict[str, float] = {}
    for run in result.get("kernlint", []):
        if "summary" in run and run["run"]["wall_s"] > 0 and cocci_t > 0:
            out[f"coccinelle_total_time / kernlint_{run['label']}_time"] = round(
                cocci_t / run["run"]["wall_s"], 2
            )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tree", help="extracted kernel tree (default: cache of fetch_kernel.sh)")
    ap.add_argument("--subdir", default="sound", help="directory inside the tree to check")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--kernlint", help="kernlint executable (default: .venv/bin/kernlint)")
    ap.add_argument("--skip-kernlint", action="store_true")
    ap.add_argument("--skip-cocci", action="store_true")
    ap.add_argument("--scripts", nargs="*", default=list(COCCI_SCRIPTS), help="cocci scripts")
    ap.add_argument("--cocci-timeout", type=int, default=120, help="spatch --timeout per file (s)")
    ap.add_argument("--out-dir", type=Path, default=None)
    args = ap.parse_args(argv)

    tree = kbench.find_tree(args.tree)
    target = tree / args.subdir
    result: dict[str, Any] = {
        "tree": str(tree),
        "target": str(target),
        "jobs": args.jobs,
        "sources": count_sources(target),
        "kernlint": [],
        "coccinelle": [],
    }

    if not args.skip_kernlint:
        exe = kbench.find_kernlint(args.kernlint)
        if exe is None:
            result["kernlint_skipped"] = "kernlint executable not found"
        else:
            # A private cache so "warm" means "filled by this benchmark".
            cache_home = tempfile.mkdtemp(prefix="kernlint-bench-cache-")
            env = dict(os.environ, XDG_CACHE_HOME=cache_home, KERNLINT_CACHE_DIR=cache_home)
            cdir = cache_home if supports_cache_dir(exe) else None
            print("kernlint: cold (--no-cache)", file=sys.stderr)
            result["kernlint"].append(run_kernlint(exe, target, args.jobs, "cold", True, env))
            print("kernlint: filling the cache", file=sys.stderr)
            result["kernlint"].append(
                run_kernlint(exe, target, args.jobs, "fill", False, env, cdir)
            )
            print("kernlint: warm", file=sys.stderr)
            result["kernlint"].append(
                run_kernlint(exe, target, args.jobs, "warm", False, env, cdir)
            )
            shutil.rmtree(cache_home, ignore_errors=True)

    if not args.skip_cocci:
        for script in args.scripts:
            print(f"coccinelle: {script}", file=sys.stderr)
            result["coccinelle"].append(
                run_cocci(tree, args.subdir, script, args.jobs, args.cocci_timeout)
            )

    result["ratios"] = compute_ratios(result)
    cold = next((r for r in result["kernlint"] if "findings_compact" in r), None)
    if cold is not None and result["coccinelle"]:
        result["overlap"] = cocci_overlap(result["coccinelle"], cold["findings_compact"])
    path = kbench.write_result("tree", result, args.out_dir)
    print(render(result))
    print(f"\nwritten {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
