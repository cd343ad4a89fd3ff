"""ERROR-node share of tree-sitter-c on a kernel tree, plain parse vs kernlint's normalisation.

    .venv/bin/python bench/parse_stats.py [--tree DIR] [--subdir sound]

Counts files with at least one ERROR node and functions whose subtree contains one, before
and after kernlint blanks kernel annotations (syntax.prepare). Prints a table and writes
bench/results/parse-latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import tree_sitter
from kernlint.syntax import C_LANGUAGE, ParsedFile

DEFAULT_TREE = Path(
    os.environ.get(
        "KERNLINT_KTREE", Path.home() / ".cache/kernlint/linux-6.12.117/linux-source-6.12"
    )
)


def _count(root: tree_sitter.Node) -> tuple[int, int, int]:
    """(has error, functions, functions with error) for a translation unit."""
    fns = err_fns = 0
    stack = [root]
    while stack:
        n = stack.pop()
        if n.type == "function_definition":
            fns += 1
            err_fns += int(n.has_error)
            continue
        stack.extend(n.children)
    return int(root.has_error), fns, err_fns


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", type=Path, default=DEFAULT_TREE)
    ap.add_argument("--subdir", default="sound")
    ap.add_argument("--out-dir", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args()
    files = sorted((args.tree / args.subdir).rglob("*.c"))
    if not files:
        print(f"no .c files under {args.tree / args.subdir}; run bench/fetch_kernel.sh")
        return 2
    parser = tree_sitter.Parser(C_LANGUAGE)
    plain = [0, 0, 0]
    ours = [0, 0, 0]
    t0 = time.perf_counter()
    for f in files:
        text = f.read_bytes().decode("utf-8", "replace")
        for acc, tree in ((plain, parser.parse(text.encode())), (ours, ParsedFile(text).tree)):
            e, fn, ef = _count(tree.root_node)
            acc[0] += e
            acc[1] += fn
            acc[2] += ef
    n = len(files)
    res = {
        "files": n,
        "plain_files_with_errors": plain[0],
        "plain_functions": plain[1],
        "plain_functions_with_errors": plain[2],
        "kernlint_files_with_errors": ours[0],
        "kernlint_functions": ours[1],
        "kernlint_functions_with_errors": ours[2],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(f"{n} .c files under {args.subdir}/")
    print(f"{'':24}{'files with ERROR':>20}{'functions with ERROR':>26}")
    for label, acc in (("plain tree-sitter-c", plain), ("kernlint", ours)):
        print(
            f"{label:24}{acc[0]:>8} ({100 * acc[0] / n:5.1f}%)"
            f"{acc[2]:>12} of {acc[1]} ({100 * acc[2] / max(acc[1], 1):4.1f}%)"
        )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "parse-latest.json").write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
