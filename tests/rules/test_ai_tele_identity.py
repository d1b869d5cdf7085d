"""Slice 5 of issue 11: AI scope and governance, teleradiology licensure, patient identity,
encounter-based workflow, shared listeners, never-stat modalities and de-identification.

Each test plants one fact a real hospital has (or lacks) in a small environment and checks
the rule that reads it, with the file:line it reports.
"""

from __future__ import annotations

from datetime import date

import pytest

from imgpolicy.config import Config
from imgpolicy.engine import check
from imgpolicy.findings import Severity
from tests.conftest import assert_no_traceback, run

TODAY = date(2026, 11, 28)

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
  - {name: RENO, jurisdiction: US-NV, region: us-west}
"""

CT = """\
  - name: {name}
    site: {site}
    kind: modality
    modality: CT
    application_entities:
      - ae_title: {title}
        acceptor: false
        transfer_capabilities:
          - {{sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}}
"""

STORE = """\
  - name: {name}
    site: {site}
    kind: {kind}
    application_entities:
      - ae_title: {title}
        transfer_capabilities:
          - {{sop_classes: [CTImageStorage, ComprehensiveSRStorage], role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}}
          - {{sop_classes: [CTImageStorage, ComprehensiveSRStorage], role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}}
"""


def devices(*blocks: str) -> str:
    return "imgpolicy: 1\ndevices:\n" + "".join(blocks)


def ct(name: str, site: str, title: str) -> str:
    return CT.format(name=name, site=site, title=title)


def store(name: str, site: str, title: str, kind: str = "pacs") -> str:
    return STORE.format(name=name, site=site, title=title, kind=kind)


def findings(write_env, files: dict[str, str], *select: str, config: Config | None = None):
    root = write_env({"sites.yaml": SITES, **files})
    result = check([str(root)], config or Config(select=list(select)), today=TODAY)
    assert result.load.findings == [], [f.message for f in result.load.findings]
    return result.active


def brief(found) -> list[tuple[str, str, int]]:
    return [(f.code, f.location.path.rsplit("/", 1)[-1], f.location.line) for f in found]


# --- AI001: pathways, deployment, jurisdiction ------------------------------------------

AI_HOST = devices(ct("ct-1", "MAIN", "CT_1"), store("ai", "MAIN", "AI_1", kind="ai"))


def product(fda: str, extra: str = "") -> str:
    return (
        "imgpolicy: 1\nai:\n  - name: bone-age\n"
        f"    fda: {fda}\n"
        "    cleared_for: {modalities: [CT]}\n"
        "    runs_on: AI_1\n" + extra
    )


@pytest.mark.parametrize("deployment", ["research", "shadow"])
def test_ai001_leaves_research_and_shadow_deployments_alone(write_env, deployment):
    files = {"devices.yaml": AI_HOST, "ai.yaml": product("{pathway: none}")}
    assert brief(findings(write_env, files, "AI001")) == [("AI001", "ai.yaml", 4)]
    files["ai.yaml"] = product("{pathway: none}", f"    deployment: {deployment}\n")
    assert findings(write_env, files, "AI001") == []


def test_ai001_applies_to_us_sites_only(write_env):
    files = {"devices.yaml": AI_HOST, "ai.yaml": product("{pathway: none}")}
    sites = SITES.replace("jurisdiction: US-CA", "jurisdiction: CA-ON")
    root = write_env({**files, "sites.yaml": sites})
    assert check([str(root)], Config(select=["AI001"]), today=TODAY).active == []


def test_ai001_accepts_a_pre_2012_de_novo_k_number_and_says_granted_otherwise(write_env):
    files = {"devices.yaml": AI_HOST}
    files["ai.yaml"] = product("{pathway: de-novo, number: K083523, decision_date: 2009-06-01}")
    assert findings(write_env, files, "AI001") == []
    files["ai.yaml"] = product("{pathway: de-novo, number: K183523, decision_date: 2019-06-01}")
    [finding] = findings(write_env, files, "AI001")
    assert "De Novos granted since 2012 are numbered DEN" in finding.message


def test_decision_date_is_written_once(write_env):
    ai = product(
        "{pathway: 510k, number: K232817, cleared_on: 2023-11-20, decision_date: 2023-11-20}"
    )
    root = write_env({"sites.yaml": SITES, "devices.yaml": AI_HOST, "ai.yaml": ai})
    result = check([str(root)], Config(), today=TODAY)
    assert [f.code for f in result.load.findings] == ["SCHEMA004"]
    assert "`cleared_on` or `decision_date`" in result.load.findings[0].message


# --- AI002 / AI008: body parts and ages ---------------------------------------------------

ICH = """\
imgpolicy: 1
ai:
  - name: ich-triage
    fda: {pathway: 510k, number: K232817}
    cleared_for: {modalities: [CT], body_parts: [HEAD], population: {min_age: 18}}
    runs_on: AI_1
    monitoring: {last_review: 2026-10-01}
