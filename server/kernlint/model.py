"""Plain data passed between the layers: spans, findings, edits and fixes.

Nothing here knows about tree-sitter, LSP or the CLI; every layer can import it.
Lines and columns are 0-based; columns count Unicode code points of the line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "information"
    HINT = "hint"


class Applicability(StrEnum):
    """How far a fix may be trusted (after verification)."""

    SAFE = "safe"  # may be applied in bulk without review
    UNSAFE = "unsafe"  # correct for the finding, but changes behaviour a human should read
    SUGGESTION = "suggestion"  # shown, never applied automatically (e.g. LLM drafts)


@dataclass(frozen=True, order=True)
class Span:
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    start_byte: int = 0
    end_byte: int = 0

    def contains_line(self, line: int) -> bool:
        return self.start_line <= line <= self.end_line


@dataclass(frozen=True)
class Related:
    span: Span
    message: str
    path: str | None = None  # None: same file as the finding


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    span: Span
    severity: Severity
    function: str
    resource: str = ""
    related: tuple[Related, ...] = ()
    # Rule-specific facts a fixer needs (acquire site, release call text, lock...).
    data: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def fingerprint(self) -> str:
        """Stable identity that survives unrelated edits (used by baselines and caches)."""
        key = f"{self.rule}|{self.function}|{self.resource}|{self.message}"
        return hashlib.sha1(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TextEdit:
    span: Span
    new_text: str
    path: str | None = None  # None: the analysed file


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[TextEdit, ...]
    applicability: Applicability
    rule: str
    finding: Finding | None = None
    kind: str = "quickfix"  # or "refactor.rewrite"
    fix_id: str = ""  # stable id of the fix template
    # Line ranges (0-based [start, end) of the original text) the fix edits besides its
    # finding's function, e.g. the remove() callback of a managed-API conversion.
    sites: tuple[tuple[int, int], ...] = ()


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # bad input: the file could not be checked
    notes: list[str] = field(default_factory=list)  # functions skipped (bounds, internal errors)
    functions: int = 0
    error_nodes: int = 0
