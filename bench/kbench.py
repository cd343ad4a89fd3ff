"""Shared helpers for the kernlint benchmarks (no kernel code lives here).

Locating the extracted kernel tree and the kernlint executable, running a
command while measuring wall time and memory, reading kernlint's JSON
report, and writing result files under ``bench/results/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
KERNEL_VERSION = "6.12.117"
TREE_NAME = "linux-source-6.12"

# Rule families counted as leak / lock / refcount findings.
LEAK_LOCK_REF_RE = re.compile(r"^KL[123]\d\d$")


def default_cache_dir() -> Path:
    env = os.environ.get("KERNLINT_KCACHE")
    if env:
        return Path(env)
    return Path.home() / ".cache" / "kernlint" / f"linux-{KERNEL_VERSION}"


def find_tree(explicit: str | None = None) -> Path:
    """Return the extracted kernel tree (the directory that holds ``sound/``)."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    env = os.environ.get("KERNLINT_KTREE")
    if env:
        candidates.append(Path(env))
    candidates.append(default_cache_dir() / TREE_NAME)
    for cand in candidates:
        if (cand / "sound").is_dir():
            return cand.resolve()
    raise SystemExit(
        "kernel tree not found (tried: "
        + ", ".join(str(c) for c in candidates)
        + "); run bench/fetch_kernel.sh or pass --tree"
    )


def find_kernlint(explicit: str | None = None) -> str | None:
    """Return the kernlint executable, or None when it is not installed."""
    if explicit:
        return explicit
    venv = REPO_DIR / ".venv" / "bin" / "kernlint"
    if venv.exists():
        return str(venv)
    return shutil.which("kernlint")


@dataclass
class RunResult:
    """Outcome of one measured subprocess run."""

    argv: list[str]
    returncode: int
    wall_s: float
    user_s: float
    sys_s: float
    # ru_maxrss of the child as reported by wait4: the largest RSS of any
    # single process in its tree (children it waited for included).
    max_rss_kib: int
    # Largest sum of VmRSS over the child and all its descendants, sampled.
    peak_tree_rss_kib: int
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)

    def summary(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("stdout")
        d["stderr_tail"] = self.stderr[-2000:]
        d.pop("stderr")
        return d


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        # The command name may contain spaces/parens: split after the last ')'.
        rest = data[data.rfind(b")") + 2 :].split()
        if len(rest) < 2:
            continue
        kids.setdefault(int(rest[1]), []).append(int(entry.name))
    return kids


def vm_rss_kib(pid: int, key: str = "VmRSS") -> int:
    """Read one ``Vm*`` field (KiB) of /proc/<pid>/status; 0 if unavailable."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(root: int) -> int:
    """Sum of VmRSS over ``root`` and all its descendants."""
    kids = _children_map()
    total = 0
    stack = [root]
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += vm_rss_kib(pid)
        stack.extend(kids.get(pid, []))
    return total


class _RssSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop_evt = threading.Event()

    def run(self) -> None:
        while not self._stop_evt.is_set():
            self.peak = max(self.peak, tree_rss_kib(self.pid))
            self._stop_evt.wait(self.interval)

    def stop(self) -> None:
        self._stop_evt.set()
        self.join()


def run_measured(
    argv: list[str],
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
    sample_rss: bool = True,
) -> RunResult:
    """Run ``argv`` to completion, capturing output, time and memory."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
        sampler = _RssSampler(proc.pid) if sample_rss else None
        if sampler:
            sampler.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if sampler:
            sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return RunResult(
        argv=list(argv),
        returncode=proc.returncode,
        wall_s=round(wall, 3),
        user_s=round(ru.ru_utime, 3),
        sys_s=round(ru.ru_stime, 3),
        max_rss_kib=ru.ru_maxrss,
        peak_tree_rss_kib=sampler.peak if sampler else 0,
        stdout=stdout,
        stderr=stderr,
    )


# ---------------------------------------------------------------- kernlint JSON


class ReportError(ValueError):
    """kernlint's output could not be read as its JSON report."""


def parse_report(text: str) -> dict[str, Any]:
    """Parse ``kernlint check --format json`` output and check its shape."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"not JSON: {exc}; output starts {text[:200]!r}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise ReportError("JSON report has no 'findings' list")
    for f in doc["findings"]:
        if not isinstance(f, dict) or "rule" not in f or "path" not in f:
            raise ReportError(f"malformed finding: {f!r}")
    return doc


def summarize_report(doc: dict[str, Any]) -> dict[str, Any]:
    """Aggregate a kernlint JSON report: counts by rule, severity and file."""
    findings: list[dict[str, Any]] = doc["findings"]
    by_rule = Counter(str(f["rule"]) for f in findings)
    by_sev = Counter(str(f.get("severity", "?")) for f in findings)
    by_file = Counter(str(f["path"]) for f in findings)
    errors = doc.get("errors") or []
    return {
        "version": doc.get("version"),
        "files_checked": doc.get("files_checked"),
        "findings": len(findings),
        "findings_by_rule": dict(sorted(by_rule.items())),
        "findings_by_severity": dict(sorted(by_sev.items())),
        "files_with_findings": len(by_file),
        "top_files": by_file.most_common(10),
        "errors": len(errors),
        "error_samples": errors[:5],
        "stats": doc.get("stats"),
    }


def finding_key(f: dict[str, Any]) -> tuple[str, str, int, str]:
    """Identity of a finding within one file (path excluded)."""
    return (
        str(f.get("rule")),
        str(f.get("function") or ""),
        int(f.get("line") or 0),
        str(f.get("resource") or ""),
    )


# ---------------------------------------------------------------- results


def git_describe() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def write_result(kind: str, payload: dict[str, Any], out_dir: Path | None = None) -> Path:
    """Write ``payload`` to results/<kind>-<stamp>.json and <kind>-latest.json."""
    out_dir = out_dir or RESULTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {
        "benchmark": kind,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            # 1/5/15-minute load when the result is written: timings taken
            # on a busy machine are not comparable.
            "loadavg": [round(x, 2) for x in os.getloadavg()],
        },
        "commit": git_describe(),
        **payload,
    }
    path = out_dir / f"{kind}-{stamp}.json"
    text = json.dumps(payload, indent=2, sort_keys=False) + "\n"
    path.write_text(text)
    (out_dir / f"{kind}-latest.json").write_text(text)
    return path


def engine_digest() -> str:
    """Digest of kernlint's Python sources in this checkout (to notice edits
    made while a benchmark runs: they invalidate the result cache)."""
    import hashlib

    h = hashlib.sha1()
    for f in sorted((REPO_DIR / "server" / "kernlint").rglob("*")):
        if f.is_file() and f.suffix in (".py", ".toml", ".txt"):
            h.update(str(f.relative_to(REPO_DIR)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def c_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.c") if p.is_file())
