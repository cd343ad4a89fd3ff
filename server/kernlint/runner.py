"""Checking many files: discovery, safe reading, a process pool and a content-hash cache."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from . import __version__
from .config import Config
from .engine import Engine
from .model import FileResult
from .output import finding_from_dict, finding_to_dict

C_SUFFIXES = {".c", ".h"}


class InputError(Exception):
    """A path the user gave cannot be checked; the message is one line."""


def discover(paths: Iterable[str]) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise InputError(f"{raw}: no such file or directory")
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
                for name in sorted(files):
                    f = Path(root) / name
                    if f.suffix in C_SUFFIXES and f not in seen:
                        seen.add(f)
                        out.append(f)
        elif p not in seen:
            seen.add(p)
            out.append(p)
    return out


def read_source(path: Path, max_bytes: int) -> tuple[str | None, str | None]:
    """(text, None) or (None, one-line reason)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    if path.suffix not in C_SUFFIXES:
        return None, "not a C source file (.c or .h); skipped"
    if size > max_bytes:
        return None, f"file is {size} bytes, over the {max_bytes}-byte limit; skipped"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    if b"\0" in raw[:65536]:
        return None, "binary file (contains NUL bytes); skipped"
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        # Old drivers carry Latin-1 in comments; code-point columns stay right.
        return raw.decode("latin-1"), None


def _knowledge_digest() -> str:
    data = resources.files("kernlint").joinpath("data/kernel_api.toml").read_bytes()
    return hashlib.sha1(data).hexdigest()[:12]


def default_cache_dir() -> Path:
    base = os.environ.get("KERNLINT_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "kernlint"


@dataclass
class ResultCache:
    root: Path
    salt: str

    def _file(self, digest: str) -> Path:
        return self.root / "results" / digest[:2] / f"{digest}.json"

    def key(self, text: str, path: str) -> str:
        h = hashlib.sha1()
        h.update(self.salt.encode())
        h.update(path.encode())
        h.update(b"\0")
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def get(self, key: str) -> FileResult | None:
        f = self._file(key)
        try:
            doc = json.loads(f.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        try:
            r = FileResult(doc["path"])
            r.findings = [finding_from_dict(d)[1] for d in doc["findings"]]
            r.errors = list(doc.get("errors", []))
            r.notes = list(doc.get("notes", []))
            r.functions = int(doc.get("functions", 0))
            r.error_nodes = int(doc.get("error_nodes", 0))
            return r
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, key: str, r: FileResult) -> None:
        f = self._file(key)
        try:
            f.parent.mkdir(parents=True, exist_ok=True)
            doc = {"path": r.path, "findings": [finding_to_dict(x, r.path) for x in r.findings],
                   "errors": r.errors, "notes": r.notes, "functions": r.functions,
                   "error_nodes": r.error_nodes}
            tmp = f.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(doc), "utf-8")
            os.replace(tmp, f)
        except OSError:
            pass  # a cache that cannot be written is only slower


_ENGINE: Engine | None = None
_CACHE: ResultCache | None = None
_MAX_BYTES = 8 * 1024 * 1024


def _init_worker(config: Config, cache_root: str | None) -> None:
    global _ENGINE, _CACHE, _MAX_BYTES
    _ENGINE = Engine(config)
    _MAX_BYTES = config.max_file_bytes
    _CACHE = ResultCache(Path(cache_root), _salt(config)) if cache_root else None


def _salt(config: Config) -> str:
    return f"{__version__}:{_knowledge_digest()}:{config.fingerprint()}:{_code_digest()}"


def _code_digest() -> str:
    h = hashlib.sha1()
    pkg = Path(__file__).parent
    for f in sorted(pkg.rglob("*.py")):
        try:
            h.update(f.read_bytes())
        except OSError:
            pass
    return h.hexdigest()[:12]


def check_one(path_str: str) -> tuple[FileResult, bool]:
    """Worker entry: (result, came from cache)."""
    assert _ENGINE is not None
    path = Path(path_str)
    text, err = read_source(path, _MAX_BYTES)
    if text is None:
        r = FileResult(path_str)
        r.errors.append(f"{path_str}: {err}")
        return r, False
    key = _CACHE.key(text, path_str) if _CACHE is not None else ""
    if _CACHE is not None:
        got = _CACHE.get(key)
        if got is not None:
            got.path = path_str
            return got, True
    try:
        r = _ENGINE.analyze_text(text, path_str)
    except RecursionError:
        r = FileResult(path_str)
        r.notes.append(f"{path_str}: nesting too deep for the parser walk; skipped")
    except Exception as exc:  # never lose the whole run to one file
        r = FileResult(path_str)
        r.notes.append(f"{path_str}: internal error ({exc!r}); skipped")
    if _CACHE is not None:
        _CACHE.put(key, r)
    return r, False


@dataclass
class RunStats:
    files: int = 0
    cached: int = 0
    seconds: float = 0.0
    functions: int = 0
    files_with_error_nodes: int = 0


def run_check(paths: list[Path], config: Config, jobs: int, cache_root: Path | None,
              progress: Callable[[int, int, str], None] | None = None
              ) -> tuple[list[FileResult], RunStats]:
    t0 = time.perf_counter()
    names = [str(p) for p in paths]
    results: list[FileResult] = []
    stats = RunStats(files=len(names))
    root = str(cache_root) if cache_root is not None else None

    def consume(it: Iterator[tuple[FileResult, bool]]) -> None:
        for i, (r, cached) in enumerate(it, 1):
            results.append(r)
            stats.cached += int(cached)
            stats.functions += r.functions
            stats.files_with_error_nodes += int(r.error_nodes > 0)
            if progress is not None:
                progress(i, len(names), r.path)

    if jobs <= 1 or len(names) < 8:
        _init_worker(config, root)
        consume(check_one(n) for n in names)
    else:
        # Larger files first keeps the pool busy to the end.
        order = sorted(names, key=lambda n: -_size(n))
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                 initargs=(config, root)) as pool:
            consume(pool.map(check_one, order, chunksize=4))
        index = {n: i for i, n in enumerate(names)}
        results.sort(key=lambda r: index.get(r.path, 0))
    stats.seconds = time.perf_counter() - t0
    return results, stats


def _size(n: str) -> int:
    try:
        return os.stat(n).st_size
    except OSError:
        return 0


def terminal_progress() -> Callable[[int, int, str], None] | None:
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    last = [0.0]

    def show(i: int, total: int, path: str) -> None:
        now = time.monotonic()
        if i != total and now - last[0] < 0.1:
            return
        last[0] = now
        width = 30
        done = int(width * i / max(total, 1))
        tail = path[-40:]
        sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {i}/{total} {tail:<40}")
        if i == total:
            sys.stderr.write("\r" + " " * (width + 60) + "\r")
        sys.stderr.flush()

    return show
