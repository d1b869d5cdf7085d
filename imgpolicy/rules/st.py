"""ST: storage. Whether the tiers hold what the volumes bring, and the lifecycle makes sense."""

from __future__ import annotations

import math
from collections.abc import Iterator

from .. import identity
from ..analysis.capacity import format_size, format_years, project
from ..analysis.index import Index
from ..findings import Finding, Related, Severity
from ..model.types import parse_duration
from .base import Rule, duration_option
from .common import did_you_mean, unknown_device_hint

_DONE = {"purge": "purged", "evict": "evicted"}


def _step_words(step) -> str:
    """A lifecycle step in words (`move to cold`, `purge`), to tell steps apart."""
    return f"{step.action} to {step.to}" if step.to else step.action


class TierFillsWithinHorizon(Rule):
    """A storage tier fills up (reaches its high-water mark) within the planning horizon.

    What:
        The capacity projection (what the tier holds today, `used`, plus the studies the
        declared `volumes` bring each year, growing by `annual_growth`, moved on, purged
        and evicted by the `lifecycle`) exceeds the tier's `high_water` mark (default 85 %
        of `capacity`) within `horizon`. A replica tier (`replica_of`) grows with the tier
        it copies; a cache tier is projected by its own volumes and lifecycle (its
        `evict` steps), and, like every tier, from what it holds today. The projection
        takes each volume's `annual_studies` as the past year's count, so the first
        projected year already grows by `annual_growth`; it assumes what a tier holds today
        stays there. The finding gives the year it fills and the size it reaches by the end
        of the horizon.
    Why:
        A full archive tier stops accepting studies, and a modality that cannot send keeps
        its images on local disk until that fills too. Buying and migrating storage takes
        months, so the practice guide asks that "Storage capacity projections account for
        3-5 year growth" (Quality Audit checklist) and warns that "Storage planning must
        account for exponential growth ... Plan storage capacity 3-5 years ahead".
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: vna, site: MAIN, kind: vna}
        storage:
          tiers:
            - {name: vna-hot, device: vna, tier: hot, capacity: 100TB, used: 40TB}
          volumes:
            - {site: MAIN, modality: CT, tier: vna-hot, annual_studies: 60000, mean_study_size: 350MB, annual_growth: 6%}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: vna, site: MAIN, kind: vna}
        storage:
          tiers:
            - {name: vna-hot, device: vna, tier: hot, capacity: 150TB, used: 40TB}
            - {name: vna-warm, device: vna, tier: warm, capacity: 500TB}
          lifecycle:
            - name: vna-default
              tier: vna-hot
              steps:
                - {after: 3y, action: move, to: vna-warm}
          volumes:
            - {site: MAIN, modality: CT, tier: vna-hot, annual_studies: 60000, mean_study_size: 350MB, annual_growth: 6%}
    Options:
        horizon: how far ahead the tiers must hold what is projected (default 3y; the
            practice guide plans 3-5 years ahead).
    """

    code = "ST001"
    name = "tier-fills-within-horizon"
    severity = Severity.ERROR
    options = {"horizon": duration_option("3y", "1mo", "100y")}

    def check(self, index: Index) -> Iterator[Finding]:
        env = index.env
        if not env.tiers:
            return
        horizon = parse_duration(self.settings["horizon"]).years
        if horizon <= 0:
            return
        years = max(1, math.ceil(horizon - 1e-9))
        for projection in project(env.tiers, env.lifecycle, env.volumes, years).values():
            if not projection.reaches_high_water_within(horizon):
                continue
            tier = projection.tier
            end = projection.held[-1]
            horizon_text = self.settings["horizon"]
            yield self.finding(
                f"storage tier '{tier.name}' ({format_size(tier.capacity)} on {tier.device}) "
                f"{_when_full(projection, horizon)}: the declared volumes and lifecycle"
                f"{_copying(tier)} project {format_size(end)} by the end of year {years}, "
                f"within the {horizon_text} horizon; add capacity, move studies off it "
                "sooner, or correct the volumes",
                index.where(tier, "capacity"),
                entity=identity.entity("tier", tier.name),
            )


