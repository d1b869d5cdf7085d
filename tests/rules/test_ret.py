"""Retention rules on a realistic multi-file environment, with file:line asserted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from imgpolicy.analysis.retention import requirement
from imgpolicy.config import Config
from imgpolicy.engine import check
from imgpolicy.model.types import parse_duration

TODAY = date(2026, 11, 28)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "regional-health"

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
  - {name: RENO, jurisdiction: US-NV, region: us-west}
  - {name: DR, jurisdiction: US-AZ, region: us-south}
"""

DEVICES = """\
imgpolicy: 1
devices:
  - {name: ct-main, site: MAIN, kind: modality, modality: CT}
  - {name: mg-main, site: MAIN, kind: modality, modality: MG}
  - {name: petct-reno, site: RENO, kind: modality, modality: [PT, CT]}
  - {name: ct-reno-2, site: RENO, kind: modality, modality: CT}
  - {name: vna, site: MAIN, kind: vna}
  - {name: vna-dr, site: DR, kind: vna}
"""

RETENTION = """\
imgpolicy: 1
retention:
  - {name: ca-adult, jurisdiction: US-CA, patient_category: adult, keep: 7y}
  - {name: ca-pediatric, jurisdiction: US-CA, patient_category: pediatric, keep_until_age: 18, plus: 1y, keep: 7y}
  - {name: us-mammography, jurisdiction: US, modality: MG, keep: 10y, lossless: true}
  - {name: nv-adult, jurisdiction: US-NV, patient_category: adult, keep: 5y}
  - {name: nv-pediatric, jurisdiction: US-NV, patient_category: pediatric, keep_until_age: 18, plus: 5y}
"""

STORAGE = """\
imgpolicy: 1
storage:
  tiers:
    - {name: vna-hot, device: vna, tier: hot, capacity: 10PB}
    - {name: vna-cold, device: vna, tier: cold, capacity: 10PB}
  lifecycle:
    - name: vna-default
      tier: vna-hot
      steps:
        - {after: 5y, action: move, to: vna-cold}
    - name: cold-ilm
      tier: vna-cold
      steps:
        - {after: 25y, action: purge}
  volumes:
    - {site: MAIN, modality: CT, tier: vna-hot, annual_studies: 30000, mean_study_size: 300MB, annual_growth: 5%}
    - {site: RENO, modality: [PT, CT], tier: vna-hot, annual_studies: 2000, mean_study_size: 1GB, annual_growth: 5%}
"""


def run(write_env, *select, retention=RETENTION, storage=STORAGE, devices=DEVICES, rules=None):
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/all.yaml": devices,
            "policy/retention.yaml": retention,
            "storage.yaml": storage,
        }
    )
    result = check([str(root)], Config(select=list(select), rules=rules or {}), today=TODAY)
    assert result.load.findings == []
    return [
        (f.code, f.location.path.rsplit("/", 1)[-1], f.location.line, f.message)
        for f in result.active
    ]


def where(found):
    return [(c, f, line) for c, f, line, _ in found]


def test_the_environment_is_compliant(write_env):
    assert run(write_env, "RET") == []


def test_requirement_of_a_pediatric_policy_is_counted_from_birth():
    from imgpolicy.model.retention import RetentionPolicy

    policy = RetentionPolicy.model_validate(
        {
            "name": "p",
            "jurisdiction": "US-NV",
            "patient_category": "pediatric",
            "keep_until_age": 18,
            "plus": "5y",
            "keep": "5y",
        }
    )
    assert round(requirement(policy, "pediatric").years, 6) == 23
    assert requirement(policy, "adult") is None
    long_keep = policy.model_copy(update={"keep": parse_duration("30y")})
    assert requirement(long_keep, "pediatric").text == "30y"


def test_a_gap_is_reported_once_per_jurisdiction_and_modality(write_env):
    retention = RETENTION.replace(
        "  - {name: nv-pediatric, jurisdiction: US-NV, patient_category: pediatric, "
        "keep_until_age: 18, plus: 5y}\n",
        "",
    )
    found = run(write_env, "RET001", retention=retention)
    # PT and CT both come in with the PET/CT (line 5); ct-reno-2 adds nothing new
    assert where(found) == [("RET001", "all.yaml", 5), ("RET001", "all.yaml", 5)]
    assert [m.split(" studies")[0] for *_, m in found] == [
        "no retention policy covers CT",
        "no retention policy covers PT",
    ]
    assert "of pediatric patients in US-NV (petct-reno at RENO)" in found[1][3]
    assert "jurisdiction US-NV (or US) with patient_category pediatric" in found[1][3]


def test_a_country_policy_and_modality_lists_fill_gaps(write_env):
    retention = RETENTION + (
        "  - {name: us-minors, jurisdiction: US, patient_category: all, "
        "modality: [PT], keep: 21y}\n"
    )
    retention = retention.replace(
        "  - {name: nv-pediatric, jurisdiction: US-NV, patient_category: pediatric, "
        "keep_until_age: 18, plus: 5y}\n",
        "",
    )
    found = run(write_env, "RET001", retention=retention)
    assert [m.split(" studies")[0] for *_, m in found] == ["no retention policy covers CT"]


def test_a_purge_reached_through_the_tier_chain(write_env):
    storage = STORAGE.replace("after: 25y", "after: 20y")
    found = run(write_env, "RET002", storage=storage)
    assert where(found) == [("RET002", "storage.yaml", 14)]
    message = found[0][3]
    assert "lifecycle 'cold-ilm' purges after 20y" in message
    assert (
        "'nv-pediatric' (US-NV, pediatric) requires until age 18 + 5y (23y for a study "
        "taken at birth) for PT+CT studies of RENO" in message
    )
    root = write_env({})  # the same folder, as written above
    [finding] = check([str(root)], Config(select=["RET002"]), today=TODAY).active
    assert finding.related[0].location.path.endswith("retention.yaml")
    assert finding.related[0].location.line == 7


