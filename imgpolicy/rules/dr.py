"""DR: continuity. Recovery objectives, replication and the tests that prove them."""

from __future__ import annotations

import calendar
import dataclasses
import typing
from collections.abc import Iterator
from datetime import date, timedelta

from .. import identity
from ..analysis import continuity
from ..analysis.index import CRITICAL_KINDS, Index
from ..findings import Finding, Related, Severity
from ..model.continuity import ContinuityPlan
from ..model.devices import Device, DeviceKind
from ..model.types import Duration
from .base import Rule, duration_option, names_option
from .common import device_related, did_you_mean, probable_devices, unknown_device_hint

_DEVICE_KINDS = frozenset(typing.get_args(DeviceKind))
_FALLBACK_KINDS = frozenset({"viewer", "workstation", "pacs", "vna"})
_NEEDS_FALLBACK = frozenset({"pacs", "vna"})
_LESS_CRITICAL = frozenset({"dose-monitor"})
"""Kinds whose outage delays no image or report: their missing plan is a warning."""


def _entity(plan: ContinuityPlan) -> str:
    return identity.entity("continuity", plan.system)


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _cutoff(today: date, age: Duration) -> date:
    """The earliest date that is not older than `age` before `today` (calendar months)."""
    try:
        return _months_before(today, age.months) - timedelta(seconds=age.seconds)
    except (ValueError, OverflowError):  # an age longer than the calendar: nothing is stale
        return date.min


class CriticalSystemWithoutObjectives(Rule):
    """A critical imaging system has no continuity plan, or a plan without RPO or RTO.

    What:
        A device of a critical kind (by default pacs, vna, ris, router and dose-monitor)
        that no `continuity` entry names as its `system`, or whose plan lacks `rpo` or
        `rto`. A teleradiology provider's own systems (devices at a site marked
        `teleradiology`) are left to the provider's plan.
    Why:
        The practice guide asks to "define recovery time objective (RTO) and recovery
        point objective (RPO) specific to imaging systems" (Step 4, "Disaster recovery for
        imaging"), and the HIPAA Security Rule asks for a contingency plan with a disaster
        recovery and an emergency mode operation plan (45 CFR 164.308(a)(7)). Without them
        nobody can say whether the backup, the replication and the failover are good
        enough, and an outage of the PACS or the RIS stops the ED. A dose monitor's
        missing plan is a warning: its outage delays no image or report.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: pacs-main, site: MAIN, kind: pacs}
          - {name: ris-main, site: MAIN, kind: ris}
        continuity:
          - {system: pacs-main, rpo: 15m}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: DR, jurisdiction: US-AZ, region: us-southwest}
        devices:
          - {name: pacs-main, site: MAIN, kind: pacs}
          - {name: ris-main, site: MAIN, kind: ris}
          - {name: viewer-dr, site: DR, kind: viewer}
        continuity:
          - system: pacs-main
            rpo: 15m
            rto: 4h
            replication: {target_site: DR, window: 30d}
            read_only_fallback: viewer-dr
            last_tested: 2026-04-18
          - system: ris-main
            rpo: 5m
            rto: 2h
            replication: {target_site: DR, window: 30d}
            last_tested: 2026-04-18
    Options:
        critical_kinds: the device kinds that need a plan (default: pacs, vna, ris, router,
        dose-monitor).
    """

    code = "DR001"
    name = "critical-system-without-objectives"
    severity = Severity.ERROR
    options = {"critical_kinds": names_option(CRITICAL_KINDS, _DEVICE_KINDS, "device kinds")}

    def __init__(self, severity: Severity | None = None, **options):
        super().__init__(severity, **options)
        self.severity_set = severity is not None
        """The user chose the severity: it applies to every kind."""

    def check(self, index: Index) -> Iterator[Finding]:
        # a plan whose system is misspelt is DR006's finding, with a hint; the system it
        # meant is not reported a second time as having no plan
        misnamed = probable_devices(index, (plan.system for plan in index.env.continuity))
        kinds = self.settings["critical_kinds"]
        for device in continuity.without_plan(index.env, kinds):
            if device.name not in misnamed:
                yield self._graded(
                    device,
                    self.finding(
                        f"critical system '{device.name}' ({device.kind}) has no continuity "
                        f"plan: add a continuity entry with system: {device.name}, its rpo "
                        "and rto",
                        index.where(device, "name"),
                        entity=identity.device(device.name),
                    ),
                )
        plans = {plan.system: plan for plan in index.env.continuity}
        for device in continuity.critical_systems(index.env, kinds):
            plan = plans.get(device.name)
            if plan is None:
                continue
            missing = [key for key in ("rpo", "rto") if getattr(plan, key) is None]
            if missing:
                yield self._graded(
                    device,
                    self.finding(
                        f"the continuity plan for '{device.name}' ({device.kind}) has no "
                        f"{' and no '.join(missing)}: state how much data may be lost (rpo) "
                        "and how long the system may be down (rto)",
                        index.where(plan, "system"),
                        entity=_entity(plan),
                        related=device_related(
                            index, device.name, f"{device.name} is declared here"
                        ),
                    ),
                )

    def _graded(self, device: Device, finding: Finding) -> Finding:
        """A less critical kind's finding as a warning, unless the user set the severity."""
        if device.kind in _LESS_CRITICAL and not self.severity_set:
            return dataclasses.replace(finding, severity=Severity.WARNING)
        return finding


