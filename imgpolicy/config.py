"""Configuration: `.imgpolicy.yaml` or `[tool.imgpolicy]` in pyproject.toml.

The nearest one above the environment wins (in one folder, `.imgpolicy.yaml` before
pyproject.toml), searching up to the repository root (the first folder holding `.git`)
or the filesystem root; `--config FILE` overrides the search. A configuration in a folder
other users may write to (such as /tmp) is ignored with a note: whoever can plant it
could otherwise turn rules off. Both files are read bounded (1 MiB), so a FIFO or a huge
file is a clear error, not a hang.

    select: [AE, RT, DR004]      # codes or family prefixes; default: every rule
    ignore: [AE006]
    fail_on: warning             # error (default), warning or info
    today: 2026-11-28            # the date time-based rules use (default: today)
    rules:
      DR003: {severity: warning, minimum_window: 14d}
    exclude: [charts/, "*.helm.yaml"]   # YAML under the environment that is not part of it
    house_rules: [...]           # the team's declarative rules (imgpolicy/house.py)
    rules_path: rules/           # a folder of Python rule files (imgpolicy/plugins.py)
    cache_dir: .imgpolicy_cache  # where parsed files are cached (imgpolicy/load/cache.py)
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import fsutil
from .findings import Severity
from .load.files import Exclusions, glob_regex
from .model.types import parse_date

if TYPE_CHECKING:
    from .rules.base import Rule

MAX_CONFIG_BYTES = 1 * fsutil.MiB


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
    exclude: list[str] = field(default_factory=list)
    """Globs of YAML files under the environment that are not part of it, relative to the
    configuration file's folder."""
    notes: list[str] = field(default_factory=list)
    """What the report says about the configuration: which file was used, or ignored."""
    extensions: list[Any] = field(default_factory=list)
    """House rules (instances) and plugin rules (classes) run next to the shipped ones."""
    origins: dict[str, str] = field(default_factory=dict)
    """Code of each house or plugin rule -> where it comes from (`imgpolicy rules`)."""
    cache_dir: str | None = None
    """`cache_dir:`, relative to the configuration file's folder (`load/cache.py`)."""

    def exclusions(self) -> Exclusions:
        """The `exclude:` globs, for the loader."""
        base = os.path.dirname(os.path.abspath(self.source)) if self.source else None
        return Exclusions(tuple(self.exclude), base, _shown(self.source) if self.source else None)

    def selects(self, code: str) -> bool:
        """Whether findings of `code` are reported (the catalogue says what each family's
        selection means)."""
        from .catalogue import selected

        return selected(code, self.select, self.ignore)


def find_config(start: str, ignored: list[str] | None = None) -> str | None:
    """The nearest configuration above `start`, up to the repository root or `/`. One in a
    folder others can write to is skipped; a sentence saying so goes to `ignored`."""
    folder = Path(start).resolve()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        yaml_file = candidate / ".imgpolicy.yaml"
        pyproject = candidate / "pyproject.toml"
        if os.path.lexists(yaml_file) and not yaml_file.is_dir():
            found: Path | None = yaml_file
        elif pyproject.is_file() and _pyproject_table(str(pyproject)) is not None:
            found = pyproject
        else:
            found = None
        if found is not None:
            why = _planted(found)
            if why is None:
                return str(found)
            if ignored is not None:
                ignored.append(f"Ignored configuration {found}: {why}.")
        if (candidate / ".git").exists():
            break
    return None


def _planted(path: Path) -> str | None:
    """Why a configuration file may have been planted by another user, or None: it, or its
    folder, is writable by others (a sticky folder such as /tmp protects only a file we
    own)."""
    try:
        folder = os.stat(path.parent)
        info = os.stat(path)
    except OSError:
        return None
    if info.st_mode & 0o002:
        return "the file is writable by every user"
    if folder.st_mode & 0o002:
        sticky = folder.st_mode & stat.S_ISVTX
        if not (sticky and info.st_uid == os.geteuid()):
            return "its folder is writable by every user; pass it with --config to use it"
    return None


def _shown(path: str) -> str:
    """A configuration path as the report names it: relative to the working folder when
    under it."""
    rel = os.path.relpath(os.path.abspath(path))
    return path if rel.startswith("..") else rel


def _read_text(path: str) -> str:
    """The configuration file's text: bounded, regular files only, UTF-8."""
    try:
        return fsutil.read_bounded(path, MAX_CONFIG_BYTES).decode("utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: cannot read: not UTF-8 ({err.reason})") from None


def _pyproject_table(path: str) -> dict | None:
    import tomllib

    text = _read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: cannot read TOML: {err}") from None
    table = data.get("tool", {}).get("imgpolicy")
    return table


def load_config(path: str | None) -> Config:
    if path is None:
        return _with_extensions(Config(), {}, "")
    positions = None
    if path.endswith(".toml"):
        raw = _pyproject_table(path) or {}
        where = f"{path} [tool.imgpolicy]"
    else:
        from .load.yaml12 import YAMLLoadError, load_documents

        try:
            documents = load_documents(_read_text(path))
        except YAMLLoadError as err:
            raise ConfigError(f"{path}:{err.line}:{err.column}: {err.message}") from None
        raw = documents[0].data if documents else {}
        positions = documents[0].pos if documents else None
        where = path
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of settings")
    return _parse(raw, where, path, positions)


