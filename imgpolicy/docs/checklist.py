"""The practice guide's review checklists, each item with what the rules can establish.

The items are quoted from managing-clinical-imaging-informatics.md ("Checkpoint B ---
Imaging Informatics Review" and "Quality Audit"). An auditor reads a ticked item as
evidence, so each item says honestly how far a static check of the environment files
reaches (its `coverage`):

- `full`: the rules in `codes` establish the item from the files; with no open finding
  it is "met".
- `partial`: the rules establish part of it (`checked`); the rest (`outside`) needs a live
  test, a measurement or a document, so with no open finding it is "partly: <checked>",
  never "met".
- `none`: no static check can establish it ("not checked here"; `outside` says what
  would).
- `document`: met by generating the architecture document itself.

`why` is the one-line justification of the coverage, kept beside the item so a reviewer
can challenge it. `bounds` name rule options the item relies on: a `full` item whose rule
is configured looser than the item's wording (DR004 allowing two-year-old tests) is only
partly established.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..audit.result import EVIDENCE_ITEMS
from ..model.types import Duration, parse_duration

Coverage = Literal["full", "partial", "none", "document"]


@dataclass(frozen=True)
class Bound:
    """A duration option of a rule that must stay within the item's wording."""

    code: str
    option: str
    at_most: str = ""
    at_least: str = ""

    def holds(self, value: Duration) -> bool:
        """Whether the configured `value` keeps the rule as strict as the item asks."""
        if self.at_most and parse_duration(self.at_most) < value:
            return False
        return not (self.at_least and value < parse_duration(self.at_least))


@dataclass(frozen=True)
class Item:
    text: str
    coverage: Coverage
    why: str
    codes: tuple[str, ...] = ()
    checked: str = ""
    """What the rules establish, in the auditor's words."""
    outside: str = ""
    """What needs evidence from outside the environment files."""
    bounds: tuple[Bound, ...] = ()
    evidence: str = ""
    """The key of `audit.result.EVIDENCE_ITEMS` whose measured figure establishes the
    item (`imgpolicy docs --evidence`); the item's text must be that key's, word for word,
    so rewording either side cannot silently drop the evidence."""

    def __post_init__(self) -> None:
        """Refuse an item whose coverage its fields contradict, so no item can claim
        more than its rules check (a full item with no rules, a partial one that does not
        say what was checked), or whose evidence link names another item."""
        if self.evidence and EVIDENCE_ITEMS.get(self.evidence) != self.text:
            raise ValueError(
                f"{self.text!r}: evidence {self.evidence!r} is "
                + (
                    f"the item {EVIDENCE_ITEMS[self.evidence]!r}"
                    if self.evidence in EVIDENCE_ITEMS
                    else "not an audit evidence item"
                )
            )
        ruled = self.coverage in ("full", "partial")
        if ruled != bool(self.codes):
            raise ValueError(f"{self.text!r}: {self.coverage} coverage and codes disagree")
        if ruled and not self.checked:
            raise ValueError(f"{self.text!r}: say what the rules check")
        if self.coverage in ("partial", "none") and not self.outside:
            raise ValueError(f"{self.text!r}: say what evidence lies outside the files")
        if self.coverage == "full" and self.outside:
            raise ValueError(f"{self.text!r}: evidence outside the files makes it partial")
        if not self.why:
            raise ValueError(f"{self.text!r}: justify the coverage")


