"""A minimal JSON-RPC/LSP client of our own over the stdio of a real `kernlint serve`.

No pygls or lsprotocol on this side: messages are dicts, framing is ours, so a test can write
any bytes it likes. Server-to-client requests (workspace/configuration, progress create,
registerCapability) are answered with null.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class ServerDied(RuntimeError):
    pass


@dataclass
class Inbox:
    responses: dict[Any, dict[str, Any]] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[dict[str, Any]] = field(default_factory=list)  # responses with id null
    cond: threading.Condition = field(default_factory=threading.Condition)


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def encode(msg: dict[str, Any]) -> bytes:
    return json.dumps({"jsonrpc": "2.0", **msg}).encode()


class RawClient:
    def __init__(
        self,
        args: list[str] | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        cmd = [sys.executable, "-m", "kernlint", "serve", *(args or [])]
        full_env = dict(os.environ if env is None else env)
        full_env.setdefault("PYTHONPATH", str(REPO / "server"))
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            cwd=cwd or REPO,
        )
        self.inbox = Inbox()
        self._next = 0
        self._wlock = threading.Lock()
        self.after_write: Any = None  # called after each counted write (not re-entered)
        self._in_hook = False
        self.writes = 0  # writes from our side (one hostile message each), replies excluded
        self.stderr = bytearray()
        self.raw_out = bytearray()  # everything the server wrote (for key-leak checks)
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    # ---- transport ----
    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):  # type: ignore[union-attr]
            self.stderr += chunk

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self._closed()
                    return
                self.raw_out += line
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
                elif not line.strip():
                    break
            if length is None:
                continue
            body = out.read(length)
            self.raw_out += body
            try:
                msg = json.loads(body)
            except ValueError:
                continue
            self._dispatch(msg)

    def _closed(self) -> None:
        with self.inbox.cond:
            self.inbox.cond.notify_all()

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if "method" in msg and "id" in msg:  # a request from the server
            self.write(frame(encode({"id": msg["id"], "result": None})), count=False)
            with self.inbox.cond:
                self.inbox.notifications.append(msg)
                self.inbox.cond.notify_all()
            return
        with self.inbox.cond:
            if "method" in msg:
                self.inbox.notifications.append(msg)
            elif msg.get("id") is None:
                self.inbox.unmatched.append(msg)
            else:
                self.inbox.responses[msg["id"]] = msg
            self.inbox.cond.notify_all()

    def write(self, data: bytes, count: bool = True) -> None:
        self._write(data, count)
        hook = self.after_write
        if count and hook is not None and not self._in_hook:
            self._in_hook = True
            try:
                hook()
            finally:
                self._in_hook = False

    def _write(self, data: bytes, count: bool) -> None:
        assert self.proc.stdin is not None
        with self._wlock:
            if count:
                self.writes += 1
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                raise ServerDied(f"server stdin closed ({exc})") from exc

    def send(self, msg: dict[str, Any], count: bool = True) -> None:
        self.write(frame(encode(msg)), count)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    # ---- JSON-RPC ----
    def new_id(self) -> int:
        self._next += 1
        return self._next

    def request_async(self, method: str, params: Any = None, msg_id: Any = None) -> Any:
        msg_id = self.new_id() if msg_id is None else msg_id
        msg: dict[str, Any] = {"id": msg_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return msg_id

    def wait_response(self, msg_id: Any, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.inbox.cond:
            while msg_id not in self.inbox.responses:
                left = deadline - time.monotonic()
                if not self.alive:
                    raise ServerDied(f"server exited with {self.proc.returncode}")
                if left <= 0:
                    raise TimeoutError(f"no response to request {msg_id!r} in {timeout:g}s")
                self.inbox.cond.wait(min(left, 0.5))
            return self.inbox.responses.pop(msg_id)

    def request(self, method: str, params: Any = None, timeout: float = 30.0) -> dict[str, Any]:
        return self.wait_response(self.request_async(method, params), timeout)

    def notify(self, method: str, params: Any = None, count: bool = True) -> None:
        msg: dict[str, Any] = {"method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg, count)

    def wait_notification(self, pred: Any, timeout: float = 30.0, start: int = 0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = start
        with self.inbox.cond:
            while True:
                items = self.inbox.notifications
                for m in items[seen:]:
                    if pred(m):
                        return m
                seen = len(items)
                left = deadline - time.monotonic()
                if not self.alive:
                    raise ServerDied(f"server exited with {self.proc.returncode}")
                if left <= 0:
                    raise TimeoutError("notification not received")
                self.inbox.cond.wait(min(left, 0.5))

    # ---- LSP ----
    def initialize(
        self,
        root: Path,
        init_options: dict[str, Any] | None = None,
        capabilities: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        uri = root.resolve().as_uri()
        caps = capabilities if capabilities is not None else default_capabilities()
        got = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": uri,
                "capabilities": caps,
                "workspaceFolders": [{"uri": uri, "name": "ws"}],
                "trace": "verbose",
                "initializationOptions": init_options
                if init_options is not None
                else {"debounceMs": 0},
            },
            timeout=60,
        )
        self.notify("initialized", {})
        self.notify("$/setTrace", {"value": "verbose"}, count=False)
        return got

    def shutdown(self, timeout: float = 20.0) -> int | None:
        try:
            if self.alive:
                self.request("shutdown", None, timeout=timeout)
                self.notify("exit")
            self.proc.wait(timeout)
        except (ServerDied, TimeoutError, subprocess.TimeoutExpired, OSError):
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def default_capabilities() -> dict[str, Any]:
    return {
        "general": {"positionEncodings": ["utf-16"]},
        "workspace": {"workspaceEdit": {"documentChanges": True}, "configuration": False},
        "textDocument": {
            "synchronization": {"dynamicRegistration": False},
            "publishDiagnostics": {
                "relatedInformation": True,
                "versionSupport": True,
                "dataSupport": True,
            },
            "codeAction": {
                "resolveSupport": {"properties": ["edit"]},
                "dataSupport": True,
                "codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix"]}},
            },
            "diagnostic": {"dynamicRegistration": False},
        },
    }
