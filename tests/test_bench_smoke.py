"""Smoke tests for the benchmark harness in bench/ (no network, no kernel tree)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import kbench  # noqa: E402
import latency  # noqa: E402
import mutants  # noqa: E402
import tree as tree_bench  # noqa: E402

# Our own toy driver code, written for this test.
TOY_C = b"""\
#include <linux/slab.h>

struct toy { struct mutex lock; void *buf; };

static int toy_setup(struct toy *t, int n)
{
\tint err;
\tvoid *tmp;

\ttmp = kzalloc(n, GFP_KERNEL);
\tif (!tmp)
\t\treturn -ENOMEM;
\tmutex_lock(&t->lock);
\terr = toy_hw_init(t);
\tif (err < 0) {
\t\tmutex_unlock(&t->lock);
\t\tkfree(tmp);
\t\treturn err;
\t}
\terr = toy_hw_start(t, tmp);
\tif (err)
\t\tgoto out_unlock;
\tt->buf = tmp;
\tmutex_unlock(&t->lock);
\treturn 0;

out_unlock:
\tmutex_unlock(&t->lock);
\tkfree(tmp);
\treturn err;
}

static void toy_teardown(struct toy *t)
{
\tkfree(t->buf);
}
"""

SAMPLE_REPORT = {
    "tool": "kernlint",
    "version": "0.1.0",
    "files_checked": 3,
    "findings": [
        {
            "rule": "KL101",
            "severity": "warning",
            "message": "tmp leaks",
            "path": "a.c",
            "line": 10,
            "column": 2,
            "end_line": 10,
            "end_column": 9,
            "function": "f",
            "resource": "tmp",
            "related": [],
        },
        {"rule": "KL201", "severity": "warning", "message": "m", "path": "a.c", "line": 20},
        {"rule": "KL101", "severity": "error", "message": "m", "path": "b.c", "line": 3},
    ],
    "errors": [{"path": "c.c", "message": "unreadable"}],
    "stats": {"seconds": 0.5},
}


def test_parse_and_summarize_report() -> None:
    doc = kbench.parse_report(json.dumps(SAMPLE_REPORT))
    s = kbench.summarize_report(doc)
    assert s["files_checked"] == 3
    assert s["findings"] == 3
    assert s["findings_by_rule"] == {"KL101": 2, "KL201": 1}
    assert s["findings_by_severity"] == {"error": 1, "warning": 2}
    assert s["files_with_findings"] == 2
    assert s["errors"] == 1


def test_parse_report_rejects_garbage() -> None:
    with pytest.raises(kbench.ReportError):
        kbench.parse_report("Traceback (most recent call last):")
    with pytest.raises(kbench.ReportError):
        kbench.parse_report(json.dumps({"findings": [{"line": 1}]}))


def test_render_and_ratios() -> None:
    run = {"wall_s": 4.0, "max_rss_kib": 2048, "peak_tree_rss_kib": 4096}
    result = {
        "target": "/t/sound",
        "sources": {"files": 2, "lines": 30, "c_files": 1, "c_lines": 20},
        "kernlint": [
            {
                "label": "cold",
                "run": run,
                "files_per_s": 0.5,
                "summary": kbench.summarize_report(SAMPLE_REPORT),
            }
        ],
        "coccinelle": [
            {"script": "locks/mini_lock.cocci", "findings": 2, "run": {**run, "wall_s": 8.0}},
            {"script": "free/kfree.cocci", "error": "missing"},
        ],
    }
    result["ratios"] = tree_bench.compute_ratios(result)
    assert result["ratios"] == {"coccinelle_total_time / kernlint_cold_time": 2.0}
    text = tree_bench.render(result)
    assert "KL101" in text and "mini_lock" in text and "ERROR missing" in text


def test_parse_cocci_report() -> None:
    out = (
        "sound/x/a.c:12:1-7: preceding lock on line 5\n"
        "sound/x/a.c:12:1-7: preceding lock on line 5\n"
        "sound/y/b.c:40:2-10: ERROR: missing put_device; call at line 30\n"
        "some other noise\n"
    )
    found = tree_bench.parse_cocci_report(out)
    assert [(f["path"], f["line"]) for f in found] == [("sound/x/a.c", 12), ("sound/y/b.c", 40)]
    assert tree_bench._cocci_kind(found[1]["message"]) == "ERROR"


def test_measured_run() -> None:
    res = kbench.run_measured([sys.executable, "-c", "print('hi')"])
    assert res.returncode == 0 and res.stdout.strip() == "hi"
    assert res.max_rss_kib > 0 and res.wall_s > 0


def _mutants() -> list[mutants.Mutant]:
    return mutants.mutants_in_source(TOY_C, "toy.c")


def test_mutant_generation_kinds_and_positions() -> None:
    ms = _mutants()
    lines = TOY_C.decode().splitlines()
    deletes = [m for m in ms if m.kind == "delete"]
    gotos = [m for m in ms if m.kind == "goto"]
    # In-block: mutex_unlock + kfree before "return err;"; unwind: the same pair.
    assert sorted((m.line, m.original_text) for m in deletes) == [
        (16, "mutex_unlock(&t->lock);"),
        (17, "kfree(tmp);"),
        (28, "mutex_unlock(&t->lock);"),
        (29, "kfree(tmp);"),
    ]
    # The success-path unlock (line 24) and toy_teardown's kfree are not error paths.
    assert all(m.function == "toy_setup" for m in ms)
    in_block = next(m for m in deletes if m.line == 17)
    assert in_block.exit_lines == [18]
    unwind = next(m for m in deletes if m.line == 29)
    assert 30 in unwind.exit_lines and 22 in unwind.exit_lines
    assert all(m.exemplar for m in deletes)
    assert {m.where for m in deletes} == {"block", "unwind"}
    assert len(gotos) == 1
    g = gotos[0]
    assert g.line == 22 and g.replacement == "return err;"
    assert lines[g.line - 1].strip() == "goto out_unlock;"


def test_mutants_keep_line_numbers_and_parse() -> None:
    for m in _mutants():
        mutated = m.apply(TOY_C)
        assert mutated.count(b"\n") == TOY_C.count(b"\n")
        assert m.original_text.encode() not in mutated.splitlines()[m.line - 1]
        tree = mutants.parser().parse(mutated)
        assert not tree.root_node.has_error


def test_sample_is_reproducible_and_balanced() -> None:
    ms = _mutants() * 5
    a = mutants.sample(ms, 6, seed=7)
    b = mutants.sample(ms, 6, seed=7)
    assert [m.uid() for m in a] == [m.uid() for m in b]
    assert sum(m.kind == "goto" for m in a) == 3


def test_judge_right_exit() -> None:
    m = next(m for m in _mutants() if m.kind == "delete" and m.line == 17)
    orig = [{"rule": "KL999", "path": "toy.c", "line": 5, "function": "toy_setup"}]
    hit = {"rule": "KL101", "path": "toy.c", "line": 18, "function": "toy_setup", "resource": "tmp"}
    far = {"rule": "KL101", "path": "toy.c", "line": 30, "function": "toy_setup", "resource": "x"}
    other_rule = {"rule": "KR401", "path": "toy.c", "line": 18, "function": "toy_setup"}
    v = mutants.judge(m, orig, [*orig, hit])
    assert v["flagged_right_exit"] and v["flagged_anywhere"] and not v["original_flagged"]
    v = mutants.judge(m, orig, [far, other_rule])
    assert not v["flagged_right_exit"] and v["flagged_anywhere"]
    v = mutants.judge(m, [hit], [hit])
    assert not v["flagged_anywhere"] and v["original_flagged"]


def test_judge_counts_a_known_leak_reached_through_the_planted_path() -> None:
    # The original already leaks tmp at the merged exit through another branch; the mutant's
    # report of the same exit and object walks through the deleted kfree(tmp).
    m = next(m for m in _mutants() if m.kind == "delete" and m.line == 17)
    base = {"rule": "KL101", "path": "toy.c", "line": 18, "function": "toy_setup"}
    before = {**base, "resource": "tmp", "related": [{"line": 10}, {"line": 12}]}
    after = {**base, "resource": "tmp", "related": [{"line": 10}, {"line": 15}]}
    other = {**base, "resource": "t->lock", "related": [{"line": 14}]}
    other_moved = {**other, "related": [{"line": 15}]}
    assert mutants.judge(m, [before], [after])["flagged_right_exit"]
    assert not mutants.judge(m, [before], [before])["flagged_anywhere"]
    # Another object's path moving says nothing: the deleted call did not release it.
    assert not mutants.judge(m, [other], [other_moved])["flagged_anywhere"]


def test_fix_helpers() -> None:
    m = next(m for m in _mutants() if m.kind == "delete" and m.line == 17)
    mutated = m.apply(TOY_C).decode()
    diff = (
        "--- a/toy.c\n+++ b/toy.c\n@@ -16,3 +16,3 @@\n"
        " \t\tmutex_unlock(&t->lock);\n-\t\t           \n+\t\tkfree(tmp);\n \t\treturn err;\n"
    )
    fixed = mutants.apply_unified_diff(mutated, diff)
    assert fixed == TOY_C.decode()
    assert mutants.apply_unified_diff(mutated, diff.replace("return err", "return 1")) is None
    orig_fn = mutants.function_text(TOY_C, "toy_setup")
    assert orig_fn is not None
    renamed = orig_fn.replace("out_unlock", "err_unlock").replace("\t", "    ")
    assert mutants.normalize_function(orig_fn) == mutants.normalize_function(renamed)
    assert mutants.normalize_function(orig_fn) != mutants.normalize_function(
        mutants.function_text(m.apply(TOY_C), "toy_setup") or ""
    )


def test_latency_edit_sites_and_percentiles() -> None:
    text = TOY_C.decode()
    lines = text.split("\n")
    sites = latency.edit_sites(text, 50, seed=3)
    assert sites == latency.edit_sites(text, 50, seed=3)
    for line, char in sites:
        # Typing a space here follows existing whitespace and precedes code.
        assert lines[line][char - 1] in " \t" and not lines[line][char].isspace()
        assert '"' not in lines[line]
    assert latency.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert latency.percentile([5.0], 0.95) == 5.0


def test_mutant_without_exemplar() -> None:
    src = b"""\
