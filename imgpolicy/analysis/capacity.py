"""Capacity projection: what each storage tier holds at the end of each of the next N years.

Pure and deterministic: it reads the `storage` section (tiers, lifecycle, volumes) and
nothing else, so the ST rules and the architecture docs show the same numbers.

The model, in the words a PACS administrator would use:

- Time runs in years from today (0). Year k is the span (k-1, k]. A volume ingests, during
  year k, `annual_studies x mean_study_size x (1 + annual_growth) ** k` bytes, spread
  evenly over the year. The declared count is taken as the past year's, so growth applies
  from the first projected year on (the conservative reading for capacity planning).
- Studies land on the volume's `tier`. The lifecycle that governs them there is the most
  specific one whose `tier` is that tier and whose filters match (a `site` filter and a
  `modality` filter each count; a volume with several modalities matches a filter that
  names any of them); on a tie the first declared wins.
- A lifecycle's steps are applied in order of `after` (the age of the study, counted from
  acquisition): a `move` puts the studies on its `to` tier, a `purge` ends them, an `evict`
  ends this copy (a cache drops studies its `kept_on` tier keeps: that tier's own volumes
  and lifecycle account for the kept copy). When the
  last step of a lifecycle is a move, the lifecycle of the tier they arrive on (if any,
  same selection) takes over; a step of that lifecycle whose age has already passed takes
  effect on arrival. A lifecycle is never entered twice for the same studies, so a cycle
  of lifecycles ends where it would repeat (and the studies stay on that tier).
- `used` (what a tier holds today) stays on that tier: its ages are unknown, so the
  projection neither moves nor purges it (conservative for that tier).
- Moves and purges to tiers that are not declared take the studies out of the projection
  (ST003 reports the unknown name).
- A replica tier (`replica_of`) holds what the tier it copies holds, year by year, starting
  from its own `used` (or the copied tier's when it declares none), plus any volumes that
  land on it directly. A chain of replicas follows to the first tier that is no replica; a
  cycle or an unknown name leaves the replica with its own volumes only.
- A tier counts as full at its `high_water` mark (default 85 %), not only at 100 %:
  `high_water_at` is the first moment the content exceeds it.

Each tier's content is piecewise linear in time, so the first moment it exceeds its
capacity is found exactly (`full_at`, a fractional year: 2.5 is the middle of year 3;
0.0 when `used` already exceeds the capacity).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..model.storage import Lifecycle, Tier, Volume

MAX_HANDOVERS = 64
"""A bound on lifecycles followed one after another (real chains have two or three)."""


@dataclass(frozen=True, slots=True)
class Stay:
    """Studies are on `tier` from age `start` until age `end` (None: for good), in years."""

    tier: str
    start: float
    end: float | None


@dataclass(frozen=True, slots=True)
class Path:
    """Where a volume's studies are as they age, and what purges them, if anything."""

    stays: tuple[Stay, ...]
    purged_by: tuple[Lifecycle, int] | None = None
    """The lifecycle and index (in its `steps`) of the purge step that ends them."""
    lifecycles: tuple[Lifecycle, ...] = ()
    """The lifecycles followed, in order."""
    evicted_by: tuple[Lifecycle, int] | None = None
    """The lifecycle and index of the evict step that drops this copy (kept elsewhere)."""


@dataclass(frozen=True, slots=True)
class TierProjection:
    tier: Tier
    held: tuple[float, ...]
    """Bytes at the end of year 1, 2, ... N."""
    full_at: float | None
    """First moment (in years from today) the content exceeds the capacity; None if it
    does not within the N years projected."""
    high_water_at: float | None = None
    """First moment the content exceeds the tier's high-water mark (`high_water`)."""
    used: float | None = None
    """What it holds today, when not its own `used` (a replica without one)."""

    @property
    def name(self) -> str:
        return self.tier.name

    @property
    def capacity(self) -> int:
        return self.tier.capacity

    @property
    def start(self) -> float:
        return self.used if self.used is not None else float(self.tier.used or 0)

    @property
    def high_water(self) -> float:
        """The fraction of the capacity at which the tier counts as full."""
        return high_water_of(self.tier)

    def fills_within(self, years: float) -> bool:
        return self.full_at is not None and self.full_at <= years

    def reaches_high_water_within(self, years: float) -> bool:
        return self.high_water_at is not None and self.high_water_at <= years


DEFAULT_HIGH_WATER = 0.85
"""Where a tier counts as full when it declares no `high_water` (storage practice keeps
80-85 % as the point to add capacity: above it, rebuilds and housekeeping slow down)."""


