"""Subcommands of the LLM face: `kernlint llm-fix` and `kernlint eval`.

Registered by `kernlint.cli._register_optional`; imports nothing heavy (litellm is loaded
only when a model is actually called).
"""

from __future__ import annotations

import argparse


def _llm_fix(args: argparse.Namespace) -> int:
    from .batch import run_llm_fix

    return run_llm_fix(args)


def _eval(args: argparse.Namespace) -> int:
    from .evaluate import run_eval

    return run_eval(args)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", help="only these rules or prefixes, comma-separated")
    p.add_argument("--ignore", help="skip these rules or prefixes, comma-separated")
    p.add_argument("--config", help="path to a .kernlint.toml (default: searched upwards)")


def add_llm_args(p: argparse.ArgumentParser, write: bool = True, report: bool = True) -> None:
    """The model options of `llm-fix` and `eval`; `kernlint fix` adds them for --llm with
    write=False (it has its own --write)."""
    p.add_argument("--model", help="litellm model string, e.g. openai/gpt-4o-mini, "
                                   "anthropic/claude-3-5-sonnet-latest, ollama/qwen2.5-coder "
                                   "(default: [llm] model or $KERNLINT_LLM_MODEL)")
    p.add_argument("--api-base", help="OpenAI-compatible endpoint, e.g. "
                                      "http://127.0.0.1:8080/v1 for llama.cpp or vLLM")
    p.add_argument("--candidates", type=int, help="model answers per finding before the "
                                                  "repair round (default: [llm] candidates)")
    p.add_argument("--timeout", type=float, help="seconds per model call")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the LLM "
                                                            "fix cache")
    if write:
        p.add_argument("--write", action="store_true", help="apply verified fixes to the files")
    if report:
        p.add_argument("--report", metavar="FILE.jsonl", help="write one JSON line per finding "
                                                              "sent to the model")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("llm-fix", help="ask a model to fix every finding; print or write the "
                                       "fixes kernlint verified (same as fix --llm)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    add_llm_args(p)
    _common(p)
    p.set_defaults(func=_llm_fix)

    p = sub.add_parser("eval", help="measure how often a model's fixes pass verification, "
                                    "per bug class, on a folder of cases")
    p.add_argument("cases", metavar="CASES", help="folder of NAME.c + NAME.toml cases")
    add_llm_args(p, write=False, report=False)
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--json", metavar="FILE", help="also write the JSON report to FILE")
    _common(p)
    p.set_defaults(func=_eval)
