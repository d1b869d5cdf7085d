"""Orthanc auto-routing scripts as routes, peers and DICOMweb servers as integrations
(`imgpolicy/importers/orthanc_routing.py`, IMPORT013, IMPORT021, IMPORT022).

The inputs are written from the Orthanc Book's descriptions (tests/data_orthanc_routing/
README.md): a router configuration folder with a Lua and a Python script, and small
configurations for each case. Scripts are read, never run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgpolicy.importers import ImportFailed, import_orthanc, render, self_check
from imgpolicy.importers.orthanc_routing import lua_tokens
from imgpolicy.load import load_environment

DATA = Path(__file__).parent / "data_orthanc_routing"
ROUTER = DATA / "router"
LUA = ROUTER / "scripts" / "autorouting.lua"
PY = ROUTER / "scripts" / "routing.py"
SECRETS = ("alicePassword", "cloudPassword", "vnaPassword", "adminPassword", "abc.def")

MODALITIES = {
    "pacs": ["PACS_MAIN", "pacs.example.org", 104],
    "ai": ["AI_NODE", "ai.example.org", 11112],
    "sample": ["SAMPLE", "sample.example.org", 104],
}


def orthanc(tmp_path: Path, options: dict | None = None, **scripts: str) -> Path:
    """A configuration folder with `options` (DicomModalities by default) and scripts;
    `lua_*` names go to LuaScripts, `py` to PythonScript."""
    config = {"DicomAet": "ORTHANC", "DicomModalities": MODALITIES, **(options or {})}
    lua = []
    for name, text in scripts.items():
        file = f"{name}.lua" if name.startswith("lua") else f"{name}.py"
        (tmp_path / file).write_text(text)
        if name.startswith("lua"):
            lua.append(file)
        else:
            config["PythonScript"] = file
    if lua:
        config["LuaScripts"] = lua
    (tmp_path / "orthanc.json").write_text(json.dumps(config, indent=2))
    return tmp_path / "orthanc.json"


def routes(result) -> dict[str, tuple[str, str, dict]]:
    return {r.name: (r.from_ae, r.to_ae, r.match) for r in result.routes}


def codes_at(result, code: str) -> dict[tuple[str, int], str]:
    return {
        (os.path.basename(f.location.path), f.location.line): f.message
        for f in result.findings
        if f.code == code
    }


def round_trip(result, tmp_path: Path):
    """The written file passes the schema and loads as an environment."""
    text = render(result)
    self_check(text)
    out = tmp_path / "imported.yaml"
    out.write_text(text)
    loaded = load_environment([str(out)])
    assert not [f for f in loaded.findings if f.code.startswith(("YAML", "SCHEMA"))]
    return text, loaded


# --- the router: Lua and Python scripts of a real-looking deployment --------------------


@pytest.fixture
def router(monkeypatch):
    monkeypatch.setenv("VIEWER_PASSWORD", "not-in-any-output")
    return import_orthanc(path=str(ROUTER), hostname="router.example.org")


def test_clear_transfers_become_routes_with_their_match(router):
    assert routes(router) == {
        "orthanc-to-pacs": ("ORTHANC_RTR", "PACS_MAIN", {}),
        "orthanc-to-ai": ("ORTHANC_RTR", "AI_NODE", {"modality": ["CT", "MR"]}),
        "orthanc-to-mammo-ws": ("ORTHANC_RTR", "MG_WS", {"modality": ["MG"]}),
        "orthanc-to-telerad": ("ORTHANC_RTR", "TELERAD", {"modality": ["CR", "DX"]}),
    }
    telerad = next(r for r in router.routes if r.name == "orthanc-to-telerad")
    assert "Python plugin" in (telerad.description or "")
    assert telerad.above == [
        f"from OnStoredInstance: orthanc.RestApiPost(f'/modalities/{{TELERAD}}/store', "
        f"instanceId) ({PY}:16:5)"
    ]


def test_unclear_transfers_are_reported_at_the_scripts_line(router):
    not_imported = codes_at(router, "IMPORT013")
    assert set(not_imported) == {
        ("autorouting.lua", 19),  # else branch: everything but CT, MR, MG
        ("autorouting.lua", 23),  # string.find on StudyDescription
        ("autorouting.lua", 31),  # loop with a computed target
        ("autorouting.lua", 38),  # 'backup' is not a modality
        ("routing.py", 12),  # "%s" % TELERAD
    }
    assert "everything but Modality CT, MG, MR" in not_imported[("autorouting.lua", 19)]
    assert "StudyDescription" in not_imported[("autorouting.lua", 23)]
    assert (
        '"backup" is not an imported DicomModalities entry' in not_imported[("autorouting.lua", 38)]
    )
    assert "computed at run time" in not_imported[("routing.py", 12)]
    over_http = codes_at(router, "IMPORT022")
    assert set(over_http) == {("autorouting.lua", 27), ("routing.py", 21)}
    assert "integration orthanc-peer-remote" in over_http[("autorouting.lua", 27)]
    assert "integration dicomweb-vna" in over_http[("routing.py", 21)]


def test_peers_and_dicomweb_servers_are_integrations_without_secrets(router, tmp_path):
    by_name = {i.name: i for i in router.integrations}
    assert set(by_name) == {
        "orthanc-peer-remote",
        "orthanc-peer-cloud",
        "dicomweb-vna",
        "dicomweb-pacs-rs",
    }
    assert {i.kind for i in by_name.values()} == {"dicomweb"}
    assert {i.source for i in by_name.values()} == {"ROUTER"}
    cloud = by_name["orthanc-peer-cloud"]
    assert cloud.endpoint == "https://cloud.example.net/orthanc/"
    assert cloud.credentials == {
        "username": "${ORTHANC_PEER_CLOUD_USERNAME}",
        "password": "${ORTHANC_PEER_CLOUD_PASSWORD}",
        "token": "${ORTHANC_PEER_CLOUD_TOKEN}",
    }
    assert cloud.verify_tls is False  # HttpsVerifyPeers false
    assert by_name["orthanc-peer-remote"].verify_tls is True  # http: nothing to verify
    # the DICOMweb server on the archive's host is the archive's device
    assert by_name["dicomweb-pacs-rs"].target == "pacs"
    assert "credentials" not in render(router).split("dicomweb-pacs-rs")[1].split("\n\n")[0]
    text, loaded = round_trip(router, tmp_path)
    for secret in (*SECRETS, "not-in-any-output", "svc-router", "alice"):
        assert secret not in text
    assert {i.name for i in loaded.environment.integrations} == set(by_name)
    assert {r.name for r in loaded.environment.routes} == set(routes(router))
    plain = codes_at(router, "IMPORT021")
    assert ("orthanc.json", 36) in plain and "password of its user" in plain[("orthanc.json", 36)]
    assert ("orthanc.json", 54) in plain


def test_the_dicomweb_plugin_is_a_comment_on_the_device(router):
    device = router.devices[0]
    (line,) = [c for c in device.above if c and c.startswith("DICOMweb service")]
    assert "http://router.example.org:8042/dicom-web/" in line
    assert "QIDO-RS, WADO-RS, STOW-RS, WADO-URI at /wado" in line
    assert "orthanc.json:46:5" in line


def test_check_of_the_imported_router_runs_the_integration_rules(router, tmp_path):
    """Round trip through `imgpolicy check` in a subprocess: the credential rules see what
    the import says (SEC003 for the http:// peer and the unverified https ones)."""
    out = tmp_path / "router.yaml"
    out.write_text(render(router))
    result = subprocess.run(
        ["imgpolicy", "check", str(out)], capture_output=True, text=True, timeout=60
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    sec003 = [line for line in result.stdout.splitlines() if " SEC003 " in line]
    assert len(sec003) == 3, result.stdout
    assert "orthanc-peer-remote" in sec003[0]
    assert not [line for line in result.stdout.splitlines() if " SCHEMA" in line]


# --- Lua cases -----------------------------------------------------------------------


def test_orthanc_book_autorouting_sample_routes_and_deletes(tmp_path):
    config = orthanc(
        tmp_path,
        lua="function OnStoredInstance(instanceId, tags, metadata)\n"
        "  Delete(SendToModality(instanceId, 'sample'))\nend\n",
    )
    result = import_orthanc(path=str(config))
    assert routes(result) == {"orthanc-to-sample": ("ORTHANC", "SAMPLE", {})}
    assert "then deleted from Orthanc" in (result.routes[0].description or "")
    assert not codes_at(result, "IMPORT013")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (
            "if tags['Modality'] ~= 'CT' then return end\nSendToModality(instanceId, 'ai')",
            {"modality": ["CT"]},
        ),
        (
            "if tags.SOPClassUID == '1.2.840.10008.5.1.4.1.1.88.67' then\n"
            "  SendToModality(instanceId, 'pacs')\nend",
            {"sop_classes": ["1.2.840.10008.5.1.4.1.1.88.67"]},
        ),
        (
            "if origin.RemoteAet == 'CT_1' and (tags['Modality'] == 'CT') then\n"
            "  RestApiPost('/modalities/' .. 'pacs' .. '/store', instanceId)\nend",
            {"calling_ae": ["CT_1"], "modality": ["CT"]},
        ),
        (
            "if not (origin['RequestOrigin'] == 'Lua') then SendToModality(instanceId, 'pacs') end",
            {},
        ),
        (
            '-- [[ not a long comment\nlocal m = tags["Modality"]\n'
            "if m == [[US]] or m == 'IVUS' then SendToModality(instanceId, 'ai') end",
            {"modality": ["IVUS", "US"]},
        ),
    ],
)
def test_lua_conditions_that_map_become_the_match(tmp_path, body, match):
    lua = f"function OnStoredInstance(instanceId, tags, metadata, origin)\n{body}\nend\n"
    result = import_orthanc(path=str(orthanc(tmp_path, lua=lua)))
    assert [r.match for r in result.routes] == [match], result.findings
    assert not codes_at(result, "IMPORT013")
    round_trip(result, tmp_path)


