"""Answer shapes -> candidate text, and the release-twice guard, without a model."""

from __future__ import annotations

from kernlint.engine import Engine
from kernlint.facts import analyse_function
from kernlint.llm.parse import parse_answer
from kernlint.llm.release_check import new_repeats, repeats
from kernlint.syntax import ParsedFile

from .answers import LEAK_DOUBLE_FREE, LEAK_FIXED, case_text, fenced

TEXT = case_text("leak_probe")


def _target(text: str = TEXT):
    return next(f for f in ParsedFile(text, "leak_probe.c").functions if f.name == "leak_probe")


def test_fenced_block_replaces_only_the_function() -> None:
    cand = parse_answer(fenced(LEAK_FIXED), TEXT, "leak_probe.c", _target())
    assert cand.kind == "block" and cand.new_text is not None
    head = TEXT[:TEXT.index("int leak_probe(")]
    assert cand.new_text.startswith(head)
    assert "kfree(buf);" in cand.new_text
    assert cand.new_text.endswith("}\n")


def test_last_block_defining_the_function_wins() -> None:
    original = TEXT[TEXT.index("int leak_probe("):].rstrip()
    answer = "Before:\n```c\n" + original + "\n```\nAfter:\n```c\n" + LEAK_FIXED + "\n```\n"
    cand = parse_answer(answer, TEXT, "leak_probe.c", _target())
    assert cand.new_text is not None and "kfree(buf);" in cand.new_text


def test_block_without_the_function() -> None:
    cand = parse_answer("```c\nint other(void)\n{\n\treturn 0;\n}\n```", TEXT, "leak_probe.c",
                        _target())
    assert cand.new_text is None and "leak_probe" in cand.error


def test_empty_answer() -> None:
    assert parse_answer("  ", TEXT, "x.c", _target()).error == "the answer is empty"


def test_unapplicable_diff() -> None:
    diff = "--- a/leak_probe.c\n+++ b/leak_probe.c\n@@ -3,1 +3,1 @@\n-nothing like this\n+x\n"
    cand = parse_answer(diff, TEXT, "leak_probe.c", _target())
    assert cand.new_text is None and "does not apply" in cand.error


def _facts(text: str):
    engine = Engine()
    parsed = ParsedFile(text, "leak_probe.c")
    fn = next(f for f in parsed.functions if f.name == "leak_probe")
    return parsed, analyse_function(parsed, fn, engine.knowledge, {}, engine.limits, force=True)


def test_release_check_flags_a_second_kfree() -> None:
    head = TEXT[:TEXT.index("int leak_probe(")]
    old = repeats(*_facts(TEXT), Engine().knowledge)
    bad = repeats(*_facts(head + LEAK_DOUBLE_FREE + "\n"), Engine().knowledge)
    good = repeats(*_facts(head + LEAK_FIXED + "\n"), Engine().knowledge)
    assert old == [] and good == []
    added = new_repeats(old, bad)
    assert len(added) == 1 and added[0].key == "buf" and added[0].call == "kfree"


def test_release_check_allows_free_after_reassignment() -> None:
    fn = """int leak_probe(void)
{
	void *buf = kzalloc(8, GFP_KERNEL);

	if (!buf)
		return -ENOMEM;
	kfree(buf);
	buf = kzalloc(16, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	kfree(buf);
	return 0;
}
"""
    assert repeats(*_facts(fn), Engine().knowledge) == []


def test_release_check_flags_a_double_unlock() -> None:
    fn = """int leak_probe(struct chip *chip)
{
	mutex_lock(&chip->lock);
	if (chip->dead) {
		mutex_unlock(&chip->lock);
		goto out;
	}
	chip->n++;
out:
	mutex_unlock(&chip->lock);
	return 0;
}
"""
    got = repeats(*_facts(fn), Engine().knowledge)
    assert [r.key for r in got] == ["lock chip->lock"]
