"""An Orthanc imported with `imgpolicy import orthanc` probes clean against itself.

The real Orthanc installed here runs a configuration written the way sites write theirs:
`${VAR}` placeholders (one bare, one with a quoted default) filled from its environment,
a Latin-1 byte in a comment, modalities, the default transfer syntaxes. It is imported
over its REST API and from its file (with `--env-file` holding what its environment
holds), and `imgpolicy probe` proposes every declared (SOP class, transfer syntax) pair to
it: not one may be rejected (PROBE004). Before this import read Orthanc's own tables, the
same run gave 184 PROBE004 (18 SOP classes its DCMTK does not know, 19 transfer syntaxes).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from .conftest import run
from .test_import import ORTHANC, _free_port, need, roundtrip

pytestmark = pytest.mark.peers  # a real Orthanc, and pynetdicom

USER, PASSWORD = "probe", "probe-password"
AET = "PROBE_TEST"

CONFIG = """{
  // Configuration du serveur de l'h\xf4pital (a Latin-1 byte: Orthanc does not mind)
  "Name": "ProbeTest",
  "StorageDirectory": "%(folder)s/db",
  "IndexDirectory": "%(folder)s/db",
  "Plugins": [],
  "HttpPort": %(http_port)d,
  "DicomPort": ${IMGPOLICY_PROBE_PORT},
  "DicomAet": "${IMGPOLICY_PROBE_AET:-'%(aet)s'}",
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": true,
  "RegisteredUsers": { "%(user)s": "%(password)s" },
  "DicomModalities": {
    "ct": [ "CT_1", "127.0.0.1", 1104 ],
    "viewer": { "AET": "VIEWER", "Host": "127.0.0.1", "Port": 1105,
                "AllowNAction": true, "AllowStorageCommitment": false }
  }
}
"""


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    binary = need(ORTHANC, "orthanc")
    pytest.importorskip("pynetdicom")
    folder = tmp_path_factory.mktemp("orthanc-probe")
    http_port, dicom_port = _free_port(), _free_port()
    path = folder / "orthanc.json"
    text = CONFIG % {
        "folder": folder,
        "http_port": http_port,
        "aet": AET,
        "user": USER,
        "password": PASSWORD,
    }
    path.write_bytes(text.encode("latin-1"))
    env_file = folder / "orthanc.env"
    env_file.write_text(f"IMGPOLICY_PROBE_PORT={dicom_port}\n")
    environment = {**os.environ, "IMGPOLICY_PROBE_PORT": str(dicom_port)}
    environment.pop("IMGPOLICY_PROBE_AET", None)
    log = folder / "orthanc.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [binary, str(path)], cwd=folder, env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{http_port}"
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    deadline = time.monotonic() + 30
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"Orthanc exited with {process.returncode}:\n{log.read_text('latin-1')}"
                )
            try:
                request = urllib.request.Request(
                    f"{url}/system", headers={"Authorization": f"Basic {token}"}
                )
                with urllib.request.urlopen(request, timeout=2) as response:
                    system = json.loads(response.read())
                break
            except (OSError, urllib.error.URLError, ValueError):
                if time.monotonic() > deadline:
                    pytest.fail(f"Orthanc did not answer:\n{log.read_text('latin-1')}")
                time.sleep(0.2)
        # Orthanc's own substitution: the quoted default without its quotes, the bare port
        assert (system["DicomAet"], system["DicomPort"]) == (AET, dicom_port)
        yield url, path, env_file, system["Version"]
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _probe_clean(text: str, tmp_path, name: str) -> None:
    """Write one imported file into its own environment and probe Orthanc's AE."""
    folder = tmp_path / name
    folder.mkdir()
    roundtrip(text, folder, "imported.yaml")
    result = run("probe", str(folder), "--ae", AET, "--timeout", "5")
    assert "PROBE005" in result.stdout, result.output  # it was reached and probed
    assert "PROBE004" not in result.stdout, result.stdout
    assert result.exit_code == 0, result.output


def test_an_orthanc_imported_over_rest_probes_clean(orthanc, tmp_path, monkeypatch):
    url, _, _, _ = orthanc
    monkeypatch.setenv("IMGPOLICY_ORTHANC_PASSWORD", PASSWORD)
    result = run("import", "orthanc", "--url", url, "--user", USER)
    assert result.exit_code == 0, result.output
    assert "RFC2557" not in result.stdout and "XMLEncoding" not in result.stdout
    _probe_clean(result.stdout, tmp_path, "rest")


@pytest.mark.parametrize("with_version", [False, True])
def test_an_orthanc_imported_from_its_file_probes_clean(orthanc, tmp_path, with_version):
    _, path, env_file, version = orthanc
    args = ["--orthanc-version", version] if with_version else []
    result = run(
        "import",
        "orthanc",
        str(path),
        "--hostname",
        "127.0.0.1",
        "--env-file",
        str(env_file),
        *args,
    )
    assert result.exit_code == 0, result.output
    assert "bytes that are not UTF-8" in result.stdout
    assert "IMPORT010" not in result.stderr  # every placeholder has a value or a default
    _probe_clean(result.stdout, tmp_path, "file")