class ReplicationNotSeparate(Rule):
    """Replication goes to the same site, or to a site in the same region.

    What:
        A continuity plan whose `replication.target_site` is the site of the system
        itself, or a site whose `region` equals the system site's region.
    Why:
        The practice guide asks to "replicate critical imaging data ... to a
        geographically separate site" (Step 4, "Disaster recovery for imaging"). A copy in
        the same building, campus or region is lost with the primary in the fire, flood,
        earthquake or regional power failure it was meant to survive.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: NORTH, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: vna-main, site: MAIN, kind: vna}
        continuity:
          - system: vna-main
            rpo: 15m
            rto: 8h
            replication: {target_site: NORTH, window: 90d}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: DR-PHX, jurisdiction: US-AZ, region: us-southwest}
        devices:
          - {name: vna-main, site: MAIN, kind: vna}
        continuity:
          - system: vna-main
            rpo: 15m
            rto: 8h
            replication: {target_site: DR-PHX, window: 90d}
    """

    code = "DR002"
    name = "replication-not-separate"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for plan in index.env.continuity:
            replication = plan.replication
            device = index.devices.get(plan.system)
            if replication is None or device is None:
                continue
            home = index.sites.get(device.site)
            target = index.sites.get(replication.target_site)
            if home is None or target is None:
                continue  # unknown sites: DR006 and the device rules report them
            if target.name == home.name:
                problem = f"its own site {home.name}"
            elif target.region == home.region:
                problem = (
                    f"{target.name}, in the same region ({home.region}) as its site {home.name}"
                )
            else:
                continue
            yield self.finding(
                f"'{plan.system}' replicates to {problem}: replicate to a site in another "
                "region, so that one disaster cannot destroy both copies",
                index.where(plan, "replication", "target_site"),
                entity=_entity(plan),
                related=[
                    Related(index.where(home, "region"), f"{home.name} is in region {home.region}")
                ],
            )


class ReplicationWindowShort(Rule):
    """A replication window is shorter than the minimum (30 days).

    What:
        A continuity plan whose replication has `scope: window` (the default) and a
        `window` (how much recent data the target holds) below `minimum_window`. The
        archive of record is left to DR007: it needs a full second copy, not a window.
    Why:
        The practice guide asks to "replicate critical imaging data (last 30 days
        minimum)" (Step 4, "Disaster recovery for imaging"): after a failover the
        radiologists need the recent priors of the patients in treatment, and a study
        lost with the primary cannot be re-acquired without a new dose.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: DR, jurisdiction: US-AZ, region: us-southwest}
        devices:
          - {name: pacs-main, site: MAIN, kind: pacs}
        continuity:
          - system: pacs-main
            rpo: 15m
            rto: 4h
            replication: {target_site: DR, window: 7d}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: DR, jurisdiction: US-AZ, region: us-southwest}
        devices:
          - {name: pacs-main, site: MAIN, kind: pacs}
        continuity:
          - system: pacs-main
            rpo: 15m
            rto: 4h
            replication: {target_site: DR, window: 30d}
    Options:
        minimum_window: the shortest acceptable window (default 30d).
    """

    code = "DR003"
    name = "replication-window-short"
    severity = Severity.ERROR
    options = {"minimum_window": duration_option("30d", "1d", "100y")}

    def check(self, index: Index) -> Iterator[Finding]:
        minimum: Duration = self.settings["minimum_window"]
        for plan in index.env.continuity:
            replication = plan.replication
            if replication is None or replication.scope == "full" or replication.window is None:
                continue
            device = index.devices.get(plan.system)
            if device is not None and device.is_archive_of_record:
                continue  # DR007 asks for a full copy of the archive of record
            if not replication.window < minimum:
                continue
            yield self.finding(
                f"'{plan.system}' replicates only the last {replication.window} to "
                f"{replication.target_site}: keep at least {minimum} on the target",
                index.where(plan, "replication", "window"),
                entity=_entity(plan),
            )


