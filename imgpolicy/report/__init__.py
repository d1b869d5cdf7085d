"""Output formats: each turns a `Report` into text for one consumer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..findings import Finding, Severity


@dataclass(frozen=True)
class Report:
    findings: list[Finding]
    files: list[str]
    fail_on: Severity = Severity.ERROR

    @property
    def counts(self) -> Counter:
        return Counter(f.severity.label for f in self.findings)

    @property
    def failed_files(self) -> list[str]:
        return sorted({f.location.path for f in self.findings if f.location})


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)
