"""Answer `initialize` before pygls is imported.

Importing lsprotocol.types alone costs ~0.35 s of CPU (it defines ~1000 attrs classes), and
pygls + cattrs more; the editor would wait for all of it before the handshake completes. Our
capabilities do not depend on anything but the client's position encodings, so over stdio
we read the first message ourselves, answer it at once, then start pygls and replay the
message to it (its own initialize handling runs as usual; its duplicate response is dropped).

tests/lsp/test_units.py checks that `capabilities()` is exactly what pygls computes for the
registered features, for every client capability set pytest-lsp ships.

Nothing here imports pygls, lsprotocol or the engine.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any, BinaryIO

from .. import __version__

log = logging.getLogger("kernlint.lsp")

CMD_CHECK_WORKSPACE = "kernlint.checkWorkspace"
CMD_RECHECK_FILE = "kernlint.recheckFile"
CMD_SHOW_RULE_DOC = "kernlint.showRuleDoc"
# In registration order (server.py registers them in this order).
COMMANDS = [CMD_SHOW_RULE_DOC, CMD_RECHECK_FILE, CMD_CHECK_WORKSPACE]
ENCODINGS = ("utf-8", "utf-16", "utf-32")

MAX_INITIALIZE_BYTES = 64 << 20
_LENGTH = re.compile(rb"^Content-Length: *(\d+)\s*$", re.I)
_HEADER_NAME = re.compile(rb"Content-Length:", re.I)
MAX_CONTENT_LENGTH = 1 << 30


def choose_encoding(client_caps: Any) -> str:
    """The client's first preferred encoding we support; utf-16 when it names none."""
    general = client_caps.get("general") if isinstance(client_caps, dict) else None
    offered = general.get("positionEncodings") if isinstance(general, dict) else None
    for enc in offered or []:
        if enc in ENCODINGS:
            return str(enc)
    return "utf-16"


def capabilities(client_caps: Any) -> dict[str, Any]:
    return {
        "positionEncoding": choose_encoding(client_caps),
        "textDocumentSync": {"openClose": True, "change": 2, "willSave": False,
                             "willSaveWaitUntil": False, "save": False},
        "codeActionProvider": {"codeActionKinds": ["quickfix"], "resolveProvider": True},
        "executeCommandProvider": {"commands": list(COMMANDS)},
        "diagnosticProvider": {"interFileDependencies": False, "workspaceDiagnostics": False,
                               "identifier": "kernlint"},
        "workspace": {"workspaceFolders": {"supported": True, "changeNotifications": True},
                      "fileOperations": {}},
    }


def read_message(stream: BinaryIO) -> tuple[bytes, dict[str, Any] | None]:
    """One framed message: (the raw bytes read, the parsed body or None)."""
    raw = bytearray()
    length = None
    while True:
        line = stream.readline()
        if not line:
            return bytes(raw), None
        raw += line
        m = _LENGTH.match(line)
        if m:
            length = int(m.group(1))
        elif not line.strip():
            break
    if length is None or length > MAX_INITIALIZE_BYTES:
        return bytes(raw), None  # not ours to judge: pygls gets the bytes as they came
    body = stream.read(length)
    raw += body
    try:
        msg = json.loads(body)
    except ValueError:
        return bytes(raw), None
    return bytes(raw), msg if isinstance(msg, dict) else None


class ReplayReader:
    """stdin for pygls: first the bytes we already consumed, then the real stream.

    It also keeps pygls' framing in step with a broken client: pygls only knows the exact
    line "Content-Length: N\\r\\n", and after one bad header it glues the next body to the next
    header line and never finds a header again. So a header spelt differently (case, spaces,
    bare LF) is normalised, a "Content-Length" that follows junk on the same line starts a line
    of its own, and a length no message can have (over MAX_CONTENT_LENGTH) is dropped."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._buf = bytearray(prefix)
        self._stream = stream
        self._lock = threading.Lock()

    def _raw_line(self) -> bytes:
        if self._buf:
            i = self._buf.find(b"\n")
            if i >= 0:
                out = bytes(self._buf[: i + 1])
                del self._buf[: i + 1]
                return out
            out = bytes(self._buf)
            self._buf.clear()
            return out + self._stream.readline()
        return self._stream.readline()

    def readline(self) -> bytes:
        with self._lock:
            line = self._raw_line()
            m = _HEADER_NAME.search(line, 1)
            if m is not None:  # junk, then a header: hand them over as two lines
                self._buf[0:0] = line[m.start():]
                line = line[: m.start()]
            h = _LENGTH.match(line)
            if h is not None:
                n = int(h.group(1))
                if n > MAX_CONTENT_LENGTH:
                    log.error("ignoring a Content-Length of %d bytes", n)
                    return b"X-Ignored-Content-Length: too large\r\n"
                return b"Content-Length: %d\r\n" % n
            return line

    def read(self, n: int) -> bytes:
        with self._lock:
            if self._buf:
                out = bytes(self._buf[:n])
                del self._buf[:n]
                if len(out) < n:
                    out += self._stream.read(n - len(out))
                return out
        return self._stream.read(n)


class DropResponseWriter:
    """stdout for pygls: passes everything through except its response to one request id
    (the initialize we already answered)."""

    def __init__(self, stream: BinaryIO, drop_id: Any) -> None:
        self._stream = stream
        self._drop_id = drop_id
        self._dropped = False

    def write(self, data: bytes) -> int:
        if not self._dropped:
            _, sep, body = bytes(data).partition(b"\r\n\r\n")
            try:
                msg = json.loads(body) if sep else None
            except ValueError:
                msg = None
            if isinstance(msg, dict) and "method" not in msg and msg.get("id") == self._drop_id:
                self._dropped = True
                if "error" in msg:
                    log.error("initialize failed after the fast answer: %s", msg["error"])
                return len(data)
        return self._stream.write(data)

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        self._stream.close()


def answer_initialize(stdin: BinaryIO, stdout: BinaryIO) -> tuple[Any, Any]:
    """Read the first message; if it is `initialize`, answer it now. Returns the streams
    pygls should use (replaying what was read)."""
    raw, msg = read_message(stdin)
    if msg is None or msg.get("method") != "initialize" or "id" not in msg:
        return ReplayReader(raw, stdin), stdout
    params = msg.get("params") if isinstance(msg.get("params"), dict) else {}
    result = {"capabilities": capabilities((params or {}).get("capabilities")),
              "serverInfo": {"name": "kernlint", "version": __version__}}
    body = json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": result}).encode()
    stdout.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    stdout.flush()
    return ReplayReader(raw, stdin), DropResponseWriter(stdout, msg["id"])
