"""The device-managed alternative, offered as a second action for KL101/KL301 where the file
already uses managed APIs (devm_*, dmam_*, pcim_*, snd_devm_*):

    err = snd_card_new(&pci->dev, ...);   ->   err = snd_devm_card_new(&pci->dev, ...);
    buf = kzalloc(len, GFP_KERNEL);       ->   buf = devm_kzalloc(&pdev->dev, len, GFP_KERNEL);

and the releases of that object are deleted: the function's own (error paths and success
path) and the one in the driver's teardown (remove()/disconnect(), a private_free/dev_free
style destructor) that frees the same stored object, since the device core now frees it.
That is a second edit site in another function; the candidate declares it to the verifier.

What is rewritten how is data (data/managed_api.toml, extendable under [knowledge.managed]);
which calls release the object comes from kernel_api.toml.

Applicability: **unsafe**. The object now lives until the device is unbound and is freed
after remove() returns, in reverse order of acquisition with the other managed resources
(a card freed after its registers were unmapped, an IRQ handler still installed while
remove() stops the hardware). Read the diff before applying it.

Offered only when everything is accounted for: the function sets the device up (its name
says probe/create/init/...), the device comes from the code (the device it already passes to
managed calls, or its `struct device *` / `struct pci_dev *` / ... parameter, all agreeing),
the object is stored in a field or as driver data and nowhere else (no alias, no return, no
address taken, no hand-off), and exactly one teardown function in the file releases that
stored object, with no other function touching it. Anything else: no alternative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter

from ..cfg import call_name
from ..facts import FunctionFacts
from ..knowledge import ManagedAlt
from ..model import Applicability, Finding, TextEdit
from ..syntax import Function, mask_code
from .base import Candidate, FixContext, finding_exit, res_in

FIX_MANAGED = "managed.devm"

_IDENT = re.compile(r"[A-Za-z_]\w*")
_MEMBER = re.compile(r"([A-Za-z_]\w*)(->|\.)([A-Za-z_]\w*)")


class _Bail(Exception):
    """The code is not in a shape this template can account for: offer nothing."""


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class _Field:
    struct: str  # "struct tern_priv*": the type of the base pointer
    name: str


@dataclass
class _Plan:
    storages_fields: set[_Field]
    getters: set[str]  # drvdata getters that find the object again


# ---------------------------------------------------------------- small syntax helpers
def _walk(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(n.named_children))
    return out


def _args(call: tree_sitter.Node) -> list[tree_sitter.Node]:
    a = call.child_by_field_name("arguments")
    return [x for x in (a.named_children if a is not None else []) if x.type != "comment"]


def _declared_types(ctx: FixContext, fn: Function) -> dict[str, str]:
    """Identifier -> its declared type ("struct tern_priv*"), for parameters and locals of
    fn; an identifier declared twice with different types is left out."""
    out: dict[str, str] = {}
    clash: set[str] = set()
    for n in _walk(fn.node):
        if n.type not in ("parameter_declaration", "declaration"):
            continue
        ty = n.child_by_field_name("type")
        if ty is None:
            continue
        base = _flat(ctx.node_text(ty)).replace("struct", "struct ", 1)
        for d in n.children_by_field_name("declarator"):
            if d.type == "init_declarator":
                d = d.child_by_field_name("declarator") or d
            stars = 0
            while d.type == "pointer_declarator":
                stars += 1
                inner = d.child_by_field_name("declarator")
                if inner is None:
                    break
                d = inner
            if d.type != "identifier":
                continue
            name, t = ctx.node_text(d), base + "*" * stars
            if out.get(name, t) != t:
                clash.add(name)
            out[name] = t
    for c in clash:
        out.pop(c, None)
    return out


def _field_of(ctx: FixContext, node: tree_sitter.Node, types: dict[str, str]) -> _Field | None:
    """`base->name` / `base.name` with a base whose declared type is known."""
    if node.type != "field_expression":
        return None
    m = _MEMBER.fullmatch(_flat(ctx.node_text(node)))
    if m is None:
        return None
    t = types.get(m.group(1))
    if t is None:
        raise _Bail  # a field of something whose type we do not know: cannot tell
    return _Field(t, m.group(3))


def _member_name(ctx: FixContext, node: tree_sitter.Node) -> str | None:
    m = _MEMBER.fullmatch(_flat(ctx.node_text(node))) if node.type == "field_expression" else None
    return m.group(3) if m else None


def _is_side_effect_free(node: tree_sitter.Node) -> bool:
    return not any(n.type in ("call_expression", "assignment_expression", "update_expression")
                   for n in _walk(node))


def _statement_lines(ctx: FixContext, node: tree_sitter.Node) -> tuple[int, int] | None:
    """[first, last+1) lines of a node that stands alone on its lines."""
    sl, sc = ctx.pos(node.start_byte)
    el, ec = ctx.pos(node.end_byte)
    if ctx.line(sl)[:sc].strip() or ctx.line(el)[ec:].strip():
        return None
    return sl, el + 1


def _delete(ctx: FixContext, stmt: tree_sitter.Node) -> TextEdit:
    """Delete a release statement: its own lines, or the `if (cond) release;` around it
    when that is all the if does (cond without side effects). Raises _Bail otherwise."""
    target = stmt
    parent = stmt.parent
    if parent is not None and parent.type == "compound_statement" and \
            len([c for c in parent.named_children if c.type != "comment"]) == 1 and \
            parent.parent is not None and parent.parent.type == "if_statement":
        target, parent = parent, parent.parent
    if parent is not None and parent.type == "if_statement":
        cons = parent.child_by_field_name("consequence")
        cond = parent.child_by_field_name("condition")
        if cons is None or cons.id != target.id or cond is None or \
                parent.child_by_field_name("alternative") is not None or \
                not _is_side_effect_free(cond):
            raise _Bail
        target, parent = parent, parent.parent
    if parent is None:
        raise _Bail
    if parent.type == "labeled_statement":
        # `label:` must stay on its own line and still label a statement afterwards
        if ctx.pos(parent.start_byte)[0] == ctx.pos(target.start_byte)[0]:
            raise _Bail
        block = parent.parent
        if block is None or block.type != "compound_statement":
            raise _Bail
        kids = [c for c in block.named_children if c.type != "comment"]
        if kids[-1].id == parent.id:
            raise _Bail  # `label: }` would be left
    elif parent.type != "compound_statement":
        raise _Bail
    lines = _statement_lines(ctx, target)
    if lines is None:
        raise _Bail
    start = ctx.parsed.lines.line_start(lines[0])
    end = ctx.parsed.lines.line_start(lines[1])
    return TextEdit(ctx.span(start, end), "")


def _statement_of(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The expression statement a call is the whole of, or None."""
    p = node.parent
    return p if p is not None and p.type == "expression_statement" else None


