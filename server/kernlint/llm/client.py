"""The model client: litellm, imported lazily in a worker thread, plus the two guards that run
before anything leaves the machine (the destination allowlist) and after anything comes back
(secret scrubbing of error text).

API keys are never read, passed or stored by kernlint: litellm takes them from the provider's
environment variables (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...). Error text coming back from
litellm or the provider may still quote a key (some providers echo a bad one), so every
message we log or return goes through `scrub()` first.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..config import LlmSettings

log = logging.getLogger("kernlint.llm")

# One small pool of our own: litellm calls block, and the editor's thread pool is not ours to
# fill. Calls abandoned after a timeout or a cancel finish in the background (bounded by the
# request timeout handed to litellm).
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="kernlint-llm")
_IMPORT_LOCK = threading.Lock()
_LITELLM: ModuleType | None = None


class LlmError(Exception):
    """A model call failed; the message is scrubbed and fit to show a user."""


class LlmCancelled(LlmError):
    pass


class EventLike(Protocol):
    def is_set(self) -> bool: ...


# ---------------------------------------------------------------- secrets
_SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.I)
# (pattern, keeps its first group): key shapes, and whatever follows "Bearer" or "api_key=".
_SECRET_SHAPES = [
    (re.compile(r"\b(?:sk|pk|rk|gsk|xai|ak)-[A-Za-z0-9_\-]{8,}"), False),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]{8,}"), True),
    (re.compile(r"(?i)((?:api[_-]?key|x-api-key|authorization|token)[\"']?\s*[:=]\s*[\"']?)"
                r"[^\s\"',}]{6,}"), True),
]


def _secret_values() -> list[str]:
    vals = []
    for name, value in os.environ.items():
        if _SECRET_ENV.search(name) and len(value) >= 8:
            vals.append(value)
    return sorted(set(vals), key=len, reverse=True)


def scrub(text: str) -> str:
    """Remove API keys and credentials from text before it is logged or shown."""
    for value in _secret_values():
        text = text.replace(value, "[redacted]")
    for shape, keeps_prefix in _SECRET_SHAPES:
        if keeps_prefix:
            text = shape.sub(lambda m: m.group(1) + "[redacted]", text)
        else:
            text = shape.sub("[redacted]", text)
    return text


# ---------------------------------------------------------------- destinations
# provider prefix -> (default endpoint, environment variables litellm reads to override it)
PROVIDER_ENDPOINTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "openai": ("https://api.openai.com/v1", ("OPENAI_API_BASE", "OPENAI_BASE_URL")),
    "text-completion-openai": ("https://api.openai.com/v1", ("OPENAI_API_BASE", "OPENAI_BASE_URL")),
    "anthropic": ("https://api.anthropic.com", ("ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL")),
    "ollama": ("http://localhost:11434", ("OLLAMA_API_BASE",)),
    "ollama_chat": ("http://localhost:11434", ("OLLAMA_API_BASE",)),
    "gemini": ("https://generativelanguage.googleapis.com", ("GEMINI_API_BASE",)),
    "mistral": ("https://api.mistral.ai/v1", ("MISTRAL_API_BASE",)),
    "groq": ("https://api.groq.com/openai/v1", ("GROQ_API_BASE",)),
    "deepseek": ("https://api.deepseek.com", ("DEEPSEEK_API_BASE",)),
    "openrouter": ("https://openrouter.ai/api/v1", ("OPENROUTER_API_BASE",)),
    "xai": ("https://api.x.ai/v1", ("XAI_API_BASE",)),
    "together_ai": ("https://api.together.xyz/v1", ("TOGETHERAI_API_BASE", "TOGETHER_AI_API_BASE")),
    "hosted_vllm": ("", ("HOSTED_VLLM_API_BASE",)),
}
# Bare model names litellm maps to a provider without a prefix.
_BARE_PREFIXES = (("gpt-", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"),
                  ("chatgpt-", "openai"), ("claude-", "anthropic"))


def provider_of(model: str) -> str | None:
    head, sep, _ = model.partition("/")
    if sep:
        return head if head in PROVIDER_ENDPOINTS else None
    for prefix, provider in _BARE_PREFIXES:
        if model.startswith(prefix):
            return provider
    return None


def endpoint_of(settings: LlmSettings) -> tuple[str, str]:
    """(endpoint URL or "", how it was found) for the request settings describe."""
    if settings.api_base:
        return settings.api_base, "api_base"
    provider = provider_of(settings.model)
    if provider is None:
        return "", "unknown provider"
    default, env_names = PROVIDER_ENDPOINTS[provider]
    for name in env_names:
        if os.environ.get(name):
            return os.environ[name], f"${name}"
    return default, f"{provider} default"


def _host_allowed(host: str, allowed: list[str]) -> bool:
    host = host.lower().rstrip(".")
    for entry in allowed:
        e = entry.strip().lower().rstrip(".")
        if not e:
            continue
        if e.startswith("*."):
            if host.endswith(e[1:]):
                return True
        elif host == e:
            return True
    return False


def check_destination(settings: LlmSettings) -> str | None:
    """None if a request may be sent; otherwise why not (one line, no secrets).

    With an empty `allowed_hosts` any destination is allowed. Otherwise the host of the
    endpoint the request would reach must be listed: `api_base` when set, else the provider's
    override variable ($OPENAI_API_BASE, $ANTHROPIC_BASE_URL, ...), else the provider's public
    endpoint (api.openai.com, api.anthropic.com, localhost for ollama, ...). A model whose
    provider kernlint does not know is refused unless `api_base` is set.
    """
    if not settings.model:
        return "no model configured (set [llm] model or --model)"
    if not settings.allowed_hosts:
        return None
    url, source = endpoint_of(settings)
    if not url:
        return (f"cannot tell which host `{settings.model}` would be sent to; set api_base "
                "or use a provider prefix kernlint knows (openai/, anthropic/, ollama/, ...)")
    host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
    if not _host_allowed(host, settings.allowed_hosts):
        return (f"host {host or url!r} ({source}) is not in llm.allowed_hosts "
                f"({', '.join(settings.allowed_hosts)})")
    return None


# ---------------------------------------------------------------- litellm
def load_litellm() -> ModuleType:
    """Import litellm once, quietly, without network access at import time. Blocks (seconds):
    call it from a worker thread."""
    global _LITELLM
    with _IMPORT_LOCK:
        if _LITELLM is not None:
            return _LITELLM
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.setdefault("LITELLM_LOG", "ERROR")
        import litellm

        litellm.telemetry = False
        litellm.suppress_debug_info = True
        litellm.success_callback = []
        litellm.failure_callback = []
        litellm.callbacks = []
        litellm.turn_off_message_logging = True
        litellm.drop_params = True  # providers that do not know a parameter ignore it
        for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
            logging.getLogger(name).setLevel(logging.ERROR)
        _LITELLM = litellm
        return litellm


@dataclass
class Reply:
    text: str
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0


def _content_of(resp: Any) -> tuple[str, int, int]:
    try:
        choice = resp.choices[0]
        text = choice.message.content or ""
    except (AttributeError, IndexError, KeyError, TypeError) as exc:
        raise LlmError("the model returned no message") from exc
    usage = getattr(resp, "usage", None)
    tin = int(getattr(usage, "prompt_tokens", 0) or 0) if usage is not None else 0
    tout = int(getattr(usage, "completion_tokens", 0) or 0) if usage is not None else 0
    return str(text), tin, tout


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    status = getattr(exc, "status_code", None)
    text = f"{name}" + (f" (HTTP {status})" if status else "") + (f": {msg}" if msg else "")
    return scrub(text)[:300]


def _complete_blocking(settings: LlmSettings, messages: list[dict[str, str]]) -> Reply:
    litellm = load_litellm()
    kwargs: dict[str, Any] = {
        "model": settings.model,
        "messages": messages,
        "timeout": settings.timeout,
        "max_tokens": settings.max_tokens,
        "temperature": settings.temperature,
        "num_retries": 0,
        "max_retries": 0,
    }
    if settings.api_base:
        kwargs["api_base"] = settings.api_base
    t0 = time.perf_counter()
    resp = litellm.completion(**kwargs)
    text, tin, tout = _content_of(resp)
    return Reply(text, tin, tout, time.perf_counter() - t0)


def prewarm() -> None:
    """Start importing litellm in the background; returns at once."""
    if _LITELLM is None:
        _POOL.submit(load_litellm)


async def warm_up() -> None:
    """Import litellm in the background (the server may call this when LLM fixes are on)."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(_POOL, load_litellm)


