"""Syntax layer: kernel-aware normalisation and tree-sitter parsing.

Kernel C is full of annotations and macros that tree-sitter-c cannot read.
We blank them to spaces of the same length before parsing, so every byte
offset in the tree is the offset in the user's text, and remember what the
annotations said (``__free(kfree)`` on a declaration, ``__must_hold(&l)`` on
a function) where later layers need it.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import tree_sitter
import tree_sitter_c

from .model import Span

T = TypeVar("T")

C_LANGUAGE = tree_sitter.Language(tree_sitter_c.language())

# Annotations that are a bare word.
_BARE = (
    "__user __iomem __kernel __force __bitwise __nocast __safe __private __percpu __rcu "
    "__init __exit __initdata __initconst __exitdata __devinit __devexit __devinitdata "
    "__init_or_module __meminit __meminitdata __ref __refdata __maybe_unused __always_unused "
    "__used __unused __must_check __cold __hot __read_mostly __ro_after_init __weak __pure "
    "__always_inline noinline __noreturn __visible notrace __sched __latent_entropy "
    "__randomize_layout __packed __deprecated __flatten __irq_entry __cpuidle __nocfi "
    "__no_kcsan __noclone __naked asmlinkage __malloc __nonstring __counted_by_placeholder "
    "__cacheline_aligned __cacheline_aligned_in_smp ____cacheline_aligned "
    "____cacheline_aligned_in_smp __fallthrough __no_context_analysis"
).split()
# Annotations followed by a balanced parenthesised argument.
_CALLED = (
    "__acquires __releases __must_hold __acquire __release __cond_acquires __cond_releases "
    "__aligned __attribute__ __attribute __free __cleanup __printf __scanf __section "
    "__counted_by __alloc_size __assume_aligned __guarded_by __pt_guarded_by __diag_push"
).split()

_BARE_SET = frozenset(_BARE)
_CALLED_SET = frozenset(_CALLED)
# One pass finds every annotation candidate: words starting with `__` and the few others.
_ANN_RE = re.compile(r"\b(__\w+|____\w+|noinline|notrace|asmlinkage)\b(\s*\()?")
# `struct foo` (optionally with stars) passed as a whole macro argument, e.g.
# container_of(p, struct foo, node) or list_first_entry(h, struct foo, list).
_TYPE_ARG_RE = re.compile(r"[(,](\s*)(struct|union|enum)(\s+\w+\s*\**\s*)(?=[,)])")
# Multi-word primitive types as macro arguments: min_t(unsigned int, a, b).
_PRIM_ARG_RE = re.compile(r"[(,](\s*)(unsigned|signed)(\s+(?:int|long|short|char)\b)(?=[\s,)*])")
# GNU ranges: `case 1 ... 3:` and `[0 ... 7] = x`.
_RANGE_RE = re.compile(r"\.\.\.(\s*[^:\]\n;]+?)(?=\s*[:\]])")
_CASE_OR_BRACKET_RE = re.compile(r"(\bcase\b[^:\n;]*$|\[[^\]\n]*$)")
# Lines that are part of a preprocessor directive (blanked inside function bodies
# only when they would split a statement; see _blank_directive_continuations).
# Statement-position loop macros: `list_for_each_entry(pos, head, member) {`. Rewritten as
# `while              (pos, head, member) {` (same length) so tree-sitter sees a loop; the
# macro name is kept as an annotation for the control-flow layer.
_LOOP_MACRO_RE = re.compile(r"(?m)^[ \t]*([A-Za-z_]\w*)[ \t]*\(")
_LOOP_NAME_RE = re.compile(r"(?:^|_)for_each(?:_|$)|^list_for_each|^hlist_for_each|_for_each_|"
                           r"^scoped_guard$|^scoped_cond_guard$")
# `static DEFINE_MUTEX(x);`-style top-level macro invocations: drop the storage class so the
# line parses as a call instead of a broken declaration.
_STATIC_MACRO_RE = re.compile(r"(?m)^(static[ \t]+(?:const[ \t]+)?)(?=[A-Z][A-Z0-9_]*[ \t]*\()")
_COMMENT_RE = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_STRING_RE = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'')


@dataclass(frozen=True)
class Annotation:
    name: str  # e.g. "__free", "__must_hold"
    arg: str  # the text inside the parentheses, normalised
    start: int
    end: int


@dataclass
class Prepared:
    text: bytes  # the normalised source, same length as the original
    annotations: list[Annotation] = field(default_factory=list)


def _spaces_like(text: str) -> str:
    """Spaces of the same length, newlines kept."""
    if "\n" not in text:
        return " " * len(text)
    return "\n".join(" " * len(part) for part in text.split("\n"))


def mask_code(source: str) -> str:
    """Comments and string literals replaced by spaces (same length), so regexes skip them."""
    masked = _COMMENT_RE.sub(lambda m: _spaces_like(m.group(0)), source)
    return _STRING_RE.sub(lambda m: _spaces_like(m.group(0)), masked)


def _balanced_end(text: str, open_idx: int) -> int:
    depth = 0
    for i in range(open_idx, min(len(text), open_idx + 4000)):
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


_RECORDED_BARE = frozenset({"__init"})


def prepare(source: str) -> Prepared:
    """Blank kernel annotations to spaces of equal length; record the meaningful ones.

    Works on ``str`` and keeps code-point offsets; the caller encodes to UTF-8.
    Non-ASCII characters are never blanked, so byte offsets are kept as well.
    """
    masked = mask_code(source)
    edits: list[tuple[int, int, str | None]] = []  # (start, end, replacement or None: blank)
    annotations: list[Annotation] = []

    def blank(start: int, end: int) -> None:
        edits.append((start, end, None))

    for m in _ANN_RE.finditer(masked):
        word = m.group(1)
        if word in _CALLED_SET and m.group(2):
            open_idx = m.end() - 1
            end = _balanced_end(masked, open_idx)
            if end < 0:
                continue
            arg = re.sub(r"\s+", "", masked[open_idx + 1 : end - 1])
            annotations.append(Annotation(word, arg, m.start(), end))
            blank(m.start(), end)
        elif word in _BARE_SET:
            blank(m.start(1), m.end(1))
            if word in _RECORDED_BARE:  # a module's init code: nothing runs after it fails
                annotations.append(Annotation(word, "", m.start(1), m.end(1)))
    for m in _TYPE_ARG_RE.finditer(masked):
        # A cast `(struct foo *)p` is followed by an operand; a macro argument is not.
        after = masked[m.end() : m.end() + 40].lstrip()
        if after.startswith(")"):
            rest = after[1:].lstrip()
            if rest[:1].isalnum() or rest[:1] in ("_", "(", "&", "*", "-", "!", "~"):
                continue
        kw_start = m.start(2)
        blank(kw_start, kw_start + len(m.group(2)))
    for m in _PRIM_ARG_RE.finditer(masked):
        kw_start = m.start(2)
        blank(kw_start, kw_start + len(m.group(2)))
    for m in _RANGE_RE.finditer(masked):
        line_start = masked.rfind("\n", 0, m.start()) + 1
        if _CASE_OR_BRACKET_RE.search(masked[line_start : m.start()]):
            blank(m.start(), m.end())
    for m in _STATIC_MACRO_RE.finditer(masked):
        blank(m.start(1), m.end(1))
    for m in _LOOP_MACRO_RE.finditer(masked):
        name = m.group(1)
        if not _LOOP_NAME_RE.search(name):
            continue
        line_start = masked.rfind("\n", 0, m.start(1)) + 1
        prev_end = line_start - 1
        prev_line_start = masked.rfind("\n", 0, max(prev_end, 0)) + 1
        if masked[prev_line_start:prev_end].rstrip().endswith("\\"):
            continue  # inside a multi-line #define
        open_idx = m.end() - 1
        end = _balanced_end(masked, open_idx)
        if end < 0 or masked[end:].lstrip()[:1] in (";", ",", ")", ""):
            continue
        start = m.start(1)
        edits.append((start, start + len(name), "while" + " " * (len(name) - 5)))
        annotations.append(Annotation("__loop_macro__", name, start, end))
    annotations.sort(key=lambda x: x.start)
    return Prepared(_apply(source, edits).encode("utf-8", "surrogatepass"), annotations)


def _apply(source: str, edits: list[tuple[int, int, str | None]]) -> str:
    if not edits:
        return source
    edits.sort()
    out: list[str] = []
    pos = 0
    for start, end, repl in edits:
        if start < pos:  # overlapping (a blanked annotation inside another): keep the first
            if end <= pos:
                continue
            start = pos
        out.append(source[pos:start])
        seg = source[start:end]
        out.append(_spaces_like(seg) if repl is None else repl)
        pos = end
    out.append(source[pos:])
    return "".join(out)


@dataclass
class Function:
    name: str
    node: tree_sitter.Node  # function_definition
    body: tree_sitter.Node
    params: list[str]
    text_hash: str
    span: Span
    is_static: bool
    returns_pointer: bool
    returns_void: bool
    annotations: list[Annotation]


def node_text(src: bytes, node: tree_sitter.Node) -> str:
    return src[node.start_byte : node.end_byte].decode("utf-8", "replace")


def descendants(root: tree_sitter.Node, *types: str) -> Iterator[tree_sitter.Node]:
    """root and every named node below it (of these types, when given), depth first."""
    stack = [root]
    while stack:
        n = stack.pop()
        stack.extend(n.named_children)
        if not types or n.type in types:
            yield n


class LineIndex:
    """Converts byte offsets to (line, code-point column)."""

    def __init__(self, src: bytes) -> None:
        self.src = src
        self.ascii = src.isascii()
        self.starts = [0, *itertools.accumulate(len(line) + 1 for line in src.split(b"\n")[:-1])]

    def position(self, byte: int) -> tuple[int, int]:
        import bisect

        line = bisect.bisect_right(self.starts, byte) - 1
        start = self.starts[line]
        col = len(self.src[start:byte].decode("utf-8", "replace"))
        return line, col

    def span(self, start: int, end: int) -> Span:
        sl, sc = self.position(start)
        el, ec = self.position(end)
        return Span(sl, sc, el, ec, start, end)

    def node_span(self, node: tree_sitter.Node) -> Span:
        sl, sc = node.start_point
        el, ec = node.end_point
        if self.ascii:
            return Span(sl, sc, el, ec, node.start_byte, node.end_byte)
        return self.span(node.start_byte, node.end_byte)

    def line_start(self, line: int) -> int:
        return self.starts[line] if line < len(self.starts) else len(self.src)


_SAFE_EDIT_RE = re.compile(r"[A-Za-z0-9_ \t]*")


def _common_prefix(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # largest n with a[:n] == b[:n]
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, min(len(a), len(b)) - limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def prepare_incremental(old: str, old_prep: Prepared, new: str) -> Prepared | None:
    """Re-prepare only the edited line when the edit is plain typing (identifier characters and
    blanks on one line, ASCII text). The two lines around it must come out exactly as before,
    otherwise the caller falls back to a full prepare()."""
    if len(old) != len(old_prep.text) or not new.isascii() or not old.isascii():
        return None
    a = _common_prefix(old, new)
    suf = _common_suffix(old, new, a)
    old_mid, new_mid = old[a:len(old) - suf], new[a:len(new) - suf]
    if not _SAFE_EDIT_RE.fullmatch(old_mid) or not _SAFE_EDIT_RE.fullmatch(new_mid):
        return None
    delta = len(new) - len(old)
    ls = new.rfind("\n", 0, a) + 1
    le = new.find("\n", a + len(new_mid))
    le = len(new) if le < 0 else le
    ws = ls
    for _ in range(2):
        ws = new.rfind("\n", 0, max(ws - 1, 0)) + 1 if ws > 0 else 0
    we = le
    for _ in range(2):
        if we < len(new):
            nxt = new.find("\n", we + 1)
            we = len(new) if nxt < 0 else nxt
    win = prepare(new[ws:we])
    prev = old_prep.text.decode("ascii")
    wtext = win.text.decode("ascii")
    if wtext[: ls - ws] != prev[ws:ls] or wtext[le - ws:] != prev[le - delta: we - delta]:
        return None
    old_ls, old_le = ls, le - delta
    anns: list[Annotation] = []
    for ann in old_prep.annotations:
        if ann.end <= old_ls:
            anns.append(ann)
        elif ann.start >= old_le:
            anns.append(Annotation(ann.name, ann.arg, ann.start + delta, ann.end + delta))
        else:
            return None  # an annotation on the edited line: recompute everything
    for ann in win.annotations:
        start, end = ann.start + ws, ann.end + ws
        if ls <= start and end <= le:
            anns.append(Annotation(ann.name, ann.arg, start, end))
        elif start < le and end > ls:
            return None
    anns.sort(key=lambda x: x.start)
    text = prev[:ls] + wtext[ls - ws: le - ws] + prev[old_le:]
    return Prepared(text.encode("ascii"), anns)


_ALIAS_RE = re.compile(rb"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^()]*)\)[ \t]+\(?[ \t]*"
                       rb"([A-Za-z_]\w*)[ \t]*\(((?:[^()]|\([^()]*\))*)\)[ \t]*\)?[ \t]*$", re.MULTILINE)


def _call_aliases(parsed: ParsedFile) -> dict[str, str]:
    out: dict[str, str] = {}
    if b"define" not in parsed.original:
        return out
    for m in _ALIAS_RE.finditer(parsed.original):
        params = [p.strip() for p in m.group(2).split(b",")]
        args = [a.strip().strip(b"()").strip() for a in m.group(4).split(b",")]
        name, target = m.group(1).decode(), m.group(3).decode()
        if params == args and all(params) and name != target:
            out[name] = target
    return out


class ParsedFile:
    """One parsed document; supports incremental re-parse for the editor."""

    def __init__(self, text: str, path: str = "<memory>") -> None:
        self.path = path
        self._parser = tree_sitter.Parser(C_LANGUAGE)
        self.text = text
        prepared = prepare(text)
        self.src = prepared.text
        self.original = text.encode("utf-8", "surrogatepass")
        self.annotations = prepared.annotations
        self.tree = self._parser.parse(self.src)
        self.lines = LineIndex(self.original)
        self._functions: list[Function] | None = None
        self._loop_macros: dict[int, str] | None = None
        self._derived: dict[str, object] = {}

    def derived(self, key: str, compute: Callable[[ParsedFile], T]) -> T:
        """compute(self), memoised until the next update(): per-file facts the analysis
        derives from the whole text (this file's function names, its helpers that only
        return 0, ...)."""
        if key not in self._derived:
            self._derived[key] = compute(self)
        return self._derived[key]  # type: ignore[return-value]

    def update(self, new_text: str) -> None:
        """Re-parse after an edit, reusing the old tree (tree-sitter incremental parse)."""
        prepared = prepare_incremental(self.text, Prepared(self.src, self.annotations), new_text) \
            or prepare(new_text)
        new_src = prepared.text
        old_src = self.src
        # The edited region: longest common prefix and suffix of the prepared texts.
        limit = min(len(old_src), len(new_src))
        prefix = 0
        step = 4096
        while prefix < limit:
            chunk = min(step, limit - prefix)
            if old_src[prefix : prefix + chunk] == new_src[prefix : prefix + chunk]:
                prefix += chunk
            elif chunk == 1:
                break
            else:
                step = max(1, chunk // 2)
        suffix = 0
        max_suffix = limit - prefix
        step = 4096
        while suffix < max_suffix:
            chunk = min(step, max_suffix - suffix)
            a = old_src[len(old_src) - suffix - chunk : len(old_src) - suffix]
            b = new_src[len(new_src) - suffix - chunk : len(new_src) - suffix]
            if a == b:
                suffix += chunk
            elif chunk == 1:
                break
            else:
                step = max(1, chunk // 2)
        old_end = len(old_src) - suffix
        new_end = len(new_src) - suffix

        def point(buf: bytes, off: int) -> tuple[int, int]:
            line = buf.count(b"\n", 0, off)
            col = off - (buf.rfind(b"\n", 0, off) + 1)
            return line, col

        self.tree.edit(
            start_byte=prefix,
            old_end_byte=old_end,
            new_end_byte=new_end,
            start_point=point(old_src, prefix),
            old_end_point=point(old_src, old_end),
            new_end_point=point(new_src, new_end),
        )
        self.tree = self._parser.parse(new_src, self.tree)
        self.text = new_text
        self.src = new_src
        self.original = new_text.encode("utf-8", "surrogatepass")
        self.annotations = prepared.annotations
        self.lines = LineIndex(self.original)
        self._functions = None
        self._loop_macros = None
        self._derived = {}

    def text_of(self, node: tree_sitter.Node) -> str:
        return node_text(self.src, node)

    def original_text_of(self, node: tree_sitter.Node) -> str:
        return node_text(self.original, node)

    def error_node_count(self) -> int:
        count = 0
        cursor = self.tree.walk()
        stack = [self.tree.root_node]
        del cursor
        while stack:
            n = stack.pop()
            if n.type == "ERROR":
                count += 1
                continue
            if n.has_error:
                stack.extend(n.children)
        return count

    @property
    def functions(self) -> list[Function]:
        if self._functions is None:
            self._functions = list(self._find_functions())
        return self._functions

    def _find_functions(self) -> list[Function]:
        out: list[Function] = []
        stack = [self.tree.root_node]
        while stack:
            n = stack.pop()
            if n.type == "function_definition":
                fn = self._make_function(n)
                if fn is not None:
                    out.append(fn)
                continue
            if n.type in ("translation_unit", "preproc_if", "preproc_ifdef", "preproc_else",
                          "preproc_elif", "linkage_specification", "declaration_list", "ERROR"):
                stack.extend(reversed(n.children))
        out.sort(key=lambda f: f.node.start_byte)
        return out

    def _make_function(self, n: tree_sitter.Node) -> Function | None:
        body = n.child_by_field_name("body")
        decl = n.child_by_field_name("declarator")
        if body is None or decl is None:
            return None
        returns_pointer = False
        fdecl: tree_sitter.Node | None = decl
        while fdecl is not None and fdecl.type != "function_declarator":
            if fdecl.type == "pointer_declarator":
                returns_pointer = True
            fdecl = fdecl.child_by_field_name("declarator")
        if fdecl is None:
            return None
        name_node = fdecl.child_by_field_name("declarator")
        if name_node is None:
            return None
        name = self.text_of(name_node).strip()
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            return None
        params: list[str] = []
        plist = fdecl.child_by_field_name("parameters")
        if plist is not None:
            for p in plist.named_children:
                if p.type != "parameter_declaration":
                    continue
                d = p.child_by_field_name("declarator")
                while d is not None and d.type not in ("identifier",):
                    d = d.child_by_field_name("declarator")
                if d is not None:
                    params.append(self.text_of(d))
        type_node = n.child_by_field_name("type")
        returns_void = (
            type_node is not None and self.text_of(type_node).strip() == "void" and not returns_pointer
        )
        head = self.src[n.start_byte : body.start_byte].decode("utf-8", "replace")
        is_static = bool(re.search(r"\bstatic\b", head))
        anns = [a for a in self.annotations if n.start_byte <= a.start < body.start_byte]
        digest = hashlib.sha1(self.original[n.start_byte : n.end_byte]).hexdigest()
        return Function(
            name=name,
            node=n,
            body=body,
            params=params,
            text_hash=digest,
            span=self.lines.node_span(n),
            is_static=is_static,
            returns_pointer=returns_pointer,
            returns_void=returns_void,
            annotations=anns,
        )

    @property
    def call_aliases(self) -> dict[str, str]:
        """Function-like macros of this file that only rename one call, parameters passed on
        in order (`#define ep_to_port(ep) of_get_parent(ep)`): name -> the call it makes."""
        return self.derived("call_aliases", _call_aliases)

    def loop_macro_at(self, start: int) -> str | None:
        """The loop macro (list_for_each_entry, scoped_guard, ...) rewritten at this offset."""
        if self._loop_macros is None:
            self._loop_macros = {a.start: a.arg for a in self.annotations
                                 if a.name == "__loop_macro__"}
        return self._loop_macros.get(start)

    def annotations_in(self, start: int, end: int, name: str) -> list[Annotation]:
        return [a for a in self.annotations if a.name == name and start <= a.start < end]
