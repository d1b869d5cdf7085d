"""`imgpolicy import orthanc` and `imgpolicy import dcmtk` (DCMTK: tests/test_import_dcmtk.py).

The real configuration files Debian's `orthanc` and `dcmtk` packages install are imported
and the result is loaded back as an environment (no YAML or SCHEMA finding allowed); the
REST import runs against a real Orthanc started here. Without those packages the tests
that need them skip, except under CI=true, where they fail (scripts/test.sh installs them).
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgpolicy.codes import CODES
from imgpolicy.importers import ImportFailed, import_orthanc, jsonc, render
from imgpolicy.importers.yaml_writer import Map, Seq, dump, scalar
from imgpolicy.load import load_environment
from imgpolicy.load.yaml12 import load_documents

from .conftest import assert_no_traceback, run

ORTHANC_JSON = Path("/etc/orthanc/orthanc.json")
DCMQRSCP_CFG = Path("/etc/dcmtk/dcmqrscp.cfg")
STORESCP_CFG = Path("/etc/dcmtk/storescp.cfg")
STORESCU_CFG = Path("/etc/dcmtk/storescu.cfg")
ORTHANC = shutil.which("Orthanc", path="/usr/sbin:/usr/bin")

CT = "1.2.840.10008.5.1.4.1.1.2"
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"


def need(path: Path | str | None, package: str):
    if path and os.path.exists(path):
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"{path or package} is missing: scripts/test.sh installs Debian's {package}")
    pytest.skip(f"Debian's {package} is not installed (scripts/test.sh installs it)")


def roundtrip(text: str, tmp_path: Path, name: str = "imported.yaml"):
    """Load the written file as an environment: it must have no YAML or SCHEMA finding."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    load = load_environment([str(path)])
    assert load.files == [str(path)]
    problems = [f for f in load.findings if f.code.startswith(("YAML", "SCHEMA"))]
    assert not problems, "\n".join(f"{f.location}: {f.code} {f.message}" for f in problems)
    return load.environment


def codes(result) -> list[str]:
    return [f.code for f in result.sorted_findings()]


def device(env, name: str):
    return next(d for d in env.devices if d.name == name)


def capabilities(ae, role: str) -> dict[str, list[str]]:
    """SOP class -> transfer syntaxes, for one role."""
    found: dict[str, list[str]] = {}
    for cap in ae.transfer_capabilities:
        if cap.role == role:
            for sop in cap.classes:
                assert sop not in found, f"{sop} twice in role {role}"
                found[sop] = cap.transfer_syntaxes
    return found


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- Debian's real configuration files ---------------------------------------------------


# Debian's orthanc.json: tests/test_import_orthanc.py.


