"""Verified rewrites on disk, so asking twice does not pay (or wait) twice.

Key: the function's text hash, the finding's fingerprint, the model, the api_base and the
template version. Only verified answers are stored (a failed attempt may succeed when asked
again), and a hit is verified again against the current document before it is offered, so a
stale entry can never produce an unchecked edit. Entries are JSON files under
`<kernlint cache dir>/llm/`; deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

CACHE_FORMAT = 1


def cache_key(function_hash: str, fingerprint: str, model: str, api_base: str,
              template_version: str) -> str:
    blob = json.dumps([CACHE_FORMAT, function_hash, fingerprint, model, api_base,
                       template_version])
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class FixCache:
    root: Path | None  # None: no caching

    @classmethod
    def default(cls) -> FixCache:
        from ..runner import default_cache_dir

        return cls(default_cache_dir() / "llm")

    def _file(self, key: str) -> Path | None:
        return None if self.root is None else self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, object] | None:
        f = self._file(key)
        if f is None:
            return None
        try:
            data = json.loads(f.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT \
                or not isinstance(data.get("function_text"), str):
            return None
        return data

    def put(self, key: str, function_text: str, **meta: object) -> None:
        f = self._file(key)
        if f is None:
            return
        try:
            f.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=f.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"format": CACHE_FORMAT, "function_text": function_text, **meta}, out)
            os.replace(tmp, f)
        except OSError:
            pass  # a cache that cannot be written is just a slower cache
