"""`imgpolicy import mercure`: mercure.json -> router, targets, routes (issue 12).

Inputs: mercure's own published samples (tests/data/mercure, MIT, see its README) and a
hospital configuration written in the form mercure's web interface saves. The receiver's
transfer syntaxes are checked against the real DCMTK storescp installed here, started as
mercure's receiver.sh starts it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from imgpolicy.importers import ImportFailed, import_mercure, mercure, render, self_check
from imgpolicy.importers.mercure import translate

from .conftest import assert_no_traceback, run

DATA = Path(__file__).parent / "data" / "mercure"
HOSPITAL = DATA / "hospital_mercure.json"
STORESCP = shutil.which("storescp", path="/usr/bin")  # DCMTK's, not pynetdicom's


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


def document(result) -> dict:
    text = render(result)
    self_check(text)
    return yaml.safe_load(text)


def routes(result) -> dict[str, dict]:
    return {r["name"]: r for r in document(result).get("routes", [])}


# --- rule conditions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "fields"),
    [
        ("True", None),
        ("tags.Modality == 'CT'", {"modality": ["CT"]}),
        ("'CT' == tags.Modality", {"modality": ["CT"]}),
        ('@Modality@ == "MR"', {"modality": ["MR"]}),  # mercure's older syntax
        ("tags.modality == 'MR'", {"modality": ["MR"]}),  # tags.X is case-insensitive
        ("tags['BodyPartExamined'] == 'CHEST'", {"body_part": ["CHEST"]}),
        ("tags.Modality.lower() == 'ct'", {"modality": ["CT"]}),
        ("tags.Modality in ['CT', 'MR']", {"modality": ["CT", "MR"]}),
        ("tags.Modality == 'CT' or tags.Modality == 'PT'", {"modality": ["CT", "PT"]}),
        (
            "(tags.SenderAET == 'CT_1') | (tags.SenderAET == 'CT_2')",
            {"calling_ae": ["CT_1", "CT_2"]},
        ),
        (
            "@Modality@ == 'MR' and @BodyPartExamined@ == 'BRAIN'",
            {"modality": ["MR"], "body_part": ["BRAIN"]},
        ),
        ("tags.Modality in ('CT', 'MR') and tags.Modality == 'CT'", {"modality": ["CT"]}),
        (
            "tags.SOPClassUID == '1.2.840.10008.5.1.4.1.1.2'",
            {"sop_classes": ["1.2.840.10008.5.1.4.1.1.2"]},
        ),
    ],
)
def test_conditions_that_map_become_the_exact_match(expression, fields):
    condition = translate(expression)
    assert (condition.fields, condition.exact, condition.never) == (fields, True, False)


@pytest.mark.parametrize(
    ("expression", "fields", "unmapped"),
    [
        ("'CINE' in tags.SeriesDescription", None, ["'CINE' in tags.SeriesDescription"]),
        (
            "'CINE' in tags.SeriesDescription and tags.Modality == 'MR'",
            {"modality": ["MR"]},
            ["'CINE' in tags.SeriesDescription"],
        ),
        ("tags.Modality != 'SR'", None, ["tags.Modality != 'SR'"]),
        ("float(tags.SliceThickness) < 2.0", None, ["float(tags.SliceThickness) < 2.0"]),
        (
            "tags.Modality == 'CT' or tags.SenderAET == 'US_1'",
            None,
            ["tags.Modality == 'CT' or tags.SenderAET == 'US_1'"],
        ),
        ("tags.Modality == 'XYZ'", None, ["tags.Modality == 'XYZ'"]),  # no modality code
        ("tags.SenderAET.lower() == 'ct_1'", None, ["tags.SenderAET.lower() == 'ct_1'"]),
    ],
)
def test_conditions_that_do_not_map_widen_and_say_what(expression, fields, unmapped):
    """Dropping a conjunct or an `or` widens the match: the route claims more than mercure
    sends, never less (rules then over-report rather than miss)."""
    condition = translate(expression)
    assert (condition.fields, condition.exact, condition.unmapped) == (fields, False, unmapped)


@pytest.mark.parametrize(
    "expression",
    ["False", "tags.Modality.lower() == 'CT'", "tags.Modality == 'CT' and tags.Modality == 'MR'"],
)
def test_conditions_that_never_hold(expression):
    assert translate(expression).never


def test_an_expression_python_cannot_parse_is_invalid():
    condition = translate("tags.Modality == 'CT' and (")
    assert condition.invalid and condition.never


# --- the hospital configuration ---------------------------------------------------------


@pytest.fixture(scope="module")
def hospital():
    return import_mercure(str(HOSPITAL), hostname="mercure.hospital.example.org")


def test_router_receives_and_forwards_with_storescps_syntaxes(hospital):
    router = document(hospital)["devices"][0]
    assert (router["name"], router["kind"], router["model"]) == (
        "mercure-radiology-router",
        "router",
        "mercure",
    )
    assert router["connections"] == [
        {"name": "dicom", "hostname": "mercure.hospital.example.org", "port": 104, "tls": False}
    ]
    (ae,) = router["application_entities"]
    assert ae["ae_title"] == "MERCURE" and ae["initiator"] and ae["acceptor"]
    scp, scu, echo = ae["transfer_capabilities"]
    assert (scp["role"], scu["role"], echo["role"]) == ("SCP", "SCU", "SCP")
    # accept_compressed_images true: storescp +xa, minus what pydicom does not know and
    # the retired big endian
    assert "JPEG2000Lossless" in scp["transfer_syntaxes"]
    assert "HTJ2KLossless" in scp["transfer_syntaxes"]
    assert "ExplicitVRBigEndian" not in scp["transfer_syntaxes"]
    assert scu["sop_classes"] == scp["sop_classes"] and "CTImageStorage" in scp["sop_classes"]


def test_uncompressed_receiver_without_accept_compressed(tmp_path):
    config = tmp_path / "mercure.json"
    config.write_text('{"appliance_name": "master", "accept_compressed_images": false}')
    ae = document(import_mercure(str(config)))["devices"][0]["application_entities"][0]
    assert ae["transfer_capabilities"][0]["transfer_syntaxes"] == [
        "ExplicitVRLittleEndian",
        "ImplicitVRLittleEndian",
    ]
    assert document(import_mercure(str(config)))["devices"][0]["connections"][0]["port"] == 11112


def test_rules_become_routes_with_their_match(hospital):
    found = routes(hospital)
    assert found["ct-to-pacs-pacs"]["match"] == {"modality": ["CT"]}
    assert found["ct-to-pacs-pacs"]["priority"] == "high"  # mercure's urgent
    assert found["neuro-mr-ai-stroke"]["match"] == {"modality": ["MR"], "body_part": ["BRAIN"]}
    assert found["cross-sectional-pacs-copy"]["priority"] == "low"  # offpeak
    assert found["from-ct-scanners-telerad"]["match"] == {"calling_ae": ["CT_1", "CT_2"]}
    assert {r["from"] for r in found.values()} == {"MERCURE"}
    # two targets at one host, port and AE title are one device
    assert found["cross-sectional-pacs-copy"]["to"] == found["ct-to-pacs-pacs"]["to"] == "PACS_MAIN"
    assert found["old-rule-pacs"]["enabled"] is False
    assert found["broken-pacs"]["enabled"] is False
    assert "match" not in found["ct-or-sender-pacs"]  # widened to everything
    assert "fallback" in found["catch-all-pacs"]["description"]


def test_findings_name_the_rule_at_its_position(hospital):
    text = HOSPITAL.read_text().splitlines()
    by_message = {f.message: f for f in hospital.findings}
    cine = next(m for m in by_message if m.startswith('rule "cardiac-cine"'))
    finding = by_message[cine]
    assert finding.code == "IMPORT037"
    assert "'CINE' in tags.SeriesDescription" in text[finding.location.line - 1]
    assert {"IMPORT037", "IMPORT038", "IMPORT039", "IMPORT040"} <= set(codes(hospital))
    not_routed = [f.message for f in hospital.findings if f.code == "IMPORT038"]
    assert any('"research-s3"' in m for m in not_routed)
    assert any('"modality-return"' in m and "sender" in m for m in not_routed)
    assert any('"no-such-target"' in m for m in not_routed)
    assert any('"broken"' in m and "not a valid expression" in m for m in not_routed)
    # a rule whose targets all cannot be routes gets no IMPORT037 about its condition
    assert not any(
        f.code == "IMPORT037" and '"anonymize-research"' in f.message for f in hospital.findings
    )


def test_dicomweb_target_is_an_integration_without_secrets(hospital):
    doc = document(hospital)
    (integration,) = doc["integrations"]
    assert integration["kind"] == "dicomweb"
    assert integration["endpoint"] == "http://vna.hospital.example.org:8080/dicom-web"
    assert integration["source"] == "mercure-radiology-router"
    assert integration["credentials"]["password"].startswith("${")
    assert integration["credentials"]["username"].startswith("${")


def test_secrets_are_never_written_or_echoed(tmp_path):
    out = tmp_path / "mercure.yaml"
    proc = subprocess.run(
        ["imgpolicy", "import", "mercure", str(HOSPITAL), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    written = out.read_text() + proc.stdout + proc.stderr
    for secret in ("S3cret-Pw!", "hunter22", "wJalrXUtnFEMI", "b6f3c1d2e4a5", "tok-123456"):
        assert secret not in written
    assert proc.stderr.count("IMPORT040") == 5


def test_the_import_round_trips_through_check(tmp_path):
    """The written file loads with the rest of an environment: only rule findings, no
    schema problem; SEC003 is the source's real http:// DICOMweb with credentials."""
    env = tmp_path / "env"
    env.mkdir()
    (env / "sites.yaml").write_text(
        "imgpolicy: 1\nsites:\n  - {name: MAIN, jurisdiction: US-CA, region: west}\n"
    )
    result = run(
        "import",
        "mercure",
        str(HOSPITAL),
        "--hostname",
        "mercure.example.org",
        "-o",
        str(env / "mercure.yaml"),
    )
    assert_no_traceback(result)
    assert result.exit_code == 0
    check = run("check", str(env), "--format", "json")
    assert_no_traceback(check)
    found = {f["code"] for f in json.loads(check.output)["findings"]}
    assert not {c for c in found if c.startswith(("SCHEMA", "YAML", "CF002"))}
    assert "SEC003" in found


