"""An OpenAI-compatible chat-completions server for tests, on 127.0.0.1 only.

Answers are chosen, in order, from: the queue (one per request), the first marker found in
the request's messages, then the default. Every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Canned:
    content: str = ""
    status: int = 200
    delay: float = 0.0
    echo_auth: bool = False  # put the request's Authorization header into the error body


@dataclass
class StubLLM:
    queue: list[Canned] = field(default_factory=list)
    by_marker: dict[str, Canned] = field(default_factory=dict)
    default: Canned = field(default_factory=lambda: Canned("I cannot help with that."))
    requests: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def choose(self, body: dict[str, Any]) -> Canned:
        with self._lock:
            if self.queue:
                return self.queue.pop(0)
        text = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        last_user = ""
        for m in body.get("messages", []):
            if m.get("role") == "user":
                last_user = str(m.get("content", ""))
        for marker, canned in self.by_marker.items():
            if marker.startswith("repair:"):
                if marker[7:] in last_user and "kernlint rejected" in last_user:
                    return canned
                continue
            if marker in text and "kernlint rejected" not in last_user:
                return canned
        return self.default

    def start(self) -> StubLLM:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                    self.send_error(404)
                    return
                n = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(n) or b"{}")
                with stub._lock:
                    stub.requests.append({"body": body, "path": self.path,
                                          "auth": self.headers.get("Authorization", "")})
                canned = stub.choose(body)
                if canned.delay:
                    time.sleep(canned.delay)
                if canned.status != 200:
                    msg = "internal error"
                    if canned.echo_auth:
                        msg += f" while checking {self.headers.get('Authorization', '')}"
                    payload: dict[str, Any] = {"error": {"message": msg, "type": "server_error", "code": None}}
                else:
                    payload = {
                        "id": f"chatcmpl-stub{len(stub.requests)}", "object": "chat.completion",
                        "created": int(time.time()), "model": body.get("model", "stub-model"),
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant",
                                                 "content": canned.content}}],
                        "usage": {"prompt_tokens": 100, "completion_tokens": 50,
                                  "total_tokens": 150},
                    }
                data = json.dumps(payload).encode()
                try:
                    self.send_response(canned.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
