"""The device-managed alternative: snd_devm_card_new() / devm_k*() / ... where the file
already uses managed APIs, with the teardown release deleted too."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from kernlint.engine import Engine
from kernlint.fixes.base import FixContext
from kernlint.fixes.managed import FIX_MANAGED, candidates
from kernlint.fixes.provider import fixes_for
from kernlint.fixes.verify import apply_edits, changed_line_ranges, function_lines, verify_text
from kernlint.model import Applicability, Finding, Fix
from kernlint.syntax import ParsedFile

HERE = Path(__file__).parent / "managed"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _fixes(engine: Engine, name: str, text: str | None = None,
           resource: str | None = None) -> tuple[str, Finding, list[Fix]]:
    text = (HERE / name).read_text("utf-8") if text is None else text
    parsed = ParsedFile(text, name)
    analysis = engine.analyze(parsed)
    found = [f for f in analysis.result.findings if f.rule in ("KL101", "KL301")
             and (resource is None or f.resource == resource)]
    assert len(found) == 1, [f.resource for f in found]
    return text, found[0], fixes_for(engine, parsed, analysis, found[0])


def _managed(fixes: list[Fix]) -> list[Fix]:
    return [f for f in fixes if f.fix_id == FIX_MANAGED]


@pytest.mark.parametrize("name,title,teardown", [
    ("card.c", "Use snd_devm_card_new() (device-managed)", "quill_remove"),
    ("buffer.c", "Use devm_kcalloc() (device-managed)", "tern_remove"),
    ("clkref.c", "Use devm_clk_get() (device-managed)", "lark_i2s_remove"),  # KL301
    ("irq.c", "Use devm_request_threaded_irq() (device-managed)", "heron_remove"),
])
def test_managed_alternative(engine: Engine, name: str, title: str, teardown: str) -> None:
    text, finding, fixes = _fixes(engine, name)
    assert fixes and fixes[0].fix_id != FIX_MANAGED, "the alternative is never the first action"
    [alt] = _managed(fixes)
    assert alt.title == title
    assert alt.applicability == Applicability.UNSAFE
    new = apply_edits(text, list(alt.edits))
    expected = (HERE / name).with_suffix(".alt.c")
    if os.environ.get("KERNLINT_UPDATE_SNAPSHOTS") or not expected.exists():
        expected.write_text(new, "utf-8")
    assert new == expected.read_text("utf-8")

    # two sites: the probe and the teardown function, and the fix declares the second one
    parsed = ParsedFile(text, name)
    probe = function_lines(parsed, finding.function)
    remove = function_lines(parsed, teardown)
    assert probe is not None and remove is not None
    assert alt.sites == (remove,)
    edited = {e.span.start_line for e in alt.edits}
    assert any(probe[0] <= ln < probe[1] for ln in edited)
    assert any(remove[0] <= ln < remove[1] for ln in edited)

    # verified independently: finding gone, nothing new anywhere in the file
    after = engine.analyze_text(new, name).findings
    assert not [f for f in after if f.rule == finding.rule and f.resource == finding.resource]
    before = engine.analyze_text(text, name).findings
    assert len(after) == len(before) - 1
    grow = new.count("\n") - text.count("\n")
    allowed = [(probe[0], probe[1] + grow), (remove[0] + grow, remove[1] + grow)]
    assert verify_text(engine, name, text, before, finding, new, allowed).ok


def test_the_teardown_site_must_be_declared_to_the_verifier(engine: Engine) -> None:
    """Without the remove() site the same edits are refused (changed line outside the
    function): the extra site is what lets the verifier accept them."""
    text = (HERE / "card.c").read_text("utf-8")
    parsed = ParsedFile(text, "card.c")
    ctx = FixContext(engine, parsed, engine.analyze(parsed).result.findings)
    [finding] = [f for f in ctx.fresh if f.rule == "KL101"]
    facts = ctx.facts_of(finding.function)
    assert facts is not None
    fn = facts.function
    [cand] = candidates(ctx, facts, fn, finding)
    assert len(ctx.offer(finding, fn, [cand])) == 1
    assert ctx.offer(finding, fn, [replace(cand, extra_allowed=[])]) == []
    new = apply_edits(text, cand.edits)
    lo, hi = function_lines(parsed, finding.function) or (0, 0)
    v = verify_text(engine, "card.c", text, ctx.fresh, finding, new, [(lo, hi)])
    assert not v.ok and "outside the function" in v.reason
    assert len(changed_line_ranges(text, new)) == 3


def test_ambiguous_device_offers_nothing(engine: Engine) -> None:
    _text, _f, fixes = _fixes(engine, "ambiguous.c")
    assert fixes and not _managed(fixes)
    # control: with one device for all managed calls, the alternative appears
    text = (HERE / "ambiguous.c").read_text("utf-8").replace(
        'devm_clk_get(parent, "bclk")', 'devm_clk_get(&pdev->dev, "bclk")')
    _text, _f, fixes = _fixes(engine, "ambiguous.c", text)
    [alt] = _managed(fixes)
    assert "devm_kstrdup(&pdev->dev, dev_name(parent), GFP_KERNEL)" in apply_edits(text, alt.edits)


def test_no_managed_api_in_the_file_offers_nothing(engine: Engine) -> None:
    _text, _f, fixes = _fixes(engine, "unmanaged.c")
    assert fixes and not _managed(fixes)
    # control: the same file with its private data from devm_kzalloc() gets the alternative
    text = (HERE / "unmanaged.c").read_text("utf-8").replace(
        "priv = kzalloc(sizeof(*priv), GFP_KERNEL);",
        "priv = devm_kzalloc(&pdev->dev, sizeof(*priv), GFP_KERNEL);").replace(
        "\t\tkfree(priv);\n", "").replace("\tkfree(priv);\n", "")
    _text, _f, fixes = _fixes(engine, "unmanaged.c", text)
    [alt] = _managed(fixes)
    assert alt.title == "Use devm_kmalloc_array() (device-managed)"


def test_unmatched_teardown_offers_nothing(engine: Engine) -> None:
    text = (HERE / "unmatched.c").read_text("utf-8")
    for res in ("image", "coeffs"):  # freed twice / freed by a helper we cannot see
        _t, _f, fixes = _fixes(engine, "unmatched.c", text, res)
        assert fixes and not _managed(fixes), res
    # control: once the run-time reload no longer frees the image, remove() is its only
    # teardown and the alternative appears
    start = text.index("static int robin_reload")
    end = text.index("static void robin_remove")
    text = text[:start] + text[end:]
    _t, _f, fixes = _fixes(engine, "unmatched.c", text, "image")
    assert [f.title for f in _managed(fixes)] == ["Use devm_kmalloc() (device-managed)"]


def test_project_can_add_a_managed_counterpart(tmp_path: Path) -> None:
    """[knowledge.managed.alternatives] in .kernlint.toml extends the packaged mapping."""
    from kernlint.config import Config

    cfg = Config(knowledge={
        "acquire": [{"fn": "tern_desc_alloc", "take": "ret", "check": "null",
                     "release": "tern_desc_free", "kind": "memory"}],
        "managed": {"alternatives": {"tern_desc_alloc": {"managed": "devm_tern_desc_alloc",
                                                         "device": "prepend"}}}})
    engine = Engine(cfg)
    text = (HERE / "buffer.c").read_text("utf-8").replace(
        "kcalloc(priv->ndesc, sizeof(*table), GFP_KERNEL)", "tern_desc_alloc(priv->ndesc)"
    ).replace("kfree(", "tern_desc_free(")
    _t, _f, fixes = _fixes(engine, "buffer.c", text)
    [alt] = _managed(fixes)
    new = apply_edits(text, alt.edits)
    assert "devm_tern_desc_alloc(&pdev->dev, priv->ndesc)" in new
    assert "tern_desc_free(" not in new


@pytest.mark.parametrize("case", sorted(p for p in HERE.glob("*.c") if not p.name.endswith(".alt.c")),
                         ids=lambda p: p.stem)
def test_every_offered_fix_verifies(engine: Engine, case: Path) -> None:
    """Every fix offered on these fixtures, managed or not, passes verification on its own
    declared sites (the function, plus remove() for the managed one)."""
    text = case.read_text("utf-8")
    parsed = ParsedFile(text, case.name)
    analysis = engine.analyze(parsed)
    for f in analysis.result.findings:
        for fx in fixes_for(engine, parsed, analysis, f):
            new = apply_edits(text, list(fx.edits))
            lo, hi = function_lines(parsed, f.function) or (0, 0)
            grow = max(new.count("\n") - text.count("\n"), 0)
            allowed = [(lo, hi + grow), *((a, b + grow) for a, b in fx.sites)]
            v = verify_text(engine, case.name, text, analysis.result.findings, f, new, allowed)
            assert v.ok, f"{fx.title}: {v.reason}"
            assert bool(fx.sites) == (fx.fix_id == FIX_MANAGED)
