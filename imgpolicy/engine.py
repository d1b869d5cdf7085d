"""A whole check: load, validate, run the selected rules, apply suppressions and baseline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from . import baseline as baseline_file
from . import suppressions
from .catalogue import catalogue
from .config import Config, ConfigError
from .findings import Finding, Severity
from .load import LoadResult, load_environment
from .progress import phase
from .rules.base import OptionError, Rule
from .rules.registry import all_rules

if TYPE_CHECKING:
    from .load.cache import ParseCache


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
    failures: list[str] = field(default_factory=list)
    """House or plugin rules that raised: each named, the check exits 2."""

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is None]


def configured_rules(config: Config) -> list[Rule]:
    """The selected rules, each with its configured severity and options."""
    return [
        configured_rule(config, cls) for code, cls in all_rules().items() if config.selects(code)
    ]


R = TypeVar("R", bound=Rule)


def configured_rule(config: Config, rule: type[R]) -> R:
    """`rule` as the configuration sets it up, selected or not (the documents ask the
    configured DR001 which systems it counts as critical). An option the rule cannot use
    is a ConfigError naming the configuration file, the rule and the option."""
    settings = dict(config.rules.get(rule.code, {}))
    severity = settings.pop("severity", None)
    try:
        return rule(severity, **settings)
    except OptionError as err:
        where = config.source or "the configuration"
        raise ConfigError(f"{where}: rules.{rule.code}.{err.option}: {err}") from None


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
    paths: Iterable[str],
    config: Config,
    *,
    baseline: str | None = None,
    today: date | None = None,
    cache: ParseCache | None = None,
) -> CheckResult:
    """The whole check of the environment under `paths`; `cache` (the command line's
    parse cache, `load/cache.py`) spares parsing unchanged files again."""
    paths = tuple(paths)
    with phase("loading the environment"):
        load = load_environment(paths, config.exclusions(), cache)
    findings = list(load.findings)
    notes: list[str] = [*config.notes, *load.notes]
    rules = configured_rules(config)
    failures: list[str] = []
    rules_ran = load.schema_valid and not load.unusable
    known = set(catalogue())
    unsuppressible = {code for code, entry in catalogue().items() if not entry.suppressible}
    index = None
    if rules_ran:
        from .analysis.index import Index

        with phase("running the rules"):
            index = Index(load, today or config.today or date.today())
            findings.extend(_run(index, rules))
            extra, failures = run_extensions(index, config)
        findings.extend(extra)
        notes.extend(failures)
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
        applied = baseline_file.apply(
            findings, baseline_file.read(baseline), unsuppressible, roots=paths
        )
        findings = applied.findings
        notes.extend(applied.notes)
    # the selection applies to every code the same way (catalogue.selected): an ignored
    # SUP code is dropped like an ignored rule; YAML and SCHEMA problems always stay
    findings = [f for f in findings if config.selects(f.code)]
    findings.sort(key=Finding.sort_key)
    return CheckResult(load, findings, rules_ran, notes, index, failures if rules_ran else [])


def run_extensions(index, config: Config) -> tuple[list[Finding], list[str]]:
    """The findings of the configuration's house and plugin rules, and a sentence per rule
    that raised or reported a code not its own. They run after the shipped rules, each on
    its own, so a failing one is named and loses only its own findings."""
    findings: list[Finding] = []
    failures: list[str] = []
    for rule in config.extensions:
        if not config.selects(rule.code):
            continue
        origin = config.origins.get(rule.code, "plugin")
        try:
            instance = rule if isinstance(rule, Rule) else configured_rule(config, rule)
            found = list(instance.check(index))
        except ConfigError:
            raise
        except Exception as err:  # third-party code: named, never a traceback
            failures.append(
                f"Rule {rule.code} {rule.name} ({origin}) failed ({type(err).__name__}: {err}); "
                "its findings are missing: fix the rule or ignore it."
            )
            continue
        foreign = sorted({getattr(f, "code", "?") for f in found if _foreign(f, rule.code)})
        if foreign:
            failures.append(
                f"Rule {rule.code} {rule.name} ({origin}) reported codes not its own "
                f"({', '.join(foreign)}); its findings are dropped."
            )
            continue
        findings.extend(found)
    return findings, failures


def _foreign(finding: object, code: str) -> bool:
    """A finding a rule may not report: not a Finding, or another rule's code."""
    return not isinstance(finding, Finding) or finding.code != code


def exit_code(result: CheckResult, fail_on: Severity) -> int:
    if result.load.unusable or result.failures:
        return 2
    return 1 if any(f.severity >= fail_on for f in result.active) else 0
