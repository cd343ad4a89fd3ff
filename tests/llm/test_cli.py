"""`kernlint llm-fix` and `kernlint eval` against the stub, through kernlint.cli.main."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from kernlint.cli import main
from kernlint.engine import Engine

from .answers import CASES, LEAK_FIXED, LEAK_LEFT, LOCK_FIXED, REF_FIXED, fenced
from .conftest import FAKE_KEY
from .stub_server import Canned, StubLLM


def _answers(stub: StubLLM, lock: str = LOCK_FIXED) -> None:
    stub.by_marker = {"int leak_probe(": Canned(fenced(LEAK_FIXED)),
                      "int lock_set_value(": Canned(fenced(lock)),
                      "int ref_parse(": Canned(fenced(REF_FIXED))}


def _copy_cases(dst: Path) -> Path:
    shutil.copytree(CASES, dst)
    return dst


def test_llm_fix_prints_verified_diffs(stub: StubLLM, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    _answers(stub)
    work = _copy_cases(tmp_path / "src")
    before = {p.name: p.read_text() for p in work.glob("*.c")}
    report = tmp_path / "report.jsonl"
    rc = main(["llm-fix", "--model", "openai/stub-model", "--api-base", stub.api_base,
               "--report", str(report), str(work)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert out.count("--- a/") == 3 and "+\t\tkfree(buf);" in out
    assert "+\t\tmutex_unlock(&chip->lock);" in out
    assert {p.name: p.read_text() for p in work.glob("*.c")} == before  # nothing written
    assert "3 fix(es) verified, 0 finding(s) left" in err
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert len(rows) == 3 and all(r["verified"] for r in rows)
    assert {r["rule"] for r in rows} == {"KL101", "KL201", "KL301"}
    for r in rows:
        assert r["model"] == "openai/stub-model" and r["diff"].startswith("--- a/")
        assert r["tokens_in"] == 100 and r["latency"] >= 0 and r["calls"] == 1
    assert FAKE_KEY not in out + err + report.read_text()


def test_llm_fix_write_and_env_model(stub: StubLLM, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    _answers(stub)
    work = _copy_cases(tmp_path / "src")
    monkeypatch.setenv("KERNLINT_LLM_MODEL", "openai/stub-model")
    monkeypatch.setenv("KERNLINT_LLM_API_BASE", stub.api_base)
    rc = main(["llm-fix", "--write", str(work / "leak_probe.c")])
    _, err = capsys.readouterr()
    assert rc == 0, err
    text = (work / "leak_probe.c").read_text()
    assert "kfree(buf);" in text
    assert Engine().analyze_text(text, "leak_probe.c").findings == []


def test_llm_fix_reports_what_it_could_not_fix(stub: StubLLM, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    stub.default = Canned(fenced(LEAK_LEFT))
    work = _copy_cases(tmp_path / "src")
    report = tmp_path / "r.jsonl"
    rc = main(["llm-fix", "--model", "openai/stub-model", "--api-base", stub.api_base,
               "--candidates", "1", "--report", str(report), str(work / "leak_probe.c")])
    out, err = capsys.readouterr()
    assert rc == 1
    assert out == ""
    assert "no fix" in err and "still reported" in err
    row = json.loads(report.read_text())
    assert row["verified"] is False and len(row["attempts"]) == 2  # candidate + repair


def test_llm_fix_needs_a_model(stub: StubLLM, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["llm-fix", str(_copy_cases(tmp_path / "src"))])
    assert rc == 2
    assert "no model" in capsys.readouterr().err
    assert stub.requests == []


def test_eval_reports_per_class(stub: StubLLM, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    _answers(stub, lock="I would unlock the mutex.")
    out_json = tmp_path / "eval.json"
    rc = main(["eval", "--model", "openai/stub-model", "--api-base", stub.api_base,
               "--candidates", "1", "--json", str(out_json), str(CASES)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "memory/resource leak" in out and "overall" in out and "refcount" in out
    doc = json.loads(out_json.read_text())
    cls = doc["classes"]
    assert cls["leak"]["verified"] == 1 and cls["leak"]["share"] == 1.0
    assert cls["refcount"]["share"] == 1.0
    assert cls["lock"]["verified"] == 0 and cls["lock"]["share"] == 0.0
    assert cls["race"]["cases"] == 0 and cls["race"]["share"] is None
    assert cls["overall"]["cases"] == 3 and cls["overall"]["verified"] == 2
    assert cls["overall"]["tokens_in"] > 0
    statuses = {c["case"]: c["status"] for c in doc["cases"]}
    assert statuses == {"leak_probe": "verified", "lock_ioctl": "rejected",
                        "ref_node": "verified"}


def test_eval_json_format_and_undetected_case(stub: StubLLM, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _answers(stub)
    cases = _copy_cases(tmp_path / "cases")
    (cases / "leak_probe.toml").write_text('rule = "KL101"\nline = 3\n')
    rc = main(["eval", "--model", "openai/stub-model", "--api-base", stub.api_base,
               "--format", "json", str(cases)])
    out, _ = capsys.readouterr()
    assert rc == 0
    doc = json.loads(out)
    leak = next(c for c in doc["cases"] if c["case"] == "leak_probe")
    assert leak["status"] == "not detected" and leak["class"] == "leak"
    assert doc["classes"]["leak"]["detected"] == 0


def test_eval_rejects_a_bad_sidecar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.c").write_text("int x;\n")
    (tmp_path / "x.toml").write_text('rule = "KL101"\n')
    assert main(["eval", "--model", "openai/m", str(tmp_path)]) == 2
    assert "needs rule" in capsys.readouterr().err


def _fix_has_llm() -> bool:
    import argparse

    from kernlint.cli import build_parser

    ap = build_parser()
    sub = next(a for a in ap._actions if isinstance(a, argparse._SubParsersAction))
    fix = sub.choices.get("fix")
    return fix is not None and any("--llm" in a.option_strings for a in fix._actions)


@pytest.mark.skipif(not _fix_has_llm(),
                    reason="`kernlint fix --llm` is not routed to kernlint.llm.batch yet")
def test_fix_llm_routes_to_the_batch(stub: StubLLM, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    _answers(stub)
    work = _copy_cases(tmp_path / "src")
    report = tmp_path / "r.jsonl"
    rc = main(["fix", "--llm", "--model", "openai/stub-model", "--api-base", stub.api_base,
               "--report", str(report), str(work / "leak_probe.c")])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "+\t\tkfree(buf);" in out
    assert json.loads(report.read_text())["verified"] is True
