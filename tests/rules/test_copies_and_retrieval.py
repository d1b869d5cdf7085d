"""Copies and retrieval (issue 11, slice 4): routing loops judged per item, prior retrieval
wiring (RT010), storage commitment before local deletion (RT011), cache eviction (RET002),
replica and cache tiers (ST001), and the `imgpolicy init` starter.

Each test starts from a normal-practice case of tests/corpus/normal-practice/ (which must
check clean on its own) and breaks one thing a PACS team really gets wrong.
"""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from imgpolicy.analysis.capacity import project
from imgpolicy.config import Config
from imgpolicy.engine import check
from imgpolicy.model.storage import LifecycleStep, Tier

TODAY = date(2026, 11, 28)
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "normal-practice"
SYNC = (CORPUS / "bidirectional-sync-by-calling-ae" / "environment.yaml").read_text("utf-8")
CACHE = (CORPUS / "pacs-cache-evicts-after-vna-commit" / "environment.yaml").read_text("utf-8")
PREFETCH = (CORPUS / "prefetch-c-move-wired" / "environment.yaml").read_text("utf-8")
STARTER = (
    Path(__file__).resolve().parents[2] / "imgpolicy" / "data" / "starter" / "environment.yaml"
).read_text("utf-8")


def changed(text: str, old: str, new: str, count: int = 1) -> str:
    """`text` with `old` replaced; fails loudly when the case no longer contains `old`."""
    assert text.count(old) >= count, old
    return text.replace(old, new, count)


def run(write_env, text: str, *select: str):
    root = write_env({"environment.yaml": text})
    result = check([str(root)], Config(select=list(select)), today=TODAY)
    assert result.load.findings == [], [f.message for f in result.load.findings]
    return result.active


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --- RT008: a loop only where an item can travel all the way round ------------------------


def test_sync_restricted_by_calling_ae_is_no_loop(write_env):
    assert run(write_env, SYNC, "RT008") == []


def test_one_restricted_direction_is_enough(write_env):
    """Only MR_SOUTH's studies go north: MR_NORTH's come back but are not sent again."""
    one_way = changed(SYNC, "match: {calling_ae: MR_SOUTH}}", "}")
    assert run(write_env, one_way, "RT008") == []


def test_sync_of_everything_both_ways_is_a_loop(write_env):
    both = changed(
        changed(SYNC, "purpose: reading, match: {calling_ae: MR_NORTH}}", "purpose: reading}"),
        "purpose: reading, match: {calling_ae: MR_SOUTH}}",
        "purpose: reading}",
    )
    [loop] = run(write_env, both, "RT008")
    assert "PACS_NORTH -> PACS_SOUTH -> PACS_NORTH (north-to-south, south-to-north)" in (
        loop.message
    )
    assert "MR MRImageStorage can travel round it" in loop.message
    assert loop.location.line == line_of(both, "name: north-to-south")
    assert [r.location.line for r in loop.related] == [line_of(both, "name: south-to-north")]
    assert loop.entity == "loop:PACS_NORTH,PACS_SOUTH"


def test_a_calling_ae_filter_that_names_the_loop_itself_still_loops(write_env):
    """Restricting to the partner PACS's own title lets its forwards come back round."""
    echo = changed(
        SYNC, "match: {calling_ae: MR_NORTH}}", "match: {calling_ae: [MR_NORTH, PACS_SOUTH]}}"
    )
    echo = changed(
        echo, "match: {calling_ae: MR_SOUTH}}", "match: {calling_ae: [MR_SOUTH, PACS_NORTH]}}"
    )
    [loop] = run(write_env, echo, "RT008")
    assert "PACS_NORTH -> PACS_SOUTH" in loop.message


# --- RT010: prefetch wiring --------------------------------------------------------------


def test_prefetch_wired_with_c_move_is_clean(write_env):
    assert run(write_env, PREFETCH, "RT010", "AE010", "AE011") == []


