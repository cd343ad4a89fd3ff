"""Hostile clients, lost edits and untrusted model output against a real `kernlint serve`
(raw JSON-RPC over stdio), at CI size."""

from __future__ import annotations

from bench.reliability import edits, hostile, untrusted


def test_hostile_clients_do_not_stop_the_server() -> None:
    st = hostile.run(random_messages=40, seed=9, huge_mb=9, rapid=300)
    assert st.failures == []
    assert st.messages >= 150
    assert st.survived == st.messages
    assert st.rapid_edits == 300
    assert st.restarts == 0


def test_no_lost_edits() -> None:
    st = edits.run(steps=150, seed=9)
    assert st.failures == []
    assert st.lost == 0
    assert st.edits_applied > 0  # edits really were checked against kernlint fix
    assert st.stale_no_edit + st.stale_refused > 0  # and stale ones really happened


def test_untrusted_model_output_and_secrets() -> None:
    st = untrusted.run()
    assert st.failures == []
    assert st.accepted_hostile == []
    assert st.rejected == st.hostile_answers == len(untrusted.HOSTILE)
    assert st.control_verified
    assert st.key_sent_to_stub  # the key was really in play
    assert st.key_leaks == 0, st.leak_places
    assert st.log_bytes > 0
    assert st.hook_saw_stub_when_on  # the audit hook works ...
    assert st.sockets_when_off == 0  # ... and saw no connection with LLM fixes off
    assert not st.litellm_imported_when_off
    assert st.stub_requests_when_off == 0