# --- mercure's published samples --------------------------------------------------------


def test_mercures_default_configuration():
    result = import_mercure(str(DATA / "default_mercure.json"))
    doc = document(result)
    assert [d["name"] for d in doc["devices"]] == ["mercure-master"]
    assert "routes" not in doc
    assert "IMPORT040" not in codes(result)  # BOOKKEEPER_TOKEN_PLACEHOLDER is no secret


def test_mercures_test_configuration_infers_target_types_as_mercure_does():
    """Targets without target_type are the first type whose fields they have
    (mercure's Target.validate): test_target_2 is DICOM, sftp_target SFTP."""
    result = import_mercure(str(DATA / "test_config.json"))
    doc = document(result)
    names = {d["name"]: d for d in doc["devices"]}
    assert names["test_target_2"]["application_entities"][0]["ae_title"] == "bar"
    assert "sftp_target" not in names and "dummy" not in names
    assert any("sftp_target" in line and "sftp" in line for line in result.header)
    # "dummy_error" is foo at another host: one AE title, two hosts -> left out, said so
    assert any(f.code == "IMPORT009" and "dummy_error" in f.message for f in result.findings)


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"appliance_name": "r\xe9"}', "1:22: byte 0xe9 is not UTF-8"),
        (b'{"targets": {"a": }', "1:19:"),
        (b'{"foo": 1}', "not a mercure.json"),
        (b'{"targets": []}', "targets must be an object"),
        (b'{"port": ' + b"9" * 5000 + b"}", "1:10:"),
    ],
)
def test_unusable_input_is_a_clear_error(tmp_path, content, expected):
    config = tmp_path / "mercure.json"
    config.write_bytes(content)
    with pytest.raises(ImportFailed, match=expected):
        import_mercure(str(config))
    result = run("import", "mercure", str(config))
    assert_no_traceback(result)
    assert result.exit_code == 2 and expected in result.stderr