def high_water_of(tier: Tier) -> float:
    return DEFAULT_HIGH_WATER if tier.high_water is None else tier.high_water


def replicated_tier(tier: Tier, declared: dict[str, Tier]) -> Tier | None:
    """The tier whose content a replica holds: the end of its `replica_of` chain; None
    for a tier that is no replica, or a chain that ends nowhere or goes round."""
    if tier.replica_of is None:
        return None
    seen = {tier.name}
    current = tier
    while current.replica_of is not None:
        nxt = declared.get(current.replica_of)
        if nxt is None or nxt.name in seen or len(seen) > MAX_HANDOVERS:
            return None
        seen.add(nxt.name)
        current = nxt
    return current


class Planner:
    """Lifecycle selection and the paths studies take, for one `storage` section."""

    def __init__(self, lifecycles: Iterable[Lifecycle]):
        self.by_tier: dict[str, list[Lifecycle]] = defaultdict(list)
        for lifecycle in lifecycles:
            self.by_tier[lifecycle.tier].append(lifecycle)
        self._paths: dict[tuple, Path] = {}

    def governing(self, tier: str, site: str | None, modalities: Sequence[str]) -> Lifecycle | None:
        """The lifecycle that applies to studies of `site` and `modalities` on `tier`."""
        best, best_rank = None, -1
        wanted = set(modalities)
        for lifecycle in self.by_tier.get(tier, ()):
            if lifecycle.site is not None and lifecycle.site != site:
                continue
            if lifecycle.modality and not wanted & set(lifecycle.modality):
                continue
            rank = (lifecycle.site is not None) + bool(lifecycle.modality)
            if rank > best_rank:
                best, best_rank = lifecycle, rank
        return best

    def path(self, tier: str, site: str | None, modalities: Sequence[str]) -> Path:
        key = (tier, site, tuple(sorted(set(modalities))))
        if key not in self._paths:
            self._paths[key] = self._walk(tier, site, modalities)
        return self._paths[key]

    def path_of(self, volume: Volume) -> Path:
        return self.path(volume.tier, volume.site, volume.modality)

    def _walk(self, tier: str, site: str | None, modalities: Sequence[str]) -> Path:
        stays: list[Stay] = []
        followed: list[Lifecycle] = []
        age = 0.0
        while True:
            lifecycle = self.governing(tier, site, modalities)
            if (
                lifecycle is None
                or any(lc is lifecycle for lc in followed)
                or len(followed) >= MAX_HANDOVERS
            ):
                stays.append(Stay(tier, age, None))
                return Path(_merge(stays), None, tuple(followed))
            followed.append(lifecycle)
            moved = False
            for i, step in sorted(enumerate(lifecycle.steps), key=lambda s: s[1].after.days):
                when = max(age, step.after.years)
                if step.action == "purge":
                    stays.append(Stay(tier, age, when))
                    return Path(_merge(stays), (lifecycle, i), tuple(followed))
                if step.action == "evict":
                    stays.append(Stay(tier, age, when))
                    return Path(_merge(stays), None, tuple(followed), (lifecycle, i))
                if step.to is None or step.to == tier:  # a move always names its tier
                    continue
                stays.append(Stay(tier, age, when))
                tier, age, moved = step.to, when, True
            if not moved:
                stays.append(Stay(tier, age, None))
                return Path(_merge(stays), None, tuple(followed))


def _merge(stays: list[Stay]) -> tuple[Stay, ...]:
    """Drop empty stays (a step that took effect on arrival)."""
    return tuple(s for s in stays if s.end is None or s.end > s.start)


MAX_BYTES = 1e100
"""Where the projection stops counting: far beyond any storage there is, far below where
float arithmetic overflows (a growth of 10**17 % a year for 30 years would), so an
absurd but valid `annual_growth` projects "full in year 1" instead of crashing."""


def annual_bytes(volume: Volume, year: int) -> float:
    """Bytes a volume ingests during projected year `year` (1-based), at most
    `MAX_BYTES`."""
    base = float(volume.annual_studies) * float(volume.mean_study_size)
    growth = max(0.0, 1.0 + volume.annual_growth)
    if base <= 0.0 or growth == 0.0:
        return 0.0
    exponent = math.log10(base) + year * math.log10(growth)
    if exponent >= math.log10(MAX_BYTES):
        return MAX_BYTES
    return volume.annual_studies * volume.mean_study_size * growth**year


