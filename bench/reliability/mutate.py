"""Input mutators for the engine fuzzer: truncation, byte mutation, token shuffling, splicing,
and generators of pathological functions. Deterministic for a given random.Random."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

TOKEN_RE = re.compile(rb"[A-Za-z_]\w*|0[xX][0-9a-fA-F]+|\d+|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'"
                      rb"|->|\+\+|--|<<=|>>=|&&|\|\||[<>=!+\-*/%&|^]=?|\s+|.", re.S)
# Bytes that are interesting to a C parser or a UTF-8 decoder.
SPICE = [b"\x00", b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xe2\x82", b"{", b"}", b"(", b")",
         b";", b"\n", b"#", b"\\\n", b"/*", b"*/", b"\"", b"'", b"goto out;", b"return 0;",
         b"mutex_lock(&x->lock);", b"kfree(p);", b"p = kzalloc(4, GFP_KERNEL);", b"\r",
         b"\t", b"??/", b"__attribute__((", b"\xf0\x9f\x98\x80", b"\xe2\x80\xae"]


def _tokens(data: bytes) -> list[bytes]:
    return TOKEN_RE.findall(data)


def truncate_prefix(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def truncate_window(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    lines = data.split(b"\n")
    a = rng.randrange(len(lines))
    b = min(len(lines), a + rng.randint(1, 400))
    return b"\n".join(lines[a:b])


def truncate_mid_token(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    """Cut inside a function body: after a random '{' plus a few bytes."""
    opens = [m.start() for m in re.finditer(rb"\{", data)]
    if not opens:
        return truncate_prefix(data, rng, corpus)
    at = rng.choice(opens) + rng.randint(1, 200)
    return data[:at]


def flip_bytes(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    b = bytearray(data)
    for _ in range(rng.randint(1, 32)):
        i = rng.randrange(len(b))
        b[i] = rng.randrange(256) if rng.random() < 0.5 else b[i] ^ (1 << rng.randrange(8))
    return bytes(b)


def insert_bytes(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 24)):
        i = rng.randrange(len(b) + 1)
        b[i:i] = rng.choice(SPICE) if rng.random() < 0.8 else bytes(
            rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(b)


def delete_bytes(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        if not b:
            break
        i = rng.randrange(len(b))
        del b[i : i + rng.randint(1, 64)]
    return bytes(b)


def token_shuffle(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    toks = _tokens(data)
    if len(toks) < 4:
        return data
    a = rng.randrange(len(toks))
    b = min(len(toks), a + rng.randint(2, 200))
    window = toks[a:b]
    rng.shuffle(window)
    toks[a:b] = window
    return b"".join(toks)


def token_swap(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    toks = _tokens(data)
    if len(toks) < 2:
        return data
    for _ in range(rng.randint(1, 40)):
        i, j = rng.randrange(len(toks)), rng.randrange(len(toks))
        toks[i], toks[j] = toks[j], toks[i]
    return b"".join(toks)


def token_drop(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    """Drop structural tokens (braces, semicolons, parentheses, keywords) at random."""
    toks = _tokens(data)
    structural = [i for i, t in enumerate(toks) if t in (b"{", b"}", b";", b"(", b")", b"if",
                                                        b"else", b"return", b"goto", b"break")]
    if not structural:
        return data
    for i in sorted(rng.sample(structural, min(len(structural), rng.randint(1, 12))),
                    reverse=True):
        del toks[i]
    return b"".join(toks)


def token_dup(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    toks = _tokens(data)
    if not toks:
        return data
    a = rng.randrange(len(toks))
    b = min(len(toks), a + rng.randint(1, 300))
    at = rng.randrange(len(toks) + 1)
    toks[at:at] = toks[a:b] * rng.randint(1, 3)
    return b"".join(toks)


def splice(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    other = rng.choice(corpus) if corpus else data
    return data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1):]


# ---------------------------------------------------------------- pathological functions
def nested_braces(depth: int) -> bytes:
    return (b"int f(void)\n" + b"{" * depth + b"x();" + b"}" * depth + b"\n")


def nested_ifs(depth: int) -> bytes:
    body = b"".join(b"if (a%d) {\n" % i for i in range(depth))
    return (b"static int g(int *p)\n{\n void *buf = kzalloc(8, GFP_KERNEL);\n" + body
            + b"return -EINVAL;\n" + b"}\n" * depth + b"kfree(buf);\nreturn 0;\n}\n")


def nested_parens(depth: int) -> bytes:
    return b"int h(void)\n{\n return " + b"(" * depth + b"1" + b")" * depth + b";\n}\n"


def state_explosion(n: int) -> bytes:
    """n independent conditional allocations and locks: 2^n paths."""
    out = [b"static int boom(struct dev *d)\n{\n int err = 0;\n"]
    for i in range(n):
        out.append(b" void *p%d = NULL;\n" % i)
    for i in range(n):
        out.append(b" if (d->f%d) { p%d = kzalloc(4, GFP_KERNEL); mutex_lock(&d->l%d); }\n"
                   % (i, i, i))
    for i in range(n):
        out.append(b" if (d->g%d) { err = -EIO; goto out%d; }\n" % (i, i))
    for i in reversed(range(n)):
        out.append(b"out%d:\n if (d->f%d) { mutex_unlock(&d->l%d); kfree(p%d); }\n" % (i, i, i, i))
    out.append(b" return err;\n}\n")
    return b"".join(out)


def goto_spaghetti(n: int, rng: random.Random) -> bytes:
    out = [b"static int spag(struct dev *d)\n{\n void *p = kmalloc(8, GFP_KERNEL);\n"]
    for i in range(n):
        j = rng.randrange(n)
        out.append(b"l%d:\n if (d->c%d) goto l%d;\n if (d->e%d) spin_lock(&d->s);\n"
                   b" if (d->u%d) spin_unlock(&d->s);\n" % (i, i, j, i, i))
    out.append(b" kfree(p);\n return 0;\n}\n")
    return b"".join(out)


def long_line(n: int) -> bytes:
    return b"int z(void) { return " + b"1 + " * n + b"1; }\n"


def many_functions(n: int) -> bytes:
    return b"".join(b"static int f%d(struct d *x) { void *p = kzalloc(4, GFP_KERNEL);"
                    b" if (x->e) return -1; kfree(p); return 0; }\n" % i for i in range(n))


def pathological(rng: random.Random, scale: float = 1.0) -> tuple[str, bytes]:
    kind = rng.choice(["braces", "ifs", "parens", "states", "goto", "longline", "manyfn",
                       "switch"])
    s = max(1, int(scale * 1000))
    if kind == "braces":
        return kind, nested_braces(rng.randint(100, 5 * s))
    if kind == "ifs":
        return kind, nested_ifs(rng.randint(50, 5 * s))
    if kind == "parens":
        return kind, nested_parens(rng.randint(100, 5 * s))
    if kind == "states":
        return kind, state_explosion(rng.randint(8, 40))
    if kind == "goto":
        return kind, goto_spaghetti(rng.randint(10, max(11, s // 2)), rng)
    if kind == "longline":
        return kind, long_line(rng.randint(1000, 20 * s))
    if kind == "manyfn":
        return kind, many_functions(rng.randint(50, max(51, s)))
    cases = b"".join(b" case %d: if (x) goto out; mutex_lock(&l); break;\n" % i
                     for i in range(rng.randint(50, 2 * s)))
    return kind, (b"int sw(int v, int x)\n{\n switch (v) {\n" + cases
                  + b" }\n mutex_unlock(&l);\nout:\n return 0;\n}\n")


MUTATORS: dict[str, Callable[[bytes, random.Random, list[bytes]], bytes]] = {
    "truncate_prefix": truncate_prefix,
    "truncate_window": truncate_window,
    "truncate_mid": truncate_mid_token,
    "flip_bytes": flip_bytes,
    "insert_bytes": insert_bytes,
    "delete_bytes": delete_bytes,
    "token_shuffle": token_shuffle,
    "token_swap": token_swap,
    "token_drop": token_drop,
    "token_dup": token_dup,
    "splice": splice,
}


def decode(data: bytes, rng: random.Random) -> str:
    """Bytes -> str the way a client might hand them over: replacement characters, lone
    surrogates (surrogateescape), or latin-1."""
    r = rng.random()
    if r < 0.6:
        return data.decode("utf-8", "replace")
    if r < 0.9:
        return data.decode("utf-8", "surrogateescape")
    return data.decode("latin-1")


def make_input(rng: random.Random, corpus: list[tuple[str, bytes]], patho_rate: float = 0.03,
               scale: float = 1.0) -> tuple[str, str, str]:
    """(mutation label, origin name, text)."""
    if rng.random() < patho_rate:
        kind, data = pathological(rng, scale)
        return f"patho:{kind}", "<generated>", decode(data, rng)
    name, data = rng.choice(corpus)
    labels = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        label = rng.choice(list(MUTATORS))
        data = MUTATORS[label](data, rng, [d for _, d in corpus[:64]])
        labels.append(label)
    return "+".join(labels), name, decode(data, rng)
