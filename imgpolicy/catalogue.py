"""Every code imgpolicy can report, and every family of codes: the one place that
`--select`/`--ignore`, the configuration, suppressions, `imgpolicy rules`/`rule`, the
output formats and the documents read them from.

Rules come from `rules/` (their docstrings are their docs), the other codes from
`codes.py` (documented with the same sections). Families group codes by prefix, and each
family has a kind that says what a selection may do with it:

- `rule` families (AE, RT, DR...) may be selected, ignored and given another severity;
- `SUP` (suppression comments) may be ignored: it is reported whatever `select` names,
  since it is about the comments, not a rule;
- `YAML` and `SCHEMA` are always reported: a file that is not readable YAML makes the
  input unusable (exit 2), and policy rules only run on files that fit the model, so
  hiding either would hide why nothing was checked;
- `PROBE`, `IMPORT` and `AUDIT` come from `imgpolicy probe`, `imgpolicy import` and
  `imgpolicy audit`, not `check`.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from .codes import CODES
from .findings import Severity
from .rules.registry import all_rules

RULE, INPUT, SUPPRESSION, PROBE, IMPORT, AUDIT = (
    "rule",
    "input",
    "suppression",
    "probe",
    "import",
    "audit",
)

_RULE_FAMILIES = {
    "AE": "ae",
    "CF": "cf",
    "RT": "rt",
    "WL": "wl",
    "ST": "st",
    "RET": "ret",
    "DR": "dr",
    "DOSE": "dose",
    "AI": "ai",
    "TAT": "tat",
    "INT": "sec",
    "SEC": "sec",
    "TEL": "tel",
    "PID": "pid",
}
"""Rule code prefix -> the module of `imgpolicy.rules` that holds its rules."""

_OTHER_FAMILIES = {
    "YAML": (INPUT, "files that cannot be read as YAML (the input is unusable, exit 2)"),
    "SCHEMA": (INPUT, "content that does not fit the model (policy rules wait for a fix)"),
    "SUP": (SUPPRESSION, "suppression comments themselves"),
    "PROBE": (PROBE, "imgpolicy probe: the live network against the files"),
    "IMPORT": (IMPORT, "imgpolicy import: the source system's posture, what was left out"),
    "AUDIT": (AUDIT, "imgpolicy audit: what happened (traffic, headers, dose) against the files"),
}

_WHY_NOT = {
    INPUT: "is always reported: {family} problems stop the check or the rules, so they "
    "cannot be selected, ignored or given another severity; fix the file",
    PROBE: "comes from `imgpolicy probe`, not `check`",
    IMPORT: "comes from `imgpolicy import`, not `check`",
    AUDIT: "comes from `imgpolicy audit`, not `check`",
}


@dataclass(frozen=True)
class Family:
    prefix: str
    kind: str
    description: str


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    severity: Severity
    summary: str
    help: str
    """Full text: Summary, What, Why, Bad/Good (or Example), Options."""
    family: str = ""
    kind: str = RULE
    suppressible: bool = True
    sections: dict[str, str] = field(default_factory=dict)
    origin: str = "imgpolicy"
    """Where the code comes from: imgpolicy, house (the configuration's `house_rules`),
    plugin:<package> or rules_path:<file>."""


def family_of(code: str) -> str:
    return code.rstrip("0123456789")


@cache
def families() -> dict[str, Family]:
    found = {}
    for prefix, module in _RULE_FAMILIES.items():
        doc = inspect.getdoc(importlib.import_module(f"{__package__}.rules.{module}")) or ""
        description = doc.split("\n", 1)[0].split(":", 1)[-1].strip()
        found[prefix] = Family(prefix, RULE, description)
    for prefix, (kind, description) in _OTHER_FAMILIES.items():
        found[prefix] = Family(prefix, kind, description)
    return found


def _help(sections: dict[str, str]) -> str:
    parts = [sections["Summary"]]
    for title in ("What", "Why", "Bad", "Good", "Example", "Options"):
        if sections.get(title):
            parts.append(f"{title}:\n{sections[title]}")
    return "\n\n".join(parts)


_extensions: dict[str, Entry] = {}
"""House and plugin rules of the configuration in use (`register_extensions`)."""


def register_extensions(rules: Iterable[object], origins: dict[str, str]) -> None:
    """Make the configuration's house and plugin rules known codes (select, ignore,
    suppressions, `imgpolicy rules`); replaces those of a previous configuration."""
    _extensions.clear()
    for rule in rules:
        code = rule.code  # type: ignore[attr-defined]
        sections = rule.sections() if isinstance(rule, type) else {"Summary": rule.message}  # type: ignore[attr-defined]
        _extensions[code] = Entry(
            code,
            rule.name,  # type: ignore[attr-defined]
            rule.severity if isinstance(rule, type) else rule.effective_severity,  # type: ignore[attr-defined]
            sections["Summary"].split("\n", 1)[0],
            _help(sections),
            family_of(code),
            RULE,
            bool(rule.suppressible),  # type: ignore[attr-defined]
            sections,
            origins.get(code, "plugin"),
        )
    _merged.cache_clear()


def catalogue() -> dict[str, Entry]:
    """Every code: the shipped ones, then the configuration's house and plugin rules."""
    return _merged()


