"""`imgpolicy import orthanc --url` against hostile and misbehaving HTTP servers (D7, D15).

Every server here is a real `http.server` on a loopback port, in a thread of the test:
one that needs a password, one that redirects to another origin and records what it is
sent, one that trickles its answer a byte at a time, one that never answers, and ones that
answer JSON built to break a parser. The import must keep credentials to the origin they
were given for, never print them, end within its --timeout, and fail with a sentence and
exit status 2, never a traceback.
"""

from __future__ import annotations

import base64
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from imgpolicy.importers import ImportFailed, import_orthanc, jsonc

from .conftest import assert_no_traceback, run

pytestmark = pytest.mark.peers  # real peers: pytest -m 'not peers' skips them

CONSOLE_SCRIPT = Path(sys.executable).with_name("imgpolicy")
PASSWORD = "UrlPw-2718"
SYSTEM = {"Name": "Remote", "Version": "1.12.1", "DicomAet": "REMOTE", "DicomPort": 4242}
ROUTES: dict[str, Any] = {
    "/system": SYSTEM,
    "/tools/accepted-transfer-syntaxes": ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"],
    "/tools/unknown-sop-class-accepted": False,
    "/modalities?expand": {"ct1": {"AET": "CT1", "Host": "ct1.example.org", "Port": 104}},
}