"""


def ai_route(match: str = "") -> str:
    return (
        "imgpolicy: 1\nroutes:\n  - name: ct-to-ai\n    from: CT_1\n    to: AI_1\n"
        "    purpose: ai\n" + (f"    match: {match}\n" if match else "")
    )


def test_ai002_a_head_product_receiving_every_ct_is_found_at_the_route(write_env):
    files = {"devices.yaml": AI_HOST, "ai.yaml": ICH, "routes.yaml": ai_route()}
    [finding] = findings(write_env, files, "AI002")
    assert brief([finding]) == [("AI002", "routes.yaml", 3)]
    assert "sends every CT study to AI_1" in finding.message
    assert "cleared for HEAD only" in finding.message
    assert [(r.location.line, r.message) for r in finding.related] == [
        (5, "'ich-triage' is cleared for HEAD")
    ]


def test_ai002_body_part_filter_is_compared_ignoring_case_and_names_extra_parts(write_env):
    files = {"devices.yaml": AI_HOST, "ai.yaml": ICH}
    files["routes.yaml"] = ai_route("{body_part: [head], min_age: 18}")
    assert findings(write_env, files, "AI002") == []
    files["routes.yaml"] = ai_route("{body_part: [HEAD, CHEST], min_age: 18}")
    [finding] = findings(write_env, files, "AI002")
    assert "sends CT of CHEST to AI_1" in finding.message


def test_ai002_modality_and_body_part_findings_have_distinct_identities(write_env):
    mr = ct("mr-1", "MAIN", "MR_1").replace("modality: CT", "modality: MR")
    mr = mr.replace("CTImageStorage", "MRImageStorage")
    host = AI_HOST.replace("[CTImageStorage, Comp", "[CTImageStorage, MRImageStorage, Comp")
    routes = ai_route() + "  - {name: mr-to-ai, from: MR_1, to: AI_1, purpose: ai}\n"
    routes = routes.replace("from: CT_1", "from: CT_1").replace(
        "  - name: ct-to-ai", "  - name: ct-to-ai"
    )
    files = {"devices.yaml": host + mr, "ai.yaml": ICH, "routes.yaml": routes}
    found = findings(write_env, files, "AI002")
    assert sorted((f.entity, f.detail) for f in found) == [
        ("route:ct-to-ai", "ich-triage: body part"),
        ("route:mr-to-ai", "ich-triage"),
    ]


def test_input_selection_leaves_body_parts_and_ages_to_the_ai_platform(write_env):
    ai = ICH + "    input_selection: orchestrator rule on Body Part Examined HEAD, age >= 18\n"
    files = {"devices.yaml": AI_HOST, "ai.yaml": ai, "routes.yaml": ai_route()}
    assert findings(write_env, files, "AI002", "AI008") == []


def test_ai008_adult_product_without_an_age_filter_is_a_warning(write_env):
    files = {"devices.yaml": AI_HOST, "ai.yaml": ICH}
    files["routes.yaml"] = ai_route("{body_part: [HEAD]}")
    [finding] = findings(write_env, files, "AI008")
    assert finding.severity is Severity.WARNING
    assert "studies of all ages" in finding.message and "from 18" in finding.message
    files["routes.yaml"] = ai_route("{body_part: [HEAD], min_age: 16}")
    [finding] = findings(write_env, files, "AI008")
    assert "patients from 16" in finding.message
    files["routes.yaml"] = ai_route("{body_part: [HEAD], min_age: 18}")
    assert findings(write_env, files, "AI008") == []


# --- AI006 / AI007: installed version, monitoring ---------------------------------------


def test_ai006_installed_version_outside_the_cleared_ones(write_env):
    fda = '{pathway: 510k, number: K232817, cleared_versions: ["4.2", "4.3"]}'
    files = {"devices.yaml": AI_HOST, "ai.yaml": product(fda, '    version: "5.0"\n')}
    [finding] = findings(write_env, files, "AI006")
    assert brief([finding]) == [("AI006", "ai.yaml", 7)]
    assert "version 5.0" in finding.message and "4.2, 4.3" in finding.message
    files["ai.yaml"] = product(fda, '    version: "4.3"\n')
    assert findings(write_env, files, "AI006") == []
    files["ai.yaml"] = product(fda)
    assert "not the installed one" in findings(write_env, files, "AI006")[0].message


@pytest.mark.parametrize(
    "monitoring, fragment",
    [
        ("", "no performance review on record"),
        ("    monitoring: {last_review: 2026-01-15, every: 6mo}\n", "more than 6mo"),
        ("    monitoring: {last_review: 2025-10-01}\n", "more than 12mo"),
        ("    monitoring: {last_review: 2027-01-15}\n", "after today"),
    ],
)
def test_ai007_review_missing_overdue_or_in_the_future(write_env, monitoring, fragment):
    ai = product("{pathway: 510k, number: K232817}", monitoring)
    [finding] = findings(write_env, {"devices.yaml": AI_HOST, "ai.yaml": ai}, "AI007")
    assert fragment in finding.message


def test_ai007_recent_review_shadow_products_and_the_every_option(write_env):
    fda = "{pathway: 510k, number: K232817}"
    files = {"devices.yaml": AI_HOST}
    files["ai.yaml"] = product(fda, "    monitoring: {last_review: 2026-06-01, every: 6mo}\n")
    assert findings(write_env, files, "AI007") == []
    files["ai.yaml"] = product(fda, "    deployment: shadow\n")
    assert findings(write_env, files, "AI007") == []
    files["ai.yaml"] = product(fda, "    monitoring: {last_review: 2026-06-01}\n")
    config = Config(select=["AI007"], rules={"AI007": {"every": "3mo"}})
    assert len(findings(write_env, files, config=config)) == 1


# --- TEL001 / TEL002 -----------------------------------------------------------------------

TELE_SITE = """\
  - name: NIGHTREAD
    jurisdiction: US-AZ
    region: us-southwest
    teleradiology: {licensed_in: [US-CA]}
