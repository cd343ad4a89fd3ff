"""Fixtures for the LLM tests: an OpenAI-compatible stub on 127.0.0.1 and settings that
point litellm at it through the real client path (model "openai/stub-model")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kernlint.config import LlmSettings

from .stub_server import StubLLM

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
FAKE_KEY = "sk-kernlint-FAKE-7f3a9c2e41d8b6a0"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "llm_off: start the server with LLM fixes off")


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[StubLLM]:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("KERNLINT_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("OPENAI_API_BASE", "OPENAI_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY",
                 "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    s = StubLLM().start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def settings(stub: StubLLM) -> LlmSettings:
    return LlmSettings(enabled=True, model="openai/stub-model", api_base=stub.api_base,
                       timeout=10, candidates=2, allowed_hosts=["127.0.0.1"])
