#!/usr/bin/env bash
# Whole-tree benchmark: fetch the pinned kernel (if needed), then run
# bench/tree.py (kernlint cold/warm + the kernel's Coccinelle scripts).
# Extra arguments go to tree.py, e.g. bench/tree.sh --skip-cocci --jobs 4
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-$HERE/../.venv/bin/python}
[[ -x "$PY" ]] || PY=python3
TREE=$("$HERE/fetch_kernel.sh" | tail -n1)
if ! command -v spatch >/dev/null; then
    echo "tree.sh: spatch not found; install it with: apt-get install -y coccinelle" >&2
fi
exec "$PY" "$HERE/tree.py" --tree "$TREE" "$@"
