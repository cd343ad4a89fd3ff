"""The editor's quick pass: per-function rules fresh, race findings of unchanged functions
carried over at their new position, and the full pass agreeing with a cold analysis."""

from __future__ import annotations

from pathlib import Path

from kernlint.engine import Engine, FunctionCache
from kernlint.syntax import ParsedFile

RACES = Path(__file__).resolve().parents[1] / "races" / "cases" / "kr401_unguarded.c"


def _keys(findings: list) -> list[tuple[str, int, str]]:
    return sorted((f.rule, f.span.start_line, f.function) for f in findings)


def test_quick_pass_carries_over_race_findings() -> None:
    text = RACES.read_text()
    engine = Engine()
    cache = FunctionCache()
    parsed = ParsedFile(text, "x.c")
    full = engine.analyze(parsed, cache)
    races = [f for f in full.result.findings if f.rule.startswith("KR")]
    assert races and full.complete
    # two lines added above everything: every function moves, none changes
    edited = "/* a */\n/* b */\n" + text
    parsed.update(edited)
    quick = engine.analyze(parsed, cache, quick=True)
    assert not quick.complete
    shifted = [(r, line + 2, fn) for r, line, fn in _keys(races)]
    assert [k for k in _keys(quick.result.findings) if k[0].startswith("KR")] == shifted
    again = engine.analyze(parsed, cache)
    assert again.complete
    assert _keys(again.result.findings) == _keys(Engine().analyze_text(edited, "x.c").findings)


def test_quick_pass_drops_race_findings_of_the_edited_function() -> None:
    text = RACES.read_text()
    engine = Engine()
    cache = FunctionCache()
    parsed = ParsedFile(text, "x.c")
    full = engine.analyze(parsed, cache)
    target = next(f for f in full.result.findings if f.rule.startswith("KR"))
    fn = next(f for f in parsed.functions if f.name == target.function)
    body_line = fn.body.start_point[0] + 1
    lines = text.splitlines(keepends=True)
    lines.insert(body_line, "\t;\n")
    parsed.update("".join(lines))
    quick = engine.analyze(parsed, cache, quick=True)
    assert not any(f.function == target.function and f.rule == target.rule
                   for f in quick.result.findings)
    complete = engine.analyze(parsed, cache)
    assert any(f.function == target.function and f.rule == target.rule
               for f in complete.result.findings)


HELPER_AND_CALLER = """
static int fx_sequence(struct fx_priv *priv)
{
	fx_write(priv, 1);
	return 0;
}

static int fx_probe(struct fx_priv *priv)
{
	int ret;

	ret = regulator_bulk_enable(2, priv->supplies);
	if (ret)
		return ret;
	ret = fx_sequence(priv);
	if (ret < 0)
		return ret;
	return 0;
}
"""


def test_editing_a_helper_reanalyses_its_unchanged_caller() -> None:
    """Whether fx_sequence() can fail is read from its body; the caller's cached result must
    not outlive an edit of the helper (incremental parse, same ParsedFile, same cache)."""
    engine = Engine()
    cache = FunctionCache()
    parsed = ParsedFile(HELPER_AND_CALLER, "x.c")
    assert [f.rule for f in engine.analyze(parsed, cache).result.findings] == []
    edited = HELPER_AND_CALLER.replace("\treturn 0;\n}\n\nstatic int fx_probe",
                                       "\treturn -EIO;\n}\n\nstatic int fx_probe", 1)
    assert edited != HELPER_AND_CALLER
    parsed.update(edited)
    for quick in (True, False):
        got = engine.analyze(parsed, cache, quick=quick).result.findings
        assert [(f.rule, f.function) for f in got] == [("KL101", "fx_probe")]
