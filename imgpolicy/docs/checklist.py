"""The practice guide's review checklists, each item tied to the rules that check it.

The items are quoted from managing-clinical-imaging-informatics.md ("Checkpoint B ---
Imaging Informatics Review" and "Quality Audit"). `codes` are the rules whose results
decide the item's status; `scope` says what those rules can establish from the files, so
an auditor sees where the static check ends (a live test, a measurement, a document on
file). An item with no codes is reported as not covered by any rule.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    text: str
    codes: tuple[str, ...] = ()
    scope: str = ""
    by_document: bool = False
    """Met by generating this document (the architecture documentation item)."""


def _family(prefix: str, *numbers: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{n:03d}" for n in numbers)


CHECKPOINT_B = (
    "Checkpoint B — Imaging Informatics Review",
    (
        Item(
            "All DICOM routing rules are tested with production-representative studies",
            _family("RT", 1, 2, 3, 4, 5, 6, 7, 8) + _family("CF", 1, 3),
            "The routing configuration can carry every study it routes: known AEs, SOP "
            "classes and transfer syntaxes both ends support, archive reached, no loops. "
            "Sending real studies is a live test (imgpolicy probe negotiates the "
            "associations).",
        ),
        Item(
            "Modality Worklist delivery is verified for all modalities",
            _family("WL", 1, 3, 4),
            "Every acquisition modality has a worklist provider that serves it, with the "
            "roles on both sides.",
        ),
        Item("DICOM metadata quality meets organizational standards (patient ID accuracy > 99.9%)"),
        Item("VNA migration preserves all image data with verified DICOM header integrity"),
        Item(
            "EHR-PACS integration launches correctly from the patient chart",
            _family("INT", 1, 2),
            "The EHR integrations name existing systems and valid endpoints over secure "
            "transport; the launch itself is a live test.",
        ),
        Item(
            "AI integration delivers results within defined latency targets",
            _family("AI", 3, 4, 5),
            "Each AI product gets studies and its results have a destination; latency is "
            "not in the environment files.",
        ),
        Item(
            "Dose monitoring is operational with DRL alerts configured",
            _family("DOSE", 1, 2, 3, 4, 5),
            "DRLs for every dose-emitting modality, Dose SRs routed to a monitor that "
            "accepts them.",
        ),
        Item(
            "Disaster recovery and failover procedures are tested",
            _family("DR", 1, 2, 3, 4, 5, 6),
            "Objectives, separate replication, read-only fallback and a recorded test "
            "date for every critical system.",
        ),
        Item(
            "Non-radiology imaging departments are connected to the enterprise imaging "
            "platform (if in scope)"
        ),
        Item(
            "DICOM transfer performance meets defined benchmarks for all modality-to-PACS "
            "connections"
        ),
        Item(
            "Imaging disaster recovery has been tested within the last 12 months",
            _family("DR", 4),
            "Every continuity plan's last test date is within 12 months of the document date.",
        ),
    ),
)

QUALITY_AUDIT = (
    "Quality Audit",
    (
        Item(
            "DICOM conformance statements are on file for all systems",
            _family("AE", 7),
            "Every DICOM device names its conformance statement.",
        ),
        Item(
            "AE title inventory is current and matches production configuration",
            _family("AE", 1, 2, 3, 4, 5, 6, 8, 9, 10, 11),
            "The inventory is consistent (unique titles and ports, no orphans, roles that "
            "fit the routes); matching production is a live test (imgpolicy probe).",
        ),
        Item(
            "Imaging AI products have documented FDA clearance for their intended use",
            _family("AI", 1, 2),
            "Each product has a clearance on record and receives only modalities it is "
            "cleared for.",
        ),
        Item(
            "MQSA compliance documentation is current for mammography programs",
            _family("RET", 3, 4) + _family("RT", 6),
            "Mammography retention meets 21 CFR 900.12(c)(4) and stays lossless; equipment "
            "and personnel records are outside the files.",
        ),
        Item(
            "Radiation dose monitoring is active with reference levels configured",
            _family("DOSE", 1, 2, 3, 4, 5),
        ),
        Item(
            "Image retention policies comply with state and federal requirements",
            _family("RET", 1, 2, 3, 4, 5),
            "A policy for every jurisdiction, modality and patient category in use, and no "
            "lifecycle that purges earlier; the periods are the team's reading of the law.",
        ),
        Item("Study routing error rate is measured and below organizational threshold (< 0.1%)"),
        Item(
            "Turnaround time metrics are tracked and reported",
            _family("TAT", 1, 2),
            "Targets exist and are ordered by priority for every modality; tracking them is "
            "operational.",
        ),
        Item(
            "Enterprise imaging architecture documentation is current",
            by_document=True,
            scope="This document is generated from the environment files; imgpolicy docs "
            "--check fails while it is stale.",
        ),
        Item("AI results are documented in a standardized format within radiology reports"),
        Item("Non-radiology imaging workflows are validated for each connected department"),
        Item(
            "Storage capacity projections account for 3-5 year growth with advanced "
            "modality adoption",
            _family("ST", 1, 2, 3),
            "The projection below, from the declared volumes and growth rates, fills no "
            "tier within the ST001 horizon.",
        ),
        Item(
            "Critical exam notification workflow is validated for stat findings requiring "
            "immediate clinical action"
        ),
    ),
)

LISTS = (CHECKPOINT_B, QUALITY_AUDIT)