def _parse(raw: dict, where: str, path: str, positions: Any = None) -> Config:
    from .catalogue import no_rule_left, selector_problem, severity_problem
    from .rules.registry import all_rules

    known = {"select", "ignore", "fail_on", "today", "rules", "exclude"}
    known |= {"house_rules", "rules_path", "cache_dir"}
    for key in raw:
        if key not in known:
            raise ConfigError(
                f"{where}: unknown setting '{key}' (known: {', '.join(sorted(known))})"
            )
    config = _with_extensions(Config(source=path), raw, where, positions)
    plugin_rules = {r.code: r for r in config.extensions if isinstance(r, type)}  # type: ignore[attr-defined]
    rules: dict[str, type[Rule]] = {**all_rules(), **plugin_rules}
    for key in ("select", "ignore"):
        values = raw.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{where}: '{key}' must be a list of rule codes or families")
        for value in values:
            problem = selector_problem(value)
            if problem:
                raise ConfigError(f"{where}: {key}: {problem}")
        setattr(config, key, values)
    if no_rule_left(config.select, config.ignore):
        raise ConfigError(
            f"{where}: select {config.select} with ignore {config.ignore} leaves no rule to "
            "run: remove the ignored codes from select, or select more"
        )
    config.exclude = _globs(raw.get("exclude", []), f"{where}: exclude")
    if "cache_dir" in raw:
        folder = raw["cache_dir"]
        if not isinstance(folder, str) or not folder.strip():
            raise ConfigError(f"{where}: cache_dir must be a folder, like .imgpolicy_cache")
        config.cache_dir = os.path.join(os.path.dirname(os.path.abspath(path)), folder)
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
            raise ConfigError(f"{where}: rules.{code}: {severity_problem(code)}")
        if not isinstance(settings, dict):
            raise ConfigError(f"{where}: rules.{code} must be a mapping")
        config.rules[code] = _rule_settings(rules[code], settings, f"{where}: rules.{code}")
    return config


def _with_extensions(config: Config, raw: dict, where: str, positions: Any = None) -> Config:
    """`config` with its house rules, its `rules_path:` rules and the installed plugins'
    rules, which the catalogue then knows (select, ignore, `imgpolicy rules`)."""
    from . import catalogue, house, plugins
    from .rules.registry import all_rules

    try:
        local: tuple[plugins.PluginRule, ...] = ()
        if "rules_path" in raw:
            folder = raw["rules_path"]
            if not isinstance(folder, str) or not folder.strip():
                raise ConfigError(f"{where}: rules_path must be a folder of Python rule files")
            base = os.path.dirname(os.path.abspath(config.source or "."))
            folder = os.path.join(base, folder)
            if not os.path.isdir(folder):
                raise ConfigError(f"{where}: rules_path: {folder} is not a folder")
            local = plugins.path_rules(folder)
        found = plugins.merged(set(all_rules()), plugins.entry_point_rules(), local)
        house_rules = house.parse_house_rules(raw.get("house_rules", []), set(found))
    except plugins.PluginError as err:
        raise ConfigError(str(err)) from None
    except house.HouseRuleError as err:
        raise ConfigError(_house_rule_error(err, where, positions)) from None
    config.extensions = [*house_rules, *(p.rule for p in found.values())]
    config.origins = {r.code: "house" for r in house_rules}
    config.origins.update({code: p.origin for code, p in found.items()})
    catalogue.register_extensions(config.extensions, config.origins)
    return config


def _house_rule_error(err: Any, where: str, positions: Any) -> str:
    """A house rule's error at file:line:col when the file has positions (YAML, through
    the loader's position tree), else at the file and key path (pyproject.toml)."""
    if positions is None:
        return f"{where}: {err}"
    from .load.files import locate

    span, key_span = locate(positions, err.loc)
    line, column = key_span[:2] if err.on_key and key_span else span[:2]
    return f"{where}:{line}:{column}: {err}"


def _globs(values: Any, where: str) -> list[str]:
    """`exclude:` as a list of globs; each is checked so a typo is an error, not a file
    silently kept or dropped."""
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise ConfigError(f"{where} must be a list of globs like charts/ or '*.helm.yaml'")
    for value in values:
        if ".." in value.split("/"):
            raise ConfigError(f"{where}: '{value}' leaves the folder: globs cannot use '..'")
        try:
            glob_regex(value)
        except re.error as err:
            raise ConfigError(f"{where}: '{value}' is not a glob ({err})") from None
    return values


def _severity(value: Any, where: str) -> Severity:
    try:
        return Severity.parse(str(value))
    except ValueError:
        raise ConfigError(f"{where} must be error, warning or info, not {value!r}") from None


def _rule_settings(rule: type[Rule], settings: dict, where: str) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for key, value in settings.items():
        if key == "severity":
            parsed["severity"] = _severity(value, f"{where}.severity")
            continue
        if key not in rule.options:
            allowed = ", ".join(["severity", *rule.options]) or "severity"
            raise ConfigError(f"{where}: unknown option '{key}' (allowed: {allowed})")
        try:  # each option says how it is read and bounded (rules/base.py, Option)
            parsed[key] = rule.read_option(key, value)
        except ValueError as err:
            raise ConfigError(f"{where}.{key}: {err}") from None
    return parsed


def resolve_config(explicit: str | None, paths: tuple[str, ...]) -> Config:
    """The configuration for a run on `paths`: `--config`, else the nearest one found;
    its `notes` say which file it came from (or which was ignored)."""
    ignored: list[str] = []
    if explicit:
        if not os.path.lexists(explicit):
            raise ConfigError(f"{explicit}: no such config file")
        source: str | None = explicit
    else:
        source = find_config(paths[0], ignored) if paths else None
    config = load_config(source)
    config.notes = [*ignored, *([f"Configuration: {_shown(source)}."] if source else [])]
    return config
