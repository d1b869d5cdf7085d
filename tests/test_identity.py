"""A finding's identity (code, file relative to the root, entity, detail) names one fault:
no two findings share it, and it moves only when the fault does, not with the date the
check runs on or with lines added above.

Run over the seeded-faults example, the regional example with more faults planted (several
findings of one rule about one entity, references written in the wrong namespace), and
every rule's Bad example.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from imgpolicy import identity
from imgpolicy.config import Config
from imgpolicy.engine import check
from imgpolicy.rules.registry import all_rules

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TODAY = date(2026, 11, 28)
A_YEAR_LATER = date(2027, 11, 28)
DATED = {"DR004", "AI007", "TEL002", "SEC004"}
"""Rules whose findings may appear or disappear when the date moves (DR test age, AI
performance review age, teleradiology credentialing)."""

PLANTED = [
    # (file, text, replacement): every occurrence is replaced
    ("devices/ric-modalities.yaml", ", ImplicitVRLittleEndian]", "]"),
    ("devices/tmch-modalities.yaml", ", ImplicitVRLittleEndian]", "]"),
    ("devices/core-systems.yaml", ", ImplicitVRLittleEndian]", "]"),
    ("dose.yaml", ', edition: "2026-03"}', "}"),
    ("dose.yaml", "monitor: DOSE_SPMC", "monitor: dose-spmc"),
    ("continuity.yaml", "last_tested: 2026-04-18", "last_tested: 2020-04-18"),
    ("continuity.yaml", "system: router-spmc", "system: ROUTER_SPMC"),
    (
        "reading.yaml",
        "{priority: stat, modality: [CT, MR], target: 30m}",
        "{priority: stat, modality: [CT, MR], target: 48h}",
    ),
    ("routes.yaml", "to: PACS_SPMC", "to: pacs-spmc"),
    ("ai.yaml", "runs_on: AI_CXR_SPMC", "runs_on: AI_CXR"),
    ("integrations.yaml", "target: pacs-spmc", "target: PACS_SPMC"),
    ("storage.yaml", "capacity: 1.2PB", "capacity: 500TB"),
    ("retention.yaml", "keep: 10y", "keep: 5y"),
]
PLANTED_CODES = {"CF001", "DOSE003", "DOSE004", "DR004", "DR006", "TAT001", "RT001", "AI004"}
"""Codes the planted faults must produce (proof that they are planted)."""


def _planted(root: Path) -> Path:
    shutil.copytree(EXAMPLES / "regional-health", root)
    for name, text, replacement in PLANTED:
        path = root / name
        content = path.read_text(encoding="utf-8")
        assert text in content, f"{name} no longer contains {text!r}: update PLANTED"
        path.write_text(content.replace(text, replacement), encoding="utf-8")
    return root


def _identities(root: Path, today: date) -> Counter:
    result = check([str(root)], Config(), today=today)
    assert not result.load.unusable
    return Counter(identity.key(f, [str(root)]) for f in result.active)


def _environments(tmp_path_factory) -> dict[str, Path]:
    envs = {"seeded-faults": EXAMPLES / "seeded-faults"}
    envs["planted"] = _planted(tmp_path_factory.mktemp("planted") / "env")
    for code, rule in all_rules().items():
        folder = tmp_path_factory.mktemp(f"bad-{code}")
        (folder / "env.yaml").write_text(rule.example("Bad"), encoding="utf-8")
        envs[f"{code}-bad"] = folder
    return envs


@pytest.fixture(scope="module")
def environments(tmp_path_factory) -> dict[str, Path]:
    return _environments(tmp_path_factory)


def test_planted_faults_are_found(environments):
    found = {key[0] for key in _identities(environments["planted"], TODAY)}
    assert found >= PLANTED_CODES, f"missing: {PLANTED_CODES - found}"


def test_no_two_findings_share_an_identity(environments):
    for name, root in environments.items():
        counts = _identities(root, TODAY)
        shared = {key: n for key, n in counts.items() if n > 1}
        assert not shared, f"{name}: findings share (code, path, entity, detail): {shared}"


def test_identities_do_not_move_with_the_date(environments):
    for name, root in environments.items():
        now, later = _identities(root, TODAY), _identities(root, A_YEAR_LATER)
        moved = {k for k in (set(now) ^ set(later)) if k[0] not in DATED}
        assert not moved, f"{name}: identities moved with --today: {sorted(moved)}"


def test_identities_survive_lines_added_at_the_top(environments, tmp_path):
    for name in ("seeded-faults", "planted", "RT001-bad", "DR004-bad"):
        root = tmp_path / name
        shutil.copytree(environments[name], root)
        before = _identities(root, TODAY)
        for path in root.rglob("*.yaml"):
            text = path.read_text(encoding="utf-8")
            path.write_text("# added\n\n# by a colleague\n\n\n" + text, encoding="utf-8")
        after = _identities(root, TODAY)
        assert before == after, f"{name}: {set(before) ^ set(after)}"


def test_a_dated_finding_keeps_its_identity_while_its_message_changes(environments):
    root = environments["planted"]
    [now, later] = (
        [f for f in check([str(root)], Config(), today=day).active if f.code == "DR004"]
        for day in (TODAY, A_YEAR_LATER)
    )
    stale_then = {identity.key(f, [str(root)]): f.message for f in now}
    stale_later = {identity.key(f, [str(root)]): f.message for f in later}
    common = set(stale_then) & set(stale_later)
    assert common, "a plan tested in 2020 is stale on both dates"
    assert all(stale_then[k] != stale_later[k] for k in common)  # the day count moved


def test_entities_are_built_by_the_identity_module():
    """No rule module spells an entity key by hand."""
    rules = Path(__file__).resolve().parents[1] / "imgpolicy" / "rules"
    for path in rules.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for spelt in ('f"ae:', 'f"route:', 'f"device:', 'f"site:', 'entity=f"', 'entity="'):
            assert spelt not in text, f"{path.name} builds an entity by hand: {spelt}"


def test_schema_findings_have_identities_of_their_own(tmp_path):
    """Two missing keys in one file are two findings, told apart by where they are in the
    data, not by their line."""
    from imgpolicy import identity
    from imgpolicy.config import Config
    from imgpolicy.engine import check

    (tmp_path / "a.yaml").write_text(
        "imgpolicy: 1\ndevices:\n  - {name: a, kind: pacs}\n  - {name: b, kind: pacs}\n",
        encoding="utf-8",
    )
    found = check([str(tmp_path)], Config()).findings
    assert [f.code for f in found] == ["SCHEMA002", "SCHEMA002"]
    assert [f.entity for f in found] == ["schema:devices[0].site", "schema:devices[1].site"]
    keys = {identity.key(f, [str(tmp_path)]) for f in found}
    assert len(keys) == 2
