"""`imgpolicy diff` on a git repository built from examples/regional-health with a history
of realistic changes: a new modality, a retargeted route, a lossy syntax added and a site
decommissioned. Each diff runs the real `imgpolicy` in a subprocess."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "regional-health"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", message)


def imgpolicy(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "imgpolicy.cli", "diff", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )


def diff_json(repo: Path, *args: str) -> dict:
    done = imgpolicy(repo, *args, "--env", "env", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def add_modality(env: Path) -> None:
    """A second cardiac CT, CT_SPMC_4, copied from CT_SPMC_3 with its store route only
    (no dose route, not on the worklist)."""
    devices = env / "devices" / "spmc-modalities.yaml"
    text = devices.read_text()
    block = re.search(r"  - name: ct-spmc-3\n.*?\n\n", text, re.S).group(0)
    copy = (
        block.replace("ct-spmc-3", "ct-spmc-4")
        .replace("CT_SPMC_3", "CT_SPMC_4")
        .replace("ct3.", "ct4.")
        .replace("&ts-j2k-ll ", "")
    )
    devices.write_text(text.replace(block, block + copy))
    line = (
        "  - {name: ct-spmc-3.store, from: CT_SPMC_3, to: ROUTER_SPMC, purpose: reading, "
        "match: {sop_classes: *ct-objects}}\n"
    )
    edit(env / "routes.yaml", line, line + line.replace("3", "4"))


def retarget_route(env: Path) -> None:
    """CT_SPMC_3 sends straight to the PACS instead of the router."""
    edit(
        env / "routes.yaml",
        "{name: ct-spmc-3.store, from: CT_SPMC_3, to: ROUTER_SPMC",
        "{name: ct-spmc-3.store, from: CT_SPMC_3, to: PACS_SPMC",
    )


def lossy_teleradiology(env: Path) -> None:
    """The teleradiology route pinned to JPEG baseline (lossy) instead of J2K lossless."""
    edit(
        env / "routes.yaml",
        "    transfer_syntax: JPEG2000Lossless\n    purpose: teleradiology",
        "    transfer_syntax: JPEGBaseline8Bit\n    purpose: teleradiology",
    )


def decommission_ric(env: Path) -> None:
    """The Roseville Imaging Center closes: its site, modalities, routes, worklist, link
    and volumes go."""
    (env / "devices" / "ric-modalities.yaml").unlink()
    sites = env / "sites.yaml"
    text = sites.read_text()
    text = re.sub(r"  - name: RIC\n.*?\n\n", "", text, count=1, flags=re.S)
    text = re.sub(r"  - name: spmc-ric-sdwan\n(    .*\n)+", "", text, count=1)
    sites.write_text(text)
    routes = env / "routes.yaml"
    text = re.sub(r"  - \{name: [a-z]+-ric-1?\d?\.[a-z]+,.*\n(     .*\n)?", "", routes.read_text())
    routes.write_text(text.replace(", CT_RIC_1]", "]"))
    worklist = env / "worklist.yaml"
    text = re.sub(
        r"  - provider: RIS_SPMC\n    mpps_destination: RIS_SPMC\n    description: RIC.*?\n\n",
        "",
        worklist.read_text(),
        count=1,
        flags=re.S,
    )
    worklist.write_text(text)
    storage = env / "storage.yaml"
    storage.write_text(re.sub(r"    - \{site: RIC,.*\n", "", storage.read_text()))


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("config-repo")
    git(root, "init", "-q")
    shutil.copytree(EXAMPLE, root / "env")
    commit(root, "regional health")
    for change in (add_modality, retarget_route, lossy_teleradiology, decommission_ric):
        change(root / "env")
        commit(root, change.__name__)
    return root


def lost(flow: dict) -> dict[str, list[str]]:
    return {d["ae"]: d["purposes"] for d in flow["lost"]}


def test_new_modality_gains_its_destinations_and_its_findings(repo):
    diff = diff_json(repo, "HEAD~4", "HEAD~3")
    assert [(e["change"], e["kind"], e["name"], e["at"]) for e in diff["entities"]] == [
        ("added", "ae", "CT_SPMC_4", "devices/spmc-modalities.yaml:119"),
        ("added", "device", "ct-spmc-4", "devices/spmc-modalities.yaml:106"),
        ("added", "route", "ct-spmc-4.store", "routes.yaml:35"),
    ]
    [flow] = diff["flows"]
    assert flow["ae"] == "CT_SPMC_4" and flow["status"] == "added" and flow["lost"] == []
    assert {d["ae"]: d["purposes"] for d in flow["gained"]} == {
        "EDGE_TMCH": ["PACS"],
        "PACS_SPMC": ["PACS"],
        "ROUTER_SPMC": [],
        "TELE_NWR": ["PACS", "teleradiology"],
        "TR3D_SPMC": [],
        "VNA_DR": ["DR"],
        "VNA_SPMC": ["archive of record"],
    }
    # no dose route and not on the worklist: two new findings, nothing resolved
    introduced = diff["findings"]["introduced"]
    assert [(f["code"], f["entity"]) for f in introduced] == [
        ("DOSE002", "ae:CT_SPMC_4"),
        ("WL001", "ae:CT_SPMC_4"),
    ]
    assert diff["findings"]["resolved"] == []


def test_retargeted_route_loses_the_router_branches(repo):
    diff = diff_json(repo, "HEAD~3", "HEAD~2")
    assert [(e["change"], e["name"], e["fields"]) for e in diff["entities"]] == [
        ("changed", "ct-spmc-3.store", ["to"])
    ]
    [flow] = diff["flows"]
    assert flow["ae"] == "CT_SPMC_3" and flow["gained"] == [] and flow["syntaxes"] == []
    assert lost(flow) == {"AI_CT_SPMC": ["AI"], "ROUTER_SPMC": [], "TR3D_SPMC": []}
    assert diff["findings"] == {"introduced": [], "resolved": []}


def test_lossy_syntax_shows_on_every_ct_flow_through_teleradiology(repo):
    diff = diff_json(repo, "HEAD~2", "HEAD~1")
    assert [(e["name"], e["fields"]) for e in diff["entities"]] == [
        ("router.to-teleradiology", ["transfer_syntax"])
    ]
    changed = {f["ae"]: f["syntaxes"] for f in diff["flows"]}
    assert sorted(changed) == [
        "CT_RIC_1", "CT_SPMC_2", "CT_SPMC_4", "CT_SPMC_ED", "CT_TMCH_2", "CT_TMCH_ED",
        "PT_RIC_1", "PT_SPMC_1",
    ]  # fmt: skip
    assert all(f["gained"] == [] and f["lost"] == [] for f in diff["flows"])
    assert changed["CT_SPMC_ED"] == [
        {"route": "router.to-teleradiology", "sop_class": sop, "before": ["JPEG2000Lossless"],
         "after": ["JPEGBaseline8Bit"], "lossy": True}
        for sop in ("CTImageStorage", "EnhancedCTImageStorage")
    ]  # fmt: skip
    assert {f["code"] for f in diff["findings"]["introduced"]} >= {"RT004"}
    assert diff["findings"]["resolved"] == []


def test_decommissioned_site_loses_every_flow_and_its_entities(repo):
    diff = diff_json(repo, "HEAD~1", "HEAD")
    removed = {(e["kind"], e["name"]) for e in diff["entities"] if e["change"] == "removed"}
    assert ("site", "RIC") in removed and ("site_links", "spmc-ric-sdwan") in removed
    assert {n for k, n in removed if k == "ae"} == {
        "BMD_RIC_1", "CT_RIC_1", "DX_RIC_1", "MG_RIC_1", "MG_RIC_2", "MR_RIC_1", "MR_RIC_2",
        "PT_RIC_1", "US_RIC_1",
    }  # fmt: skip
    site = next(e for e in diff["entities"] if e["name"] == "RIC")
    assert site["at"] == "sites.yaml:43"  # where it lived: the base side
    flows = {f["ae"]: f for f in diff["flows"]}
    assert set(flows) == {n for k, n in removed if k == "ae"}
    assert all(f["status"] == "removed" and f["gained"] == [] for f in flows.values())
    assert lost(flows["CT_RIC_1"]) == {
        "AI_CT_SPMC": ["AI"],
        "DOSE_SPMC": ["dose monitor"],
        "EDGE_TMCH": ["PACS"],
        "PACS_SPMC": ["PACS"],
        "ROUTER_SPMC": [],
        "TELE_NWR": ["PACS", "teleradiology"],
        "TR3D_SPMC": [],
        "VNA_DR": ["DR"],
        "VNA_SPMC": ["archive of record"],
    }
    worklists = [e for e in diff["entities"] if e["kind"] == "worklist"]
    assert [(e["change"], e["name"].split("@")[0]) for e in worklists] == [("removed", "RIS_SPMC")]


def test_working_tree_is_the_default_head_and_output_is_deterministic(repo):
    first = imgpolicy(repo, "HEAD~4", "--env", "env", "--format", "markdown")
    second = imgpolicy(repo, "HEAD~4", "--env", "env", "--format", "markdown")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert "working tree" in first.stdout.splitlines()[0]


def test_fail_on_new_counts_only_new_findings_at_the_threshold(repo):
    # the example's own findings are on both sides; the lossy route adds RT004 errors
    assert imgpolicy(repo, "HEAD~3", "HEAD~2", "--env", "env", "--fail-on-new").returncode == 0
    assert imgpolicy(repo, "HEAD~2", "HEAD~1", "--env", "env", "--fail-on-new").returncode == 1
    assert imgpolicy(repo, "HEAD~2", "HEAD~1", "--env", "env").returncode == 0


def test_bad_revision_is_a_clear_error(repo):
    done = imgpolicy(repo, "no-such-rev", "--env", "env")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "no-such-rev" in done.stderr


def test_two_directories(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "a")
    shutil.copytree(EXAMPLE, tmp_path / "b")
    retarget_route(tmp_path / "b")
    done = imgpolicy(tmp_path, "a", "b", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [f["ae"] for f in json.loads(done.stdout)["flows"]] == ["CT_SPMC_3"]


def test_markdown_renders_with_tables_and_details(repo, tmp_path):
    markdown_it = pytest.importorskip("markdown_it")
    out = tmp_path / "diff.json"
    done = imgpolicy(
        repo, "HEAD~4", "HEAD", "--env", "env", "--format", "markdown", "--json-output", str(out)
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("### imgpolicy diff") and lines[2].startswith("- Entities:")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(done.stdout)
    full = json.loads(out.read_text())
    sections = 2 + sum(1 for found in full["findings"].values() if found)
    assert html.count("<details>") == sections and html.count("<table>") == sections == 3
    assert "<summary>Flows of acquisition AEs (" in html and "<th>Loses</th>" in html
    assert full["head"] == "HEAD" and "Findings introduced (" in html


def test_markdown_is_bounded_and_points_to_the_json():
    from imgpolicy import diff as semantic

    big = {
        "base": "a",
        "head": "b",
        "entities": [
            {"change": "added", "kind": "route", "name": f"r{i}", "at": f"routes.yaml:{i}"}
            for i in range(3000)
        ],
        "flows": [],
        "coverage": {"acquisition_aes": [], "systems": []},
        "findings": {"introduced": [], "resolved": []},
    }
    text = semantic.render_markdown(big, "in `diff.json`", limit=10_000)
    assert len(text) <= 10_000
    assert "the full report is in `diff.json`" in text and "Not shown: Entities (3000)" in text


def test_a_revision_outside_a_git_repository_is_a_clear_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "imgpolicy.cli", "diff", "HEAD~1", "--env", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "is not in a git repository: give two directories" in proc.stderr
    assert "Traceback" not in proc.stderr and "fatal:" not in proc.stderr


# --- retention and DR coverage, and the what-if on both sides ----------------------------

TMCH_ADULT_LOST = {
    "CT adult": ["CT_TMCH_2", "CT_TMCH_ED"],
    "DX adult": ["DX_TMCH_ED", "DX_TMCH_PORT", "DX_TMCH_PORT2"],
    "MR adult": ["MR_TMCH_1"],
    "NM adult": ["NM_TMCH_1"],
    "RF adult": ["RF_TMCH_1"],
    "US adult": ["US_TMCH_1", "US_TMCH_2", "US_TMCH_ED"],
    "XA adult": ["XA_TMCH_1", "XA_TMCH_CARM"],
}


def two_sides(tmp_path: Path, *changes) -> Path:
    """`a`: the regional example; `b`: the example with `changes` applied."""
    shutil.copytree(EXAMPLE, tmp_path / "a")
    shutil.copytree(EXAMPLE, tmp_path / "b")
    for change in changes:
        change(tmp_path / "b")
    return tmp_path


def drop_nevada_adult_retention(env: Path) -> None:
    """Legal withdraws the Nevada adult policy (nv-adult) pending review."""
    retention = env / "retention.yaml"
    retention.write_text(
        re.sub(r"  - name: nv-adult\n(    .*\n)+", "", retention.read_text(), count=1)
    )


def drop_vna_replication(env: Path) -> None:
    """The archive of record's plan no longer replicates to Phoenix."""
    edit(
        env / "continuity.yaml",
        "    replication: {target_site: DR-PHX, scope: full}  # the archive of record: every study\n",
        "",
    )


