"""Run every reliability check and report the figures (issue #9).

    .venv/bin/python -m bench.reliability.run --full --write-docs   # regenerates docs/reliability.md
    .venv/bin/python -m bench.reliability.run --quick               # the CI-sized run, JSON only

The full run needs the linux-source tree (bench/fetch_kernel.sh); without it the fuzzer falls
back to our own fixtures. Results go to bench/reliability/results/reliability-latest.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from . import edits, fuzz, hostile, untrusted

REPO = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
DOC = REPO / "docs" / "reliability.md"

FULL = {"fuzz_inputs": 10_000, "kernel_files": 600, "workers": 2, "random_messages": 1000,
        "huge_mb": 50, "rapid": 2000, "edit_steps": 1000}
QUICK = {"fuzz_inputs": 300, "kernel_files": 0, "workers": 1, "random_messages": 60,
         "huge_mb": 9, "rapid": 300, "edit_steps": 150}


def run_all(sizes: dict[str, Any], seed: int, progress: bool) -> dict[str, Any]:
    t0 = time.monotonic()
    kernel = sizes["kernel_files"] if fuzz.KERNEL.is_dir() else 0
    f = fuzz.run(sizes["fuzz_inputs"], seed, kernel, sizes["workers"],
                 out_dir=RESULTS / "fuzz-failures", progress=progress)
    h = hostile.run(sizes["random_messages"], seed, sizes["huge_mb"], sizes["rapid"], progress)
    e = edits.run(sizes["edit_steps"], seed, progress)
    u = untrusted.run(progress)
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"), "seed": seed, "sizes": sizes,
        "kernel_tree": str(fuzz.KERNEL) if kernel else None, "python": platform.python_version(),
        "seconds": round(time.monotonic() - t0, 1),
        "fuzz": asdict(f), "hostile": asdict(h), "edits": {**asdict(e), "lost": e.lost},
        "untrusted": asdict(u),
    }


def summary(r: dict[str, Any]) -> dict[str, Any]:
    f, h, e, u = r["fuzz"], r["hostile"], r["edits"], r["untrusted"]
    return {
        "inputs_tried": f["inputs"], "crashes": f["crashes"], "hangs_past_bound": f["hangs"],
        "functions_over_bound": f["function_over_bound"],
        "bad_messages": h["messages"], "bad_messages_survived": h["survived"],
        "rapid_edits": h["rapid_edits"], "edits_lost": e["lost"],
        "hostile_llm_answers": u["hostile_answers"],
        "hostile_llm_accepted": len(u["accepted_hostile"]), "key_leaks": u["key_leaks"],
        "sockets_with_llm_off": u["sockets_when_off"],
    }


def ok(r: dict[str, Any]) -> bool:
    s = summary(r)
    u = r["untrusted"]
    return (s["crashes"] == 0 and s["hangs_past_bound"] == 0 and s["functions_over_bound"] == 0
            and s["bad_messages_survived"] == s["bad_messages"] and not r["hostile"]["failures"]
            and s["edits_lost"] == 0 and not r["edits"]["failures"]
            and s["hostile_llm_accepted"] == 0 and s["key_leaks"] == 0
            and s["sockets_with_llm_off"] == 0 and not u["litellm_imported_when_off"]
            and u["control_verified"] and u["hook_saw_stub_when_on"] and not u["failures"])


def markdown(r: dict[str, Any]) -> str:
    f, h, e, u = r["fuzz"], r["hostile"], r["edits"], r["untrusted"]
    mut = ", ".join(f"{k} {v}" for k, v in sorted(f["by_mutation"].items()))
    cases = ", ".join(f"{k} {v}" for k, v in h["by_case"].items())
    rows = [
        ("Fuzzed inputs tried (parse → analyse → fix)", f"{f['inputs']:,}"),
        ("… functions analysed", f"{f['functions']:,}"),
        ("… findings / verified fixes computed", f"{f['findings']:,} / {f['fixes']:,}"),
        ("Crashes (exception escaping parse, analysis or fix)", f["crashes"]),
        ("Hangs past the per-file bound", f["hangs"]),
        ("Functions past their bound (`Limits.seconds` + 1 s)", f["function_over_bound"]),
        ("Functions abandoned with a logged note", f["truncated_notes"]),
        ("Exceptions caught and logged inside kernlint", f["logged_errors"]),
        ("Fixes whose edits did not apply or broke the parse", f["bad_fixes"]),
        ("Slowest input / slowest function (s)",
         f"{f['max_seconds']:.2f} / {f['max_function_seconds']:.2f}"),
        ("Peak memory of a fuzz worker (MB, ru_maxrss)", f["peak_rss_mb"]),
        ("Bad messages sent to `kernlint serve`", f"{h['messages']:,}"),
        ("… after which the server still served the canary", f"{h['survived']:,}"),
        ("… canary checks (edit + pulled diagnostics after every message)",
         f"{h.get('canary_checks', 0):,}"),
        ("… error-code expectations checked (-32700/-32600/-32601/-32602, answers)",
         h["expectations"]),
        ("Rapid edits (back to back, final text checked)", f"{h['rapid_edits']:,}"),
        ("Server restarts needed", h["restarts"]),
        ("Edit interleavings (steps) / code actions resolved", f"{e['steps']:,} / {e['resolves']:,}"),
        ("… edits applied (checked against `kernlint fix` on the client's text)",
         e["edits_applied"]),
        ("… stale edits refused by the client / stale resolves without edit",
         f"{e['stale_refused']} / {e['stale_no_edit']}"),
        ("Edits lost (unversioned, wrong version, diverged text or diagnostics)", e["lost"]),
        ("Hostile model answers / accepted", f"{u['hostile_answers']} / {len(u['accepted_hostile'])}"),
        ("Correct model answer still offered (control)", "yes" if u["control_verified"] else "NO"),
        ("Key leaks (log file at debug, verbose trace, stderr, messages)", u["key_leaks"]),
        ("Sockets opened / litellm imported with LLM fixes off",
         f"{u['sockets_when_off']} / {'yes' if u['litellm_imported_when_off'] else 'no'}"),
    ]
    table = "\n".join(f"| {a} | {b} |" for a, b in rows)
    status = "all checks pass" if ok(r) else "SOME CHECKS FAIL (see the JSON)"
    mode = "--full" if r["sizes"]["fuzz_inputs"] >= FULL["fuzz_inputs"] else "--quick"
    return f"""# Reliability

