"""Reliability runs for kernlint (issue #9): engine fuzzing, hostile LSP clients, lost-edit
checks and untrusted model output. `python -m bench.reliability.run --help`."""
