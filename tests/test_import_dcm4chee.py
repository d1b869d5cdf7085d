"""`imgpolicy import dcm4chee`: dcm4chee-arc-light device JSON and LDIF.

The LDIF samples are the archive's own published ones (tests/data/dcm4chee/README.md: the
MPL 1.1/GPL 2/LGPL 2.1 tri-license); archive.json is an equivalent written here after
the archive's JSON writer (JsonArchiveConfiguration), with the rules, storage and posture
settings the samples leave commented out. Every import is loaded back (no YAML or SCHEMA
finding) and run through `imgpolicy check` in a subprocess.
"""

from __future__ import annotations

import dataclasses
import gzip
import re
import subprocess
import sys
from pathlib import Path

import pytest

from imgpolicy.importers import ImportFailed, import_dcm4chee, render
from imgpolicy.importers.dcm4chee import normal_dn
from imgpolicy.load import load_environment

from .conftest import assert_no_traceback, run

DATA = Path(__file__).parent / "data" / "dcm4chee"
ARCHIVE_JSON = DATA / "archive.json"
CT, MR = "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4"


def unpacked(name: str, tmp_path: Path) -> Path:
    """A published sample, stored gzipped (900 kB as text), written out as the archive has it."""
    path = tmp_path / name.removesuffix(".gz")
    path.write_bytes(gzip.decompress((DATA / name).read_bytes()))
    return path


def roundtrip(text: str, tmp_path: Path):
    """The written file loads as an environment without YAML or SCHEMA findings."""
    path = tmp_path / "imported.yaml"
    path.write_text(text, encoding="utf-8")
    load = load_environment([str(path)])
    problems = [f for f in load.findings if f.code.startswith(("YAML", "SCHEMA"))]
    assert not problems, "\n".join(f"{f.location}: {f.code} {f.message}" for f in problems)
    return load.environment


