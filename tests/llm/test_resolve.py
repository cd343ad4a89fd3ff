"""resolve_llm_fix against the OpenAI-compatible stub, through litellm (the real client path)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from kernlint.config import LlmSettings
from kernlint.engine import Engine
from kernlint.fixes.verify import apply_edits
from kernlint.llm.actions import LlmFixResult, llm_action_titles, resolve_llm_fix
from kernlint.llm.cache import FixCache
from kernlint.llm.client import EventLike
from kernlint.model import Applicability, Finding

from .answers import (
    LEAK_DOUBLE_FREE,
    LEAK_FIXED,
    LEAK_LEFT,
    LOCK_FIXED,
    REF_FIXED,
    case_text,
    fenced,
)
from .conftest import FAKE_KEY
from .stub_server import Canned, StubLLM

PATH = "leak_probe.c"


def _finding(engine: Engine, text: str, path: str = PATH) -> Finding:
    fs = engine.analyze_text(text, path).findings
    assert len(fs) == 1, fs
    return fs[0]


def _run(settings: LlmSettings, text: str, path: str = PATH, cache: FixCache | None = None,
         cancel: EventLike | None = None) -> LlmFixResult:
    engine = Engine()
    f = _finding(engine, text, path)
    return asyncio.run(resolve_llm_fix(engine, settings, text, path, f, None, cancel,
                                       cache or FixCache(None)))


def test_correct_fix_is_verified_as_a_suggestion(stub: StubLLM, settings: LlmSettings) -> None:
    stub.default = Canned(fenced(LEAK_FIXED))
    text = case_text("leak_probe")
    res = _run(settings, text)
    assert res.verified, res.reason
    assert res.fix is not None
    assert res.fix.applicability == Applicability.SUGGESTION
    assert res.fix.fix_id == "llm" and "stub-model" in res.fix.title
    assert "+\t\tkfree(buf);" in res.diff
    fixed = apply_edits(text, res.fix.edits)
    assert fixed == res.new_text
    assert Engine().analyze_text(fixed, PATH).findings == []
    assert len(stub.requests) == 1
    req = stub.requests[0]
    assert req["path"].endswith("/chat/completions")
    assert req["auth"] == f"Bearer {FAKE_KEY}"
    assert res.tokens_in == 100 and res.tokens_out == 50 and res.calls == 1


def test_prompt_carries_the_context(stub: StubLLM, settings: LlmSettings) -> None:
    stub.default = Canned(fenced(LEAK_FIXED))
    _run(settings, case_text("leak_probe"))
    prompt = stub.requests[0]["body"]["messages"][-1]["content"]
    assert "int leak_probe(struct leak_chip *chip)" in prompt
    assert "struct leak_chip {" in prompt  # struct definitions used by the function
    assert "KL101 at line 23" in prompt
    assert "`buf` acquired here by kzalloc()" in prompt  # path steps from Finding.related
    assert "error-path-leak" in prompt  # the rule's documentation
    assert "kfree()" in prompt  # our kernel API guidance
    assert "```c" in prompt
    assert "$" not in prompt.replace("$name", "")  # every placeholder filled


def test_fix_that_leaves_the_leak_is_rejected_then_repaired(stub: StubLLM,
                                                            settings: LlmSettings) -> None:
    stub.queue = [Canned(fenced(LEAK_LEFT)), Canned(fenced(LEAK_FIXED))]
    res = _run(replace(settings, candidates=1), case_text("leak_probe"))
    assert res.verified, res.reason
    assert [a.stage for a in res.attempts] == ["candidate 1", "repair"]
    assert not res.attempts[0].verified
    assert "still reported" in res.attempts[0].reason
    repair = stub.requests[1]["body"]["messages"]
    assert repair[-2]["role"] == "assistant" and "pr_err" in repair[-2]["content"]
    assert "kernlint rejected this answer" in repair[-1]["content"]
    assert "still reported" in repair[-1]["content"]


def test_leak_left_everywhere_is_not_offered(stub: StubLLM, settings: LlmSettings) -> None:
    stub.default = Canned(fenced(LEAK_LEFT))
    res = _run(settings, case_text("leak_probe"))
    assert not res.verified and res.fix is None
    assert len(stub.requests) == settings.candidates + 1  # N candidates + one repair round
    assert "still reported" in res.reason


def test_fix_that_adds_a_double_free_is_rejected(stub: StubLLM, settings: LlmSettings) -> None:
    stub.default = Canned(fenced(LEAK_DOUBLE_FREE))
    res = _run(settings, case_text("leak_probe"))
    assert not res.verified
    assert "released twice" in res.attempts[0].reason
    assert "line" in res.attempts[0].reason


def test_malformed_output_is_rejected(stub: StubLLM, settings: LlmSettings) -> None:
    stub.default = Canned("Sure! Free the buffer before returning and it will be fine.")
    res = _run(settings, case_text("leak_probe"))
    assert not res.verified
    assert "no definition of `leak_probe`" in res.attempts[0].reason


def test_unclosed_block_is_rejected(stub: StubLLM, settings: LlmSettings) -> None:
    stub.default = Canned("```c\n" + LEAK_FIXED[:-40])
    res = _run(settings, case_text("leak_probe"))
    assert not res.verified
    assert "cut off" in res.attempts[0].reason


TWO = """#include <linux/slab.h>