def _family(prefix: str, *numbers: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{n:03d}" for n in numbers)


CHECKPOINT_B = (
    "Checkpoint B — Imaging Informatics Review",
    (
        Item(
            "All DICOM routing rules are tested with production-representative studies",
            "partial",
            "Testing sends studies; the files only show whether the routes could carry them.",
            _family("RT", 1, 2, 3, 4, 5, 6, 7, 8, 10, 11) + _family("CF", 1, 3),
            "the routes can carry what they route: known AEs in the right roles, a transfer "
            "syntax both ends support, every study reaches the archive, no loops, priors "
            "retrievable, storage committed before modalities delete",
            "sending production-representative studies through every route (imgpolicy probe "
            "negotiates the associations but sends no study)",
        ),
        Item(
            "Modality Worklist delivery is verified for all modalities",
            "partial",
            "Verification is a worklist query answered at each modality; the files show only "
            "the configuration.",
            _family("WL", 1, 3, 4),
            "every order-based modality has a worklist provider that serves it, with the "
            "roles on both sides",
            "a worklist query from each modality returning its scheduled procedures",
        ),
        Item(
            "DICOM metadata quality meets organizational standards (patient ID accuracy > 99.9%)",
            "partial",
            "An accuracy rate is measured on real studies against the RIS/EHR; the files "
            "show only the identity plumbing that keeps it high.",
            _family("PID", 1, 2),
            "every image store receives ADT updates and merges, and stores shared by sites "
            "know each site's Issuer of Patient ID",
            "an audit of DICOM headers against the RIS/EHR (patient ID match rate)",
            evidence="patient-id-accuracy",
        ),
        Item(
            "VNA migration preserves all image data with verified DICOM header integrity",
            "none",
            "A migration is an event verified by reconciliation; the files describe the "
            "steady state.",
            outside="the migration's reconciliation report (instance counts, header checks)",
        ),
        Item(
            "EHR-PACS integration launches correctly from the patient chart",
            "partial",
            "INT001/INT002/SEC003 check endpoints and transport, not the launch.",
            _family("INT", 1, 2) + _family("SEC", 3),
            "the EHR integrations name declared systems and endpoints, over secure transport",
            "launching the viewer from the patient chart with the right patient and study "
            "(a live test)",
        ),
        Item(
            "AI integration delivers results within defined latency targets",
            "partial",
            "Latency is not in the environment files; the rules see only the data paths.",
            _family("AI", 3, 4, 5),
            "each AI product receives studies and its results have a destination",
            "the time from study to result measured against the latency target",
        ),
        Item(
            "Dose monitoring is operational with DRL alerts configured",
            "partial",
            "Operational means the monitor runs; DRLs are facility-median benchmarks (ICRP "
            "135), per-exam alerts are notification values the monitor applies.",
            _family("DOSE", 1, 2, 3, 4, 5, 6),
            "reference levels for every dose-emitting modality, CT Dose Check notification "
            "values on record, and dose SRs that reach a monitor accepting them",
            "the monitor receiving and evaluating exams, with its alerts switched on",
            evidence="dose-monitoring",
        ),
        Item(
            "Disaster recovery and failover procedures are tested",
            "partial",
            "The rules see a recorded test, not the procedure or what the test found.",
            _family("DR", 1, 2, 3, 4, 5, 6, 7),
            "every critical system has objectives, a replica at a separate site, a read-only "
            "fallback and a recent recorded test; the archive of record has a full second "
            "copy",
            "the written procedures and the failover test report",
        ),
        Item(
            "Non-radiology imaging departments are connected to the enterprise imaging "
            "platform (if in scope)",
            "partial",
            "RT007 sees only devices declared in the files; which departments are in scope "
            "is a decision outside them.",
            _family("RT", 7),
            "every declared imaging device, radiology or not, reaches the archive of record",
            "which departments are in scope, and that all their devices are declared",
        ),
        Item(
            "DICOM transfer performance meets defined benchmarks for all modality-to-PACS "
            "connections",
            "none",
            "Throughput is measured on the network; no configuration establishes it.",
            outside="transfer times measured per modality-to-PACS connection against the benchmark",
        ),
        Item(
            "Imaging disaster recovery has been tested within the last 12 months",
            "full",
            "The test date is the record the item asks for; DR004 compares it with the "
            "document date.",
            _family("DR", 4),
            "every continuity plan records a test within 12 months of the document date",
            bounds=(Bound("DR004", "max_age", at_most="12mo"),),
        ),
    ),
)

QUALITY_AUDIT = (
    "Quality Audit",
    (
        Item(
            "DICOM conformance statements are on file for all systems",
            "partial",
            "AE007 checks that each device names its statement, not that the file is there "
            "or matches the installed version.",
            _family("AE", 7),
            "every DICOM device names its conformance statement",
            "the statements themselves, matching each device's installed software version",
        ),
        Item(
            "AE title inventory is current and matches production configuration",
            "partial",
            "Matching production is a comparison with the live systems.",
            _family("AE", 1, 2, 3, 4, 5, 6, 8, 9, 10, 11),
            "the inventory is consistent: unique titles and ports, no orphans, roles that fit "
            "the routes",
            "comparison with the production systems (imgpolicy probe, imgpolicy import of the "
            "PACS and router configuration)",
            evidence="ae-inventory",
        ),
        Item(
            "Imaging AI products have documented FDA clearance for their intended use",
            "partial",
            "The files hold the clearance record and the inputs, not the indications for use "
            "statement.",
            _family("AI", 1, 2, 6, 8),
            "each product in clinical use records its FDA marketing authorisation, runs a "
            "cleared version and receives only what it is cleared for",
            "the FDA decision letter and its indications for use compared with the clinical use",
        ),
        Item(
            "MQSA compliance documentation is current for mammography programs",
            "partial",
            "Only retention and lossless handling of mammograms are in the files.",
            _family("RET", 3, 4) + _family("RT", 6),
            "mammograms are kept at least 10 years (21 CFR 900.12(c)(4)), retained lossless "
            "and never sent lossy",
            "MQSA certificates, equipment QC, personnel qualifications, the medical outcomes "
            "audit and lay letters",
        ),
        Item(
            "Radiation dose monitoring is active with reference levels configured",
            "partial",
            "Reference levels are configuration the rules read; 'active' is the monitor running.",
            _family("DOSE", 1, 2, 3, 4, 5, 6),
            "reference levels with their source for every dose-emitting modality, CT Dose "
            "Check notification values, and dose SRs that reach a monitor accepting them",
            "the monitor running and receiving exams",
        ),
        Item(
            "Image retention policies comply with state and federal requirements",
            "partial",
            "The rules check coverage and the MQSA floor; the periods are the team's reading "
            "of the law.",
            _family("RET", 1, 2, 3, 4, 5),
            "a policy for every jurisdiction, modality and patient category in use, the MQSA "
            "10-year floor, and no lifecycle that purges earlier",
            "legal review that each period is the law's",
        ),
        Item(
            "Study routing error rate is measured and below organizational threshold (< 0.1%)",
            "none",
            "An error rate is measured on traffic.",
            outside="the router's and PACS's error statistics against the threshold",
            evidence="routing-error-rate",
        ),
        Item(
            "Turnaround time metrics are tracked and reported",
            "partial",
            "Targets are configuration; tracking and reporting happen in the RIS.",
            _family("TAT", 1, 2),
            "targets for every modality in use, ordered by priority",
            "the turnaround reports themselves",
        ),
        Item(
            "Enterprise imaging architecture documentation is current",
            "document",
            "This document is generated from the environment files; imgpolicy docs --check "
            "fails while it is stale.",
        ),
        Item(
            "AI results are documented in a standardized format within radiology reports",
            "none",
            "Report content lives in the reporting system, not in the environment files.",
            outside="report templates and a sample of reports",
        ),
        Item(
            "Non-radiology imaging workflows are validated for each connected department",
            "none",
            "Validation is done with each department on its real workflow.",
            outside="each department's workflow validation record",
        ),
        Item(
            "Storage capacity projections account for 3-5 year growth with advanced "
            "modality adoption",
            "full",
            "ST001 projects every tier from the declared volumes and growth rates over its "
            "horizon; the growth rates carry the adoption.",
            _family("ST", 1, 2, 3),
            "no tier fills within the ST001 horizon of the capacity projection below, from "
            "the declared volumes and growth rates",
            bounds=(Bound("ST001", "horizon", at_least="3y"),),
        ),
        Item(
            "Critical exam notification workflow is validated for stat findings requiring "
            "immediate clinical action",
            "none",
            "Critical-result communication is not modelled in the environment files.",
            outside="the critical results policy and its validation record",
        ),
    ),
)

LISTS = (CHECKPOINT_B, QUALITY_AUDIT)