@pytest.mark.parametrize(
    ("lua", "line", "why"),
    [
        (
            "function OnStableStudy(studyId, tags, metadata)\n"
            "  if tags['Modality'] == 'CT' then SendToModality(studyId, 'pacs') end\nend\n",
            2,
            "study-level tags",
        ),
        (
            "function OnStoredInstance(instanceId, tags)\n"
            "  if tags['Modality'] == 'ZZ' then SendToModality(instanceId, 'pacs') end\nend\n",
            2,
            "modality",
        ),
        (
            "function OnStoredInstance(instanceId, tags)\n  local f = function()\n"
            "    SendToModality(instanceId, 'pacs')\n  end\nend\n",
            3,
            "nested function",
        ),
        (
            "function OnHeartBeat()\n  SendToModality('abc', 'pacs')\nend\n",
            2,
            "OnHeartBeat(), not a callback",
        ),
        ("function OnStoredInstance(instanceId)\n  x = 'unfinished\nend\n", 2, "does not load"),
        ("function OnStoredInstance(instanceId)\n  SendToModality(instanceId, 'pacs')\n", 1, "end"),
        (
            "function OnStoredInstance(instanceId, tags)\n"
            "  if tags['Modality'] == 'CT' and tags['Modality'] == 'MR' then\n"
            "    SendToModality(instanceId, 'pacs')\n  end\nend\n",
            3,
            "never true",
        ),
    ],
)
def test_lua_transfers_that_do_not_map_are_reported(tmp_path, lua, line, why):
    result = import_orthanc(path=str(orthanc(tmp_path, lua=lua)))
    assert not result.routes
    found = codes_at(result, "IMPORT013")
    assert ("lua.lua", line) in found, result.findings
    assert why in found[("lua.lua", line)]