class DrTestStale(Rule):
    """A continuity plan was never tested, not in the last 12 months, or its test failed.

    What:
        A continuity plan with neither `last_test` nor `last_tested`; a last test older
        than `max_age` before today (`--today`), or after today (a typo); or a
        `last_test` whose `outcome` is failed.
    Why:
        Checkpoint B of the practice guide: "Imaging disaster recovery has been tested
        within the last 12 months", and "Disaster recovery and failover procedures are
        tested"; the HIPAA Security Rule asks for "procedures for periodic testing and
        revision of contingency plans" (45 CFR 164.308(a)(7)(ii)(D)). An untested
        failover fails when it is needed: expired certificates, a changed firewall, a
        replica that stopped months ago. A failed test shows the plan does not work until
        it is fixed and tested again.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: pacs-main, site: MAIN, kind: pacs}
          - {name: ris-main, site: MAIN, kind: ris}
        continuity:
          - {system: pacs-main, rpo: 15m, rto: 4h, last_tested: 2024-10-02}
          - {system: ris-main, rpo: 5m, rto: 2h}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: pacs-main, site: MAIN, kind: pacs}
          - {name: ris-main, site: MAIN, kind: ris}
        continuity:
          - {system: pacs-main, rpo: 15m, rto: 4h, last_test: {date: 2026-04-18, outcome: passed}}
          - {system: ris-main, rpo: 5m, rto: 2h, last_tested: 2026-04-18}
    Options:
        max_age: how long ago the last test may be (default 12mo, calendar months).
    """

    code = "DR004"
    name = "dr-test-stale"
    severity = Severity.ERROR
    options = {"max_age": duration_option("12mo", "1d", "100y")}

    def check(self, index: Index) -> Iterator[Finding]:
        max_age: Duration = self.settings["max_age"]
        today = index.today
        cutoff = _cutoff(today, max_age)
        for plan in index.env.continuity:
            tested = plan.tested_on
            where = ("last_test", "date") if plan.last_test is not None else ("last_tested",)
            if tested is None:
                yield self.finding(
                    f"the continuity plan for '{plan.system}' has never been tested (no "
                    "last_test): run a failover test and record its date and outcome",
                    index.where(plan, "system"),
                    entity=_entity(plan),
                )
            elif tested > today:
                yield self.finding(
                    f"the continuity plan for '{plan.system}' says it was last tested on "
                    f"{tested.isoformat()}, after today ({today.isoformat()}): correct the "
                    "date of the last test",
                    index.where(plan, *where),
                    entity=_entity(plan),
                )
            elif tested < cutoff:
                yield self.finding(
                    f"the continuity plan for '{plan.system}' was last tested on "
                    f"{tested.isoformat()}, {(today - tested).days} days before "
                    f"{today.isoformat()} (more than {max_age}): run a failover test and "
                    "record its date",
                    index.where(plan, *where),
                    entity=_entity(plan),
                )
            elif plan.last_test is not None and plan.last_test.outcome == "failed":
                yield self.finding(
                    f"the last recovery test of '{plan.system}' ({plan.last_test.scope}, "
                    f"{tested.isoformat()}) failed: fix what it found and test again",
                    index.where(plan, "last_test", "outcome"),
                    entity=_entity(plan),
                    detail="failed",
                )


