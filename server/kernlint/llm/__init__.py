"""LLM-drafted fixes: a model rewrites one function, kernlint verifies the rewrite.

Nothing here runs unless `[llm] enabled = true` (or `kernlint llm-fix` / `fix --llm` is asked
for explicitly). litellm is imported lazily, in a worker thread, the first time a fix is
requested; importing this package costs nothing.

    prompt.py   -> the versioned template and the context it is filled with
    client.py   -> litellm calls, destination checks, secret scrubbing
    parse.py    -> model output (fenced block, bare function, unified diff) -> new file text
    release_check.py -> the "released twice" guard the rules do not cover yet
    actions.py  -> candidates + one repair round + verification -> LlmFixResult
    cache.py    -> verified rewrites on disk
    batch.py, cli.py -> `kernlint llm-fix` / `kernlint eval`
"""