def test_an_unclosed_call_is_read_to_the_end_of_its_callback(tmp_path):
    lua = "function OnStoredInstance(i)\n  SendToModality(i, 'pacs'\nend\n"
    result = import_orthanc(path=str(orthanc(tmp_path, lua=lua)))
    assert routes(result) == {"orthanc-to-pacs": ("ORTHANC", "PACS_MAIN", {})}


def test_a_callback_defined_again_replaces_the_first(tmp_path):
    first = "function OnStoredInstance(instanceId)\n  SendToModality(instanceId, 'pacs')\nend\n"
    second = "\n\nfunction OnStoredInstance(instanceId)\n  SendToModality(instanceId, 'ai')\nend\n"
    result = import_orthanc(path=str(orthanc(tmp_path, lua1=first, lua2=second)))
    assert routes(result) == {"orthanc-to-ai": ("ORTHANC", "AI_NODE", {})}
    (message,) = codes_at(result, "IMPORT013").values()
    assert "lua2.lua:3:1" in message and "replaces this one" in message


def test_scripts_are_read_never_run(tmp_path):
    marker = tmp_path / "ran"
    lua = f"os.execute('touch {marker}')\nfunction OnStoredInstance(i) SendToModality(i, 'pacs') end\n"
    py = f"open({str(marker)!r}, 'w').write('x')\n"
    result = import_orthanc(path=str(orthanc(tmp_path, lua=lua, py=py)))
    assert not marker.exists()
    assert routes(result) == {"orthanc-to-pacs": ("ORTHANC", "PACS_MAIN", {})}


