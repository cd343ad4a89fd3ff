"""Fix templates: snapshot per fixture, every offered fix verifies, editor/CLI parity, CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kernlint.engine import Engine
from kernlint.fixes.cli import fix_text
from kernlint.fixes.provider import fixes_for, selection_fixes
from kernlint.fixes.verify import apply_edits, function_lines, verify_text
from kernlint.model import Applicability
from kernlint.syntax import ParsedFile

HERE = Path(__file__).parent
CASES = HERE / "cases"
ROOT = HERE.parent.parent
DEMO = ROOT / "examples" / "snd_demo.c"
UPDATE = bool(os.environ.get("KERNLINT_UPDATE_SNAPSHOTS"))
CASE_FILES = sorted(p for p in CASES.glob("*.c") if not p.name.endswith(".expected.c")
                    and not p.name.startswith("selection_"))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _snapshot(path: Path, got: str) -> None:
    if UPDATE or not path.exists():
        path.write_text(got, "utf-8")
    assert got == path.read_text("utf-8"), f"{path.name} differs (KERNLINT_UPDATE_SNAPSHOTS=1)"


@pytest.mark.parametrize("case", CASE_FILES, ids=lambda p: p.stem)
def test_fix_snapshot(engine: Engine, case: Path) -> None:
    """`kernlint fix --unsafe` on the fixture gives exactly the expected text, and fixes all."""
    text = case.read_text("utf-8")
    new, applied, left = fix_text(engine, case.name, text, lambda f: True, unsafe=True)
    assert applied, "no fix applied"
    assert left == 0, f"findings left after fixing: {applied}"
    _snapshot(case.with_suffix(".expected.c"), new)


@pytest.mark.parametrize("case", [*CASE_FILES, DEMO], ids=lambda p: p.stem)
def test_every_offered_fix_verifies(engine: Engine, case: Path) -> None:
    text = case.read_text("utf-8")
    parsed = ParsedFile(text, case.name)
    analysis = engine.analyze(parsed)
    offered = 0
    for f in analysis.result.findings:
        fixes = fixes_for(engine, parsed, analysis, f)
        for fx in fixes:
            offered += 1
            assert fx.kind == "quickfix" and fx.fix_id and fx.title
            assert fx.applicability in (Applicability.SAFE, Applicability.UNSAFE)
            new = apply_edits(text, fx.edits)
            lo, hi = function_lines(parsed, f.function) or (0, 0)
            grow = new.count("\n") - text.count("\n")
            # a multi-site fix (the managed alternative's remove()) declares its other sites
            sites = [(a, b + max(grow, 0)) for a, b in fx.sites]
            v = verify_text(engine, case.name, text, analysis.result.findings, f, new,
                            [(lo, hi + max(grow, 0)), *sites])
            assert v.ok, f"{fx.title}: {v.reason}"
        # safe fixes come first
        apps = [fx.applicability for fx in fixes]
        assert apps == sorted(apps, key=lambda a: a != Applicability.SAFE)
    assert offered, "no fix offered at all"


def test_snd_demo_cleanup_label_matches_cli(engine: Engine, tmp_path: Path) -> None:
    """The editor's "Add cleanup label" action and `kernlint fix --select KL101 --line N
    --write` produce the same text."""
    text = DEMO.read_text("utf-8")
    parsed = ParsedFile(text, str(DEMO))
    analysis = engine.analyze(parsed)
    card = next(f for f in analysis.result.findings if f.rule == "KL101" and f.resource == "card")
    fixes = fixes_for(engine, parsed, analysis, card)
    assert fixes[0].title.startswith("Add cleanup label")
    assert fixes[0].title == "Add cleanup label: goto err_free_card"
    assert fixes[0].applicability == Applicability.SAFE
    editor = apply_edits(text, fixes[0].edits)
    copy = tmp_path / "snd_demo.c"
    shutil.copyfile(DEMO, copy)
    rc = _kernlint("fix", "--select", "KL101", "--line", str(card.span.start_line + 1),
                   "--write", str(copy)).returncode
    assert rc == 0
    assert copy.read_text("utf-8") == editor
    assert "\t\tgoto err_free_card;\n\n\terr = snd_card_register" in editor


def test_snd_demo_first_safe_fix_is_the_cli_fix(engine: Engine, tmp_path: Path) -> None:
    copy = tmp_path / "snd_demo.c"
    shutil.copyfile(DEMO, copy)
    cp = _kernlint("fix", "--write", str(copy))
    assert cp.returncode == 1  # the two unsafe fixes are not applied: findings remain
    text = copy.read_text("utf-8")
    assert text.count("goto err_free_card;") == 3
    cp = _kernlint("fix", "--unsafe", "--write", str(copy))
    assert cp.returncode == 0, cp.stderr
    assert _kernlint("check", "-q", str(copy)).returncode == 0


def test_selection_adds_the_guarding_lock(engine: Engine) -> None:
    case = CASES / "selection_lock.c"
    text = case.read_text("utf-8")
    parsed = ParsedFile(text, case.name)
    fixes = selection_fixes(engine, parsed, [], 32, 33)
    assert fixes and fixes[0].kind == "refactor.rewrite"
    _snapshot(CASES / "selection_lock.expected.c", apply_edits(text, fixes[0].edits))


def test_selection_adds_a_mutex_field_when_none_exists(engine: Engine) -> None:
    case = CASES / "selection_nolock.c"
    text = case.read_text("utf-8")
    parsed = ParsedFile(text, case.name)
    fixes = selection_fixes(engine, parsed, [], 22, 24)
    assert fixes and fixes[0].applicability == Applicability.UNSAFE
    assert fixes[0].title.startswith("Add `struct mutex lock;` to struct bell")
    new = apply_edits(text, fixes[0].edits)
    assert "mutex_init(&b->lock);" in new and "\tstruct mutex lock;\n};" in new
    _snapshot(CASES / "selection_nolock.expected.c", new)


def test_selection_outside_functions_offers_nothing(engine: Engine) -> None:
    text = (CASES / "selection_lock.c").read_text("utf-8")
    assert selection_fixes(engine, ParsedFile(text, "x.c"), [], 0, 2) == []


def test_stale_finding_gets_no_fix(engine: Engine) -> None:
    text = DEMO.read_text("utf-8")
    parsed = ParsedFile(text, "d.c")
    analysis = engine.analyze(parsed)
    f = analysis.result.findings[0]
    fixed = apply_edits(text, fixes_for(engine, parsed, analysis, f)[0].edits)
    # the finding no longer exists in the fixed text: nothing to offer
    assert fixes_for(engine, ParsedFile(fixed, "d.c"), [], f) == [] or f.rule != "KL101"


# ---------------------------------------------------------------- CLI
def _kernlint(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kernlint", *args], capture_output=True,
                          text=True, cwd=cwd, check=False)


def test_cli_diff_is_default_and_does_not_write(tmp_path: Path) -> None:
    f = tmp_path / "p.c"
    shutil.copyfile(CASES / "of_loop.c", f)
    before = f.read_text("utf-8")
    cp = _kernlint("fix", str(f))
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.startswith("--- a/") and "+\t\t\tof_node_put(child);" in cp.stdout
    assert f.read_text("utf-8") == before


def test_cli_unsafe_and_exit_codes(tmp_path: Path) -> None:
    f = tmp_path / "p.c"
    shutil.copyfile(CASES / "inline_release.c", f)
    cp = _kernlint("fix", "--write", str(f))
    assert cp.returncode == 1 and cp.stdout == ""  # only an unsafe fix exists
    cp = _kernlint("fix", "--unsafe", "--write", str(f))
    assert cp.returncode == 0, cp.stderr
    assert f.read_text("utf-8") == (CASES / "inline_release.expected.c").read_text("utf-8")
    assert _kernlint("fix", str(f)).returncode == 0


def test_cli_refuses_dirty_files(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env)
    f = repo / "of_loop.c"
    shutil.copyfile(CASES / "of_loop.c", f)
    subprocess.run(["git", "add", "."], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "x"], cwd=repo, check=True, env=env)
    f.write_text(f.read_text("utf-8") + "\n/* local edit */\n", "utf-8")
    cp = _kernlint("fix", "--write", str(f))
    assert cp.returncode == 2 and "uncommitted changes" in cp.stderr
    assert "of_node_put(child);\n\t\t\treturn" not in f.read_text("utf-8")
    assert _kernlint("fix", str(f)).returncode == 0  # --diff never writes: allowed
    cp = _kernlint("fix", "--write", "--allow-dirty", str(f))
    assert cp.returncode == 0, cp.stderr
    assert "of_node_put(child);\n\t\t\treturn" in f.read_text("utf-8")


def test_cli_only_function(tmp_path: Path) -> None:
    f = tmp_path / "d.c"
    shutil.copyfile(DEMO, f)
    cp = _kernlint("fix", "--unsafe", "--only-function", "demo_set_rate", str(f))
    assert cp.returncode == 0
    assert "mutex_unlock(&chip->lock);" in cp.stdout and "err_free_card" not in cp.stdout


def test_cli_bad_path() -> None:
    assert _kernlint("fix", "/nonexistent/x.c").returncode == 2
