"""`imgpolicy docs`: the architecture documents, their content against the model, --check,
templates, escaping, atomic writes. The browser tests are in test_docs_browser.py."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from imgpolicy import fsutil
from imgpolicy.analysis.capacity import format_size, project
from imgpolicy.analysis.index import Index
from imgpolicy.config import Config
from imgpolicy.docs.checklist import LISTS
from imgpolicy.docs.escape import MermaidIds, md, md_code, mermaid_text, slug
from imgpolicy.docs.render import build_view
from imgpolicy.docs.topology import origin_paths
from imgpolicy.engine import check
from imgpolicy.load import load_environment
from imgpolicy.rules.registry import all_rules

from .conftest import EXAMPLES, ROOT, assert_no_traceback, run

EXAMPLE = EXAMPLES / "regional-health"
TODAY = "2026-11-28"
REFERENCE = Path("/work/shared/reference/managing-clinical-imaging-informatics.md")


@pytest.fixture(scope="module")
def docs_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    result = run("docs", str(EXAMPLE), "-o", str(out), "--today", TODAY)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def md_text(docs_dir):
    return (docs_dir / "architecture.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def html_text(docs_dir):
    return (docs_dir / "architecture.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def env():
    loaded = load_environment([str(EXAMPLE)])
    assert not loaded.findings
    return loaded.environment


def section(text: str, title: str) -> str:
    """The Markdown between `## title` and the next `## ` heading."""
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def html_section(text: str, anchor: str) -> str:
    start = text.index(f'<section id="{anchor}">')
    return text[start : text.index("</section>", start)]


def rows(block: str, first_cell: str) -> list[str]:
    return [line for line in block.splitlines() if line.startswith(f"| {first_cell} ")]


def cells(row: str) -> list[str]:
    """A GFM table row split on unescaped pipes."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


# --- writing, determinism, exit codes ---------------------------------------------------


def test_writes_markdown_and_html(docs_dir, md_text, html_text):
    assert sorted(p.name for p in docs_dir.iterdir()) == ["architecture.html", "architecture.md"]
    assert md_text.startswith("<!-- imgpolicy-docs as-of=2026-11-28")
    assert html_text.startswith("<!DOCTYPE html>")
    assert 'content="imgpolicy-docs as-of=2026-11-28"' in html_text
    for title in (
        "Environment summary",
        "System inventory",
        "Application entities",
        "Conformance matrix",
        "Study flow",
        "Worklist and MPPS",
        "Integrations",
        "Storage tiers and lifecycle",
        "Capacity projection",
        "Retention",
        "Disaster recovery",
        "Dose reference levels",
        "Imaging AI",
        "Report turnaround",
        "Compliance checklist",
        "Suppressions",
    ):
        assert f"\n## {title}\n" in md_text
        assert f"- [{title}](#{slug(title)})" in md_text
        assert f'<section id="{slug(title)}">' in html_text


def test_two_runs_are_byte_identical_wherever_they_run(tmp_path, docs_dir):
    copy = tmp_path / "env"
    shutil.copytree(EXAMPLE, copy)
    first = run("docs", "env", "-o", "out", "--today", TODAY, cwd=tmp_path)
    second = run("docs", str(copy.resolve()), "-o", str(tmp_path / "out2"), "--today", TODAY)
    assert first.exit_code == second.exit_code == 0
    for name in ("architecture.md", "architecture.html"):
        one = (tmp_path / "out" / name).read_bytes()
        assert one == (tmp_path / "out2" / name).read_bytes()
        assert one == (docs_dir / name).read_bytes()