def test_a_missing_or_special_script_is_reported_not_read(tmp_path):
    fifo = tmp_path / "fifo.lua"
    os.mkfifo(fifo)
    config = {
        "DicomModalities": MODALITIES,
        "LuaScripts": ["missing.lua", "fifo.lua"],
        "PythonScript": "missing.py",
    }
    (tmp_path / "orthanc.json").write_text(json.dumps(config, indent=1))
    result = import_orthanc(path=str(tmp_path / "orthanc.json"))
    messages = sorted(codes_at(result, "IMPORT013").values())
    assert len(messages) == 3
    assert any("missing.lua" in m and "cannot be read" in m for m in messages)
    assert any("fifo.lua" in m and "cannot be read" in m for m in messages)
    assert any("missing.py" in m for m in messages)


# --- Python cases ----------------------------------------------------------------------


def test_python_plugin_under_python_path_and_on_change(tmp_path):
    py = (
        "import orthanc\n\nPACS = 'pacs'\n\n"
        "def OnChange(changeType, level, resourceId):\n"
        "    if changeType == orthanc.ChangeType.STABLE_STUDY:\n"
        "        orthanc.RestApiPost('/modalities/' + PACS + '/store', resourceId)\n\n"
        "def helper(resourceId):\n"
        "    orthanc.RestApiPost('/modalities/ai/store', resourceId)\n\n"
        "orthanc.RegisterOnChangeCallback(OnChange)\n"
    )
    (tmp_path / "plugin.py").write_text(py)
    config = orthanc(tmp_path, {"Python": {"Path": "plugin.py"}})
    result = import_orthanc(path=str(config))
    assert routes(result) == {"orthanc-to-pacs": ("ORTHANC", "PACS_MAIN", {})}
    found = codes_at(result, "IMPORT013")
    assert set(found) == {("plugin.py", 10)}
    assert "helper(), not a callback" in found[("plugin.py", 10)]


def test_python_that_does_not_parse_is_reported_at_its_line(tmp_path):
    result = import_orthanc(path=str(orthanc(tmp_path, py="import orthanc\n\ndef f(:\n    pass\n")))
    found = codes_at(result, "IMPORT013")
    assert ("py.py", 3) in found and "does not parse" in found[("py.py", 3)]


# --- no traceback, whatever the script -------------------------------------------------


_FRAGMENTS = st.sampled_from(
    [
        "function OnStoredInstance(instanceId, tags, metadata, origin)\n",
        "end\n",
        "if ",
        " then\n",
        "elseif ",
        "else\n",
        "tags['Modality'] == 'CT'",
        " and ",
        " or ",
        "not ",
        "(",
        ")",
        "SendToModality(instanceId, 'pacs')\n",
        "RestApiPost('/modalities/ai/store', instanceId)\n",
        "SendToPeer(instanceId, 'x')\n",
        "return\n",
        "for i = 1, 3 do\n",
        "repeat\n",
        "until true\n",
        "[[",
        "]]",
        "--[==[",
        "'",
        "\\",
        "local m = tags.Modality\n",
        "\x00",
        "é",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_FRAGMENTS, max_size=40).map("".join))
def test_any_lua_script_gives_routes_or_findings_never_a_traceback(lua):
    with tempfile.TemporaryDirectory() as folder:
        config = orthanc(Path(folder), lua=lua)
        try:
            result = import_orthanc(path=str(config))
        except ImportFailed:
            return
        self_check(render(result))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_the_lua_tokenizer_never_fails_otherwise(text):
    from imgpolicy.importers.orthanc_routing import LuaError

    try:
        lua_tokens(text)
    except LuaError:
        pass


def test_cli_reports_routing_on_standard_error_and_fails_on_warning(tmp_path):
    """The real command, in a subprocess: findings on standard error, secrets nowhere."""
    target = tmp_path / "router"
    shutil.copytree(ROUTER, target)
    env = {**os.environ, "VIEWER_PASSWORD": "x"}
    ok = subprocess.run(
        ["imgpolicy", "import", "orthanc", str(target), "-o", str(tmp_path / "out.yaml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "Traceback" not in ok.stderr
    assert ok.returncode == 0, ok.stderr
    assert "IMPORT013" in ok.stderr and "IMPORT022" in ok.stderr
    for secret in SECRETS:
        assert secret not in ok.stderr
        assert secret not in (tmp_path / "out.yaml").read_text()
    strict = subprocess.run(
        ["imgpolicy", "import", "orthanc", str(target), "--fail-on", "warning"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert strict.returncode == 1
