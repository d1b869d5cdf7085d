"""Output formats: each turns a `Report` into text for one consumer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..findings import Finding, Severity
from ..redact import Redactor, printable

if TYPE_CHECKING:
    from ..engine import CheckResult


@dataclass(frozen=True)
class Report:
    findings: list[Finding]
    """Every finding, suppressed ones included (formats that serve audits show them)."""
    files: list[str]
    fail_on: Severity = Severity.ERROR
    notes: tuple[str, ...] = ()
    roots: tuple[str, ...] = ()
    """The environment roots given on the command line: fingerprints use paths relative
    to them, so they do not depend on the folder imgpolicy was run from."""
    redactor: Redactor = field(default_factory=Redactor)
    """What must not be shown: `render()` masks it in every format
    (`Redactor.from_load(load)` knows the environment's credential values)."""
    excluded: tuple[str, ...] = ()
    """Files and folders the configuration's `exclude:` left out (summary counts)."""
    excluded_by: str | None = None
    """The configuration file whose `exclude:` did it."""

    @classmethod
    def of_check(cls, result: CheckResult, fail_on: Severity, roots: Iterable[str]) -> Report:
        """The report of a check of the environment under `roots`, with the redactor
        that knows its credential values."""
        return cls(
            result.findings,
            result.load.files,
            fail_on,
            tuple(result.notes),
            tuple(roots),
            Redactor.from_load(result.load),
            tuple(result.load.excluded),
            result.load.exclusions.source,
        )

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is None]

    @property
    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is not None]

    @property
    def counts(self) -> Counter:
        return Counter(f.severity.label for f in self.active)

    @property
    def failed_files(self) -> list[str]:
        return sorted({f.location.path for f in self.active if f.location})


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab")


def render(fmt: str, report: Report, *, color: bool = False) -> str:
    """`report` in format `fmt`: the one way out for findings, so every format gets the
    same redaction (no secret, no URL credentials) and valid Unicode (a non-UTF-8 file
    name shows U+FFFD where its bad bytes are; SARIF URIs keep the exact bytes)."""
    from importlib import import_module

    module = import_module(f"{__name__}.{fmt}")
    shown = redacted(report)
    text = module.render(shown, color=color) if fmt == "text" else module.render(shown)
    return printable(text)


def redacted(report: Report) -> Report:
    """The report with every message, note and suppression reason passed through its
    redactor (fingerprints do not use messages, so they are unchanged)."""
    redactor = report.redactor
    return replace(
        report,
        findings=[redactor.finding(f) for f in report.findings],
        notes=tuple(redactor.text(n) for n in report.notes),
    )
