"""`imgpolicy check --down DEVICE[,DEVICE]`: what stops while devices are down, set against
the continuity plans; and the documents' failure-impact table, which must say the same."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date

import pytest

from imgpolicy.analysis.index import Index
from imgpolicy.analysis.reach import Reach
from imgpolicy.analysis.worklist import acquisition_aes
from imgpolicy.config import resolve_config
from imgpolicy.engine import check as run_check

from .conftest import EXAMPLES

REGIONAL = EXAMPLES / "regional-health"
TODAY = "2026-11-28"


def imgpolicy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "imgpolicy.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def down_json(*devices: str) -> dict:
    result = imgpolicy(
        "check", str(REGIONAL), "--today", TODAY, "--format", "json", "--down", ",".join(devices)
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["down"]


@pytest.fixture(scope="module")
def index() -> Index:
    paths = (str(REGIONAL),)
    result = run_check(paths, resolve_config(None, paths), today=date.fromisoformat(TODAY))
    assert isinstance(result.index, Index)
    return result.index


def test_vna_down_lists_every_flow_that_reached_it(index):
    down = down_json("vna-spmc")
    # every acquisition AE whose studies reach the archive, as the rules' own walk says
    reach = Reach.of(index)
    expected = {
        ae.ae_title
        for device, ae in acquisition_aes(index)
        if index.flow.origin(ae.ae_title) and "VNA_SPMC" in reach.reached(ae.ae_title)
    }
    lost_archive = {
        f["ae_title"]
        for f in down["flows"]
        if {"purpose": "archive of record", "ae_title": "VNA_SPMC"} in f["lost"]
    }
    assert expected and lost_archive == expected
    # the archive is a sink: nothing stops, every flow only loses destinations
    assert not [f for f in down["flows"] if f["stops"]]
    # the echo lab reads from the cardiology PACS fed by the VNA: its reading is lost
    echo = next(f for f in down["flows"] if f["ae_title"] == "US_SPMC_ECHO1")
    assert {"purpose": "PACS", "ae_title": "PACS_SPMC"} in echo["lost"]
    assert down["sites"]["SPMC"]["reading"] == ["US_SPMC_ECHO1", "US_SPMC_ECHO2"]
    assert set(down["sites"]) == {"RIC", "SPMC", "TMCH"}
    [vna] = down["devices"]
    assert vna == {
        "device": "vna-spmc",
        "kind": "vna",
        "site": "SPMC",
        "continuity_plan": True,
        "read_only_fallback": "viewer-dr",
        "fallback_up": True,
        "rto": "8h",
        "replication": "full to DR-PHX",
        "covered": True,
    }


def test_fallback_that_is_down_too_is_not_counted():
    down = down_json("vna-spmc", "viewer-dr")
    vna = next(d for d in down["devices"] if d["device"] == "vna-spmc")
    assert vna["fallback_up"] is False
    assert vna["covered"] is True  # the full replica to DR-PHX still covers it
    viewer = next(d for d in down["devices"] if d["device"] == "viewer-dr")
    assert viewer["continuity_plan"] is False and viewer["covered"] is False


def test_router_down_stops_the_outpatient_center():
    down = down_json("router-spmc")
    stopped = {f["ae_title"] for f in down["flows"] if f["stops"]}
    assert {"MR_RIC_1", "BMD_RIC_1", "US_RIC_1"} <= stopped
    # the ED CT at TMCH sends to its edge PACS first: it loses, it does not stop
    assert "CT_TMCH_ED" not in stopped


def test_ris_down_loses_worklist_where_no_broker_caches_it():
    down = down_json("ris-spmc")
    assert down["flows"] == []
    assert set(down["sites"]) == {"RIC", "SPMC"}  # TMCH's broker keeps its worklist
    assert "CT_SPMC_ED" in down["sites"]["SPMC"]["worklist"]
    assert "US_SPMC_POCUS" not in down["sites"]["SPMC"]["worklist"]  # encounter-based


def test_text_report_has_the_what_if_section():
    result = imgpolicy("check", str(REGIONAL), "--today", TODAY, "--down", "vna-spmc")
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("What-if: vna-spmc down\n", 1)[1]
    assert "vna-spmc (vna, SPMC): RTO 8h; fallback viewer-dr; replication full to DR-PHX" in section
    assert re.search(
        r"^  CT_SPMC_ED \[CT\] at SPMC loses: .*VNA_SPMC \(archive of record\)", section, re.M
    )


@pytest.mark.parametrize("value", ["vna-main", "vna-spmc,nope", ","])
def test_unknown_device_is_a_usage_error(value):
    result = imgpolicy("check", str(REGIONAL), "--today", TODAY, "--down", value)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--down" in result.stderr
    if value == "vna-main":
        assert "did you mean vna-spmc" in result.stderr


def test_docs_failure_impact_table_matches_check_down(tmp_path):
    result = imgpolicy("docs", str(REGIONAL), "--today", TODAY, "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    markdown = (tmp_path / "architecture.md").read_text()
    table = markdown.split("### Failure impact", 1)[1]
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r"^\| `([a-z0-9-]+)` \(.*$", table.split("\n\n#", 1)[0], re.M)
    }
    assert set(rows) == {
        "router-spmc",
        "pacs-spmc",
        "edge-tmch",
        "vna-spmc",
        "vna-dr",
        "ris-spmc",
        "dose-spmc",
    }  # one row per critical system of ours; pacs-nwr is the teleradiology provider's
    for system in ("vna-spmc", "router-spmc", "ris-spmc"):
        down = down_json(system)
        cells = [c.strip() for c in rows[system].split("|")[1:-1]]
        stops = sum(f["stops"] for f in down["flows"])
        assert cells[1:3] == [str(stops), str(len(down["flows"]) - stops)]
        [plan] = down["devices"]
        assert cells[6] == (plan["rto"] or "**none**")
        assert cells[5] == (f"`{plan['read_only_fallback']}`" if plan["read_only_fallback"] else "")
    assert "`viewer-dr`" in rows["vna-spmc"] and "RIC: archive" in rows["vna-spmc"]
    html = (tmp_path / "architecture.html").read_text()
    assert 'id="failure-impact"' in html
