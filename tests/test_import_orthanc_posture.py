"""The posture of an Orthanc configuration beyond DICOM permissions
(`imgpolicy/importers/orthanc_posture.py`, IMPORT014-020): each setting of the issue on a
configuration written as Orthanc's documentation describes it, its position, severity and
fix, the safe values that give no finding, and secrets never echoed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgpolicy.codes import CODES
from imgpolicy.findings import Severity
from imgpolicy.importers import ImportFailed, import_orthanc, render, self_check
from imgpolicy.importers.orthanc_routing import build

ORTHANC_JSON = Path("/etc/orthanc")
OURS = {f"IMPORT0{n}" for n in range(13, 23)}


def write(tmp_path: Path, options: dict, name: str = "orthanc.json") -> Path:
    """One option a line, so each finding's line is the option's."""
    lines = ["{", '  "DicomAet" : "ORTHANC",']
    lines += [f"  {json.dumps(k)} : {json.dumps(v)}," for k, v in options.items()]
    lines[-1] = lines[-1].rstrip(",")
    (tmp_path / name).write_text("\n".join(lines) + "\n}\n")
    return tmp_path / name


def ours(result) -> list[tuple[str, int, str]]:
    return sorted((f.code, f.location.line, f.message) for f in result.findings if f.code in OURS)


@pytest.mark.parametrize(
    ("options", "code", "line", "words"),
    [
        ({"ExecuteLuaEnabled": True}, "IMPORT014", 3, "remote code execution"),
        ({"HttpsVerifyPeers": False}, "IMPORT015", 3, "accepts any certificate"),
        (
            {"RemoteAccessAllowed": True, "SslEnabled": False},
            "IMPORT016",
            4,
            "HTTP Basic authentication",
        ),
        ({"RemoteAccessAllowed": True}, "IMPORT016", 3, "(Orthanc's default)"),
        ({"MaximumStorageSize": 500000}, "IMPORT018", 3, "deletes the oldest"),
        (
            {"MaximumPatientCount": "2000", "MaximumStorageMode": "Recycle"},
            "IMPORT018",
            3,
            "MaximumPatientCount 2000 patients",
        ),
        ({"StorageCompression": True}, "IMPORT019", 3, "zlib"),
        ({"IngestTranscoding": "1.2.840.10008.1.2.4.50"}, "IMPORT020", 3, "lossy"),
        (
            {"IngestTranscoding": "1.2.840.10008.1.2.4.91", "IngestTranscodingOfCompressed": False},
            "IMPORT020",
            3,
            "every uncompressed image",
        ),
    ],
)
def test_each_setting_is_reported_at_its_line(tmp_path, options, code, line, words):
    result = import_orthanc(path=str(write(tmp_path, options)))
    found = ours(result)
    assert [(c, n) for c, n, _ in found] == [(code, line)]
    assert words in found[0][2]
    finding = next(f for f in result.findings if f.code == code)
    assert finding.severity is CODES[code].severity
    self_check(render(result))


@pytest.mark.parametrize(
    "options",
    [
        {"ExecuteLuaEnabled": False, "HttpsVerifyPeers": True},
        {"RemoteAccessAllowed": True, "SslEnabled": True},
        {"RemoteAccessAllowed": True, "AuthenticationEnabled": False},  # IMPORT005 says it
        {"RemoteAccessAllowed": False, "AuthenticationEnabled": True},
        {"MaximumStorageSize": 500000, "MaximumStorageMode": "Reject"},
        {"MaximumStorageSize": 0, "MaximumPatientCount": 0},
        {"StorageCompression": False},
        {"IngestTranscoding": "1.2.840.10008.1.2.4.90"},
        {
            "IngestTranscoding": "1.2.840.10008.1.2.4.50",
            "IngestTranscodingOfUncompressed": False,
            "IngestTranscodingOfCompressed": False,
        },
        {"RegisteredUsers": {}},
    ],
)
def test_safe_values_give_no_finding(tmp_path, options):
    result = import_orthanc(path=str(write(tmp_path, options)))
    assert ours(result) == []


def test_lossless_ingest_transcoding_is_said_in_the_header(tmp_path):
    result = import_orthanc(
        path=str(write(tmp_path, {"IngestTranscoding": "1.2.840.10008.1.2.4.90"}))
    )
    assert any("IngestTranscoding 1.2.840.10008.1.2.4.90" in line for line in result.header)


def test_an_unknown_ingest_syntax_is_reported(tmp_path):
    result = import_orthanc(path=str(write(tmp_path, {"IngestTranscoding": "1.2.3.4"})))
    assert [
        (f.code, f.location and f.location.line) for f in result.findings if "Ingest" in f.message
    ] == [("IMPORT008", 3)]


def test_registered_users_are_named_never_their_passwords(tmp_path, monkeypatch):
    monkeypatch.setenv("RADIOLOGIST_PASSWORD", "from-the-environment")
    (tmp_path / "orthanc.json").write_text('{ "DicomAet" : "ORTHANC" }\n')
    (tmp_path / "credentials.json").write_text(
        "{\n"
        '  "RegisteredUsers" : {\n'
        '    "admin" : "Sup3r-secret",\n'
        '    "radiologist" : "${RADIOLOGIST_PASSWORD}",\n'
        '    "viewer" : "also-secret"\n'
        "  }\n}\n"
    )
    result = import_orthanc(path=str(tmp_path))
    (finding,) = [f for f in result.findings if f.code == "IMPORT017"]
    assert finding.location is not None
    assert (Path(finding.location.path).name, finding.location.line) == ("credentials.json", 2)
    assert '2 users ("admin", "viewer")' in finding.message
    text = render(result)
    for secret in ("Sup3r-secret", "also-secret", "from-the-environment"):
        assert secret not in text and secret not in finding.message


def test_a_wrong_type_stops_the_import_with_its_position(tmp_path):
    with pytest.raises(ImportFailed, match=r'orthanc.json:3:3: "ExecuteLuaEnabled" must be true'):
        import_orthanc(path=str(write(tmp_path, {"ExecuteLuaEnabled": "yes"})))
    with pytest.raises(ImportFailed, match=r'"MaximumStorageSize" must be a whole number'):
        import_orthanc(path=str(write(tmp_path, {"MaximumStorageSize": -1})))


def test_dicomweb_plugin_over_plain_http_only_when_open(tmp_path):
    web = {"DicomWeb": {"Enable": True, "Root": "/dicom-web/"}}
    open_plain = import_orthanc(path=str(write(tmp_path, {"RemoteAccessAllowed": True, **web})))
    assert "IMPORT021" in {f.code for f in open_plain.findings}
    for safe in ({"RemoteAccessAllowed": True, "SslEnabled": True}, {}):
        result = import_orthanc(
            path=str(write(tmp_path, {**safe, **web})), hostname="pacs.example.org"
        )
        assert "IMPORT021" not in {f.code for f in result.findings}
        assert any("DICOMweb service" in (line or "") for line in result.devices[0].above)
    disabled = import_orthanc(path=str(write(tmp_path, {"DicomWeb": {"Enable": False}})))
    assert not any("DICOMweb" in (line or "") for line in disabled.devices[0].above)


def test_debian_configuration_is_quiet(tmp_path):
    """The stock configuration of Debian's orthanc package: no routing or posture noise."""
    if not (ORTHANC_JSON / "orthanc.json").exists():
        pytest.skip("Debian's orthanc is not installed")
    result = import_orthanc(path=str(ORTHANC_JSON))
    assert ours(result) == []
    assert not result.routes and not result.integrations


def test_over_rest_the_header_says_what_was_not_read():
    from imgpolicy.importers.common import Device, ImportResult, Names

    result = ImportResult()
    build(
        None,
        orthanc=Device("orthanc", "MAIN", "pacs"),
        modalities={},
        names=Names(),
        site="MAIN",
        modalities_elsewhere=False,
        result=result,
    )
    assert any("LuaScripts" in line and "OrthancPeers" in line for line in result.header)


def test_codes_have_their_sections_and_severity():
    for code in sorted(OURS):
        sections = CODES[code].sections()
        assert {"Summary", "What", "Why", "Example"} <= set(sections), code
        assert "Fix:" in sections["Example"], code
    assert CODES["IMPORT014"].severity is Severity.ERROR
    assert CODES["IMPORT019"].severity is Severity.INFO
