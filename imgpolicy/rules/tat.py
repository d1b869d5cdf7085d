"""TAT: reading. Report turnaround targets per priority and modality."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from .. import dicom, identity
from ..analysis.index import Index
from ..findings import Finding, Related, Severity
from ..model.reading import TurnaroundTarget
from .base import Rule, names_option

PRIORITIES = ("stat", "urgent", "routine", "screening")
"""From the most urgent to the least; each must be read faster than the next."""


class TurnaroundOutOfOrder(Rule):
    """Turnaround targets for a modality are not faster for higher priorities.

    What:
        For one modality (and one site, when targets are given per site), the targets do
        not satisfy stat < urgent < routine <= screening, or two targets of one priority
        disagree. A target with a `site` overrides, for that site, the target of the same
        priority without one.
    Why:
        Priority drives the reading worklist ("priority based on clinical urgency (stat,
        urgent, routine)", practice guide, Step 5, "Worklist optimization"), and the
        Step 5 table sets e.g. CT/MRI stat 30 minutes, urgent 2 hours, routine 24 hours,
        screening 48-72 hours. A stat target slower than the routine one is a typo that
        makes the turnaround alerts wrong, and a stat study can wait behind routine
        work without anyone being alerted.
    Bad:
        reading:
          turnaround:
            - {priority: stat, modality: [CT, MR], target: 4h}
            - {priority: urgent, modality: [CT, MR], target: 2h}
            - {priority: routine, modality: [CT, MR], target: 24h}
    Good:
        reading:
          turnaround:
            - {priority: stat, modality: [CT, MR], target: 30m}
            - {priority: urgent, modality: [CT, MR], target: 2h}
            - {priority: routine, modality: [CT, MR], target: 24h}
            - {priority: screening, modality: CT, target: 72h}
    """

    code = "TAT001"
    name = "turnaround-out-of-order"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        # modality -> site (None: every site) -> priority -> targets, in declaration order
        table: dict[str, dict[str | None, dict[str, list[TurnaroundTarget]]]] = {}
        for target in index.env.turnaround:
            for modality in target.modality:
                table.setdefault(modality, {}).setdefault(target.site, {}).setdefault(
                    target.priority, []
                ).append(target)
        # (id of the faster-priority target, id of the other) -> modalities, for one finding
        # per pair of entries however many modalities and sites share them
        pairs: dict[tuple[int, int], tuple[TurnaroundTarget, TurnaroundTarget, list[str]]] = {}
        duplicates: dict[tuple[int, int], tuple[TurnaroundTarget, TurnaroundTarget, list[str]]] = {}
        for modality, by_site in table.items():
            everywhere = by_site.get(None, {})
            for site, own in by_site.items():
                for targets in own.values():
                    first = targets[0]
                    for other in targets[1:]:
                        if other.target.days != first.target.days:
                            entry = duplicates.setdefault(
                                (id(first), id(other)), (first, other, [])
                            )
                            entry[2].append(modality)
                merged = own if site is None else {**everywhere, **own}
                chain = [merged[p][0] for p in PRIORITIES if p in merged]
                for faster, slower in itertools.pairwise(chain):
                    equal_ok = (faster.priority, slower.priority) == ("routine", "screening")
                    if faster.target < slower.target or (
                        equal_ok and faster.target <= slower.target
                    ):
                        continue
                    entry = pairs.setdefault((id(faster), id(slower)), (faster, slower, []))
                    if modality not in entry[2]:
                        entry[2].append(modality)
        for faster, slower, modalities in pairs.values():
            sites = {t.site for t in (faster, slower) if t.site}
            scope = "/".join(modalities) + (f" at {', '.join(sorted(sites))}" if sites else "")
            relation = "longer than" if faster.target.days > slower.target.days else "equal to"
            yield self.finding(
                f"{scope}: the {faster.priority} turnaround target {faster.target} is "
                f"{relation} the {slower.priority} target {slower.target}: a higher priority "
                f"must be read faster ({' < '.join(PRIORITIES[:3])} <= screening); correct "
                "one of them",
                index.where(faster, "target"),
                entity=identity.entity("turnaround", f"{'/'.join(modalities)}:{faster.priority}"),
                detail=f"{faster.priority} vs {slower.priority} at {'+'.join(sorted(sites)) or '*'}",
                related=[Related(index.where(slower, "target"), f"the {slower.priority} target")],
            )
        for first, other, modalities in duplicates.values():
            where = f" at {first.site}" if first.site else ""
            yield self.finding(
                f"{'/'.join(modalities)}{where} has two {first.priority} turnaround targets "
                f"({first.target} and {other.target}): keep one",
                index.where(other, "target"),
                entity=identity.entity("turnaround", f"{'/'.join(modalities)}:{first.priority}"),
                detail=f"two {first.priority} targets at {first.site or '*'}",
                related=[Related(index.where(first, "target"), "the other target")],
            )


class ModalityWithoutTurnaround(Rule):
    """A modality in use has no report turnaround target, or no stat target.

    What:
        A modality used by an acquisition device (`kind: modality`) that no
        `reading.turnaround` entry names, or that has targets but none for `stat`
        (except the modalities of the `no_stat_modalities` option, which are never read
        stat: bone densitometry, mammography, PET). Reported once per modality, at the
        first device that uses it.
    Why:
        The Quality Audit of the practice guide asks that "Turnaround time metrics are
        tracked and reported", and Step 5 ("Turnaround time monitoring") to "alert when
        TAT exceeds organizational SLA (e.g., 30 minutes for stat CT)". Without a target
        no alert can fire, and a stat study without a stat target is the one whose delay
        harms the patient. Some exams are never ordered stat: a DXA scan, a screening or
        diagnostic mammogram (read the same day at the earliest), a PET scan; asking for
        a stat target there only teaches people to ignore the rule.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: ct-1, site: MAIN, kind: modality, modality: CT}
          - {name: us-1, site: MAIN, kind: modality, modality: US}
        reading:
          turnaround:
            - {priority: urgent, modality: CT, target: 2h}
            - {priority: routine, modality: CT, target: 24h}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: ct-1, site: MAIN, kind: modality, modality: CT}
          - {name: us-1, site: MAIN, kind: modality, modality: US}
        reading:
          turnaround:
            - {priority: stat, modality: [CT, US], target: 30m}
            - {priority: urgent, modality: [CT, US], target: 2h}
            - {priority: routine, modality: [CT, US], target: 24h}
    Options:
        no_stat_modalities: modalities that need targets but no stat target (default
        BMD, MG, PT).
    """

    code = "TAT002"
    name = "modality-without-turnaround"
    severity = Severity.WARNING
    options = {
        "no_stat_modalities": names_option(["BMD", "MG", "PT"], dicom.MODALITIES, "modality codes")
    }

    def check(self, index: Index) -> Iterator[Finding]:
        priorities: dict[str, set[str]] = {}
        for target in index.env.turnaround:
            for modality in target.modality:
                priorities.setdefault(modality, set()).add(target.priority)
        never_stat = set(self.settings["no_stat_modalities"])
        for modality, users in index.acquisition_modalities.items():
            device, i = users[0]
            given = priorities.get(modality)
            if not given:
                least = "routine" if modality in never_stat else "stat, urgent and routine"
                problem = (
                    "has no report turnaround target: add reading.turnaround "
                    f"targets for it (at least {least})"
                )
            elif "stat" not in given and modality not in never_stat:
                problem = (
                    "has turnaround targets but none for stat: add a stat target "
                    "(e.g. 30m for CT/MR, 60m for NM)"
                )
            else:
                continue
            yield self.finding(
                f"{modality}, used by '{device.name}', {problem}",
                index.where(device, "modality", i),
                entity=identity.entity("modality", modality),
            )
