"""Serialising findings: JSON (our own schema), SARIF 2.1.0, and terminal text."""

from __future__ import annotations

import json
from typing import Any

from . import __version__
from .model import FileResult, Finding, Related, Severity, Span
from .rules import REGISTRY

DOCS_URL = "https://kernlint.dev/rules/{code}"  # the rule pages generated from docstrings (docs/rules.md)


def span_to_dict(s: Span) -> dict[str, int]:
    return {"line": s.start_line + 1, "column": s.start_col + 1, "end_line": s.end_line + 1,
            "end_column": s.end_col + 1}


def finding_to_dict(f: Finding, path: str) -> dict[str, Any]:
    d: dict[str, Any] = {"rule": f.rule, "severity": f.severity.value, "message": f.message,
                         "path": path}
    d.update(span_to_dict(f.span))
    d["function"] = f.function
    d["resource"] = f.resource
    d["fingerprint"] = f.fingerprint
    d["related"] = [dict(path=r.path or path, message=r.message, **span_to_dict(r.span))
                    for r in f.related]
    return d


def finding_from_dict(d: dict[str, Any]) -> tuple[str, Finding]:
    def span(x: dict[str, Any]) -> Span:
        return Span(int(x["line"]) - 1, int(x["column"]) - 1, int(x["end_line"]) - 1,
                    int(x["end_column"]) - 1)

    related = tuple(Related(span(r), str(r["message"]),
                            None if r.get("path") == d["path"] else r.get("path"))
                    for r in d.get("related", []))
    f = Finding(str(d["rule"]), str(d["message"]), span(d), Severity(d["severity"]),
                str(d.get("function", "")), str(d.get("resource", "")), related)
    return str(d["path"]), f


def to_json(results: list[FileResult], stats: dict[str, Any]) -> str:
    findings = [finding_to_dict(f, r.path) for r in results for f in r.findings]
    errors = [{"path": r.path, "message": e} for r in results for e in r.errors]
    doc = {"tool": "kernlint", "version": __version__, "files_checked": len(results),
           "findings": findings, "errors": errors, "stats": stats}
    return json.dumps(doc, indent=2)


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note",
                Severity.HINT: "note"}


def _sarif_region(s: Span) -> dict[str, int]:
    return {"startLine": s.start_line + 1, "startColumn": s.start_col + 1,
            "endLine": s.end_line + 1, "endColumn": s.end_col + 1}


def to_sarif(results: list[FileResult], root_uri: str | None = None) -> str:
    rules = []
    index = {}
    for i, cls in enumerate(REGISTRY):
        index[cls.code] = i
        doc = (cls.__module__ and __import__(cls.__module__, fromlist=["x"]).__doc__) or ""
        rules.append({
            "id": cls.code,
            "name": cls.name,
            "shortDescription": {"text": cls.summary},
            "fullDescription": {"text": doc.strip().split("\n\n")[0].replace("\n", " ")},
            "help": {"text": doc.strip(), "markdown": doc.strip()},
            "helpUri": DOCS_URL.format(code=cls.code),
            "defaultConfiguration": {"level": _SARIF_LEVEL[cls.severity]},
            "properties": {"tags": ["kernel", cls.name], "precision": "high"},
        })
    sarif_results = []
    for r in results:
        for f in r.findings:
            loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": r.path},
                                        "region": _sarif_region(f.span)}}
            if f.function:
                loc["logicalLocations"] = [{"name": f.function, "kind": "function"}]
            res: dict[str, Any] = {
                "ruleId": f.rule,
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [loc],
                "partialFingerprints": {"kernlint/v1": f.fingerprint},
            }
            if f.rule in index:
                res["ruleIndex"] = index[f.rule]
            if f.related:
                res["relatedLocations"] = [
                    {"id": i + 1, "message": {"text": rel.message},
                     "physicalLocation": {"artifactLocation": {"uri": rel.path or r.path},
                                          "region": _sarif_region(rel.span)}}
                    for i, rel in enumerate(f.related)]
            sarif_results.append(res)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "kernlint", "version": __version__,
                            "informationUri": "https://kernlint.dev", "rules": rules}},
        "results": sarif_results,
        "columnKind": "unicodeCodePoints",
    }
    if root_uri:
        run["originalUriBaseIds"] = {"SRCROOT": {"uri": root_uri}}
    sarif: dict[str, Any] = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                             "version": "2.1.0", "runs": [run]}
    return json.dumps(sarif, indent=2)


def to_text(results: list[FileResult], color: bool = False, show_related: bool = True) -> str:
    lines = []
    bold = "\033[1m" if color else ""
    reset = "\033[0m" if color else ""
    sev_color = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m"} if color else {}
    for r in results:
        for f in r.findings:
            c = sev_color.get(f.severity, "")
            lines.append(f"{bold}{r.path}:{f.span.start_line + 1}:{f.span.start_col + 1}:{reset} "
                         f"{c}{f.rule}{reset} {f.message} [{f.function}]")
            if show_related:
                for rel in f.related:
                    lines.append(f"    {rel.path or r.path}:{rel.span.start_line + 1}: {rel.message}")
    return "\n".join(lines)
