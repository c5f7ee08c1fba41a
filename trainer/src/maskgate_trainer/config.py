"""YAML configs: one base file plus small per-experiment files (`_base_: base.yaml`) merged deeply."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            if k not in out and base:
                raise ConfigError("UNKNOWN_KEY", f"unknown config key {k!r}")
            out[k] = v
    return out


def load_config(path: str | Path, overrides: list[str] | None = None) -> dict[str, Any]:
    """Load `path`, resolving `_base_` chains, then apply `section.key=value` overrides (YAML values)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("NO_CONFIG", f"config {path} not found")
    raw = yaml.safe_load(path.read_text()) or {}
    base_name = raw.pop("_base_", None)
    cfg = _merge(load_config(path.parent / base_name), raw) if base_name else raw
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError("BAD_OVERRIDE", f"override {item!r} is not section.key=value")
        key, value = item.split("=", 1)
        parts = key.split(".")
        node = cfg
        for p in parts[:-1]:
            if p not in node or not isinstance(node[p], dict):
                raise ConfigError("UNKNOWN_KEY", f"unknown config section {key!r}")
            node = node[p]
        if parts[-1] not in node:
            raise ConfigError("UNKNOWN_KEY", f"unknown config key {key!r}")
        node[parts[-1]] = yaml.safe_load(value)
    return cfg
