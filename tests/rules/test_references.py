"""References that do not resolve: each is reported once, by the rule of the reference,
with a hint that points at the cause (the device named where its AE title belongs, the
AE title where a device name belongs, a case variant, a near miss); what only follows
from it (an orphan AE, a modality without worklist, studies that never reach the archive
or the AI host, a critical system without a plan) is not reported a second time.

Each case plants one wrong reference in the regional example, which is otherwise clean,
and expects exactly one finding.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from imgpolicy.config import Config
from imgpolicy.engine import check

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "regional-health"
TODAY = date(2026, 11, 28)

CASES = {
    # kind: (file, text, replacement (first occurrence), code, words of the hint)
    "route from, a device name": (
        "routes.yaml",
        "from: CT_SPMC_3,",
        "from: ct-spmc-3,",
        "RT001",
        "'ct-spmc-3' is a device; its AE title is CT_SPMC_3",
    ),
    "route to, a device name": (
        "routes.yaml",
        "to: AI_CT_SPMC",
        "to: ai-spmc",
        "RT001",
        "'ai-spmc' is a device; name one of its AE titles (AI_CT_SPMC, AI_CXR_SPMC)",
    ),
    "route to, a typo": (
        "routes.yaml",
        "to: AI_CT_SPMC",
        "to: AI_CT_SPCM",
        "RT001",
        "(did you mean 'AI_CT_SPMC'?)",
    ),
    "worklist provider, a device name": (
        "worklist.yaml",
        "provider: RIS_SPMC",
        "provider: ris-spmc",
        "WL003",
        "'ris-spmc' is a device; its AE title is RIS_SPMC",
    ),
    "worklist consumer, another case": (
        "worklist.yaml",
        "CT_SPMC_3,",
        "ct_spmc_3,",
        "WL004",
        "(did you mean 'CT_SPMC_3'? AE titles are compared exactly",
    ),
    "MPPS destination, a device name": (
        "worklist.yaml",
        "mpps_destination: RIS_SPMC",
        "mpps_destination: ris-spmc",
        "WL003",
        "'ris-spmc' is a device; its AE title is RIS_SPMC",
    ),
    "dose monitor, a device name": (
        "dose.yaml",
        "monitor: DOSE_SPMC",
        "monitor: dose-spmc",
        "DOSE003",
        "'dose-spmc' is a device; its AE title is DOSE_SPMC",
    ),
    "AI host, a typo": (
        "ai.yaml",
        "runs_on: AI_CXR_SPMC",
        "runs_on: AI_CXR_SMPC",
        "AI004",
        "(did you mean 'AI_CXR_SPMC'?)",
    ),
    "AI results, a device name": (
        "ai.yaml",
        "{object: SC, to: PACS_SPMC}",
        "{object: SC, to: pacs-spmc}",
        "AI003",
        "'pacs-spmc' is a device; its AE title is PACS_SPMC",
    ),
    "storage tier device, an AE title": (
        "storage.yaml",
        "device: pacs-spmc",
        "device: PACS_SPMC",
        "ST003",
        "'PACS_SPMC' is an AE title; its device is pacs-spmc",
    ),
    "continuity system, an AE title": (
        "continuity.yaml",
        "system: router-spmc",
        "system: ROUTER_SPMC",
        "DR006",
        "'ROUTER_SPMC' is an AE title; its device is router-spmc",
    ),
    "continuity fallback, a typo": (
        "continuity.yaml",
        "read_only_fallback: viewer-dr",
        "read_only_fallback: viewer-d",
        "DR005",
        "(did you mean 'viewer-dr'?)",
    ),
    "integration target, an AE title": (
        "integrations.yaml",
        "target: pacs-spmc",
        "target: PACS_SPMC",
        "INT002",
        "'PACS_SPMC' is an AE title; its device is pacs-spmc",
    ),
}


def _check_with(tmp_path: Path, file: str, text: str, replacement: str):
    root = tmp_path / "env"
    shutil.copytree(EXAMPLE, root)
    path = root / file
    content = path.read_text(encoding="utf-8")
    assert text in content, f"{file} no longer contains {text!r}"
    path.write_text(content.replace(text, replacement, 1), encoding="utf-8")
    result = check([str(root)], Config(), today=TODAY)
    assert result.rules_ran
    return result.active


def test_the_example_is_clean(tmp_path):
    assert _check_with(tmp_path, "sites.yaml", "imgpolicy: 1", "imgpolicy: 1") == []


@pytest.mark.parametrize("kind", CASES)
def test_an_unresolved_reference_is_one_finding_with_its_cause(tmp_path, kind):
    file, text, replacement, code, hint = CASES[kind]
    found = _check_with(tmp_path, file, text, replacement)
    assert [f.code for f in found] == [code], [f"{f.code} {f.message}" for f in found]
    assert hint in found[0].message
    assert found[0].location.path.endswith(file)
