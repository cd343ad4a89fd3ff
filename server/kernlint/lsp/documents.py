"""Open documents: their text, incremental edits, and the per-document analysis state.

Protocol-free: positions arrive as (line, character) in the negotiated position encoding
("utf-8", "utf-16" or "utf-32"); lines are split on "\\n" only, like the engine's line index
(a "\\r" before it is part of the line's text).

Threading: the event loop owns `text`, `version` and `lines`; the analysis worker thread owns
`parsed`, `cache`, `analysis` and `fixes` (see analysis.py). Nothing else touches them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from ..engine import Analysis, FunctionCache
    from ..model import Finding, Fix
    from ..syntax import ParsedFile

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
_NL = re.compile("\n")


def _starts(text: str) -> list[int]:
    return [0, *(m.end() for m in _NL.finditer(text))]


def units(s: str, encoding: str) -> int:
    """Length of s in the encoding's code units."""
    if encoding == UTF32 or s.isascii():
        return len(s)
    if encoding == UTF8:
        return len(s.encode("utf-8", "surrogatepass"))
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


class TextLines:
    """Immutable view of a text with line starts (code-point offsets) and unit conversion."""

    __slots__ = ("ascii", "starts", "text")

    def __init__(self, text: str, starts: list[int] | None = None) -> None:
        self.text = text
        self.starts = starts if starts is not None else _starts(text)
        self.ascii = text.isascii()

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line(self, i: int) -> str:
        """Line i without its newline; "" past the end."""
        if i < 0 or i >= len(self.starts):
            return ""
        end = self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[i] : end]

    def to_client(self, line: int, col: int, encoding: str) -> int:
        """Code-point column -> column in the client's units."""
        if self.ascii or encoding == UTF32:
            return col
        return units(self.line(line)[:col], encoding)

    def from_client(self, line: int, character: int, encoding: str) -> int:
        """Column in the client's units -> code-point column (clamped to the line)."""
        text = self.line(line)
        if self.ascii or encoding == UTF32 or text.isascii():
            return max(0, min(character, len(text)))
        used = 0
        for i, ch in enumerate(text):
            if used >= character:
                return i
            used += units(ch, encoding)
        return len(text)

    def offset(self, line: int, character: int, encoding: str) -> int:
        """Client position -> code-point offset into text (clamped to the document)."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        return self.starts[line] + self.from_client(line, character, encoding)

    def splice(self, start: int, end: int, new: str) -> TextLines:
        """A new TextLines with text[start:end] replaced by new (line starts updated locally)."""
        text = self.text
        start = max(0, min(start, len(text)))
        end = max(start, min(end, len(text)))
        out = text[:start] + new + text[end:]
        sl = bisect.bisect_right(self.starts, start) - 1
        el = bisect.bisect_right(self.starts, end) - 1
        delta = len(new) - (end - start)
        starts = self.starts[: sl + 1]
        starts.extend(start + m.end() for m in _NL.finditer(new))
        starts.extend(s + delta for s in self.starts[el + 1 :])
        return TextLines(out, starts)


@dataclass
class Change:
    """One content change: range None means the whole text."""

    text: str
    start: tuple[int, int] | None = None
    end: tuple[int, int] | None = None


@dataclass
class Fixes:
    """Code-action candidates computed for one document version (worker-owned)."""

    version: int
    by_finding: dict[str, list[Fix]] = field(default_factory=dict)


@dataclass
class Document:
    uri: str
    path: str
    version: int
    lines: TextLines
    language_id: str = "c"
    # ---- worker-owned analysis state ----
    parsed: ParsedFile | None = None
    cache: FunctionCache | None = None  # created by the worker (keeps engine imports lazy)
    analysis: Analysis | None = None
    analysed_version: int | None = None  # version `analysis` (or `too_big`) belongs to
    analysed_text: TextLines | None = None
    too_big: bool = False
    fixes: Fixes | None = None
    # ---- loop-owned presentation state ----
    findings: list[Finding] = field(default_factory=list)
    findings_version: int | None = None  # version the findings (and diagnostics) are for
    diagnostics: list[Any] = field(default_factory=list)  # last converted diagnostics
    published_version: int | None = None
    pulled: bool = False  # the client pulls diagnostics for this document; do not push
    closed: bool = False
    task: asyncio.Task[None] | None = None
    running: bool = False

    @property
    def text(self) -> str:
        return self.lines.text

    def apply(self, changes: list[Change], version: int, encoding: str) -> None:
        lines = self.lines
        for ch in changes:
            if ch.start is None or ch.end is None:
                lines = TextLines(ch.text)
                continue
            a = lines.offset(ch.start[0], ch.start[1], encoding)
            b = lines.offset(ch.end[0], ch.end[1], encoding)
            if b < a:
                a, b = b, a
            lines = lines.splice(a, b, ch.text)
        self.lines = lines
        self.version = version


class DocumentStore:
    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}

    def open(self, uri: str, path: str, version: int, text: str, language_id: str = "c") -> Document:
        old = self._docs.get(uri)
        if old is not None:
            old.closed = True
        doc = Document(uri, path, version, TextLines(text), language_id)
        self._docs[uri] = doc
        return doc

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def close(self, uri: str) -> Document | None:
        doc = self._docs.pop(uri, None)
        if doc is not None:
            doc.closed = True
            if doc.task is not None and not doc.running:
                doc.task.cancel()
        return doc

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._docs.values()))

    def __len__(self) -> int:
        return len(self._docs)
