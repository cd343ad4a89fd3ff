"""Engine fuzzing at CI size: our fixtures, mutated, through parse -> analyse -> fix."""

from __future__ import annotations

import io
import random
import re
import time

from kernlint.config import Config
from kernlint.engine import Engine
from kernlint.lsp.fastinit import ReplayReader

from bench.reliability import fuzz, mutate


def test_fuzzed_fixtures_never_crash_or_hang() -> None:
    st = fuzz.run(300, seed=9, workers=1, file_bound=60.0, soft_budget=10.0)
    assert st.inputs == 300
    assert st.crashes == 0, st.failures
    assert st.hangs == 0, st.failures
    assert st.function_over_bound == 0, st.failures
    assert st.bad_fixes == 0, st.failures
    assert st.findings > 0 and st.fixes > 0  # the fixer really ran
    assert st.peak_rss_mb > 0


def test_mutations_are_deterministic() -> None:
    corpus = fuzz.fixture_corpus()
    a = [mutate.make_input(random.Random(3), corpus) for _ in range(5)]
    b = [mutate.make_input(random.Random(3), corpus) for _ in range(5)]
    assert a == b


def test_a_pathological_function_is_abandoned_with_a_note() -> None:
    cfg = Config()
    cfg.function_seconds = 0.2
    engine = Engine(cfg)
    text = mutate.state_explosion(40).decode()
    t0 = time.monotonic()
    result = engine.analyze_text(text, "boom.c")
    assert time.monotonic() - t0 < 0.2 + 5.0
    assert any("bound" in n or "too many" in n for n in result.notes), result.notes


def test_deep_nesting_is_survived() -> None:
    engine = Engine()
    for text in (mutate.nested_braces(5000), mutate.nested_ifs(5000), mutate.nested_parens(5000)):
        engine.analyze_text(text.decode(), "deep.c")  # no exception


def _pygls_bodies(reader: ReplayReader) -> list[bytes]:
    """The bodies pygls' stdio loop (pygls.io_.run) reads from reader."""
    pattern = re.compile(rb"^Content-Length: (\d+)\r\n$")
    out, n = [], 0
    while True:
        header = reader.readline()
        if not header:
            return out
        if not n and (m := pattern.fullmatch(header)):
            n = int(m.group(1))
        if n and not header.strip():
            out.append(reader.read(n))
            n = 0


def test_stdin_framing_resynchronises_after_bad_headers() -> None:
    ok = b'{"jsonrpc":"2.0","method":"x"}'
    good = b"Content-Length: %d\r\n\r\n" % len(ok) + ok
    stream = io.BytesIO(b"content-length: %d\n\n" % len(ok) + ok  # spelt differently
                        + b"junk" + good  # junk glued to the next header
                        + b"Content-Length: abc\r\n\r\n" + ok + good  # not a number
                        + b"Content-Length: 99999999999999999999\r\n\r\n" + good)  # too large
    assert _pygls_bodies(ReplayReader(b"", stream)) == [ok] * 4
