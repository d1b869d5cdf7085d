"""RET: retention. Whether every study in use has a retention policy, and is kept that long.

What is "in use": each site's jurisdiction x each modality of the devices at that site x
{adult, pediatric}. A policy applies when its jurisdiction is the site's or the site's
country (`US` applies to `US-CA`), its modality list is empty or names the modality, and its
patient category is `all` or the category. The retention of a study is the longest that any
applicable policy requires (DESIGN.md: "model retention as the maximum of every policy that
applies"); for a pediatric policy with `keep_until_age` that is, for a study taken at birth,
`keep_until_age` + `plus` (or `keep` when longer).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from .. import identity
from ..analysis.capacity import Planner
from ..analysis.index import Index
from ..analysis.jurisdiction import is_us
from ..analysis.retention import (
    CATEGORIES,
    MAMMOGRAPHY,
    Requirement,
    country_of,
    policy_where,
    retention_of,
    years_text,
)
from ..findings import Finding, Related, Severity
from ..model.retention import RetentionPolicy
from ..model.types import parse_duration
from .base import Rule, duration_option


class RetentionGap(Rule):
    """A site's jurisdiction, modality and patient category with no retention policy.

    What:
        For each site's jurisdiction, each modality of the devices at that site, and both
        patient categories (adult, pediatric), no retention policy applies: none has that
        jurisdiction or its country (`US` applies to `US-CA`), a modality list that is
        empty or names the modality, and `patient_category` `all` or that category. One
        finding per jurisdiction and modality, at the device that brings the modality in,
        listing the categories without a policy.
    Why:
        Images kept with no stated retention are either purged by a default that nobody
        checked against the law, or kept forever at growing cost; either way the audit
        cannot show compliance. The practice guide asks to "enforce image retention
        policies aligned with state medical record retention laws (vary by state,
        typically 7-10 years for adults, until age of majority + 7 years for pediatric)"
        (Step 4, "Retention compliance").
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: ct-1, site: MAIN, kind: modality, modality: CT}
        retention:
          - {name: ca-adult, jurisdiction: US-CA, patient_category: adult, keep: 7y}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: ct-1, site: MAIN, kind: modality, modality: CT}
        retention:
          - {name: ca-adult, jurisdiction: US-CA, patient_category: adult, keep: 7y}
          - {name: ca-pediatric, jurisdiction: US-CA, patient_category: pediatric, keep_until_age: 18, plus: 1y, keep: 7y}
    """

    code = "RET001"
    name = "retention-gap"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        retention = retention_of(index)
        for jurisdiction, modalities in retention.in_use.items():
            for modality, (site, device) in modalities.items():
                missing = [
                    c for c in CATEGORIES if not retention.applicable(jurisdiction, [modality], c)
                ]
                if not missing:
                    continue
                who = " or ".join(missing)
                country = country_of(jurisdiction)
                scope = (
                    jurisdiction if country == jurisdiction else f"{jurisdiction} (or {country})"
                )
                yield self.finding(
                    f"no retention policy covers {modality} studies of {who} patients in "
                    f"{jurisdiction} ({device.name} at {site.name}): add a retention policy "
                    f"for jurisdiction {scope} with patient_category "
                    f"{missing[0] if len(missing) == 1 else 'all'} that lists {modality} or "
                    "no modality",
                    index.where(device, "modality"),
                    entity=identity.entity("retention", f"{jurisdiction}:{modality}"),
                )


class PurgeBeforeRetentionEnds(Rule):
    """A lifecycle purges studies before the retention that applies to them ends.

    What:
        A lifecycle step with `action: purge` whose `after` is shorter than the longest
        retention that applies to the studies it purges: the policies of the jurisdictions
        of the sites whose volumes reach that step (through the lifecycle's tier chain),
        for their modalities, adult and pediatric; when no volume reaches it, the
        lifecycle's `site` (or every site) and `modality` (or any modality). A pediatric
        policy requires `keep_until_age` + `plus` for a study taken at birth, or `keep`
        when longer. An `evict` step (a cache, such as a PACS's, dropping studies that its
        `kept_on` tier keeps) is no purge: what it evicts is checked against the purge of
        the `kept_on` tier's lifecycle, if it has one.
    Why:
        Retention is the longest period that any applicable law or policy requires (each
        jurisdiction's medical-records law, and 21 CFR 900.12(c)(4) for mammography), and
        an archive purge cannot be undone: a study destroyed while the law still requires it is a
        compliance breach and a lost prior (practice guide, Step 4, "Retention
        compliance"; Step 2: archive "for retention period").
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: ct-1, site: MAIN, kind: modality, modality: CT}
          - {name: vna, site: MAIN, kind: vna}
        storage:
          tiers:
            - {name: vna-hot, device: vna, tier: hot, capacity: 1PB}
          lifecycle:
            - name: vna-default
              tier: vna-hot
              steps:
                - {after: 10y, action: purge}
          volumes:
            - {site: MAIN, modality: CT, tier: vna-hot, annual_studies: 30000, mean_study_size: 300MB, annual_growth: 5%}
        retention:
          - {name: ca-adult, jurisdiction: US-CA, patient_category: adult, keep: 7y}
          - {name: ca-pediatric, jurisdiction: US-CA, patient_category: pediatric, keep_until_age: 18, plus: 1y, keep: 7y}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: ct-1, site: MAIN, kind: modality, modality: CT}
          - {name: vna, site: MAIN, kind: vna}
        storage:
          tiers:
            - {name: vna-hot, device: vna, tier: hot, capacity: 1PB}
          lifecycle:
            - name: vna-default
              tier: vna-hot
              steps:
                - {after: 20y, action: purge}
          volumes:
            - {site: MAIN, modality: CT, tier: vna-hot, annual_studies: 30000, mean_study_size: 300MB, annual_growth: 5%}
        retention:
          - {name: ca-adult, jurisdiction: US-CA, patient_category: adult, keep: 7y}
          - {name: ca-pediatric, jurisdiction: US-CA, patient_category: pediatric, keep_until_age: 18, plus: 1y, keep: 7y}
    """

    code = "RET002"
    name = "purge-before-retention-ends"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        env = index.env
        if not any(step.action == "purge" for lc in env.lifecycle for step in lc.steps):
            return
        retention = retention_of(index)
        planner = Planner(env.lifecycle)
        every_site = list(index.sites.values())
        # (id(lifecycle), step index) -> {(jurisdiction, modalities) of what it purges}
        purged: dict[tuple[int, int], dict[tuple, str]] = defaultdict(dict)
        for volume in env.volumes:
            path = planner.path_of(volume)
            if path.evicted_by is not None:
                # a cache dropped its copy: the kept_on tier's lifecycle decides
                evicted, k = path.evicted_by
                kept_on = evicted.steps[k].kept_on
                if kept_on is not None:
                    path = planner.path(kept_on, volume.site, volume.modality)
            if path.purged_by is None:
                continue
            lifecycle, i = path.purged_by
            sites = [index.sites[volume.site]] if volume.site in index.sites else every_site
            for site in sites:
                purged[(id(lifecycle), i)].setdefault(
                    (site.jurisdiction, tuple(volume.modality)), site.name
                )
        for lifecycle in env.lifecycle:
            for i, step in enumerate(lifecycle.steps):
                if step.action != "purge":
                    continue
                scope = purged.get((id(lifecycle), i))
                if not scope:
                    sites = (
                        [index.sites[lifecycle.site]]
                        if lifecycle.site in index.sites
                        else every_site
                    )
                    modalities = tuple(lifecycle.modality) or None
                    scope = {}
                    for site in sites:
                        scope.setdefault((site.jurisdiction, modalities), site.name)
                best, best_site, best_modalities = None, "", None
                for (jurisdiction, modalities), site_name in scope.items():
                    for category in CATEGORIES:
                        found = retention.longest(jurisdiction, modalities, category)
                        if found and (best is None or best.period < found.period):
                            best, best_site, best_modalities = found, site_name, modalities
                if best is None or not step.after < best.period:
                    continue
                what = (
                    "studies" if best_modalities is None else "+".join(best_modalities) + " studies"
                )
                yield self.finding(
                    f"lifecycle '{lifecycle.name}' purges after {step.after}, but retention "
                    f"policy '{best.policy.name}' ({best.jurisdiction}, {best.category}) "
                    f"requires {best.describe()} for {what} of {best_site}: purge no "
                    f"earlier than {years_text(best.period)}, or remove the purge step",
                    index.where(lifecycle, "steps", i, "after"),
                    entity=identity.entity("lifecycle", lifecycle.name),
                    detail=f"purge under {best.policy.name}",
                    related=[
                        Related(
                            index.where(best.policy, "name"),
                            f"retention policy '{best.policy.name}'",
                        )
                    ],
                )


class MammographyBelowMQSA(Rule):
    """Mammography is kept for less than the MQSA minimum.

    What:
        In a US jurisdiction (`US` or `US-xx`) where a site has a mammography (MG)
        device, the longest retention that applies to MG studies, for adult or for
        pediatric patients, is shorter than `minimum` (or no policy applies at all). Sites
        outside the United States are not MQSA facilities: their mammography retention is
        whatever their own law says, which RET001 asks them to declare. This rule cannot be
        suppressed.
    Why:
        MQSA (21 CFR 900.12(c)(4)(i)) requires mammograms to be kept at least 5 years, or 10
        years if the patient has no later mammogram at the facility, longer where state
        law says; software archiving a study cannot know whether a later exam will
        follow, so 10 years is the floor it can enforce (practice guide, Step 4, "MQSA
        compliance (Mammography)"). The generic adult record retention of many states
        (5-7 years) is not enough.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: mg-1, site: MAIN, kind: modality, modality: MG}
        retention:
          - {name: ca-adult, jurisdiction: US-CA, patient_category: adult, keep: 7y}
          - {name: ca-pediatric, jurisdiction: US-CA, patient_category: pediatric, keep_until_age: 18, plus: 1y, keep: 7y}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: mg-1, site: MAIN, kind: modality, modality: MG}
        retention:
          - {name: ca-adult, jurisdiction: US-CA, patient_category: adult, keep: 7y}
          - {name: ca-pediatric, jurisdiction: US-CA, patient_category: pediatric, keep_until_age: 18, plus: 1y, keep: 7y}
          - {name: us-mammography, jurisdiction: US, modality: MG, keep: 10y, lossless: true}
    Options:
        minimum: the shortest retention accepted for mammography (default 10y, the MQSA
            period when no later mammogram follows).
    """

    code = "RET003"
    name = "mammography-below-mqsa"
    severity = Severity.ERROR
    suppressible = False
    options = {"minimum": duration_option("10y", "1y", "200y")}

    def check(self, index: Index) -> Iterator[Finding]:
        retention = retention_of(index)
        minimum = parse_duration(self.settings["minimum"])
        for jurisdiction, modalities in retention.in_use.items():
            if MAMMOGRAPHY not in modalities or not is_us(jurisdiction):
                continue  # MQSA binds US facilities only
            site, device = modalities[MAMMOGRAPHY]
            short: list[tuple[str, Requirement | None]] = []
            for category in CATEGORIES:
                found = retention.longest(jurisdiction, [MAMMOGRAPHY], category)
                if found is None or found.period < minimum:
                    short.append((category, found))
            if not short:
                continue
            parts = [
                f"{category}: no policy applies"
                if found is None
                else f"{category}: {found.describe()} by policy '{found.policy.name}'"
                for category, found in short
            ]
            kept = [found for _, found in short if found is not None]
            where = (
                policy_where(index, kept[0].policy, "keep")
                if kept
                else index.where(device, "modality")
            )
            related = (
                [
                    Related(
                        index.where(device, "modality"),
                        f"{device.name} at {site.name} acquires mammography",
                    )
                ]
                if kept
                else []
            )
            yield self.finding(
                f"mammography in {jurisdiction} is kept less than the MQSA minimum of "
                f"{minimum} ({'; '.join(parts)}): add a retention policy for MG in "
                f"{jurisdiction} with keep: {minimum} (or longer) and lossless: true",
                where,
                entity=identity.entity("retention", f"{jurisdiction}:MG"),
                related=related,
            )


class MammographyRetentionNotLossless(Rule):
    """A mammography retention policy does not require a lossless copy.

    What:
        A retention policy whose `modality` list names MG, without `lossless: true`, in a
        US jurisdiction (or the `US` country) where a site has a mammography device. Sites
        outside the United States are not MQSA facilities and are left alone.
    Why:
        MQSA (21 CFR 900.12(c)(4)(i)) requires mammograms to be retained, and the FDA's
        MQSA Policy Guidance Help System says that full-field digital mammograms are
        retained as the original images or as lossless compressed copies. A lifecycle that
        recompresses old studies lossily to save space (JPEG 2000 irreversible, for
        instance) destroys the record the facility must keep. The `lossless` flag states
        the requirement where the docs and the archive team see it (practice guide, Step 4,
        "MQSA compliance (Mammography)").
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: mg-1, site: MAIN, kind: modality, modality: MG}
        retention:
          - {name: ca-mammography, jurisdiction: US-CA, modality: MG, keep: 10y}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: mg-1, site: MAIN, kind: modality, modality: MG}
        retention:
          - {name: ca-mammography, jurisdiction: US-CA, modality: MG, keep: 10y, lossless: true}
    """

    code = "RET004"
    name = "mammography-retention-not-lossless"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        retention = retention_of(index)
        mg_in: set[str] = set()
        for jurisdiction, modalities in retention.in_use.items():
            if MAMMOGRAPHY in modalities and is_us(jurisdiction):  # MQSA: US facilities
                mg_in.update((jurisdiction, country_of(jurisdiction)))
        if not mg_in:
            return
        for policy in index.env.retention:
            if MAMMOGRAPHY not in policy.modality or policy.lossless:
                continue
            if policy.jurisdiction not in mg_in:
                continue
            yield self.finding(
                f"retention policy '{policy.name}' keeps mammography in {policy.jurisdiction} "
                "without requiring a lossless copy: set lossless: true (MQSA, 21 CFR "
                "900.12(c)(4)(i), and the FDA MQSA Policy Guidance: original or lossless "
                "only)",
                policy_where(index, policy, "lossless"),
                entity=identity.entity("retention", policy.name),
            )


class PediatricWithoutMajorityRule(Rule):
    """Pediatric studies are kept for a fixed term, not until the age of majority.

    What:
        In a jurisdiction in use, for a modality in use there, the policies that apply to
        pediatric patients have no `keep_until_age`, and none keeps studies at least
        `long_enough` (a term that long outlasts majority plus the usual years after it).
        One finding per jurisdiction, listing the modalities.
    Why:
        State laws keep minors' records until the age of majority plus some years ("until
        age of majority + 7 years for pediatric", practice guide, Step 4, "Retention
        compliance"). A fixed term counted from the exam ends, for a young child, long
        before the patient could act on the record: an X-ray of a 2-year-old kept 7 years
        is gone at 9.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: dx-1, site: MAIN, kind: modality, modality: DX}
        retention:
          - {name: ca-all, jurisdiction: US-CA, keep: 7y}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: dx-1, site: MAIN, kind: modality, modality: DX}
        retention:
          - {name: ca-adult, jurisdiction: US-CA, patient_category: adult, keep: 7y}
          - {name: ca-pediatric, jurisdiction: US-CA, patient_category: pediatric, keep_until_age: 18, plus: 1y, keep: 7y}
    Options:
        long_enough: a fixed term at least this long needs no keep_until_age (default 25y:
            majority at 18 + 7 years, for a study taken at birth).
    """

    code = "RET005"
    name = "pediatric-without-majority-rule"
    severity = Severity.WARNING
    options = {"long_enough": duration_option("25y", "1y", "200y")}

    def check(self, index: Index) -> Iterator[Finding]:
        retention = retention_of(index)
        long_enough = parse_duration(self.settings["long_enough"])
        for jurisdiction, modalities in retention.in_use.items():
            fixed: list[str] = []
            first: RetentionPolicy | None = None
            for modality in modalities:
                applicable = retention.applicable(jurisdiction, [modality], "pediatric")
                if not applicable:
                    continue  # a gap: RET001
                if any(p.keep_until_age is not None for p, _ in applicable):
                    continue
                if any(not period < long_enough for _, period in applicable):
                    continue
                fixed.append(modality)
                if first is None:
                    first = min(
                        (p for p, _ in applicable), key=lambda p: p.patient_category != "pediatric"
                    )
            if not fixed or first is None:
                continue
            yield self.finding(
                f"pediatric {', '.join(fixed)} studies in {jurisdiction} are kept for a fixed "
                f"term only (policy '{first.name}': {first.keep}), which can end before the "
                "patient reaches majority: add a pediatric policy with keep_until_age (the "
                "age of majority) and plus",
                policy_where(index, first, "keep"),
                entity=identity.entity("retention", f"{jurisdiction}:pediatric"),
            )