class FakeOrthanc:
    """An HTTP server on 127.0.0.1 that answers `routes` (JSON values, or bytes as they
    are) and records every request's path and headers. Options: `auth` (user, password)
    required; `redirect` (a base URL every request is sent to with 302); `trickle`
    (seconds between the bytes of every answer); `stall` (read the request, answer
    nothing until the test ends)."""

    def __init__(
        self,
        routes: dict[str, Any] | None = None,
        *,
        auth: tuple[str, str] | None = None,
        redirect: str | None = None,
        trickle: float | None = None,
        stall: bool = False,
    ) -> None:
        self.routes = ROUTES if routes is None else routes
        self.auth = auth
        self.redirect = redirect
        self.moved_to: str | None = None
        """Paths outside it are redirected (301) to it, on this same server."""
        self.trickle = trickle
        self.stall = stall
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stop = threading.Event()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append((self.path, dict(self.headers.items())))
                fake.answer(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        if self.stall:
            self.stop.wait()
            return
        moved = self.moved_to and not (self.url + handler.path).startswith(self.moved_to + "/")
        if self.redirect or moved:
            handler.send_response(302 if self.redirect else 301)
            handler.send_header("Location", (self.redirect or self.moved_to) + handler.path)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if self.auth:
            token = base64.b64encode(":".join(self.auth).encode()).decode()
            if handler.headers.get("Authorization") != f"Basic {token}":
                handler.send_error(401)
                return
        if handler.path not in self.routes:
            handler.send_error(404)
            return
        value = self.routes[handler.path]
        body = value if isinstance(value, bytes) else json.dumps(value).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if self.trickle is None:
            handler.wfile.write(body)
            return
        for byte in body:
            if self.stop.wait(self.trickle):
                return
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                return

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def servers():
    made: list[FakeOrthanc] = []

    def make(*args: Any, **kwargs: Any) -> FakeOrthanc:
        made.append(FakeOrthanc(*args, **kwargs))
        return made[-1]

    yield make
    for server in made:
        server.close()


def import_process(*args: str, hang_guard: float = 60):
    """The console script, so a hang is caught by a generous guard, not by the test run."""
    command = (
        [str(CONSOLE_SCRIPT)]
        if CONSOLE_SCRIPT.exists()
        else [sys.executable, "-m", "imgpolicy.cli"]
    )
    started = time.monotonic()
    done = subprocess.run(
        [*command, "import", "orthanc", *args],
        capture_output=True,
        text=True,
        timeout=hang_guard,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done, time.monotonic() - started


def with_userinfo(url: str, user: str, password: str) -> str:
    return url.replace("http://", f"http://{user}:{password}@", 1)


# --- D7.1: credentials stay with their origin ----------------------------------------------


def test_authorization_is_never_sent_to_another_origin_on_redirect(servers, monkeypatch):
    elsewhere = servers()  # another port: another origin; records what it is sent
    redirector = servers(redirect=elsewhere.url)
    monkeypatch.setenv("IMGPOLICY_ORTHANC_PASSWORD", PASSWORD)
    result = run("import", "orthanc", "--url", redirector.url, "--user", "admin")
    assert result.exit_code == 0, result.stderr
    assert elsewhere.paths()[0] == "/system" and len(elsewhere.paths()) >= 4
    assert all(
        "authorization" not in {name.lower() for name in headers}
        for _, headers in elsewhere.requests
    ), elsewhere.requests
    assert all("Authorization" in headers for _, headers in redirector.requests)


def test_a_redirect_within_the_origin_keeps_the_credentials(servers, monkeypatch):
    """Orthanc behind a proxy that moves it under /orthanc: same origin, same password."""
    server = servers(
        {f"/orthanc{path}": value for path, value in ROUTES.items()}, auth=("admin", PASSWORD)
    )
    server.moved_to = f"{server.url}/orthanc"
    monkeypatch.setenv("IMGPOLICY_ORTHANC_PASSWORD", PASSWORD)
    result = run("import", "orthanc", "--url", server.url, "--user", "admin")
    assert result.exit_code == 0, result.stderr
    followed = [headers for path, headers in server.requests if path.startswith("/orthanc/")]
    assert len(followed) >= 4 and all("Authorization" in headers for headers in followed)


def test_a_redirect_to_a_file_url_is_refused(servers):
    redirector = servers(redirect="file:///etc/passwd#")
    result = run("import", "orthanc", "--url", redirector.url)
    assert result.exit_code == 2
    assert "not followed" in result.stderr
    assert_no_traceback(result)


# --- D7.2: credentials in the URL work, and are never shown ----------------------------------


def test_credentials_in_the_url_are_used_and_never_echoed(servers, monkeypatch):
    monkeypatch.delenv("IMGPOLICY_ORTHANC_USER", raising=False)
    monkeypatch.delenv("IMGPOLICY_ORTHANC_PASSWORD", raising=False)
    server = servers(auth=("admin", "p@ss:" + PASSWORD))
    url = with_userinfo(server.url, "admin", "p%40ss%3A" + PASSWORD)
    result = run("import", "orthanc", "--url", url)
    assert result.exit_code == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert f"Imported by `imgpolicy import orthanc` from {server.url}\n" in result.stdout
    assert 'hostname: "127.0.0.1"  # the host of --url' in result.stdout


def test_explicit_user_and_password_win_over_the_url(servers, monkeypatch):
    monkeypatch.delenv("IMGPOLICY_ORTHANC_PASSWORD", raising=False)
    server = servers(auth=("admin", PASSWORD))
    url = with_userinfo(server.url, "admin", "wrong")
    result = run("import", "orthanc", "--url", url, "--password", PASSWORD)
    assert result.exit_code == 0, result.stderr
    refused = run("import", "orthanc", "--url", url, "--password", "also-wrong")
    assert refused.exit_code == 2 and "401" in refused.stderr
    assert "wrong" not in refused.stderr


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "url",
    [
        f"http://admin:{PASSWORD}@127.0.0.1:{closed_port()}",
        f"http://admin:{PASSWORD}@[::1",
        f"http://admin:{PASSWORD}@127.0.0.1:99999",
        f"http://admin:{PASSWORD}@127.0.0.1:8042/?token={PASSWORD}",
        f"ftp://admin:{PASSWORD}@127.0.0.1/",
    ],
    ids=["refused", "bad-ipv6", "bad-port", "query-token", "ftp"],
)
def test_errors_show_the_url_redacted(url):
    result = run("import", "orthanc", "--url", url)
    assert result.exit_code == 2, result.stderr
    assert PASSWORD not in result.stdout + result.stderr, result.stderr
    assert "***" in result.stderr or "http://127.0.0.1:" in result.stderr, result.stderr
    assert result.stderr.startswith("imgpolicy: ")
    assert_no_traceback(result)


def test_refused_connection_says_so_with_the_url_without_credentials():
    port = closed_port()
    result = run("import", "orthanc", "--url", f"http://admin:{PASSWORD}@127.0.0.1:{port}")
    assert f"http://127.0.0.1:{port}/system: cannot connect" in result.stderr, result.stderr


# --- D7.3: one deadline for the whole import ---------------------------------------------------


def test_a_trickling_server_ends_at_the_imports_deadline(servers):
    server = servers(trickle=1.0)
    done, elapsed = import_process("--url", server.url, "--timeout", "3")
    assert done.returncode == 2, done.stderr
    assert "no complete answer within 3 s" in done.stderr, done.stderr
    assert "cannot connect" not in done.stderr
    print(f"trickling server at --timeout 3: {elapsed:.2f} s wall")


def test_a_server_that_never_answers_timed_out_reading(servers):
    server = servers(stall=True)
    done, _ = import_process("--url", server.url, "--timeout", "2")
    assert done.returncode == 2, done.stderr
    assert f"{server.url}/system: timed out reading the answer" in done.stderr, done.stderr
    assert "cannot connect" not in done.stderr


def test_names_only_modalities_are_read_one_by_one_within_a_bound(servers):
    names = [f"m{i}" for i in range(2000)]
    server = servers({**ROUTES, "/modalities?expand": names})
    result = run("import", "orthanc", "--url", server.url)
    assert result.exit_code == 2, result.stderr
    assert "2000 modalities" in result.stderr and "configuration file" in result.stderr
    assert not any(path.startswith("/modalities/") for path in server.paths())

    few = {
        f"/modalities/{name}/configuration": {
            "AET": name.upper(),
            "Host": "h.example.org",
            "Port": 104,
        }
        for name in names[:3]
    }
    small = servers({**ROUTES, "/modalities?expand": names[:3], **few})
    result = run("import", "orthanc", "--url", small.url)
    assert result.exit_code == 0, result.stderr
    assert sum(path.startswith("/modalities/") for path in small.paths()) == 3


# --- D15: hostile JSON ------------------------------------------------------------------------

DEEP = b"[" * 200_000 + b"]" * 200_000


@pytest.mark.parametrize(
    ("route", "body", "says"),
    [
        ("/system", DEEP, "nested"),
        ("/modalities?expand", DEEP, "nested"),
        ("/system", b'{"DicomAet": "X", "DicomPort": ' + b"9" * 5000 + b"}", "digits"),
        ("/system", b"\xff\xfe not json", "not JSON"),
    ],
    ids=["deep-system", "deep-modalities", "5000-digits", "not-json"],
)
def test_hostile_json_is_a_clean_error(servers, route, body, says):
    server = servers({**ROUTES, route: body})
    result = run("import", "orthanc", "--url", server.url)
    assert result.exit_code == 2, result.stderr
    assert f"{server.url}{route}" in result.stderr and says in result.stderr, result.stderr
    assert_no_traceback(result)


def test_an_oversized_answer_is_refused(servers, monkeypatch):
    from imgpolicy.importers import orthanc

    monkeypatch.setattr(orthanc, "MAX_SOURCE_BYTES", 1000)
    server = servers({**ROUTES, "/system": {**SYSTEM, "Name": "x" * 5000}})
    with pytest.raises(ImportFailed, match="larger than"):
        import_orthanc(url=server.url)


# --- issue 12: the same number in a configuration FILE ------------------------------------------


def test_a_5000_digit_number_in_a_configuration_file_is_a_clean_error(tmp_path):
    path = tmp_path / "orthanc.json"
    path.write_text('{\n  "DicomAet": "X",\n  "DicomPort": ' + "9" * 5000 + "\n}\n")
    result = run("import", "orthanc", str(path))
    assert result.exit_code == 2
    assert f"{path}:3:16: " in result.stderr and "digits" in result.stderr, result.stderr
    assert_no_traceback(result)
    with pytest.raises(jsonc.JsoncError) as caught:
        jsonc.parse("[1, -" + "7" * 4301 + "]")
    assert (caught.value.line, caught.value.column) == (1, 5)
    assert jsonc.parse("[" + "7" * 4300 + "]").value == [int("7" * 4300)]
