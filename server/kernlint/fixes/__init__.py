"""Fixes: deterministic templates and their verification (LLM drafts live in kernlint.llm)."""