"""

TELE_DEVICES = devices(
    ct("ct-main", "MAIN", "CT_MAIN"),
    ct("ct-reno", "RENO", "CT_RENO"),
    store("router", "MAIN", "ROUTER", kind="router"),
    store("tele-pacs", "NIGHTREAD", "TELE_PACS"),
)

TELE_ROUTES = """\
imgpolicy: 1
routes:
  - {name: main-in, from: CT_MAIN, to: ROUTER, purpose: forward}
  - {name: reno-in, from: CT_RENO, to: ROUTER, purpose: forward}
  - {name: router-to-tele, from: ROUTER, to: TELE_PACS, purpose: teleradiology}
"""


def tele_files(site: str = TELE_SITE) -> dict[str, str]:
    return {
        "tele.yaml": "imgpolicy: 1\nsites:\n" + site,
        "devices.yaml": TELE_DEVICES,
        "routes.yaml": TELE_ROUTES,
    }


def test_tel001_nevada_studies_through_the_router_to_a_reader_licensed_in_california(
    write_env,
):
    [finding] = findings(write_env, tele_files(), "TEL001")
    assert brief([finding]) == [("TEL001", "tele.yaml", 6)]
    assert "studies from RENO (US-NV)" in finding.message
    assert finding.detail == "US-NV"
    assert [(r.location.path.rsplit("/", 1)[-1], r.location.line) for r in finding.related] == [
        ("sites.yaml", 4)
    ]


def test_tel001_licensed_everywhere_or_licensure_not_recorded(write_env):
    licensed = TELE_SITE.replace("[US-CA]", "[US-CA, US-NV]")
    assert findings(write_env, tele_files(licensed), "TEL001") == []
    unrecorded = TELE_SITE.replace("{licensed_in: [US-CA]}", "true")
    assert findings(write_env, tele_files(unrecorded), "TEL001") == []


def test_tel001_a_route_that_keeps_nevada_off_the_tele_route_passes(write_env):
    files = tele_files()
    files["routes.yaml"] = TELE_ROUTES.replace(
        "purpose: teleradiology}", "purpose: teleradiology, match: {calling_ae: CT_MAIN}}"
    )
    assert findings(write_env, files, "TEL001") == []


def test_tel002_credentialing_agreement_ended(write_env):
    site = TELE_SITE.replace("{licensed_in: [US-CA]}", "{credentialing_until: 2026-06-30}")
    [finding] = findings(write_env, tele_files(site), "TEL002")
    assert "ended on 2026-06-30" in finding.message
    site = TELE_SITE.replace("{licensed_in: [US-CA]}", "{credentialing_until: 2027-06-30}")
    assert findings(write_env, tele_files(site), "TEL002") == []


# --- PID001 / PID002 -----------------------------------------------------------------------

ID_DEVICES = devices(
    ct("ct-main", "MAIN", "CT_MAIN"),
    ct("ct-reno", "RENO", "CT_RENO"),
    store("vna", "MAIN", "VNA", kind="vna"),
    store("vna-dr", "RENO", "VNA_DR", kind="vna"),
    "  - {name: ehr, site: MAIN, kind: emr}\n",
)
ID_ROUTES = """\
imgpolicy: 1
routes:
  - {name: main-to-vna, from: CT_MAIN, to: VNA, purpose: archive}
  - {name: reno-to-vna, from: CT_RENO, to: VNA, purpose: archive}
  - {name: vna-to-dr, from: VNA, to: VNA_DR, purpose: replication}