def test_date_comes_from_the_config(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "env")
    (tmp_path / "env" / ".imgpolicy.yaml").write_text("today: 2026-11-28\n")
    result = run("docs", str(tmp_path / "env"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "as-of=2026-11-28" in (tmp_path / "out" / "architecture.md").read_text()


def test_new_files_get_ordinary_permissions(docs_dir):
    umask = os.umask(0)
    os.umask(umask)
    for name in ("architecture.md", "architecture.html"):
        assert stat.S_IMODE((docs_dir / name).stat().st_mode) == 0o666 & ~umask


def test_schema_errors_exit_2_with_the_findings_and_write_nothing(tmp_path):
    broken = EXAMPLES / "broken" / "schema003-quoted-port"
    result = run("docs", str(broken), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert_no_traceback(result)
    assert re.search(r"environment\.yaml:10:15: SCHEMA003 ", result.output)
    assert "architecture documents not generated" in result.output
    assert not (tmp_path / "out").exists()


def test_unusable_input_exits_2(tmp_path):
    (tmp_path / "other.yaml").write_text("key: value\n")
    result = run("docs", str(tmp_path), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "no environment files" in result.output
    yaml_error = EXAMPLES / "broken" / "yaml001-tab-indentation"
    result = run("docs", str(yaml_error), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "YAML001" in result.output
    assert run("docs", str(EXAMPLE), "--today", "28/11/2026").exit_code == 2
    assert run("docs", str(tmp_path / "missing")).exit_code == 2
    assert not (tmp_path / "out").exists()


def test_docs_are_written_when_rules_find_problems(tmp_path, write_env):
    root = write_env({"env.yaml": PROBLEMS})
    result = run("docs", str(root), "-o", str(tmp_path / "out"), "--today", TODAY)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "architecture.md").read_text()
    flow = section(text, "Study flow")
    assert "n_ae_GHOST" in flow and "class n_ae_AI_NOWHERE,n_ae_GHOST unknown" in flow
    assert "**never reaches the archive**" in flow
    findings = section(text, "Open findings")
    # RT007 (never archived) follows from RT001 (the route to GHOST) and is not repeated
    for code in ("RT001", "AE008", "AI004", "WL001"):
        assert f"`{code}`" in findings
    assert "`RT007`" not in findings
    html = (tmp_path / "out" / "architecture.html").read_text()
    assert "NOT DECLARED" in html  # the unknown AE's box in the topology SVG


PROBLEMS = """imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
devices:
  - name: ct-1
    site: ELSEWHERE
    kind: modality
    modality: CT
    connections: [{name: dicom, hostname: ct1.example.org}]
    application_entities:
      - ae_title: CT_1
        acceptor: false
        transfer_capabilities:
          - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
routes:
  - {name: ct-to-ghost, from: CT_1, to: GHOST, purpose: reading}
ai:
  - name: thing
    fda: {pathway: 510k, number: K123456}
    cleared_for: {modalities: [CT]}
    runs_on: AI_NOWHERE
"""


# --- content against the model ------------------------------------------------------------


def test_summary_counts(md_text, html_text, env):
    summary = section(md_text, "Environment summary")
    aes = env.application_entities()
    acquisition = sum(1 for d, _ in aes if d.kind == "modality")
    assert (
        f"{len(env.sites)} sites, {len(env.devices)} devices with {len(aes)} application "
        f"entities ({acquisition} on acquisition modalities), {len(env.routes)} routes"
    ) in summary
    assert (len(env.sites), len(env.devices), len(aes), acquisition, len(env.routes)) == (
        5,
        74,
        66,
        52,
        101,
    )
    assert "Archive of record: `VNA_SPMC`." in summary
    table = summary[summary.index("| Device kind |") :]
    table = table[: table.index("\n\n")]
    kinds = {cells(r)[0]: cells(r)[1:] for r in table.splitlines()[2:]}
    assert kinds["Acquisition modality"] == ["52", "52"]
    assert kinds["VNA"] == ["2", "2"] and kinds["AI server"] == ["1", "2"]
    ct = cells(rows(summary, "CT")[0])
    assert ct == ["CT", "8", "SPMC 4, TMCH 2, RIC 2"]
    assert sum(1 for d in env.devices if d.kind == "modality" and "CT" in d.modality) == 8
    assert '<div class="card"><b>66</b>application entities</div>' in html_text


def test_inventory_per_site(md_text, env):
    inventory = section(md_text, "System inventory")
    for site in env.sites:
        assert f"\n### Site {site.name}\n" in inventory
    parts = re.split(r"\n### Site ", inventory)
    by_site = {p.split("\n", 1)[0]: p for p in parts[1:]}
    for device in env.devices:
        block = by_site[device.site]
        [row] = rows(block, f"`{device.name}`")
        assert device.manufacturer in row and device.model in row
        if device.conformance_statement:
            assert f"`{device.conformance_statement}`" in row
    [vna] = rows(by_site["SPMC"], "`vna-spmc` **archive of record**")
    assert cells(vna)[1:6] == ["VNA", "", "Hyland", "Acuo VNA", "6.4.2"]


def test_ae_table(md_text, env):
    table = section(md_text, "Application entities")
    for _, ae in env.application_entities():
        assert len(rows(table, f"`{ae.ae_title}`")) == 1
    router = cells(rows(table, "`ROUTER_SPMC`")[0])
    assert router[1:3] == ["`router-spmc`", "SPMC"]
    assert router[3] == (
        "`router.spmc.imaging.example.org:11112`<br>"
        "`router.spmc.imaging.example.org` (outbound only) (TLS)"
    )
    assert router[4:7] == ["initiator / acceptor", "partly", "`ISO_IR 100`"]
    ct = cells(rows(table, "`CT_RIC_1`")[0])
    assert ct[3] == "`ct1.ric.imaging.example.org` (outbound only)" and ct[4] == "initiator"


def test_conformance_matrix(md_text):
    matrix = section(md_text, "Conformance matrix")
    profile = matrix[matrix.index("AE: `TELE_NWR`") :]
    profile = profile[: profile.index("\n**P")]
    [ct] = rows(profile, "CTImageStorage")
    assert cells(ct) == [
        "CTImageStorage",
        "",
        "JPEG2000Lossless, ExplicitVRLittleEndian, ImplicitVRLittleEndian",
    ]
    assert "| JPEG2000Lossless | `1.2.840.10008.1.2.4.90` | lossless / none |" in matrix
    # the six CT scanners share one profile
    assert re.search(r"\*\*P\d+\*\* — \d+ AEs: [^\n]*`CT_SPMC_ED`", matrix)


def test_known_route_and_paths(md_text, html_text):
    flow = section(md_text, "Study flow")
    [tele] = rows(flow, "`router.to-teleradiology`")
    assert cells(tele)[1:] == [
        "`ROUTER_SPMC` → `TELE_NWR`",
        "teleradiology, high",
        "CT: CTImageStorage, EnhancedCTImageStorage",
        "JPEG2000Lossless",
        "SPMC → NWR",
        "",
    ]
    [archive] = rows(flow, "`pacs.to-vna`")
    assert "`VNA_SPMC` (archive of record)" in archive and "ExplicitVRLittleEndian" in archive
    [ct] = [r for r in flow.splitlines() if r.startswith("| `CT_RIC_1`, `CT_SPMC_2`")]
    assert cells(ct)[1:] == [
        "CT",
        "`ROUTER_SPMC` → `PACS_SPMC` → `VNA_SPMC`",
        "`ROUTER_SPMC` → `AI_CT_SPMC`",
        "`ROUTER_SPMC` → `TELE_NWR`",
        "`DOSE_SPMC`",
    ]
    [mg] = [r for r in flow.splitlines() if r.startswith("| `MG_RIC_1`")]
    assert cells(mg)[3:5] == ["", ""]  # mammograms go to no AI and no teleradiology
    routes = html_section(html_text, "study-flow")
    assert "<code>router.to-teleradiology</code>" in routes


def test_topology_diagrams(md_text, html_text):
    mermaid = re.search(r"```mermaid\n(.*?)```", md_text, re.S).group(1)
    assert mermaid.startswith("flowchart LR\n")
    ids = re.findall(r"^\s+(\w+)[\[(]", mermaid, re.M)
    assert ids and all(re.fullmatch(r"[A-Za-z0-9_]+", i) for i in ids)
    assert "class n_ae_VNA_SPMC archive" in mermaid
    assert "class n_ae_TELE_NWR teleradiology" in mermaid
    assert "class n_ae_AI_CT_SPMC,n_ae_AI_CXR_SPMC ai" in mermaid
    assert 'n_ae_ROUTER_SPMC -->|"teleradiology"| n_ae_TELE_NWR' in mermaid
    assert 'n_acq_SPMC -->|"reading ×27"| n_ae_ROUTER_SPMC' in mermaid
    assert 'n_acq_TMCH -->|"reading ×14"| n_ae_EDGE_TMCH' in mermaid
    assert "`" not in mermaid
    svg = re.search(r'<svg class="diagram topology".*?</svg>', html_text, re.S).group(0)
    for text in ("ARCHIVE OF RECORD", "TELE_NWR", "AI_CT_SPMC", "Teleradiology", ">×27<"):
        assert text in svg


def test_worklist_and_integrations(md_text, env):
    worklist = section(md_text, "Worklist and MPPS")
    listed = re.findall(r"\| (\d+): ", worklist)
    assert sum(map(int, listed)) == sum(len(w.consumers) for w in env.worklist) == 52
    # the ED point-of-care ultrasound is encounter-based: like WL001, the documents do not
    # count it as an acquisition AE the worklist fails to serve
    assert "US_SPMC_POCUS" not in worklist
    assert "Every acquisition AE has a worklist provider." in worklist
    integrations = section(md_text, "Integrations")
    for item in env.integrations:
        assert len(rows(integrations, f"`{item.name}`")) == 1
    assert "`mllps://ris.spmc.imaging.example.org:6661`" in integrations
    assert "password (reference)" in integrations


def test_no_secret_is_shown(md_text, html_text, env):
    for item in env.integrations:
        creds = item.credentials
        for value in (creds.password, creds.token, creds.api_key) if creds else ():
            if value:
                assert value not in md_text and value not in html_text


def test_storage_and_capacity_fill_year(md_text, html_text, env):
    storage = section(md_text, "Storage tiers and lifecycle")
    [hot] = rows(storage, "`vna-spmc-hot`")
    assert cells(hot)[1:6] == ["`vna-spmc`", "hot", "primary", "1.2PB", "460TB (38.3%)"]
    [mammo] = rows(storage, "`mammography`")
    assert "never purged" in mammo
    capacity = section(md_text, "Capacity projection")
    projected = project(env.tiers, env.lifecycle, env.volumes, 30)["vna-spmc-hot"]
    five = project(env.tiers, env.lifecycle, env.volumes, 5)["vna-spmc-hot"]
    assert five.full_at is None and 6 < projected.full_at < 7
    fills = date(2026, 11, 28) + timedelta(days=round(projected.full_at * 365.2425))
    assert fills.strftime("%Y-%m") == "2033-05"
    [row] = rows(capacity, "`vna-spmc-hot`")
    parts = cells(row)
    assert parts[2] == "460TB (38.3%)"
    assert parts[7] == f"{format_size(five.held[4])} (92.2%)" == "1.11PB (92.2%)"
    assert parts[8] == "year 7 (2033-05), beyond the 5-year projection"
    assert "No tier fills within 5 years." in capacity
    assert (
        "| Tier | Capacity | today | 2027-11 | 2028-11 | 2029-11 | 2030-11 | 2031-11 |" in capacity
    )
    chart = re.search(r'<svg class="diagram capacity".*?</svg>', html_text, re.S).group(0)
    assert "vna-spmc-hot 92%, full 2033-05" in chart and chart.count("<polyline") == 7


def test_capacity_fill_within_the_projection_is_marked(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "env")
    storage = tmp_path / "env" / "storage.yaml"
    storage.write_text(storage.read_text().replace("capacity: 1.2PB", "capacity: 800TB"))
    # the tier now fills within 3 years: ST001 fails, the docs still say when
    result = run("docs", str(tmp_path / "env"), "-o", str(tmp_path / "out"), "--today", TODAY)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "architecture.md").read_text()
    [row] = rows(section(text, "Capacity projection"), "`vna-spmc-hot`")
    assert re.search(r"\*\*year 3 \(2029-\d\d\)\*\*", row)
    assert "Tiers that fill within 5 years: `vna-spmc-hot`." in text
    checklist = section(text, "Compliance checklist")
    [item] = [
        r
        for r in checklist.splitlines()
        if r.startswith("| ") and "Storage capacity projections" in r
    ]
    assert "| ❌ |" in item and "| not met |" in item
    assert "`ST001` storage tier 'vna-spmc-hot'" in checklist
    html = (tmp_path / "out" / "architecture.html").read_text()
    assert "vna-spmc-hot full</text>" in html  # the fill point marked on the chart


def test_retention_periods(md_text):
    retention = section(md_text, "Retention")
    ca = retention[retention.index("### US-CA") : retention.index("### US-NV")]
    assert cells(rows(ca, "`ca-mammography`")[0])[1:5] == ["MG", "all", "10y", "required"]
    assert cells(rows(ca, "MG")[0]) == [
        "MG",
        "10y (`ca-mammography`)",
        "until age 18 + 1y (19y from birth) (`ca-pediatric`)",
    ]
    assert cells(rows(ca, "CT")[0])[1] == "7y (`ca-adult`)"
    nv = retention[retention.index("### US-NV") : retention.index("### US-AZ")]
    assert cells(rows(nv, "CT")[0])[1:] == [
        "5y (`nv-adult`)",
        "until age 18 + 5y (23y from birth) (`nv-pediatric`)",
    ]


def test_dr_dose_ai_turnaround(md_text):
    dr = section(md_text, "Disaster recovery")
    vna = cells(rows(dr, "`vna-spmc` (vna)")[0])
    assert vna[1:8] == [
        "SPMC (us-west)",
        "15m",
        "8h",
        "DR-PHX (us-southwest)",
        "full copy",
        "`viewer-dr`",
        "2026-04-18 (7 months before 2026-11-28)",
    ]
    dose = section(md_text, "Dose reference levels")
    assert "Dose monitor: `DOSE_SPMC` (dose-spmc)" in dose
    [head] = [
        r
        for r in rows(dose, "CT head without contrast")
        if cells(r)[0] == "CT head without contrast"
    ]
    assert cells(head)[4:6] == ["57", "1000"]
    assert cells(head)[-2:] == ["SPRH Radiation Safety Committee DRL table", "2026-03"]
    ai = section(md_text, "Imaging AI")
    [ich] = rows(ai, "`neuro-ich-triage`")
    assert cells(ich)[2:4] == [
        "510(k) `K232817` cleared (2023-11-20), versions 4.2.0, 4.2.1",
        "CT: HEAD (age 18+)",
    ]
    assert "510(k) `K213381`" in ai
    tat = section(md_text, "Report turnaround")
    assert cells(rows(tat, "CT")[0]) == ["CT", "all", "30m", "2h", "24h", "72h"]
    assert cells(rows(tat, "NM")[0]) == ["NM", "all", "60m", "4h", "48h", ""]


def test_checklist_of_the_clean_example(md_text, html_text):
    checklist = section(md_text, "Compliance checklist")
    items = [
        r for r in checklist.splitlines() if r.startswith(("| ✅", "| ❌", "| ⬜", "| ➖", "| ◐"))
    ]
    assert len(items) == sum(len(entries) for _, entries in LISTS) == 24
    assert not any(r.startswith("| ❌") for r in items)
    [covered] = [r for r in items if "DICOM transfer performance" in r]
    assert cells(covered)[0] == "⬜" and cells(covered)[2] == "not checked here"
    [dr] = [r for r in items if "tested within the last 12 months" in r]
    assert cells(dr)[0] == "✅" and cells(dr)[2].startswith("met: every continuity plan")
    assert cells(dr)[3] == "`DR004`"
    [mwl] = [r for r in items if "Modality Worklist delivery" in r]
    assert cells(mwl)[0] == "◐" and cells(mwl)[2].startswith("partly: every order-based")
    assert "a worklist query from each modality" in cells(mwl)[4]
    assert "No finding is suppressed." in section(md_text, "Suppressions")
    html = html_text[html_text.index('<section id="compliance-checklist">') :]
    tables = html[html.index("<table>") : html.index("Rule results by family")]
    assert tables.count('<span class="status not-checked-here">not checked here</span>') == 6
    assert tables.count('<span class="status partly">partly</span>') == 15
    assert tables.count('<span class="status met">met') == 2 + 1


def test_checklist_items_are_the_practice_guides():
    codes = set(all_rules())
    for _, entries in LISTS:
        for item in entries:
            assert set(item.codes) <= codes, item.text
    if not REFERENCE.is_file():
        pytest.skip("the practice guide is not available here")
    guide = REFERENCE.read_text(encoding="utf-8")
    for title, entries in LISTS:
        heading = "## Checkpoint B" if title.startswith("Checkpoint B") else "## Quality Audit"
        block = guide[guide.index(heading) :]
        block = block[: block.index("\n---")]
        listed = re.findall(r"^- \[ \] (.+)$", block, re.M)
        assert [item.text for item in entries] == listed


def test_checklist_shows_findings_and_suppressions(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "env")
    continuity = tmp_path / "env" / "continuity.yaml"
    text = continuity.read_text()
    ris = text.index("  - system: ris-spmc\n")
    before, after = text[:ris], text[ris:]
    after = after.replace(
        "    last_tested: 2026-04-18\n",
        '    # imgpolicy: ignore[DR004] reason="failover test moved to 2027-01; CAB-4411"\n'
        "    last_tested: 2025-04-18\n",
        1,
    )
    text = before + after
    continuity.write_text(text)
    devices = tmp_path / "env" / "devices" / "core-systems.yaml"
    devices.write_text(
        devices.read_text().replace(
            "    conformance_statement: conformance/bayer/radimetrics-3.4.pdf\n", ""
        )
    )
    checked = run("check", str(tmp_path / "env"), "--today", TODAY, "--fail-on", "warning")
    assert checked.exit_code == 1 and "AE007" in checked.output and "DR004" not in checked.output
    result = run("docs", str(tmp_path / "env"), "-o", str(tmp_path / "out"), "--today", TODAY)
    assert result.exit_code == 0, result.output
    md_out = (tmp_path / "out" / "architecture.md").read_text()
    checklist = section(md_out, "Compliance checklist")
    [conformance] = [
        r
        for r in checklist.splitlines()
        if r.startswith("| ") and "conformance statements are on file" in r
    ]
    assert cells(conformance)[:3] == [
        "❌",
        "DICOM conformance statements are on file for all systems",
        "not met",
    ]
    assert "  - ❌ `AE007` device 'dose-spmc' has DICOM application entities" in checklist
    [tested] = [
        r
        for r in checklist.splitlines()
        if r.startswith("| ") and "tested within the last 12 months" in r
    ]
    assert cells(tested)[2].startswith("met: ") and cells(tested)[2].endswith(" (1 suppressed)")
    assert "reason: failover test moved to 2027-01; CAB-4411" in checklist
    suppressions = section(md_out, "Suppressions")
    [row] = rows(suppressions, "`DR004`")
    line = text.splitlines().index("    last_tested: 2025-04-18") + 1
    assert cells(row)[1] == f"`continuity.yaml:{line}`"
    assert cells(row)[3:] == ["inline", "failover test moved to 2027-01; CAB-4411"]
    assert "\n## Open findings\n" in md_out and "| warning | `AE007` |" in md_out
    html = (tmp_path / "out" / "architecture.html").read_text()
    assert "failover test moved to 2027-01; CAB-4411" in html
    assert '<span class="status not-met">not met</span>' in html


def test_deselected_rules_are_not_run(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "env")
    (tmp_path / "env" / ".imgpolicy.yaml").write_text("ignore: [DR, ST002]\n")
    result = run("docs", str(tmp_path / "env"), "-o", str(tmp_path / "out"), "--today", TODAY)
    assert result.exit_code == 0
    checklist = section((tmp_path / "out" / "architecture.md").read_text(), "Compliance checklist")
    [row] = [
        r
        for r in checklist.splitlines()
        if r.startswith("| ") and "tested within the last 12 months" in r
    ]
    assert cells(row)[0] == "➖" and cells(row)[2] == "not run (rules not selected)"
    dr_rules = sum(1 for code in all_rules() if code.startswith("DR"))
    assert f"| DR | 0 of {dr_rules} |" in checklist
    # a fully covered item with one of its rules deselected is only partly established
    [storage] = [r for r in checklist.splitlines() if "Storage capacity projections" in r]
    assert cells(storage)[0] == "◐"
    assert cells(storage)[2].startswith("partly: no tier fills")
    assert cells(storage)[2].endswith("growth rates (not selected: `ST002`)")


# --- --check -------------------------------------------------------------------------------


def test_check_mode(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "env")
    out = tmp_path / "docs"
    missing = run("docs", str(tmp_path / "env"), "-o", str(out), "--check", "--today", TODAY)
    assert missing.exit_code == 1 and f"{out / 'architecture.md'}: missing" in missing.output
    assert not out.exists()
    assert run("docs", str(tmp_path / "env"), "-o", str(out), "--today", TODAY).exit_code == 0
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()}
    fresh = run("docs", str(tmp_path / "env"), "-o", str(out), "--check", "--today", TODAY)
    assert fresh.exit_code == 0 and "up to date" in fresh.output
    # without --today, --check judges the documents as of the date they record
    assert run("docs", str(tmp_path / "env"), "-o", str(out), "--check").exit_code == 0
    assert (
        run(
            "docs", str(tmp_path / "env"), "-o", str(out), "--check", "--today", "2026-11-29"
        ).exit_code
        == 1
    )
    routes = tmp_path / "env" / "routes.yaml"
    routes.write_text(
        routes.read_text().replace(
            "    purpose: teleradiology\n    priority: high",
            "    purpose: teleradiology\n    priority: medium",
        )
    )
    stale = run("docs", str(tmp_path / "env"), "-o", str(out), "--check")
    assert stale.exit_code == 1
    assert f"{out / 'architecture.md'}: out of date" in stale.output
    assert f"{out / 'architecture.html'}: out of date" in stale.output
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()} == before
    rewritten = run("docs", str(tmp_path / "env"), "-o", str(out), "--today", TODAY)
    assert rewritten.exit_code == 0 and "wrote" in rewritten.output
    again = run("docs", str(tmp_path / "env"), "-o", str(out), "--today", TODAY)
    assert again.output.count("unchanged") == 2


# --- templates ------------------------------------------------------------------------------


def test_a_site_template_overrides_one_file(tmp_path):
    templates = tmp_path / "templates"
    (templates / "html").mkdir(parents=True)
    (templates / "architecture.md.j2").write_text(
        "# {{ doc.meta.title }} of {{ doc.meta.organisation }}\n\n"
        "{{ doc.summary.counts.aes }} AEs; {{ doc.inventory[0].devices[0].description }}\n"
    )
    (templates / "html" / "style.css.j2").write_text("body { color: rebeccapurple; }\n")
    out = tmp_path / "out"
    result = run(
        "docs", str(EXAMPLE), "-o", str(out), "--today", TODAY, "--templates", str(templates)
    )
    assert result.exit_code == 0, result.output
    assert (
        (out / "architecture.md")
        .read_text()
        .startswith(
            "# Sierra Pacific Regional Health: imaging architecture of Sierra Pacific Regional "
            "Health\n\n66 AEs; Active/passive pair"
        )
    )
    html = (out / "architecture.html").read_text()
    assert "body { color: rebeccapurple; }" in html and '<section id="study-flow">' in html


@pytest.mark.parametrize(
    "template, message",
    [
        ("{{ doc.__class__.__mro__[1].__subclasses__() }}", "SecurityError"),
        ("{{ ''.__class__.__base__.__subclasses__() }}", "SecurityError"),
        ("{{ cycler.__init__.__globals__.os.system('id') }}", "SecurityError"),
        ("{% for x in doc.routes %}{{ x.nme }}{% endfor %}", "UndefinedError"),
        ("{% if %}", "architecture.md.j2:1"),
    ],
)
def test_site_templates_are_sandboxed_and_failures_write_nothing(tmp_path, template, message):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "architecture.md.j2").write_text(template)
    out = tmp_path / "out"
    result = run(
        "docs", str(EXAMPLE), "-o", str(out), "--today", TODAY, "--templates", str(templates)
    )
    assert result.exit_code == 2, result.output
    assert_no_traceback(result)
    assert message in result.output
    assert not out.exists()


