"""Plugin rules: Python rules a team writes with the same `Rule` and `Index` the shipped
rules use, found in two places:

- the `imgpolicy.rules` entry point group of any installed package (the entry point names
  a `Rule` subclass, or a module whose `Rule` subclasses are all taken);
- the `rules_path:` folder of the configuration: every `*.py` file in it, imported by path.

A plugin that cannot be imported, or whose rules are not usable (no code, a code a shipped
rule or a house rule has), is a `PluginError` naming the plugin: exit 2, no traceback.
A plugin rule that raises while checking is reported with its name and the check still
reports every shipped rule's findings (`engine`).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from .rules.base import Rule

GROUP = "imgpolicy.rules"
PLUGIN_CODE = re.compile(r"^[A-Z]{2,8}\d{3,4}$")


class PluginError(Exception):
    """A plugin that cannot be used; the message names it and says what to do."""


@dataclass(frozen=True)
class PluginRule:
    rule: type[Rule]
    origin: str
    """Where the rule comes from, as `imgpolicy rules` shows it: `plugin:<package>` or
    `rules_path:<file>`."""


@cache
def entry_point_rules() -> tuple[PluginRule, ...]:
    """The rules of every installed package's `imgpolicy.rules` entry points."""
    found: list[PluginRule] = []
    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        package = point.dist.name if point.dist else point.value.split(":")[0]
        origin = f"plugin:{package}"
        try:
            value = point.load()
        except Exception as err:  # whatever a third-party import raises
            raise PluginError(
                f"plugin '{point.name}' ({point.value}, from {package}) cannot be imported "
                f"({type(err).__name__}: {err}); fix or uninstall {package}"
            ) from None
        rules = _rules_of(value) if isinstance(value, ModuleType) else [value]
        found += [_checked(rule, origin, f"plugin '{point.name}'") for rule in rules]
    return tuple(found)


def path_rules(folder: str) -> tuple[PluginRule, ...]:
    """The rules of every `*.py` file in `folder` (the configuration's `rules_path:`)."""
    found: list[PluginRule] = []
    for file in sorted(Path(folder).glob("*.py")):
        module = _import_file(file)
        origin = f"rules_path:{file.name}"
        found += [_checked(rule, origin, f"rule file {file}") for rule in _rules_of(module)]
    return tuple(found)


def _import_file(file: Path) -> ModuleType:
    """`file` imported as a module of its own (not on sys.path: another team's file of
    the same name cannot shadow it)."""
    name = f"imgpolicy_rules_path.{file.stem}_{abs(hash(str(file.resolve())))}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise PluginError(f"rule file {file} cannot be imported: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # whatever the team's file raises on import
        raise PluginError(
            f"rule file {file} cannot be imported ({type(err).__name__}: {err}); fix it or "
            "remove it from rules_path"
        ) from None
    sys.modules[name] = module
    return module


def _rules_of(module: ModuleType) -> list[type[Rule]]:
    """The `Rule` subclasses defined in `module` (not the ones it imports)."""
    return [
        value
        for _, value in inspect.getmembers(module, inspect.isclass)
        if issubclass(value, Rule) and value is not Rule and value.__module__ == module.__name__
    ]


def _checked(rule: object, origin: str, name: str) -> PluginRule:
    """`rule` if it is a usable rule class, else PluginError saying why."""
    if not (isinstance(rule, type) and issubclass(rule, Rule)):
        raise PluginError(f"{name} is not a Rule subclass: subclass imgpolicy.rules.base.Rule")
    code = getattr(rule, "code", None)
    if not isinstance(code, str) or not PLUGIN_CODE.match(code) or code.startswith("HOUSE"):
        raise PluginError(
            f"{name}: rule {rule.__name__} has code {code!r}; give it a code of 2-8 capital "
            "letters and 3-4 digits such as ACME001 (HOUSE codes are for house rules)"
        )
    if not isinstance(getattr(rule, "name", None), str):
        raise PluginError(f'{name}: rule {code} has no name: set `name = "what-it-finds"`')
    if rule.check is Rule.check:
        raise PluginError(f"{name}: rule {code} has no check(self, index) method")
    return PluginRule(rule, origin)


def merged(shipped: set[str], *groups: tuple[PluginRule, ...]) -> dict[str, PluginRule]:
    """Plugin rules by code; a code a shipped rule or another plugin rule has is refused
    (a plugin cannot replace, and so silence, a shipped rule)."""
    rules: dict[str, PluginRule] = {}
    for group in groups:
        for plugin in group:
            code = plugin.rule.code
            if code in shipped:
                raise PluginError(
                    f"{plugin.origin}: rule {code} has the code of a shipped rule; give it "
                    "a code of its own"
                )
            if code in rules:
                raise PluginError(
                    f"{plugin.origin}: rule {code} has the code of a rule of "
                    f"{rules[code].origin}; give it a code of its own"
                )
            rules[code] = plugin
    return rules
