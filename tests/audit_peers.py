"""A real Orthanc for the audit tests, fed by DCMTK's storescu from any calling AE.

    from .audit_peers import orthanc_factory, store      # (or start_orthanc / stop)

    @pytest.fixture(scope="module")
    def pacs(orthanc_factory):                 # the factory fixture, module-scoped
        return orthanc_factory(aet="AUDIT_PACS")

    @pytest.mark.peers
    def test_x(pacs, tmp_path):
        store(pacs, [path1, path2], calling_ae="CT_SCANNER")
        pacs.url, pacs.dicomweb, pacs.user, pacs.password, pacs.dicom_port, pacs.aet

Orthanc runs on loopback on free ports, with authentication on (one user), the Debian
DICOMweb plugin loaded (`pacs.dicomweb` is its root URL), storage from any calling AE
(`DicomAlwaysAllowStore`) and, unless asked otherwise, the called AE checked (a store to
another AE title is rejected, as a real PACS would). Without Debian's `orthanc`,
`orthanc-dicomweb` or `dcmtk` the tests skip (fail under CI: scripts/test.sh installs
them). Orthanc records each received instance's RemoteAET, CalledAET, RemoteIP and
ReceptionDate: what the traffic audit reads.

A module that imports `orthanc_factory` must import it by name (pytest finds fixtures in
the test module's namespace): `from .audit_peers import orthanc_factory  # noqa: F401`.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ORTHANC = shutil.which("Orthanc", path="/usr/sbin:/usr/bin")
DICOMWEB_PLUGINS = (
    Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so"),
    Path("/usr/lib/orthanc/libOrthancDicomWeb.so.1.7"),
)


def dcmtk(tool: str) -> str | None:
    """DCMTK's `tool`, not a namesake earlier on PATH (pynetdicom installs its own
    `storescu`/`storescp` scripts, which take other options): the one next to DCMTK's
    `dcmqrscp`, which pynetdicom does not ship."""
    qrscp = shutil.which("dcmqrscp")
    if qrscp:
        beside = Path(qrscp).parent / tool
        if beside.exists():
            return str(beside)
    return shutil.which(tool, path="/usr/bin:/usr/local/bin")


STORESCU = dcmtk("storescu")
STORESCU_ENV = {**os.environ, "TCP_NODELAY": "1"}
"""For storescu and Orthanc (both DCMTK): DCMTK leaves Nagle's algorithm on unless
TCP_NODELAY is set, and on loopback each object then waits for a delayed ACK (about
50-90 ms an instance instead of 3 ms)."""

USER, PASSWORD = "auditor", "s3cret-audit-tests"


def need(path: Path | str | None, package: str) -> str:
    """`path` when it exists; else skip (fail under CI, where scripts/test.sh installs it)."""
    if path and os.path.exists(path):
        return str(path)
    if os.environ.get("CI") == "true":
        pytest.fail(f"{path or package} is missing: scripts/test.sh installs Debian's {package}")
    pytest.skip(f"Debian's {package} is not installed (scripts/test.sh installs it)")


def free_port() -> int:
    """A TCP port free on loopback now (the usual small race is acceptable in tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class OrthancPeer:
    """A running Orthanc: REST at `url` (Basic auth `user`/`password`), DICOMweb at
    `dicomweb`, DICOM at 127.0.0.1:`dicom_port` as `aet`."""

    url: str
    dicomweb: str
    dicom_port: int
    aet: str
    user: str
    password: str
    folder: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def log(self) -> Path:
        return self.folder / "orthanc.log"

    def auth(self) -> dict[str, str]:
        """The Authorization header for this Orthanc's user."""
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def get(self, path: str) -> Any:
        """GET `path` (e.g. "/instances") as JSON: for tests to look at what is stored."""
        request = urllib.request.Request(self.url + path, headers=self.auth())
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        """Terminate Orthanc and wait for it (killed after 15 s)."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_orthanc(
    folder: Path,
    aet: str = "AUDIT_PACS",
    *,
    check_called_aet: bool = True,
    dicomweb: bool = True,
    options: dict[str, Any] | None = None,
) -> OrthancPeer:
    """Start Orthanc with its storage in `folder`, and wait until /system answers (30 s).
    `options` are more Orthanc configuration keys (they win over the defaults here)."""
    binary = need(ORTHANC, "orthanc")
    plugins = []
    if dicomweb:
        plugin = next((path for path in DICOMWEB_PLUGINS if path.exists()), None)
        plugins.append(need(plugin, "orthanc-dicomweb"))
    folder.mkdir(parents=True, exist_ok=True)
    http_port, dicom_port = free_port(), free_port()
    config: dict[str, Any] = {
        "Name": "AuditTest",
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "index"),
        "Plugins": plugins,
        "HttpPort": http_port,
        "DicomPort": dicom_port,
        "DicomAet": aet,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: PASSWORD},
        "DicomAlwaysAllowStore": True,
        "DicomAlwaysAllowEcho": True,
        "DicomCheckCalledAet": check_called_aet,
        "DicomModalities": {},
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        "StableAge": 1,
    }
    config.update(options or {})
    path = folder / "orthanc.json"
    path.write_text(json.dumps(config, indent=2))
    with open(folder / "orthanc.log", "wb") as out:
        process = subprocess.Popen(
            [binary, str(path)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=STORESCU_ENV,
        )
    url = f"http://127.0.0.1:{http_port}"
    peer = OrthancPeer(url, f"{url}/dicom-web", dicom_port, aet, USER, PASSWORD, folder, process)
    try:
        _wait_for_system(peer)
    except BaseException:
        peer.stop()
        raise
    return peer


def _wait_for_system(peer: OrthancPeer, budget: float = 30.0) -> None:
    """Until Orthanc's REST API answers /system (it opens its ports after loading the
    plugins and the index); fails the test with Orthanc's log when it does not."""
    deadline = time.monotonic() + budget
    while True:
        if peer.process.poll() is not None:
            pytest.fail(f"Orthanc exited with {peer.process.returncode}:\n{peer.log.read_text()}")
        try:
            peer.get("/system")
            return
        except (OSError, ValueError):
            if time.monotonic() > deadline:
                pytest.fail(f"Orthanc did not answer /system:\n{peer.log.read_text()}")
            time.sleep(0.2)


