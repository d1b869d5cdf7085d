"""Every code imgpolicy can report, rules and load/schema/suppression codes alike, with the
text the output formats and docs show for it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .codes import CODES
from .findings import Severity
from .rules.registry import all_rules


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    severity: Severity
    summary: str
    help: str
    """Full text: the rule's docstring (What/Why/Bad/Good), or the code's summary."""


@cache
def catalogue() -> dict[str, Entry]:
    entries = {}
    for code, rule in all_rules().items():
        sections = rule.sections()
        parts = [sections["Summary"]]
        for title in ("What", "Why", "Bad", "Good", "Options"):
            if title in sections:
                parts.append(f"{title}:\n{sections[title]}")
        entries[code] = Entry(code, rule.name, rule.severity, rule.summary(), "\n\n".join(parts))
    for code, info in CODES.items():
        entries[code] = Entry(code, info.name, info.severity, info.summary, info.summary)
    return entries
