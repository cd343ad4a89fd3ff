"""The syntax layer: kernel annotations are neutralised without moving any offset."""

from __future__ import annotations

from kernlint.syntax import ParsedFile, prepare

KERNEL_SNIPPET = """\
static int __init fx_init(void __user *arg, void __iomem *regs)
{
	struct fx *f = list_first_entry(&head, struct fx, node);
	struct fx *g __free(kfree) = kzalloc(sizeof(*g), GFP_KERNEL);
	unsigned int v = min_t(unsigned int, a, b);

	switch (v) {
	case 1 ... 3:
		break;
	}
	return 0;
}
"""


def test_prepare_keeps_length_and_lines() -> None:
    prepared = prepare(KERNEL_SNIPPET)
    assert len(prepared.text) == len(KERNEL_SNIPPET.encode())
    assert prepared.text.count(b"\n") == KERNEL_SNIPPET.count("\n")
    assert b"__user" not in prepared.text and b"__iomem" not in prepared.text
    assert any(a.name == "__free" and a.arg == "kfree" for a in prepared.annotations)


def test_annotations_removed_from_parse_errors() -> None:
    parsed = ParsedFile(KERNEL_SNIPPET)
    assert parsed.error_node_count() == 0
    [fn] = parsed.functions
    assert fn.name == "fx_init" and fn.params == ["arg", "regs"]


def test_plain_parse_would_fail() -> None:
    import tree_sitter
    from kernlint.syntax import C_LANGUAGE

    tree = tree_sitter.Parser(C_LANGUAGE).parse(KERNEL_SNIPPET.encode())
    assert tree.root_node.has_error


def test_comments_and_strings_are_not_blanked() -> None:
    text = 'static const char *s = "__user"; /* __iomem */\n'
    assert prepare(text).text == text.encode()


def test_incremental_update_matches_fresh_parse() -> None:
    parsed = ParsedFile(KERNEL_SNIPPET)
    edited = KERNEL_SNIPPET.replace("return 0;", "return v ? -EINVAL : 0;")
    parsed.update(edited)
    fresh = ParsedFile(edited)
    assert str(parsed.tree.root_node) == str(fresh.tree.root_node)
    assert [f.name for f in parsed.functions] == [f.name for f in fresh.functions]


def test_non_ascii_columns_are_code_points() -> None:
    text = "/* Grüße */ int x;\nint f(void) { return 0; }\n"
    parsed = ParsedFile(text)
    fn = parsed.functions[0]
    assert fn.span.start_line == 1 and fn.span.start_col == 0


def test_incremental_prepare_equals_full_prepare() -> None:
    import random

    from kernlint.syntax import prepare, prepare_incremental

    base = KERNEL_SNIPPET * 3
    rnd = random.Random(7)
    text = base
    prep = prepare(text)
    for _ in range(300):
        pos = rnd.randrange(len(text))
        if rnd.random() < 0.5:
            new = text[:pos] + rnd.choice(["a", "_", " ", "x1", "__user", "struct"]) + text[pos:]
        else:
            new = text[:pos] + text[pos + 1:]
        inc = prepare_incremental(text, prep, new)
        full = prepare(new)
        if inc is not None:
            assert inc.text == full.text
            assert [(a.name, a.arg, a.start, a.end) for a in inc.annotations] == \
                [(a.name, a.arg, a.start, a.end) for a in full.annotations]
        text, prep = new, full


def test_call_aliases_are_pure_renames_only() -> None:
    src = (
        "#define to_port(ep)\tof_get_parent(ep)\n"
        "#define grab(a, b) (clk_get((a), (b)))\n"
        "#define swapped(a, b) clk_get(b, a)\n"
        "#define plus_one(x) foo(x) + 1\n"
        "#define fewer(a, b) foo(a)\n"
        "#define self(x) self(x)\n"
        "int f(void) { return to_port(0) != 0; }\n"
    )
    p = ParsedFile(src)
    assert p.call_aliases == {"to_port": "of_get_parent", "grab": "clk_get"}
    p.update(src.replace("#define to_port(ep)\tof_get_parent(ep)\n", "\n"))
    assert p.call_aliases == {"grab": "clk_get"}
