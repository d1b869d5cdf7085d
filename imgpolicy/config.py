"""Configuration: `.imgpolicy.yaml` or `[tool.imgpolicy]` in pyproject.toml.

The nearest one above the environment wins (in one folder, `.imgpolicy.yaml` before
pyproject.toml); `--config FILE` overrides the search.

    select: [AE, RT, DR004]      # codes or family prefixes; default: every rule
    ignore: [AE006]
    fail_on: warning             # error (default), warning or info
    today: 2026-11-28            # the date time-based rules use (default: today)
    rules:
      DR003: {severity: warning, minimum_window: 14d}
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .findings import Severity
from .model.types import Duration, parse_date, parse_duration


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the key."""


@dataclass
class Config:
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    fail_on: Severity = Severity.ERROR
    today: date | None = None
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Rule code -> {"severity": Severity, option: value}."""
    source: str | None = None

    def selects(self, code: str) -> bool:
        def hit(patterns: list[str]) -> bool:
            return any(
                code == p or (code.startswith(p) and code[len(p) :].isdigit()) for p in patterns
            )

        return (not self.select or hit(self.select)) and not hit(self.ignore)


def find_config(start: str) -> str | None:
    folder = Path(start).resolve()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        yaml_file = candidate / ".imgpolicy.yaml"
        if yaml_file.is_file():
            return str(yaml_file)
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _pyproject_table(str(pyproject)) is not None:
            return str(pyproject)
    return None


def _pyproject_table(path: str) -> dict | None:
    import tomllib

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: cannot read TOML: {err}") from None
    return data.get("tool", {}).get("imgpolicy")


def load_config(path: str | None) -> Config:
    if path is None:
        return Config()
    if path.endswith(".toml"):
        raw = _pyproject_table(path) or {}
        where = f"{path} [tool.imgpolicy]"
    else:
        from .load.yaml12 import YAMLLoadError, load_documents

        try:
            with open(path, encoding="utf-8") as handle:
                documents = load_documents(handle.read())
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"{path}: cannot read: {err}") from None
        except YAMLLoadError as err:
            raise ConfigError(f"{path}:{err.line}:{err.column}: {err.message}") from None
        raw = documents[0].data if documents else {}
        where = path
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of settings")
    return _parse(raw, where, path)


def _parse(raw: dict, where: str, path: str) -> Config:
    from .codes import CODES
    from .rules.registry import FAMILIES, all_rules

    known = {"select", "ignore", "fail_on", "today", "rules"}
    for key in raw:
        if key not in known:
            raise ConfigError(
                f"{where}: unknown setting '{key}' (known: {', '.join(sorted(known))})"
            )
    rules = all_rules()
    config = Config(source=path)
    for key in ("select", "ignore"):
        values = raw.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{where}: '{key}' must be a list of rule codes or families")
        for value in values:
            if value not in rules and value not in FAMILIES and value not in CODES:
                raise ConfigError(
                    f"{where}: '{key}' names '{value}', which is no rule code "
                    "or family (see `imgpolicy rules`)"
                )
        setattr(config, key, values)
    if "fail_on" in raw:
        config.fail_on = _severity(raw["fail_on"], f"{where}: fail_on")
    if "today" in raw:
        try:
            config.today = parse_date(
                raw["today"] if isinstance(raw["today"], str) else str(raw["today"])
            )
        except Exception:
            raise ConfigError(f"{where}: today must be a date like 2026-11-28") from None
    per_rule = raw.get("rules", {})
    if not isinstance(per_rule, dict):
        raise ConfigError(f"{where}: 'rules' must map rule codes to settings")
    for code, settings in per_rule.items():
        if code not in rules:
            raise ConfigError(f"{where}: rules.{code}: no such rule (see `imgpolicy rules`)")
        if not isinstance(settings, dict):
            raise ConfigError(f"{where}: rules.{code} must be a mapping")
        config.rules[code] = _rule_settings(rules[code], settings, f"{where}: rules.{code}")
    return config


def _severity(value: Any, where: str) -> Severity:
    try:
        return Severity.parse(str(value))
    except ValueError:
        raise ConfigError(f"{where} must be error, warning or info, not {value!r}") from None


def _rule_settings(rule: type, settings: dict, where: str) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for key, value in settings.items():
        if key == "severity":
            parsed["severity"] = _severity(value, f"{where}.severity")
            continue
        if key not in rule.options:
            allowed = ", ".join(["severity", *rule.options]) or "severity"
            raise ConfigError(f"{where}: unknown option '{key}' (allowed: {allowed})")
        default = rule.options[key]
        try:
            parsed[key] = _coerce(default, value)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"{where}.{key}: {err}") from None
    return parsed


def _coerce(default: Any, value: Any) -> Any:
    if isinstance(default, Duration):
        try:
            return parse_duration(value)
        except Exception:
            raise ValueError(f"{value!r} is not a duration like 30d or 7y") from None
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError("expected true or false")
        return value
    if isinstance(default, (int, float)) and not isinstance(value, bool):
        if isinstance(value, (int, float)):
            return type(default)(value) if isinstance(default, float) else value
        raise TypeError(f"expected a number, not {value!r}")
    if isinstance(default, list):
        if not isinstance(value, list):
            raise TypeError("expected a list")
        return value
    if isinstance(default, str) and not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def resolve_config(explicit: str | None, paths: tuple[str, ...]) -> Config:
    if explicit:
        if not os.path.isfile(explicit):
            raise ConfigError(f"{explicit}: no such config file")
        return load_config(explicit)
    return load_config(find_config(paths[0]) if paths else None)
