"""Audits only read (issue 13, "safe by construction"): against a real Orthanc, every
request the three audits send, over its REST API and over DICOMweb, is a GET or Orthanc's
/tools/find query, and the archive holds exactly what it held before."""

from __future__ import annotations

import pytest

from imgpolicy import net

from . import rdsr_data
from .audit_data import instance, write_study
from .audit_peers import orthanc_factory, store  # noqa: F401 (the fixture, by name)
from .conftest import run

ENV = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: west}
devices:
  - name: ct-1
    site: MAIN
    kind: modality
    modality: [CT]
    application_entities:
      - ae_title: CT_1
        transfer_capabilities:
          - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - {sop_class: XRayRadiationDoseSRStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
  - name: pacs
    site: MAIN
    kind: pacs
    application_entities:
      - ae_title: READONLY_PACS
        transfer_capabilities:
          - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - {sop_class: XRayRadiationDoseSRStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}
routes:
  - {name: ct-to-pacs, from: CT_1, to: READONLY_PACS, purpose: archive}
"""


@pytest.fixture(scope="module")
def archive(orthanc_factory, tmp_path_factory):  # noqa: F811 (the fixture, by name)
    folder = tmp_path_factory.mktemp("studies")
    image = instance(patient_id="SYN100", patient_name="SYN^READ", accession="ACCRO1")
    report = rdsr_data.ct_rdsr(
        patient_id="SYN100",
        patient_name="SYN^READ",
        accession="ACCRO1",
        events=[("Head routine", 40.0, 600.0)],
        study_uid=image.StudyInstanceUID,
        sending_ae="CT_1",
    )
    paths = [*write_study(folder, [image]), rdsr_data.write(folder, report)]
    peer = orthanc_factory(aet="READONLY_PACS")
    store(peer, paths, "CT_1")
    return peer


def _state(peer) -> tuple:
    """What an archive holds: every resource, and the change log's last entry (any
    modification, even of metadata, adds to it)."""
    return (
        sorted(peer.get("/instances")),
        sorted(peer.get("/studies")),
        peer.get("/changes?last")["Last"],
        peer.get("/statistics")["TotalDiskSize"],
    )


@pytest.mark.peers
@pytest.mark.parametrize("api", ["orthanc", "dicomweb"])
def test_every_audit_only_reads(archive, write_env, monkeypatch, api):
    env = write_env({"env.yaml": ENV})
    monkeypatch.setenv("IMGPOLICY_SOURCE_USER", archive.user)
    monkeypatch.setenv("IMGPOLICY_SOURCE_PASSWORD", archive.password)
    sent: list[tuple[str, str]] = []
    real = net.http_request

    def recording(method: str, url: str, **options):
        sent.append((method, url.split("?")[0]))
        return real(method, url, **options)

    monkeypatch.setattr(net, "http_request", recording)
    import imgpolicy.audit.sources.rest as rest

    monkeypatch.setattr(rest, "http_request", recording)
    before = _state(archive)
    source = f"{api}+{archive.url if api == 'orthanc' else archive.dicomweb}"
    commands = ["headers", "dose"] + (["traffic"] if api == "orthanc" else [])
    for command in commands:
        result = run("audit", command, str(env), source, "--today", "2026-11-29")
        assert result.exit_code in (0, 1), (command, result.output)
    assert sent, "the audits sent no request: the spy is not on their path"
    writes = [
        (m, u) for m, u in sent if m != "GET" and not (m == "POST" and u.endswith("/tools/find"))
    ]
    assert writes == []
    assert _state(archive) == before
