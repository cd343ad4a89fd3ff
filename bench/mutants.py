"""Mutation benchmark: does kernlint catch release bugs injected into real code?

From real functions of the extracted kernel tree (read at bench time, never
stored in the repository) this makes two kinds of mutant:

``delete``
    one call to a known release function (kfree, mutex_unlock, of_node_put,
    ...) that stands as a statement of its own on an error path is blanked
    out. An error path is either a nested block that ends in
    ``return <error>`` / ``goto``, or the unwind code of the function body
    after its first forward-jumped label.
``goto``
    one forward ``goto label;`` whose label starts unwind code (a release call
    before the next return) is replaced by ``return <what that unwind code
    returns>;`` (``return;`` in void functions, ``-EINVAL`` when the value is
    not a simple expression).

Mutations keep every line number (deletions are blanked to spaces; the goto
is rewritten on its own line), so findings of the original and the mutant
can be compared by (rule, function, line, resource).

A mutant counts as **flagged at the right exit** when kernlint reports, in
the mutated file, a leak/lock/refcount finding (KL1xx/KL2xx/KL3xx) that the
original file does not have, inside the mutated function, on a line within
+-2 of the mutation point or of an exit that the mutated path reaches:

* ``delete`` in a nested block: the ``return``/``goto`` that ends the block;
* ``delete`` in unwind code: every ``return`` after the deleted line, the
  function's closing brace, and every ``goto`` to a label between the first
  unwind label and the deleted line;
* ``goto``: the new ``return`` (which is the mutation point).

Also reported: *flagged anywhere* (a new such finding anywhere in the
mutated function) and the share of the original functions that already had
such a finding (noise baseline; should be low).

``--fixes`` then asks ``kernlint fix --diff`` for each flagged mutant,
applies the diff, re-checks it (the finding is gone and no new finding
appears) and compares the fixed function with the original one modulo
whitespace and label names.

Usage: python bench/mutants.py [--tree DIR] [--limit 400] [--seed 1] [--fixes]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tree_sitter
import tree_sitter_c

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kbench

# Release functions whose call may be deleted (known kernel API; names only).
RELEASE_FUNCS: frozenset[str] = frozenset(
    """
    kfree kvfree vfree kfree_sensitive kfree_const bitmap_free kmem_cache_free
    free_pages free_page __free_pages dma_free_coherent sg_free_table
    snd_card_free snd_card_free_when_closed snd_device_free snd_ctl_free_one
    snd_dma_free_pages snd_card_unref snd_power_unref
    release_firmware of_node_put fwnode_handle_put put_device pci_dev_put
    kobject_put module_put dev_put i2c_put_adapter platform_device_put
    usb_put_dev usb_put_intf usb_free_urb usb_free_coherent
    clk_put clk_disable_unprepare clk_disable clk_unprepare
    clk_bulk_disable_unprepare regulator_disable regulator_put gpiod_put
    iounmap pci_iounmap free_irq pci_release_regions pci_disable_device
    pci_free_irq_vectors release_region release_mem_region
    device_unregister platform_device_unregister i2c_unregister_device
    input_free_device input_unregister_device ida_free idr_remove
    pm_runtime_put pm_runtime_put_sync pm_runtime_put_autosuspend
    pm_runtime_put_noidle pm_runtime_put_sync_autosuspend
    snd_hda_power_down snd_hda_power_down_pm snd_usb_unlock_shutdown
    snd_usb_autosuspend
    mutex_unlock spin_unlock spin_unlock_irq spin_unlock_irqrestore
    spin_unlock_bh raw_spin_unlock raw_spin_unlock_irq
    raw_spin_unlock_irqrestore read_unlock read_unlock_irq
    read_unlock_irqrestore read_unlock_bh write_unlock write_unlock_irq
    write_unlock_irqrestore write_unlock_bh up up_read up_write
    rcu_read_unlock snd_pcm_stream_unlock snd_pcm_stream_unlock_irq
    snd_pcm_stream_unlock_irqrestore
    """.split()
)

# Unwind code: a label followed by a call like these before the next return.
_UNWIND_CALL_RE = re.compile(
    r"(free|put|release|unlock|destroy|unregister|disable|unmap|remove|cleanup|"
    r"deinit|unprepare|unref|_exit|_fini|_del)",
    re.IGNORECASE,
)
_ERR_NAME_RE = re.compile(r"^(err|error|ret|retval|rc|res|result|status|rv|r|e)\w*$", re.I)
_SIMPLE_EXPR_RE = re.compile(r"^[-\w>.()* ]{1,40}$")

# Annotations blanked before parsing (same length, so offsets stay exact).
_ANNOT_RE = re.compile(
    rb"\b__(user|iomem|init|exit|maybe_unused|force|rcu|percpu|must_check|initdata|"
    rb"initconst|exitdata|ref|cold|always_inline|always_unused|noinline|"
    rb"noinline_for_stack|bitwise|nocast|safe|acquires|releases|must_hold)\b"
)

LANGUAGE = tree_sitter.Language(tree_sitter_c.language())
Node = tree_sitter.Node


def parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(LANGUAGE)


def blank_annotations(src: bytes) -> bytes:
    return _ANNOT_RE.sub(lambda m: b" " * len(m.group(0)), src)


# ---------------------------------------------------------------- data types


@dataclass
class Mutant:
    """One mutation of one function of one file."""

    kind: str  # "delete" | "goto"
    file: str  # path relative to the tree
    function: str
    func_start_line: int  # 1-based, inclusive
    func_end_line: int
    line: int  # 1-based line of the mutation point
    start_byte: int
    end_byte: int
    replacement: str
    original_text: str
    exit_lines: list[int] = field(default_factory=list)
    note: str = ""
    # "unwind" / "block" for deletions, "goto" for goto mutants.
    where: str = ""
    # Another call with the same callee and arguments is left in the function
    # (the function's own exemplar of the release).
    exemplar: bool = True

    def apply(self, src: bytes) -> bytes:
        return src[: self.start_byte] + self.replacement.encode() + src[self.end_byte :]

    def uid(self) -> str:
        return f"{self.file}:{self.line}:{self.kind}"


# ---------------------------------------------------------------- tree helpers


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def function_name(fn: Node) -> str | None:
    decl = fn.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    if decl is None:
        return None
    ident = decl.child_by_field_name("declarator")
    if ident is None or ident.type not in ("identifier", "field_identifier"):
        return None
    return ident.text.decode() if ident.text else None


def called_name(stmt: Node) -> str | None:
    """Name of the function if ``stmt`` is exactly ``name(args);``."""
    if stmt.type != "expression_statement" or stmt.named_child_count != 1:
        return None
    call = stmt.named_children[0]
    if call.type != "call_expression":
        return None
    fn = call.child_by_field_name("function")
    if fn is None or fn.type != "identifier" or fn.text is None:
        return None
    return fn.text.decode()


def _call_sig(stmt: Node) -> str:
    """``name(args)`` of a call statement, whitespace removed."""
    return re.sub(r"\s+", "", (stmt.text or b"").decode(errors="replace")).rstrip(";")


def _stmts(block: Node) -> list[Node]:
    return [c for c in block.named_children if c.type != "comment"]


def _own_lines(stmt: Node, src: bytes) -> bool:
    """True if nothing but whitespace shares the statement's lines."""
    line_start = src.rfind(b"\n", 0, stmt.start_byte) + 1
    line_end = src.find(b"\n", stmt.end_byte)
    line_end = len(src) if line_end < 0 else line_end
    before = src[line_start : stmt.start_byte]
    after = src[stmt.end_byte : line_end]
    return not before.strip() and not after.strip()