def test_prefetch_from_an_archive_that_is_no_query_retrieve_scp(write_env):
    no_qr = changed(
        PREFETCH,
        "          - sop_classes: [StudyRootQueryRetrieveInformationModelFind, "
        "StudyRootQueryRetrieveInformationModelMove]\n            role: SCP\n",
        "          - sop_classes: [StudyRootQueryRetrieveInformationModelFind]\n"
        "            role: SCP\n",
    )
    [finding] = run(write_env, no_qr, "RT010")
    assert finding.location.line == line_of(no_qr, "method: c-move")
    assert "VNA is no Query/Retrieve SCP for MOVE" in finding.message
    assert finding.severity.label == "warning"


def test_prefetch_to_a_pacs_missing_from_the_move_destination_table(write_env):
    table = changed(PREFETCH, "move_destinations: [PACS]", "move_destinations: [PACS_OLD]")
    [finding] = run(write_env, table, "RT010")
    assert "PACS is not in VNA's move_destinations" in finding.message
    assert finding.related[0].location.line == line_of(table, "move_destinations")


def test_prefetch_trigger_names_no_integration(write_env):
    typo = changed(PREFETCH, "trigger: orders-to-vna", "trigger: orders-to-vnaa")
    [finding] = run(write_env, typo, "RT010")
    assert "did you mean 'orders-to-vna'" in finding.message
    assert finding.location.line == line_of(typo, "trigger: orders-to-vnaa")


def test_c_get_needs_a_get_scp_and_a_get_scu(write_env):
    c_get = changed(PREFETCH, "method: c-move", "method: c-get")
    found = run(write_env, c_get, "RT010")
    assert {f.detail for f in found} == {"source not Q/R SCP", "destination not GET SCU"}
    wired = changed(
        changed(
            c_get,
            "StudyRootQueryRetrieveInformationModelFind, StudyRootQueryRetrieveInformationModelMove]\n"
            "            role: SCP",
            "StudyRootQueryRetrieveInformationModelFind, StudyRootQueryRetrieveInformationModelGet]\n"
            "            role: SCP",
        ),
        "StudyRootQueryRetrieveInformationModelFind, StudyRootQueryRetrieveInformationModelMove]\n"
        "            role: SCU",
        "StudyRootQueryRetrieveInformationModelFind, StudyRootQueryRetrieveInformationModelGet]\n"
        "            role: SCU",
    )
    assert run(write_env, wired, "RT010") == []
    with_peers = changed(wired, "        move_destinations: [PACS]\n", "        peers: [MR_1]\n")
    [finding] = run(write_env, with_peers, "RT010")
    assert "PACS is not in VNA's peers" in finding.message


def test_wado_rs_prefetch_needs_a_dicomweb_integration(write_env):
    wado = changed(PREFETCH, "method: c-move", "method: wado-rs")
    [finding] = run(write_env, wado, "RT010")
    assert "no dicomweb integration with WADO-RS joins them" in finding.message
    joined = changed(
        wado,
        "integrations:\n",
        "integrations:\n  - {name: pacs-wado, kind: dicomweb, source: pacs, target: vna, "
        'endpoint: "https://vna.example.org/dicom-web", services: [QIDO-RS, WADO-RS]}\n',
    )
    assert run(write_env, joined, "RT010") == []


def test_the_c_move_source_must_initiate(write_env):
    passive = changed(
        PREFETCH,
        "        move_destinations: [PACS]\n",
        "        move_destinations: [PACS]\n        initiator: false\n",
    )
    [finding] = run(write_env, passive, "AE011")
    assert "route 'priors' moves studies from it (C-MOVE)" in finding.message


# --- RT011: storage commitment before deletion -----------------------------------------


def test_committed_deletion_is_clean(write_env):
    assert run(write_env, CACHE, "RT011") == []


