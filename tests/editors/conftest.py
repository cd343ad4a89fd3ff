"""Fixtures for the real-editor tests. They live in editor_support.py, which the
test modules import by that unique name; the suite runs with
--import-mode=importlib, so this directory is put on sys.path here."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from editor_support import artifacts, example_c, fix_case, kernlint_bin  # noqa: F401
