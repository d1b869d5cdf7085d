"""Slice 3 of issue 11: dose rules that follow how real imaging departments work, and US
federal law (MQSA) only where it applies.

Each test builds a small environment, runs one rule family and asserts file:line and the
words a PACS administrator acts on.
"""

from __future__ import annotations

from datetime import date

import pytest

from imgpolicy.analysis.jurisdiction import is_us
from imgpolicy.config import Config
from imgpolicy.engine import check
from imgpolicy.findings import Severity
from imgpolicy.load import load_environment

TODAY = date(2026, 11, 28)

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
"""


def line_of(text: str, marker: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def run(write_env, files: dict[str, str], *select: str, rules=None):
    root = write_env(files)
    result = check([str(root)], Config(select=list(select), rules=rules or {}), today=TODAY)
    assert result.load.findings == [], [f.message for f in result.load.findings]
    return result.active


def brief(findings):
    return [
        (f.code, f.location.path.rsplit("/", 1)[-1], f.location.line, f.severity.label)
        for f in findings
    ]


# --- jurisdiction --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "jurisdiction, us",
    [("US", True), ("US-CA", True), ("US-PR", True), ("CA-ON", False), ("NO", False)],
)
def test_only_the_us_and_its_states_are_us(jurisdiction, us):
    assert is_us(jurisdiction) is us


# --- RET003 / RET004: MQSA for US facilities only ------------------------------------------

MAMMOGRAPHY = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: JURISDICTION, region: r}
devices:
  - {name: mg-1, site: MAIN, kind: modality, modality: MG}
retention:
  - {name: adult, jurisdiction: JURISDICTION, patient_category: adult, keep: 7y}
  - {name: pediatric, jurisdiction: JURISDICTION, patient_category: pediatric, keep_until_age: 18, plus: 1y, keep: 7y}
  - {name: mammography, jurisdiction: JURISDICTION, modality: MG, keep: 7y}
"""


@pytest.mark.parametrize("jurisdiction", ["CA-ON", "NO"])
def test_mammography_outside_the_us_is_no_mqsa_finding(write_env, jurisdiction):
    env = MAMMOGRAPHY.replace("JURISDICTION", jurisdiction)
    assert run(write_env, {"env.yaml": env}, "RET003", "RET004") == []


def test_mammography_in_a_us_state_still_is(write_env):
    env = MAMMOGRAPHY.replace("JURISDICTION", "US-CA")
    found = sorted(run(write_env, {"env.yaml": env}, "RET003", "RET004"), key=lambda f: f.code)
    assert brief(found) == [
        ("RET003", "env.yaml", line_of(env, "name: mammography"), "error"),
        ("RET004", "env.yaml", line_of(env, "name: mammography"), "warning"),
    ]
    assert "FDA MQSA Policy Guidance" in found[1].message


# --- DOSE001: error for CT, warning elsewhere, US legal references for US sites -------------

NO_LEVELS = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: JURISDICTION, region: r}
devices:
  - {name: ct-1, site: MAIN, kind: modality, modality: CT}
  - {name: dx-1, site: MAIN, kind: modality, modality: DX}
"""


def test_a_ct_without_drl_is_an_error_and_radiography_a_warning(write_env):
    env = NO_LEVELS.replace("JURISDICTION", "US-CA")
    found = run(write_env, {"env.yaml": env}, "DOSE001")
    assert brief(found) == [
        ("DOSE001", "env.yaml", line_of(env, "ct-1"), "error"),
        ("DOSE001", "env.yaml", line_of(env, "dx-1"), "warning"),
    ]
    assert "benchmark for the facility's median dose" in found[0].message
    assert "The Joint Commission" in found[0].message
    assert "California Health and Safety Code 115111-115113" in found[0].message
    assert "Joint Commission" not in found[1].message  # CT only


@pytest.mark.parametrize("jurisdiction, legal", [("US-NV", "Joint Commission"), ("CA-ON", "")])
def test_legal_references_follow_the_site(write_env, jurisdiction, legal):
    env = NO_LEVELS.replace("JURISDICTION", jurisdiction)
    [ct, _] = run(write_env, {"env.yaml": env}, "DOSE001")
    assert "California" not in ct.message
    assert ("Joint Commission" in ct.message) is bool(legal)


def test_error_modalities_option_and_a_configured_severity(write_env):
    env = NO_LEVELS.replace("JURISDICTION", "US-CA")
    found = run(
        write_env, {"env.yaml": env}, "DOSE001", rules={"DOSE001": {"error_modalities": ["DX"]}}
    )
    assert [f.severity for f in found] == [Severity.WARNING, Severity.ERROR]
    found = run(
        write_env, {"env.yaml": env}, "DOSE001", rules={"DOSE001": {"severity": Severity.INFO}}
    )
    assert [f.severity for f in found] == [Severity.INFO, Severity.INFO]


# --- DOSE002: dose_report, RRDSR from the hot lab, pulling monitors --------------------------

MONITOR = """\
  - name: dose-main
    site: MAIN
    kind: dose-monitor
    application_entities:
      - ae_title: DOSE_MON
        transfer_capabilities:
          - sop_classes: [XRayRadiationDoseSRStorage, RadiopharmaceuticalRadiationDoseSRStorage]
            role: SCP
            transfer_syntaxes: [ImplicitVRLittleEndian]