def test_deleting_without_a_committed_route(write_env):
    uncommitted = changed(CACHE, "purpose: reading, commitment: true}", "purpose: reading}")
    [finding] = run(write_env, uncommitted, "RT011")
    assert finding.location.line == line_of(uncommitted, "local_deletion:")
    assert "mr-1 deletes sent studies after 2d" in finding.message
    assert "'mr-to-pacs'" in finding.message
    assert finding.related[0].location.line == line_of(uncommitted, "name: mr-to-pacs")


def test_commitment_that_an_end_cannot_give(write_env):
    no_scp = changed(
        CACHE,
        "          - &commit-scp\n            sop_class: StorageCommitmentPushModel\n            role: SCP\n",
        "          - &commit-scp\n            sop_class: StorageCommitmentPushModel\n            role: SCU\n",
    )
    found = run(write_env, no_scp, "RT011")
    # neither the PACS (for the modality's route) nor the VNA (for the PACS's) can commit
    assert sorted(f.entity for f in found) == ["route:mr-to-pacs", "route:pacs-to-vna"]
    assert all("is not StorageCommitmentPushModel SCP" in f.message for f in found)


def test_quick_deletion_without_asking_for_commitment(write_env):
    quick = changed(
        CACHE, "{after: 2d, requires_commitment: true}", "{after: 4h, requires_commitment: false}"
    )
    [finding] = run(write_env, quick, "RT011")
    assert "after 4h without waiting for storage commitment" in finding.message
    patient = changed(
        CACHE, "{after: 2d, requires_commitment: true}", "{after: 3d, requires_commitment: false}"
    )
    assert run(write_env, patient, "RT011") == []


# --- RET002 and ST002/ST003: eviction is no purge --------------------------------------


def test_eviction_is_no_purge_but_a_purge_is_checked(write_env):
    assert run(write_env, CACHE, "RET002", "ST002", "ST003") == []
    purged = changed(
        CACHE, "{after: 2y, action: evict, kept_on: vna-hot}", "{after: 2y, action: purge}"
    )
    [finding] = run(write_env, purged, "RET002")
    assert "lifecycle 'pacs-cache' purges after 2y" in finding.message


def test_evicted_studies_are_checked_through_the_tier_that_keeps_them(write_env):
    """The VNA keeps MR only 5 years: the cache's studies, evicted to it, are lost early."""
    early = changed(CACHE, "{after: 25y, action: purge}", "{after: 5y, action: purge}")
    early = changed(
        early,
        "    - {site: MAIN, modality: MR, tier: vna-hot, annual_studies: 15000, "
        "mean_study_size: 400MB, annual_growth: 5%}\n",
        "",
    )
    [finding] = run(write_env, early, "RET002")
    assert "lifecycle 'vna-keep' purges after 5y" in finding.message


def test_evict_needs_a_known_kept_on_tier(write_env):
    typo = changed(CACHE, "kept_on: vna-hot}", "kept_on: vna-hto}")
    [finding] = run(write_env, typo, "ST003")
    assert "evicts studies kept on tier 'vna-hto'" in finding.message
    assert "did you mean 'vna-hot'" in finding.message


def test_evict_step_model_rules():
    with pytest.raises(ValueError, match="needs 'kept_on"):
        LifecycleStep.model_validate({"after": "2y", "action": "evict"})
    with pytest.raises(ValueError, match="'kept_on' goes with an 'evict'"):
        LifecycleStep.model_validate({"after": "2y", "action": "purge", "kept_on": "x"})
    with pytest.raises(ValueError, match="has no 'to'"):
        LifecycleStep.model_validate({"after": "2y", "action": "evict", "kept_on": "x", "to": "y"})


# --- ST001: replicas, caches, high-water mark -------------------------------------------


