"""DR: continuity. Recovery objectives, replication and the tests that prove them."""

from __future__ import annotations

import calendar
import typing
from collections.abc import Iterator
from datetime import date, timedelta

from ..analysis.index import CRITICAL_KINDS, Index
from ..config import ConfigError
from ..findings import Finding, Related, Severity
from ..model.continuity import ContinuityPlan
from ..model.devices import DeviceKind
from ..model.types import Duration, parse_duration
from .base import Rule
from .common import device_related, did_you_mean

_DEVICE_KINDS = frozenset(typing.get_args(DeviceKind))
_FALLBACK_KINDS = frozenset({"viewer", "workstation"})
_NEEDS_FALLBACK = frozenset({"pacs", "vna"})


def _entity(plan: ContinuityPlan) -> str:
    return f"continuity:{plan.system}"


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
        `rto`.
    Why:
        The practice guide asks to "define recovery time objective (RTO) and recovery
        point objective (RPO) specific to imaging systems" (Step 4, "Disaster recovery for
        imaging"). Without them nobody can say whether the backup, the replication and
        the failover are good enough, and an outage of the PACS or the RIS stops the ED.
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
    options = {"critical_kinds": sorted(CRITICAL_KINDS)}

    def __init__(self, severity=None, **options):
        super().__init__(severity, **options)
        kinds = self.settings["critical_kinds"]
        unknown = [k for k in kinds if k not in _DEVICE_KINDS]
        if unknown:
            raise ConfigError(
                f"rules.{self.code}.critical_kinds: unknown device kind "
                f"{', '.join(map(repr, unknown))} (known: "
                f"{', '.join(sorted(_DEVICE_KINDS))})"
            )

    def check(self, index: Index) -> Iterator[Finding]:
        critical = frozenset(self.settings["critical_kinds"])
        plans = {plan.system: plan for plan in index.env.continuity}
        for device in index.env.devices:
            if device.kind not in critical:
                continue
            plan = plans.get(device.name)
            if plan is None:
                yield self.finding(
                    f"critical system '{device.name}' ({device.kind}) has no continuity plan: "
                    f"add a continuity entry with system: {device.name}, its rpo and rto",
                    index.where(device, "name"),
                    entity=f"device:{device.name}",
                )
                continue
            missing = [key for key in ("rpo", "rto") if getattr(plan, key) is None]
            if missing:
                yield self.finding(
                    f"the continuity plan for '{device.name}' ({device.kind}) has no "
                    f"{' and no '.join(missing)}: state how much data may be lost (rpo) and "
                    "how long the system may be down (rto)",
                    index.where(plan, "system"),
                    entity=_entity(plan),
                    related=device_related(index, device.name, f"{device.name} is declared here"),
                )


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
        A continuity plan whose `replication.window` (how much recent data the target
        holds) is below `minimum_window`.
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
    options = {"minimum_window": parse_duration("30d")}

    def check(self, index: Index) -> Iterator[Finding]:
        minimum: Duration = self.settings["minimum_window"]
        for plan in index.env.continuity:
            replication = plan.replication
            if replication is None or not replication.window < minimum:
                continue
            yield self.finding(
                f"'{plan.system}' replicates only the last {replication.window} to "
                f"{replication.target_site}: keep at least {minimum} on the target",
                index.where(plan, "replication", "window"),
                entity=_entity(plan),
            )


class DrTestStale(Rule):
    """A continuity plan was never tested, or not within the last 12 months.

    What:
        A continuity plan without `last_tested`, with a `last_tested` older than
        `max_age` before today (`--today`), or with a `last_tested` in the future (a
        typo).
    Why:
        Checkpoint B of the practice guide: "Imaging disaster recovery has been tested
        within the last 12 months", and "Disaster recovery and failover procedures are
        tested". An untested failover fails when it is needed: expired certificates, a
        changed firewall, a replica that stopped months ago.
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
          - {system: pacs-main, rpo: 15m, rto: 4h, last_tested: 2026-04-18}
          - {system: ris-main, rpo: 5m, rto: 2h, last_tested: 2026-04-18}
    Options:
        max_age: how long ago the last test may be (default 12mo, calendar months).
    """

    code = "DR004"
    name = "dr-test-stale"
    severity = Severity.ERROR
    options = {"max_age": parse_duration("12mo")}

    def check(self, index: Index) -> Iterator[Finding]:
        max_age: Duration = self.settings["max_age"]
        today = index.today
        cutoff = _cutoff(today, max_age)
        for plan in index.env.continuity:
            tested = plan.last_tested
            if tested is None:
                yield self.finding(
                    f"the continuity plan for '{plan.system}' has never been tested (no "
                    "last_tested): run a failover test and record its date",
                    index.where(plan, "system"),
                    entity=_entity(plan),
                )
            elif tested > today:
                yield self.finding(
                    f"the continuity plan for '{plan.system}' says it was last tested on "
                    f"{tested.isoformat()}, after today ({today.isoformat()}): correct the "
                    "date of the last test",
                    index.where(plan, "last_tested"),
                    entity=_entity(plan),
                )
            elif tested < cutoff:
                yield self.finding(
                    f"the continuity plan for '{plan.system}' was last tested on "
                    f"{tested.isoformat()}, {(today - tested).days} days before "
                    f"{today.isoformat()} (more than {max_age}): run a failover test and "
                    "record its date",
                    index.where(plan, "last_tested"),
                    entity=_entity(plan),
                )


class NoReadOnlyFallback(Rule):
    """A PACS or VNA has no read-only fallback viewer, or the fallback is no viewer.

    What:
        A continuity plan for a `pacs` or `vna` without `read_only_fallback`; or any plan
        whose `read_only_fallback` names a device that does not exist, or one that is not
        a `viewer` or `workstation`.
    Why:
        The practice guide asks to "maintain read-only PACS viewer capability during
        primary system outage" (Step 4, "Disaster recovery for imaging"). Without it,
        nobody sees priors or the images just acquired while the PACS is down, and stat
        reads stop.
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
                hint = (
                    did_you_mean(fallback, index.devices)
                    or ": declare that viewer or correct the name"
                )
                yield self.finding(
                    f"the read_only_fallback '{fallback}' of the plan for '{plan.system}' is "
                    f"no device{hint}",
                    index.where(plan, "read_only_fallback"),
                    entity=_entity(plan),
                )
            elif viewer.kind not in _FALLBACK_KINDS:
                yield self.finding(
                    f"the read_only_fallback '{fallback}' of the plan for '{plan.system}' is a "
                    f"{viewer.kind}, not a viewer or workstation: name a viewer that keeps "
                    "working when the primary system is down",
                    index.where(plan, "read_only_fallback"),
                    entity=_entity(plan),
                    related=device_related(index, fallback, f"{fallback} is declared here"),
                )


class ContinuityUnknownReference(Rule):
    """A continuity plan names a system or a replication site that does not exist.

    What:
        A continuity plan whose `system` is no device name, or whose
        `replication.target_site` is no site name. (Two plans for one system are reported
        by the loader.)
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
                hint = (
                    did_you_mean(plan.system, index.devices)
                    or ": name an existing device or remove the plan"
                )
                yield self.finding(
                    f"continuity plan for '{plan.system}': no device has that name{hint}",
                    index.where(plan, "system"),
                    entity=_entity(plan),
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
                )
