"""Typed settings shared by the CLI and the language server.

Sources, later ones winning: defaults, `.kernlint.toml` (found upwards from the checked
path or the workspace root), then CLI flags / LSP initialization options and
workspace/configuration. Keys may be snake_case (TOML) or camelCase (editors).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .model import Severity

CONFIG_NAME = ".kernlint.toml"


class ConfigError(ValueError):
    """A setting has a bad value; the message is one line and names the key."""


@dataclass
class LlmSettings:
    enabled: bool = False
    model: str = ""
    api_base: str = ""
    timeout: float = 60.0
    max_tokens: int = 4096
    temperature: float = 0.2
    candidates: int = 2
    allowed_hosts: list[str] = field(default_factory=list)
    template: str = ""  # path to a user prompt template; empty: the packaged one
    max_changed_lines: int = 80


@dataclass
class Config:
    select: list[str] = field(default_factory=list)  # empty: all rules
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    debounce_ms: int = 150
    function_seconds: float = 2.0
    max_file_bytes: int = 8 * 1024 * 1024
    llm: LlmSettings = field(default_factory=LlmSettings)
    knowledge: dict[str, Any] = field(default_factory=dict)
    source: str = "defaults"

    def rule_enabled(self, code: str) -> bool:
        if self.select and not any(code.startswith(s) for s in self.select):
            return False
        return not any(code.startswith(s) for s in self.ignore)

    def fingerprint(self) -> str:
        import hashlib
        import json

        blob = json.dumps({"select": self.select, "ignore": self.ignore,
                           "severity": {k: v.value for k, v in self.severity.items()},
                           "knowledge": self.knowledge, "fs": self.function_seconds},
                          sort_keys=True, default=str)
        return hashlib.sha1(blob.encode()).hexdigest()[:16]


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


_RULE_CODE = re.compile(r"^K[LRA]\d{0,3}$")


def _str_list(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key}: expected a list of strings")
    return list(value)


def _codes(value: Any, key: str) -> list[str]:
    codes = _str_list(value, key)
    for c in codes:
        if not _RULE_CODE.match(c):
            raise ConfigError(f"{key}: {c!r} is not a rule code or prefix (e.g. KL101, KL1, KR)")
    return codes


def _number(value: Any, key: str, kind: type, lo: float, hi: float) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key}: expected a number")
    if kind is int and not float(value).is_integer():
        raise ConfigError(f"{key}: expected a whole number")
    if not lo <= value <= hi:
        raise ConfigError(f"{key}: {value} is out of range ({lo}..{hi})")
    return kind(value)


def apply_dict(cfg: Config, data: dict[str, Any], origin: str) -> Config:
    """Merge settings from a dict (TOML table or LSP settings) into cfg; raise ConfigError."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: settings must be a table/object")
    for raw_key, value in data.items():
        key = _snake(str(raw_key))
        where = f"{origin}: {raw_key}"
        if value is None:
            continue
        if key == "select":
            cfg.select = _codes(value, where)
        elif key == "ignore":
            cfg.ignore = _codes(value, where)
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of rule code -> level")
            sev: dict[str, Severity] = {}
            for code, level in value.items():
                if not _RULE_CODE.match(str(code)):
                    raise ConfigError(f"{where}: {code!r} is not a rule code")
                try:
                    sev[str(code)] = Severity(str(level).lower().replace("info", "information")
                                              if str(level).lower() == "info" else str(level).lower())
                except ValueError as exc:
                    raise ConfigError(f"{where}.{code}: level must be error, warning, "
                                      "information or hint") from exc
            cfg.severity = sev
        elif key == "debounce_ms":
            cfg.debounce_ms = _number(value, where, int, 0, 10000)
        elif key == "function_seconds":
            cfg.function_seconds = _number(value, where, float, 0.05, 120)
        elif key == "max_file_bytes":
            cfg.max_file_bytes = _number(value, where, int, 1024, 1 << 31)
        elif key == "llm":
            cfg.llm = _apply_llm(cfg.llm, value, where)
        elif key == "knowledge":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table")
            from .knowledge import KnowledgeError, load_knowledge

            try:
                load_knowledge(value)
            except (KnowledgeError, TypeError, ValueError) as exc:
                raise ConfigError(f"{where}: {exc}") from exc
            cfg.knowledge = value
        elif key in ("trace", "server"):
            continue  # client-side settings the server does not use
        else:
            raise ConfigError(f"{where}: unknown setting")
    cfg.source = origin
    return cfg


def _apply_llm(llm: LlmSettings, value: Any, where: str) -> LlmSettings:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table")
    names = {f.name for f in fields(LlmSettings)}
    out = LlmSettings(**{f.name: getattr(llm, f.name) for f in fields(LlmSettings)})
    for raw, v in value.items():
        key = _snake(str(raw))
        w = f"{where}.{raw}"
        if key not in names:
            raise ConfigError(f"{w}: unknown setting")
        if v is None:
            continue
        if key == "enabled":
            if not isinstance(v, bool):
                raise ConfigError(f"{w}: expected true or false")
            out.enabled = v
        elif key in ("model", "api_base", "template"):
            if not isinstance(v, str):
                raise ConfigError(f"{w}: expected a string")
            setattr(out, key, v)
        elif key == "timeout":
            out.timeout = _number(v, w, float, 1, 3600)
        elif key == "max_tokens":
            out.max_tokens = _number(v, w, int, 64, 200000)
        elif key == "temperature":
            out.temperature = _number(v, w, float, 0, 2)
        elif key == "candidates":
            out.candidates = _number(v, w, int, 1, 10)
        elif key == "max_changed_lines":
            out.max_changed_lines = _number(v, w, int, 1, 10000)
        elif key == "allowed_hosts":
            out.allowed_hosts = _str_list(v, w)
    return out


def find_config(start: Path) -> Path | None:
    here = start if start.is_dir() else start.parent
    for d in [here, *here.parents]:
        cand = d / CONFIG_NAME
        if cand.is_file():
            return cand
    return None


def load_config(path: Path | None) -> Config:
    cfg = Config()
    if path is None:
        return cfg
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from exc
    return apply_dict(cfg, data, str(path))
