"""The knowledge file's newer keys: per-project extensions load, bad values are refused."""

from __future__ import annotations

import pytest
from kernlint.knowledge import KnowledgeError, default_knowledge, load_knowledge


def test_packaged_release_calls_and_arity() -> None:
    k = default_knowledge()
    assert k.acquires["request_irq"].release_call == "free_irq({0}, {4})"
    assert k.acquires["request_threaded_irq"].release_call == "free_irq({0}, {5})"
    assert k.release_arity["free_irq"] == 2
    assert k.transfers["snd_usb_mixer_add_control"] == ((0, 1), True)
    assert k.looks_like_unwind("fx_codec_power_down")
    assert k.looks_like_unwind("fx_bus_unlock")
    assert not k.looks_like_unwind("fx_bus_write")


def test_project_extension() -> None:
    k = load_knowledge({
        "acquire": [{"fn": ["fx_grab_irq"], "take": "arg:0", "check": "zero",
                     "release": ["fx_drop_irq"], "release_call": "fx_drop_irq({0}, {2})",
                     "kind": "resource"}],
        "transfer": [{"fn": ["fx_attach_all"], "arg": [1, 2], "always": True},
                     {"fn": ["fx_set_drvdata"], "arg": 1, "drvdata": True}],
        "heuristics": {"release_arity": {"fx_drop_irq": 2}, "unwind_words": ["park"],
                       "opposite_words": [["NORTH", "SOUTH"]]},
    })
    assert k.acquires["fx_grab_irq"].release_call == "fx_drop_irq({0}, {2})"
    assert k.transfers["fx_attach_all"] == ((1, 2), True)
    assert "fx_set_drvdata" in k.drvdata_setters and "fx_attach_all" not in k.drvdata_setters
    assert "i2c_set_clientdata" in default_knowledge().drvdata_setters
    assert k.release_arity["fx_drop_irq"] == 2
    assert k.looks_like_unwind("fx_motor_park")
    assert k.opposite_words["SOUTH"] == "NORTH"
    assert default_knowledge().opposite_words["CAPTURE"] == "PLAYBACK"


@pytest.mark.parametrize("extra", [
    {"acquire": [{"fn": ["a"], "release": ["b"], "release_call": "b(x)"}]},
    {"transfer": [{"fn": ["t"], "arg": ["one"]}]},
    {"transfer": [{"fn": ["t"], "arg": []}]},
    {"heuristics": {"release_arity": {"b": "two"}}},
    {"heuristics": {"opposite_words": [["IN", "OUT", "BOTH"]]}},
])
def test_bad_values_are_refused(extra: dict[str, object]) -> None:
    with pytest.raises(KnowledgeError):
        load_knowledge(extra)
