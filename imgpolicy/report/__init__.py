"""Output formats: each turns a `Report` into text for one consumer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..findings import Finding, Severity


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
    from importlib import import_module

    module = import_module(f"{__name__}.{fmt}")
    return module.render(report, color=color) if fmt == "text" else module.render(report)