"""


def feed(messages: str = "[ADT]", events: str = "[]") -> str:
    return (
        "imgpolicy: 1\nintegrations:\n"
        "  - {name: adt, kind: hl7, source: ehr, target: vna, endpoint: 'mllps://vna:2575', "
        f"messages: {messages}, events: {events}}}\n"
    )


def test_pid001_an_archive_without_adt_but_not_its_replica(write_env):
    files = {"devices.yaml": ID_DEVICES, "routes.yaml": ID_ROUTES, "hl7.yaml": feed("[ORM]")}
    [finding] = findings(write_env, files, "PID001")
    assert finding.entity == "device:vna" and finding.severity is Severity.WARNING
    assert "no HL7 ADT feed" in finding.message
    for fed in (feed("[ADT]"), feed("[]", '["ADT^A40"]'), feed("[]")):
        files["hl7.yaml"] = fed
        assert findings(write_env, files, "PID001") == []


def test_pid001_de_identified_research_copies_need_no_adt(write_env):
    research = store("xnat", "MAIN", "XNAT", kind="pacs")
    routes = ID_ROUTES + (
        "  - {name: to-xnat, from: VNA, to: XNAT, purpose: research, "
        "deidentify: {profile: PS3.15 Annex E Basic Application Level Confidentiality Profile}}\n"
    )
    files = {"devices.yaml": ID_DEVICES + research, "routes.yaml": routes, "hl7.yaml": feed()}
    assert findings(write_env, files, "PID001") == []


def test_pid002_two_sites_share_the_archive_without_issuers(write_env):
    files = {"devices.yaml": ID_DEVICES, "routes.yaml": ID_ROUTES}
    [finding] = findings(write_env, files, "PID002")
    assert "studies of sites MAIN, RENO, but MAIN, RENO declare no Issuer" in finding.message
    assert [r.location.line for r in finding.related] == [3, 4]
    sites = SITES.replace("region: us-west}", "region: us-west, patient_id_issuer: SPRH}")
    root = write_env({"sites.yaml": sites, **files})
    assert check([str(root)], Config(select=["PID002"]), today=TODAY).active == []


def test_pid002_a_device_issuer_overrides_and_a_single_site_is_one_domain(write_env):
    sites = SITES.replace(
        "{name: MAIN, jurisdiction: US-CA, region: us-west}",
        "{name: MAIN, jurisdiction: US-CA, region: us-west, patient_id_issuer: MAIN_MRN}",
    )
    reno = ct("ct-reno", "RENO", "CT_RENO").replace(
        "    kind: modality\n", "    kind: modality\n    patient_id_issuer: RENO_MRN\n"
    )
    devs = ID_DEVICES.replace(ct("ct-reno", "RENO", "CT_RENO"), reno)
    root = write_env({"sites.yaml": sites, "devices.yaml": devs, "routes.yaml": ID_ROUTES})
    assert check([str(root)], Config(select=["PID002"]), today=TODAY).active == []
    single = ID_ROUTES.replace(
        "  - {name: reno-to-vna, from: CT_RENO, to: VNA, purpose: archive}\n", ""
    )
    files = {"devices.yaml": ID_DEVICES, "routes.yaml": single}
    assert findings(write_env, files, "PID002") == []


def test_pid002_a_worklist_serving_two_sites(write_env):
    mwl = "{sop_class: ModalityWorklistInformationModelFind, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}"
    devs = ID_DEVICES.replace(
        "{sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}",
        "{sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}\n"
        f"          - {mwl}",
    ) + (
        "  - name: ris\n    site: MAIN\n    kind: ris\n    application_entities:\n"
        "      - ae_title: RIS\n        transfer_capabilities:\n"
        "          - {sop_class: ModalityWorklistInformationModelFind, role: SCP, "
        "transfer_syntaxes: [ExplicitVRLittleEndian]}\n"
    )
    worklist = "imgpolicy: 1\nworklist:\n  - {provider: RIS, consumers: [CT_MAIN, CT_RENO]}\n"
    files = {"devices.yaml": devs, "worklist.yaml": worklist}
    [finding] = findings(write_env, files, "PID002")
    assert brief([finding]) == [("PID002", "worklist.yaml", 3)]
    assert finding.message.startswith("worklist provider RIS serves studies of sites MAIN, RENO")


# --- WL001, AE002, TAT002 -------------------------------------------------------------------


def test_wl001_encounter_based_devices_need_no_worklist(write_env):
    pocus = ct("pocus-1", "MAIN", "POCUS_1").replace("modality: CT", "modality: US")
    files = {"devices.yaml": devices(pocus)}
    assert brief(findings(write_env, files, "WL001")) == [("WL001", "devices.yaml", 8)]
    encounter = pocus.replace(
        "    kind: modality\n", "    kind: modality\n    workflow: encounter-based\n"
    )
    assert findings(write_env, {"devices.yaml": devices(encounter)}, "WL001") == []


def listener(name: str, title: str, cluster: str = "") -> str:
    extra = f"    cluster: {cluster}\n" if cluster else ""
    return (
        f"  - name: {name}\n    site: MAIN\n    kind: pacs\n{extra}"
        "    connections:\n      - {name: dicom, hostname: pacs-vip.example.org, port: 104}\n"
        f"    application_entities:\n      - {{ae_title: {title}, connections: [dicom]}}\n"
    )


def test_ae002_is_a_warning_and_a_declared_cluster_shares_its_listener(write_env):
    files = {"devices.yaml": devices(listener("pacs-a", "PACS_A"), listener("pacs-b", "PACS_B"))}
    [finding] = findings(write_env, files, "AE002")
    assert finding.severity is Severity.WARNING and "same `cluster`" in finding.message
    clustered = devices(
        listener("pacs-a", "PACS_A", "pacs-vip"), listener("pacs-b", "PACS_B", "pacs-vip")
    )
    assert findings(write_env, {"devices.yaml": clustered}, "AE002") == []
    other = devices(listener("pacs-a", "PACS_A", "pacs-vip"), listener("pacs-b", "PACS_B", "x"))
    assert len(findings(write_env, {"devices.yaml": other}, "AE002")) == 1


def test_tat002_bone_densitometry_needs_a_target_but_no_stat_one(write_env):
    dxa = "imgpolicy: 1\ndevices:\n  - {name: dxa-1, site: MAIN, kind: modality, modality: BMD}\n"
    [finding] = findings(write_env, {"devices.yaml": dxa}, "TAT002")
    assert "(at least routine)" in finding.message
    reading = "imgpolicy: 1\nreading:\n  turnaround:\n    - {priority: routine, modality: BMD, target: 3d}\n"
    assert findings(write_env, {"devices.yaml": dxa, "reading.yaml": reading}, "TAT002") == []


# --- RT012 -------------------------------------------------------------------------------

EGRESS_DEVICES = devices(store("pacs", "MAIN", "PACS"), store("research", "MAIN", "RESEARCH"))


def test_rt012_research_route_without_deidentification(write_env):
    routes = "imgpolicy: 1\nroutes:\n  - {name: to-research, from: PACS, to: RESEARCH, purpose: research}\n"
    [finding] = findings(
        write_env, {"devices.yaml": EGRESS_DEVICES, "routes.yaml": routes}, "RT012"
    )
    assert brief([finding]) == [("RT012", "routes.yaml", 3)]
    assert (
        finding.severity is Severity.ERROR
        and "for research without de-identification" in finding.message
    )
    deid = routes.replace("purpose: research}", "purpose: research, deidentify: {}}")
    assert findings(write_env, {"devices.yaml": EGRESS_DEVICES, "routes.yaml": deid}, "RT012") == []


def test_rt012_a_reader_without_baa_and_the_deidentifier_itself(write_env):
    tele = TELE_SITE.replace("{licensed_in: [US-CA]}", "{baa: false}")
    devs = devices(store("pacs", "MAIN", "PACS"), store("tele", "NIGHTREAD", "TELE"))
    routes = (
        "imgpolicy: 1\nroutes:\n  - {name: to-tele, from: PACS, to: TELE, purpose: teleradiology}\n"
    )
    files = {
        "tele.yaml": "imgpolicy: 1\nsites:\n" + tele,
        "devices.yaml": devs,
        "routes.yaml": routes,
    }
    [finding] = findings(write_env, files, "RT012")
    assert "without a business associate agreement" in finding.message
    anonymizer = store("ctp", "MAIN", "CTP", kind="deidentifier")
    files["devices.yaml"] = devs + anonymizer
    files["routes.yaml"] = (
        "imgpolicy: 1\nroutes:\n  - {name: to-ctp, from: PACS, to: CTP, purpose: research}\n"
        "  - {name: ctp-to-tele, from: CTP, to: TELE, purpose: teleradiology}\n"
    )
    assert findings(write_env, files, "RT012") == []


# --- the model: fields keep old files valid and say what is wrong -----------------------


def test_teleradiology_true_stays_valid_and_a_wrong_value_is_one_clear_error(write_env, tmp_path):
    for value in (
        "true",
        "false",
        "{licensed_in: [US-CA], baa: true, coverage: {from: '22:00', to: '07:00'}}",
    ):
        site = f"imgpolicy: 1\nsites:\n  - {{name: T, jurisdiction: US-AZ, region: r, teleradiology: {value}}}\n"
        result = run("check", str(write_env({"t.yaml": site})))
        assert result.exit_code == 0, result.output
    bad = "imgpolicy: 1\nsites:\n  - {name: T, jurisdiction: US-AZ, region: r, teleradiology: 'yes'}\n"
    (tmp_path / "t.yaml").write_text(bad, encoding="utf-8")
    result = run("check", str(tmp_path))
    assert_no_traceback(result)
    lines = [line for line in result.output.splitlines() if "SCHEMA" in line]
    assert len(lines) == 1 and "t.yaml:3:" in lines[0] and "sites[0].teleradiology:" in lines[0]


def test_hl7_events_and_coverage_times_say_what_to_write(tmp_path):
    bad = (
        "imgpolicy: 1\nsites:\n  - name: T\n    jurisdiction: US-AZ\n"
        "    region: r\n    teleradiology: {coverage: {from: '25:00', to: '07:00'}}\n"
        "integrations:\n  - {name: adt, kind: hl7, source: a, target: b, endpoint: 'mllp://x:1', "
        "events: [adt^a08]}\n"
    )
    (tmp_path / "a.yaml").write_text(bad, encoding="utf-8")
    result = run("check", str(tmp_path))
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert "a.yaml:6:" in result.output and "'25:00' is not a time of day" in result.output
    assert "a.yaml:8:" in result.output and "(did you mean 'ADT^A08'?)" in result.output


def test_organisation_and_audit_are_set_once_per_environment(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(
            f"imgpolicy: 1\norganisation: {{name: {name}}}\naudit: {{repository: atna}}\n",
            encoding="utf-8",
        )
    result = run("check", str(tmp_path))
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert "setting 'organisation' is defined twice" in result.output
    assert "setting 'audit' is defined twice" in result.output
