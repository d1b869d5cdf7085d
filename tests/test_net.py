"""imgpolicy.net: the one deadline mechanism for network operations, on real loopback
sockets. A socket timeout bounds one recv(), not an answer; these tests block real
threads in real recv() calls and check that the deadline, and only the deadline, ends
them, and that a run of many such operations is bounded by its budget per slot."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from typing import Any

import pytest

from imgpolicy import net

pytestmark = pytest.mark.peers  # real peers: pytest -m 'not peers' skips them

HANG_GUARD = 30.0
"""Seconds a join may wait before the test calls the thread hung (a guard, not a bound)."""


@pytest.fixture
def pair():
    """A connected loopback TCP pair whose far end never sends anything."""
    listener = socket.create_server(("127.0.0.1", 0))
    near = socket.create_connection(listener.getsockname())
    far, _ = listener.accept()
    listener.close()
    yield near, far
    near.close()
    far.close()


def blocked_recv(sock: socket.socket) -> tuple[threading.Thread, list[Any]]:
    """A daemon thread blocked in sock.recv() with no timeout; what it got back, or the
    error it raised, lands in the list."""
    got: list[Any] = []

    def read() -> None:
        try:
            got.append(sock.recv(100))
        except OSError as err:
            got.append(err)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, got


def test_the_watchdog_cuts_a_recv_blocked_past_the_deadline(pair):
    near, _ = pair
    deadline = net.Deadline(0.3)
    deadline.cut_socket(near)
    thread, got = blocked_recv(near)
    thread.join(HANG_GUARD)
    assert not thread.is_alive() and got == [b""]  # shut down: recv() returns, no data
    assert deadline.expired and deadline.remaining() == 0
    with pytest.raises(net.DeadlineExceeded, match=r"no complete answer within 0.3 s"):
        deadline.step(5)


def test_a_finished_operation_is_not_cut(pair):
    near, far = pair
    deadline = net.Deadline(0.2)
    forget = deadline.cut_socket(near)
    forget()  # the step is over: the socket is someone else's now
    time.sleep(0.4)
    far.sendall(b"still open")
    assert near.recv(100) == b"still open"


def test_a_socket_registered_after_the_deadline_is_cut_at_once(pair):
    near, _ = pair
    deadline = net.Deadline(5)
    deadline.expire()
    deadline.cut_socket(near)
    assert near.recv(100) == b""  # shut down: returns at once instead of blocking


def test_step_never_exceeds_what_is_left():
    deadline = net.Deadline(10)
    assert deadline.step(15) <= 10 and deadline.step(1) == 1
    deadline.doing = "reading /system"
    assert deadline.message() == "no complete answer within 10 s (reading /system)"


def test_resolve_is_bounded_and_says_why():
    deadline = net.Deadline(5)
    assert net.resolve("127.0.0.1", 104, deadline, 1) == ["127.0.0.1"]
    why = net.resolve("nonexistent.invalid", 104, deadline, 2)
    assert isinstance(why, str) and why


# --- many operations side by side -------------------------------------------------------------


def test_run_concurrently_gives_up_stalled_tasks_and_frees_their_slots(pair):
    """Two slots; 'stall' tasks block in recv() until their deadline cuts them, one
    'stubborn' task ignores the deadline altogether. Every good task still runs, the
    stallers' sockets are cut, and the order of the outcomes is the order of the items."""
    sockets: list[socket.socket] = []
    released: list[str] = []
    forever = threading.Event()

    def work(item: str, deadline: net.Deadline) -> str:
        if item.startswith("stall"):
            listener = socket.create_server(("127.0.0.1", 0))
            sock = socket.create_connection(listener.getsockname())
            sockets.extend([listener, sock])
            deadline.doing = "waiting for the peer"
            deadline.cut_socket(sock)
            sock.recv(100)  # blocks until the deadline cuts it
            released.append(item)
            raise net.DeadlineExceeded(deadline.message())
        if item == "stubborn":
            forever.wait()  # never returns: its slot must be freed anyway
        return f"{item} ok"

    items = ["stall-1", "good-1", "stubborn", "good-2", "stall-2", "good-3"]
    seen: list[tuple[int, int]] = []
    started = time.monotonic()
    outcomes = net.run_concurrently(
        items,
        work,
        jobs=2,
        budget=0.5,
        on_timeout=lambda item, deadline: f"{item} gave up: {deadline.message()}",
        progress=lambda done, total: seen.append((done, total)),
    )
    elapsed = time.monotonic() - started
    try:
        assert [o.item for o in outcomes] == items
        assert {o.item: o.timed_out for o in outcomes} == {
            "stall-1": True,
            "good-1": False,
            "stubborn": True,
            "good-2": False,
            "stall-2": True,
            "good-3": False,
        }
        assert outcomes[0].result == (
            "stall-1 gave up: no complete answer within 0.5 s (waiting for the peer)"
        )
        assert outcomes[1].result == "good-1 ok"
        assert seen[0] == (0, 6) and seen[-1] == (6, 6)
        deadline = time.monotonic() + HANG_GUARD
        while len(released) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sorted(released) == ["stall-1", "stall-2"]  # their recv() was cut
        stubborn = [t for t in threading.enumerate() if t.name.startswith("imgpolicy-net")]
        assert stubborn and all(t.daemon for t in stubborn)  # never holds the process
        print(f"6 tasks, 3 stalling, 2 slots, 0.5 s budget: {elapsed:.2f} s")
    finally:
        forever.set()
        for sock in sockets:
            sock.close()


