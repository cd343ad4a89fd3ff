"""Hostile and broken clients against a real `kernlint serve` (raw JSON-RPC over stdio).

After every hostile message a canary document is edited and its diagnostics pulled: the
server must still analyse the new version and find the canary's bugs. Requests must get
proper JSON-RPC errors: -32700 for a body that is not JSON, -32601 for an unknown method,
-32602 for bad params.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .rawlsp import REPO, RawClient, ServerDied, encode, frame

CANARY_TEXT = (REPO / "examples" / "snd_demo.c").read_text()
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602


@dataclass
class HostileStats:
    messages: int = 0  # hostile messages sent (malformed, invalid, out of order, random)
    rapid_edits: int = 0  # didChange notifications sent back to back
    survived: int = 0  # ... after which the canary still got fresh diagnostics
    expectations: int = 0  # checked error codes / answers
    failures: list[str] = field(default_factory=list)
    restarts: int = 0
    seconds: float = 0.0
    by_case: dict[str, int] = field(default_factory=dict)
    case_seconds: dict[str, float] = field(default_factory=dict)
    canary_checks: int = 0


class Session:
    """One server plus its canary document."""

    def __init__(self, root: Path, stats: HostileStats, args: list[str] | None = None) -> None:
        self.root = root
        self.stats = stats
        self.client = RawClient(args, cwd=root)
        self.client.initialize(root)
        self.canary_uri = (root / "canary.c").resolve().as_uri()
        self.canary_version = 1
        self.canary_text = CANARY_TEXT
        self.client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": self.canary_uri,
                    "languageId": "c",
                    "version": 1,
                    "text": CANARY_TEXT,
                }
            },
        )

    def canary_ok(self, timeout: float = 60.0) -> str | None:
        """Edit the canary, pull its diagnostics; None when they are fresh and right."""
        c = self.client
        self.canary_version += 1
        v = self.canary_version
        lines = self.canary_text.split("\n")
        end = {"line": len(lines) - 1, "character": len(lines[-1])}
        note = f"/* canary {v} */"
        self.canary_text += note
        try:
            c.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": self.canary_uri, "version": v},
                    "contentChanges": [{"range": {"start": end, "end": end}, "text": note}],
                },
            )
            got = c.request(
                "textDocument/diagnostic",
                {"textDocument": {"uri": self.canary_uri}},
                timeout=timeout,
            )
        except (ServerDied, TimeoutError) as exc:
            return f"canary: {exc}"
        res = got.get("result")
        if not isinstance(res, dict):
            return f"canary: bad answer {json.dumps(got)[:200]}"
        codes = sorted(d.get("code") for d in res.get("items", []))
        if codes != ["KL101", "KL101", "KL201"]:
            return f"canary v{v}: wrong diagnostics {codes}"
        if not str(res.get("resultId", "")).startswith(f"{v}:"):
            return f"canary v{v}: diagnostics for {res.get('resultId')}"
        return None

    def close(self) -> None:
        self.client.shutdown()


@dataclass
class Ctx:
    s: Session
    rng: random.Random

    @property
    def c(self) -> RawClient:
        return self.s.client

    def uri(self, name: str) -> str:
        return (self.s.root / name).resolve().as_uri()

    def expect_error(
        self, msg_id: Any, code: int | tuple[int, ...], timeout: float = 30
    ) -> str | None:
        try:
            got = self.c.wait_response(msg_id, timeout)
        except (ServerDied, TimeoutError) as exc:
            return f"request {msg_id!r}: {exc}"
        codes = code if isinstance(code, tuple) else (code,)
        err = got.get("error")
        if not isinstance(err, dict) or err.get("code") not in codes:
            return f"request {msg_id!r}: expected error {codes}, got {json.dumps(got)[:200]}"
        return None

    def expect_answer(self, msg_id: Any, timeout: float = 30) -> str | None:
        try:
            got = self.c.wait_response(msg_id, timeout)
        except (ServerDied, TimeoutError) as exc:
            return f"request {msg_id!r}: {exc}"
        if "result" not in got and not isinstance(got.get("error"), dict):
            return f"request {msg_id!r}: neither result nor error: {json.dumps(got)[:200]}"
        return None

    def expect_parse_error(self, before: int, timeout: float = 30) -> str | None:
        """A response with id null and code -32700 arrives."""
        deadline = time.monotonic() + timeout
        inbox = self.c.inbox
        with inbox.cond:
            while True:
                for m in inbox.unmatched[before:]:
                    if (m.get("error") or {}).get("code") == PARSE_ERROR:
                        return None
                if time.monotonic() > deadline or not self.c.alive:
                    return "no -32700 parse-error response"
                inbox.cond.wait(0.5)


# A case sends hostile bytes / messages and returns its expectation failures (strings).
Case = Callable[[Ctx], list[str | None]]


def _doc(uri: str, text: str, version: int = 1) -> dict[str, Any]:
    return {"textDocument": {"uri": uri, "languageId": "c", "version": version, "text": text}}


def _change(uri: str, version: Any, text: str, rng: dict[str, Any] | None = None) -> dict[str, Any]:
    ch: dict[str, Any] = {"text": text}
    if rng is not None:
        ch["range"] = rng
    return {"textDocument": {"uri": uri, "version": version}, "contentChanges": [ch]}


def _r(l1: int, c1: int, l2: int, c2: int) -> dict[str, Any]:
    return {"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}}


# ---------------------------------------------------------------- framing and JSON
def malformed_json(ctx: Ctx) -> list[str | None]:
    out = []
    for body in [
        b"{",
        b'{"jsonrpc": "2.0", "id": 1, "method": ',
        b"[]",
        b"null",
        b'"str"',
        b"123",
        b"\xff\xfe\x00garbage",
        b'{"jsonrpc":"2.0","id":7,"method":"x","params":NaN}',
        b"[" * 100000 + b"]" * 100000,
        b'{"a":' * 50000 + b"1" + b"}" * 50000,
        b'{"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover"',
        '{"jsonrpc":"2.0","method":"\ud800"}'.encode("utf-8", "surrogatepass"),
    ]:
        before = len(ctx.c.inbox.unmatched)
        ctx.c.write(frame(body))
        try:
            json.loads(body)
            parsed = True
        except (ValueError, RecursionError):
            parsed = False
        if not parsed:
            out.append(ctx.expect_parse_error(before))
    return out


def invalid_headers(ctx: Ctx) -> list[str | None]:
    ok = encode({"method": "$/kernlint/noop"})
    out: list[str | None] = []
    variants = [
        b"content-length: %d\r\n\r\n" % len(ok) + ok,  # lower case
        b"Content-Length:%d\r\n\r\n" % len(ok) + ok,  # no space
        b"Content-Length: %d\n\n" % len(ok) + ok,  # bare LF
        b"Content-Length: abc\r\n\r\n" + ok,  # not a number
        b"Content-Length: -5\r\n\r\n" + ok,  # negative
        b"\r\n\r\n" + ok,  # no header at all
        b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + ok,
        b"X-Junk: " + b"A" * 100000 + b"\r\n" + frame(ok),  # giant unknown header
        b"Content-Length: %d\r\n\r\n" % (len(ok) - 5) + ok,  # shorter than the body
        b"garbage without any header at all",
        b"Content-Length: 0\r\n\r\n",
        b"Content-Length: 99999999999999999999\r\n\r\n" + ok,
    ]
    for v in variants:
        ctx.c.write(v)
    # A length longer than the body swallows what follows; complete it with padding.
    ctx.c.write(b"Content-Length: %d\r\n\r\n" % (len(ok) + 40) + ok + b" " * 40)
    return out


def unknown_methods(ctx: Ctx) -> list[str | None]:
    out = []
    for m in [
        "foo/bar",
        "textDocument/nonsense",
        "$/kernlint/secret",
        "",
        "initialize/extra",
        "x" * 10000,
        "workspace/executeCommand/../..",
    ]:
        out.append(ctx.expect_error(ctx.c.request_async(m, {}), METHOD_NOT_FOUND))
    # Real LSP methods kernlint does not implement (with well-formed params).
    pos = {"textDocument": {"uri": ctx.s.canary_uri}, "position": {"line": 0, "character": 0}}
    for m in ["textDocument/hover", "textDocument/completion", "textDocument/definition"]:
        out.append(ctx.expect_error(ctx.c.request_async(m, pos), METHOD_NOT_FOUND))
    for m in ["foo/bar", "$/unknownNotification", "textDocument/didSave", "$/setTrace"]:
        ctx.c.notify(m, {"x": 1})
    return out


def invalid_params(ctx: Ctx) -> list[str | None]:
    c = ctx.c
    u = ctx.uri("nope.c")
    cases: list[tuple[str, Any]] = [
        ("textDocument/codeAction", {}),
        ("textDocument/codeAction", 5),
        (
            "textDocument/codeAction",
            {"textDocument": {"uri": u}, "range": "all", "context": {"diagnostics": []}},
        ),
        ("textDocument/diagnostic", {"textDocument": 42}),
        ("textDocument/diagnostic", [1, 2, 3]),
        ("codeAction/resolve", {"title": "x", "data": {"uri": u}}),
        ("codeAction/resolve", {"title": "x", "data": "hello"}),
        ("codeAction/resolve", {"title": 5}),
        ("workspace/executeCommand", {"command": "kernlint.showRuleDoc", "arguments": []}),
        ("workspace/executeCommand", {"command": "kernlint.showRuleDoc", "arguments": [7]}),
        ("workspace/executeCommand", {"command": "kernlint.recheckFile", "arguments": [None]}),
        (
            "workspace/executeCommand",
            {"command": "kernlint.recheckFile", "arguments": ["file:///does/not/exist.c"]},
        ),
    ]
    out = [ctx.expect_error(c.request_async(m, p), INVALID_PARAMS) for m, p in cases]
    # Unknown command: an error of some kind (pygls answers -32601 / -32603); must answer.
    out.append(
        ctx.expect_answer(
            c.request_async("workspace/executeCommand", {"command": "rm -rf /", "arguments": []})
        )
    )
    return out


def bad_envelopes(ctx: Ctx) -> list[str | None]:
    c = ctx.c
    for msg in [
        {"id": {"a": 1}, "method": "textDocument/diagnostic"},
        {"id": [1], "method": "foo"},
        {"id": 1.5, "method": "foo"},
        {"method": 42},
        {"id": 99999, "result": {"unexpected": True}},  # response nobody asked for
        {"id": "ghost", "error": {"code": 1, "message": "x"}},
        {"params": {}},
    ]:
        c.write(frame(json.dumps(msg).encode()))
    c.write(frame(json.dumps([{"jsonrpc": "2.0", "method": "foo"}]).encode()))  # batch
    c.write(frame(json.dumps({"jsonrpc": "1.0", "id": "old", "method": "foo"}).encode()))
    c.notify("$/cancelRequest", {"id": 123456})
    c.notify("$/cancelRequest", {"id": None})
    c.notify("$/cancelRequest", "nonsense")
    return []


def notification_as_request(ctx: Ctx) -> list[str | None]:
    """LSP notifications sent with an id must still be answered (Invalid Request)."""
    u = ctx.uri("notif.c")
    out = []
    for m, p in [("textDocument/didOpen", _doc(u, "int x;")),
                 ("textDocument/didChange", _change(u, 2, "int y;")),
                 ("textDocument/didClose", {"textDocument": {"uri": u}}),
                 ("initialized", {}), ("$/cancelRequest", {"id": 1}),
                 ("$/setTrace", {"value": "verbose"}),
                 ("window/workDoneProgress/cancel", {"token": "t"}),
                 ("workspace/didChangeConfiguration", {"settings": {}})]:
        out.append(ctx.expect_error(ctx.c.request_async(m, p), INVALID_REQUEST))
    return out


def reinitialize(ctx: Ctx) -> list[str | None]:
    return [ctx.expect_answer(ctx.c.request_async("initialize", {"capabilities": {}}))]


# ---------------------------------------------------------------- document order
def out_of_order(ctx: Ctx) -> list[str | None]:
    c = ctx.c
    u = ctx.uri(f"ooo{ctx.rng.randrange(10**6)}.c")
    c.notify("textDocument/didChange", _change(u, 2, "int x;", _r(0, 0, 0, 0)))  # before open
    c.notify("textDocument/didClose", {"textDocument": {"uri": u}})  # never opened
    c.notify("textDocument/didOpen", _doc(u, CANARY_TEXT, 5))
    c.notify("textDocument/didOpen", _doc(u, "int y;", 3))  # open twice
    c.notify("textDocument/didChange", _change(u, 2, "int z;"))  # version back
    c.notify("textDocument/didChange", _change(u, None, "int z;"))  # version null
    c.notify("textDocument/didChange", _change(u, 9, "zz", _r(10**9, 5, 10**9, 7)))  # past end
    c.notify("textDocument/didChange", _change(u, 10, "q", _r(-1, -5, -2, 0)))  # negative
    c.notify("textDocument/didChange", _change(u, 11, "w", _r(3, 0, 0, 0)))  # end < start
    c.notify("textDocument/didChange", _change(u, 12, "w", _r(0, 2**40, 0, 2**40)))
    c.notify(
        "textDocument/didChange", {"textDocument": {"uri": u, "version": 13}, "contentChanges": []}
    )
    c.notify("textDocument/didClose", {"textDocument": {"uri": u}})
    c.notify("textDocument/didChange", _change(u, 14, "after close"))  # closed doc
    c.notify("textDocument/didClose", {"textDocument": {"uri": u}})  # close twice
    out = [
        ctx.expect_answer(c.request_async("textDocument/diagnostic", {"textDocument": {"uri": u}}))
    ]
    out.append(
        ctx.expect_answer(
            c.request_async(
                "textDocument/codeAction",
                {
                    "textDocument": {"uri": u},
                    "range": _r(0, 0, 5, 0),
                    "context": {"diagnostics": []},
                },
            )
        )
    )
    # A code action resolve for a closed document / a stale version: answered, no edit.
    rid = c.request_async(
        "codeAction/resolve",
        {
            "title": "t",
            "data": {"uri": u, "version": 1, "provider": "fix", "fingerprint": "x", "key": {}},
        },
    )
    try:
        got = c.wait_response(rid, 30)
        if (got.get("result") or {}).get("edit"):
            out.append("resolve for a closed document returned an edit")
    except (ServerDied, TimeoutError) as exc:
        out.append(f"resolve: {exc}")
    return out


# ---------------------------------------------------------------- content
def huge_document(ctx: Ctx, mb: int = 50) -> list[str | None]:
    u = ctx.uri("huge.c")
    unit = CANARY_TEXT.encode()
    text = (unit * (mb * 1024 * 1024 // len(unit) + 1))[: mb * 1024 * 1024].decode(
        "ascii", "ignore"
    )
    ctx.c.notify("textDocument/didOpen", _doc(u, text))
    ctx.c.notify("textDocument/didChange", _change(u, 2, "x", _r(10, 0, 10, 0)))
    out = [
        ctx.expect_answer(
            ctx.c.request_async("textDocument/diagnostic", {"textDocument": {"uri": u}}),
            timeout=120,
        )
    ]
    ctx.c.notify("textDocument/didClose", {"textDocument": {"uri": u}})
    return out


def binary_content(ctx: Ctx) -> list[str | None]:
    out = []
    rng = ctx.rng
    for i, text in enumerate(
        [
            "\x00" * 1000,
            "int f(void)\n{\n\x00\x00 kfree(p);\x00\n}\n",
            bytes(rng.randrange(256) for _ in range(20000)).decode("latin-1"),
            "int \ud800f(void) { return 0; }\n\udfff\ud83d",
            CANARY_TEXT.replace("kfree", "k\ud800free"),
            "\ufeff" + CANARY_TEXT.replace("\n", "\r\n"),
            CANARY_TEXT.replace("\n", "\r"),
            "\u202e" * 100 + CANARY_TEXT,
        ]
    ):
        u = ctx.uri(f"bin{i}.c")
        ctx.c.notify("textDocument/didOpen", _doc(u, text))
        ctx.c.notify("textDocument/didChange", _change(u, 2, "\ud800\x00", _r(0, 1, 0, 3)))
        out.append(
            ctx.expect_answer(
                ctx.c.request_async("textDocument/diagnostic", {"textDocument": {"uri": u}})
            )
        )
        out.append(
            ctx.expect_answer(
                ctx.c.request_async(
                    "textDocument/codeAction",
                    {
                        "textDocument": {"uri": u},
                        "range": _r(0, 0, 50, 0),
                        "context": {"diagnostics": []},
                    },
                )
            )
        )
        ctx.c.notify("textDocument/didClose", {"textDocument": {"uri": u}})
    # Raw invalid UTF-8 inside a JSON string (not escaped).
    body = (
        b'{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":'
        b'{"uri":"file:///tmp/rawbin.c","languageId":"c","version":1,"text":"int \xff\xfe;"}}}'
    )
    before = len(ctx.c.inbox.unmatched)
    ctx.c.write(frame(body))
    out.append(ctx.expect_parse_error(before))
    return out


def deep_nesting(ctx: Ctx) -> list[str | None]:
    out = []
    texts = {
        "braces": "int f(void)\n" + "{" * 5000 + "x();" + "}" * 5000 + "\n",
        "ifs": "int g(int a)\n{\n" + "if (a) {\n" * 5000 + "kfree(a);\n" + "}\n" * 5000 + "}\n",
        "parens": "int h(void) { return " + "(" * 5000 + "1" + ")" * 5000 + "; }\n",
        "else_if": "int k(int a)\n{\n void *p = kzalloc(1, GFP_KERNEL);\n"
        + "".join(
            f" else if (a == {i}) return -{i};\n" if i else " if (a == 0) return 0;\n"
            for i in range(5000)
        )
        + " kfree(p);\n return 0;\n}\n",
        "unclosed": "int u(void)\n" + "{ if (x) " * 5000,
        "macro": "#if A\n" * 3000 + "int m;\n" + "#endif\n" * 3000,
    }
    for name, text in texts.items():
        u = ctx.uri(f"deep_{name}.c")
        ctx.c.notify("textDocument/didOpen", _doc(u, text))
        out.append(
            ctx.expect_answer(
                ctx.c.request_async("textDocument/diagnostic", {"textDocument": {"uri": u}}), 120
            )
        )
        out.append(
            ctx.expect_answer(
                ctx.c.request_async(
                    "textDocument/codeAction",
                    {
                        "textDocument": {"uri": u},
                        "range": _r(0, 0, 10000, 0),
                        "context": {"diagnostics": []},
                    },
                ),
                120,
            )
        )
        ctx.c.notify("textDocument/didClose", {"textDocument": {"uri": u}})
    return out


def rapid_edits(ctx: Ctx, n: int = 2000) -> list[str | None]:
    """n incremental edits without waiting; the last version's diagnostics must match
    `kernlint check` on the client's final text."""
    from kernlint.engine import Engine

    c, rng = ctx.c, ctx.rng
    u = ctx.uri("rapid.c")
    text = CANARY_TEXT
    c.notify("textDocument/didOpen", _doc(u, text))
    version = 1
    chunks = []
    for _ in range(n):
        version += 1
        lines = text.split("\n")
        line = rng.randrange(len(lines))
        col = rng.randint(0, len(lines[line]))
        if rng.random() < 0.5 or len(lines[line]) == 0:
            ins = rng.choice([" ", "/**/", "\t", "x", "\n"])
            a = b = col
        else:
            ins = ""
            a, b = sorted((col, rng.randint(0, len(lines[line]))))
        start = sum(len(x) + 1 for x in lines[:line])
        text = text[: start + a] + ins + text[start + b :]
        chunks.append(
            frame(
                encode(
                    {
                        "method": "textDocument/didChange",
                        "params": _change(u, version, ins, _r(line, a, line, b)),
                    }
                )
            )
        )
    c.write(b"".join(chunks))
    try:
        got = c.request("textDocument/diagnostic", {"textDocument": {"uri": u}}, timeout=120)
    except (ServerDied, TimeoutError) as exc:
        return [f"rapid edits: {exc}"]
    res = got.get("result") or {}
    if not str(res.get("resultId", "")).startswith(f"{version}:"):
        return [f"rapid edits: diagnostics for {res.get('resultId')}, expected v{version}"]
    want = sorted(
        (f.rule, f.span.start_line)
        for f in Engine().analyze_text(text, str(ctx.s.root / "rapid.c")).findings
    )
    have = sorted((d["code"], d["range"]["start"]["line"]) for d in res.get("items", []))
    c.notify("textDocument/didClose", {"textDocument": {"uri": u}})
    if want != have:
        return [f"rapid edits: server text diverged: {have} != {want}"]
    return [None]