def project(
    tiers: Iterable[Tier], lifecycles: Iterable[Lifecycle], volumes: Iterable[Volume], years: int
) -> dict[str, TierProjection]:
    """Every declared tier (in declaration order; the first of a duplicated name) projected
    over `years` years."""
    years = max(1, int(years))
    declared: dict[str, Tier] = {}
    for tier in tiers:
        declared.setdefault(tier.name, tier)
    planner = Planner(lifecycles)
    # stays on each tier -> bytes ingested per year by the studies that make them
    flows: dict[str, dict[tuple[float, float | None], list[float]]] = {
        name: defaultdict(lambda: [0.0] * years) for name in declared
    }
    for volume in volumes:
        rates = [annual_bytes(volume, k) for k in range(1, years + 1)]
        if not any(rates):
            continue
        for stay in planner.path_of(volume).stays:
            if stay.tier not in flows:
                continue
            total = flows[stay.tier][(stay.start, stay.end)]
            for k in range(years):
                total[k] += rates[k]
    copies = _replica_flows(declared, flows, years)
    out = {}
    for name, tier in declared.items():
        stays = copies.get(name, flows[name])
        source = replicated_tier(tier, declared)
        inherited = None
        if source is not None and tier.used is None:
            inherited = float(source.used or 0)
        used = float(tier.used or 0) if inherited is None else inherited

        def held(t: float, stays=stays, used=used) -> float:
            return used + sum(
                _on_tier(rates, start, end, t) for (start, end), rates in stays.items()
            )

        points = _breakpoints(stays, years)
        out[name] = TierProjection(
            tier,
            tuple(held(float(k)) for k in range(1, years + 1)),
            _first_exceeding(held, tier.capacity, points, used),
            _first_exceeding(held, tier.capacity * high_water_of(tier), points, used),
            inherited,
        )
    return out


def _replica_flows(
    declared: dict[str, Tier], flows: dict[str, dict], years: int
) -> dict[str, dict[tuple[float, float | None], list[float]]]:
    """Replica name -> its own stays plus those of the tier it copies."""
    out: dict[str, dict[tuple[float, float | None], list[float]]] = {}
    for name, tier in declared.items():
        source = replicated_tier(tier, declared)
        if source is None:
            continue
        merged: dict[tuple[float, float | None], list[float]] = defaultdict(lambda: [0.0] * years)
        for stays in (flows[source.name], flows[name]):
            for key, rates in stays.items():
                total = merged[key]
                for k in range(years):
                    total[k] += rates[k]
        out[name] = merged
    return out


def _on_tier(rates: list[float], start: float, end: float | None, t: float) -> float:
    """Bytes on a tier at time t from studies that stay there aged [start, end)."""
    # a study acquired at time s is there when t - end < s <= t - start, and 0 <= s <= t
    low = -math.inf if end is None else t - end
    high = t - start
    total = 0.0
    for k, rate in enumerate(rates):  # year k + 1 spans (k, k + 1]
        a, b = max(low, float(k)), min(high, float(k + 1), t)
        if b > a:
            total += rate * (b - a)
    return total


def _breakpoints(stays: dict, years: int) -> list[float]:
    points = {float(k) for k in range(years + 1)}
    for start, end in stays:
        for age in (start, end):
            if age is None:
                continue
            for k in range(years + 1):
                if 0 < k + age < years:
                    points.add(k + age)
    return sorted(points)


def _first_exceeding(held, capacity: float, points: list[float], used: float) -> float | None:
    if used > capacity:
        return 0.0
    before_t, before = points[0], held(points[0])
    for t in points[1:]:
        now = held(t)
        if now > capacity:
            if now == before:
                return before_t
            return before_t + (capacity - before) / (now - before) * (t - before_t)
        before_t, before = t, now
    return None


def format_size(size: float) -> str:
    """Bytes in the units the files use (powers of 1000): 1.2PB, 380TB, 250MB; sizes of
    a zettabyte and more (projections of absurd growth) as "over 1000EB"."""
    if not abs(size) < 1e21:  # also inf and nan
        return "over 1000EB"
    for unit, factor in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if abs(size) >= factor:
            value = size / factor
            text = f"{value:.3g}" if value < 100 else f"{value:.0f}"
            return text + unit
    return f"{size:.0f}B"


def format_years(years: float) -> str:
    """`full_at` for a message: 'year 3 (2.4 years from now)' or 'today'."""
    if years <= 0:
        return "today"
    return f"year {math.floor(years) + 1 if years % 1 else int(years)} ({years:.1f} years from now)"