static int toy_lock_only(struct toy *t)
{
\tint ret = 0;

\tmutex_lock(&t->lock);
\tif (t->busy) {
\t\tret = -EBUSY;
\t\tgoto out;
\t}
\tt->busy = 1;
out:
\tmutex_unlock(&t->lock);
\treturn ret;
}
"""
    ms = mutants.mutants_in_source(src, "lock.c")
    (d,) = [m for m in ms if m.kind == "delete"]
    assert d.where == "unwind" and not d.exemplar and d.line == 12
    assert 8 in d.exit_lines and 13 in d.exit_lines
    (g,) = [m for m in ms if m.kind == "goto"]
    assert g.replacement == "return ret;"


def test_cocci_overlap() -> None:
    cocci = [
        {
            "script": "locks/mini_lock.cocci",
            "all": [
                {"path": "sound/a.c", "line": 80, "message": "preceding lock on line 41"},
                {"path": "sound/b.c", "line": 10, "message": "ERROR: reference preceded by free"},
            ],
        }
    ]
    kl = [
        {"rule": "KL201", "path": "sound/a.c", "line": 44},
        {"rule": "KL101", "path": "sound/b.c", "line": 30},
    ]
    ov = tree_bench.cocci_overlap(cocci, kl)
    assert ov["cocci_findings"] == 2 and ov["also_found_by_kernlint"] == 1
    assert ov["rows"][0]["kernlint"] == ["KL201:44"]


GOTO_C = b"""\
static int toy_put(struct toy *t, int v)
{
\tint err;

\tmutex_lock(&t->lock);
\terr = toy_write(t, v);
\tif (err) {
\t\tmutex_unlock(&t->lock);
\t\tgoto out;
\t}
\tmutex_unlock(&t->lock);
\terr = toy_sync(t);
out:
\treturn err;
}
"""


def test_block_deletion_before_goto_exits_where_the_label_returns() -> None:
    ms = [m for m in mutants.mutants_in_source(GOTO_C, "toy.c") if m.kind == "delete"]
    m = next(m for m in ms if m.line == 8)
    assert m.note == "mutex_unlock before goto_statement"
    assert m.exit_lines == [9, 14, 15]


def test_judged_summary_counts_only_real_bugs(tmp_path: Path) -> None:
    def row(line: int, kind: str, flagged: bool) -> dict[str, object]:
        return {"mutant": {"file": "a.c", "function": "f", "line": line, "kind": kind},
                "flagged_right_exit": flagged}

    rows = [row(1, "delete", True), row(2, "delete", False), row(3, "goto", True),
            row(4, "goto", True)]
    path = tmp_path / "j.jsonl"
    path.write_text("\n".join(json.dumps(j) for j in [
        {"file": "a.c", "function": "f", "line": 1, "kind": "delete", "verdict": "bug"},
        {"file": "a.c", "function": "f", "line": 2, "kind": "delete", "verdict": "bug"},
        {"file": "a.c", "function": "f", "line": 3, "kind": "goto", "verdict": "not-bug"},
    ]) + "\n")
    s = mutants.judged_summary(rows, mutants.load_judgments(path))
    assert s["all"] == {"judged": 3, "unjudged": 1, "bugs": 2, "bugs_flagged_right_exit": 1,
                        "share_bugs_flagged": 0.5, "not_bugs": 1, "not_bugs_flagged": 1}
    assert s["goto"]["bugs"] == 0 and s["goto"]["share_bugs_flagged"] is None
    path.write_text("{not json\n")
    with pytest.raises(SystemExit, match="not a judgment line"):
        mutants.load_judgments(path)