def test_an_ae_title_the_schema_refuses_is_a_usage_error(tmp_path):
    result = run("import", "mercure", str(DATA / "default_mercure.json"), "--ae-title", "A" * 17)
    assert_no_traceback(result)
    assert result.exit_code == 2 and "--ae-title" in result.stderr


# --- the receiver against the real storescp ----------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepted_by_storescp(tmp_path: Path, options: list[str]) -> set[str]:
    """Start storescp as mercure's receiver.sh does (--promiscuous, +xa or not) and
    propose CT Image Storage in every transfer syntax pydicom knows: what it accepts."""
    from pydicom.uid import UID
    from pynetdicom import AE, build_context

    from imgpolicy.importers.common import transfer_syntaxes

    port = _free_port()
    proc = subprocess.Popen(
        [STORESCP, "--promiscuous", *options, "-od", str(tmp_path), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        accepted: set[str] = set()
        syntaxes = list(transfer_syntaxes())
        for start in range(0, len(syntaxes), 100):
            ae = AE(ae_title="MODALITY")
            ae.acse_timeout = ae.network_timeout = 30
            ae.requested_contexts = [
                build_context("1.2.840.10008.5.1.4.1.1.2", UID(ts))
                for ts in syntaxes[start : start + 100]
            ]
            assoc = ae.associate("127.0.0.1", port, ae_title="ANYTHING_AT_ALL")
            assert assoc.is_established, "storescp answers any called AE title"
            accepted |= {str(cx.transfer_syntax[0]) for cx in assoc.accepted_contexts}
            assoc.release()
        return accepted
    finally:
        proc.terminate()
        proc.wait(timeout=30)


DCMTK_370_ADDITIONS = {
    # storescp +xa of DCMTK 3.7.0 over 3.6.7 (dcmnet/apps/storescp.cc): the fragmentable
    # MPEG syntaxes, HTJ2K, JPEG XL, deflated image frames, encapsulated uncompressed
    "1.2.840.10008.1.2.4.100.1",
    "1.2.840.10008.1.2.4.101.1",
    "1.2.840.10008.1.2.4.102.1",
    "1.2.840.10008.1.2.4.103.1",
    "1.2.840.10008.1.2.4.104.1",
    "1.2.840.10008.1.2.4.105.1",
    "1.2.840.10008.1.2.4.106.1",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
    "1.2.840.10008.1.2.4.110",
    "1.2.840.10008.1.2.4.111",
    "1.2.840.10008.1.2.4.112",
    "1.2.840.10008.1.2.8.1",
    "1.2.840.10008.1.2.1.98",
}


@pytest.mark.skipif(STORESCP is None, reason="DCMTK's storescp is not installed")
def test_the_uncompressed_table_is_what_storescp_accepts(tmp_path):
    assert _accepted_by_storescp(tmp_path, []) == set(mercure.STORESCP_UNCOMPRESSED)


@pytest.mark.skipif(STORESCP is None, reason="DCMTK's storescp is not installed")
def test_the_accept_all_table_is_what_storescp_accepts(tmp_path):
    """The installed storescp (3.6.7) accepts exactly the table minus what 3.7.0 added,
    as far as pydicom knows the syntaxes."""
    from imgpolicy.importers.common import transfer_syntaxes

    known = set(transfer_syntaxes())
    accepted = _accepted_by_storescp(tmp_path, ["+xa"])
    assert accepted == (set(mercure.STORESCP_ACCEPT_ALL) - DCMTK_370_ADDITIONS) & known