async def complete(settings: LlmSettings, messages: list[dict[str, str]],
                   cancel: EventLike | None = None, deadline: float | None = None) -> Reply:
    """One chat completion. Raises LlmError (scrubbed) or LlmCancelled; never blocks the loop.

    deadline: a time.monotonic() value after which the call is abandoned.
    """
    why = check_destination(settings)
    if why is not None:
        raise LlmError(why)
    loop = asyncio.get_running_loop()
    fut = loop.run_in_executor(_POOL, _complete_blocking, settings, messages)
    limit = time.monotonic() + settings.timeout + 5.0
    if deadline is not None:
        limit = min(limit, deadline)
    try:
        while True:
            if cancel is not None and cancel.is_set():
                fut.cancel()
                raise LlmCancelled("cancelled")
            left = limit - time.monotonic()
            if left <= 0:
                fut.cancel()
                raise LlmError(f"the model did not answer within {settings.timeout:g}s")
            done, _ = await asyncio.wait({fut}, timeout=min(0.05, left))
            if done:
                break
        return fut.result()
    except (LlmError, asyncio.CancelledError):
        raise
    except Exception as exc:
        described = _describe(exc)
        if "timeout" in type(exc).__name__.lower() or "timed out" in described.lower():
            raise LlmError(f"the model did not answer within {settings.timeout:g}s") from None
        log.info("model call failed: %s", described)
        raise LlmError(described) from None
