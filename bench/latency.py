"""Editor latency benchmark: drive ``kernlint serve`` as an LSP client over stdio.

1. Start the server and time process start -> ``initialize`` response
   (``initializationOptions = {"debounceMs": 0}``).
2. Open the largest file of the tree's ``sound/`` (patch_realtek.c in 6.12)
   and wait for its first diagnostics.
3. Make N single-character incremental edits (default 200): a space is
   typed next to an existing run of whitespace inside a function body and
   deleted again on the next edit, so the text alternates between the
   original and one extra space. Each edit waits for the
   ``textDocument/publishDiagnostics`` whose ``version`` equals the edit's.
4. Open the next largest ``.c`` files (20 in total) and read the server's
   memory (VmRSS/VmHWM of the server process, and the sum over its process
   tree) from /proc.

Usage: python bench/latency.py [--tree DIR] [--edits 200] [--seed 1]
       [--server-cmd "kernlint serve"]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kbench

DEFAULT_FILE = "sound/pci/hda/patch_realtek.c"


class LspError(RuntimeError):
    pass


class LspClient:
    """A minimal JSON-RPC/LSP client over a subprocess's stdio."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._diag_waiters: list[tuple[str, int | None, asyncio.Future[dict[str, Any]]]] = []
        self.diagnostics: dict[str, dict[str, Any]] = {}
        self.log: list[str] = []
        self._reader = asyncio.create_task(self._read_loop())

    # -- wire ------------------------------------------------------------
    async def _send(self, msg: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **msg}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await self.proc.stdin.drain()

    async def _read_message(self) -> dict[str, Any] | None:
        assert self.proc.stdout is not None
        length = None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                return None
            line = line.strip()
            if not line:
                break
            name, _, value = line.decode("ascii", "replace").partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
        if length is None:
            raise LspError("message without Content-Length")
        body = await self.proc.stdout.readexactly(length)
        msg: dict[str, Any] = json.loads(body)
        return msg

    async def _read_loop(self) -> None:
        try:
            while True:
                msg = await self._read_message()
                if msg is None:
                    break
                await self._dispatch(msg)
        finally:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(LspError("server closed the connection"))
            for _, _, fut in self._diag_waiters:
                if not fut.done():
                    fut.set_exception(LspError("server closed the connection"))

    async def _dispatch(self, msg: dict[str, Any]) -> None:
        if "id" in msg and "method" in msg:
            await self._answer_request(msg)
        elif "id" in msg:
            fut = self._pending.pop(msg["id"], None)
            if fut is not None and not fut.done():
                if "error" in msg:
                    fut.set_exception(LspError(json.dumps(msg["error"])))
                else:
                    fut.set_result(msg.get("result"))
        else:
            method = msg.get("method")
            params = msg.get("params") or {}
            if method == "textDocument/publishDiagnostics":
                self._on_diagnostics(params)
            elif method in ("window/logMessage", "window/showMessage"):
                self.log.append(str(params.get("message")))

    async def _answer_request(self, msg: dict[str, Any]) -> None:
        method = msg["method"]
        result: Any = None
        if method == "workspace/configuration":
            items = (msg.get("params") or {}).get("items") or []
            result = [None for _ in items]
        elif method == "workspace/workspaceFolders":
            result = []
        await self._send({"id": msg["id"], "result": result})

    def _on_diagnostics(self, params: dict[str, Any]) -> None:
        uri = params.get("uri", "")
        params["_t"] = time.perf_counter()
        self.diagnostics[uri] = params
        keep = []
        for w_uri, w_ver, fut in self._diag_waiters:
            if fut.done():
                continue
            if w_uri == uri and (w_ver is None or params.get("version") == w_ver):
                fut.set_result(params)
            else:
                keep.append((w_uri, w_ver, fut))
        self._diag_waiters = keep

    # -- API -------------------------------------------------------------
    async def request(self, method: str, params: Any, timeout: float = 120) -> Any:
        self._next_id += 1
        rid = self._next_id
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        await self._send({"id": rid, "method": method, "params": params})
        return await asyncio.wait_for(fut, timeout)

    async def notify(self, method: str, params: Any) -> None:
        await self._send({"method": method, "params": params})

    def expect_diagnostics(self, uri: str, version: int | None) -> asyncio.Future[dict[str, Any]]:
        """Register interest *before* sending the change that triggers it."""
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._diag_waiters.append((uri, version, fut))
        return fut

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.request("shutdown", None, timeout=10)
            await self.notify("exit", None)
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        self._reader.cancel()


