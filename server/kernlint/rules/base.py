"""What every rule sees and how it reports."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..cfg import call_name, closure, last_index
from ..facts import ExitRecord, FunctionFacts, Summary, norm
from ..knowledge import Knowledge
from ..model import Finding, Related, Severity, Span
from ..syntax import ParsedFile, descendants


@dataclass
class FunctionContext:
    parsed: ParsedFile
    facts: FunctionFacts
    knowledge: Knowledge
    summaries: Mapping[str, Summary] = field(default_factory=dict)  # the file's static helpers
    _dead_calls: list[tuple[str, int, str, list[str]]] | None = field(default=None, repr=False)

    def span_of_node(self, node_id: int) -> Span:
        cfg = self.facts.cfg
        assert cfg is not None
        n = cfg.nodes[node_id]
        if n.kind == "exit" or n.ast is None:
            body = self.facts.function.body
            end = body.end_byte
            return self.parsed.lines.span(max(end - 1, body.start_byte), end)
        ast = n.ast
        if ast.type == "return_statement" or n.kind in ("stmt", "goto", "return", "noreturn"):
            return self.parsed.lines.node_span(ast)
        return self.parsed.lines.node_span(ast)

    def line_text(self, node_id: int) -> str:
        cfg = self.facts.cfg
        assert cfg is not None
        n = cfg.nodes[node_id]
        if n.ast is None:
            return ""
        return re.sub(r"\s+", " ", self.parsed.original_text_of(n.ast)).strip()[:80]

    def path_steps(self, ex: ExitRecord, since: int | None = None, limit: int = 6) -> list[Related]:
        """Branches taken on the path to ex (after the node `since`), newest last."""
        cfg = self.facts.cfg
        assert cfg is not None
        path = self.facts.path_to(ex.node, ex.state)
        if since is not None and since in path:
            path = path[last_index(path, since):]
        steps: list[Related] = []
        for a, b in itertools.pairwise(path):
            node = cfg.nodes[a]
            if node.kind == "cond" and node.ast is not None and len(node.succ) == 2 \
                    and node.succ[0] != node.succ[1]:
                taken = "true" if b == node.succ[0] else "false"
                cond = re.sub(r"\s+", " ", self.parsed.original_text_of(node.ast))[:60]
                steps.append(Related(self.parsed.lines.node_span(node.ast),
                                     f"`{cond}` is {taken} here"))
            elif node.kind == "goto" and node.ast is not None:
                steps.append(Related(self.parsed.lines.node_span(node.ast),
                                     f"jumps to `{node.data.get('label')}`"))
        return steps[-limit:]

    def dead_label_calls(self) -> list[tuple[str, int, str, list[str]]]:
        """Calls in code under a label that no walked path reaches (the jump there was typed
        as a return): (label, CFG node, callee, argument texts)."""
        cached = self._dead_calls
        if cached is not None:
            return cached
        out: list[tuple[str, int, str, list[str]]] = []
        cfg = self.facts.cfg
        visited = self.facts.must_locks.keys()
        if cfg is not None and self.facts.walked:
            for label, lid in cfg.labels.items():
                if lid in visited:
                    continue
                region = closure([lid], lambda n: [s for s in cfg.nodes[n].succ
                                                   if s not in visited])
                for n in sorted(region):
                    node = cfg.nodes[n]
                    if node.kind not in ("stmt", "cond") or node.ast is None:
                        continue
                    for a in descendants(node.ast, "call_expression"):
                        args_node = a.child_by_field_name("arguments")
                        args = [norm(self.parsed.text_of(x)).lstrip("&")
                                for x in (args_node.named_children if args_node else [])
                                if x.type != "comment"]
                        out.append((label, n, call_name(self.parsed, a), args))
        self._dead_calls = out
        return out

    def first_goto(self, ex: ExitRecord, since: int | None) -> int | None:
        cfg = self.facts.cfg
        assert cfg is not None
        path = self.facts.path_to(ex.node, ex.state)
        if since is not None and since in path:
            path = path[last_index(path, since):]
        for nid in path:
            if cfg.nodes[nid].kind == "goto":
                return nid
        return None


@dataclass
class FileContext:
    parsed: ParsedFile
    functions: list[FunctionFacts]
    knowledge: Knowledge
    extra: dict[str, object] = field(default_factory=dict)


class Rule:
    """Base class. Subclasses set the class attributes and override one check method."""

    code: str = ""
    name: str = ""
    summary: str = ""
    severity: Severity = Severity.WARNING
    scope: str = "function"  # or "file"
    fix_safety: str = ""

    def check_function(self, ctx: FunctionContext) -> Iterable[Finding]:
        return ()

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        return ()

    def finding(self, ctx: FunctionContext | FileContext, span: Span, message: str, function: str,
                resource: str = "", related: Iterable[Related] = (),
                data: dict[str, object] | None = None) -> Finding:
        return Finding(self.code, message, span, self.severity, function, resource,
                       tuple(related), dict(data or {}))

