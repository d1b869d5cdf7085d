"""`imgpolicy import orthanc`: what Orthanc really accepts, read as Orthanc reads its files.

The reference for what an Orthanc accepts is Orthanc itself: the real Orthanc installed
here (Debian's 1.10.1) answers `/tools/accepted-transfer-syntaxes` for the patterns the
tests set over its REST API, and the import of the same patterns from a file must equal
that list less the two syntaxes its DCMTK never negotiates (tests/test_import_probe.py
proves the negotiation itself). Hand-written configurations cover what needs no server:
`${VAR}` substitution, Latin-1 bytes, huge numbers, empty accepted lists, old versions,
the storage commitment flags and a disabled DICOM server.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgpolicy.codes import CODES
from imgpolicy.importers import import_orthanc, render
from imgpolicy.importers import orthanc_variables as variables
from imgpolicy.importers.common import storage_sop_classes
from imgpolicy.importers.orthanc_syntaxes import Profile, dcmtk_storage

from .conftest import assert_no_traceback, run
from .test_import import (
    CT,
    EXPLICIT,
    IMPLICIT,
    ORTHANC,
    ORTHANC_JSON,
    VERIFICATION,
    _free_port,
    capabilities,
    codes,
    device,
    line_of,
    need,
    roundtrip,
    write,
)

STORAGE_COMMITMENT = "1.2.840.10008.1.20.1"
RFC2557, XML = "1.2.840.10008.1.2.6.1", "1.2.840.10008.1.2.6.2"

# Orthanc's DicomTransferSyntaxes.json (1.9.0 .. 1.12.x): the 42 UIDs of its list.
ORTHANC_LIST = [
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.2",
    *(f"1.2.840.10008.1.2.4.{n}" for n in (*range(50, 67), 70, 80, 81, *range(90, 96))),
    *(f"1.2.840.10008.1.2.4.{n}" for n in range(100, 109)),
    "1.2.840.10008.1.2.5",
    RFC2557,
    XML,
]


def _retired(uid: str) -> bool:
    """Independently of imgpolicy: pydicom's own registry file says which are retired."""
    import runpy

    import pydicom

    table = runpy.run_path(str(Path(pydicom.__file__).parent / "_uid_dict.py"))["UID_dictionary"]
    return table[uid][3] == "Retired"


