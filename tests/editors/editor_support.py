"""Helpers and fixtures shared by the real-editor tests (VS Code, Neovim, Emacs).

Each test drives a real editor against the real `kernlint serve`. A test
whose prerequisites are missing is skipped with a loud reason, except when
CI=true, where it fails instead: CI must have run `scripts/setup-editors.sh`.

Paths can be overridden for development:
  KERNLINT_BIN           the kernlint executable   (default <repo>/.venv/bin/kernlint)
  KERNLINT_EXAMPLE       the example driver        (default <repo>/examples/snd_demo.c)
  KERNLINT_EDITOR_CACHE  where setup-editors.sh put code-server and playwright
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
CACHE = Path(os.environ.get("KERNLINT_EDITOR_CACHE", Path.home() / ".cache" / "kernlint-editors"))
IN_CI = os.environ.get("CI") == "true"
RULE = "KL101"
FIX_TITLE = "Add cleanup label"
# The test fixes the leak in the example's function that calls this.
ACQUIRE = "snd_card_new("


def require(condition: object, reason: str, hint: str = "run scripts/setup-editors.sh") -> None:
    """Skip (loudly) when `condition` is false; under CI=true, fail instead."""
    if condition:
        return
    msg = f"{reason} — {hint}"
    if IN_CI:
        pytest.fail(f"editor test prerequisite missing under CI=true: {msg}", pytrace=False)
    print(f"\n*** SKIPPING editor test: {msg} ***", file=sys.stderr)
    warnings.warn(f"editor test skipped: {msg}", stacklevel=2)
    pytest.skip(f"PREREQUISITE MISSING: {msg}")


def run(cmd: list[str], timeout: float, **kw) -> subprocess.CompletedProcess[str]:
    """subprocess.run with a timeout, text output, and a readable failure."""
    try:
        return subprocess.run(cmd, timeout=timeout, text=True, capture_output=True, **kw)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        pytest.fail(
            f"timed out after {timeout}s: {' '.join(cmd)}\n--- stdout\n{out[-4000:]}\n--- stderr\n{err[-4000:]}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def kernlint_bin() -> Path:
    p = Path(os.environ.get("KERNLINT_BIN", REPO / ".venv" / "bin" / "kernlint"))
    require(
        p.is_file() and os.access(p, os.X_OK),
        f"kernlint executable not found at {p}",
        "install kernlint into .venv (pip install -e .) or set KERNLINT_BIN",
    )
    return p


@pytest.fixture(scope="session")
def example_c() -> Path:
    p = Path(os.environ.get("KERNLINT_EXAMPLE", REPO / "examples" / "snd_demo.c"))
    require(p.is_file(), f"example driver not found at {p}", "set KERNLINT_EXAMPLE")
    return p


def functions(text: str) -> list[tuple[int, int]]:
    """Top-level chunks of a kernel-style C file as [start, end) line spans.

    Each chunk ends with a line that is exactly "}" (the end of a function or
    of a top-level struct); the last chunk holds what follows.
    """
    lines = text.splitlines()
    spans, start = [], 0
    for i, line in enumerate(lines):
        if line == "}":
            spans.append((start, i + 1))
            start = i + 1
    spans.append((start, len(lines)))
    return spans


@dataclass
class FixCase:
    """The example before and after the quick fix, as the CLI computes it.

    `kernlint fix --write` fixes every finding of the file, an editor's quick
    fix one. The expected buffer is therefore the original with only the
    target function (the one calling ACQUIRE) taken from the CLI's result.
    """

    original: str
    cli_fixed: str

    def __post_init__(self) -> None:
        a, b = functions(self.original), functions(self.cli_fixed)
        hits = [
            i for i, (s, e) in enumerate(a) if ACQUIRE in "\n".join(self.original.splitlines()[s:e])
        ]
        assert hits, f"the example has no function calling {ACQUIRE}"
        self.index = hits[0]
        if len(a) != len(b):
            raise AssertionError(
                f"`kernlint fix` changed the number of top-level chunks ({len(a)} -> {len(b)});"
                " cannot isolate the target function's fix"
            )
        ol, fl = self.original.splitlines(keepends=True), self.cli_fixed.splitlines(keepends=True)
        parts = []
        for i, ((s0, e0), (s1, e1)) in enumerate(zip(a, b, strict=True)):
            parts += fl[s1:e1] if i == self.index else ol[s0:e0]
        self.expected = "".join(parts)
        self.span = a[self.index]  # [start, end) in the original, 0-based
        self.fixed_span = functions(self.expected)[self.index]

    def leak_lines(self) -> list[int]:
        """0-based lines of the target function whose `return` the fix turns into a `goto`."""
        a, b = self.original.splitlines(), self.expected.splitlines()
        out: list[int] = []
        sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag != "replace":
                continue
            if any("goto " in line for line in b[j1:j2]):
                out += [i for i in range(i1, i2) if "return" in a[i]]
        return out

    def check(self, text: str, editor: str) -> None:
        """Assert that an editor's buffer after the fix equals the CLI's result."""
        if text != self.expected:
            diff = "\n".join(
                difflib.unified_diff(
                    self.expected.splitlines(),
                    text.splitlines(),
                    "expected (kernlint fix --write, target function)",
                    f"buffer ({editor})",
                    lineterm="",
                )
            )
            raise AssertionError(f"{editor}: buffer after the quick fix differs:\n{diff}")
        # The leaking `return` became a `goto` at the same place.
        lines = text.splitlines()
        orig = self.original.splitlines()
        for n in self.leak_lines():
            indent = orig[n][: len(orig[n]) - len(orig[n].lstrip())]
            assert lines[n].startswith(indent + "goto "), (
                f"{editor}: expected a `goto` where line {n + 1} `{orig[n].strip()}` was, "
                f"got `{lines[n].strip()}`"
            )


@pytest.fixture(scope="session")
def fix_case(kernlint_bin: Path, example_c: Path, tmp_path_factory) -> FixCase:
    """Run `kernlint fix --write` on a copy of the example to get the expected text."""
    d = tmp_path_factory.mktemp("expected")
    copy = d / example_c.name
    shutil.copyfile(example_c, copy)
    original = example_c.read_text()
    r = run(
        [str(kernlint_bin), "fix", "--select", RULE, "--write", str(copy)],
        timeout=120,
        cwd=d,
    )
    # Exit status 1 may mean "findings remain"; anything else is a crash.
    assert r.returncode in (0, 1), (
        f"`kernlint fix --select {RULE} --write` failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    )
    expected = copy.read_text()
    assert expected != original, (
        f"`kernlint fix --select {RULE} --write {example_c.name}` changed nothing;"
        f" the example must have a fixable {RULE} leak.\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    )
    case = FixCase(original=original, cli_fixed=expected)
    assert case.leak_lines(), "the CLI's fix did not turn a `return` into a `goto`:\n" + "\n".join(
        difflib.unified_diff(original.splitlines(), expected.splitlines(), lineterm="")
    )
    return case


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def editor_env(tmp: Path, kernlint_bin: Path) -> dict[str, str]:
    """Environment for an editor process: isolated XDG dirs, kernlint's dir on PATH."""
    env = dict(os.environ)
    for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        p = tmp / k.lower()
        p.mkdir(parents=True, exist_ok=True)
        env[k] = str(p)
    env["PATH"] = f"{kernlint_bin.parent}{os.pathsep}{env.get('PATH', '')}"
    # Keep the server and litellm off the network whatever the user's setup.
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    return env