def test_only_the_jurisdictions_whose_volumes_reach_the_purge_count(write_env):
    # without the RENO volume only California (19y for a newborn) applies
    storage = STORAGE.replace("after: 25y", "after: 20y").replace(
        "    - {site: RENO, modality: [PT, CT], tier: vna-hot, annual_studies: 2000, "
        "mean_study_size: 1GB, annual_growth: 5%}\n",
        "",
    )
    assert run(write_env, "RET002", storage=storage) == []


def test_a_purge_no_volume_reaches_uses_every_site_or_its_filters(write_env):
    storage = STORAGE.replace("after: 25y", "after: 20y").split("  volumes:")[0]
    found = run(write_env, "RET002", storage=storage)
    assert "requires until age 18 + 5y" in found[0][3] and "for studies of RENO" in found[0][3]
    # a lifecycle for mammography at MAIN only: MG policies and California's
    storage = STORAGE.split("  volumes:")[0] + (
        "    - name: mammo\n      tier: vna-cold\n      modality: MG\n      site: MAIN\n"
        "      steps:\n        - {after: 8y, action: purge}\n"
    )
    found = run(write_env, "RET002", storage=storage)
    assert where(found) == [("RET002", "storage.yaml", 20)]
    assert "'ca-pediatric' (US-CA, pediatric) requires until age 18 + 1y" in found[0][3]
    assert "for MG studies of MAIN" in found[0][3]


def test_mammography_below_mqsa(write_env):
    retention = RETENTION.replace("modality: MG, keep: 10y", "modality: MG, keep: 7y")
    found = run(write_env, "RET003", retention=retention)
    assert where(found) == [("RET003", "retention.yaml", 5)]
    message = found[0][3]
    assert message.startswith("mammography in US-CA is kept less than the MQSA minimum of 10y")
    assert "adult: 7y by policy 'us-mammography'" in message  # on a tie, the MG policy
    assert "pediatric:" not in message  # 19y for a newborn (ca-pediatric)


def test_mammography_without_any_policy_is_reported_at_the_device(write_env):
    retention = "imgpolicy: 1\nretention: []\n"
    found = run(write_env, "RET003", retention=retention)
    assert where(found) == [("RET003", "all.yaml", 4)]
    assert "adult: no policy applies; pediatric: no policy applies" in found[0][3]


def test_mqsa_minimum_option_and_no_suppression(write_env):
    found = run(write_env, "RET003", rules={"RET003": {"minimum": parse_duration("12y")}})
    assert len(found) == 1 and "MQSA minimum of 12y" in found[0][3]
    assert run(write_env, "RET003", rules={"RET003": {"minimum": parse_duration("5y")}}) == []
    retention = RETENTION.replace(
        "modality: MG, keep: 10y, lossless: true}",
        'modality: MG, keep: 7y, lossless: true}  # imgpolicy: ignore[RET003] reason="we know"',
    )
    found = run(write_env, "RET003", retention=retention)
    # the finding stays; the comment trying to hide it is reported
    assert where(found) == [("RET003", "retention.yaml", 5), ("SUP003", "retention.yaml", 5)]


def test_mammography_policy_without_lossless(write_env):
    retention = RETENTION.replace(", lossless: true", "") + (
        "  - {name: az-mammography, jurisdiction: US-AZ, modality: MG, keep: 10y}\n"
        "  - {name: ca-mammo-extra, jurisdiction: US-CA, modality: [MG, CR], keep: 12y, "
        "lossless: false}\n"
    )
    found = run(write_env, "RET004", retention=retention)
    # Arizona has no mammography device: no finding there
    assert where(found) == [("RET004", "retention.yaml", 5), ("RET004", "retention.yaml", 9)]
    assert "'us-mammography' keeps mammography in US without requiring a lossless" in found[0][3]


def test_pediatric_fixed_term(write_env):
    retention = RETENTION.replace("keep_until_age: 18, plus: 5y}", "keep: 10y}")
    found = run(write_env, "RET005", retention=retention)
    assert where(found) == [("RET005", "retention.yaml", 7)]
    assert found[0][3].startswith(
        "pediatric PT, CT studies in US-NV are kept for a fixed term "
        "only (policy 'nv-pediatric': 10y)"
    )
    options = {"RET005": {"long_enough": parse_duration("10y")}}
    assert run(write_env, "RET005", retention=retention, rules=options) == []


def test_a_long_fixed_term_is_enough(write_env):
    retention = RETENTION.replace("keep_until_age: 18, plus: 5y}", "keep: 30y}")
    assert run(write_env, "RET005", retention=retention) == []


def test_unknown_sites_and_empty_environments_crash_nothing(write_env):
    devices = DEVICES + "  - {name: us-x, site: NOWHERE, kind: modality, modality: US}\n"
    storage = STORAGE.replace("{site: MAIN, modality: CT", "{site: ELSEWHERE, modality: CT")
    assert run(write_env, "RET", devices=devices, storage=storage) == []


def test_an_environment_without_retention_or_devices(tmp_path):
    (tmp_path / "env.yaml").write_text("imgpolicy: 1\n", encoding="utf-8")
    assert check([str(tmp_path)], Config(select=["RET"]), today=TODAY).active == []


def test_the_regional_example_is_clean():
    assert check([str(EXAMPLE)], Config(select=["RET"]), today=TODAY).active == []