@cache
def _merged() -> dict[str, Entry]:
    return {**_shipped(), **_extensions}


@cache
def _shipped() -> dict[str, Entry]:
    entries = {}
    kinds = families()
    for code, rule in all_rules().items():
        sections = rule.sections()
        if rule.options and "Options" not in sections:
            sections["Options"] = "\n".join(f"{k}: {v}" for k, v in rule.options.items())
        entries[code] = Entry(
            code,
            rule.name,
            rule.severity,
            rule.summary(),
            _help(sections),
            family_of(code),
            RULE,
            rule.suppressible,
            sections,
        )
    for code, info in CODES.items():
        sections = info.sections()
        family = family_of(code)
        entries[code] = Entry(
            code,
            info.name,
            info.severity,
            info.summary,
            _help(sections),
            family,
            kinds[family].kind,
            kinds[family].kind != INPUT,  # a suppressed schema error would pass a check no rule ran
            sections,
        )
    return entries


def codes_of(selector: str) -> list[str]:
    """The codes a selector (a code or a family prefix) stands for; [] when unknown."""
    entries = catalogue()
    if selector in entries:
        return [selector]
    return [code for code in entries if family_of(code) == selector]


def selector_problem(selector: str) -> str | None:
    """Why `selector` cannot be used in select/ignore (or a suppression's family), or
    None when it can."""
    codes = codes_of(selector)
    if not codes:
        return f"'{selector}' is no rule code or family (see `imgpolicy rules`)"
    kind = catalogue()[codes[0]].kind
    if kind in _WHY_NOT:
        return f"'{selector}' " + _WHY_NOT[kind].format(family=family_of(codes[0]))
    return None


def _hit(code: str, selectors: Iterable[str]) -> bool:
    return any(code == s or family_of(code) == s for s in selectors)


def selected(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    """Whether a finding of `code` is reported under this selection: a rule when `select`
    is empty or names it, and `ignore` does not; a SUP code unless ignored; YAML and
    SCHEMA codes always."""
    select, ignore = list(select), list(ignore)
    entry = catalogue().get(code)
    kind = entry.kind if entry else RULE
    if kind == INPUT:
        return True
    if kind == SUPPRESSION:
        return not _hit(code, ignore)
    return (not select or _hit(code, select)) and not _hit(code, ignore)


def no_rule_left(select: Iterable[str], ignore: Iterable[str]) -> bool:
    """True when `select` names rules but, after `ignore`, none of them would run: a
    selection that asks for rules and runs none is a mistake, not a clean result."""
    select, ignore = list(select), list(ignore)
    rules = all_rules()
    asks_for_rules = any(code in rules for s in select for code in codes_of(s))
    return asks_for_rules and not any(selected(code, select, ignore) for code in rules)


def severity_problem(code: str) -> str | None:
    """Why `rules: {CODE: ...}` cannot configure `code`, or None when it is a rule."""
    if code in all_rules():
        return None
    entry = catalogue().get(code)
    if entry is None:
        return "no such rule (see `imgpolicy rules`)"
    if entry.kind in _WHY_NOT:
        return f"{code} " + _WHY_NOT[entry.kind].format(family=entry.family)
    return (
        f"{code} is not a rule: its severity is fixed ({entry.severity.label}); "
        "ignore it to hide it"
    )
