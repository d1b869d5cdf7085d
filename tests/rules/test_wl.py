"""Worklist and MPPS rules on a realistic multi-file environment, with file:line asserted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from imgpolicy.config import Config
from imgpolicy.engine import check
from imgpolicy.findings import Severity

TODAY = date(2026, 11, 28)

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
  - {name: CLINIC, jurisdiction: US-CA, region: us-west}
"""

CORE = """\
imgpolicy: 1
devices:
  - name: ris
    site: MAIN
    kind: ris
    application_entities:
      - ae_title: RIS_MWL
        initiator: false
        transfer_capabilities:
          - sop_classes: [ModalityWorklistInformationModelFind, ModalityPerformedProcedureStep]
            role: SCP
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
  - name: pacs
    site: MAIN
    kind: pacs
    application_entities:
      - ae_title: PACS_MAIN
        transfer_capabilities:
          - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
  - name: ws-3d
    site: MAIN
    kind: workstation
    application_entities:
      - {ae_title: WS_3D}
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
          - &services
            sop_classes: [ModalityWorklistInformationModelFind, ModalityPerformedProcedureStep]
            role: SCU
            transfer_syntaxes: [ImplicitVRLittleEndian]
  - name: us-clinic
    site: CLINIC
    kind: modality
    modality: US
    application_entities:
      - ae_title: US_CLINIC
        acceptor: false
        transfer_capabilities:
          - *services
  - name: mr-1
    site: MAIN
    kind: modality
    modality: MR
    application_entities:
      - ae_title: MR_1_STORE
        acceptor: false
      - ae_title: MR_1
        acceptor: false
        transfer_capabilities:
          - *services
      - ae_title: MR_1_QR
        initiator: false
"""

WORKLIST = """\
imgpolicy: 1
worklist:
  - provider: RIS_MWL
    mpps_destination: RIS_MWL
    consumers: [CT_1, MR_1]
  - provider: RIS_MWL
    consumers: [US_CLINIC]
"""


def run(write_env, *select, worklist=WORKLIST, modalities=MODALITIES, core=CORE, rules=None):
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/core.yaml": core,
            "devices/modalities.yaml": modalities,
            "worklist.yaml": worklist,
        }
    )
    result = check([str(root)], Config(select=list(select), rules=rules or {}), today=TODAY)
    assert result.load.findings == []
    return [
        (f.code, f.location.path.rsplit("/", 1)[-1], f.location.line, f.message)
        for f in result.active
    ]


def where(found):
    return [(c, f, line) for c, f, line, _ in found]


def test_a_modality_no_entry_serves_is_found_at_its_ae(write_env):
    worklist = WORKLIST.replace("[CT_1, MR_1]", "[MR_1]")
    found = run(write_env, "WL001", worklist=worklist)
    assert where(found) == [("WL001", "modalities.yaml", 8)]
    assert found[0][3].startswith("CT_1 (ct-1)")


def test_sibling_aes_and_non_modalities_need_no_worklist(write_env):
    # MR_1_STORE is served through MR_1 (same device); MR_1_QR does not initiate;
    # the workstation and the PACS are no acquisition modalities
    assert where(run(write_env, "WL")) == [("WL002", "worklist.yaml", 7)]


def test_missing_mpps_is_reported_at_the_consumer_in_the_worklist(write_env):
    found = run(write_env, "WL002")
    assert where(found) == [("WL002", "worklist.yaml", 7)]
    assert "US_CLINIC (us-clinic)" in found[0][3] and "mpps_destination" in found[0][3]


def test_mpps_on_any_entry_of_the_device_is_enough(write_env):
    worklist = WORKLIST + (
        "  - {provider: RIS_MWL, consumers: [US_CLINIC], mpps_destination: RIS_MWL}\n"
    )
    assert run(write_env, "WL002", worklist=worklist) == []


def test_unknown_provider_gets_a_case_hint(write_env):
    worklist = WORKLIST.replace(
        "  - provider: RIS_MWL\n    consumers", "  - provider: ris_mwl\n    consumers"
    )
    found = run(write_env, "WL003", worklist=worklist)
    assert where(found) == [("WL003", "worklist.yaml", 6)]
    assert "did you mean 'RIS_MWL'" in found[0][3]