def _is_error_return(stmt: Node) -> bool:
    if stmt.type == "goto_statement":
        return True
    if stmt.type != "return_statement":
        return False
    vals = [c for c in stmt.named_children if c.type != "comment"]
    if not vals:
        return False
    v = vals[0]
    text = (v.text or b"").decode()
    if v.type == "unary_expression" and text.startswith("-"):
        return True
    if v.type == "identifier":
        return bool(_ERR_NAME_RE.match(text)) or text == "NULL"
    if v.type == "call_expression":
        return text.startswith(("ERR_PTR", "PTR_ERR", "ERR_CAST"))
    if v.type == "null":
        return True
    return False


def _blank(stmt: Node, src: bytes) -> str:
    """Spaces/newlines covering the statement (keeps line numbers)."""
    return "".join(
        "\n" if ch == "\n" else " "
        for ch in src[stmt.start_byte : stmt.end_byte].decode(errors="replace")
    )


def _return_value_text(ret: Node) -> str | None:
    vals = [c for c in ret.named_children if c.type != "comment"]
    if not vals:
        return ""
    text = (vals[0].text or b"").decode()
    if "\n" in text or not _SIMPLE_EXPR_RE.match(text):
        return None
    return text


# ---------------------------------------------------------------- generation


def mutants_in_function(fn: Node, src: bytes, relpath: str) -> list[Mutant]:
    """All candidate mutants of one function_definition node."""
    name = function_name(fn)
    body = fn.child_by_field_name("body")
    if name is None or body is None or fn.has_error:
        return []
    fstart, fend = fn.start_point.row + 1, fn.end_point.row + 1
    top = _stmts(body)

    # Labels of the body's top level, with forward gotos to them.
    gotos: list[Node] = [n for n in _walk(body) if n.type == "goto_statement"]
    label_nodes: dict[str, Node] = {}
    for st in top:
        if st.type == "labeled_statement":
            lab_node = st.child_by_field_name("label")
            if lab_node is not None and lab_node.text:
                label_nodes[lab_node.text.decode()] = st

    def goto_label(g: Node) -> str:
        lab = g.child_by_field_name("label")
        return (lab.text or b"").decode() if lab is not None else ""

    forward_labels = {
        goto_label(g)
        for g in gotos
        if goto_label(g) in label_nodes and label_nodes[goto_label(g)].start_byte > g.start_byte
    }
    unwind_start = min((label_nodes[lab].start_byte for lab in forward_labels), default=None)
    returns = [n for n in _walk(body) if n.type == "return_statement"]

    out: list[Mutant] = []

    def make(
        kind: str,
        stmt: Node,
        repl: str,
        exits: list[int],
        note: str,
        where: str = "goto",
        exemplar: bool = True,
    ) -> Mutant:
        return Mutant(
            kind=kind,
            file=relpath,
            function=name,
            func_start_line=fstart,
            func_end_line=fend,
            line=stmt.start_point.row + 1,
            start_byte=stmt.start_byte,
            end_byte=stmt.end_byte,
            replacement=repl,
            original_text=(stmt.text or b"").decode(errors="replace"),
            exit_lines=sorted(set(exits)),
            note=note,
            where=where,
            exemplar=exemplar,
        )

    # (a) deletions --------------------------------------------------------
    release_sigs = Counter(
        _call_sig(n) for n in _walk(body) if n.type == "expression_statement" and called_name(n)
    )
    for node in _walk(body):
        callee = called_name(node)
        if callee is None or callee not in RELEASE_FUNCS:
            continue
        if not _own_lines(node, src):
            continue
        exemplar = release_sigs[_call_sig(node)] > 1
        parent = node.parent
        if parent is None:
            continue
        if parent.type == "labeled_statement":
            # "label: kfree(p);" -- keep the label, it needs a statement after it.
            holder = parent
            block = parent.parent
            nxt = holder.next_named_sibling
            if nxt is None or (nxt.type == "comment" and nxt.next_named_sibling is None):
                continue
        elif parent.type == "compound_statement":
            holder = node
            block = parent
        else:
            continue
        if block is None or block.type != "compound_statement":
            continue
        if block.id == body.id:
            # Unwind code of the function body.
            if unwind_start is None or holder.start_byte < unwind_start:
                continue
            exits = [r.start_point.row + 1 for r in returns if r.start_byte > node.end_byte]
            exits.append(fend)
            for g in gotos:
                lab = goto_label(g)
                if lab in label_nodes:
                    lpos = label_nodes[lab].start_byte
                    if unwind_start <= lpos <= holder.start_byte:
                        exits.append(g.start_point.row + 1)
            out.append(
                make(
                    "delete",
                    node,
                    _blank(node, src),
                    exits,
                    f"{callee} in unwind code",
                    "unwind",
                    exemplar,
                )
            )
        else:
            stmts = _stmts(block)
            if not stmts or not _is_error_return(stmts[-1]):
                continue
            term = stmts[-1]
            if node.start_byte >= term.start_byte:
                continue
            exits = [term.start_point.row + 1]
            if term.type == "goto_statement" and goto_label(term) in label_nodes:
                # The path leaves through the label's code: a checker reports the return
                # that code reaches, like the exits of an unwind deletion.
                lpos = label_nodes[goto_label(term)].start_byte
                exits += [r.start_point.row + 1 for r in returns if r.start_byte > lpos]
                exits.append(fend)
            out.append(
                make(
                    "delete",
                    node,
                    _blank(node, src),
                    exits,
                    f"{callee} before {term.type}",
                    "block",
                    exemplar,
                )
            )

    # (b) goto -> return ----------------------------------------------------
    for g in gotos:
        lab = goto_label(g)
        if lab not in forward_labels or label_nodes[lab].start_byte <= g.start_byte:
            continue
        if not _own_lines(g, src):
            continue
        # Walk the top-level statements from the label to the next return.
        idx = next(i for i, st in enumerate(top) if st.id == label_nodes[lab].id)
        releases: list[str] = []
        ret_node: Node | None = None
        for st in top[idx:]:
            inner = st
            while inner.type == "labeled_statement":
                kids = [
                    c
                    for c in inner.named_children
                    if c.type not in ("statement_identifier", "comment")
                ]
                if not kids:
                    break
                inner = kids[0]
            if inner.type == "return_statement":
                ret_node = inner
                break
            callee = called_name(inner)
            if callee and (callee in RELEASE_FUNCS or _UNWIND_CALL_RE.search(callee)):
                releases.append(callee)
        if not releases:
            continue
        value = _return_value_text(ret_node) if ret_node is not None else ""
        if ret_node is None:
            # Falls off the end: a void function.
            value = ""
        if value is None:
            value = "-EINVAL"
        repl = "return;" if value == "" else f"return {value};"
        out.append(make("goto", g, repl, [g.start_point.row + 1], f"skips {','.join(releases)}"))
    return out


