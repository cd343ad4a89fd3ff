"""Guards that run without a model: off means offline, destinations, secrets, lazy import."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from kernlint.config import Config, ConfigError, LlmSettings, apply_dict
from kernlint.engine import Engine
from kernlint.llm import client
from kernlint.llm.actions import llm_action_titles, resolve_llm_fix
from kernlint.llm.cache import FixCache

from .answers import case_text

REPO = Path(__file__).resolve().parents[2]


def test_disabled_opens_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a socket was opened: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    text = case_text("leak_probe")
    engine = Engine()
    f = engine.analyze_text(text, "leak_probe.c").findings[0]
    settings = LlmSettings(enabled=False, model="openai/gpt-4o-mini")
    assert llm_action_titles(settings, f) == []
    res = asyncio.run(resolve_llm_fix(engine, settings, text, "leak_probe.c", f,
                                      cache=FixCache(None)))
    assert not res.verified and "off" in res.reason
    assert res.attempts == []


def test_importing_the_llm_package_does_not_import_litellm() -> None:
    code = ("import sys, kernlint.cli, kernlint.llm.actions, kernlint.llm.cli, "
            "kernlint.llm.batch, kernlint.llm.evaluate\n"
            "kernlint.cli.build_parser()\n"
            "assert 'litellm' not in sys.modules, 'litellm imported eagerly'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


def test_load_litellm_sets_the_local_cost_map(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LITELLM_LOCAL_MODEL_COST_MAP", raising=False)
    code = ("import os, kernlint.llm.client as c\n"
            "os.environ.pop('LITELLM_LOCAL_MODEL_COST_MAP', None)\n"
            "m = c.load_litellm()\n"
            "assert os.environ['LITELLM_LOCAL_MODEL_COST_MAP'] == 'True'\n"
            "assert m.suppress_debug_info is True and m.callbacks == []\n"
            "assert m.success_callback == [] and m.telemetry is False\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=120)


def test_scrub_removes_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_PROVIDER_API_KEY", "plainsecretvalue12345")
    text = ("AuthenticationError: Incorrect API key provided: sk-proj-abcdefghijklmnop. "
            "header Authorization: Bearer abcdefghijklmnopqrstu; api_key='zzzzzzzzzz'; "
            "echo plainsecretvalue12345")
    out = client.scrub(text)
    for secret in ("sk-proj-abcdefghijklmnop", "abcdefghijklmnopqrstu", "zzzzzzzzzz",
                   "plainsecretvalue12345"):
        assert secret not in out
    assert "AuthenticationError" in out and "[redacted]" in out


@pytest.mark.parametrize("settings,env,allowed", [
    (LlmSettings(model="openai/gpt-4o"), {}, True),  # no list: anything goes
    (LlmSettings(model="openai/gpt-4o", allowed_hosts=["api.openai.com"]), {}, True),
    (LlmSettings(model="gpt-4o", allowed_hosts=["api.openai.com"]), {}, True),
    (LlmSettings(model="openai/gpt-4o", allowed_hosts=["localhost"]), {}, False),
    (LlmSettings(model="anthropic/claude-3-5-sonnet-latest", allowed_hosts=["api.openai.com"]),
     {}, False),
    (LlmSettings(model="claude-3-5-sonnet-latest", allowed_hosts=["api.anthropic.com"]), {},
     True),
    (LlmSettings(model="ollama/qwen2.5-coder", allowed_hosts=["localhost"]), {}, True),
    (LlmSettings(model="ollama/qwen2.5-coder", allowed_hosts=["localhost"]),
     {"OLLAMA_API_BASE": "http://gpu-box.example:11434"}, False),
    (LlmSettings(model="openai/gpt-4o", allowed_hosts=["api.openai.com"]),
     {"OPENAI_BASE_URL": "https://proxy.example/v1"}, False),
    (LlmSettings(model="openai/local", api_base="http://127.0.0.1:8080/v1",
                 allowed_hosts=["127.0.0.1"]), {}, True),
    (LlmSettings(model="openai/local", api_base="http://10.0.0.5:8080/v1",
                 allowed_hosts=["127.0.0.1"]), {}, False),
    (LlmSettings(model="openai/x", api_base="https://llm.corp.example/v1",
                 allowed_hosts=["*.corp.example"]), {}, True),
    (LlmSettings(model="somecloud/model", allowed_hosts=["api.openai.com"]), {}, False),
    (LlmSettings(model="", allowed_hosts=[]), {}, False),
])
def test_destination_check(monkeypatch: pytest.MonkeyPatch, settings: LlmSettings,
                           env: dict[str, str], allowed: bool) -> None:
    for name in ("OPENAI_API_BASE", "OPENAI_BASE_URL", "OLLAMA_API_BASE", "ANTHROPIC_API_BASE",
                 "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    why = client.check_destination(settings)
    assert (why is None) == allowed, why


def test_llm_settings_from_config() -> None:
    cfg = apply_dict(Config(), {"llm": {"enabled": True, "model": "ollama/qwen2.5-coder",
                                        "apiBase": "http://localhost:11434",
                                        "allowedHosts": ["localhost"], "candidates": 3}}, "t")
    assert cfg.llm.enabled and cfg.llm.api_base == "http://localhost:11434"
    assert cfg.llm.allowed_hosts == ["localhost"] and cfg.llm.candidates == 3
    with pytest.raises(ConfigError):
        apply_dict(Config(), {"llm": {"apiKey": "sk-nope"}}, "t")  # keys only from the env