def test_a_cache_at_97_percent_is_over_its_high_water_mark(write_env):
    # no volume lands on the cache: it was never projected, yet it is 97 % full today
    full = changed(CACHE, "capacity: 60TB, used: 20TB", "capacity: 60TB, used: 58.2TB")
    full = changed(
        full,
        "    - {site: MAIN, modality: MR, tier: pacs-cache, annual_studies: 15000, "
        "mean_study_size: 400MB, annual_growth: 5%}\n",
        "",
    )
    [finding] = run(write_env, full, "ST001")
    assert "'pacs-cache' (60TB on pacs) is over its 85% high-water mark already" in finding.message
    declared = changed(full, "role: cache}", "role: cache, high_water: 99%}")
    assert run(write_env, declared, "ST001") == []


def test_a_replica_grows_with_the_tier_it_copies(write_env):
    replica = changed(
        CACHE,
        "    - {name: vna-hot, device: vna, tier: hot, capacity: 300TB, used: 60TB}\n",
        "    - {name: vna-hot, device: vna, tier: hot, capacity: 300TB, used: 60TB}\n"
        "    - {name: vna-dr-copy, device: vna, tier: archive, capacity: 80TB, role: replica, replica_of: vna-hot}\n",
    )
    [finding] = run(write_env, replica, "ST001")
    assert finding.entity == "tier:vna-dr-copy"
    assert "of the tier it replicates (vna-hot)" in finding.message
    roomy = changed(replica, "capacity: 80TB, role: replica", "capacity: 300TB, role: replica")
    assert run(write_env, roomy, "ST001") == []
    unknown = changed(replica, "replica_of: vna-hot}", "replica_of: vna-hott}")
    [finding] = run(write_env, unknown, "ST003")
    assert "replicates tier 'vna-hott'" in finding.message


def test_replica_projection_follows_the_source_and_ends_on_cycles():
    def tier(name, **extra):
        return Tier.model_validate(
            {"name": name, "device": "d", "tier": "hot", "capacity": "100TB", **extra}
        )

    source = tier("a", used="50TB")
    copy = tier("b", role="replica", replica_of="a")
    loop1, loop2 = tier("c", replica_of="d"), tier("d", replica_of="c")
    projected = project([source, copy, loop1, loop2], [], [], 2)
    assert projected["b"].start == projected["a"].start == 50e12
    assert projected["b"].held == projected["a"].held
    assert projected["c"].start == 0 and projected["c"].high_water_at is None


# --- the `imgpolicy init` starter teaches the good patterns -------------------------------


def test_the_starter_is_clean_and_each_pattern_is_load_bearing(write_env):
    assert run(write_env, STARTER) == []
    # the archive of record's full copy
    no_copy = changed(
        STARTER,
        "    replication: {target_site: DR, scope: full}",
        "    replication: {target_site: DR, window: 30d}",
    )
    no_copy = changed(
        no_copy,
        "    backups:\n      - {to_site: DR, every: 1d, immutable: true}  # survives ransomware\n",
        "",
    )
    assert {f.code for f in run(write_env, no_copy)} == {"DR007"}
    # the VNA answers the prior query and retrieve, and opens the association
    passive = changed(
        STARTER,
        "        initiator: true            # a C-MOVE SCP",
        "        initiator: false            # a C-MOVE SCP",
    )
    assert {f.code for f in run(write_env, passive)} == {"AE011"}
    # the CT deletes only committed studies
    uncommitted = changed(
        STARTER,
        "    commitment: true            # the CT deletes",
        "    commitment: false            # the CT deletes",
    )
    assert {f.code for f in run(write_env, uncommitted)} == {"RT011"}
    # the PACS cache evicts, it does not purge
    purge = changed(
        STARTER, "{after: 2y, action: evict, kept_on: vna-hot}", "{after: 2y, action: purge}"
    )
    assert {f.code for f in run(write_env, purge)} == {"RET002"}


def test_init_writes_the_starter_that_checks_clean(tmp_path):
    target = tmp_path / "env"
    subprocess.run(["imgpolicy", "init", str(target)], check=True, capture_output=True, timeout=120)
    proc = subprocess.run(
        ["imgpolicy", "check", str(target)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No problems found" in proc.stdout