class NoReadOnlyFallback(Rule):
    """A PACS or VNA has no read-only fallback, or one that cannot work while it is down.

    What:
        A continuity plan for a `pacs` or `vna` without `read_only_fallback`; or any plan
        whose `read_only_fallback` names a device that does not exist, the system
        itself, a device that is no `viewer`, `workstation`, `pacs` or `vna`, a `pacs` or
        `vna` at the system's own site, or (for a PACS or VNA) a device with no data path
        of its own: no route sends studies to its AEs and no integration joins it to a
        device other than the system.
    Why:
        The practice guide asks to "maintain read-only PACS viewer capability during
        primary system outage" (Step 4, "Disaster recovery for imaging"). A downtime
        viewer fed with copies, or a disaster-recovery PACS or the VNA's own viewer at
        another site, keeps stat reads going; a fallback that reads from the failed
        system, or a second PACS in the same building, goes down with it.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: pacs-main, site: MAIN, kind: pacs}
          - {name: vna-main, site: MAIN, kind: vna}
        continuity:
          - {system: pacs-main, rpo: 15m, rto: 4h}
          - {system: vna-main, rpo: 15m, rto: 8h, read_only_fallback: pacs-main}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: pacs-main, site: MAIN, kind: pacs}
          - {name: vna-main, site: MAIN, kind: vna}
          - {name: viewer-downtime, site: MAIN, kind: viewer}
        integrations:
          - {name: downtime-vna, kind: dicomweb, source: viewer-downtime, target: vna-main, endpoint: "https://vna.example.org/dicom-web", services: [QIDO-RS, WADO-RS]}
          - {name: downtime-pacs, kind: dicomweb, source: viewer-downtime, target: pacs-main, endpoint: "https://pacs.example.org/dicom-web", services: [QIDO-RS, WADO-RS]}
        continuity:
          - {system: pacs-main, rpo: 15m, rto: 4h, read_only_fallback: viewer-downtime}
          - {system: vna-main, rpo: 15m, rto: 8h, read_only_fallback: viewer-downtime}
    """

    code = "DR005"
    name = "no-read-only-fallback"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        for plan in index.env.continuity:
            device = index.devices.get(plan.system)
            fallback = plan.read_only_fallback
            if fallback is None:
                if device is not None and device.kind in _NEEDS_FALLBACK:
                    yield self.finding(
                        f"the continuity plan for '{plan.system}' ({device.kind}) names no "
                        "read_only_fallback: name the viewer that shows images read-only "
                        "while it is down",
                        index.where(plan, "system"),
                        entity=_entity(plan),
                    )
                continue
            viewer = index.devices.get(fallback)
            if viewer is None:
                hint = unknown_device_hint(
                    index, fallback, "declare that viewer or correct the name"
                )
                yield self.finding(
                    f"the read_only_fallback '{fallback}' of the plan for '{plan.system}' is "
                    f"no device{hint}",
                    index.where(plan, "read_only_fallback"),
                    entity=_entity(plan),
                )
                continue
            problem = _fallback_problem(index, plan.system, device, viewer)
            if problem:
                yield self.finding(
                    f"the read_only_fallback '{fallback}' of the plan for '{plan.system}' "
                    f"{problem}",
                    index.where(plan, "read_only_fallback"),
                    entity=_entity(plan),
                    related=device_related(index, fallback, f"{fallback} is declared here"),
                )


def _fallback_problem(
    index: Index, system: str, device: Device | None, fallback: Device
) -> str | None:
    """Why `fallback` cannot show images while `system` is down, or None."""
    if fallback.name == system:
        return "is the system itself: name a device that keeps working when it is down"
    if fallback.kind not in _FALLBACK_KINDS:
        return (
            f"is a {fallback.kind}, not a viewer, workstation, pacs or vna: name a device "
            "that shows images when the primary system is down"
        )
    if fallback.kind in _NEEDS_FALLBACK and device is not None and fallback.site == device.site:
        return (
            f"is a {fallback.kind} at the system's own site ({device.site}): a site outage "
            "takes both; name one at another site, or a downtime viewer with its own copies"
        )
    if (
        device is not None
        and device.kind in _NEEDS_FALLBACK
        and not _has_data_path(index, system, fallback)
    ):
        return (
            "has no data path of its own (no route sends it studies, no integration joins "
            f"it to a device other than '{system}'): it has nothing to show when "
            f"'{system}' is down; route copies to it or connect it to the archive or replica"
        )
    return None


def _has_data_path(index: Index, system: str, fallback: Device) -> bool:
    """Studies reach `fallback` without `system`: a route stores copies on one of its
    AEs, or an integration joins it to another device."""
    titles = {ae.ae_title for ae in fallback.application_entities}
    if any(index.routes_to.get(t) for t in titles):
        return True
    partners = index.shared("dr-integration-partners", _integration_partners)
    return any(p not in (fallback.name, system) for p in partners.get(fallback.name, ()))


def _integration_partners(index: Index) -> dict[str, set[str]]:
    """Device name -> the devices an integration joins it to (itself, for one whose source
    is its target), built once per check: an estate has a PACS and a downtime viewer per
    site, so scanning every integration per plan cost plans x integrations."""
    partners: dict[str, set[str]] = {}
    for integration in index.env.integrations:
        partners.setdefault(integration.source, set()).add(integration.target)
        partners.setdefault(integration.target, set()).add(integration.source)
    return partners