# ---------------------------------------------------------------- the template
def candidates(ctx: FixContext, facts: FunctionFacts, fn: Function,
               finding: Finding) -> list[Candidate]:
    if finding.rule not in ("KL101", "KL301") or finding.data.get("iter_ref"):
        return []
    try:
        c = _candidate(ctx, facts, fn, finding)
    except _Bail:
        return []
    return [c] if c is not None else []


def _uses_managed(ctx: FixContext) -> bool:
    prefixes = "|".join(re.escape(p) for p in ctx.k.managed_prefixes)
    return bool(prefixes) and re.search(r"\b(?:" + prefixes + r")\w*\s*\(",
                                        mask_code(ctx.text)) is not None


def _words(name: str) -> set[str]:
    return set(name.lower().split("_"))


def _candidate(ctx: FixContext, facts: FunctionFacts, fn: Function,
               finding: Finding) -> Candidate | None:
    api = ctx.k.managed
    if not _uses_managed(ctx) or not _words(fn.name) & set(api.setup_words):
        return None
    got = finding_exit(facts, finding)
    cfg = facts.cfg
    if got is None or cfg is None:
        return None
    item, _exit, states = got
    res = res_in(states[0], int(str(item[1])))
    if res is None:
        return None
    alt = api.alternatives.get(res.fn)
    acq = ctx.k.acquires.get(res.fn)
    site = cfg.nodes[res.site].ast
    if alt is None or acq is None or site is None:
        return None
    calls = [n for n in _walk(site) if n.type == "call_expression"
             and call_name(ctx.parsed, n) == res.fn]
    if len(calls) != 1:
        return None
    call = calls[0]
    loop = site.parent
    while loop is not None and loop.id != fn.body.id:
        if loop.type in ("for_statement", "while_statement", "do_statement"):
            return None  # one acquisition per iteration: not one stored object
        loop = loop.parent
    var = _flat(finding.resource)
    if not (_IDENT.fullmatch(var) or _MEMBER.fullmatch(var)):
        return None
    types = _declared_types(ctx, fn)
    device = _device(ctx, fn, types, alt, call)
    plan = _Plan(set(), set())
    if _MEMBER.fullmatch(var):
        m = _MEMBER.fullmatch(var)
        assert m is not None
        if m.group(1) not in types:
            return None
        plan.storages_fields.add(_Field(types[m.group(1)], m.group(3)))
    release_fns = {r.fn: r.arg for r in acq.releases}
    own = _own_uses(ctx, fn, var, site, call, plan, release_fns)
    if not plan.storages_fields and not plan.getters:
        return None  # not kept beyond the function: a device-lifetime object makes no sense
    teardown_fn, teardown = _teardown(ctx, fn, plan, release_fns)
    edits = [*_rewrite_call(ctx, call, alt, device), *(_delete(ctx, s) for s in own),
             *teardown]
    lo, hi = teardown_fn.span.start_line, teardown_fn.span.end_line + 1
    return Candidate(f"Use {alt.managed}() (device-managed)", edits, Applicability.UNSAFE,
                     FIX_MANAGED, extra_allowed=[(lo, hi)])