def _when_full(projection, horizon: float) -> str:
    """When the tier is over capacity, or else over its high-water mark, in words."""
    if projection.fills_within(horizon):
        full_at = projection.full_at or 0.0
        return "is over capacity already" if full_at <= 0 else f"fills in {format_years(full_at)}"
    mark = f"its {projection.high_water:.0%} high-water mark"
    at = projection.high_water_at or 0.0
    return f"is over {mark} already" if at <= 0 else f"passes {mark} in {format_years(at)}"


def _copying(tier) -> str:
    return f" of the tier it replicates ({tier.replica_of})" if tier.replica_of else ""


class LifecycleOutOfOrder(Rule):
    """A lifecycle's steps are out of order or contradict each other.

    What:
        In a `lifecycle`, a step whose `after` is not longer than the one before it, a
        step after a `purge` or an `evict`, or a `move` to the tier the studies are already on (the
        lifecycle's `tier` for the first move, the previous move's `to` after that).
    Why:
        Archive lifecycle engines apply the rules by study age: a step listed later but
        due earlier either never runs or runs first, so studies sit on the wrong tier, or
        are purged before their last move was meant to protect them (practice guide,
        Step 2, "Vendor Neutral Archive": tiers by study age, online 3-5 years, nearline
        5-10 years, archive for the retention period).
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: vna, site: MAIN, kind: vna}
        storage:
          tiers:
            - {name: vna-hot, device: vna, tier: hot, capacity: 1PB}
            - {name: vna-warm, device: vna, tier: warm, capacity: 2PB}
            - {name: vna-cold, device: vna, tier: cold, capacity: 4PB}
          lifecycle:
            - name: vna-default
              tier: vna-hot
              steps:
                - {after: 8y, action: move, to: vna-cold}
                - {after: 4y, action: move, to: vna-warm}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: vna, site: MAIN, kind: vna}
        storage:
          tiers:
            - {name: vna-hot, device: vna, tier: hot, capacity: 1PB}
            - {name: vna-warm, device: vna, tier: warm, capacity: 2PB}
            - {name: vna-cold, device: vna, tier: cold, capacity: 4PB}
          lifecycle:
            - name: vna-default
              tier: vna-hot
              steps:
                - {after: 4y, action: move, to: vna-warm}
                - {after: 8y, action: move, to: vna-cold}
    """

    code = "ST002"
    name = "lifecycle-out-of-order"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for lifecycle in index.env.lifecycle:
            entity = identity.entity("lifecycle", lifecycle.name)
            current: str | None = lifecycle.tier
            previous = None
            purge = None
            for i, step in enumerate(lifecycle.steps):
                what = (
                    f"lifecycle '{lifecycle.name}' step {i + 1} ({step.action} after {step.after})"
                )
                if purge is not None:
                    ended = lifecycle.steps[purge]
                    yield self.finding(
                        f"{what} comes after the {ended.action} at {ended.after}: "
                        f"{_DONE[ended.action]} studies cannot move again; remove the step or put "
                        f"the {ended.action} last",
                        index.where(lifecycle, "steps", i),
                        entity=entity,
                        detail=f"after the purge: {_step_words(step)}",
                        related=[Related(index.where(lifecycle, "steps", purge), "the purge step")],
                    )
                    continue
                if previous is not None and not previous.after < step.after:
                    yield self.finding(
                        f"{what} is not later than the step before it (after "
                        f"{previous.after}): list the steps by increasing age, each later "
                        "than the last",
                        index.where(lifecycle, "steps", i, "after"),
                        entity=entity,
                        detail=f"not later: {_step_words(step)}",
                    )
                if step.action in ("purge", "evict"):
                    purge = i
                elif step.to == current:
                    yield self.finding(
                        f"{what} moves the studies to '{step.to}', the tier they are already "
                        "on: name the tier they should go to, or remove the step",
                        index.where(lifecycle, "steps", i, "to"),
                        entity=entity,
                        detail=f"same tier: {_step_words(step)}",
                    )
                else:
                    current = step.to
                previous = step


