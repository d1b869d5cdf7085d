"""Retention requirements: how long each policy keeps a study, and which policies apply
where (the maximum of every policy that applies wins). Shared by the RET rules and the
retention section of the documents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..findings import Location
from ..model.devices import Device
from ..model.retention import RetentionPolicy
from ..model.sites import Site
from ..model.types import Duration
from .index import Index

CATEGORIES = ("adult", "pediatric")
MAMMOGRAPHY = "MG"
_NOTHING = Duration(0, 0.0, "0y")


def country_of(jurisdiction: str) -> str:
    return jurisdiction.split("-", 1)[0]


@dataclass(frozen=True, slots=True)
class Requirement:
    period: Duration
    policy: RetentionPolicy
    jurisdiction: str
    category: str

    def describe(self) -> str:
        p = self.policy
        if (
            self.category == "pediatric"
            and p.keep_until_age is not None
            and (p.keep is None or p.keep < self.period)
        ):
            plus = f" + {p.plus}" if p.plus else ""
            return (
                f"until age {p.keep_until_age}{plus} ({years_text(self.period)} for a study "
                "taken at birth)"
            )
        return str(self.period)


def years_text(period: Duration) -> str:
    years = period.years
    return f"{years:.0f}y" if abs(years - round(years)) < 0.01 else f"{years:.1f}y"


def requirement(policy: RetentionPolicy, category: str) -> Duration | None:
    """How long `policy` keeps a study of a patient in `category`; None if it does not
    apply to the category. Pediatric: until `keep_until_age` + `plus` for a newborn, or
    `keep` when longer."""
    if policy.patient_category not in ("all", category):
        return None
    keep = policy.keep or _NOTHING
    if category == "pediatric" and policy.keep_until_age is not None:
        plus = policy.plus or _NOTHING
        until = Duration(
            policy.keep_until_age * 12 + plus.months,
            plus.seconds,
            f"{policy.keep_until_age}y{' + ' + plus.text if policy.plus else ''}",
        )
        return keep if policy.keep is not None and until <= keep else until
    return keep


class Retention:
    """Policies by jurisdiction, and what is in use where; built once per check."""

    def __init__(self, index: Index):
        self.index = index
        self.by_jurisdiction: dict[str, list[RetentionPolicy]] = defaultdict(list)
        for policy in index.env.retention:
            self.by_jurisdiction[policy.jurisdiction].append(policy)
        # jurisdiction -> modality -> (site, device) that first brings it in
        self.in_use: dict[str, dict[str, tuple[Site, Device]]] = {}
        for device in index.env.devices:
            site = index.sites.get(device.site)
            if site is None:
                continue
            used = self.in_use.setdefault(site.jurisdiction, {})
            for modality in device.modality:
                used.setdefault(modality, (site, device))

    def policies(self, jurisdiction: str) -> list[RetentionPolicy]:
        own = self.by_jurisdiction.get(jurisdiction, [])
        country = country_of(jurisdiction)
        if country == jurisdiction:
            return list(own)
        return own + self.by_jurisdiction.get(country, [])

    def applicable(
        self, jurisdiction: str, modalities: Iterable[str] | None, category: str
    ) -> list[tuple[RetentionPolicy, Duration]]:
        """Policies that apply, with what each requires; `modalities` None: any modality."""
        wanted = None if modalities is None else set(modalities)
        out = []
        for policy in self.policies(jurisdiction):
            if wanted is not None and policy.modality and not wanted & set(policy.modality):
                continue
            period = requirement(policy, category)
            if period is not None:
                out.append((policy, period))
        return out

    def longest(
        self, jurisdiction: str, modalities: Iterable[str] | None, category: str
    ) -> Requirement | None:
        """The policy that keeps longest; on a tie, one that names modalities (the more
        specific policy is where a user would change the period)."""
        best = None
        for policy, period in self.applicable(jurisdiction, modalities, category):
            if (
                best is None
                or best.period < period
                or (not period < best.period and policy.modality and not best.policy.modality)
            ):
                best = Requirement(period, policy, jurisdiction, category)
        return best


def policy_where(index: Index, policy: RetentionPolicy, key: str) -> Location:
    return index.where(policy, key if key in policy.model_fields_set else "name")


def retention_of(index: Index) -> Retention:
    """One `Retention` per check, shared by the rules of the family."""
    return index.shared(Retention, Retention)