def _device(ctx: FixContext, fn: Function, types: dict[str, str], alt: ManagedAlt,
            call: tree_sitter.Node) -> str:
    """The device expression the managed call gets, from the code; _Bail when unclear."""
    api = ctx.k.managed
    seen: dict[str, str] = {}  # flattened -> as written
    for n in _walk(fn.body):
        if n.type == "call_expression" and call_name(ctx.parsed, n) in api.device_arg:
            args = _args(n)
            if args and _flat(ctx.node_text(args[0])) not in ("NULL", "0"):
                seen.setdefault(_flat(ctx.node_text(args[0])), ctx.node_text(args[0]).strip())
    for p in fn.params:
        t = types.get(p, "")
        m = re.fullmatch(r"struct (\w+)\*", t)
        fmt = api.device_of_param.get(m.group(1)) if m else None
        if fmt is not None:
            text = fmt.replace("{}", p)
            seen.setdefault(_flat(text), text)
    if alt.device == "same":
        args = _args(call)
        own = _flat(ctx.node_text(args[0])) if args else "NULL"
        if own in ("NULL", "0") or (seen and own not in seen):
            raise _Bail  # bound to no device, or to another device than the function's
        return ctx.node_text(args[0]).strip()
    if len(seen) != 1:
        raise _Bail  # no device, or several: do not guess
    return next(iter(seen.values()))


def _rewrite_call(ctx: FixContext, call: tree_sitter.Node, alt: ManagedAlt,
                  device: str) -> list[TextEdit]:
    name = call.child_by_field_name("function")
    args = call.child_by_field_name("arguments")
    if name is None or args is None:
        raise _Bail
    edits = [TextEdit(ctx.span(name.start_byte, name.end_byte), alt.managed)]
    added = len(alt.managed) - len(ctx.node_text(name))
    if alt.device == "prepend":
        sep = ", " if _args(call) else ""
        at = args.start_byte + 1
        edits.append(TextEdit(ctx.span(at, at), device + sep))
    return [*edits, *_realign(ctx, args, added)]