def test_provider_and_mpps_destination_must_be_scp(write_env):
    worklist = WORKLIST.replace("mpps_destination: RIS_MWL", "mpps_destination: PACS_MAIN").replace(
        "  - provider: RIS_MWL\n    consumers", "  - provider: PACS_MAIN\n    consumers"
    )
    found = run(write_env, "WL003", worklist=worklist)
    assert where(found) == [("WL003", "worklist.yaml", 4), ("WL003", "worklist.yaml", 6)]
    assert "PACS_MAIN is not SCP for ModalityPerformedProcedureStep" in found[0][3]
    assert "PACS_MAIN is not SCP for ModalityWorklistInformationModelFind" in found[1][3]


def test_unknown_mpps_destination(write_env):
    worklist = WORKLIST.replace("mpps_destination: RIS_MWL", "mpps_destination: RIS_MPPS")
    found = run(write_env, "WL003", worklist=worklist)
    assert where(found) == [("WL003", "worklist.yaml", 4)]
    assert "'RIS_MPPS' is not an AE title" in found[0][3]


def test_consumers_must_be_scu_for_what_the_entry_asks(write_env):
    # MR_1_STORE has no capabilities; in the entry with MPPS it lacks both
    worklist = WORKLIST.replace("[CT_1, MR_1]", "[CT_1, MR_1_STORE, GHOST]")
    found = run(write_env, "WL004", worklist=worklist)
    assert where(found) == [("WL004", "worklist.yaml", 5), ("WL004", "worklist.yaml", 5)]
    messages = sorted(m for *_, m in found)
    assert "'GHOST' is not an AE title" in messages[0]
    assert (
        "MR_1_STORE (mr-1) is not SCU for ModalityWorklistInformationModelFind or "
        "ModalityPerformedProcedureStep"
    ) in messages[1]


def test_mpps_scu_is_only_needed_with_an_mpps_destination(write_env):
    modalities = MODALITIES.replace(
        "      - ae_title: US_CLINIC\n        acceptor: false\n        transfer_capabilities:\n"
        "          - *services\n",
        "      - ae_title: US_CLINIC\n        acceptor: false\n        transfer_capabilities:\n"
        "          - {sop_class: ModalityWorklistInformationModelFind, role: SCU, "
        "transfer_syntaxes: [ImplicitVRLittleEndian]}\n",
    )
    assert run(write_env, "WL004", modalities=modalities) == []
    worklist = WORKLIST.replace(
        "consumers: [US_CLINIC]", "consumers: [US_CLINIC]\n    mpps_destination: RIS_MWL"
    )
    found = run(write_env, "WL004", modalities=modalities, worklist=worklist)
    assert where(found) == [("WL004", "worklist.yaml", 7)]
    assert "not SCU for ModalityPerformedProcedureStep" in found[0][3]


def test_severities_are_the_documented_ones(write_env):
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/core.yaml": CORE,
            "devices/modalities.yaml": MODALITIES,
            "worklist.yaml": "imgpolicy: 1\nworklist: []\n",
        }
    )
    config = Config(select=["WL001"], rules={"WL001": {"severity": Severity.WARNING}})
    result = check([str(root)], config, today=TODAY)
    assert result.active and {f.severity.label for f in result.active} == {"warning"}


def test_an_environment_without_worklist_or_devices(write_env):
    root = write_env({"sites.yaml": SITES})
    result = check([str(root)], Config(select=["WL"]), today=TODAY)
    assert result.active == []
    found = run(write_env, "WL", worklist="imgpolicy: 1\n", core="imgpolicy: 1\n")
    # every initiating AE of every modality; MR_1_QR only accepts
    assert sorted(m.split(" ")[0] for *_, m in found) == ["CT_1", "MR_1", "MR_1_STORE", "US_CLINIC"]


def test_the_regional_example_is_clean():
    example = Path(__file__).resolve().parents[2] / "examples" / "regional-health"
    result = check([str(example)], Config(select=["WL"]), today=TODAY)
    assert result.active == []