# --- escaping -------------------------------------------------------------------------------

PAYLOAD = "<script>document.title='PWNED'</script> | pipe `tick` *star* $x$ [link](http://x)"

HOSTILE = """imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west, description: "Site <b>bold</b> | x"}
devices:
  - name: ct-1
    site: MAIN
    kind: modality
    modality: CT
    description: |
      PAYLOAD
      second line
    manufacturer: "Acme | <i>Imaging</i>"
    conformance_statement: "docs/ct `1`.pdf"
    connections: [{name: dicom, hostname: ct1.example.org}]
    application_entities:
      - ae_title: "CT<B>&\\"|1"
        acceptor: false
        transfer_capabilities:
          - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
  - name: vna
    site: MAIN
    kind: vna
    connections: [{name: dicom, hostname: vna.example.org, port: 104}]
    application_entities:
      - ae_title: VNA
        transfer_capabilities:
          - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
routes:
  - name: ct-to-vna
    from: "CT<B>&\\"|1"
    to: VNA
    purpose: archive
    description: "Route <img src=x onerror=alert(1)> | end"
""".replace("PAYLOAD", PAYLOAD)


def test_user_text_cannot_break_markdown_or_html(tmp_path, write_env):
    root = write_env({"env.yaml": HOSTILE})
    out = tmp_path / "out"
    result = run("docs", str(root), "-o", str(out), "--today", TODAY)
    assert result.exit_code == 0, result.output
    text = (out / "architecture.md").read_text()
    inventory = section(text, "System inventory")
    header = next(r for r in inventory.splitlines() if r.startswith("| Device |"))
    [row] = rows(inventory, "`ct-1`")
    assert len(cells(row)) == len(cells(header))  # the pipes and newline stayed inside
    assert (
        "&lt;script&gt;document.title='PWNED'&lt;/script&gt; \\| pipe \\`tick\\` "
        "\\*star\\* \\$x\\$ \\[link\\](http://x)<br>second line"
    ) in row
    assert "Acme \\| &lt;i&gt;Imaging&lt;/i&gt;" in row
    assert "``docs/ct `1`.pdf``" in row
    ae_table = section(text, "Application entities")
    [ae_row] = [r for r in ae_table.splitlines() if r.startswith("| `CT<B>")]
    assert cells(ae_row)[0] == '`CT<B>&"\\|1`' and len(cells(ae_row)) == 8
    mermaid = re.search(r"```mermaid\n(.*?)```", text, re.S).group(1)
    assert "<B>" not in mermaid and "CT#60;B#62;#38;#34;#124;1" in mermaid
    assert all(re.fullmatch(r"\w+", i) for i in re.findall(r"^\s+(\w+)[\[(]", mermaid, re.M))
    html = (out / "architecture.html").read_text()
    assert "<script" not in html and "<img" not in html and "<b>bold" not in html
    assert "&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;" in html
    assert "Route &lt;img src=x onerror=alert(1)&gt; | end" in html
    assert "CT&lt;B&gt;&amp;&#34;|1" in html or "CT&lt;B&gt;&amp;&quot;|1" in html


