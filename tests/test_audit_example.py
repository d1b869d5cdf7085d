"""The audits on the shipped example's day: the README walk-through (examples/audit on
examples/regional-health) gives exactly the output the README shows, a fresh recording
with real DCMTK finds the same, and a real Orthanc standing in for the archive of record,
fed as the example's routes say, finds nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .audit_data import instance, write_study
from .audit_peers import dcmtk, need, orthanc_factory, store  # noqa: F401
from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
REGIONAL = "examples/regional-health"
LOG = "examples/audit/storescp.log"
COMMAND = f"imgpolicy audit traffic {REGIONAL} {LOG} --today 2026-11-29"
IMGPOLICY = str(Path(sys.executable).parent / "imgpolicy")
"""The installed console script, next to this Python (pip install -e puts it there)."""

SEEDED = [
    ("AUDIT001", "ae:DX_TMCH_PORT2"),  # silent
    ("AUDIT002", "ae:CT_TMCH_3"),  # undeclared sender
    ("AUDIT004", "ae:EDGE_TMHC"),  # mistyped called AE
    ("AUDIT005", "flow:CT_SPMC_ED>EDGE_TMCH"),  # wrong destination
    ("AUDIT007", "route:us-tmch-2.store"),  # the route the mistyped AE left unused
    ("AUDIT008", "figure:routing-error-rate"),
    ("AUDIT009", "flow:CT_TMCH_2>EDGE_TMCH"),  # Enhanced CT refused
]


def imgpolicy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The installed command, as a user pastes it (the README's relative paths)."""
    return subprocess.run(
        [IMGPOLICY, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def found(output: str) -> list[tuple[str, str]]:
    return sorted((f["code"], f.get("entity", "")) for f in json.loads(output)["findings"])


def test_the_readme_walkthrough_output_is_exact():
    assert f"    {COMMAND}\n" in README
    block = re.search(r"<!-- audit-walkthrough -->\n```text\n(.*?)```", README, re.S)
    assert block, "README has no audit-walkthrough block"
    done = imgpolicy(*COMMAND.split()[1:])
    assert done.returncode == 1, done.stderr
    assert done.stdout + done.stderr == block.group(1)


def test_the_walkthrough_finds_each_seeded_fault_once_and_nothing_else():
    done = imgpolicy(*COMMAND.split()[1:], "--format", "json")
    assert done.returncode == 1, done.stderr
    assert found(done.stdout) == SEEDED
    assert "SYNTHETIC" not in done.stdout and "SYN0" not in done.stdout


def test_the_shipped_log_holds_no_patient_identity():
    text = (ROOT / LOG).read_text()
    assert "Patient" not in text and "SYNTHETIC" not in text


@pytest.mark.peers
def test_a_fresh_recording_gives_the_same_findings(tmp_path):
    """examples/audit/record.py with the real DCMTK storescp/storescu: the shipped log is
    what a run gives (its dates aside)."""
    need(dcmtk("storescp"), "dcmtk")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples/audit/record.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    audited = imgpolicy(
        "audit", "traffic", REGIONAL, str(tmp_path / "storescp.log"), "--format", "json"
    )
    assert found(audited.stdout) == SEEDED


@pytest.mark.peers
def test_an_orthanc_archive_of_record_fed_as_the_routes_say_finds_nothing(
    orthanc_factory,  # noqa: F811
    tmp_path,
):
    """An Orthanc as VNA_SPMC: the PACS archives radiology (pacs.to-vna), the CVIS the echo
    lab (cvis.to-vna). The TMCH edge only queries and C-MOVEs priors from it
    (vna.prefetch-to-edge-tmch), which an Orthanc does not record: it is not silent."""
    vna = orthanc_factory(aet="VNA_SPMC")
    for number, (caller, modality) in enumerate(
        [("PACS_SPMC", "CT"), ("PACS_SPMC", "MR"), ("CVIS_SPMC", "CT")], start=1
    ):
        study = [
            instance(
                patient_id=f"SYN{number:04d}",
                patient_name=f"SYNTHETIC^PATIENT{number}",
                accession=f"SYNACC{number}",
                modality=modality,
                issuer="SPRH_EPIC",
                charset="ISO_IR 100",
            )
        ]
        store(vna, write_study(tmp_path / str(number), study), calling_ae=caller)
    env = {
        **os.environ,
        "IMGPOLICY_SOURCE_USER": vna.user,
        "IMGPOLICY_SOURCE_PASSWORD": vna.password,
    }
    done = subprocess.run(
        [IMGPOLICY, "audit", "traffic", REGIONAL, f"orthanc+{vna.url}", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert found(done.stdout) == []
    assert vna.password not in done.stdout + done.stderr
