"""What an audit returns: findings like the rules', and the figures it measured."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..findings import Finding

Kind = Literal["traffic", "headers", "dose"]

EVIDENCE_ITEMS = {
    "routing-error-rate": "Study routing error rate is measured and below organizational "
    "threshold (< 0.1%)",
    "ae-inventory": "AE title inventory is current and matches production configuration",
    "patient-id-accuracy": "DICOM metadata quality meets organizational standards (patient "
    "ID accuracy > 99.9%)",
    "dose-monitoring": "Dose monitoring is operational with DRL alerts configured",
}
"""The checklist items (docs/checklist.py, quoted from the practice guide) an audit can
establish, by the key its figures use."""


@dataclass(frozen=True)
class Figure:
    """One measured figure and the checklist item it establishes (or not)."""

    item: str
    """A key of EVIDENCE_ITEMS."""
    met: bool | None
    """Whether the measurement meets the item's target; None: measured, no verdict (too
    few observations to say)."""
    text: str
    """The figure in the auditor's words, with its target: "0.05 % of 2,013 studies
    arrived over no declared route (target < 0.1 %)". Never patient identity."""
    value: float | None = None
    """The figure itself (a rate as a fraction, a count), for machines."""

    def __post_init__(self) -> None:
        if self.item not in EVIDENCE_ITEMS:
            raise ValueError(f"{self.item!r} is not an evidence item")


@dataclass
class AuditResult:
    """One audit's outcome: findings (codes AUDnnn, located in the environment files or in
    the source files where they have a line), figures, and notes for the report."""

    kind: Kind
    findings: list[Finding] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    window: tuple[str, str] | None = None
    """The period observed, as ISO dates (first, last), when the source has dates."""
    observed: int = 0
    """How many things were judged (exchanges, studies, dose reports)."""
    data: dict[str, Any] = field(default_factory=dict)
    """What `evidence` keeps beside the figures for the documents (the dose audit's
    distributions per exam for the chart); plain JSON data, no patient identity."""