def test_debian_files_through_the_cli(tmp_path):
    for path, package in (
        (ORTHANC_JSON, "orthanc"),
        (DCMQRSCP_CFG, "dcmtk"),
        (STORESCP_CFG, "dcmtk"),
        (STORESCU_CFG, "dcmtk"),
    ):
        need(path, package)
    out = tmp_path / "env"
    out.mkdir()
    for path in (DCMQRSCP_CFG, STORESCP_CFG, STORESCU_CFG):
        result = run("import", "dcmtk", str(path), "-o", str(out / f"{path.stem}.yaml"))
        assert result.exit_code == 0, result.output
    result = run(
        "import",
        "orthanc",
        str(ORTHANC_JSON),
        "--hostname",
        "pacs.example.org",
        "-o",
        str(out / "orthanc.yaml"),
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stderr and "IMPORT001" in result.stderr
    check = run("check", str(out))
    assert_no_traceback(check)
    assert check.exit_code == 1  # rule findings (no sites, orphan AEs...), never a schema one
    assert not re.search(r": (YAML|SCHEMA)\d{3} ", check.output), check.output


# --- Orthanc: hand-written configurations ------------------------------------------------

MODALITIES = """{
  // Comments with "quotes", an URL http://example.org/x and a /* that is not a comment
  "Name" : "Lab \\"PACS\\" // not a comment",
  "DicomAet" : "LABPACS",   /* a block comment, "quoted" too */
  "DicomPort" : 11112,
  "DicomAlwaysAllowEcho" : false,
  "DicomAlwaysAllowStore" : false,
  "DicomCheckCalledAet" : true,
  "StrictAetComparison" : true,
  "DicomCheckModalityHost" : true,
  "OrthancPeers" : { "peer" : [ "https://peer.example.org:8042/" ] },
  "DicomModalities" : {
    "ct1" : [ "CT1", "ct1.example.org", 104 ],
    "us" : [ "US_1", "10.1.2.3", "4100", "GE" ],
    "viewer" : {
      "AET" : "VIEWER",
      "Host" : "viewer.example.org",
      "Port" : 11112,
      "Manufacturer" : "Generic",
      "AllowEcho" : true,
      "AllowStore" : false,
      "AllowFind" : true,
      "AllowMove" : true,
      "AllowGet" : false,
      "AllowStorageCommitment" : false,
      "UseDicomTls" : true,
      "LocalAet" : "LABPACS_Q",
    },
  },
}
"""


def test_both_forms_of_dicom_modalities(tmp_path):
    path = write(tmp_path, "orthanc.json", MODALITIES)
    result = import_orthanc(path=str(path), hostname="pacs.example.org")
    text = render(result)
    env = roundtrip(text, tmp_path)
    # the Orthanc peer is a device too (reached over Orthanc's REST API, an integration)
    assert [d.name for d in env.devices] == [
        "Lab-PACS-not-a-comment",
        "ct1",
        "us",
        "viewer",
        "peer",
    ]
    assert result.findings == []  # a hardened configuration has no posture finding
    orthanc = env.devices[0]
    assert orthanc.description == 'Orthanc server, Name "Lab \\"PACS\\" // not a comment"'
    assert [ae.ae_title for ae in orthanc.application_entities] == ["LABPACS", "LABPACS_Q"]
    assert orthanc.connections[0].hostname == "pacs.example.org"

    ct1 = device(env, "ct1")  # array form: every Allow* defaults to true
    assert (ct1.kind, ct1.manufacturer) == ("other", None)
    assert (ct1.connections[0].hostname, ct1.connections[0].port) == ("ct1.example.org", 104)
    used = capabilities(ct1.application_entities[0], "SCU")
    assert CT in used and used[CT] == [IMPLICIT]  # every class Orthanc accepts
    assert VERIFICATION in used and "1.2.840.10008.5.1.4.1.2.2.3" in used  # C-GET
    assert "1.2.840.10008.1.20.1" in used  # storage commitment
    assert capabilities(ct1.application_entities[0], "SCP") == {}

    us = device(env, "us")  # array form with a manufacturer and the port as a string
    assert us.manufacturer == "GE" and us.connections[0].port == 4100
    assert us.application_entities[0].ae_title == "US_1"

    viewer = device(env, "viewer")  # object form: only what its flags allow
    assert viewer.connections[0].tls is True and viewer.manufacturer is None
    used = capabilities(viewer.application_entities[0], "SCU")
    assert sorted(used) == sorted(
        [
            VERIFICATION,
            "1.2.840.10008.5.1.4.1.2.1.1",
            "1.2.840.10008.5.1.4.1.2.2.1",
            "1.2.840.10008.5.1.4.1.2.1.2",
            "1.2.840.10008.5.1.4.1.2.2.2",
        ]
    )
    # provenance comments, with the key's line
    line = line_of(MODALITIES, '"viewer" :')
    assert f'# from DicomModalities["viewer"] in {path}:{line}:5' in text
    assert "AllowFind" in text and "edit:" in text


def test_dicom_always_allow_widens_each_modality(tmp_path):
    path = write(
        tmp_path,
        "orthanc.json",
        """{
      "DicomAlwaysAllowStore": true,
      "DicomModalities": {"ro": {"AET": "RO", "Host": "ro", "Port": 104,
                                 "AllowStore": false, "AllowEcho": false}}
    }""",
    )
    env = roundtrip(render(import_orthanc(path=str(path))), tmp_path)
    used = capabilities(device(env, "ro").application_entities[0], "SCU")
    assert CT in used  # DicomAlwaysAllowStore overrides AllowStore false
    assert VERIFICATION in used  # DicomAlwaysAllowEcho is true by default


def test_worklists_and_a_disabled_dicom_server(tmp_path):
    write(tmp_path, "orthanc.json", '{"DicomModalities": {"us": ["US", "us", 104]}}')
    write(tmp_path, "worklists.json", '{"Worklists": {"Enable": true, "Database": "/x"}}')
    env = roundtrip(render(import_orthanc(path=str(tmp_path))), tmp_path)
    mwl = "1.2.840.10008.5.1.4.31"
    assert mwl in capabilities(env.devices[0].application_entities[0], "SCP")
    assert mwl in capabilities(device(env, "us").application_entities[0], "SCU")

    path = write(tmp_path, "off.json", '{"DicomServerEnabled": false}')
    result = import_orthanc(path=str(path))
    env = roundtrip(render(result), tmp_path, "off.yaml")
    [ae] = env.devices[0].application_entities
    assert not ae.acceptor and env.devices[0].connections[0].port is None
    assert capabilities(ae, "SCP") == {} and CT in capabilities(ae, "SCU")
    assert result.findings == []  # no DICOM server: no DICOM posture to report


# Wildcard expansion and the group options: tests/test_import_orthanc.py.

POSTURE = [  # (configuration, code, the key the finding points at, or None for the '{')
    ('{"DicomAlwaysAllowStore": true}', "IMPORT001", "DicomAlwaysAllowStore"),
    ("{}", "IMPORT001", None),
    ('{"DicomAlwaysAllowFind": true}', "IMPORT002", "DicomAlwaysAllowFind"),
    ('{"DicomAlwaysAllowFindWorklist": true}', "IMPORT002", "DicomAlwaysAllowFindWorklist"),
    ('{"DicomAlwaysAllowMove": true}', "IMPORT002", "DicomAlwaysAllowMove"),
    ('{"DicomAlwaysAllowGet": true}', "IMPORT002", "DicomAlwaysAllowGet"),
    ('{"DicomCheckCalledAet": false}', "IMPORT003", "DicomCheckCalledAet"),
    ('{"StrictAetComparison": false}', "IMPORT004", "StrictAetComparison"),
    (
        '{"RemoteAccessAllowed": true, "AuthenticationEnabled": false}',
        "IMPORT005",
        "AuthenticationEnabled",
    ),
    (
        '{"DicomCheckModalityHost": false, "DicomModalities": {"a": ["A", "a", 104]}}',
        "IMPORT006",
        "DicomCheckModalityHost",
    ),
    ('{"UnknownSopClassAccepted": true}', "IMPORT007", "UnknownSopClassAccepted"),
    ('{"AcceptedTransferSyntaxes": ["1.2.840.10008.1.2", "9.9.*"]}', "IMPORT012", "9.9.*"),
    ('{"DicomModalities": {"bad": ["A\\\\B", "host", 104]}}', "IMPORT009", "bad"),
    ('{"DicomModalities": {"bad": ["A", "no host", 104]}}', "IMPORT009", "bad"),
    ('{"DicomModalities": {"bad": ["A", "host", 70000]}}', "IMPORT009", "bad"),
    ('{"DicomModalities": {"a": ["X", "h", 1], "b": ["X", "h", 2]}}', "IMPORT009", '"b"'),
    ('{"DicomModalitiesInDatabase": true}', "IMPORT009", "DicomModalitiesInDatabase"),
]


@pytest.mark.parametrize(
    "config, code, key", POSTURE, ids=[f"{c}-{i}" for i, (_, c, _) in enumerate(POSTURE)]
)
def test_each_finding_with_its_location(tmp_path, config, code, key):
    text = "// posture\n" + config.replace("{", "{\n  ", 1)
    path = write(tmp_path, "orthanc.json", text)
    result = import_orthanc(path=str(path))
    roundtrip(render(result), tmp_path)
    found = [f for f in result.findings if f.code == code]
    assert found, codes(result)
    assert code in CODES and CODES[code].name
    loc = found[0].location
    assert loc.path == str(path)
    if key is None and code != "IMPORT008":
        assert (loc.line, loc.column) == (2, 1)  # the '{': Orthanc's default applies
        assert "Orthanc's default" in found[0].message
    elif key is not None:
        assert loc.line == line_of(text, key) and loc.column > 1


def test_posture_findings_are_printed_and_fail_only_with_fail_on(tmp_path):
    path = write(
        tmp_path, "orthanc.json", '{"RemoteAccessAllowed": true,\n "AuthenticationEnabled": false}'
    )
    result = run("import", "orthanc", str(path))
    assert result.exit_code == 0
    assert f"{path}:2:2: IMPORT005 " in result.stderr
    assert "IMPORT005" not in result.stdout.split("imgpolicy: 1")[1]
    assert "#   " + str(path) + ":2:2: IMPORT005" in result.stdout  # and in the header
    assert run("import", "orthanc", str(path), "--fail-on", "error").exit_code == 1
    quiet = write(
        tmp_path,
        "quiet.json",
        '{"DicomAlwaysAllowStore": false, '
        '"DicomCheckCalledAet": true, "StrictAetComparison": true}',
    )
    assert run("import", "orthanc", str(quiet), "--fail-on", "info").exit_code == 0


@pytest.mark.parametrize(
    "text, line, column",
    [
        ('{\n  "DicomAet": "A",\n  "DicomPort" 104\n}', 3, 15),
        ('{\n  // "unclosed /* comment\n  /* here', 3, 3),
        ('{\n  "Name": "x\n"}', 2, 11),
        ('{"DicomModalities": {"a": ["A", "h", 1]]}', 1, 40),
        ('{"DicomAet": 5, }', 1, 2),
        ('["not", "an", "object"]', 1, 1),
    ],
)
def test_unreadable_configuration_exits_2_with_its_position(tmp_path, text, line, column):
    path = write(tmp_path, "orthanc.json", text)
    result = run("import", "orthanc", str(path))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert f"{path}:{line}:{column}: " in result.stderr, result.stderr


def test_a_folder_with_an_option_set_twice_exits_2(tmp_path):
    write(tmp_path, "a.json", '{"DicomAet": "A"}')
    write(tmp_path, "b.json", '{\n "DicomAet": "B"}')
    result = run("import", "orthanc", str(tmp_path))
    assert result.exit_code == 2
    assert (
        f'{tmp_path / "b.json"}:2:2: option "DicomAet" is also set in '
        f"{tmp_path / 'a.json'}:1:2" in result.stderr
    )


def test_output_file_is_atomic_and_never_overwritten_without_force(tmp_path):
    path = write(tmp_path, "orthanc.json", "{}")
    out = write(tmp_path, "env.yaml", "mine\n")
    result = run("import", "orthanc", str(path), "-o", str(out))
    assert result.exit_code == 2 and "--force" in result.stderr
    assert out.read_text() == "mine\n"
    result = run(
        "import", "orthanc", str(path), "-o", str(out), "--force", "--kind", "vna", "--site", "EAST"
    )
    assert result.exit_code == 0, result.output
    env = roundtrip(out.read_text(), tmp_path, "check.yaml")
    assert (env.devices[0].kind, env.devices[0].site) == ("vna", "EAST")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["check.yaml", "env.yaml", "orthanc.json"]


def test_bad_options_exit_2(tmp_path):
    path = write(tmp_path, "orthanc.json", "{}")
    for args in (
        ["--kind", "spaceship"],
        ["--site", "no site"],
        ["--hostname", "a b"],
        ["--url", "http://localhost:1"],
    ):
        result = run("import", "orthanc", str(path), *args)
        assert result.exit_code == 2 and "Traceback" not in result.output, args
    assert run("import", "orthanc").exit_code == 2


def test_output_is_deterministic(tmp_path):
    path = write(tmp_path, "orthanc.json", MODALITIES)
    first = run("import", "orthanc", str(path)).stdout
    assert first == run("import", "orthanc", str(path)).stdout
    reordered = json.loads(
        jsonc.parse(MODALITIES).value and json.dumps(jsonc.parse(MODALITIES).value)
    )
    reordered["DicomModalities"] = dict(reversed(reordered["DicomModalities"].items()))
    other = write(tmp_path, "other.json", json.dumps(reordered, indent=2))
    env_a = roundtrip(first, tmp_path, "a.yaml")
    env_b = roundtrip(run("import", "orthanc", str(other)).stdout, tmp_path, "b.yaml")
    assert [d.name for d in env_a.devices] == [d.name for d in env_b.devices]


class _FakeOrthanc(http.server.BaseHTTPRequestHandler):
    """An Orthanc before 1.9.0 with an open REST API, as far as the import can tell."""

    routes = {
        "/system": {
            "Name": "Old",
            "Version": "1.8.2",
            "DicomAet": "OLD",
            "DicomPort": 104,
            "IsHttpServerSecure": False,
        },
        "/modalities?expand": ["a", "b"],  # no ?expand before 1.7: names only
        "/modalities/a/configuration": {
            "AET": "A",
            "Host": "a.example.org",
            "Port": 104,
            "AllowStore": False,
        },
        "/modalities/b/configuration": {"AET": "B", "Host": "bad host", "Port": 104},
    }

    def do_GET(self):
        if self.path not in self.routes:
            self.send_error(404)
            return
        body = json.dumps(self.routes[self.path]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_rest_import_of_an_old_and_open_orthanc(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeOrthanc)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        result = run("import", "orthanc", "--url", url + "/", "--fail-on", "error")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1, result.output
    assert f"{url}/system: IMPORT005 IsHttpServerSecure is false" in result.stderr
    assert f'{url}/modalities?expand: IMPORT009 modality "b": host' in result.stderr
    env = roundtrip(result.stdout, tmp_path)
    assert [d.name for d in env.devices] == ["Old", "a"]
    assert env.devices[0].software_version == "1.8.2"
    assert env.devices[0].connections[0].hostname == "127.0.0.1"
    header = " ".join(line.strip("# ") for line in result.stdout.splitlines())
    assert "does not publish its accepted transfer syntaxes" in header
    used = capabilities(device(env, "a").application_entities[0], "SCU")
    assert CT not in used and VERIFICATION in used


def test_unreachable_rest_api_exits_2():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run("import", "orthanc", "--url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 2 and "cannot connect" in result.stderr
    with pytest.raises(ImportFailed):
        import_orthanc(url="ftp://example.org")


# --- the pieces: JSON with comments, the YAML writer ------------------------------------


def test_jsonc_comments_never_inside_strings():
    parsed = jsonc.parse('{"url": "http://a/*b*/c", // "x" /*\n "s": "//", /* } */ "n": -1.5e2}')
    assert parsed.value == {"url": "http://a/*b*/c", "s": "//", "n": -150.0}
    assert parsed.pos("s") == jsonc.Pos(2, 2) and parsed.pos("n") == jsonc.Pos(2, 21)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(json_values, st.booleans())
def test_jsonc_reads_what_json_writes(value, indent):
    text = json.dumps(value, indent=2 if indent else None, ensure_ascii=not indent)
    assert jsonc.parse(text).value == json.loads(text)
    commented = "// head\n/* block */" + text.replace("\n", " // tail\n") + "\n// end"
    assert jsonc.parse(commented).value == json.loads(text)


TRICKY = [
    "NO",
    "on",
    "Yes",
    "null",
    "~",
    "1.2.840.10008.1.2",
    "0104",
    "1:30",
    "a: b",
    "#x",
    "x #y",
    "- x",
    "[x]",
    "{x}",
    "",
    " lead",
    "trail ",
    "é",
    "\x7f",
    "\t",
    "\u2028",
    "\U0001f600",
    "line\nbreak",
    '"quoted"',
    "back\\slash",
    "*alias",
    "&a",
    "!tag",
    "%",
    "@",
    "`",
    "?",
    "|",
    ">",
    "'",
    "CTImageStorage",
    ".inf",
    "-1",
]


@pytest.mark.parametrize("text", TRICKY)
def test_yaml_scalars_read_back_as_the_same_string(text):
    document = Map().add("value", text).add("list", Seq().add(text, after=text))
    written = dump(document, header=[text])
    [doc] = load_documents(written)
    assert doc.data == {"value": text, "list": [text]}


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_string_reads_back(text):
    [doc] = load_documents(f"value: {scalar(text)}\n")
    assert doc.data == {"value": text}


# --- Orthanc's REST API, on a running Orthanc --------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


REST_USER, REST_PASSWORD = "imgpolicy", "s3cret-for-tests"


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    binary = need(ORTHANC, "orthanc")
    folder = tmp_path_factory.mktemp("orthanc")
    http_port, dicom_port = _free_port(), _free_port()
    config = {
        "Name": "ImportTest",
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "index"),
        "Plugins": [],
        "HttpPort": http_port,
        "DicomPort": dicom_port,
        "DicomAet": "IMPORT_TEST",
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {REST_USER: REST_PASSWORD},
        "DicomAlwaysAllowEcho": False,
        "DicomAlwaysAllowStore": False,
        "AcceptedTransferSyntaxes": [
            "1.2.840.10008.1.2",
            "1.2.840.10008.1.2.1",
            "1.2.840.10008.1.2.4.5?",
            "1.2.840.10008.1.2.4.9?",
        ],
        "DicomModalities": {
            "ct1": ["CT1", "127.0.0.1", 104],
            "mr": ["MR_1", "127.0.0.1", 11112, "GE"],
            "viewer": {
                "AET": "VIEWER",
                "Host": "127.0.0.1",
                "Port": 4006,
                "AllowStore": False,
                "AllowEcho": True,
                "AllowGet": False,
            },
        },
    }
    path = folder / "orthanc.json"
    path.write_text("// written by tests/test_import.py\n" + json.dumps(config, indent=2))
    log = folder / "orthanc.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [binary, str(path)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{http_port}"
    token = base64.b64encode(f"{REST_USER}:{REST_PASSWORD}".encode()).decode()
    deadline = time.monotonic() + 30
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"Orthanc exited with {process.returncode}:\n{log.read_text()}")
            try:
                request = urllib.request.Request(
                    f"{url}/system", headers={"Authorization": f"Basic {token}"}
                )
                with urllib.request.urlopen(request, timeout=2) as response:
                    json.loads(response.read())
                break
            except (OSError, urllib.error.URLError, ValueError):
                if time.monotonic() > deadline:
                    pytest.fail(f"Orthanc did not answer /system:\n{log.read_text()}")
                time.sleep(0.2)
        yield url, path
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.peers  # a real Orthanc
def test_rest_import_equals_the_file_import(orthanc, tmp_path, monkeypatch):
    url, path = orthanc
    monkeypatch.setenv("IMGPOLICY_ORTHANC_PASSWORD", REST_PASSWORD)
    over_rest = run("import", "orthanc", "--url", url, "--user", REST_USER)
    assert over_rest.exit_code == 0, over_rest.output
    from_file = run("import", "orthanc", str(path), "--hostname", "127.0.0.1")
    assert from_file.exit_code == 0, from_file.output
    rest_env = roundtrip(over_rest.stdout, tmp_path, "rest.yaml")
    file_env = roundtrip(from_file.stdout, tmp_path, "file.yaml")

    def comparable(env):
        return [d.model_dump(exclude={"software_version"}) for d in env.devices]

    assert comparable(rest_env) == comparable(file_env)
    assert rest_env.devices[0].software_version  # /system's Version: only over REST
    assert [d.name for d in rest_env.devices] == ["ImportTest", "ct1", "mr", "viewer"]
    viewer = capabilities(device(rest_env, "viewer").application_entities[0], "SCU")
    assert CT not in viewer and VERIFICATION in viewer
    assert f"Imported by `imgpolicy import orthanc` from {url}" in over_rest.stdout
    # the hardened posture of the file: nothing to report from either
    assert "IMPORT00" not in over_rest.stderr


@pytest.mark.peers  # a real Orthanc
def test_rest_import_needs_the_password(orthanc, monkeypatch):
    url, _ = orthanc
    monkeypatch.delenv("IMGPOLICY_ORTHANC_PASSWORD", raising=False)
    monkeypatch.delenv("IMGPOLICY_ORTHANC_USER", raising=False)
    result = run("import", "orthanc", "--url", url)
    assert result.exit_code == 2 and "401" in result.stderr and "--user" in result.stderr
    wrong = run("import", "orthanc", "--url", url, "--user", REST_USER, "--password", "nope")
    assert wrong.exit_code == 2
