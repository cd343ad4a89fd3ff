"""The check / diff / rules commands as a user runs them: exit codes, formats, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "snd_demo.c"


def run(*args: str, cwd: Path | None = None, env_cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ)
    if env_cache is not None:
        env["KERNLINT_CACHE_DIR"] = str(env_cache)
    return subprocess.run([sys.executable, "-m", "kernlint", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


def test_check_text_exit_1_with_findings(tmp_path: Path) -> None:
    cp = run("check", str(EXAMPLE), env_cache=tmp_path)
    assert cp.returncode == 1
    assert "KL101" in cp.stdout and "snd_demo.c:72:3" in cp.stdout
    assert "Traceback" not in cp.stderr


def test_check_clean_exit_0(tmp_path: Path) -> None:
    f = tmp_path / "ok.c"
    f.write_text("int f(void)\n{\n\treturn 0;\n}\n")
    cp = run("check", str(f), "--no-cache")
    assert cp.returncode == 0, cp.stderr


def test_json_and_sarif(tmp_path: Path) -> None:
    cp = run("check", str(EXAMPLE), "--format", "json", "--no-cache")
    doc = json.loads(cp.stdout)
    assert doc["files_checked"] == 1
    rules = {f["rule"] for f in doc["findings"]}
    assert {"KL101", "KL201"} <= rules
    f = next(f for f in doc["findings"] if f["function"] == "demo_probe")
    assert f["line"] == 72 and f["resource"] == "card"
    assert any("acquired here" in r["message"] and r["line"] == 58 for r in f["related"])
    cp = run("check", str(EXAMPLE), "--format", "sarif", "--no-cache")
    sarif = json.loads(cp.stdout)
    assert sarif["version"] == "2.1.0"
    run0 = sarif["runs"][0]
    assert {r["id"] for r in run0["tool"]["driver"]["rules"]} >= {"KL101", "KL201", "KL301"}
    res = next(r for r in run0["results"] if r["ruleId"] == "KL101" and
               r["locations"][0]["physicalLocation"]["region"]["startLine"] == 72)
    assert res["relatedLocations"] and res["partialFingerprints"]["kernlint/v1"]
    assert run0["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == "KL101"


def test_select_ignore(tmp_path: Path) -> None:
    cp = run("check", str(EXAMPLE), "--select", "KL2", "--format", "json", "--no-cache")
    assert {f["rule"] for f in json.loads(cp.stdout)["findings"]} == {"KL201"}
    cp = run("check", str(EXAMPLE), "--ignore", "KL", "--format", "json", "--no-cache")
    assert not [f for f in json.loads(cp.stdout)["findings"] if f["rule"].startswith("KL")]
    cp = run("check", str(EXAMPLE), "--select", "bogus")
    assert cp.returncode == 2 and "not a rule code" in cp.stderr


def test_baseline(tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    cp = run("check", str(EXAMPLE), "--write-baseline", str(base), "--no-cache")
    assert cp.returncode == 1 and base.exists()
    cp = run("check", str(EXAMPLE), "--baseline", str(base), "--no-cache")
    assert cp.returncode == 0, cp.stdout
    cp = run("check", str(EXAMPLE), "--baseline", str(tmp_path / "missing.json"))
    assert cp.returncode == 2 and "no such file" in cp.stderr


def test_cache_and_jobs(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(10):
        shutil.copy(EXAMPLE, tree / f"d{i}.c")
    cache = tmp_path / "cache"
    cold = run("check", str(tree), "--jobs", "2", "--format", "json", env_cache=cache)
    warm = run("check", str(tree), "--jobs", "2", "--format", "json", env_cache=cache)
    c, w = json.loads(cold.stdout), json.loads(warm.stdout)
    assert c["stats"]["cached_files"] == 0 and w["stats"]["cached_files"] == 10
    assert c["findings"] == w["findings"]


@pytest.mark.parametrize("content,needle", [
    (b"\x00\x01binary\x00", "binary file"),
    (b"int f(void) { return 0; } /* caf\xe9 */\n", None),
])
def test_bad_input_files(tmp_path: Path, content: bytes, needle: str | None) -> None:
    f = tmp_path / "x.c"
    f.write_bytes(content)
    cp = run("check", str(f), "--no-cache")
    assert "Traceback" not in cp.stderr
    if needle:
        assert needle in cp.stderr and cp.returncode == 2
    else:
        assert cp.returncode == 0


def test_missing_path_and_not_c(tmp_path: Path) -> None:
    cp = run("check", str(tmp_path / "nope.c"))
    assert cp.returncode == 2 and "no such file" in cp.stderr and "Traceback" not in cp.stderr
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    cp = run("check", str(txt), "--no-cache")
    assert cp.returncode == 2 and "not a C source file" in cp.stderr


def test_huge_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ".kernlint.toml").write_text("max_file_bytes = 2048\n")
    f = tmp_path / "big.c"
    f.write_text("int x;\n" * 1000)
    cp = run("check", str(f), "--no-cache")
    assert cp.returncode == 2 and "limit" in cp.stderr


def test_bad_config_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".kernlint.toml").write_text("debounce_ms = 'soon'\n")
    f = tmp_path / "a.c"
    f.write_text("int f(void) { return 0; }\n")
    cp = run("check", str(f))
    assert cp.returncode == 2
    assert cp.stderr.strip().count("\n") == 0 and "debounce_ms" in cp.stderr


def test_diff_against_git_revision(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    src = EXAMPLE.read_text()
    fixed = src.replace("if (err < 0)\n\t\treturn err;\n\n\terr = snd_card_register",
                        "if (err < 0)\n\t\tgoto err_free_card;\n\n\terr = snd_card_register")
    assert fixed != src
    (repo / "d.c").write_text(fixed)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=repo, check=True)
    (repo / "d.c").write_text(src)  # the change under review re-introduces the leak
    cp = run("diff", "HEAD", "--format", "json", cwd=repo)
    doc = json.loads(cp.stdout)
    assert cp.returncode == 1
    assert [f["function"] for f in doc["introduced"]] == ["demo_probe"] and doc["fixed"] == []
    patch = subprocess.run(["git", "diff", "-R"], cwd=repo, capture_output=True, text=True).stdout
    (repo / "fix.patch").write_text(patch)
    cp = run("diff", "--patch", "fix.patch", "--format", "json", cwd=repo)
    doc = json.loads(cp.stdout)
    assert cp.returncode == 0 and [f["function"] for f in doc["fixed"]] == ["demo_probe"]


def test_rules_and_docs() -> None:
    cp = run("rules")
    assert cp.returncode == 0 and "KL101" in cp.stdout
    cp = run("rules", "KL201")
    assert "**What.**" in cp.stdout and "**Fix safety.**" in cp.stdout
    cp = run("rules", "KX999")
    assert cp.returncode == 2 and "unknown rule" in cp.stderr


def test_rules_doc_is_generated_from_docstrings() -> None:
    cp = run("rules", "--markdown")
    assert cp.returncode == 0
    assert (REPO / "docs" / "rules.md").read_text() == cp.stdout, \
        "docs/rules.md is stale: run `make rules-doc`"