def store(
    peer: OrthancPeer,
    paths: Iterable[Path | str],
    calling_ae: str,
    *,
    called_ae: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Send `paths` to `peer` with DCMTK `storescu -aet calling_ae -aec called_ae` (the
    peer's AE title unless given). With `check`, a failed store fails the test with
    storescu's output; without it, the caller reads returncode/stdout (a rejected
    association is what some tests want)."""
    binary = need(STORESCU, "dcmtk")
    files = [str(path) for path in paths]
    command = [
        binary,
        "-aet",
        calling_ae,
        "-aec",
        called_ae or peer.aet,
        "-to",
        "30",
        "-ta",
        "30",
        "-td",
        "30",
        "127.0.0.1",
        str(peer.dicom_port),
        *files,
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=STORESCU_ENV,
    )
    if check and done.returncode != 0:
        pytest.fail(
            f"storescu -aet {calling_ae} failed ({done.returncode}):\n"
            f"{done.stdout}{done.stderr}\n--- Orthanc's log:\n{peer.log.read_text()[-4000:]}"
        )
    return done


@pytest.fixture(scope="module")
def orthanc_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """`make(aet="AUDIT_PACS", **start_orthanc options) -> OrthancPeer`: as many Orthancs
    as a test module needs, each in its own folder, all stopped after the module."""
    peers: list[OrthancPeer] = []

    def make(aet: str = "AUDIT_PACS", **options: Any) -> OrthancPeer:
        peers.append(start_orthanc(tmp_path_factory.mktemp("orthanc"), aet, **options))
        return peers[-1]

    yield make
    for peer in peers:
        peer.stop()