# ---------------------------------------------------------------- edits


def utf16_col(line_text: str, col_chars: int) -> int:
    return len(line_text[:col_chars].encode("utf-16-le")) // 2


def edit_sites(text: str, n: int, seed: int) -> list[tuple[int, int]]:
    """(line, character) positions just after a whitespace character inside
    a function body (indented line, not in a string); line/char are 0-based,
    character counted in UTF-16 code units."""
    rng = random.Random(seed)
    lines = text.split("\n")
    cands: list[tuple[int, int]] = []
    for i, ln in enumerate(lines):
        if not ln.startswith("\t") or '"' in ln or "'" in ln or ln.rstrip().endswith("\\"):
            continue
        for m in re.finditer(r"[ \t](?=\S)", ln):
            cands.append((i, utf16_col(ln, m.end())))
    if not cands:
        raise SystemExit("no edit sites found")
    return [rng.choice(cands) for _ in range(n)]


def percentile(data: list[float], p: float) -> float:
    if not data:
        return float("nan")
    s = sorted(data)
    k = (len(s) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def uri_of(path: Path) -> str:
    return path.resolve().as_uri()


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    tree = kbench.find_tree(args.tree)
    sound = tree / args.subdir
    main_file = tree / args.file
    largest = sorted(kbench.c_files(sound), key=lambda p: p.stat().st_size, reverse=True)
    others = [p for p in largest if p.resolve() != main_file.resolve()][: args.open_files - 1]

    if args.server_cmd:
        cmd = shlex.split(args.server_cmd)
    else:
        exe = kbench.find_kernlint(args.kernlint)
        if exe is None:
            raise SystemExit("kernlint executable not found")
        cmd = [exe, "serve"]

    t_start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL if not args.server_stderr else None,
        limit=64 * 1024 * 1024,
    )
    client = LspClient(proc)
    result: dict[str, Any] = {"tree": str(tree), "server_cmd": cmd, "file": args.file}
    try:
        init = await client.request(
            "initialize",
            {
                "processId": None,
                "rootUri": tree.as_uri(),
                "workspaceFolders": [{"uri": tree.as_uri(), "name": tree.name}],
                "capabilities": {
                    "textDocument": {
                        "synchronization": {"didSave": True},
                        "publishDiagnostics": {"versionSupport": True, "relatedInformation": True},
                    },
                    "general": {"positionEncodings": ["utf-16"]},
                },
                "initializationOptions": {"debounceMs": 0},
                "clientInfo": {"name": "kernlint-bench", "version": "0"},
            },
        )
        result["initialize_s"] = round(time.perf_counter() - t_start, 3)
        result["server_info"] = (init or {}).get("serverInfo")
        await client.notify("initialized", {})

        # Open the main file.
        text = main_file.read_text(errors="replace")
        uri = uri_of(main_file)
        version = 1
        fut = client.expect_diagnostics(uri, version)
        t0 = time.perf_counter()
        await client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "c", "version": version, "text": text}},
        )
        first = await asyncio.wait_for(fut, args.timeout)
        result["open_s"] = round(time.perf_counter() - t0, 3)
        # The server may answer initialize early (before its heavy imports):
        # this is from process start to the first diagnostics of the big file.
        result["start_to_first_diagnostics_s"] = round(time.perf_counter() - t_start, 3)
        result["open_diagnostics"] = len(first.get("diagnostics") or [])
        result["file_lines"] = text.count("\n")

        # Edits: type a space at a site, delete it on the next edit.
        latencies: list[float] = []
        timeouts = 0
        sites = edit_sites(text, (args.edits + 1) // 2, args.seed)
        for i in range(args.edits):
            line, char = sites[i // 2]
            version += 1
            if i % 2 == 0:
                change = {
                    "range": {
                        "start": {"line": line, "character": char},
                        "end": {"line": line, "character": char},
                    },
                    "rangeLength": 0,
                    "text": " ",
                }
            else:
                change = {
                    "range": {
                        "start": {"line": line, "character": char},
                        "end": {"line": line, "character": char + 1},
                    },
                    "rangeLength": 1,
                    "text": "",
                }
            fut = client.expect_diagnostics(uri, version)
            t0 = time.perf_counter()
            await client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
            )
            try:
                await asyncio.wait_for(fut, args.timeout)
                latencies.append((time.perf_counter() - t0) * 1000)
            except TimeoutError:
                timeouts += 1
        final = client.diagnostics.get(uri, {})
        result["edits"] = args.edits
        result["edit_timeouts"] = timeouts
        result["latency_ms"] = {
            "p50": round(percentile(latencies, 0.5), 2),
            "p95": round(percentile(latencies, 0.95), 2),
            "max": round(max(latencies), 2) if latencies else None,
            "mean": round(statistics.fmean(latencies), 2) if latencies else None,
        }
        result["final_diagnostics"] = len(final.get("diagnostics") or [])
        result["rss_after_first_file_kib"] = kbench.vm_rss_kib(proc.pid)

        # Open more files.
        t0 = time.perf_counter()
        opened = [args.file]
        for p in others:
            u = uri_of(p)
            fut = client.expect_diagnostics(u, 1)
            await client.notify(
                "textDocument/didOpen",
                {
                    "textDocument": {
                        "uri": u,
                        "languageId": "c",
                        "version": 1,
                        "text": p.read_text(errors="replace"),
                    }
                },
            )
            try:
                await asyncio.wait_for(fut, args.timeout)
            except TimeoutError:
                result.setdefault("open_timeouts", []).append(str(p.relative_to(tree)))
            opened.append(str(p.relative_to(tree)))
        result["open_more_s"] = round(time.perf_counter() - t0, 3)
        result["files_open"] = len(opened)
        result["opened"] = opened
        result["server_rss_kib"] = kbench.vm_rss_kib(proc.pid)
        result["server_hwm_kib"] = kbench.vm_rss_kib(proc.pid, "VmHWM")
        result["server_tree_rss_kib"] = kbench.tree_rss_kib(proc.pid)
    finally:
        result["server_log_tail"] = client.log[-10:]
        await client.close()
    return result


def render(r: dict[str, Any]) -> str:
    lat = r.get("latency_ms", {})
    return "\n".join(
        [
            f"server: {' '.join(r['server_cmd'])}  ({r.get('server_info')})",
            f"initialize: {r.get('initialize_s')} s (process start -> response); "
            f"process start -> first diagnostics of the big file: "
            f"{r.get('start_to_first_diagnostics_s')} s",
            f"open {r['file']} ({r.get('file_lines')} lines): {r.get('open_s')} s, "
            f"{r.get('open_diagnostics')} diagnostics",
            f"{r.get('edits')} edits: p50 {lat.get('p50')} ms, p95 {lat.get('p95')} ms, "
            f"max {lat.get('max')} ms, timeouts {r.get('edit_timeouts')}",
            f"RSS after 1 file: {r.get('rss_after_first_file_kib', 0) / 1024:.0f} MiB; "
            f"after {r.get('files_open')} files: {r.get('server_rss_kib', 0) / 1024:.0f} MiB "
            f"(peak {r.get('server_hwm_kib', 0) / 1024:.0f} MiB, process tree "
            f"{r.get('server_tree_rss_kib', 0) / 1024:.0f} MiB); opening 19 more took "
            f"{r.get('open_more_s')} s",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tree", help="extracted kernel tree (default: cache of fetch_kernel.sh)")
    ap.add_argument("--subdir", default="sound")
    ap.add_argument("--file", default=DEFAULT_FILE, help="file edited (relative to the tree)")
    ap.add_argument("--edits", type=int, default=200)
    ap.add_argument("--open-files", type=int, default=20, help="files open for the RSS figure")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to wait per response")
    ap.add_argument("--kernlint", help="kernlint executable (default: .venv/bin/kernlint)")
    ap.add_argument("--server-cmd", help='server command line (default: "<kernlint> serve")')
    ap.add_argument("--server-stderr", action="store_true", help="show the server's stderr")
    ap.add_argument("--out-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    result = asyncio.run(bench(args))
    path = kbench.write_result("latency", result, args.out_dir)
    print(render(result))
    print(f"\nwritten {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