def _orthanc_match(*patterns: str) -> set[str]:
    """Orthanc's matching: each pattern against its own list, `*` and `?` wildcards."""
    found = set()
    for pattern in patterns:
        regex = re.compile(
            "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        )
        found |= {uid for uid in ORTHANC_LIST if regex.fullmatch(uid)}
    return found


def _declared(*patterns: str) -> set[str]:
    """What the import declares for them: negotiable (no RFC 2557, XML), not retired."""
    return {u for u in _orthanc_match(*patterns) - {RFC2557, XML} if not _retired(u)}


def _scp(env, name: str | None = None) -> dict[str, list[str]]:
    orthanc = device(env, name) if name else env.devices[0]
    return capabilities(orthanc.application_entities[0], "SCP")


def _at(text: str, needle: str) -> str:
    """`line:column` of the first `needle` in `text`."""
    line = line_of(text, needle)
    return f"{line}:{text.splitlines()[line - 1].index(needle) + 1}"


def _check_codes(path: Path) -> list[str]:
    """The codes `imgpolicy check` reports for one imported file."""
    result = run("check", str(path), "--format", "json")
    return [f["code"] for f in json.loads(result.stdout)["findings"]]


# --- Debian's configuration: Orthanc's list, no retired UIDs, no CF002 -------------------


def test_debian_orthanc_json_declares_what_orthanc_accepts_and_checks_without_cf002(tmp_path):
    need(ORTHANC_JSON, "orthanc")
    result = import_orthanc(path=str(ORTHANC_JSON))
    text = render(result)
    env = roundtrip(text, tmp_path)
    scp = _scp(env)
    # "1.2.840.10008.1.*" over Orthanc's list, not pydicom's: no HTJ2K, SMPTE 2110, Papyrus
    assert set(scp[CT]) == _declared("1.2.840.10008.1.*") and IMPLICIT in scp[CT]
    assert not {"1.2.840.10008.1.2.4.201", "1.2.840.10008.1.20", RFC2557} & set(scp[CT])
    # storage SOP classes of the DCMTK every Orthanc >= 1.9.0 has, none retired
    assert set(scp) >= set(storage_sop_classes()) & dcmtk_storage("3.6.6")
    assert "1.2.840.10008.5.1.4.1.1.200.1" not in scp  # CT Defined Procedure Protocol (3.6.7)
    assert scp[VERIFICATION] == [EXPLICIT, IMPLICIT]
    assert "Orthanc's version is not known (give --orthanc-version)" in text
    assert "Orthanc also accepts 15 retired transfer syntaxes" in text
    assert sorted(codes(result)) == ["IMPORT001", "IMPORT003", "IMPORT004"]
    path = tmp_path / "debian.yaml"
    path.write_text(text)
    found = _check_codes(path)
    assert "CF002" not in found and found  # the rules ran (orphan AE, no sites...)


def test_debian_orthanc_folder_is_the_same_as_its_main_file(tmp_path):
    need(ORTHANC_JSON, "orthanc")
    folder = import_orthanc(path=str(ORTHANC_JSON.parent))
    single = import_orthanc(path=str(ORTHANC_JSON))
    assert (
        roundtrip(render(folder), tmp_path, "a.yaml").devices
        == roundtrip(render(single), tmp_path, "b.yaml").devices
    )


@pytest.mark.parametrize(
    "patterns",
    [
        ["1.2.840.10008.1.*"],
        ["1.2.840.10008.1.2.4.*"],
        ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.9?"],
        ["1.2.840.10008.1.2.4.5?", "1.2.840.10008.1.2.?"],
        ["*"],
    ],
)
def test_wildcards_expand_over_orthancs_list(tmp_path, patterns):
    path = write(tmp_path, "orthanc.json", json.dumps({"AcceptedTransferSyntaxes": patterns}))
    env = roundtrip(render(import_orthanc(path=str(path))), tmp_path)
    accepted = _scp(env)[CT]
    assert set(accepted) == _declared(*patterns) and len(accepted) == len(set(accepted))


def test_a_single_pattern_string_and_the_group_options(tmp_path):
    config = {
        "AcceptedTransferSyntaxes": "1.2.840.10008.1.2*",
        "JpegTransferSyntaxAccepted": False,
        "RleTransferSyntaxAccepted": True,
        "Mpeg2TransferSyntaxAccepted": False,
    }
    path = write(tmp_path, "orthanc.json", json.dumps(config))
    env = roundtrip(render(import_orthanc(path=str(path))), tmp_path)
    expected = _declared("1.2.840.10008.1.2*") - {
        f"1.2.840.10008.1.2.4.{n}" for n in (50, 51, 57, 70, 100, 101)
    }
    assert set(_scp(env)[CT]) == expected and "1.2.840.10008.1.2.5" in expected


def test_without_accepted_transfer_syntaxes_orthanc_accepts_its_whole_list(tmp_path):
    path = write(tmp_path, "orthanc.json", '{"Jpeg2000TransferSyntaxAccepted": false}')
    env = roundtrip(render(import_orthanc(path=str(path))), tmp_path)
    j2k = {f"1.2.840.10008.1.2.4.{n}" for n in (90, 91, 92, 93)}
    assert set(_scp(env)[CT]) == _declared("*") - j2k


# --- what stopped the import, or made it lie --------------------------------------------


@pytest.mark.parametrize(
    "value, ignored",
    [
        ("[]", []),
        ('["9.9.*"]', ['"9.9.*" matches no transfer syntax']),
        ('"1.2.840.10008.1.2.4.201"', ["matches HTJ2KLossless, which Orthanc does not know"]),
        ('["1.2.840.10008.1.2.6.?"]', ["its DCMTK cannot negotiate"]),
    ],
)
def test_an_orthanc_that_accepts_no_storage_syntax(tmp_path, value, ignored):
    text = '{\n  "DicomAet": "EMPTY",\n  "AcceptedTransferSyntaxes": ' + value + "\n}\n"
    path = write(tmp_path, "orthanc.json", text)
    result = run("import", "orthanc", str(path))
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert f"{path}:3:3: IMPORT011 Orthanc accepts no transfer syntax" in result.stderr
    for words in ignored:
        assert "IMPORT012 AcceptedTransferSyntaxes entry" in result.stderr
        assert words in result.stderr
    env = roundtrip(result.stdout, tmp_path)
    [ae] = env.devices[0].application_entities
    assert CT not in _scp(env) and VERIFICATION in _scp(env)  # Q/R and echo still work
    assert CT in capabilities(ae, "SCU")  # it still sends what it stores
    assert CODES["IMPORT011"].severity.label == "error"


def test_a_pattern_orthanc_ignores_next_to_good_ones(tmp_path):
    text = '{"AcceptedTransferSyntaxes": [\n  "1.2.840.10008.1.2",\n  "1.2.840.10008.1.2.4.202"]}'
    path = write(tmp_path, "orthanc.json", text)
    result = import_orthanc(path=str(path), orthanc_version="1.10.1")
    [finding] = [f for f in result.findings if f.code.startswith("IMPORT01")]
    assert finding.code == "IMPORT012"
    assert (finding.location.line, finding.location.column) == (3, 3)
    assert "HTJ2KLosslessRPCL, which Orthanc 1.10.1 does not know" in finding.message
    assert _scp(roundtrip(render(result), tmp_path))[CT] == [IMPLICIT]


@pytest.mark.parametrize(
    "text, line, column",
    [
        ('{\n  "DicomPort": ' + "4" * 5000 + "\n}", 2, 16),
        ('{"DicomModalities": {"ct": ["CT", "ct", 104, ' + "9" * 4400 + "]}}", 1, 46),
        ('{\n "Worklists": {"Enable": true, "Limit": -' + "1" * 4301 + "}}", 2, 41),
    ],
)
def test_numbers_beyond_pythons_digit_limit_exit_2_with_their_position(
    tmp_path, text, line, column
):
    path = write(tmp_path, "orthanc.json", text)
    result = run("import", "orthanc", str(path))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert f"{path}:{line}:{column}: " in result.stderr and "digits" in result.stderr


def test_a_port_of_5000_digits_in_a_string_is_reported_not_a_traceback(tmp_path):
    text = json.dumps(
        {"DicomPort": "7" * 5000, "DicomModalities": {"ct": ["CT", "ct", "9" * 5000]}}
    )
    path = write(tmp_path, "orthanc.json", text)
    result = run("import", "orthanc", str(path))
    assert_no_traceback(result)
    assert result.exit_code == 0
    assert result.stderr.count("IMPORT009") == 2 and "out of range" in result.stderr
    roundtrip(result.stdout, tmp_path)


def test_latin1_bytes_are_read_as_orthanc_reads_them(tmp_path):
    path = tmp_path / "orthanc.json"
    path.write_bytes(
        b"{\n  // Serveur de l'h\xf4pital, r\xe9seau radiologie\n"
        b'  "Name": "H\xf4pital Nord",\n  "DicomAet": "NORD"\n}\n'
    )
    result = run("import", "orthanc", str(path))
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    env = roundtrip(result.stdout, tmp_path)
    assert env.devices[0].description == 'Orthanc server, Name "Hôpital Nord"'
    assert f"{path}:2: bytes that are not UTF-8" in result.stdout  # a header note
    utf8 = write(tmp_path, "utf8.json", '{"Name": "Hôpital Nord"}')
    assert "not UTF-8" not in run("import", "orthanc", str(utf8)).stdout


# --- ${VAR} placeholders ----------------------------------------------------------------

PLACEHOLDERS = """{
  // ${IN_A_COMMENT} is substituted too, and changes nothing
  "Name": "${SITE_NAME:-Lab}", "DicomAet": "${AET}", "DicomAlwaysAllowStore": true,
  "DicomPort": ${DICOM_PORT},
  "DicomModalities": {
    "ct": ["${CT_AET:-'CT_1'}", "${CT_HOST:-"ct.example.org"}", ${CT_PORT:-104}]
  }
}
"""


def test_placeholders_take_values_from_the_environment_and_env_file(tmp_path, monkeypatch):
    path = write(tmp_path, "orthanc.json", PLACEHOLDERS)
    env_file = write(
        tmp_path, "orthanc.env", "# site values\nexport AET=PACS_A\nDICOM_PORT='11112'\n"
    )
    monkeypatch.setenv("AET", "FROM_ENV")  # --env-file wins
    monkeypatch.setenv("CT_PORT", "4100")
    monkeypatch.delenv("SITE_NAME", raising=False)
    result = run("import", "orthanc", str(path), "--env-file", str(env_file))
    assert result.exit_code == 0, result.output
    env = roundtrip(result.stdout, tmp_path)
    orthanc = env.devices[0]
    assert orthanc.name == "Lab" and orthanc.application_entities[0].ae_title == "PACS_A"
    assert orthanc.connections[0].port == 11112
    ct = device(env, "ct")  # the quoted defaults lose their quotes, as in Orthanc
    assert ct.application_entities[0].ae_title == "CT_1"
    assert (ct.connections[0].hostname, ct.connections[0].port) == ("ct.example.org", 4100)
    # positions are those of the file as written, after longer and shorter values
    store = _at(PLACEHOLDERS, '"DicomAlwaysAllowStore"')
    assert f"{path}:{store}: IMPORT001" in result.stderr
    assert f"{path}:{_at(PLACEHOLDERS, '${AET}')}: ${{AET}}: from --env-file" in result.stdout
    port = _at(PLACEHOLDERS, "${CT_PORT")
    assert f"{path}:{port}: ${{CT_PORT:-104}}: from the environment" in result.stdout
    assert "PACS_A" not in result.stdout.split("imgpolicy: 1")[0]  # values never in notes


def test_unresolved_placeholders_stop_the_import_at_their_position(tmp_path, monkeypatch):
    for name in ("AET", "DICOM_PORT", "IN_A_COMMENT"):
        monkeypatch.delenv(name, raising=False)
    path = write(tmp_path, "orthanc.json", PLACEHOLDERS)
    result = run("import", "orthanc", str(path))
    assert_no_traceback(result)
    assert result.exit_code == 2
    aet, port = _at(PLACEHOLDERS, "${AET}"), _at(PLACEHOLDERS, "${DICOM_PORT}")
    assert f"{path}:{aet}: ${{AET}} is not set (IMPORT010)" in result.stderr
    assert f"{path}:{port}: ${{DICOM_PORT}} is not set" in result.stderr
    assert "IN_A_COMMENT" not in result.stderr and "--env-file" in result.stderr

    kept = run("import", "orthanc", str(path), "--keep-placeholders")
    assert kept.exit_code == 0, kept.output
    assert f"{path}:{aet}: IMPORT010 ${{AET}} is not set" in kept.stderr
    assert f"{path}:{port}: IMPORT010 ${{DICOM_PORT}}" in kept.stderr
    bare = _at(PLACEHOLDERS, '"DicomPort"')
    assert f"{path}:{bare}: IMPORT009 DicomPort" in kept.stderr  # a bare one: not a port
    env = roundtrip(kept.stdout, tmp_path)
    assert env.devices[0].application_entities[0].ae_title == "${AET}"
    assert CODES["IMPORT010"].name == "unresolved-placeholder"


@pytest.mark.parametrize("placeholder", ["${}", "${:-x}"])
def test_a_placeholder_without_a_name_stops_orthanc_and_the_import(tmp_path, placeholder):
    path = write(tmp_path, "orthanc.json", '{\n  "DicomAet": "' + placeholder + '"}')
    result = run("import", "orthanc", str(path), "--keep-placeholders")
    assert result.exit_code == 2 and f"{path}:2:16: " in result.stderr
    assert "no variable name" in result.stderr


def test_a_bad_env_file_exits_2_with_its_line(tmp_path):
    path = write(tmp_path, "orthanc.json", "{}")
    env_file = write(tmp_path, "bad.env", "A=1\nthis is not a pair\n")
    result = run("import", "orthanc", str(path), "--env-file", str(env_file))
    assert result.exit_code == 2 and f"{env_file}:2:1: expected KEY=VALUE" in result.stderr


# --- versions, storage commitment, a disabled DICOM server -------------------------------


def test_versions_before_1_9_ignore_accepted_transfer_syntaxes(tmp_path):
    text = (
        '{\n  "AcceptedTransferSyntaxes": ["1.2.840.10008.1.2"],\n'
        '  "H265TransferSyntaxAccepted": true,\n  "Jpeg2000TransferSyntaxAccepted": false\n}'
    )
    path = write(tmp_path, "orthanc.json", text)
    result = import_orthanc(path=str(path), orthanc_version="1.8.2")
    found = {(f.code, f.location.line) for f in result.findings}
    assert {("IMPORT012", 2), ("IMPORT012", 3)} <= found
    env = roundtrip(render(result), tmp_path)
    accepted = set(_scp(env)[CT])
    assert "1.2.840.10008.1.2.4.102" in accepted  # MPEG-4: a group since 1.6.0
    assert not {"1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.90"} & accepted
    assert env.devices[0].software_version == "1.8.2"
    old = import_orthanc(path=str(write(tmp_path, "old.json", "{}")), orthanc_version="1.5.0")
    old_scp = _scp(roundtrip(render(old), tmp_path, "old.yaml"))
    assert "1.2.840.10008.1.2.4.102" not in old_scp[CT]  # no MPEG-4 before 1.6.0
    assert len(old_scp) < len(_scp(env))  # DCMTK 3.6.0 knows fewer storage classes


def test_an_unknown_version_is_refused(tmp_path):
    path = write(tmp_path, "orthanc.json", "{}")
    result = run("import", "orthanc", str(path), "--orthanc-version", "latest")
    assert result.exit_code == 2 and "--orthanc-version" in result.stderr
    newer = run("import", "orthanc", str(path), "--orthanc-version", "1.13.0")
    assert newer.exit_code == 0 and "newer than this table" in newer.stdout


@pytest.mark.parametrize(
    "flags, allowed",
    [
        ({"AllowNAction": True, "AllowStorageCommitment": False}, False),
        ({"AllowNAction": False, "AllowStorageCommitment": True}, True),
        ({"AllowNAction": False}, False),
        ({}, True),
    ],
)
def test_allow_storage_commitment_wins_over_allow_n_action(tmp_path, flags, allowed):
    modality = {"AET": "RIS", "Host": "ris", "Port": 104, **flags}
    config = {"DicomAlwaysAllowStore": False, "DicomModalities": {"ris": modality}}
    path = write(tmp_path, "orthanc.json", json.dumps(config))
    env = roundtrip(render(import_orthanc(path=str(path))), tmp_path)
    used = capabilities(device(env, "ris").application_entities[0], "SCU")
    assert (STORAGE_COMMITMENT in used) is allowed


def test_a_disabled_dicom_server_takes_no_request_from_the_modalities(tmp_path):
    config = {"DicomServerEnabled": False, "DicomModalities": {"ct": ["CT", "ct", 104]}}
    path = write(tmp_path, "orthanc.json", json.dumps(config))
    result = import_orthanc(path=str(path))
    text = render(result)
    env = roundtrip(text, tmp_path)
    [ae] = env.devices[0].application_entities
    assert not ae.acceptor and env.devices[0].connections[0].port is None
    assert _scp(env) == {} and CT in capabilities(ae, "SCU")  # it still sends and queries
    ct = device(env, "ct").application_entities[0]
    assert capabilities(ct, "SCU") == {} and ct.acceptor
    assert "DicomServerEnabled is false" in text and result.findings == []


# --- the real Orthanc: its own answer for the same patterns ------------------------------


@pytest.fixture(scope="module")
def orthanc_rest(tmp_path_factory):
    """A real Orthanc with a REST API to set the accepted transfer syntaxes on."""
    binary = need(ORTHANC, "orthanc")
    folder = tmp_path_factory.mktemp("orthanc-syntaxes")
    http_port = _free_port()
    config = {
        "Name": "Syntaxes",
        "StorageDirectory": str(folder / "db"),
        "IndexDirectory": str(folder / "db"),
        "Plugins": [],
        "HttpPort": http_port,
        "DicomPort": _free_port(),
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {"test": "test-password"},
    }
    path = folder / "orthanc.json"
    path.write_text(json.dumps(config))
    log = folder / "orthanc.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [binary, str(path)], cwd=folder, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{http_port}"
    token = base64.b64encode(b"test:test-password").decode()

    def call(route: str, body: str | None = None):
        request = urllib.request.Request(
            url + route,
            data=body.encode() if body is not None else None,
            method="PUT" if body is not None else "GET",
            headers={"Authorization": f"Basic {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    deadline = time.monotonic() + 30
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"Orthanc exited:\n{log.read_text()}")
            try:
                call("/system")
                break
            except (OSError, urllib.error.URLError, ValueError):
                if time.monotonic() > deadline:
                    pytest.fail(f"Orthanc did not answer:\n{log.read_text()}")
                time.sleep(0.2)
        yield call
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.peers  # a real Orthanc
def test_the_table_is_what_the_installed_orthanc_lists(orthanc_rest):
    version = orthanc_rest("/system")["Version"]
    listed = orthanc_rest("/tools/accepted-transfer-syntaxes")  # nothing configured: all
    assert sorted(listed) == sorted(Profile(tuple(map(int, version.split(".")))).known())
    assert sorted(listed) == sorted(ORTHANC_LIST)


@pytest.mark.peers  # a real Orthanc
@pytest.mark.parametrize(
    "patterns",
    [
        ["1.2.840.10008.1.*"],
        ["1.2.840.10008.1.2.4.*"],
        ["1.2.840.10008.1.2", "1.2.840.10008.1.2.4.9?", "1.2.840.10008.1.2.4.201"],
        ["1.2.840.10008.1.2.?", "*.5"],
        ["1.2.840.10008.1.2.4.10?"],
    ],
)
def test_file_patterns_expand_as_the_real_orthanc_expands_them(orthanc_rest, tmp_path, patterns):
    version = orthanc_rest("/system")["Version"]
    listed = set(orthanc_rest("/tools/accepted-transfer-syntaxes", json.dumps(patterns)))
    path = write(tmp_path, "orthanc.json", json.dumps({"AcceptedTransferSyntaxes": patterns}))
    result = import_orthanc(path=str(path), orthanc_version=version)
    env = roundtrip(render(result), tmp_path)
    declared = set(_scp(env)[CT])
    assert declared == {u for u in listed - {RFC2557, XML} if not _retired(u)}
    assert listed <= set(ORTHANC_LIST)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="${}:-'\"ab\n", max_size=40))
def test_placeholders_are_found_as_orthancs_regex_finds_them(text):
    expected = []
    for match in re.finditer(variables._PATTERN, text):
        groups = match.groups()
        name = next(g for g in (groups[0], groups[1], groups[3], groups[5]) if g is not None)
        default = next((g for g in (groups[2], groups[4], groups[6]) if g is not None), None)
        expected.append((match.start(), match.end(), name, default))
    assert variables._placeholders(text) == expected


def test_a_file_full_of_unclosed_placeholders_is_read_in_bounded_time(tmp_path):
    path = tmp_path / "orthanc.json"
    path.write_text('{"Name": "' + "${" * 2_000_000 + '"}')
    result = subprocess.run(
        ["imgpolicy", "import", "orthanc", str(path), "--keep-placeholders"],
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard: the regex Orthanc uses takes hours on this file
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
