"""The prompt: a versioned template filled with the function and what a reader needs to fix it.

The packaged template is `data/llm_prompt_v1.txt`; `[llm] template = "path"` points to a
user's own. Templates use `$name` placeholders (string.Template, so the C braces in a
template need no escaping); unknown placeholders are left as they are. The template version
("v1", or "user-<hash of the file>") is part of the fix cache key, so editing a template
never serves answers made with the old one.

Placeholders: path, function_name, function_start, function_end, function, rule, message,
resource, finding_line, finding_code, path_steps, rule_doc, guidance, structs, labels, locks.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import tree_sitter

from ..config import LlmSettings
from ..docs import rule_doc_markdown
from ..knowledge import Knowledge
from ..model import Finding
from ..syntax import Function, ParsedFile

PACKAGED_TEMPLATE = "llm_prompt_v1.txt"
PACKAGED_VERSION = "v1"
MAX_STRUCT_CHARS = 6000

SYSTEM_MESSAGE = ("You are an experienced Linux kernel developer. You fix resource, lock and "
                  "reference-count bugs in driver code with minimal, correct changes.")

# Short, our own words: the kernel idioms a correct fix for each family usually needs.
GUIDANCE: dict[str, str] = {
    "KL1": (
        "- kmalloc/kzalloc/kcalloc/kstrdup/kmemdup memory is freed with kfree(); vmalloc/"
        "kvmalloc with vfree()/kvfree().\n"
        "- snd_card_new() is undone by snd_card_free() until snd_card_register() succeeds; "
        "objects created on a card (PCM, controls) belong to the card afterwards.\n"
        "- request_irq() is undone by free_irq(irq, dev_id); ioremap() by iounmap(); "
        "clk_prepare_enable() by clk_disable_unprepare().\n"
        "- devm_*/pcim_* resources are released by the driver core: never free them by hand.\n"
        "- A probe that fails part-way usually jumps to a ladder of labels that undo the steps "
        "in reverse order; the label for step N undoes step N-1 and falls through."),
    "KL2": (
        "- Every return path must release what the function locked: mutex_lock/mutex_unlock, "
        "spin_lock/spin_unlock, spin_lock_irqsave(lock, flags)/spin_unlock_irqrestore(lock, "
        "flags) with the same flags variable, down/up.\n"
        "- Prefer setting the error code and jumping to the existing unlock label over a "
        "second unlock call before the return.\n"
        "- Never unlock a lock the path did not take, and never return to user space with a "
        "spinlock held."),
    "KL3": (
        "- Reference getters pair with putters: of_get_*/of_find_*/of_parse_phandle with "
        "of_node_put(); get_device/bus_find_device with put_device(); pci_get_* with "
        "pci_dev_put(); kobject_get with kobject_put(); fwnode_* with fwnode_handle_put().\n"
        "- Loop macros such as for_each_child_of_node() hold a reference to the current node; "
        "leaving the loop early (break, return, goto) must drop it, unless the node is stored "
        "or returned.\n"
        "- Drop the reference after the last use of the object, on every path."),
    "KR4": (
        "- Data shared with an interrupt handler or a timer is protected by a spinlock taken "
        "with spin_lock_irqsave() in process context.\n"
        "- Take the same lock that other accesses of the field take; do not invent a new one."),
    "KA5": (
        "- Code holding a spinlock, or running in interrupt context, must not sleep: use "
        "GFP_ATOMIC instead of GFP_KERNEL, and move sleeping calls (msleep, mutex_lock, "
        "copy_to_user) outside the locked region."),
}


class TemplateError(ValueError):
    pass


@dataclass
class Template:
    text: str
    version: str
    source: str


def load_template(settings: LlmSettings) -> Template:
    if settings.template:
        p = Path(settings.template).expanduser()
        try:
            text = p.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(f"llm.template {settings.template}: cannot read ({exc})") from exc
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        return Template(text, f"user-{digest}", str(p))
    text = resources.files("kernlint").joinpath(f"data/{PACKAGED_TEMPLATE}").read_text("utf-8")
    return Template(text, PACKAGED_VERSION, PACKAGED_TEMPLATE)


def find_function(parsed: ParsedFile, name: str) -> Function | None:
    for fn in parsed.functions:
        if fn.name == name:
            return fn
    return None


def _walk(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(n.children))
    return out


def _structs(parsed: ParsedFile, fn: Function) -> str:
    used = set(re.findall(r"\bstruct\s+([A-Za-z_]\w*)", parsed.original_text_of(fn.node)))
    found: list[str] = []
    total = 0
    for n in parsed.tree.root_node.children:
        if n.type not in ("struct_specifier", "declaration", "type_definition"):
            continue
        for s in _walk(n):
            if s.type != "struct_specifier":
                continue
            name = s.child_by_field_name("name")
            body = s.child_by_field_name("body")
            if name is None or body is None or parsed.text_of(name) not in used:
                continue
            text = parsed.original_text_of(n).strip()
            if total + len(text) > MAX_STRUCT_CHARS:
                found.append(f"/* struct {parsed.text_of(name)}: omitted (too long) */")
                continue
            found.append(text)
            total += len(text)
            break
    return "\n\n".join(found) if found else "(none in this file)"


def _labels(parsed: ParsedFile, fn: Function) -> str:
    names = []
    for n in _walk(fn.body):
        if n.type == "labeled_statement":
            label = n.child_by_field_name("label")
            if label is not None:
                names.append(f"{parsed.text_of(label)} (line {n.start_point[0] + 1})")
    return ", ".join(names) if names else "(none)"


def _locks(parsed: ParsedFile, fn: Function, knowledge: Knowledge | None) -> str:
    if knowledge is None:
        return "(not known)"
    out = []
    for n in _walk(fn.body):
        if n.type != "call_expression":
            continue
        f = n.child_by_field_name("function")
        if f is None or f.type != "identifier":
            continue
        name = parsed.text_of(f)
        op = knowledge.locks.get(name)
        if op is None:
            continue
        text = re.sub(r"\s+", " ", parsed.original_text_of(n))
        verb = "releases" if op.op == "release" else "takes"
        out.append(f"- line {n.start_point[0] + 1}: {text} ({verb} a {op.lock_class})")
    return "\n".join(out) if out else "(none)"


def _line(parsed: ParsedFile, line: int) -> str:
    lines = parsed.text.splitlines()
    return lines[line].strip() if 0 <= line < len(lines) else ""


def _path_steps(finding: Finding, parsed: ParsedFile) -> str:
    steps = []
    for r in finding.related:
        where = f"line {r.span.start_line + 1}"
        if r.path is not None:
            where = f"{r.path}:{r.span.start_line + 1}"
        steps.append(f"- {where}: {r.message}")
    steps.append(f"- line {finding.span.start_line + 1}: {_line(parsed, finding.span.start_line)}"
                 f"   <-- {finding.rule} reported here")
    return "\n".join(steps)


def guidance_for(rule: str) -> str:
    for prefix, text in GUIDANCE.items():
        if rule.startswith(prefix):
            return text
    return "(none)"


def prompt_fields(parsed: ParsedFile, fn: Function, finding: Finding,
                  knowledge: Knowledge | None) -> dict[str, str]:
    doc = rule_doc_markdown(finding.rule) or f"{finding.rule}: {finding.message}"
    return {
        "path": parsed.path,
        "function_name": fn.name,
        "function_start": str(fn.span.start_line + 1),
        "function_end": str(fn.span.end_line + 1),
        "function": parsed.original_text_of(fn.node),
        "rule": finding.rule,
        "message": finding.message,
        "resource": finding.resource or "(none)",
        "finding_line": str(finding.span.start_line + 1),
        "finding_code": _line(parsed, finding.span.start_line),
        "path_steps": _path_steps(finding, parsed),
        "rule_doc": doc.strip(),
        "guidance": guidance_for(finding.rule),
        "structs": _structs(parsed, fn),
        "labels": _labels(parsed, fn),
        "locks": _locks(parsed, fn, knowledge),
    }


def render(template: Template, fields: dict[str, str]) -> str:
    return string.Template(template.text).safe_substitute(fields)


def build_messages(template: Template, parsed: ParsedFile, fn: Function, finding: Finding,
                   knowledge: Knowledge | None) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM_MESSAGE},
            {"role": "user", "content": render(template, prompt_fields(parsed, fn, finding,
                                                                      knowledge))}]


def repair_messages(first: list[dict[str, str]], answer: str, complaint: str,
                    function_name: str) -> list[dict[str, str]]:
    """The one repair round: the model sees its answer and why kernlint rejected it."""
    return [*first, {"role": "assistant", "content": answer},
            {"role": "user", "content": (
                f"kernlint rejected this answer: {complaint}.\n"
                f"Fix that and reply again with the complete function `{function_name}` only, "
                "in one fenced ```c block.")}]