def _visual(text: str) -> int:
    return len(text.expandtabs(8))


def _realign(ctx: FixContext, args: tree_sitter.Node, added: int) -> list[TextEdit]:
    """Continuation lines aligned with the opening parenthesis move with it (by `added`
    columns: the name got longer)."""
    first, col = ctx.pos(args.start_byte)
    last = ctx.pos(args.end_byte)[0]
    if added == 0 or first == last:
        return []
    want = _visual(ctx.line(first)[:col + 1])
    out = []
    for ln in range(first + 1, last + 1):
        line = ctx.line(ln)
        indent = line[:len(line) - len(line.lstrip(" \t"))]
        if not line.strip() or _visual(indent) != want:
            continue
        new = want + added
        start = ctx.parsed.lines.line_start(ln)
        out.append(TextEdit(ctx.span(start, start + len(indent.encode())),
                            "\t" * (new // 8) + " " * (new % 8)))
    return out


def _is_null(text: str) -> bool:
    return _flat(text) in ("NULL", "0")


def _own_uses(ctx: FixContext, fn: Function, var: str, site: tree_sitter.Node,
              call: tree_sitter.Node, plan: _Plan, release_fns: dict[str, int]
              ) -> list[tree_sitter.Node]:
    """Follow every use of var in the acquiring function: record where it is stored
    (plan), return the release statements to delete, _Bail on anything else."""
    types = _declared_types(ctx, fn)
    api = ctx.k.managed
    releases: list[tree_sitter.Node] = []
    for n in _walk(fn.body):
        if n.type not in ("identifier", "field_expression") or _flat(ctx.node_text(n)) != var:
            continue
        if n.start_byte >= site.start_byte and n.end_byte <= site.end_byte:
            continue  # the acquisition itself
        p = n.parent
        if p is None:
            continue
        arg_of = p.child_by_field_name("argument") if p.type == "field_expression" else None
        if arg_of is not None and arg_of.id == n.id:
            continue  # var->x: a plain use
        if p.type == "pointer_expression" and ctx.node_text(p).lstrip().startswith("&"):
            raise _Bail  # its address escapes
        if p.type == "argument_list" and p.parent is not None:
            c = p.parent
            name = call_name(ctx.parsed, c)
            idx = [a.id for a in _args(c)].index(n.id) if n.id in [a.id for a in _args(c)] else -1
            if name in release_fns and idx == release_fns[name]:
                st = _statement_of(c)
                if st is None:
                    raise _Bail
                releases.append(st)
            elif name in api.drvdata and idx == 1:
                plan.getters.add(api.drvdata[name])
            elif (name in ctx.k.transfers and idx in ctx.k.transfers[name][0]) or \
                    (name not in ctx.k.transfers and idx > 0 and ctx.k.looks_like_transfer(name)):
                raise _Bail  # handed to someone whose release we cannot see
            continue
        if p.type == "assignment_expression":
            lhs, rhs = p.child_by_field_name("left"), p.child_by_field_name("right")
            if rhs is not None and rhs.id == n.id and lhs is not None:
                f = _field_of(ctx, lhs, types)
                if f is None:
                    raise _Bail  # an alias or a store through a pointer we do not follow
                plan.storages_fields.add(f)
                continue
            if lhs is not None and lhs.id == n.id:
                if (rhs is not None and _is_null(ctx.node_text(rhs))) or \
                        n.end_byte <= site.start_byte:
                    continue  # cleared, or the value set up before it is acquired
                raise _Bail  # reassigned: another object under the same name
        if p.type in ("return_statement", "init_declarator", "initializer_list",
                      "initializer_pair"):
            raise _Bail  # returned, or copied into another variable or an initialiser
    # releases through the stored field in this function too (snd_card_free(chip->card))
    for n in _walk(fn.body):
        if n.type != "call_expression" or call_name(ctx.parsed, n) not in release_fns:
            continue
        args = _args(n)
        i = release_fns[call_name(ctx.parsed, n)]
        if i < len(args) and _flat(ctx.node_text(args[i])) != var and \
                _stored_match(ctx, args[i], types, plan, {}):
            st = _statement_of(n)
            if st is None:
                raise _Bail
            releases.append(st)
    return releases


def _stored_match(ctx: FixContext, arg: tree_sitter.Node, types: dict[str, str], plan: _Plan,
                  from_getter: dict[str, tree_sitter.Node]) -> bool:
    """Does `arg` name the stored object (its field, its drvdata, or a local read from
    either)? _Bail when it might, but we cannot tell."""
    if arg.type == "field_expression":
        name = _member_name(ctx, arg)
        if name is None or all(f.name != name for f in plan.storages_fields):
            return False
        f = _field_of(ctx, arg, types)
        return f in plan.storages_fields
    if arg.type == "call_expression":
        return call_name(ctx.parsed, arg) in plan.getters
    if arg.type == "identifier":
        return ctx.node_text(arg) in from_getter
    return False


def _locals_from_storage(ctx: FixContext, fn: Function, types: dict[str, str],
                         plan: _Plan) -> dict[str, tree_sitter.Node]:
    """Locals of fn initialised from the stored object (`card = pci_get_drvdata(pci)`),
    with their declarations. _Bail when such a local is assigned again."""
    out: dict[str, tree_sitter.Node] = {}
    for n in _walk(fn.body):
        if n.type == "init_declarator":
            d, v = n.child_by_field_name("declarator"), n.child_by_field_name("value")
            while d is not None and d.type == "pointer_declarator":
                d = d.child_by_field_name("declarator")
            if d is not None and d.type == "identifier" and v is not None and \
                    _stored_match(ctx, v, types, plan, {}) and n.parent is not None:
                out[ctx.node_text(d)] = n.parent
        elif n.type == "assignment_expression":
            lhs, rhs = n.child_by_field_name("left"), n.child_by_field_name("right")
            if lhs is not None and rhs is not None and lhs.type == "identifier" and \
                    _stored_match(ctx, rhs, types, plan, {}):
                raise _Bail  # read from storage by assignment: not followed
    for n in _walk(fn.body):
        if n.type == "assignment_expression":
            lhs = n.child_by_field_name("left")
            if lhs is not None and ctx.node_text(lhs).strip() in out:
                raise _Bail
    return out


def _teardown_functions(ctx: FixContext) -> set[str]:
    api = ctx.k.managed
    names = {f.name for f in ctx.parsed.functions if _words(f.name) & set(api.teardown_words)}
    fields = "|".join(re.escape(f) for f in api.teardown_fields)
    if fields:
        for m in re.finditer(r"(?:\.|->)\s*(?:" + fields + r")\s*=\s*&?\s*([A-Za-z_]\w*)",
                             mask_code(ctx.text)):
            names.add(m.group(1))
    return names


def _teardown(ctx: FixContext, fn: Function, plan: _Plan,
              release_fns: dict[str, int]) -> tuple[Function, list[TextEdit]]:
    """The one release of the stored object in the driver's teardown, as deletion edits,
    and the function it is in. _Bail unless exactly one, in a teardown function, and no
    other function stores into the same place."""
    teardown_names = _teardown_functions(ctx)
    found: list[tuple[Function, tree_sitter.Node, dict[str, tree_sitter.Node]]] = []
    for other in ctx.parsed.functions:
        if other.name == fn.name:
            continue
        types = _declared_types(ctx, other)
        locals_ = _locals_from_storage(ctx, other, types, plan)
        for n in _walk(other.body):
            if n.type == "call_expression":
                name = call_name(ctx.parsed, n)
                args = _args(n)
                if name in release_fns:
                    i = release_fns[name]
                    if i < len(args) and _stored_match(ctx, args[i], types, plan, locals_):
                        found.append((other, n, locals_))
                elif name in ctx.k.managed.drvdata and len(args) > 1 and \
                        ctx.k.managed.drvdata[name] in plan.getters and \
                        not _is_null(ctx.node_text(args[1])):
                    raise _Bail  # another object stored as driver data
            elif n.type == "assignment_expression":
                lhs, rhs = n.child_by_field_name("left"), n.child_by_field_name("right")
                if lhs is not None and rhs is not None and \
                        _stored_match(ctx, lhs, types, plan, {}) and \
                        not (other.name in teardown_names and _is_null(ctx.node_text(rhs))):
                    raise _Bail  # stored elsewhere too: not one object we can follow
    if len(found) != 1 or found[0][0].name not in teardown_names:
        raise _Bail
    other, call, locals_ = found[0]
    st = _statement_of(call)
    if st is None:
        raise _Bail
    return other, _teardown_edits(ctx, other, st)


def _pure(ctx: FixContext, node: tree_sitter.Node) -> bool:
    """An initialiser whose only calls are driver-data getters (nothing happens if the
    variable goes)."""
    getters = set(ctx.k.managed.drvdata.values())
    return all(n.type != "call_expression" or call_name(ctx.parsed, n) in getters
               for n in _walk(node)) and _is_side_effect_free_but_calls(node)


def _is_side_effect_free_but_calls(node: tree_sitter.Node) -> bool:
    return not any(n.type in ("assignment_expression", "update_expression") for n in _walk(node))


def _teardown_edits(ctx: FixContext, fn: Function, release: tree_sitter.Node) -> list[TextEdit]:
    """Delete the release in the teardown function, then the locals that only fed it
    (`struct x *p = platform_get_drvdata(pdev);` with no use left); a body left with
    nothing in it becomes `{\n}`."""
    edits = [_delete(ctx, release)]
    gone: list[tuple[int, int]] = [(release.start_byte, release.end_byte)]
    changed = True
    while changed:
        changed = False
        for n in _walk(fn.body):
            if n.type != "declaration" or n.parent is None or \
                    n.parent.type != "compound_statement" or \
                    any(a <= n.start_byte and n.end_byte <= b for a, b in gone):
                continue
            decls = n.children_by_field_name("declarator")
            if len(decls) != 1 or decls[0].type != "init_declarator":
                continue
            d, v = decls[0].child_by_field_name("declarator"), decls[0].child_by_field_name("value")
            while d is not None and d.type == "pointer_declarator":
                d = d.child_by_field_name("declarator")
            if d is None or d.type != "identifier" or v is None or not _pure(ctx, v):
                continue
            name = ctx.node_text(d)
            live = [u for u in _walk(fn.body) if u.type == "identifier" and u.id != d.id
                    and ctx.node_text(u) == name
                    and not any(a <= u.start_byte < b for a, b in gone)]
            lines = _statement_lines(ctx, n)
            if live or lines is None:
                continue
            edits.append(TextEdit(ctx.span(ctx.parsed.lines.line_start(lines[0]),
                                           ctx.parsed.lines.line_start(lines[1])), ""))
            gone.append((n.start_byte, n.end_byte))
            changed = True
    left = [c for c in fn.body.named_children
            if not any(a <= c.start_byte and c.end_byte <= b for a, b in gone)]
    if not left and fn.body.child_count >= 2:
        open_b, close_b = fn.body.children[0], fn.body.children[-1]
        if ctx.pos(open_b.end_byte)[0] != ctx.pos(close_b.start_byte)[0]:
            close_line = ctx.pos(close_b.start_byte)[0]
            return [TextEdit(ctx.span(open_b.end_byte,
                                      ctx.parsed.lines.line_start(close_line)), "\n")]
    return edits