def drop_vna_fallback(env: Path) -> None:
    edit(env / "continuity.yaml", "    read_only_fallback: viewer-dr\n", "")


def disable_ultrasound_replication(env: Path) -> None:
    """The replication route for ultrasound is switched off."""
    edit(
        env / "routes.yaml",
        "      UltrasoundMultiFrameImageStorage: JPEGBaseline8Bit\n    purpose: replication\n",
        "      UltrasoundMultiFrameImageStorage: JPEGBaseline8Bit\n    purpose: replication\n"
        "    enabled: false\n",
    )


def test_retention_removed_for_a_jurisdiction_and_dr_target_dropped(tmp_path):
    root = two_sides(tmp_path, drop_nevada_adult_retention, drop_vna_replication)
    diff = diff_json_dirs(root)
    coverage = diff["coverage"]
    # retention: every TMCH modality loses its adult policy; MG keeps nv-mammography (the
    # longest policy that applies wins, so it was never nv-adult) and pediatric is untouched
    lost: dict[str, list[str]] = {}
    for entry in coverage["acquisition_aes"]:
        for r in entry["retention"]:
            assert (r["change"], r["before"], r["after"]) == ("lost", "5y by nv-adult", None)
            lost.setdefault(r["what"], []).append(entry["ae"])
    assert lost == TMCH_ADULT_LOST
    # DR: the archive of record's plan loses its replication; the VNA_DR copy fed by the
    # replication routes is still reached, so every AE archiving there is "changed"
    [system] = coverage["systems"]
    assert (system["system"], system["change"], system["fields"], system["at"]) == (
        "vna-spmc", "changed", ["replication"], "continuity.yaml:21"
    )  # fmt: skip
    assert (system["before"]["replication"], system["after"]["replication"]) == (
        "full to DR-PHX",
        None,
    )
    dr = {e["ae"]: e["dr"] for e in coverage["acquisition_aes"] if e["dr"]}
    assert sorted(dr) == system["acquisition_aes"] and "CT_TMCH_2" in dr
    assert all(
        d
        == {
            "change": "changed",
            "before": ["VNA_DR: DR copy", "vna-spmc: replication full to DR-PHX"],
            "after": ["VNA_DR: DR copy", "vna-spmc: replication none"],
        }
        for d in dr.values()
    )
    introduced = sorted(f["code"] for f in diff["findings"]["introduced"])
    assert introduced == ["DR007"] + ["RET001"] * 7  # one per jurisdiction and modality
    text = imgpolicy(root, "a", "b").stdout
    assert "  retention CT adult lost: 5y by nv-adult -> none (CT_TMCH_2, CT_TMCH_ED)\n" in text
    assert (
        "  continuity plan of vna-spmc (vna, continuity.yaml:21): replication changed: "
        f"full to DR-PHX -> none ({len(dr)} reach it)\n"
    ) in text


