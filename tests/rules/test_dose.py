"""Dose rules on a realistic multi-file environment, with file:line asserted."""

from __future__ import annotations

from datetime import date

import pytest

from imgpolicy.config import Config, ConfigError
from imgpolicy.engine import check

TODAY = date(2026, 11, 28)

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
  - {name: NORTH, jurisdiction: US-CA, region: us-west}
"""

MODALITIES = """\
imgpolicy: 1
devices:
  - name: ct-1
    site: MAIN
    kind: modality
    modality: CT
    application_entities:
      - ae_title: CT_1
        acceptor: false
        transfer_capabilities:
          - sop_classes: [CTImageStorage, XRayRadiationDoseSRStorage]
            role: SCU
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
      - ae_title: CT_1_MWL
        acceptor: false
        transfer_capabilities:
          - sop_class: ModalityWorklistInformationModelFind
            role: SCU
            transfer_syntaxes: [ImplicitVRLittleEndian]
  - name: pt-1
    site: MAIN
    kind: modality
    modality: [PT, CT]
    application_entities:
      - ae_title: PT_1
        acceptor: false
        transfer_capabilities:
          - sop_classes: [PositronEmissionTomographyImageStorage, CTImageStorage, XRayRadiationDoseSRStorage, RadiopharmaceuticalRadiationDoseSRStorage]
            role: SCU
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
  - name: dx-1
    site: NORTH
    kind: modality
    modality: DX
    application_entities:
      - ae_title: DX_1
        acceptor: false
        transfer_capabilities:
          - sop_class: DigitalXRayImageStorageForPresentation
            role: SCU
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
  - name: mr-1
    site: MAIN
    kind: modality
    modality: MR
    application_entities:
      - ae_title: MR_1
        acceptor: false
        transfer_capabilities:
          - sop_class: MRImageStorage
            role: SCU
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
"""

CORE = """\
imgpolicy: 1
devices:
  - name: router
    site: MAIN
    kind: router
    application_entities:
      - ae_title: ROUTER
        transfer_capabilities:
          - sop_classes: &everything [CTImageStorage, PositronEmissionTomographyImageStorage, DigitalXRayImageStorageForPresentation, MRImageStorage, XRayRadiationDoseSRStorage, RadiopharmaceuticalRadiationDoseSRStorage]
            role: SCP
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
          - sop_classes: *everything
            role: SCU
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
  - name: dose-main
    site: MAIN
    kind: dose-monitor
    application_entities:
      - ae_title: DOSE_MON
        initiator: false
        transfer_capabilities:
          - sop_classes: [XRayRadiationDoseSRStorage, RadiopharmaceuticalRadiationDoseSRStorage]
            role: SCP
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
"""

ROUTES = """\
imgpolicy: 1
routes:
  - {name: ct-1-in, from: CT_1, to: ROUTER, purpose: forward}
  - {name: pt-1-in, from: PT_1, to: ROUTER, purpose: forward}
  - {name: dx-1-in, from: DX_1, to: ROUTER, purpose: forward}
  - {name: mr-1-in, from: MR_1, to: ROUTER, purpose: forward}
  - name: router-dose
    from: ROUTER
    to: DOSE_MON
    purpose: dose
    match: {sop_classes: [XRayRadiationDoseSRStorage, RadiopharmaceuticalRadiationDoseSRStorage]}
"""

DOSE = """\
imgpolicy: 1
dose:
  monitor: DOSE_MON
  reference_levels:
    - {exam: CT head without contrast, modality: CT, ctdivol_mgy: 57, dlp_mgy_cm: 1000,
       source: MAIN radiation safety committee, edition: "2026-03"}
    - {exam: F-18 FDG PET/CT (whole body), modality: PT, activity_mbq: 450, ctdivol_mgy: 8,
       dlp_mgy_cm: 700, source: MAIN radiation safety committee, edition: "2026-03"}
    - {exam: Chest PA, modality: DX, air_kerma_mgy: 0.15, dap_gy_cm2: 0.1,
       source: MAIN radiation safety committee, edition: "2026-03"}
    - {exam: Screening mammography (per view), modality: MG, agd_mgy: 1.5,
       source: MAIN radiation safety committee, edition: "2026-03"}