Generated by `.venv/bin/python -m bench.reliability.run {mode} --write-docs` on {r['when']}
(seed {r['seed']}, {r['seconds']:.0f} s, Python {r['python']}); **{status}**. Do not edit by
hand. The short CI version is `.venv/bin/pytest tests/reliability -q`.

| check | result |
|---|---|
{table}

## What was run

- **Engine fuzzing** (`bench/reliability/fuzz.py`, `mutate.py`): seeds are
  {f['corpus_files']} files ({'driver files from ' + r['kernel_tree'] + ' `sound/` and `drivers/` plus ' if r['kernel_tree'] else ''}our
  fixtures in tests/engine/cases, tests/races/cases, tests/fixes/cases, tests/llm/cases and
  examples/). Each input is truncated, byte-mutated (flips, inserted NUL / invalid UTF-8 / C
  punctuation, deletions), token-shuffled, swapped, dropped, duplicated or spliced (1–3
  mutations), or generated to be pathological (5000 nested braces/ifs/parentheses, state
  explosions, goto spaghetti, huge switch, very long lines), then decoded with replacement
  characters, lone surrogates or latin-1. Mutations: {mut}.
  Every input goes through `ParsedFile` → `Engine.analyze` → `fixes_for` on up to
  {fuzz.MAX_FIX_FINDINGS} findings, and each fix's edits are applied and re-parsed. Inputs run
  in {r['sizes']['workers']} worker process(es); the parent kills a worker that has not answered
  within 60 s (the per-file bound; the input is saved) and the worker stops computing fixes
  after 10 s (a logged note). Every function's analysis is timed against `Limits.seconds`.
- **Hostile clients** (`hostile.py`, `rawlsp.py`): our own JSON-RPC client over the stdio of
  `kernlint serve`. After every hostile message a canary document is edited and its diagnostics
  pulled; they must be for the new version and complete. Cases: {cases}.
- **No lost edits** (`edits.py`): random interleavings of didChange, codeAction (with changes
  sent while the request is in flight) and codeAction/resolve (with changes before and during
  it) on {len(edits.SOURCES)} fixture drivers, by a client that refuses edits pinned to an
  older version. Applied edits must equal what kernlint's fixer computes on the client's copy,
  and pulled diagnostics must equal the engine's findings on it.
- **Untrusted model output** (`untrusted.py`): the OpenAI-compatible stub from tests/llm, a
  driver whose comments carry prompt injections, and answers that gut or delete the function,
  add code outside it, change another function or file, rename it, free twice, or are junk;
  an HTTP 500 echoes the Authorization header. The server runs with `--log-file` at debug
  level and verbose trace. An audit hook (sitecustomize) records socket connections and
  litellm imports in the server process; it does see the stub when LLM fixes are on.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.reliability.run")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_true", help="the full run (10,000 inputs, ...)")
    mode.add_argument("--quick", action="store_true", help="CI sizes (default)")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--write-docs", action="store_true", help=f"rewrite {DOC.relative_to(REPO)}")
    ap.add_argument("--from-json", type=Path, help="only render the docs from a saved result")
    a = ap.parse_args(argv)
    if a.from_json:
        r = json.loads(a.from_json.read_text())
    else:
        r = run_all(FULL if a.full else QUICK, a.seed, progress=True)
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = "full" if a.full else "quick"
        (RESULTS / f"reliability-{name}-latest.json").write_text(json.dumps(r, indent=1))
    if a.write_docs:
        DOC.write_text(markdown(r))
    print(json.dumps(summary(r), indent=1))
    return 0 if ok(r) else 1


if __name__ == "__main__":
    sys.exit(main())
