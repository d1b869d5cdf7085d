"""Every rule, found in the family modules of this package (the families and every other
code are described in `imgpolicy.catalogue`, which is what consumers read)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from .base import Rule

_NOT_RULES = {"base", "registry", "common"}


@cache
def all_rules() -> dict[str, type[Rule]]:
    rules: dict[str, type[Rule]] = {}
    package = importlib.import_module(__package__)
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name in _NOT_RULES:
            continue
        module = importlib.import_module(f"{__package__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value is not Rule
                and value.__module__ == module.__name__
            ):
                if value.code in rules:
                    raise RuntimeError(f"two rules share the code {value.code}")
                rules[value.code] = value
    return dict(sorted(rules.items(), key=lambda kv: _sort_key(kv[0])))


def _sort_key(code: str) -> tuple[str, int]:
    prefix = code.rstrip("0123456789")
    return prefix, int(code[len(prefix) :] or 0)