def mutants_in_source(
    src: bytes, relpath: str, ts_parser: tree_sitter.Parser | None = None
) -> list[Mutant]:
    """All candidate mutants in one C source text."""
    ts_parser = ts_parser or parser()
    tree = ts_parser.parse(blank_annotations(src))
    out: list[Mutant] = []
    for node in _walk(tree.root_node):
        if node.type == "function_definition":
            out.extend(mutants_in_function(node, src, relpath))
    return out


def collect_candidates(root: Path, subdir: str) -> list[Mutant]:
    ts_parser = parser()
    out: list[Mutant] = []
    for path in kbench.c_files(root / subdir):
        rel = str(path.relative_to(root))
        out.extend(mutants_in_source(path.read_bytes(), rel, ts_parser))
    return out


def sample(cands: list[Mutant], limit: int, seed: int) -> list[Mutant]:
    """Up to ``limit`` mutants, split evenly between kinds, reproducibly."""
    rng = random.Random(seed)
    by_kind: dict[str, list[Mutant]] = defaultdict(list)
    for m in cands:
        by_kind[m.kind].append(m)
    kinds = sorted(by_kind)
    chosen: list[Mutant] = []
    remaining = limit
    for i, kind in enumerate(kinds):
        share = remaining // (len(kinds) - i)
        pool = by_kind[kind]
        take = rng.sample(pool, min(share, len(pool)))
        chosen.extend(take)
        remaining -= len(take)
    return chosen


