"""Model <-> LSP conversion. Columns in the model are code points; the client's are the
negotiated position encoding (UTF-16 unless the client offered utf-8 / utf-32)."""

from __future__ import annotations

import functools
from pathlib import Path

from lsprotocol import types as t
from pygls.uris import from_fs_path, to_fs_path

from ..model import Finding, Fix, Severity, Span, TextEdit
from .documents import TextLines

SOURCE = "kernlint"


@functools.cache
def _docs_url() -> str:
    # output.py owns the URL; imported on first use (it pulls in the rule registry)
    from ..output import DOCS_URL

    return DOCS_URL


def docs_url(code: str) -> str:
    return _docs_url().format(code=code)

_SEVERITY = {
    Severity.ERROR: t.DiagnosticSeverity.Error,
    Severity.WARNING: t.DiagnosticSeverity.Warning,
    Severity.INFO: t.DiagnosticSeverity.Information,
    Severity.HINT: t.DiagnosticSeverity.Hint,
}

# Rules whose finding marks code that is dead or deprecated (rendered faded / struck through).
_TAGS: dict[str, list[t.DiagnosticTag]] = {}


def encoding_name(enc: object) -> str:
    value = getattr(enc, "value", enc)
    return str(value) if value else "utf-16"


def path_to_uri(path: str) -> str:
    return from_fs_path(str(Path(path).resolve())) or path


def uri_to_path(uri: str) -> str:
    return to_fs_path(uri) or uri


def span_to_range(span: Span, lines: TextLines, encoding: str) -> t.Range:
    return t.Range(
        start=t.Position(span.start_line, lines.to_client(span.start_line, span.start_col, encoding)),
        end=t.Position(span.end_line, lines.to_client(span.end_line, span.end_col, encoding)),
    )


class DiagnosticOptions:
    """What the client accepts in a diagnostic (from its capabilities)."""

    def __init__(self, caps: t.ClientCapabilities | None) -> None:
        pd = caps.text_document.publish_diagnostics if caps and caps.text_document else None
        self.related = bool(pd and pd.related_information)
        self.code_description = bool(pd and pd.code_description_support)
        self.tags: set[int] = set(pd.tag_support.value_set) if pd and pd.tag_support else set()
        self.data = bool(pd and pd.data_support)


def finding_to_diagnostic(f: Finding, uri: str, lines: TextLines, encoding: str,
                          opts: DiagnosticOptions | None = None) -> t.Diagnostic:
    related = None
    if f.related and (opts is None or opts.related):
        related = []
        for r in f.related:
            if r.path is None:
                rng = span_to_range(r.span, lines, encoding)
                ruri = uri
            else:  # another file: we do not have its text; columns are code points
                rng = t.Range(t.Position(r.span.start_line, r.span.start_col),
                              t.Position(r.span.end_line, r.span.end_col))
                ruri = path_to_uri(r.path)
            related.append(t.DiagnosticRelatedInformation(t.Location(ruri, rng), r.message))
    tags = [tag for tag in _TAGS.get(f.rule, []) if opts is None or int(tag) in opts.tags] or None
    href = docs_url(f.rule)
    return t.Diagnostic(
        range=span_to_range(f.span, lines, encoding),
        message=f.message,
        severity=_SEVERITY.get(f.severity, t.DiagnosticSeverity.Warning),
        code=f.rule,
        code_description=(t.CodeDescription(href=href)
                          if opts is None or opts.code_description else None),
        source=SOURCE,
        related_information=related,
        tags=tags,
        data={"fingerprint": f.fingerprint, "function": f.function, "resource": f.resource},
    )


def text_edit(e: TextEdit, lines: TextLines, encoding: str) -> t.TextEdit:
    return t.TextEdit(range=span_to_range(e.span, lines, encoding), new_text=e.new_text)


def fix_to_workspace_edit(fix: Fix, uri: str, version: int, lines: TextLines, encoding: str,
                          document_changes: bool) -> t.WorkspaceEdit:
    """Edits for the analysed document are pinned to `version` (a versioned TextDocumentEdit)
    when the client supports documentChanges, so a client refuses them once the text moved on."""
    per_uri: dict[str, list[t.TextEdit]] = {}
    for e in fix.edits:
        if e.path is None:
            per_uri.setdefault(uri, []).append(text_edit(e, lines, encoding))
        else:  # another file (e.g. a header); columns are code points (ASCII in practice)
            rng = t.Range(t.Position(e.span.start_line, e.span.start_col),
                          t.Position(e.span.end_line, e.span.end_col))
            per_uri.setdefault(path_to_uri(e.path), []).append(t.TextEdit(rng, e.new_text))
    if not document_changes:
        return t.WorkspaceEdit(changes=per_uri)
    return t.WorkspaceEdit(document_changes=[
        t.TextDocumentEdit(
            text_document=t.OptionalVersionedTextDocumentIdentifier(
                uri=u, version=version if u == uri else None),
            edits=list(edits))
        for u, edits in per_uri.items()])