class ContinuityUnknownReference(Rule):
    """A continuity plan names a system or a replication site that does not exist.

    What:
        A continuity plan whose `system` is no device name, or whose
        `replication.target_site` or a backup's `to_site` is no site name. (Two plans for
        one system are reported by the loader.)
    Why:
        A plan for a renamed or retired system protects nothing, while the real system
        appears to have objectives (practice guide, Step 4, "Disaster recovery for
        imaging"); a replication target that is not in the inventory cannot be checked
        for geographic separation.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: pacs-main, site: MAIN, kind: pacs}
        continuity:
          - system: pacs-mian
            rpo: 15m
            rto: 4h
            replication: {target_site: DR-EAST, window: 30d}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: DR-EAST, jurisdiction: US-VA, region: us-east}
        devices:
          - {name: pacs-main, site: MAIN, kind: pacs}
        continuity:
          - system: pacs-main
            rpo: 15m
            rto: 4h
            replication: {target_site: DR-EAST, window: 30d}
    """

    code = "DR006"
    name = "continuity-unknown-reference"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for plan in index.env.continuity:
            if plan.system not in index.devices:
                hint = unknown_device_hint(
                    index, plan.system, "name an existing device or remove the plan"
                )
                yield self.finding(
                    f"continuity plan for '{plan.system}': no device has that name{hint}",
                    index.where(plan, "system"),
                    entity=_entity(plan),
                    detail="system",
                )
            for i, backup in enumerate(plan.backups):
                if backup.to_site not in index.sites:
                    hint = (
                        did_you_mean(backup.to_site, index.sites)
                        or ": declare the site (with its region) or correct the name"
                    )
                    yield self.finding(
                        f"continuity plan for '{plan.system}' backs up to "
                        f"'{backup.to_site}', which is no site{hint}",
                        index.where(plan, "backups", i, "to_site"),
                        entity=_entity(plan),
                        detail=f"backup to {backup.to_site}",
                    )
            replication = plan.replication
            if replication is not None and replication.target_site not in index.sites:
                hint = (
                    did_you_mean(replication.target_site, index.sites)
                    or ": declare the site (with its region) or correct the name"
                )
                yield self.finding(
                    f"continuity plan for '{plan.system}' replicates to "
                    f"'{replication.target_site}', which is no site{hint}",
                    index.where(plan, "replication", "target_site"),
                    entity=_entity(plan),
                    detail="target_site",
                )


class ArchiveWithoutFullCopy(Rule):
    """The archive of record has no full second copy.

    What:
        A device that is the archive of record (a `vna`, or `archive_of_record: true`)
        whose continuity plan has neither a replication with `scope: full` to another
        site nor a backup (`backups`). A replication of a recent window does not count.
    Why:
        The archive of record holds the only legal copy of every study for the whole
        retention period. The HIPAA Security Rule requires "retrievable exact copies" (a
        data backup plan, 45 CFR 164.308(a)(7)(ii)(A)) and a way to restore any loss of
        data (disaster recovery plan, 164.308(a)(7)(ii)(B)); the practice guide asks to
        replicate to a geographically separate site (Step 4, "Disaster recovery for
        imaging"). A 30-day replica restores last month, not the priors of ten years.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: DR, jurisdiction: US-AZ, region: us-southwest}
        devices:
          - {name: vna-main, site: MAIN, kind: vna}
        continuity:
          - system: vna-main
            rpo: 15m
            rto: 8h
            replication: {target_site: DR, window: 30d}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: DR, jurisdiction: US-AZ, region: us-southwest}
        devices:
          - {name: vna-main, site: MAIN, kind: vna}
        continuity:
          - system: vna-main
            rpo: 15m
            rto: 8h
            replication: {target_site: DR, scope: full}
            backups:
              - {to_site: DR, every: 1d, immutable: true}
    """

    code = "DR007"
    name = "archive-without-full-copy"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        plans = {plan.system: plan for plan in index.env.continuity}
        misnamed = probable_devices(index, plans)
        for device in index.env.devices:
            if not device.is_archive_of_record or device.name in misnamed:
                continue
            plan = plans.get(device.name)
            if plan is not None and _has_full_copy(plan, device):
                continue
            if plan is None:
                where, entity, what = (
                    index.where(device, "name"),
                    identity.device(device.name),
                    "has no continuity plan, so no second copy is declared",
                )
            else:
                where = index.where(plan, "replication" if plan.replication else "system")
                entity = _entity(plan)
                replication = plan.replication
                what = (
                    f"replicates only the last {replication.window} to {replication.target_site}"
                    if replication is not None and replication.scope == "window"
                    else "has no full replication to another site and no backup"
                )
            yield self.finding(
                f"the archive of record '{device.name}' {what}: keep a full second copy "
                "(replication with scope: full to another site, or a backup in `backups`)",
                where,
                entity=entity,
            )


def _has_full_copy(plan: ContinuityPlan, device: Device) -> bool:
    replication = plan.replication
    if plan.backups:
        return True
    return (
        replication is not None
        and replication.scope == "full"
        and replication.target_site != device.site
    )