# ---------------------------------------------------------------- judging


def normalize_function(text: str) -> str:
    """Function text without whitespace, comments, empty statements, with
    labels renamed in order of first appearance."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    labels: dict[str, str] = {}

    def lab(name: str) -> str:
        return labels.setdefault(name, f"L{len(labels)}")

    text = re.sub(r"\bgoto\s+(\w+)\s*;", lambda m: f"goto {lab(m.group(1))};", text)
    text = re.sub(
        r"^(\s*)([A-Za-z_]\w*)\s*:(?!:)",
        lambda m: (
            m.group(1) + lab(m.group(2)) + ":"
            if m.group(2) not in ("default", "case", "public", "private")
            else m.group(0)
        ),
        text,
        flags=re.M,
    )
    text = re.sub(r"\s+", "", text)
    return re.sub(r"(?<=[;{}:]);", "", text)


def function_text(src: bytes, name: str) -> str | None:
    tree = parser().parse(blank_annotations(src))
    for node in _walk(tree.root_node):
        if node.type == "function_definition" and function_name(node) == name:
            return src[node.start_byte : node.end_byte].decode(errors="replace")
    return None


def is_relevant(f: dict[str, Any]) -> bool:
    return bool(kbench.LEAK_LOCK_REF_RE.match(str(f.get("rule", ""))))


def in_function(f: dict[str, Any], m: Mutant) -> bool:
    line = int(f.get("line") or 0)
    if f.get("function"):
        return f["function"] == m.function
    return m.func_start_line <= line <= m.func_end_line


def _witness(f: dict[str, Any]) -> tuple[int, ...]:
    """The lines of a finding's reported path (acquire site, branches, jumps)."""
    return tuple(int(r.get("line") or 0) for r in f.get("related") or ())