struct two_dev {
	void *buf;
	int count;
};

int two_setup(struct two_dev *d);

int leak_probe(struct two_dev *d)
{
	void *buf;
	int err;

	buf = kzalloc(64, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = two_setup(d);
	if (err < 0)
		return err;
	d->buf = buf;
	return 0;
}

void two_remove(struct two_dev *d)
{
	d->count = 0;
}
"""

TWO_FIXED = """int leak_probe(struct two_dev *d)
{
	void *buf;
	int err;

	buf = kzalloc(64, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = two_setup(d);
	if (err < 0) {
		kfree(buf);
		return err;
	}
	d->buf = buf;
	return 0;
}"""


def test_output_that_edits_another_function_is_rejected(stub: StubLLM,
                                                        settings: LlmSettings) -> None:
    other = "void two_remove(struct two_dev *d)\n{\n\td->count = 1;\n\tkfree(d->buf);\n}"
    stub.default = Canned(fenced(TWO_FIXED + "\n\n" + other))
    res = _run(settings, TWO, "two.c")
    assert not res.verified
    assert "outside the function" in res.attempts[0].reason


def test_output_that_adds_a_global_is_rejected(stub: StubLLM, settings: LlmSettings) -> None:
    stub.default = Canned(fenced("static int leak_count;\n\n" + TWO_FIXED))
    res = _run(settings, TWO, "two.c")
    assert not res.verified
    assert "outside the function" in res.attempts[0].reason


def test_echoed_context_is_accepted(stub: StubLLM, settings: LlmSettings) -> None:
    echo = "struct two_dev {\n\tvoid *buf;\n\tint count;\n};\n\n/* fixed */\n" + TWO_FIXED
    stub.default = Canned(fenced(echo))
    res = _run(settings, TWO, "two.c")
    assert res.verified, res.reason


def test_diff_answer_is_applied_and_verified(stub: StubLLM, settings: LlmSettings) -> None:
    diff = ("--- a/two.c\n+++ b/two.c\n@@ -17,5 +17,7 @@\n"  # line numbers off by two
            " \terr = two_setup(d);\n-\tif (err < 0)\n+\tif (err < 0) {\n+\t\tkfree(buf);\n"
            " \t\treturn err;\n+\t}\n \td->buf = buf;\n")
    stub.default = Canned("```diff\n" + diff + "```\n")
    res = _run(settings, TWO, "two.c")
    assert res.verified, res.reason
    assert res.attempts[0].answer_kind == "diff"


def test_diff_for_another_file_is_rejected(stub: StubLLM, settings: LlmSettings) -> None:
    diff = "--- a/other.c\n+++ b/other.c\n@@ -1,1 +1,1 @@\n-x\n+y\n"
    stub.default = Canned("```diff\n" + diff + "```\n")
    res = _run(settings, TWO, "two.c")
    assert not res.verified
    assert "another file" in res.attempts[0].reason


def test_diff_outside_the_function_is_rejected(stub: StubLLM, settings: LlmSettings) -> None:
    diff = ("--- a/two.c\n+++ b/two.c\n@@ -27,3 +27,3 @@\n {\n-\td->count = 0;\n"
            "+\td->count = 0; kfree(d->buf);\n }\n")
    stub.default = Canned("```diff\n" + diff + "```\n")
    res = _run(settings, TWO, "two.c")
    assert not res.verified
    assert "outside the function" in res.attempts[0].reason


def test_bare_function_answer(stub: StubLLM, settings: LlmSettings) -> None:
    stub.default = Canned("The fix:\n\n" + LEAK_FIXED + "\n\nThat frees buf.")
    res = _run(settings, case_text("leak_probe"))
    assert res.verified, res.reason
    assert res.attempts[0].answer_kind == "bare"


@pytest.mark.parametrize("case,answer", [("lock_ioctl", LOCK_FIXED), ("ref_node", REF_FIXED)])
def test_other_bug_classes(stub: StubLLM, settings: LlmSettings, case: str, answer: str) -> None:
    stub.default = Canned(fenced(answer))
    res = _run(settings, case_text(case), f"{case}.c")
    assert res.verified, res.reason


def test_slow_answer_times_out(stub: StubLLM, settings: LlmSettings) -> None:
    stub.default = Canned(fenced(LEAK_FIXED), delay=4)
    t0 = time.monotonic()
    res = _run(replace(settings, timeout=1, candidates=1), case_text("leak_probe"))
    assert time.monotonic() - t0 < 3.5
    assert not res.verified
    assert "did not answer within 1s" in res.reason
    assert len(stub.requests) == 1  # no retries


def test_http_500_is_reported_without_the_key(stub: StubLLM, settings: LlmSettings,
                                              caplog: pytest.LogCaptureFixture,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    stub.default = Canned(status=500, echo_auth=True)
    res = _run(settings, case_text("leak_probe"))
    assert not res.verified
    assert "500" in res.reason or "InternalServerError" in res.reason, res.reason
    assert len(stub.requests) == 1  # an HTTP error ends the attempt: no retries
    out, err = capfd.readouterr()
    everything = "\n".join([res.reason, *(a.reason for a in res.attempts), caplog.text, out, err])
    assert FAKE_KEY not in everything
    assert FAKE_KEY[:20] not in everything


def test_cancel_with_asyncio_event(stub: StubLLM, settings: LlmSettings) -> None:
    stub.default = Canned(fenced(LEAK_FIXED), delay=5)
    text = case_text("leak_probe")
    engine = Engine()
    f = _finding(engine, text)

    async def go() -> LlmFixResult:
        ev = asyncio.Event()
        task = asyncio.create_task(resolve_llm_fix(engine, settings, text, PATH, f, None, ev,
                                                   FixCache(None)))
        while not stub.requests:
            await asyncio.sleep(0.02)
        ev.set()
        return await task

    t0 = time.monotonic()
    res = asyncio.run(go())
    assert time.monotonic() - t0 < 3
    assert res.cancelled and not res.verified and res.reason == "cancelled"


def test_cancel_with_threading_event(stub: StubLLM, settings: LlmSettings) -> None:
    stub.default = Canned(fenced(LEAK_FIXED), delay=5)
    ev = threading.Event()
    threading.Timer(0.5, ev.set).start()
    t0 = time.monotonic()
    res = _run(settings, case_text("leak_probe"), cancel=ev)
    assert time.monotonic() - t0 < 3
    assert res.cancelled


def test_cache_serves_the_second_request(stub: StubLLM, settings: LlmSettings,
                                         tmp_path: Path) -> None:
    stub.default = Canned(fenced(LEAK_FIXED))
    cache = FixCache(tmp_path / "llm")
    text = case_text("leak_probe")
    first = _run(settings, text, cache=cache)
    assert first.verified and not first.cached
    assert len(stub.requests) == 1
    second = _run(settings, text, cache=cache)
    assert second.verified and second.cached
    assert second.diff == first.diff
    assert len(stub.requests) == 1  # the stub was not asked again
    other_model = _run(replace(settings, model="openai/other-model"), text, cache=cache)
    assert not other_model.cached and len(stub.requests) == 2


def test_default_cache_lives_in_the_kernlint_cache_dir(stub: StubLLM, settings: LlmSettings,
                                                       tmp_path: Path) -> None:
    stub.default = Canned(fenced(LEAK_FIXED))
    text = case_text("leak_probe")
    engine = Engine()
    f = _finding(engine, text)
    res = asyncio.run(resolve_llm_fix(engine, settings, text, PATH, f))
    assert res.verified
    assert list((tmp_path / "cache" / "llm").rglob("*.json"))


def test_allowed_hosts_refuses_other_hosts(stub: StubLLM, settings: LlmSettings) -> None:
    res = _run(replace(settings, allowed_hosts=["llm.internal.example"]),
               case_text("leak_probe"))
    assert not res.verified
    assert "not in llm.allowed_hosts" in res.reason
    assert stub.requests == []


def test_user_template(stub: StubLLM, settings: LlmSettings, tmp_path: Path) -> None:
    tpl = tmp_path / "mine.txt"
    tpl.write_text("MY TEMPLATE for $function_name ($rule):\n$function\n", "utf-8")
    stub.default = Canned(fenced(LEAK_FIXED))
    res = _run(replace(settings, template=str(tpl)), case_text("leak_probe"))
    assert res.verified
    prompt = stub.requests[0]["body"]["messages"][-1]["content"]
    assert prompt.startswith("MY TEMPLATE for leak_probe (KL101):")


def test_titles() -> None:
    f = Engine().analyze_text(case_text("leak_probe"), PATH).findings[0]
    assert llm_action_titles(LlmSettings(), f) == []
    on = LlmSettings(enabled=True, model="ollama/qwen2.5-coder")
    assert llm_action_titles(on, f) == ["Fix with LLM (ollama/qwen2.5-coder)"]