"""


def modality(name: str, codes: str, classes: str, extra: str = "") -> str:
    title = name.upper().replace("-", "_")
    return f"""\
  - name: {name}
    site: MAIN
    kind: modality
    modality: {codes}{extra}
    application_entities:
      - ae_title: {title}
        acceptor: false
        transfer_capabilities:
          - {{sop_classes: [{classes}], role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}}
"""


HOT_LAB = """\
  - name: hotlab
    site: MAIN
    kind: radiopharmacy
    description: Radiopharmacy system; records each administered activity and sends the RRDSR
    application_entities:
      - ae_title: HOTLAB
        acceptor: false
        transfer_capabilities:
          - {sop_class: RadiopharmaceuticalRadiationDoseSRStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
"""


def env_of(devices: str, routes: str = "", dose: str = "  monitor: DOSE_MON\n") -> str:
    text = SITES + "devices:\n" + devices + MONITOR
    if routes:
        text += "routes:\n" + routes
    return text + "dose:\n" + dose


def test_units_that_make_no_dose_sr_are_left_alone(write_env):
    # a CR reader and an NM camera (defaults: none); a legacy DX declared dose_report: none
    devices = (
        modality("cr-1", "CR", "ComputedRadiographyImageStorage")
        + modality("nm-1", "NM", "NuclearMedicineImageStorage")
        + modality(
            "dx-old",
            "DX",
            "DigitalXRayImageStorageForPresentation",
            "\n    dose_report: none",
        )
    )
    assert run(write_env, {"env.yaml": env_of(devices)}, "DOSE002", "DOSE003") == []


def test_default_dx_without_rdsr_is_a_warning_and_ct_an_error(write_env):
    devices = modality("dx-1", "DX", "DigitalXRayImageStorageForPresentation") + modality(
        "ct-1", "CT", "CTImageStorage"
    )
    env = env_of(devices)
    found = run(write_env, {"env.yaml": env}, "DOSE002")
    assert brief(found) == [
        ("DOSE002", "env.yaml", line_of(env, "ae_title: DX_1"), "warning"),
        ("DOSE002", "env.yaml", line_of(env, "ae_title: CT_1"), "error"),
    ]
    assert "set dose_report: none on the device when it cannot make one" in found[0].message


def test_an_nm_camera_whose_rrdsr_comes_from_no_declared_source(write_env):
    devices = modality("nm-1", "NM", "NuclearMedicineImageStorage", "\n    dose_report: rrdsr")
    env = env_of(devices)
    [found] = run(write_env, {"env.yaml": env}, "DOSE002")
    assert brief([found]) == [("DOSE002", "env.yaml", line_of(env, "dose_report"), "warning")]
    assert "Radiopharmaceutical Radiation Dose SRs (RRDSR)" in found.message
    assert "dose.rrdsr_source" in found.message and "IHE REM-NM" in found.message


def test_the_hot_lab_rrdsr_reaches_the_monitor(write_env):
    devices = (
        modality("nm-1", "NM", "NuclearMedicineImageStorage", "\n    dose_report: rrdsr")
        + modality(
            "petct-1",
            "[PT, CT]",
            "PositronEmissionTomographyImageStorage, CTImageStorage, XRayRadiationDoseSRStorage",
            "\n    dose_report: [rdsr, rrdsr]",
        )
        + HOT_LAB
    )
    routes = (
        "  - {name: hotlab-dose, from: HOTLAB, to: DOSE_MON, purpose: dose}\n"
        "  - name: petct-dose\n    from: PETCT_1\n    to: DOSE_MON\n    purpose: dose\n"
        "    match: {sop_classes: [XRayRadiationDoseSRStorage]}\n"
    )
    dose = "  monitor: DOSE_MON\n  rrdsr_source: hotlab\n"
    env = env_of(devices, routes, dose)
    assert run(write_env, {"env.yaml": env}, "DOSE002", "DOSE003") == []
    # without the hot lab's route, the finding is at dose.rrdsr_source, naming both devices
    env = env.replace("  - {name: hotlab-dose, from: HOTLAB, to: DOSE_MON, purpose: dose}\n", "")
    [found] = run(write_env, {"env.yaml": env}, "DOSE002")
    assert brief([found]) == [("DOSE002", "env.yaml", line_of(env, "rrdsr_source"), "warning")]
    assert "the RRDSRs of nm-1, petct-1" in found.message
    assert "no route path brings to the dose monitor DOSE_MON" in found.message
    assert {r.message for r in found.related} == {"nm-1 relies on it", "petct-1 relies on it"}


@pytest.mark.parametrize(
    "source, hot_lab, expected",
    [
        ("hot-lab", HOT_LAB, "is no device (did you mean 'hotlab'?)"),
        ("hotlab", HOT_LAB.replace("kind: radiopharmacy", "kind: other"), "set"),
        (
            "hotlab",
            HOT_LAB.replace(
                "RadiopharmaceuticalRadiationDoseSRStorage", "SecondaryCaptureImageStorage"
            ),
            "is not SCU for RadiopharmaceuticalRadiationDoseSRStorage",
        ),
    ],
)
def test_an_rrdsr_source_that_cannot_deliver(write_env, source, hot_lab, expected):
    devices = (
        modality("nm-1", "NM", "NuclearMedicineImageStorage", "\n    dose_report: rrdsr") + hot_lab
    )
    routes = "  - {name: hotlab-dose, from: HOTLAB, to: DOSE_MON, purpose: dose}\n"
    env = env_of(devices, routes, f"  monitor: DOSE_MON\n  rrdsr_source: {source}\n")
    [found] = run(write_env, {"env.yaml": env}, "DOSE002")
    assert found.location.line == line_of(env, "rrdsr_source")
    if expected == "set":
        assert "is a other, not a system that makes dose reports" in found.message
        assert "kind: radiopharmacy" in found.message
    else:
        assert expected in found.message


PACS = """\
  - name: pacs
    site: MAIN
    kind: pacs
    application_entities:
      - ae_title: PACS
        transfer_capabilities:
          - {sop_classes: [CTImageStorage, XRayRadiationDoseSRStorage], role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - {sop_classes: [StudyRootQueryRetrieveInformationModelFind, StudyRootQueryRetrieveInformationModelMove], role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
"""
QR_SCU = """\
          - sop_classes: [StudyRootQueryRetrieveInformationModelFind, StudyRootQueryRetrieveInformationModelMove]
            role: SCU
            transfer_syntaxes: [ImplicitVRLittleEndian]
"""
PULL = "  monitor: DOSE_MON\n  collection: query\n  collect_from: PACS\n"


def pulling(pacs: str = PACS, qr: str = QR_SCU, routes: str | None = None, dose: str = PULL):
    devices = modality("ct-1", "CT", "CTImageStorage, XRayRadiationDoseSRStorage") + pacs
    if routes is None:
        routes = "  - {name: ct-to-pacs, from: CT_1, to: PACS, purpose: reading}\n"
    return env_of(devices, routes, dose).replace(MONITOR, MONITOR + qr)


def test_a_monitor_that_pulls_rdsrs_from_the_pacs(write_env):
    # the CT stores its RDSR with its images in the PACS; nothing is routed to the monitor
    env = pulling()
    assert "to: DOSE_MON" not in env
    assert run(write_env, {"env.yaml": env}, "DOSE002", "DOSE003") == []


def test_a_pulling_monitor_misses_what_never_reaches_the_pacs(write_env):
    env = pulling(routes="  - {name: ct-to-mon, from: CT_1, to: DOSE_MON, purpose: dose}\n")
    [found] = run(write_env, {"env.yaml": env}, "DOSE002")
    assert found.location.line == line_of(env, "ae_title: CT_1")
    assert "no route path brings to PACS, where the dose monitor DOSE_MON collects them" in (
        found.message
    )
    assert found.severity is Severity.ERROR


def test_a_pulling_monitor_must_be_query_retrieve_scu(write_env):
    env = pulling(qr="")
    [found] = run(write_env, {"env.yaml": env}, "DOSE002", "DOSE003")
    assert (found.code, found.location.line) == ("DOSE003", line_of(env, "collect_from"))
    assert "share no Query/Retrieve information model" in found.message


def test_c_move_needs_the_monitor_in_the_move_destinations_and_an_initiator(write_env):
    pacs = PACS.replace(
        "      - ae_title: PACS\n",
        "      - ae_title: PACS\n        initiator: false\n        move_destinations: [VIEWER]\n",
    )
    env = pulling(pacs=pacs)
    [found] = run(write_env, {"env.yaml": env}, "DOSE003")
    assert "PACS is not an association initiator" in found.message
    assert "DOSE_MON is not in PACS's move_destinations" in found.message
    # with C-GET the monitor receives on its own association: no C-MOVE wiring needed
    get = "StudyRootQueryRetrieveInformationModelGet"
    env = pulling(
        pacs=pacs.replace("StudyRootQueryRetrieveInformationModelMove", get),
        qr=QR_SCU.replace("StudyRootQueryRetrieveInformationModelMove", get),
    )
    assert run(write_env, {"env.yaml": env}, "DOSE003") == []


@pytest.mark.parametrize(
    "dose, expected",
    [
        ("  monitor: DOSE_MON\n  collection: query\n", "dose.collect_from names no AE"),
        (PULL.replace("PACS", "Pacs"), "did you mean 'PACS'?"),
    ],
)
def test_where_a_pulling_monitor_collects_must_be_known(write_env, dose, expected):
    env = pulling(dose=dose)
    found = run(write_env, {"env.yaml": env}, "DOSE002", "DOSE003")
    assert [f.code for f in found] == ["DOSE003"]  # DOSE002 waits for the fix
    assert expected in found[0].message


def test_a_monitor_needs_no_rrdsr_class_when_nobody_makes_one(write_env):
    monitor_xray_only = "sop_classes: [XRayRadiationDoseSRStorage]"
    devices = modality("nm-1", "NM", "NuclearMedicineImageStorage") + modality(
        "ct-1", "CT", "CTImageStorage, XRayRadiationDoseSRStorage"
    )
    env = env_of(devices).replace(
        "sop_classes: [XRayRadiationDoseSRStorage, RadiopharmaceuticalRadiationDoseSRStorage]",
        monitor_xray_only,
    )
    assert run(write_env, {"env.yaml": env}, "DOSE003") == []
    [found] = run(write_env, {"env.yaml": env + "  rrdsr_source: hotlab\n"}, "DOSE003")
    assert "does not accept RadiopharmaceuticalRadiationDoseSRStorage" in found.message


# --- DOSE005: perfusion, warnings for ranges, notification values ---------------------------

LEVELS = """\
imgpolicy: 1
dose:
  reference_levels:
    - {exam: CT brain perfusion, modality: CT, ctdivol_mgy: 250, dlp_mgy_cm: 2500, source: s, edition: "1"}
    - {exam: CT head, modality: CT, ctdivol_mgy: 250, dlp_mgy_cm: 1000, source: s, edition: "1"}
    - {exam: Mammo, modality: MG, ctdivol_mgy: 1.5, source: s, edition: "1"}
  notification_values:
    - {exam: Brain perfusion, ctdivol_mgy: 600}
    - {exam: Adult head, ctdivol_mgy: 80000}
    - {exam: Chest PA, modality: DX, dlp_mgy_cm: 1}
"""


def test_perfusion_is_plausible_ranges_are_warnings_and_notification_values_checked(write_env):
    found = run(write_env, {"dose.yaml": LEVELS}, "DOSE005")
    assert brief(found) == [
        ("DOSE005", "dose.yaml", line_of(LEVELS, "CT head"), "warning"),
        ("DOSE005", "dose.yaml", line_of(LEVELS, "Mammo"), "error"),
        ("DOSE005", "dose.yaml", line_of(LEVELS, "Adult head"), "warning"),
        ("DOSE005", "dose.yaml", line_of(LEVELS, "Chest PA"), "error"),
    ]
    assert "ctdivol_mgy 250 mGy is outside the plausible range 0.1-200" in found[0].message
    assert "notification value 'Adult head': ctdivol_mgy 80000" in found[2].message
    assert "is for DX: Dose Check notification values are a CT feature" in found[3].message
    rules = {"DOSE005": {"perfusion_ranges": {"ctdivol_mgy": [0.1, 200]}}}
    found = run(write_env, {"dose.yaml": LEVELS}, "DOSE005", rules=rules)
    perfusion = [f for f in found if "erfusion" in f.message]
    assert [f.location.line for f in perfusion] == [
        line_of(LEVELS, "CT brain perfusion"),
        line_of(LEVELS, "Brain perfusion"),
    ]


# --- DOSE006: CT Dose Check values on record ----------------------------------------------

CT_SITE = (
    SITES
    + """\
devices:
  - {name: ct-1, site: MAIN, kind: modality, modality: CT}
  - {name: petct-1, site: MAIN, kind: modality, modality: [PT, CT]}
"""
)


def test_ct_without_notification_then_without_alert_values(write_env):
    [found] = run(write_env, {"env.yaml": CT_SITE}, "DOSE006")
    assert brief([found]) == [("DOSE006", "env.yaml", line_of(CT_SITE, "ct-1"), "warning")]
    assert "CT is used by 'ct-1' and 1 more" in found.message
    assert "NEMA XR 25" in found.message
    values = "dose:\n  notification_values:\n    - {exam: Adult head, ctdivol_mgy: 80}\n"
    [found] = run(write_env, {"env.yaml": CT_SITE + values}, "DOSE006")
    assert found.location.line == line_of(CT_SITE + values, "Adult head")
    assert "no Dose Check alert value" in found.message
    complete = CT_SITE + values + "  alert_values: {ctdivol_mgy: 1000}\n"
    assert run(write_env, {"env.yaml": complete}, "DOSE006") == []


def test_no_ct_no_dose_check_finding(write_env):
    env = SITES + "devices:\n  - {name: dx-1, site: MAIN, kind: modality, modality: DX}\n"
    assert run(write_env, {"env.yaml": env}, "DOSE006") == []


# --- the model -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "snippet, accepted",
    [
        ("devices: [{name: d, site: S, kind: modality, modality: NM, dose_report: none}]", True),
        (
            "devices: [{name: d, site: S, kind: modality, modality: [PT, CT], "
            "dose_report: [rdsr, rrdsr]}]",
            True,
        ),
        ("devices: [{name: d, site: S, kind: modality, modality: CT, dose_report: mpps}]", False),
        ("devices: [{name: d, site: S, kind: modality, dose_report: [none]}]", False),
        ("dose: {notification_values: [{exam: Adult head}]}", False),
        ("dose: {alert_values: {}}", False),
        ("dose: {collection: pull}", False),
        ("dose: {collection: query, collect_from: PACS, rrdsr_source: hotlab}", True),
    ],
)
def test_dose_fields_in_the_schema(tmp_path, snippet, accepted):
    (tmp_path / "env.yaml").write_text(f"imgpolicy: 1\n{snippet}\n", encoding="utf-8")
    errors = load_environment([str(tmp_path)]).findings
    assert (errors == []) is accepted, [f.message for f in errors]


def test_a_dose_setting_given_in_two_files_is_defined_twice(write_env):
    root = write_env(
        {
            "a.yaml": "imgpolicy: 1\ndose: {collection: query}\n",
            "b.yaml": "imgpolicy: 1\ndose: {collection: push}\n",
        }
    )
    found = load_environment([str(root)]).findings
    assert [f.code for f in found] == ["SCHEMA009"]
    assert "setting 'dose.collection' is defined twice" in found[0].message


def test_a_declared_hot_lab_is_checked_even_when_the_cameras_send_nothing(write_env):
    # the NM camera makes no dose report; the hot lab's RRDSR must still arrive
    devices = (
        modality("nm-1", "NM", "NuclearMedicineImageStorage", "\n    dose_report: none") + HOT_LAB
    )
    dose = "  monitor: DOSE_MON\n  rrdsr_source: hotlab\n"
    env = env_of(devices, dose=dose)
    [found] = run(write_env, {"env.yaml": env}, "DOSE002")
    assert (found.location.line, found.severity) == (line_of(env, "rrdsr_source"), Severity.WARNING)
    assert "the RRDSRs of NM and PET exams" in found.message
    routes = "  - {name: hotlab-dose, from: HOTLAB, to: DOSE_MON, purpose: dose}\n"
    assert run(write_env, {"env.yaml": env_of(devices, routes, dose)}, "DOSE002") == []