def judge(
    m: Mutant, orig_findings: list[dict[str, Any]], mut_findings: list[dict[str, Any]]
) -> dict[str, Any]:
    """Was the mutant flagged (anywhere / at the right exit)? Was the original?"""
    # A finding the original already had counts again only if its witness path changed: the
    # original may leak the same object at the same merged exit through another branch
    # (a pre-existing bug), and the mutant's report then walks through the planted one.
    orig_paths: dict[tuple[str, str, int, str], set[tuple[int, ...]]] = defaultdict(set)
    for f in orig_findings:
        orig_paths[kbench.finding_key(f)].add(_witness(f))

    def is_new(f: dict[str, Any]) -> bool:
        seen = orig_paths.get(kbench.finding_key(f))
        if seen is None:
            return True
        # Same exit, same object: only the object the deleted call released, reached by
        # another path than any the original reported.
        obj = str(f.get("resource") or "")
        named = re.search(rf"(?<![\w.>]){re.escape(obj)}(?!\w)", m.original_text) if obj else None
        return named is not None and _witness(f) not in seen

    new = [f for f in mut_findings if is_relevant(f) and in_function(f, m) and is_new(f)]
    targets = [m.line, *m.exit_lines]
    right = [f for f in new if any(abs(int(f.get("line") or 0) - t) <= 2 for t in targets)]
    orig_flagged = any(is_relevant(f) and in_function(f, m) for f in orig_findings)
    return {
        "flagged_anywhere": bool(new),
        "flagged_right_exit": bool(right),
        "original_flagged": orig_flagged,
        "new_findings": [
            {k: f.get(k) for k in ("rule", "line", "resource", "message")} for f in new[:5]
        ],
        "matched": right[0] if right else None,
    }


# ---------------------------------------------------------------- kernlint runs