def test_escape_helpers():
    assert md("a|b\nc") == "a\\|b<br>c"
    assert md("x <y> & z &amp;") == "x &lt;y&gt; & z &amp;amp;"
    assert md_code("a|b") == "`a\\|b`" and md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"
    assert mermaid_text('A "B" <C> #1;') == "A #34;B#34; #60;C#62; #35;1#59;"
    ids = MermaidIds()
    assert ids("n", "ae:A-B") == "n_ae_A_B" and ids("n", "ae:A_B") == "n_ae_A_B_2"
    assert ids("n", "ae:A-B") == "n_ae_A_B" and ids("layer", "end") == "layer_end"


def test_html_loads_nothing_and_runs_nothing(html_text):
    assert "<script" not in html_text.lower()
    assert not re.search(r"\bsrc\s*=", html_text)
    assert all(h.startswith(("#", "data:")) for h in re.findall(r'href="([^"]*)"', html_text))
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", html_text))
    assert "@import" not in html_text and '<link rel="stylesheet"' not in html_text
    assert "default-src 'none'" in html_text


# --- atomic writes --------------------------------------------------------------------------


def test_a_failure_midway_leaves_no_half_written_document(tmp_path, monkeypatch):
    out = tmp_path / "docs"
    assert run("docs", str(EXAMPLE), "-o", str(out), "--today", TODAY).exit_code == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    fresh = tmp_path / "fresh"
    assert run("docs", str(EXAMPLE), "-o", str(fresh), "--today", "2026-11-29").exit_code == 0
    new = {p.name: p.read_bytes() for p in fresh.iterdir()}
    assert all(old[n] != new[n] for n in old)

    real_replace = os.replace
    calls = []

    def replace_fails_the_second_time(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(fsutil.os, "replace", replace_fails_the_second_time)
    result = run("docs", str(EXAMPLE), "-o", str(out), "--today", "2026-11-29")
    assert result.exit_code == 2
    assert_no_traceback(result)
    assert "cannot write" in result.output and "No space left on device" in result.output
    assert [Path(c).name for c in calls] == ["architecture.md", "architecture.html"]
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(after) == ["architecture.html", "architecture.md"]  # no temp file left
    assert after["architecture.md"] == new["architecture.md"]  # complete, new
    assert after["architecture.html"] == old["architecture.html"]  # intact, old


def test_a_render_failure_writes_nothing(tmp_path, monkeypatch):
    out = tmp_path / "docs"
    assert run("docs", str(EXAMPLE), "-o", str(out), "--today", TODAY).exit_code == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "architecture.html.j2").write_text("{{ doc.nothing.here }}")
    written = []
    monkeypatch.setattr(fsutil, "write_atomic", lambda *a: written.append(a))
    result = run(
        "docs", str(EXAMPLE), "-o", str(out), "--today", "2026-11-29", "--templates", str(templates)
    )
    assert result.exit_code == 2 and "architecture.html.j2" in result.output
    assert not written
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old