"""


def line_of(text: str, marker: str, nth: int = 1) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), 1) if marker in line]
    return hits[nth - 1]


def run(write_env, *select, modalities=MODALITIES, core=CORE, routes=ROUTES, dose=DOSE, rules=None):
    files = {
        "sites.yaml": SITES,
        "devices/modalities.yaml": modalities,
        "devices/core.yaml": core,
        "routes.yaml": routes,
    }
    if dose is not None:
        files["dose.yaml"] = dose
    root = write_env(files)
    result = check([str(root)], Config(select=list(select), rules=rules or {}), today=TODAY)
    assert result.load.findings == []
    return result.active


def brief(findings):
    return [(f.code, f.location.path.rsplit("/", 1)[-1], f.location.line) for f in findings]


def test_empty_environment_has_no_findings(write_env):
    root = write_env({"env.yaml": "imgpolicy: 1\n"})
    assert check([str(root)], Config(select=["DOSE"]), today=TODAY).active == []


# --- DOSE001 -----------------------------------------------------------------------------


def test_every_dose_emitting_modality_has_a_level(write_env):
    assert run(write_env, "DOSE001") == []


def test_modality_without_level_points_at_the_device_modality(write_env):
    dose = DOSE.replace("modality: DX,", "modality: CR,")
    found = run(write_env, "DOSE001", dose=dose)
    assert brief(found) == [("DOSE001", "modalities.yaml", line_of(MODALITIES, "modality: DX"))]
    assert found[0].message.startswith("DX is used by 'dx-1' but no dose reference level")


def test_a_site_specific_level_covers_that_site_only(write_env):
    dose = DOSE.replace(
        "modality: CT, ctdivol_mgy: 57", "modality: CT, site: NORTH, ctdivol_mgy: 57"
    )
    found = run(write_env, "DOSE001", dose=dose)
    # ct-1 is at MAIN; the PET/CT's CT part is at MAIN too: one finding per site
    assert brief(found) == [("DOSE001", "modalities.yaml", line_of(MODALITIES, "modality: CT"))]
    assert "CT is used by 'ct-1' at MAIN" in found[0].message


def test_list_form_modality_is_located_at_its_element(write_env):
    dose = DOSE.replace("modality: PT,", "modality: NM,")
    found = run(write_env, "DOSE001", dose=dose)
    assert brief(found) == [("DOSE001", "modalities.yaml", line_of(MODALITIES, "[PT, CT]"))]
    assert found[0].location.column == line_of_column(MODALITIES, "[PT, CT]", "PT")


def line_of_column(text: str, marker: str, word: str) -> int:
    line = text.splitlines()[line_of(text, marker) - 1]
    return line.index(word) + 1


# --- DOSE002 -----------------------------------------------------------------------------


def test_dose_sr_through_the_router_counts_and_a_modality_without_rdsr_is_caught(write_env):
    found = run(write_env, "DOSE002")
    # CT_1 and PT_1 reach the monitor through the router; CT_1_MWL stores nothing; MR is
    # not dose-emitting; DX_1 cannot send any dose SR
    assert brief(found) == [("DOSE002", "modalities.yaml", line_of(MODALITIES, "ae_title: DX_1"))]
    assert "DX_1 (dx-1, DX) is not SCU for any dose SR class" in found[0].message
    assert found[0].related[0].location.path.endswith("core.yaml")


def test_a_dose_sr_class_the_router_does_not_forward(write_env):
    routes = ROUTES.replace(", RadiopharmaceuticalRadiationDoseSRStorage]}", "]}")
    found = run(
        write_env, "DOSE002", routes=routes, rules={"DOSE002": {"modalities": ["CT", "PT"]}}
    )
    assert brief(found) == [("DOSE002", "modalities.yaml", line_of(MODALITIES, "ae_title: PT_1"))]
    assert (
        "sends RadiopharmaceuticalRadiationDoseSRStorage, which no route path brings to "
        "the dose monitor DOSE_MON" in found[0].message
    )


def test_no_dose_monitor_declared_gives_one_finding_per_ae(write_env):
    dose = DOSE.replace("  monitor: DOSE_MON\n", "")
    found = run(write_env, "DOSE002", dose=dose)
    assert [f.entity for f in found] == ["ae:CT_1", "ae:PT_1", "ae:DX_1"]
    assert "declares no dose monitor" in found[0].message
    assert "not SCU for any dose SR class" in found[2].message
    assert "no dose monitor is declared" in found[2].message


def test_modalities_option_leaves_cassette_readers_alone(write_env):
    rules = {"DOSE002": {"modalities": ["CT", "PT", "NM", "MG", "XA", "RF"]}}
    assert run(write_env, "DOSE002", rules=rules) == []


def test_unknown_modality_in_option_is_a_config_error(write_env):
    with pytest.raises(ConfigError, match=r"DOSE002.modalities"):
        run(write_env, "DOSE002", rules={"DOSE002": {"modalities": ["CAT"]}})


def test_a_separate_dose_ae_on_the_device_is_enough(write_env):
    modalities = MODALITIES.replace(
        "      - ae_title: DX_1\n",
        "      - ae_title: DX_1_DOSE\n"
        "        acceptor: false\n"
        "        transfer_capabilities:\n"
        "          - {sop_class: XRayRadiationDoseSRStorage, role: SCU, "
        "transfer_syntaxes: [ImplicitVRLittleEndian]}\n"
        "      - ae_title: DX_1\n",
    )
    routes = ROUTES + "  - {name: dx-1-dose, from: DX_1_DOSE, to: DOSE_MON, purpose: dose}\n"
    assert run(write_env, "DOSE002", modalities=modalities, routes=routes) == []
    # without the route, the dose AE is the one reported
    found = run(write_env, "DOSE002", modalities=modalities)
    assert [f.entity for f in found] == ["ae:DX_1_DOSE"]


def test_unknown_monitor_is_dose003_only(write_env):
    dose = DOSE.replace("monitor: DOSE_MON", "monitor: Dose_Mon")
    found = run(write_env, "DOSE002", "DOSE003", dose=dose)
    assert brief(found) == [("DOSE003", "dose.yaml", line_of(DOSE, "monitor:"))]
    assert "did you mean 'DOSE_MON'" in found[0].message


# --- DOSE003 -----------------------------------------------------------------------------


def test_monitor_without_radiopharmaceutical_dose_sr_when_pet_is_in_use(write_env):
    core = CORE.replace(
        "sop_classes: [XRayRadiationDoseSRStorage, RadiopharmaceuticalRadiationDoseSRStorage]",
        "sop_classes: [XRayRadiationDoseSRStorage]",
    )
    found = run(write_env, "DOSE003", core=core)
    assert brief(found) == [("DOSE003", "dose.yaml", line_of(DOSE, "monitor:"))]
    assert "does not accept RadiopharmaceuticalRadiationDoseSRStorage" in found[0].message
    assert found[0].related[0].location.path.endswith("core.yaml")
    # without PET or NM in use, X-ray dose SR is enough
    modalities = MODALITIES.replace("modality: [PT, CT]", "modality: CT")
    assert run(write_env, "DOSE003", core=core, modalities=modalities) == []


def test_monitor_that_is_a_router_without_dose_sr(write_env):
    dose = DOSE.replace("monitor: DOSE_MON", "monitor: ROUTER")
    core = CORE.replace(
        "XRayRadiationDoseSRStorage, RadiopharmaceuticalRadiationDoseSRStorage]", "]", 1
    )
    found = run(write_env, "DOSE003", dose=dose, core=core)
    assert len(found) == 1
    assert (
        "XRayRadiationDoseSRStorage or RadiopharmaceuticalRadiationDoseSRStorage"
        in found[0].message
    )


def test_no_monitor_is_not_dose003(write_env):
    assert run(write_env, "DOSE003", dose=DOSE.replace("  monitor: DOSE_MON\n", "")) == []


# --- DOSE004 -----------------------------------------------------------------------------


def test_level_without_edition_or_source(write_env):
    dose = DOSE.replace(
        'source: MAIN radiation safety committee, edition: "2026-03"}',
        "source: MAIN radiation safety committee}",
        1,
    )
    dose = dose.replace(
        "air_kerma_mgy: 0.15, dap_gy_cm2: 0.1,\n       source: MAIN radiation "
        'safety committee, edition: "2026-03"}',
        "air_kerma_mgy: 0.15, dap_gy_cm2: 0.1}",
    )
    found = run(write_env, "DOSE004", dose=dose)
    assert brief(found) == [
        ("DOSE004", "dose.yaml", line_of(DOSE, "CT head")),
        ("DOSE004", "dose.yaml", line_of(DOSE, "Chest PA")),
    ]
    assert "has no edition:" in found[0].message
    assert "has no source and no edition" in found[1].message
    assert all(f.severity.label == "warning" for f in found)


# --- DOSE005 -----------------------------------------------------------------------------


def test_plausible_levels_and_hybrid_pet_ct(write_env):
    assert run(write_env, "DOSE005") == []


def test_unit_mistake_foreign_metric_and_incomplete_ct_level(write_env):
    dose = DOSE.replace("ctdivol_mgy: 57, dlp_mgy_cm: 1000", "ctdivol_mgy: 57000")
    dose = dose.replace("air_kerma_mgy: 0.15, dap_gy_cm2: 0.1", "air_kerma_mgy: 0.15, agd_mgy: 1.2")
    found = run(write_env, "DOSE005", dose=dose)
    assert brief(found) == [
        ("DOSE005", "dose.yaml", line_of(DOSE, "CT head")),
        ("DOSE005", "dose.yaml", line_of(DOSE, "CT head")),
        ("DOSE005", "dose.yaml", line_of(DOSE, "Chest PA")),
    ]
    messages = sorted(f.message for f in found)
    assert any("has no dlp_mgy_cm" in m for m in messages)
    assert any(
        "ctdivol_mgy 57000 mGy is outside the plausible range 0.1-200" in m for m in messages
    )
    assert any("gives agd_mgy, which does not describe DX (it is for MG)" in m for m in messages)
    # the finding is at the metric, not at the start of the entry
    columns = {
        f.message.split(":")[1].strip().split()[0]: f.location.column
        for f in found
        if "plausible" in f.message
    }
    assert columns == {"ctdivol_mgy": line_of_column(dose, "57000", "57000")}


def test_plausible_ranges_option_replaces_one_metric_only(write_env):
    rules = {"DOSE005": {"plausible_ranges": {"agd_mgy": [0.1, 1.0]}}}
    found = run(write_env, "DOSE005", rules=rules)
    assert brief(found) == [("DOSE005", "dose.yaml", line_of(DOSE, "Screening mammography"))]
    assert "agd_mgy 1.5 mGy is outside the plausible range 0.1-1" in found[0].message
    dose = DOSE.replace("ctdivol_mgy: 57,", "ctdivol_mgy: 570,")
    assert len(run(write_env, "DOSE005", rules=rules, dose=dose)) == 2  # default kept for CT


@pytest.mark.parametrize(
    "ranges, match",
    [
        ({"agd": [0.1, 1]}, "unknown metric 'agd'"),
        ({"agd_mgy": [1]}, "agd_mgy: expected"),
        ({"agd_mgy": [5, 1]}, "agd_mgy: expected"),
        ([1, 2], "expected a mapping"),
    ],
)
def test_bad_plausible_ranges_are_config_errors(write_env, ranges, match):
    with pytest.raises(ConfigError, match=match):
        run(write_env, "DOSE005", rules={"DOSE005": {"plausible_ranges": ranges}})


def test_dose_section_without_devices_does_not_crash(write_env):
    root = write_env({"env.yaml": DOSE})
    found = check([str(root)], Config(select=["DOSE"]), today=TODAY).active
    assert [f.code for f in found] == ["DOSE003"]  # the monitor is no AE