def test_a_task_that_raises_ends_the_run_with_its_item():
    def work(item: int, deadline: net.Deadline) -> int:
        if item == 3:
            raise KeyError("bug")
        return item

    with pytest.raises(net.TaskCrashed) as crashed:
        net.run_concurrently(
            [1, 2, 3, 4], work, jobs=2, budget=5, on_timeout=lambda item, deadline: -1
        )
    assert crashed.value.item == 3 and isinstance(crashed.value.error, KeyError)


# --- URLs ------------------------------------------------------------------------------------------


def test_parse_http_url_takes_the_credentials_out():
    url = net.parse_http_url("http://ad%40min:p%3Aw@PACS.example.org:8042/orthanc/")
    assert url == net.HttpURL("http://pacs.example.org:8042/orthanc", "ad@min", "p:w")
    assert url.hostname == "pacs.example.org"
    assert net.parse_http_url("https://[::1]:8042").url == "https://[::1]:8042"
    assert net.parse_http_url("http://pacs").user is None


@pytest.mark.parametrize(
    "text",
    [
        "http://u:secret@[::1",
        "http://u:secret@h:99999",
        "ftp://u:secret@h",
        "http://h/?token=secret",
    ],
)
def test_parse_http_url_refuses_without_showing_secrets(text):
    with pytest.raises(net.BadURL) as refused:
        net.parse_http_url(text)
    assert "secret" not in str(refused.value) and "***" in str(refused.value)


def test_origin_is_scheme_host_and_port():
    assert net.origin("http://PACS:80/a") == net.origin("http://pacs/b")
    assert net.origin("http://pacs/") != net.origin("https://pacs/")
    assert net.origin("http://pacs:8042/") != net.origin("http://pacs:8043/")


# --- the bounded GET --------------------------------------------------------------------------------


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def serve(handler: type[http.server.BaseHTTPRequestHandler]):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_http_get_bounds_the_size_of_the_answer():
    class Big(_Quiet):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()  # no Content-Length: read until the server closes
            self.wfile.write(b"x" * 5000)

    server, url = serve(Big)
    try:
        deadline = net.Deadline(10)
        with pytest.raises(net.FetchFailed, match="larger than"):
            net.http_get(url, deadline=deadline, limit=5, max_bytes=1000)
        assert net.http_get(url, deadline=deadline, limit=5, max_bytes=5000) == b"x" * 5000
    finally:
        server.shutdown()
        server.server_close()


def test_http_get_tells_a_stalled_server_from_an_unreachable_one():
    release = threading.Event()

    class Silent(_Quiet):
        def do_GET(self) -> None:
            release.wait(HANG_GUARD)

    server, url = serve(Silent)
    try:
        with pytest.raises(net.FetchFailed) as stalled:
            net.http_get(url, deadline=net.Deadline(10), limit=0.5, max_bytes=100)
        assert "timed out reading the answer (nothing for 0.5 s" in str(stalled.value)
        assert not stalled.value.timed_out
        with pytest.raises(net.FetchFailed) as cut:
            net.http_get(url, deadline=net.Deadline(0.5), limit=5, max_bytes=100)
        assert str(cut.value).endswith(
            "timed out reading the answer: no complete answer within 0.5 s"
        )
        assert cut.value.timed_out
    finally:
        release.set()
        server.shutdown()
        server.server_close()
    with pytest.raises(net.FetchFailed, match="cannot connect"):
        net.http_get(url, deadline=net.Deadline(5), limit=1, max_bytes=100)