CATALOG: dict[str, tuple[Case, int]] = {  # name -> (case, messages it counts as)
    "malformed_json": (malformed_json, 12),
    "invalid_headers": (invalid_headers, 13),
    "unknown_methods": (unknown_methods, 14),
    "invalid_params": (invalid_params, 13),
    "bad_envelopes": (bad_envelopes, 12),
    "notification_as_request": (notification_as_request, 8),
    "reinitialize": (reinitialize, 1),
    "out_of_order": (out_of_order, 17),
    "binary_content": (binary_content, 33),
    "deep_nesting": (deep_nesting, 18),
    "huge_document": (huge_document, 3),
    "rapid_edits": (rapid_edits, 2001),
}


# ---------------------------------------------------------------- random messages
METHODS = [
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didClose",
    "textDocument/codeAction",
    "codeAction/resolve",
    "textDocument/diagnostic",
    "workspace/executeCommand",
    "workspace/didChangeConfiguration",
    "$/cancelRequest",
    "$/setTrace",
    "textDocument/hover",
    "foo/bar",
    "workspace/didChangeWorkspaceFolders",
    "window/workDoneProgress/cancel",
]


def _rand_json(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth > 3 or r < 0.3:
        return rng.choice(
            [
                None,
                True,
                False,
                0,
                -1,
                2**31,
                2**63,
                1.5,
                "",
                "x" * rng.randint(0, 50),
                "file:///tmp/x.c",
                "\ud800",
                "\x00",
                "kernlint.recheckFile",
                -(2**70),
            ]
        )
    if r < 0.6:
        return [_rand_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = [
        "uri",
        "version",
        "text",
        "textDocument",
        "range",
        "start",
        "end",
        "line",
        "character",
        "contentChanges",
        "context",
        "diagnostics",
        "data",
        "command",
        "arguments",
        "settings",
        "id",
        "title",
        "edit",
        "kind",
        "only",
        "key",
        "provider",
        "fingerprint",
        "previousResultId",
        "event",
        "added",
        "removed",
        "token",
    ]
    return {rng.choice(keys): _rand_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def _valid_ish(ctx: Ctx, method: str) -> Any:
    """Params shaped like the real thing, with random holes."""
    rng = ctx.rng
    u = rng.choice([ctx.s.canary_uri + "#no", ctx.uri("r.c"), "untitled:1", "file:///"])
    base: dict[str, Any] = {
        "textDocument/didOpen": _doc(
            u, rng.choice(["", "int x;", CANARY_TEXT[:500]]), rng.randint(-5, 5)
        ),
        "textDocument/didChange": _change(
            u,
            rng.randint(-5, 50),
            "y",
            _r(rng.randint(-2, 80), rng.randint(-2, 80), rng.randint(-2, 80), rng.randint(-2, 80)),
        ),
        "textDocument/didClose": {"textDocument": {"uri": u}},
        "textDocument/codeAction": {
            "textDocument": {"uri": u},
            "range": _r(0, 0, rng.randint(0, 200), 0),
            "context": {"diagnostics": []},
        },
        "codeAction/resolve": {
            "title": "t",
            "data": {
                "uri": u,
                "version": rng.randint(0, 9),
                "provider": rng.choice(["fix", "llm", "suppress", "x"]),
                "fingerprint": "f",
                "key": {},
            },
        },
        "textDocument/diagnostic": {"textDocument": {"uri": u}},
        "workspace/executeCommand": {
            "command": rng.choice(["kernlint.showRuleDoc", "kernlint.recheckFile", "nope"]),
            "arguments": [_rand_json(rng)],
        },
        "workspace/didChangeConfiguration": {"settings": {"kernlint": _rand_json(rng)}},
    }.get(method, _rand_json(rng))
    if isinstance(base, dict) and base and rng.random() < 0.5:
        k = rng.choice(list(base))
        base[k] = _rand_json(rng)
    return base


def random_message(ctx: Ctx) -> list[str | None]:
    rng = ctx.rng
    method = rng.choice(METHODS)
    params = _valid_ish(ctx, method) if rng.random() < 0.7 else _rand_json(rng)
    if method == "workspace/didChangeConfiguration" and rng.random() < 0.7:
        return []  # settings churn re-analyses everything; keep it rare
    notif = (
        method.startswith("textDocument/did")
        or method.startswith("$/")
        or method.startswith("workspace/didChange")
        or rng.random() < 0.2
    )
    if notif:
        ctx.c.notify(method, params)
        return []
    err = ctx.expect_answer(ctx.c.request_async(method, params), 60)
    return [f"{err} ({method} {json.dumps(params)[:200]})" if err else None]


def run(
    random_messages: int = 100,
    seed: int = 9,
    huge_mb: int = 50,
    rapid: int = 2000,
    progress: bool = False,
    cases: list[str] | None = None,
) -> HostileStats:
    stats = HostileStats()
    rng = random.Random(seed)
    t0 = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="kernlint-hostile-"))
    session = Session(root, stats)
    err = session.canary_ok(120)
    if err:
        raise RuntimeError(f"the canary fails before any hostile message: {err}")

    def one(name: str, case: Case, weight: int | None) -> None:
        """Run a case with the canary checked after every message it writes."""
        nonlocal session
        ctx = Ctx(session, rng)
        before = session.client.writes
        t_case = time.monotonic()
        passed: list[bool] = []
        broken: list[str] = []

        def after() -> None:
            if broken:
                return  # the server is gone; the case's own checks will say so
            bad = session.canary_ok()
            passed.append(bad is None)
            if bad is not None:
                broken.append(bad)

        session.client.after_write = after
        try:
            results = case(ctx)
        except ServerDied as exc:
            results = [f"{name}: {exc}"]
        finally:
            session.client.after_write = None
        sent = session.client.writes - before - 2 * len(passed)  # minus the canary's own
        if weight is not None:
            sent = weight
        stats.canary_checks += len(passed)
        stats.by_case[name] = stats.by_case.get(name, 0) + sent
        stats.expectations += len(results)
        fails = [r for r in results if r]
        bad = broken[0] if broken else session.canary_ok()
        stats.case_seconds[name] = round(stats.case_seconds.get(name, 0.0)
                                         + time.monotonic() - t_case, 2)
        if name == "rapid_edits":
            stats.rapid_edits += sent
        else:
            stats.messages += sent
            stats.survived += sum(passed)
        if bad is not None or fails:
            stats.failures.extend(f"{name}: {f}" for f in [*fails, bad] if f)
            if bad is not None:  # start again so the rest of the run still means something
                session.client.kill()
                stats.restarts += 1
                session = Session(root, stats)

    try:
        for name, (case, weight) in CATALOG.items():
            if cases is not None and name not in cases:
                continue
            if name == "huge_document":
                case = lambda ctx, mb=huge_mb: huge_document(ctx, mb)  # noqa: E731
            if name == "rapid_edits":
                case, weight = (lambda ctx, n=rapid: rapid_edits(ctx, n)), rapid
            if progress:
                print(f"hostile: {name}", flush=True, file=__import__("sys").stderr)
            one(name, case, weight if name == "rapid_edits" else None)
        for i in range(random_messages):
            one("random", random_message, None)
            if progress and i % 100 == 99:
                print(
                    f"hostile: random {i + 1}/{random_messages}",
                    flush=True,
                    file=__import__("sys").stderr,
                )
    finally:
        session.close()
        shutil.rmtree(root, ignore_errors=True)
    stats.seconds = time.monotonic() - t0
    return stats


def iter_cases() -> Iterator[str]:
    return iter(CATALOG)
