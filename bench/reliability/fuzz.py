"""Engine fuzzer: mutated driver files through parse -> analyse -> fix.

Each input runs in a worker process (1-2 of them). The worker times every function's
analysis (the engine's own bound is facts.Limits.seconds per function), stops asking for
fixes once the per-file soft budget is spent (a logged note, not a hang), and reports crashes
(exceptions escaping parse/analyse/fix or apply_edits) with a traceback. The parent enforces a
hard per-file bound: past it the worker is killed, the input saved, and a new worker started.

    python -m bench.reliability.fuzz --inputs 10000 --kernel      # the full run
    python -m bench.reliability.fuzz --inputs 300                  # our fixtures only
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import os
import random
import resource
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .mutate import make_input

REPO = Path(__file__).resolve().parents[2]
KERNEL = Path(os.environ.get("KERNLINT_KERNEL_TREE",
                             "/root/.cache/kernlint/linux-6.12.117/linux-source-6.12"))
FIXTURE_DIRS = ["tests/engine/cases", "tests/races/cases", "tests/fixes/cases", "examples",
                "tests/llm/cases"]
RESULTS = Path(__file__).resolve().parent / "results"

FUNCTION_GRACE = 1.0  # seconds past Limits.seconds before a function counts as over its bound
MAX_FIX_FINDINGS = 6  # findings per input whose fixes are computed


def fixture_corpus() -> list[tuple[str, bytes]]:
    out = []
    for d in FIXTURE_DIRS:
        for p in sorted((REPO / d).glob("*.c")):
            out.append((str(p.relative_to(REPO)), p.read_bytes()))
    return out


def kernel_corpus(rng: random.Random, files: int, max_bytes: int = 60_000) -> list[tuple[str, bytes]]:
    paths: list[Path] = []
    for sub in ("sound", "drivers"):
        for dirpath, _dirs, names in os.walk(KERNEL / sub):
            paths.extend(Path(dirpath, n) for n in names if n.endswith(".c"))
    paths.sort()
    rng.shuffle(paths)
    out = []
    for p in paths:
        try:
            if p.stat().st_size > max_bytes:
                continue
            out.append((str(p.relative_to(KERNEL)), p.read_bytes()))
        except OSError:
            continue
        if len(out) >= files:
            break
    return out


# ---------------------------------------------------------------- worker
class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}"[:300])


def _worker(conn: Any, soft_budget: float) -> None:
    from kernlint.engine import Engine
    from kernlint.facts import Limits
    from kernlint.fixes.provider import fixes_for
    from kernlint.fixes.verify import EditError, apply_edits
    from kernlint.syntax import ParsedFile

    counter = _Counter()
    logging.getLogger("kernlint").addHandler(counter)
    logging.getLogger("kernlint").setLevel(logging.ERROR)
    times: list[float] = []

    class TimedEngine(Engine):
        def _function_facts(self, *a: Any, **k: Any) -> Any:  # type: ignore[override]
            t0 = time.monotonic()
            try:
                return super()._function_facts(*a, **k)
            finally:
                times.append(time.monotonic() - t0)

    engine = TimedEngine()
    fn_bound = engine.limits.seconds
    assert fn_bound == Limits.seconds or fn_bound == engine.config.function_seconds
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        text, path = job
        times.clear()
        counter.records.clear()
        out: dict[str, Any] = {"crash": None, "notes": [], "findings": 0, "fixes": 0,
                               "fix_skipped": 0, "fix_capped": 0, "bad_fix": None}
        t0 = time.monotonic()
        try:
            parsed = ParsedFile(text, path)
            analysis = engine.analyze(parsed)
            out["findings"] = len(analysis.result.findings)
            out["notes"] = [n[:200] for n in analysis.result.notes]
            for i, f in enumerate(analysis.result.findings):
                if i >= MAX_FIX_FINDINGS:
                    out["fix_capped"] += 1
                    continue
                if time.monotonic() - t0 > soft_budget:
                    out["fix_skipped"] += 1
                    continue
                for fx in fixes_for(engine, parsed, analysis, f):
                    out["fixes"] += 1
                    if any(e.path for e in fx.edits):
                        continue
                    try:
                        new = apply_edits(text, fx.edits)
                    except EditError as exc:
                        out["bad_fix"] = f"{fx.title}: edits do not apply ({exc})"
                        continue
                    if ParsedFile(new, path).error_node_count() > parsed.error_node_count():
                        out["bad_fix"] = f"{fx.title}: the fixed text has more syntax errors"
            if out["fix_skipped"]:
                out["notes"].append(f"{path}: per-file budget {soft_budget:g}s: fixes for "
                                    f"{out['fix_skipped']} finding(s) not computed")
        except BaseException as exc:
            out["crash"] = "".join(traceback.format_exception(exc))[-4000:]
        out["seconds"] = time.monotonic() - t0
        out["max_function_seconds"] = max(times, default=0.0)
        out["function_over_bound"] = sum(1 for x in times if x > fn_bound + FUNCTION_GRACE)
        out["functions"] = len(times)
        out["logged_errors"] = list(counter.records[:5])
        out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        conn.send(out)


@dataclass
class FuzzStats:
    inputs: int = 0
    crashes: int = 0
    hangs: int = 0  # past the hard per-file bound (worker killed)
    functions: int = 0
    function_over_bound: int = 0
    truncated_notes: int = 0  # functions abandoned by the engine with a note
    budget_notes: int = 0  # inputs whose fixes were cut by the per-file soft budget
    logged_errors: int = 0  # exceptions the engine caught and logged (not crashes)
    bad_fixes: int = 0
    findings: int = 0
    fixes: int = 0
    max_seconds: float = 0.0
    max_function_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    wall_seconds: float = 0.0
    corpus_files: int = 0
    by_mutation: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)


class _Slot:
    def __init__(self, ctx: Any, soft_budget: float) -> None:
        self.ctx, self.soft = ctx, soft_budget
        self.start()

    def start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child, self.soft), daemon=True)
        self.proc.start()
        child.close()
        self.job: tuple[int, str, str, str, str] | None = None
        self.started = 0.0

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(10)
        if self.proc.is_alive():
            self.kill()


def _save(kind: str, idx: int, label: str, origin: str, text: str, detail: str,
          out_dir: Path | None) -> dict[str, Any]:
    rec = {"kind": kind, "index": idx, "mutation": label, "origin": origin,
           "detail": detail[-2000:]}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        p = out_dir / f"{kind}-{idx}.c"
        p.write_bytes(text.encode("utf-8", "surrogatepass"))
        rec["saved"] = str(p)
    return rec


def run(inputs: int, seed: int = 9, kernel_files: int = 0, workers: int = 1,
        file_bound: float = 60.0, soft_budget: float = 10.0, out_dir: Path | None = None,
        progress: bool = False, patho_rate: float = 0.03, scale: float = 1.0) -> FuzzStats:
    rng = random.Random(seed)
    corpus = fixture_corpus()
    if kernel_files:
        corpus = kernel_corpus(rng, kernel_files) + corpus
    stats = FuzzStats(corpus_files=len(corpus))
    ctx = mp.get_context("fork")
    slots = [_Slot(ctx, soft_budget) for _ in range(max(1, workers))]
    t_start = time.monotonic()
    made = 0

    def feed(slot: _Slot) -> None:
        nonlocal made
        label, origin, text = make_input(rng, corpus, patho_rate, scale)
        slot.job = (made, label, origin, text, f"fuzz/{made}.c")
        slot.started = time.monotonic()
        made += 1
        slot.conn.send((text, slot.job[4]))

    try:
        for s in slots:
            if made < inputs:
                feed(s)
        while any(s.job is not None for s in slots):
            busy = [s for s in slots if s.job is not None]
            ready = mp.connection.wait([s.conn for s in busy], timeout=0.5)
            now = time.monotonic()
            for s in busy:
                assert s.job is not None
                idx, label, origin, text, _ = s.job
                res = None
                if s.conn in ready:
                    try:
                        res = s.conn.recv()
                    except (EOFError, OSError):
                        res = {"crash": f"worker died (exit code {s.proc.exitcode})"}
                        s.kill()
                        s.start()
                elif now - s.started > file_bound:
                    stats.hangs += 1
                    stats.failures.append(_save("hang", idx, label, origin, text,
                                                f"no answer within {file_bound:g}s", out_dir))
                    s.kill()
                    s.start()
                    res = {"hang": True}
                elif not s.proc.is_alive():
                    res = {"crash": f"worker died (exit code {s.proc.exitcode})"}
                    s.kill()
                    s.start()
                if res is None:
                    continue
                stats.inputs += 1
                kind = label.split("+")[0].split(":")[0]
                stats.by_mutation[kind] = stats.by_mutation.get(kind, 0) + 1
                if res.get("crash"):
                    stats.crashes += 1
                    stats.failures.append(_save("crash", idx, label, origin, text, res["crash"],
                                                out_dir))
                if not res.get("hang"):
                    stats.functions += res.get("functions", 0)
                    over = res.get("function_over_bound", 0)
                    if over:
                        stats.function_over_bound += over
                        stats.failures.append(_save(
                            "slowfn", idx, label, origin, text,
                            f"{over} function(s) over the bound, max "
                            f"{res.get('max_function_seconds', 0):.2f}s", out_dir))
                    stats.truncated_notes += sum(1 for n in res.get("notes", [])
                                                 if "bound" in n or "too" in n or "skipped" in n)
                    stats.budget_notes += 1 if res.get("fix_skipped") else 0
                    if res.get("logged_errors"):
                        stats.logged_errors += 1
                        stats.failures.append(_save("logged", idx, label, origin, text,
                                                    "\n".join(res["logged_errors"]), out_dir))
                    if res.get("bad_fix"):
                        stats.bad_fixes += 1
                        stats.failures.append(_save("badfix", idx, label, origin, text,
                                                    res["bad_fix"], out_dir))
                    stats.findings += res.get("findings", 0)
                    stats.fixes += res.get("fixes", 0)
                    stats.max_seconds = max(stats.max_seconds, res.get("seconds", 0.0))
                    stats.max_function_seconds = max(stats.max_function_seconds,
                                                     res.get("max_function_seconds", 0.0))
                    stats.peak_rss_mb = max(stats.peak_rss_mb, res.get("maxrss_kb", 0) / 1024)
                s.job = None
                if made < inputs:
                    feed(s)
                if progress and stats.inputs % 250 == 0:
                    print(f"fuzz: {stats.inputs}/{inputs} crashes={stats.crashes} "
                          f"hangs={stats.hangs} {time.monotonic() - t_start:.0f}s",
                          file=sys.stderr, flush=True)
    finally:
        for s in slots:
            s.stop()
    stats.wall_seconds = time.monotonic() - t_start
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    stats.peak_rss_mb = round(max(stats.peak_rss_mb, children), 1)
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.reliability.fuzz")
    ap.add_argument("--inputs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--kernel", action="store_true", help="seed from the linux-source tree too")
    ap.add_argument("--kernel-files", type=int, default=400)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--file-bound", type=float, default=60.0)
    ap.add_argument("--soft-budget", type=float, default=10.0)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    stats = run(a.inputs, a.seed, a.kernel_files if a.kernel else 0, a.workers, a.file_bound,
                a.soft_budget, RESULTS / "fuzz-failures", progress=True)
    d = asdict(stats)
    text = json.dumps(d, indent=1)
    if a.json:
        a.json.write_text(text)
    print(text)
    return 1 if stats.crashes or stats.hangs else 0


if __name__ == "__main__":
    sys.exit(main())