def run_check(
    exe: str, root: Path, jobs: int
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """Run one ``kernlint check`` over ``root``; findings grouped by relative path."""
    argv = [exe, "check", "--format", "json", "--jobs", str(jobs), "--no-cache", "."]
    res = kbench.run_measured(argv, cwd=root, sample_rss=False)
    if res.returncode not in (0, 1):
        raise SystemExit(f"kernlint check failed ({res.returncode}): {res.stderr[-2000:]}")
    doc = kbench.parse_report(res.stdout)
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in doc["findings"]:
        p = str(f["path"])
        rel = os.path.relpath(p, root) if os.path.isabs(p) else os.path.normpath(p)
        grouped[rel].append(f)
    info = {
        "wall_s": res.wall_s,
        "files_checked": doc.get("files_checked"),
        "errors": len(doc.get("errors") or []),
    }
    return grouped, info


def apply_unified_diff(text: str, diff: str) -> str | None:
    """Apply a one-file unified diff; None if a hunk does not match."""
    lines = text.splitlines(keepends=True)
    hunks: list[tuple[int, list[str]]] = []
    cur: list[str] | None = None
    for raw in diff.splitlines(keepends=True):
        if raw.startswith("@@"):
            m = re.match(r"@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@", raw)
            if not m:
                return None
            cur = []
            hunks.append((int(m.group(1)), cur))
        elif cur is not None and raw[:1] in (" ", "-", "+"):
            cur.append(raw)
        elif cur is not None and raw.startswith("\\"):
            continue
        elif raw.startswith(("--- ", "+++ ", "diff ")):
            cur = None
    if not hunks:
        return None
    offset = 0
    for start, body in hunks:
        old = [ln[1:] for ln in body if ln[0] in (" ", "-")]
        new = [ln[1:] for ln in body if ln[0] in (" ", "+")]
        want = max(start - 1 + offset, 0) if old else start + offset
        pos = None
        for delta in range(0, 60):
            for cand in (want + delta, want - delta):
                if 0 <= cand <= len(lines) and _match(lines, cand, old):
                    pos = cand
                    break
            if pos is not None:
                break
        if pos is None:
            return None
        lines[pos : pos + len(old)] = new
        offset += len(new) - len(old)
    return "".join(lines)


def _match(lines: list[str], pos: int, old: list[str]) -> bool:
    seg = lines[pos : pos + len(old)]
    return len(seg) == len(old) and all(
        a.rstrip("\r\n") == b.rstrip("\r\n") for a, b in zip(seg, old, strict=True)
    )


def fix_options(exe: str) -> set[str]:
    """Options ``kernlint fix`` takes (empty if the subcommand is missing)."""
    try:
        proc = subprocess.run(
            [exe, "fix", "--help"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    if proc.returncode != 0:
        return set()
    return set(re.findall(r"--[a-z][\w-]*", proc.stdout))


def run_fix(
    exe: str,
    path: Path,
    rule: str | None,
    unsafe: bool,
    function: str | None = None,
    line: int | None = None,
) -> tuple[int, str, str]:
    """``kernlint fix --diff`` on one file, narrowed to one finding if possible."""
    argv = [exe, "fix", "--diff"]
    if rule:
        argv += ["--select", rule]
    if function:
        argv += ["--only-function", function]
    if line:
        argv += ["--line", str(line)]
    if unsafe:
        argv.append("--unsafe")
    argv.append(str(path))
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        return 124, "", "timeout"
    return proc.returncode, proc.stdout, proc.stderr


def fix_unavailable(rc: int, stderr: str) -> bool:
    low = stderr.lower()
    return rc == 2 and (
        "invalid choice" in low or "unrecognized" in low or "no such command" in low
    )


# ---------------------------------------------------------------- main


def layout(work: Path, chosen: list[Mutant], tree: Path) -> tuple[dict[str, str], dict[int, str]]:
    """Write originals (one per file) and mutants (one per dir) under ``work``."""
    orig_dirs: dict[str, str] = {}
    mut_paths: dict[int, str] = {}
    for i, f in enumerate(sorted({m.file for m in chosen})):
        d = work / f"o{i:04d}"
        d.mkdir(parents=True)
        shutil.copyfile(tree / f, d / Path(f).name)
        orig_dirs[f] = str(Path(d.name) / Path(f).name)
    for i, m in enumerate(chosen):
        d = work / f"m{i:04d}"
        d.mkdir(parents=True)
        src = (tree / m.file).read_bytes()
        (d / Path(m.file).name).write_bytes(m.apply(src))
        mut_paths[i] = str(Path(d.name) / Path(m.file).name)
    return orig_dirs, mut_paths


def evaluate(
    exe: str, tree: Path, chosen: list[Mutant], jobs: int, fixes: bool, unsafe: bool
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="kernlint-mutants-"))
    try:
        orig_dirs, mut_paths = layout(work, chosen, tree)
        t0 = time.perf_counter()
        grouped, info = run_check(exe, work, jobs)
        info["total_s"] = round(time.perf_counter() - t0, 2)
        rows: list[dict[str, Any]] = []
        for i, m in enumerate(chosen):
            verdict = judge(m, grouped.get(orig_dirs[m.file], []), grouped.get(mut_paths[i], []))
            rows.append({"mutant": asdict(m) | {"path": mut_paths[i]}, **verdict})
        report: dict[str, Any] = {"check_run": info, "summary": summarize(rows)}
        if fixes:
            report["fixes"] = evaluate_fixes(
                exe, work, tree, chosen, rows, mut_paths, grouped, jobs, unsafe
            )
        for r in rows:
            r["mutant"].pop("original_text", None)
        report["rows"] = rows
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _groups(m: dict[str, Any]) -> list[str]:
    g = [m["kind"], "all"]
    if m["kind"] == "delete":
        g.append(f"delete/{m['where']}")
        g.append("delete/exemplar" if m["exemplar"] else "delete/no-exemplar")
    return g


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    names = sorted({g for r in rows for g in _groups(r["mutant"])}, key=lambda g: (g == "all", g))
    for kind in names:
        sel = [r for r in rows if kind in _groups(r["mutant"])]
        n = len(sel)
        funcs = {(r["mutant"]["file"], r["mutant"]["function"]): r["original_flagged"] for r in sel}
        out[kind] = {
            "mutants": n,
            "flagged_right_exit": sum(r["flagged_right_exit"] for r in sel),
            "flagged_anywhere": sum(r["flagged_anywhere"] for r in sel),
            "share_right_exit": _share(sum(r["flagged_right_exit"] for r in sel), n),
            "share_anywhere": _share(sum(r["flagged_anywhere"] for r in sel), n),
            "functions": len(funcs),
            "original_functions_flagged": sum(funcs.values()),
            "share_original_functions_flagged": _share(sum(funcs.values()), len(funcs)),
        }
        rules = Counter(r["matched"]["rule"] for r in sel if r["matched"])
        out[kind]["right_exit_by_rule"] = dict(sorted(rules.items()))
    return out


def load_judgments(path: Path) -> dict[tuple[str, str, int, str], str]:
    """Verdicts ("bug" / "not-bug") a reviewer wrote for mutants, keyed by file, function,
    line and kind (bench/judgments/*.jsonl, one JSON object per line)."""
    out: dict[tuple[str, str, int, str], str] = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            j = json.loads(line)
            out[(j["file"], j["function"], int(j["line"]), j["kind"])] = str(j["verdict"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{n}: not a judgment line ({exc})") from None
    return out


def judged_summary(
    rows: list[dict[str, Any]], verdicts: dict[tuple[str, str, int, str], str]
) -> dict[str, Any]:
    """Recall counted on the mutants judged to be real bugs only (a planted deletion is not
    always a bug: devres, a destructor or a test's exit hook may release the object anyway)."""
    out: dict[str, Any] = {}
    for kind in ("delete", "goto", "all"):
        sel = [r for r in rows if kind in (r["mutant"]["kind"], "all")]
        v = [verdicts.get((r["mutant"]["file"], r["mutant"]["function"], r["mutant"]["line"],
                           r["mutant"]["kind"])) for r in sel]
        bugs = [r for r, x in zip(sel, v, strict=True) if x == "bug"]
        fine = [r for r, x in zip(sel, v, strict=True) if x == "not-bug"]
        out[kind] = {
            "judged": len(bugs) + len(fine),
            "unjudged": sum(x is None for x in v),
            "bugs": len(bugs),
            "bugs_flagged_right_exit": sum(r["flagged_right_exit"] for r in bugs),
            "share_bugs_flagged": _share(sum(r["flagged_right_exit"] for r in bugs), len(bugs)),
            "not_bugs": len(fine),
            "not_bugs_flagged": sum(r["flagged_right_exit"] for r in fine),
        }
    return out


def _sig(f: dict[str, Any]) -> tuple[str, str, str]:
    return (str(f.get("rule")), str(f.get("function") or ""), str(f.get("resource") or ""))


def _share(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def evaluate_fixes(
    exe: str,
    work: Path,
    tree: Path,
    chosen: list[Mutant],
    rows: list[dict[str, Any]],
    mut_paths: dict[int, str],
    grouped: dict[str, list[dict[str, Any]]],
    jobs: int,
    unsafe: bool,
) -> dict[str, Any]:
    flagged = [i for i, r in enumerate(rows) if r["flagged_right_exit"]]
    if not flagged:
        return {"flagged": 0}

    opts = fix_options(exe)

    def one(i: int) -> tuple[int, int, str, str]:
        matched = rows[i]["matched"]
        return (
            i,
            *run_fix(
                exe,
                work / mut_paths[i],
                matched["rule"],
                unsafe,
                chosen[i].function if "--only-function" in opts else None,
                int(matched["line"]) if "--line" in opts else None,
            ),
        )

    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        results = list(pool.map(one, flagged))
    if all(fix_unavailable(rc, err) for _, rc, _, err in results):
        return {
            "flagged": len(flagged),
            "error": "fix subcommand unavailable",
            "stderr": results[0][3][-500:],
        }

    fixed_dir = work / "fixed"
    offered: dict[int, str] = {}
    per: dict[int, dict[str, Any]] = {}
    for i, rc, out, err in results:
        entry: dict[str, Any] = {"rc": rc}
        per[i] = entry
        if not out.strip():
            entry["status"] = "no fix offered" if rc in (0, 1) else f"error: {err[-300:]}"
            continue
        mtext = (work / mut_paths[i]).read_text(errors="replace")
        fixed = apply_unified_diff(mtext, out)
        if fixed is None:
            entry["status"] = "diff did not apply"
            continue
        dest = fixed_dir / mut_paths[i]
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(fixed)
        offered[i] = fixed
        entry["status"] = "offered"

    verified = equal = 0
    if offered:
        regrouped, _ = run_check(exe, fixed_dir, jobs)
        for i, fixed in offered.items():
            m = chosen[i]
            target = rows[i]["matched"]
            after = regrouped.get(mut_paths[i], [])
            before = grouped.get(mut_paths[i], [])
            # Verified: the fixed file's findings, as (rule, function, resource),
            # are those of the mutant minus the one that flagged it.
            before_sig = Counter(_sig(f) for f in before)
            before_sig[_sig(target)] -= 1
            after_sig = Counter(_sig(f) for f in after)
            ok = not (after_sig - before_sig)
            per[i]["remaining"] = sorted(str(k) for k in (after_sig - before_sig))
            per[i]["verified"] = ok
            verified += ok
            orig_fn = function_text((tree / m.file).read_bytes(), m.function)
            fixed_fn = function_text(fixed.encode(), m.function)
            same = (
                orig_fn is not None
                and fixed_fn is not None
                and (normalize_function(orig_fn) == normalize_function(fixed_fn))
            )
            per[i]["equals_original"] = same
            equal += same
    n = len(flagged)
    return {
        "flagged": n,
        "offered": len(offered),
        "verified": verified,
        "equals_original": equal,
        "share_offered": _share(len(offered), n),
        "share_verified": _share(verified, n),
        "share_equals_original": _share(equal, n),
        "per_mutant": {str(rows[i]["mutant"]["path"]): e for i, e in per.items()},
    }


def render(result: dict[str, Any]) -> str:
    lines = [
        f"candidates: {result['candidates']}  sampled: {result['sampled']}  "
        f"(seed {result['seed']}, limit {result['limit']})"
    ]
    ev = result.get("evaluation")
    if not ev:
        lines.append(f"kernlint not run: {result.get('skipped')}")
        return "\n".join(lines)
    lines.append(f"kernlint check over originals+mutants: {ev['check_run']}")
    lines.append(
        f"{'kind':<20}{'mutants':>8}{'right exit':>12}{'anywhere':>10}{'orig fn flagged':>17}"
    )
    for kind, s in ev["summary"].items():
        lines.append(
            f"{kind:<20}{s['mutants']:>8}{_pct(s['share_right_exit']):>12}{_pct(s['share_anywhere']):>10}"
            f"{_pct(s['share_original_functions_flagged']):>11} of {s['functions']}"
        )
    for kind, j in (ev.get("judged") or {}).items():
        if j["judged"]:
            lines.append(
                f"judged real bugs, {kind:<7}{j['bugs']:>5}: flagged at the right exit "
                f"{j['bugs_flagged_right_exit']} = {_pct(j['share_bugs_flagged'])}; "
                f"judged not bugs {j['not_bugs']} (flagged {j['not_bugs_flagged']}); "
                f"unjudged {j['unjudged']}"
            )
    fx = ev.get("fixes")
    if fx:
        if "error" in fx:
            lines.append(f"fixes: {fx['error']}")
        elif fx.get("flagged"):
            lines.append(
                f"fixes over {fx['flagged']} flagged mutants: offered {_pct(fx['share_offered'])}, "
                f"verified {_pct(fx['share_verified'])}, equal to original {_pct(fx['share_equals_original'])}"
            )
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tree", help="extracted kernel tree (default: cache of fetch_kernel.sh)")
    ap.add_argument("--subdir", default="sound")
    ap.add_argument("--limit", type=int, default=400, help="mutants sampled (split evenly by kind)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--kernlint", help="kernlint executable (default: .venv/bin/kernlint)")
    ap.add_argument(
        "--fixes", action="store_true", help="also run `kernlint fix --diff` on flagged mutants"
    )
    ap.add_argument("--unsafe", action="store_true", help="pass --unsafe to kernlint fix")
    ap.add_argument("--generate-only", action="store_true", help="only count candidates")
    ap.add_argument("--out-dir", type=Path, default=None)
    ap.add_argument(
        "--judgments",
        type=Path,
        default=None,
        help="reviewer verdicts per mutant (default: bench/judgments/mutants-SUBDIR-seedSEED.jsonl)",
    )
    args = ap.parse_args(argv)
    jpath = args.judgments or (
        Path(__file__).resolve().parent / "judgments" / f"mutants-{args.subdir}-seed{args.seed}.jsonl"
    )
    if args.judgments is not None and not jpath.is_file():
        raise SystemExit(f"no such judgments file: {jpath}")

    tree = kbench.find_tree(args.tree)
    t0 = time.perf_counter()
    cands = collect_candidates(tree, args.subdir)
    gen_s = round(time.perf_counter() - t0, 2)
    chosen = sample(cands, args.limit, args.seed)
    result: dict[str, Any] = {
        "tree": str(tree),
        "subdir": args.subdir,
        "seed": args.seed,
        "limit": args.limit,
        "generation_s": gen_s,
        "candidates": dict(Counter(m.kind for m in cands)),
        "candidate_functions": len({(m.file, m.function) for m in cands}),
        "sampled": dict(Counter(m.kind for m in chosen)),
    }
    exe = kbench.find_kernlint(args.kernlint)
    if args.generate_only:
        result["skipped"] = "--generate-only"
    elif exe is None:
        result["skipped"] = "kernlint executable not found"
    else:
        result["evaluation"] = evaluate(exe, tree, chosen, args.jobs, args.fixes, args.unsafe)
        if jpath.is_file():
            result["evaluation"]["judgments"] = str(jpath)
            result["evaluation"]["judged"] = judged_summary(
                result["evaluation"]["rows"], load_judgments(jpath)
            )
    path = kbench.write_result("mutants", result, args.out_dir)
    print(render(result))
    print(f"\nwritten {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
