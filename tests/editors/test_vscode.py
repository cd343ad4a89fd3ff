"""VS Code (code-server 4.100.3 = VS Code 1.100.3) in headless Chromium,
with the kernlint .vsix installed, against the real `kernlint serve`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from editor_support import (
    CACHE,
    FIX_TITLE,
    HERE,
    IN_CI,
    REPO,
    RULE,
    FixCase,
    editor_env,
    require,
    run,
)

CODE_SERVER = CACHE / "bin" / "code-server"
NODE_MODULES = CACHE / "node-tools" / "node_modules"
CHROMIUM = Path(os.environ.get("KERNLINT_CHROMIUM", "/usr/bin/chromium"))
VSIX = REPO / "clients" / "vscode" / "kernlint.vsix"
SETUP = REPO / "scripts" / "setup-editors.sh"
README_SHOT = REPO / "docs" / "img" / "vscode.png"

USER_SETTINGS = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "workbench.colorTheme": "Default Dark Modern",
    "telemetry.telemetryLevel": "off",
    "security.workspace.trust.enabled": False,
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "extensions.ignoreRecommendations": True,
    "update.mode": "none",
    "files.autoSave": "off",
    "editor.minimap.enabled": False,
    "chat.commandCenter.enabled": False,
    "window.restoreWindows": "none",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"code-server exited ({proc.returncode}):\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"code-server not healthy after {timeout}s:\n{log.read_text()[-4000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop code-server and everything it started (its own process group)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def collect_logs(user_dir: Path, dest: Path) -> None:
    """Copy the extension's output channels and the ext-host log to artifacts."""
    dest.mkdir(parents=True, exist_ok=True)
    for p in (user_dir / "logs").rglob("*.log"):
        if "kernlint" in p.name or p.name in ("exthost.log", "remoteexthost.log"):
            shutil.copyfile(p, dest / p.name)


def test_vscode_diagnostic_and_quickfix(
    kernlint_bin: Path, example_c: Path, fix_case: FixCase, tmp_path: Path, artifacts: Path
) -> None:
    require(shutil.which("node"), "node not found")
    require(CODE_SERVER.exists(), f"code-server not installed at {CODE_SERVER}")
    require((NODE_MODULES / "playwright-core").is_dir(), f"playwright-core not in {NODE_MODULES}")
    require(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM}")
    # Rebuild the .vsix if its sources changed (a no-op taking < 1 s otherwise).
    r = run(["bash", str(SETUP), "vsix"], timeout=600)
    if r.returncode != 0:
        require(not r.returncode or IN_CI, f"building the .vsix failed:\n{r.stderr[-3000:]}")
        pytest.fail(f"building the .vsix failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    require(VSIX.exists(), f"{VSIX} missing")

    data = tmp_path / "cs"
    user, ext = data / "user", data / "ext"
    (user / "User").mkdir(parents=True)
    (user / "User" / "settings.json").write_text(json.dumps(USER_SETTINGS, indent=2))
    ws = tmp_path / "ws"
    (ws / ".vscode").mkdir(parents=True)
    src = ws / example_c.name
    shutil.copyfile(example_c, src)
    (ws / ".vscode" / "settings.json").write_text(
        json.dumps({"kernlint.server.path": str(kernlint_bin)}, indent=2)
    )
    env = editor_env(tmp_path, kernlint_bin)
    common = ["--user-data-dir", str(user), "--extensions-dir", str(ext)]

    r = run([str(CODE_SERVER), *common, "--install-extension", str(VSIX)], timeout=180, env=env)
    assert r.returncode == 0, f"--install-extension failed:\n{r.stdout}\n{r.stderr}"
    assert any(p.name.startswith("kernlint.kernlint") for p in ext.iterdir()), list(ext.iterdir())

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "code-server.log"
    with open(log, "wb") as logf:
        proc = subprocess.Popen(
            [
                str(CODE_SERVER),
                "--bind-addr",
                f"127.0.0.1:{port}",
                "--auth",
                "none",
                "--disable-telemetry",
                "--disable-update-check",
                "--disable-workspace-trust",
                *common,
                str(ws),
            ],
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    try:
        wait_healthy(url, proc, log)
        cfg = {
            "url": f"{url}/?folder={ws}",
            "file": src.name,
            "savedPath": str(src),
            "chromium": str(CHROMIUM),
            "profile": str(tmp_path / "chromium"),
            "artifacts": str(artifacts),
            "rule": RULE,
            "title": FIX_TITLE,
            "span": list(fix_case.span),
            "fixedSpan": list(fix_case.fixed_span),
            "timeoutMs": 90_000,
        }
        drv_env = dict(env, NODE_PATH=str(NODE_MODULES), KL_CONFIG=json.dumps(cfg))
        r = run(["node", str(HERE / "vscode_driver.js")], timeout=480, env=drv_env, cwd=tmp_path)
    finally:
        stop(proc)
        collect_logs(user, artifacts / "vscode-logs")
        shutil.copyfile(log, artifacts / "code-server.log")

    try:
        report = json.loads(r.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"driver printed no report (exit {r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        )
    (artifacts / "vscode-report.json").write_text(json.dumps(report, indent=2))
    assert report["ok"], (
        f"VS Code driver failed: {report.get('error')}\nsteps: {json.dumps(report['steps'], indent=1)}"
        f"\nproblems: {report.get('problems')}\nsee {artifacts}"
    )

    assert any(RULE in p for p in report["problems"]), report["problems"]
    titles = report["actions"]
    assert any(t.startswith(FIX_TITLE) for t in titles), titles
    assert any(t.startswith(f"Suppress {RULE}") for t in titles), titles
    assert report["saved"], "the fixed file was not saved"
    fix_case.check(report["text"], "vscode")
    assert report["cleared"], f"{RULE} still in Problems after the fix: {report['problemsAfter']}"

    assert report["status"].get("check"), (
        f"status bar does not show a running server: {report['status']}"
    )
    assert "Preview" in report["docTab"], (
        f"rule doc did not open as a markdown preview: {report['docTab']}"
    )
    assert report["docShown"], "the rule doc preview rendered no text"

    # The README's picture: refreshed when missing or on request.
    shot = artifacts / "vscode-2-quickfix.png"
    if shot.exists() and (
        not README_SHOT.exists() or os.environ.get("KERNLINT_UPDATE_SCREENSHOTS") == "1"
    ):
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SHOT)
