"""Emacs (batch) with eglot and clients/emacs/kernlint-eglot.el against `kernlint serve`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from editor_support import FIX_TITLE, HERE, REPO, RULE, FixCase, editor_env, require, run

CLIENT = REPO / "clients" / "emacs"


def emacs_with_eglot() -> str:
    emacs = shutil.which("emacs")
    require(emacs, "emacs not found (apt-get install emacs-nox elpa-eglot)")
    r = run(
        [
            str(emacs),
            "--batch",
            "--eval",
            "(progn (package-initialize) (require 'eglot) (princ emacs-version))",
        ],
        timeout=60,
    )
    require(
        r.returncode == 0,
        f"eglot not loadable in {emacs} (apt-get install elpa-eglot): {r.stderr[-500:]}",
    )
    return str(emacs)


@pytest.fixture(scope="module")
def emacs_report(
    kernlint_bin: Path, example_c: Path, fix_case: FixCase, tmp_path_factory, artifacts: Path
):
    """One Emacs session per module; both tests read its report."""
    emacs = emacs_with_eglot()
    tmp_path = tmp_path_factory.mktemp("emacs")
    work = tmp_path / "drv"
    work.mkdir()
    (work / ".git").mkdir()  # project root for eglot
    src = work / example_c.name
    shutil.copyfile(example_c, src)
    out = tmp_path / "report.json"
    env = editor_env(tmp_path, kernlint_bin)
    env.update(
        HOME=str(tmp_path),  # no ~/.emacs.d of the user
        KL_CLIENT=str(CLIENT),
        KL_BIN=str(kernlint_bin),
        KL_FILE=str(src),
        KL_OUT=str(out),
        KL_RULE=RULE,
        KL_TITLE=FIX_TITLE,
        KL_SPAN="{},{}".format(*fix_case.span),
        KL_TIMEOUT="60",
    )
    r = run([emacs, "--batch", "-l", str(HERE / "emacs_test.el")], timeout=180, env=env, cwd=work)
    assert out.exists(), (
        f"emacs wrote no report (exit {r.returncode}):\n{r.stdout}\n{r.stderr[-3000:]}"
    )
    report = json.loads(out.read_text())
    (artifacts / "emacs-report.json").write_text(json.dumps(report, indent=2))
    assert report["ok"] is True, (
        f"emacs: {report.get('error')}\nsteps: {report.get('steps')}\n{r.stderr[-3000:]}"
    )
    return report


def test_emacs_flymake_diagnostic(emacs_report: dict) -> None:
    assert emacs_report["class"] == "kernlint-eglot-server", emacs_report
    text = emacs_report["diagnostic"]
    assert re.match(rf"kernlint \[{RULE}\]: ", text), text
    assert any(t.startswith(FIX_TITLE) for t in emacs_report["titles"]), emacs_report["titles"]


def test_emacs_quickfix_without_resolve(emacs_report: dict, fix_case: FixCase) -> None:
    """eglot 1.9 (Debian bookworm) does not support codeAction/resolve: the
    server must put the edit in the action for clients without resolveSupport."""
    assert emacs_report.get("fix_has_edit") is True, (
        f"'{FIX_TITLE}…' reached eglot 1.9 without an edit; the client does not advertise "
        "codeAction resolveSupport, so the server should send the edit directly"
    )
    fix_case.check(emacs_report["text"], "emacs")