def test_dr_coverage_lost_when_the_copy_and_the_replica_both_go(tmp_path):
    root = two_sides(tmp_path, disable_ultrasound_replication, drop_vna_replication)
    dr = {e["ae"]: e["dr"] for e in diff_json_dirs(root)["coverage"]["acquisition_aes"]}
    # the ultrasound AEs whose studies only the switched-off route copied to Phoenix (the
    # echo carts' and US_SPMC_2's other objects still go by vna.replicate-images)
    assert {t for t, d in dr.items() if d and d["change"] == "lost"} == {
        "US_RIC_1", "US_SPMC_1", "US_SPMC_3", "US_SPMC_4", "US_SPMC_5", "US_SPMC_POCUS",
        "US_TMCH_2", "US_TMCH_ED",
    }  # fmt: skip
    assert dr["US_SPMC_1"] == {
        "change": "lost",
        "before": ["VNA_DR: DR copy", "vna-spmc: replication full to DR-PHX"],
        "after": ["vna-spmc: replication none"],
    }
    assert dr["CT_SPMC_2"]["change"] == dr["US_SPMC_ECHO1"]["change"] == "changed"


def test_down_on_both_sides_reports_what_the_change_does_to_the_outage(tmp_path):
    root = two_sides(tmp_path, retarget_route, disable_ultrasound_replication)
    diff = diff_json_dirs(root, "--down", "router-spmc")
    down = diff["down"]
    assert down["devices"] == ["router-spmc"] and down["plans"] == []
    # CT_SPMC_3 now stores straight to the PACS: with the router down it keeps the PACS
    # and the archive; what it no longer reaches at all (the AI) is a flow change instead
    assert down["flows"] == [
        {
            "ae": "CT_SPMC_3",
            "change": "loses less",
            "newly_lost": [],
            "no_longer_lost": [
                {"ae": "EDGE_TMCH", "purpose": "PACS"},
                {"ae": "PACS_SPMC", "purpose": "PACS"},
                {"ae": "TELE_NWR", "purpose": "teleradiology"},
                {"ae": "VNA_DR", "purpose": "DR"},
                {"ae": "VNA_SPMC", "purpose": "archive of record"},
            ],
        }
    ]
    assert down["sites"] == [
        {"site": "SPMC", "loses": "reading", "newly": [], "no_longer": ["CT_SPMC_3"]},
        {"site": "SPMC", "loses": "archive", "newly": [], "no_longer": ["CT_SPMC_3"]},
    ]
    markdown_it = pytest.importorskip("markdown_it")
    done = imgpolicy(root, "a", "b", "--down", "router-spmc", "--format", "markdown")
    assert done.returncode == 0, done.stderr
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(done.stdout)
    assert "<summary>What-if router-spmc down (3)</summary>" in html
    assert "<summary>Retention and DR coverage (1)</summary>" in html
    assert "<td>site SPMC</td>\n<td>loses archive</td>\n<td>no longer for CT_SPMC_3</td>" in html