def check_codes(path: Path) -> set[str]:
    """The codes `imgpolicy check` reports on the file (a real subprocess)."""
    done = subprocess.run(
        [sys.executable, "-c", "from imgpolicy.cli import run; run()", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode in (0, 1), done.stderr
    return set(re.findall(r": ([A-Z]+\d{3}) ", done.stdout + done.stderr))


def by_code(result, code: str) -> list:
    return [f for f in result.findings if f.code == code]


# --- the archive's device JSON ---------------------------------------------------------


@pytest.fixture(scope="module")
def archive():
    return import_dcm4chee(str(ARCHIVE_JSON))


def test_json_device_connections_and_aes(archive, tmp_path):
    env = roundtrip(render(archive), tmp_path)
    (device,) = env.devices
    assert (device.name, device.kind, device.software_version) == ("dcm4chee-arc", "pacs", "5.33.1")
    conns = {c.name: (c.hostname, c.port, c.tls) for c in device.connections}
    # HL7 and HTTP connections are not DICOM connections.
    assert conns == {
        "dicom": ("arc.example.org", 11112, False),
        "dicom-tls": ("arc.example.org", 2762, True),
    }
    aes = {ae.ae_title: ae for ae in device.application_entities}
    assert set(aes) == {"DCM4CHEE", "WORKLIST"}  # OLD_GATEWAY: dicomInstalled false
    assert aes["DCM4CHEE"].connections == ["dicom", "dicom-tls"]
    assert aes["WORKLIST"].connections == ["dicom-tls"]
    scp = {
        sop: cap.transfer_syntaxes
        for cap in aes["DCM4CHEE"].transfer_capabilities
        if cap.role == "SCP"
        for sop in cap.classes
    }
    assert scp[CT][:2] == ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"]
    assert "1.3.46.670589.5.0.1.1" not in scp  # private: reported, left out
    assert "not imported: AE OLD_GATEWAY (dicomInstalled: false)" in render(archive)


def test_json_export_rules_become_routes_with_match(archive, tmp_path):
    env = roundtrip(render(archive), tmp_path)
    routes = {r.name: r for r in env.routes}
    forward = routes["Forward-CT-and-MR"]
    assert (forward.from_, forward.to) == ("DCM4CHEE", "STORESCP")
    assert forward.match.modality == ["CT", "MR"]
    assert forward.match.calling_ae == ["CT_1", "MR_1"]
    # ReceivingApplicationEntityTitle=DCM4CHEE is where the route starts: not a finding.
    mammo = routes["Mammography-to-AI"]
    assert (mammo.from_, mammo.to, mammo.match.modality) == ("DCM4CHEE", "AI_MAMMO", ["MG"])
    (unmapped,) = by_code(archive, "IMPORT032")
    assert "InstitutionName=Site A" in unmapped.message
    assert unmapped.location.line == _line_of(ARCHIVE_JSON, '"dcmProperty": ["Modality=MG"')
    assert "not in match (edit): InstitutionName=Site A" in render(archive)
    # Storage copies and unknown exporters are reported, not routes.
    left = [f.message for f in by_code(archive, "IMPORT033")]
    assert any("storage:nearline" in m for m in left)
    assert any("'NOWHERE'" in m for m in left)
    assert any("MPPS to RIS" in m for m in left)
    assert set(routes) == {"Forward-CT-and-MR", "Mammography-to-AI"}


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_json_posture_findings_point_at_the_setting(archive):
    found = {(f.code, f.location.line) for f in archive.findings}
    line = lambda text: _line_of(ARCHIVE_JSON, text)  # noqa: E731
    assert ("IMPORT030", line('"dicomPort": 11112')) in found
    assert ("IMPORT031", line('"dicomTLSCipherSuite"')) in found
    assert ("IMPORT035", line('"dcmDeleterThreshold"')) in found
    assert ("IMPORT036", line('"dicomTransferSyntax": "1.2.840.10008.1.2.4.50"')) in found
    assert ("IMPORT034", line('"cn": "Mammography"')) in found
    weak = by_code(archive, "IMPORT031")[0].message
    assert "SSL_RSA_WITH_3DES_EDE_CBC_SHA" in weak and "TLSv1.1" in weak
    assert "TLS_ECDHE" not in weak
    # DCM4CHEE accepts any caller; WORKLIST names its callers (dcmAcceptedCallingAETitle).
    open_aes = {
        f.message.split()[1] for f in archive.findings if f.code in ("IMPORT001", "IMPORT002")
    }
    assert open_aes == {"DCM4CHEE"}
    assert "dcmAcceptedCallingAETitle: CT_1, MR_1" in render(archive)
    # Only the lossy compression rule is a finding.
    assert len(by_code(archive, "IMPORT036")) == 1


def test_json_route_target_outside_the_source_is_marked(archive):
    text = render(archive)
    assert "to: STORESCP  # edit: no device of this source has this AE title" in text


def test_json_round_trips_through_check(archive, tmp_path):
    path = tmp_path / "archive.yaml"
    path.write_text(render(archive), encoding="utf-8")
    found = check_codes(path)
    assert not {c for c in found if c.startswith(("YAML", "SCHEMA"))}
    assert "RT001" in found  # the routes' targets are other devices: the source is incomplete


def test_dcm4che_test_device_json(tmp_path):
    """dcm4che's own JSON test device: a connection without cn, references by pointer."""
    result = import_dcm4chee(str(DATA / "dcm4che-test-device.json"))
    env = roundtrip(render(result), tmp_path)
    (device,) = env.devices
    assert [(c.name, c.hostname, c.port) for c in device.connections] == [
        ("dicom", "host.dcm4che.org", 11112)
    ]
    (ae,) = device.application_entities
    assert (ae.ae_title, ae.connections, ae.initiator, ae.acceptor) == (
        "TEST-AET1",
        ["dicom"],
        False,
        True,
    )
    assert not result.findings  # not an archive: no posture of its own


def test_hostname_option_replaces_the_archives_hostname_only(tmp_path):
    source = tmp_path / "both.ldif"
    source.write_text(LDIF_ARCHIVE + "\n" + LDIF_MODALITY, encoding="utf-8")
    result = import_dcm4chee(str(source), hostname="pacs.example.org")
    hosts = {d.name: {c.hostname for c in d.connections} for d in result.devices}
    assert hosts == {"dcm4chee-arc": {"pacs.example.org"}, "ct1": {"ct1.example.org"}}
    assert "from --hostname (the source says 'localhost')" in render(result)


# --- LDIF ------------------------------------------------------------------------------

LDIF_ARCHIVE = """\
version: 1

# the archive, as slapcat writes it (attributes in any order, long lines folded)
dn: dicomDeviceName=dcm4chee-arc,cn=Devices,cn=DICOM Configuration,dc=dcm4che,dc=org
objectClass: dicomDevice
objectClass: dcmDevice
objectClass: dcmArchiveDevice
dicomDeviceName: dcm4chee-arc
dicomInstalled: TRUE
dicomDescription:: UsOpZ2lvbmFsIGFyY2hpdmU=

dn: cn=dicom,dicomDeviceName=dcm4chee-arc,cn=Devices,cn=DICOM Configuration,dc=dcm4
 che,dc=org
objectClass: dicomNetworkConnection
cn: dicom
dicomHostname: localhost
dicomPort: 11112

dn: dicomAETitle=DCM4CHEE,dicomDeviceName=dcm4chee-arc,cn=Devices,cn=DICOM Configuratio
 n,dc=dcm4che,dc=org
objectClass: dicomNetworkAE
objectClass: dcmNetworkAE
objectClass: dcmArchiveNetworkAE
dicomAETitle: DCM4CHEE
dicomNetworkConnectionReference: CN=dicom, dicomDeviceName=dcm4chee-arc,cn=Devices,cn=
 DICOM Configuration,dc=dcm4che,dc=org
dicomAssociationInitiator: TRUE
dicomAssociationAcceptor: TRUE
dcmAcceptedCallingAETitle: CT1
dcmObjectStorageID: fs1

dn: cn=CT Image Storage SCP,dicomAETitle=DCM4CHEE,dicomDeviceName=dcm4chee-arc,cn=Devic
 es,cn=DICOM Configuration,dc=dcm4che,dc=org
objectClass: dicomTransferCapability
objectClass: dcmTransferCapability
cn: CT Image Storage SCP
dicomSOPClass: 1.2.840.10008.5.1.4.1.1.2
dicomTransferRole: SCP
dicomTransferSyntax: 1.2.840.10008.1.2
dicomTransferSyntax: 1.2.840.10008.1.2.1

dn: cn=MR Image Storage SCP,dicomAETitle=DCM4CHEE,dicomDeviceName=dcm4chee-arc,cn=Devic
 es,cn=DICOM Configuration,dc=dcm4che,dc=org
objectClass: dicomTransferCapability
cn: MR Image Storage SCP
dicomSOPClass;binary: 1.2.840.10008.5.1.4.1.1.4
dicomTransferRole: SCP
dicomTransferSyntax: 1.2.840.10008.1.2
dicomTransferSyntax: 1.2.840.10008.1.2.1

dn: dcmExporterID=CT1,dicomDeviceName=dcm4chee-arc,cn=Devices,cn=DICOM Configuration,d
 c=dcm4che,dc=org
objectClass: dcmExporter
dcmExporterID: CT1
dcmURI: dicom:CT1
dicomAETitle: DCM4CHEE
dcmQueueName: Export1

dn: cn=Back to CT,dicomAETitle=DCM4CHEE,dicomDeviceName=dcm4chee-arc,cn=Devices,cn=DICO
 M Configuration,dc=dcm4che,dc=org
objectClass: dcmExportRule
cn: Back to CT
dcmEntity: Series
dcmExporterID: CT1
dcmProperty: Modality=CT
dcmProperty: BodyPartExamined=HEAD|NECK
"""

LDIF_MODALITY = """\
dn: dicomDeviceName=ct1,cn=Devices,cn=DICOM Configuration,dc=dcm4che,dc=org
objectClass: dicomDevice
dicomDeviceName: ct1
dicomPrimaryDeviceType: CT
dicomInstalled: TRUE

dn: cn=dicom,dicomDeviceName=ct1,cn=Devices,cn=DICOM Configuration,dc=dcm4che,dc=org
objectClass: dicomNetworkConnection
cn: dicom
dicomHostname: ct1.example.org
dicomPort: 104

dn: dicomAETitle=CT1,dicomDeviceName=ct1,cn=Devices,cn=DICOM Configuration,dc=dcm4che,dc=org
objectClass: dicomNetworkAE
dicomAETitle: CT1
dicomNetworkConnectionReference: cn=dicom,dicomDeviceName=ct1,cn=Devices,cn=DICOM Conf
 iguration,dc=dcm4che,dc=org
dicomAssociationInitiator: TRUE
dicomAssociationAcceptor: TRUE
"""

JSON_EQUIVALENT = """\
[{"dicomDeviceName": "dcm4chee-arc", "dicomInstalled": true,
  "dicomDescription": "R\\u00e9gional archive",
  "dicomNetworkConnection": [{"cn": "dicom", "dicomHostname": "localhost", "dicomPort": 11112}],
  "dicomNetworkAE": [{"dicomAETitle": "DCM4CHEE",
    "dicomNetworkConnectionReference": ["/dicomNetworkConnection/0"],
    "dicomAssociationInitiator": true, "dicomAssociationAcceptor": true,
    "dicomTransferCapability": [
      {"cn": "CT Image Storage SCP", "dicomSOPClass": "1.2.840.10008.5.1.4.1.1.2",
       "dicomTransferRole": "SCP", "dicomTransferSyntax": ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"]},
      {"cn": "MR Image Storage SCP", "dicomSOPClass": "1.2.840.10008.5.1.4.1.1.4",
       "dicomTransferRole": "SCP", "dicomTransferSyntax": ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"]}],
    "dcmNetworkAE": {"dcmAcceptedCallingAETitle": ["CT1"],
      "dcmArchiveNetworkAE": {"dcmObjectStorageID": ["fs1"],
        "dcmExportRule": [{"cn": "Back to CT", "dcmEntity": "Series", "dcmExporterID": ["CT1"],
          "dcmProperty": ["Modality=CT", "BodyPartExamined=HEAD|NECK"]}]}}}],
  "dcmDevice": {"dcmArchiveDevice": {
    "dcmExporter": [{"dcmExporterID": "CT1", "dcmURI": "dicom:CT1", "dicomAETitle": "DCM4CHEE",
                     "dcmQueueName": "Export1"}]}}},
 {"dicomDeviceName": "ct1", "dicomPrimaryDeviceType": ["CT"], "dicomInstalled": true,
  "dicomNetworkConnection": [{"cn": "dicom", "dicomHostname": "ct1.example.org", "dicomPort": 104}],
  "dicomNetworkAE": [{"dicomAETitle": "CT1",
    "dicomNetworkConnectionReference": ["/dicomNetworkConnection/0"],
    "dicomAssociationInitiator": true, "dicomAssociationAcceptor": true}]}]
"""


def _plain(items) -> list:
    """Dataclasses without their comments (where each came from differs between forms)."""

    def strip(value):
        if isinstance(value, dict):
            return {
                k: strip(v)
                for k, v in value.items()
                if k not in ("above", "notes", "capabilities_above")
            }
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return [strip(dataclasses.asdict(i)) for i in items]


def test_ldif_and_json_of_one_configuration_import_the_same(tmp_path):
    ldif = tmp_path / "config.ldif"
    ldif.write_text(LDIF_ARCHIVE + "\n" + LDIF_MODALITY, encoding="utf-8")
    json_file = tmp_path / "config.json"
    json_file.write_text(JSON_EQUIVALENT, encoding="utf-8")
    from_ldif, from_json = import_dcm4chee(str(ldif)), import_dcm4chee(str(json_file))
    assert _plain(from_ldif.devices) == _plain(from_json.devices)
    assert _plain(from_ldif.routes) == _plain(from_json.routes)
    assert [f.code for f in from_ldif.sorted_findings()] == [
        f.code for f in from_json.sorted_findings()
    ]
    env = roundtrip(render(from_ldif), tmp_path)
    archive = next(d for d in env.devices if d.name == "dcm4chee-arc")
    assert archive.description == "Régional archive"  # base64 value (dicomDescription::)
    (ae,) = archive.application_entities
    assert ae.connections == ["dicom"]  # a folded DN, other case and spaces: same entry
    assert {s for c in ae.transfer_capabilities for s in c.classes} == {CT, MR}
    ct = next(d for d in env.devices if d.name == "ct1")
    assert (ct.kind, ct.connections[0].port) == ("modality", 104)
    (route,) = env.routes
    assert (route.from_, route.to) == ("DCM4CHEE", "CT1")
    assert (route.match.modality, route.match.body_part) == (["CT"], ["HEAD", "NECK"])
    # dcmAcceptedCallingAETitle is set: the archive AE is not open to every caller.
    assert not {f.code for f in from_ldif.findings} & {"IMPORT001", "IMPORT002"}


def test_ldif_change_records_are_reported_not_applied(tmp_path):
    source = tmp_path / "update.ldif"
    source.write_text(
        LDIF_ARCHIVE + "\ndn: dicomAETitle=DCM4CHEE,dicomDeviceName=dcm4chee-arc,cn=Devices,"
        "cn=DICOM Configuration,dc=dcm4che,dc=org\nchangetype: modify\n"
        "replace: dicomAssociationAcceptor\ndicomAssociationAcceptor: FALSE\n-\n",
        encoding="utf-8",
    )
    result = import_dcm4chee(str(source))
    (change,) = by_code(result, "IMPORT009")
    assert "changetype: modify" in change.message
    assert change.location.line == LDIF_ARCHIVE.count("\n") + 2
    ae = result.devices[0].application_entities[0]
    assert ae.acceptor is True


def test_dn_normalisation_keeps_ae_title_case():
    assert normal_dn("CN=dicom , dicomDeviceName=arc") == "cn=dicom,dicomdevicename=arc"
    assert normal_dn("dicomAETitle=Pacs,x=y") != normal_dn("dicomAETitle=PACS,x=y")


# --- the published samples -------------------------------------------------------------


def test_published_sample_config_imports_and_checks(tmp_path):
    source = unpacked("sample-config.ldif.gz", tmp_path)
    text = source.read_text(encoding="utf-8")
    result = import_dcm4chee(str(source))
    env = roundtrip(render(result), tmp_path)
    # Every installed AE of a device (not the unique AE title registry) is imported.
    expected = set(re.findall(r"^dn: dicomAETitle=([^,]+),dicomDeviceName=", text, re.M))
    imported = {ae.ae_title for _, ae in env.application_entities()}
    assert imported == expected
    route = next(r for r in env.routes if r.to == "STORESCP")
    assert route.from_ == "DCM4CHEE"
    codes = {f.code for f in result.findings}
    assert {"IMPORT001", "IMPORT002", "IMPORT030", "IMPORT031", "IMPORT033"} <= codes
    assert {"IMPORT034", "IMPORT036"} <= codes
    # The archive's TLS posture only: the other devices are its address book.
    assert all(
        "dcm4chee-arc" in _device_of(text, f.location.line) for f in by_code(result, "IMPORT031")
    )
    path = tmp_path / "sample.yaml"
    path.write_text(render(result), encoding="utf-8")
    assert not {c for c in check_codes(path) if c.startswith(("YAML", "SCHEMA"))}


def _device_of(text: str, line: int) -> str:
    """The DN of the LDIF entry that holds `line`."""
    lines = text.splitlines()[:line]
    return next(entry for entry in reversed(lines) if entry.startswith("dn:"))


def test_default_config_with_the_sample_export_rule(tmp_path):
    """sample-export.ldif adds an export rule to the default configuration's archive."""
    base = unpacked("default-config.ldif.gz", tmp_path).read_text(encoding="utf-8")
    alone = DATA / "sample-export.ldif"
    combined = tmp_path / "combined.ldif"
    combined.write_text(base + "\n" + alone.read_text(encoding="utf-8"), encoding="utf-8")
    result = import_dcm4chee(str(combined))
    (route,) = result.routes
    assert (route.name, route.from_ae, route.to_ae) == (
        "Forward-to-STORESCP",
        "DCM4CHEE",
        "STORESCP",
    )
    assert "to" not in route.notes  # STORESCP is a device of the default configuration
    roundtrip(render(result), tmp_path)
    with pytest.raises(ImportFailed, match=r"sample-export.ldif:\d+:1: no dicomDevice entry"):
        import_dcm4chee(str(alone))


# --- the command line: bad input is exit 2 with a place, never a traceback -------------


def test_cli_writes_the_file(tmp_path):
    out = tmp_path / "arc.yaml"
    result = run("import", "dcm4chee", str(ARCHIVE_JSON), "-o", str(out), "--kind", "vna")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "kind: vna" in out.read_text()
    assert "IMPORT031" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"dicomDeviceName": "arc", "dicomNetworkAE": [', r"x:1:\d+: .*not the JSON"),
        (b'[{"dicomDeviceName": "arc", "dicomDescription": "summary"}]', "no device with"),
        (b'[{"cn": "dicom"}]', r"x:1:2: not a dcm4chee device"),
        (b"dn: cn=x\ncn: caf\xe9\n", r"x:2:1: not UTF-8"),
        (b"dn: cn=x\ncn:< file:///etc/passwd\n", r"x:2:1: 'cn:<' takes its value from a URL"),
        (b"dn: cn=x\ncn:: ***\n", r"x:2:1: 'cn::' is not valid base64"),
        (b"cn: x\n", "starts with 'dn:'"),
        (b"", "neither a dcm4chee"),
        (b"\x00\x01\x02", "neither a dcm4chee"),
        (b"[" * 5000, r"x:1:\d+: "),
    ],
)
def test_cli_bad_input_is_exit_2(tmp_path, content, message):
    source = tmp_path / "x"
    source.write_bytes(content)
    result = run("import", "dcm4chee", str(source))
    assert_no_traceback(result)
    assert result.exit_code == 2, result.output
    assert re.search(message, result.stderr.replace(str(tmp_path) + "/", "")), result.stderr


def test_duplicate_ae_title_across_devices_is_reported(tmp_path):
    source = tmp_path / "dup.ldif"
    second = LDIF_MODALITY.replace("ct1", "ct2").replace("dicomAETitle: CT2", "dicomAETitle: CT1")
    second = second.replace("dicomAETitle=CT2", "dicomAETitle=CT1")
    source.write_text(LDIF_MODALITY + "\n" + second, encoding="utf-8")
    result = import_dcm4chee(str(source))
    (dup,) = by_code(result, "IMPORT009")
    assert "CT1 is defined twice" in dup.message
    roundtrip(render(result), tmp_path)


def test_into_an_environment_dry_run_writes_nothing(tmp_path):
    """`--into` (shared by every importer) takes the dcm4chee import as it is."""
    import shutil

    env = tmp_path / "env"
    shutil.copytree(Path(__file__).parent.parent / "examples" / "regional-health", env)
    before = sorted(p.name for p in env.rglob("*"))
    result = run(
        "import", "dcm4chee", str(ARCHIVE_JSON), "--site", "SPMC", "--into", str(env), "--dry-run"
    )
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert "+++ " in result.output and "imported-dcm4chee-arc.yaml" in result.output
    assert "+    to: STORESCP" in result.output
    assert sorted(p.name for p in env.rglob("*")) == before