class StorageUnknownReference(Rule):
    """A storage tier, lifecycle or volume names a device, tier or site that does not exist.

    What:
        A tier's `device` that no device declares; a tier's `replica_of`, a lifecycle's
        `tier` or `site`, a lifecycle step's `to` or `kept_on`, or a volume's `tier` or
        `site` that names no declared tier or site.
    Why:
        The capacity projection and the retention checks follow these names: a typo moves
        studies to a tier nobody sized, or leaves a volume out of every projection, and
        the plan says the storage is fine when it is not (practice guide, Step 2, "Vendor
        Neutral Archive": storage tiers and lifecycle policies).
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: vna, site: MAIN, kind: vna}
        storage:
          tiers:
            - {name: vna-hot, device: vna, tier: hot, capacity: 1PB}
            - {name: vna-warm, device: vna, tier: warm, capacity: 2PB}
          lifecycle:
            - name: vna-default
              tier: vna-hot
              steps:
                - {after: 4y, action: move, to: vna-cold}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: vna, site: MAIN, kind: vna}
        storage:
          tiers:
            - {name: vna-hot, device: vna, tier: hot, capacity: 1PB}
            - {name: vna-warm, device: vna, tier: warm, capacity: 2PB}
          lifecycle:
            - name: vna-default
              tier: vna-hot
              steps:
                - {after: 4y, action: move, to: vna-warm}
    """

    code = "ST003"
    name = "storage-unknown-reference"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        env = index.env
        tiers = {t.name for t in env.tiers}
        for tier in env.tiers:
            if tier.replica_of is not None and tier.replica_of not in tiers:
                yield self._tier(
                    index,
                    tier,
                    ("replica_of",),
                    f"storage tier '{tier.name}' replicates",
                    tier.replica_of,
                    tiers,
                    identity.entity("tier", tier.name),
                )
            if tier.device not in index.devices:
                yield self.finding(
                    f"storage tier '{tier.name}' is on device '{tier.device}', which is not "
                    "declared"
                    + unknown_device_hint(
                        index, tier.device, "declare the device or correct the name"
                    ),
                    index.where(tier, "device"),
                    entity=identity.entity("tier", tier.name),
                )
        for lifecycle in env.lifecycle:
            entity = identity.entity("lifecycle", lifecycle.name)
            what = f"lifecycle '{lifecycle.name}'"
            if lifecycle.tier not in tiers:
                yield self._tier(
                    index, lifecycle, ("tier",), f"{what} starts on", lifecycle.tier, tiers, entity
                )
            if lifecycle.site is not None and lifecycle.site not in index.sites:
                yield self._site(index, lifecycle, what, lifecycle.site, entity)
            for i, step in enumerate(lifecycle.steps):
                if step.action == "move" and step.to not in tiers:
                    yield self._tier(
                        index,
                        lifecycle,
                        ("steps", i, "to"),
                        f"{what} step {i + 1} moves studies to",
                        step.to,
                        tiers,
                        entity,
                    )
                if step.action == "evict" and step.kept_on not in tiers:
                    yield self._tier(
                        index,
                        lifecycle,
                        ("steps", i, "kept_on"),
                        f"{what} step {i + 1} evicts studies kept on",
                        step.kept_on,
                        tiers,
                        entity,
                    )
        for volume in env.volumes:
            what = f"volume {volume.site}/{'+'.join(volume.modality)}"
            entity = identity.entity(
                "volume", f"{volume.site}:{'+'.join(volume.modality)}:{volume.tier}"
            )
            if volume.tier not in tiers:
                yield self._tier(
                    index, volume, ("tier",), f"{what} lands on", volume.tier, tiers, entity
                )
            if volume.site not in index.sites:
                yield self._site(index, volume, what, volume.site, entity)

    def _tier(self, index, item, path, what, name, tiers, entity) -> Finding:
        return self.finding(
            f"{what} tier '{name}', which is not declared in storage.tiers"
            f"{did_you_mean(name, tiers)}: declare the tier or correct the name",
            index.where(item, *path),
            entity=entity,
            detail=f"tier {name}",
        )

    def _site(self, index, item, what, name, entity) -> Finding:
        return self.finding(
            f"{what} names site '{name}', which is not declared"
            f"{did_you_mean(name, index.sites)}: declare the site or correct the "
            "name",
            index.where(item, "site"),
            entity=entity,
            detail=f"site {name}",
        )