def test_down_reports_plan_coverage_lost(tmp_path):
    root = two_sides(tmp_path, drop_vna_replication, drop_vna_fallback)
    down = diff_json_dirs(root, "--down", "vna-spmc")["down"]
    [plan] = down["plans"]
    assert (plan["device"], plan["covered"], plan["fields"]) == (
        "vna-spmc", "lost", ["read_only_fallback", "replication"]
    )  # fmt: skip
    assert (plan["before"]["read_only_fallback"], plan["after"]["read_only_fallback"]) == (
        "viewer-dr",
        None,
    )
    assert down["flows"] == [] and down["sites"] == []  # the plan changed, not the routes
    text = imgpolicy(root, "a", "b", "--down", "vna-spmc").stdout
    assert (
        "  plan of vna-spmc coverage lost: read_only_fallback: viewer-dr -> none; "
        "replication: full to DR-PHX -> none\n"
    ) in text
    assert "plan coverage lost for 1, gained for 0" in text


def test_down_names_a_device_missing_on_a_side(tmp_path):
    root = two_sides(tmp_path)
    done = imgpolicy(root, "a", "b", "--down", "router-spmc,vna-nowhere")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--down on a: 'vna-nowhere' is not the name of a device" in done.stderr


def diff_json_dirs(root: Path, *args: str) -> dict:
    done = imgpolicy(root, "a", "b", *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