# --- scale, flow and start-up -------------------------------------------------------------------


def test_study_paths_agree_with_the_flow_analysis():
    """Per-origin paths, merged, give exactly what Flow computes for all origins at once."""
    loaded = load_environment([str(EXAMPLE)])
    index = Index(loaded, date(2026, 11, 28))
    merged: dict[str, set] = {}
    for _, ae in loaded.environment.application_entities():
        if index.flow.origin(ae.ae_title):
            for title, items in origin_paths(index, ae.ae_title).arrived.items():
                merged.setdefault(title, set()).update(items)
    assert merged == {t: items for t, items in index.flow.arriving.items() if items}


def test_an_enterprise_environment_renders(tmp_path):
    generator = ROOT / "benchmarks" / "generate.py"
    if not generator.is_file():
        pytest.skip("benchmarks/generate.py is not there")
    subprocess.run(
        [
            sys.executable,
            str(generator),
            str(tmp_path / "env"),
            "--sites",
            "4",
            "--aes",
            "160",
            "--routes",
            "500",
        ],
        check=True,
        capture_output=True,
    )
    result = run("docs", str(tmp_path / "env"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "architecture.md").read_text()
    mermaid = re.search(r"```mermaid\n(.*?)```", text, re.S).group(1)
    assert mermaid.count("-->") + mermaid.count("-.->") < 450
    assert "| `" in section(text, "Study flow")
    loaded = check([str(tmp_path / "env")], Config(), today=date(2026, 11, 1))
    view = build_view(loaded, root=str(tmp_path / "env"), today=date(2026, 11, 1))
    assert sum(len(r["origins"]) for r in view["paths"]["rows"]) >= 140


def test_check_does_not_import_jinja2():
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom imgpolicy.cli import main\n"
        f"r = CliRunner().invoke(main, ['check', {str(EXAMPLE)!r}, '--today', '{TODAY}'])\n"
        "assert r.exit_code == 0, r.output\nprint('jinja2' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _tables(text: str) -> list[list[str]]:
    tables, current = [], []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables + ([current] if current else [])


@pytest.mark.parametrize("source", ["example", "hostile"])
def test_every_markdown_table_is_rectangular(source, md_text, tmp_path, write_env):
    if source == "hostile":
        root = write_env({"env.yaml": HOSTILE})
        assert run("docs", str(root), "-o", str(tmp_path / "out"), "--today", TODAY).exit_code == 0
        md_text = (tmp_path / "out" / "architecture.md").read_text()
    tables = _tables(md_text)
    assert len(tables) > (20 if source == "example" else 10)
    for table in tables:
        width = len(cells(table[0]))
        assert re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", table[1].replace(" ", "")), table[:2]
        for row in table:
            assert len(cells(row)) == width, (table[0], row)


# --- the model fields of issue 11 in the documents ------------------------------------------

COMMUNITY = ROOT / "tests" / "corpus" / "normal-practice" / "community-hospital"

ISSUE11_EXTRAS = """\
imgpolicy: 1
site_links:
  - name: vch-colo-ipsec
    sites: [VCH, COLO]
    encryption: ipsec
    description: Site-to-site IPsec over the county fibre
  - name: vch-nite-mpls
    sites: [VCH, NITE]
    encryption: mpls
private_uids:
  - uid: 1.3.12.2.1107.5.9.1
    name: SiemensCSANonImageStorage
    kind: sop-class
    description: Siemens CSA Non-Image (syngo)
sites:
  - name: NITE
    jurisdiction: US-AZ
    region: us-southwest
    teleradiology:
      licensed_in: [US-CA, US-NV]
      credentialing_until: 2027-06-30
      coverage: {from: "22:00", to: "07:00"}
ai:
  - name: ich-triage
    vendor: Example AI
    version: "2.1"
    fda: {pathway: de-novo, number: DEN210044, decision_date: 2021-05-03,
          cleared_versions: ["2.0", "2.1"]}
    cleared_for:
      modalities: [CT]
      body_parts: [HEAD]
      population: {min_age: 18}
    runs_on: PACS_VCH
    deployment: shadow
    monitoring: {last_review: 2026-09-01, every: 6mo}
"""


@pytest.fixture(scope="module")
def issue11_md(tmp_path_factory):
    env = tmp_path_factory.mktemp("issue11") / "env"
    shutil.copytree(COMMUNITY, env)
    (env / "extras.yaml").write_text(ISSUE11_EXTRAS, encoding="utf-8")
    main = env / "environment.yaml"
    text = main.read_text(encoding="utf-8")
    for old, new in (
        (
            "    - {name: vna-vch-disk, device: vna-vch, tier: hot, capacity: 400TB}\n",
            "    - {name: vna-vch-disk, device: vna-vch, tier: hot, capacity: 400TB}\n"
            "    - {name: pacs-vch-cache, device: pacs-vch, tier: hot, capacity: 60TB,"
            " role: cache, high_water: 80%}\n",
        ),
        (
            "    purpose: archive\n    transfer_syntax: JPEG2000Lossless\n",
            "    purpose: archive\n    commitment: true\n"
            "    transfer_syntaxes: {CTImageStorage: JPEG2000Lossless}\n",
        ),
        (
            "    purpose: prefetch\n    transfer_syntax: JPEG2000Lossless\n",
            "    purpose: prefetch\n    method: c-move\n    transfer_syntax: JPEG2000Lossless\n",
        ),
        (
            "    read_only_fallback: viewer-colo\n    last_tested: 2026-06-10\n  - system: ris-vch",
            "    read_only_fallback: viewer-colo\n"
            "    last_test: {date: 2026-06-10, outcome: partial, scope: tabletop}\n"
            "  - system: ris-vch",
        ),
        (
            "  notification_values:\n",
            "  notification_values:\n"
            "    - {exam: Adult brain perfusion, ctdivol_mgy: 600, source: AAPM Dose Check}\n",
        ),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    main.write_text(text, encoding="utf-8")
    out = env.parent / "out"
    result = run("docs", str(env), "-o", str(out), "--today", TODAY)
    assert result.exit_code == 0, result.output
    first = (out / "architecture.md").read_text(encoding="utf-8")
    html = (out / "architecture.html").read_text(encoding="utf-8")
    again = run("docs", str(env), "-o", str(env.parent / "again"), "--today", TODAY)
    assert again.exit_code == 0
    assert (env.parent / "again" / "architecture.md").read_text(encoding="utf-8") == first
    return first, html


def test_the_organisation_names_the_document(issue11_md):
    md_out, html = issue11_md
    assert md_out.splitlines()[1] == "# Valley Community Hospital: imaging architecture"
    assert "<title>Valley Community Hospital: imaging architecture — as of" in html
    assert '<p class="lead">Valley Community Hospital · Sites VCH, COLO, NITE · as of' in html


def test_sites_show_links_emergency_and_teleradiology_contract(issue11_md):
    summary = section(issue11_md[0], "Environment summary")
    assert cells(rows(summary, "`VCH`")[0])[0] == "`VCH` (24/7 ED)"
    assert cells(rows(summary, "`NITE`")[0])[0] == (
        "`NITE` (teleradiology: licensed in US-CA, US-NV; credentialed until 2027-06-30; "
        "reads 22:00-07:00; BAA)"
    )
    assert cells(rows(summary, "`vch-colo-ipsec`")[0])[1:3] == ["VCH ↔ COLO", "ipsec"]
    assert cells(rows(summary, "`vch-nite-mpls`")[0])[2] == "**mpls** (not encrypted)"


def test_conformance_lists_private_uids(issue11_md):
    conformance = section(issue11_md[0], "Conformance matrix")
    [row] = rows(conformance, "SiemensCSANonImageStorage")
    assert cells(row)[1:3] == ["`1.3.12.2.1107.5.9.1`", "sop-class"]


def test_routes_show_per_class_syntax_method_and_commitment(issue11_md):
    flow = section(issue11_md[0], "Study flow")
    archive = cells(rows(flow, "`pacs-to-vna`")[0])[4]
    assert archive.startswith("CTImageStorage: JPEG2000Lossless<br>")
    assert archive.endswith("<br>storage commitment")
    assert cells(rows(flow, "`vna-priors-to-pacs`")[0])[4].endswith("<br>c-move")


def test_storage_continuity_dose_and_ai_fields(issue11_md):
    md_out = issue11_md[0]
    storage = section(md_out, "Storage tiers and lifecycle")
    assert cells(rows(storage, "`pacs-vch-cache`")[0])[3] == "cache, full at 80%"
    assert cells(rows(storage, "`vna-vch-disk`")[0])[3] == "primary"
    dr = section(md_out, "Disaster recovery")
    vna = cells(rows(dr, "`vna-vch` (vna)")[0])
    assert vna[5] == "full copy"
    pacs = cells(rows(dr, "`pacs-vch` (pacs)")[0])
    assert pacs[5] == "90d" and pacs[7].endswith(": **partial**, tabletop")
    dose = cells(rows(section(md_out, "Dose reference levels"), "Adult brain perfusion")[0])
    assert dose == ["Adult brain perfusion", "CT", "600", "", "AAPM Dose Check"]
    assert "alert values (accumulated per examination): CTDIvol 1000 mGy." in md_out
    [ai] = rows(section(md_out, "Imaging AI"), "`ich-triage`")
    assert cells(ai)[2] == "De Novo `DEN210044` granted (2021-05-03), versions 2.0, 2.1"
    assert cells(ai)[3] == "CT: HEAD (age 18+)"
    assert cells(ai)[5] == "shadow; reviewed 2026-09-01, every 6mo"


def test_new_device_kinds_are_counted(tmp_path):
    shutil.copytree(COMMUNITY, tmp_path / "env")
    (tmp_path / "env" / "more.yaml").write_text(
        "imgpolicy: 1\ndevices:\n"
        "  - {name: ie-vch, site: VCH, kind: interface-engine}\n"
        "  - {name: ntp-vch, site: VCH, kind: time-server}\n",
        encoding="utf-8",
    )
    result = run("docs", str(tmp_path / "env"), "-o", str(tmp_path / "out"), "--today", TODAY)
    assert result.exit_code == 0, result.output
    summary = section((tmp_path / "out" / "architecture.md").read_text(), "Environment summary")
    assert cells(rows(summary, "Interface engine")[0]) == ["Interface engine", "1", "0"]
    assert cells(rows(summary, "Time server")[0]) == ["Time server", "1", "0"]
