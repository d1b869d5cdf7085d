"""A whole check: load, validate, run the selected rules, apply suppressions and baseline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from . import baseline as baseline_file
from . import suppressions
from .codes import CODES
from .config import Config
from .findings import Finding, Severity
from .load import LoadResult, load_environment
from .rules.base import Rule
from .rules.registry import all_rules


class RuleCrashed(Exception):
    """A rule raised: a bug in imgpolicy, reported without a traceback."""


@dataclass
class CheckResult:
    load: LoadResult
    findings: list[Finding]
    rules_ran: bool
    notes: list[str] = field(default_factory=list)
    index: object | None = None
    """The rules' `Index` (flow analysis included), for the docs to reuse."""

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is None]


def configured_rules(config: Config) -> list[Rule]:
    rules = []
    for code, cls in all_rules().items():
        if not config.selects(code):
            continue
        settings = dict(config.rules.get(code, {}))
        severity = settings.pop("severity", None)
        rules.append(cls(severity, **settings))
    return rules


def run_rules(load: LoadResult, rules: Iterable[Rule], today: date) -> list[Finding]:
    from .analysis.index import Index

    return _run(Index(load, today), rules)


def _run(index, rules: Iterable[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    for rule in rules:
        try:
            findings.extend(rule.check(index))
        except Exception as err:  # a bug of ours; the user gets a clear report instead
            raise RuleCrashed(
                f"rule {rule.code} {rule.name} failed ({type(err).__name__}: "
                f"{err}); please report this with the environment"
            ) from err
    return findings


def check(
    paths: Iterable[str], config: Config, *, baseline: str | None = None, today: date | None = None
) -> CheckResult:
    load = load_environment(paths)
    findings = list(load.findings)
    notes: list[str] = []
    rules = configured_rules(config)
    rules_ran = load.schema_valid and not load.unusable
    known = set(all_rules()) | set(CODES)
    unsuppressible = {r.code for r in rules if not r.suppressible}
    index = None
    if rules_ran:
        from .analysis.index import Index

        index = Index(load, today or config.today or date.today())
        findings.extend(_run(index, rules))
    elif load.files:
        notes.append("Policy rules were not run: fix the errors above first.")
    comments = [
        c
        for source in load.sources.values()
        for c in suppressions.parse_comments(source.path, source.text)
    ]
    if comments:
        findings = suppressions.apply(
            findings,
            comments,
            unsuppressible=unsuppressible,
            known_codes=known,
            selected=lambda code: rules_ran and config.selects(code),
        )
    if baseline:
        accepted = baseline_file.read(baseline)
        findings = baseline_file.apply(findings, accepted, baseline, unsuppressible)
    findings.sort(key=Finding.sort_key)
    return CheckResult(load, findings, rules_ran, notes, index)


def exit_code(result: CheckResult, fail_on: Severity) -> int:
    if result.load.unusable:
        return 2
    return 1 if any(f.severity >= fail_on for f in result.active) else 0
