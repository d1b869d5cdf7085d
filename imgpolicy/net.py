"""Deadlines for every network operation imgpolicy performs, and the one bounded HTTP GET.

A socket timeout bounds one `recv()`, not an answer: a peer that sends part of a PDU and
then stalls, or trickles a byte every few seconds, keeps a reader waiting for ever while
each single read finishes in time. So every network operation here (`imgpolicy probe`,
`imgpolicy import orthanc --url`, and whatever else talks to the network) runs against a
`Deadline`: a budget of seconds for the whole operation. Each blocking step takes
`deadline.step(limit)` as its own timeout (never more than what is left), and every
socket the operation opens is registered with `deadline.cut_on_expiry(...)`. When the
deadline passes, a watchdog thread shuts those sockets down from outside, so whatever
call is blocked on them returns at once with an error, whichever thread it is in.

`run_concurrently` bounds a set of such operations run side by side (one per probed
target): each gets its own deadline from the moment it starts; when it passes, the task
is given up (its sockets cut, its slot handed to the next task), so a run of N tasks,
`jobs` at a time, takes at most ceil(N / jobs) x the budget. Every thread started here is
a daemon thread: nothing here can keep the process alive.

`http_get` is the GET every HTTP client in imgpolicy uses: a deadline for the whole
answer, a bound on its size, redirects followed only to http(s) and never with the
credentials to another origin, and error messages that never show credentials
(`redact.redact_urls`, the one redaction of URLs).
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import queue
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from .redact import redact_urls

Item = TypeVar("Item")
Result = TypeVar("Result")
Action = Callable[[], None]


def seconds(value: float) -> str:
    """`4 s`, `0.5 s`: how a duration is said in messages."""
    return f"{value:g} s"


class DeadlineExceeded(Exception):
    """The operation's deadline passed before it was complete."""


class Deadline:
    """A budget of `seconds` for one whole network operation, counted from now.

    `doing` says what the operation is waiting for at the moment ("waiting for the answer
    to the association request"), so a message about an expired deadline can say where
    the peer stalled.
    """

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.expires_at = time.monotonic() + budget
        self.doing = ""
        self._lock = threading.Lock()
        self._actions: dict[int, Action] = {}
        self._next = itertools.count()
        self._fired = False
        self._armed = False

    def remaining(self) -> float:
        """Seconds left, 0 when the deadline has passed."""
        return 0.0 if self._fired else max(0.0, self.expires_at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self._fired or time.monotonic() >= self.expires_at

    def step(self, limit: float) -> float:
        """The timeout for one blocking step: `limit`, or less when less is left.
        Raises `DeadlineExceeded` when nothing is left, so no new step starts late."""
        left = self.remaining()
        if left <= 0:
            raise DeadlineExceeded(self.message())
        return min(limit, left)

    def message(self) -> str:
        where = f" ({self.doing})" if self.doing else ""
        return f"no complete answer within {seconds(self.budget)}{where}"

    def cut_on_expiry(self, action: Action) -> Action:
        """Run `action` (shut a socket down) when the deadline passes; at once when it
        already has. Returns a function that forgets the action (the step is done)."""
        with self._lock:
            if not self._fired:
                key = next(self._next)
                self._actions[key] = action
                if not self._armed:
                    self._armed = True
                    _WATCHDOG.watch(self)
                return lambda: self._forget(key)
        _run_quietly(action)
        return lambda: None

    def cut_socket(self, sock: socket.socket | None) -> Action:
        """`cut_on_expiry` for a socket: shut it down (both ways) when the deadline passes."""
        return self.cut_on_expiry(lambda: shutdown(sock))

    def _forget(self, key: int) -> None:
        with self._lock:
            self._actions.pop(key, None)

    def expire(self) -> None:
        """The deadline has passed (or the operation is given up): cut everything
        registered, once. Later registrations are cut as they come."""
        with self._lock:
            if self._fired:
                return
            self._fired = True
            actions = list(self._actions.values())
            self._actions.clear()
        for action in actions:
            _run_quietly(action)

    def close(self) -> None:
        """The operation is over: nothing left to cut (the watchdog forgets it)."""
        with self._lock:
            self._actions.clear()


def _run_quietly(action: Action) -> None:
    try:
        action()
    except Exception:  # cutting a socket that is already gone is fine
        pass


def shutdown(sock: Any) -> None:
    """Shut a socket down both ways: a thread blocked in recv()/send() on it returns at
    once (close() from another thread would not wake it). Quiet when already closed."""
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except (OSError, ValueError):
        pass


class _Watchdog:
    """One daemon thread that expires deadlines when their time comes."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline) -> None:
        with self._lock:
            heapq.heappush(self._heap, (deadline.expires_at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="imgpolicy-watchdog", daemon=True
                )
                self._thread.start()
            self._lock.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._heap:
                    self._lock.wait()
                when, _, deadline = self._heap[0]
                wait = when - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                heapq.heappop(self._heap)
            deadline.expire()


_WATCHDOG = _Watchdog()


# --- name resolution ---------------------------------------------------------------------


def resolve(hostname: str, port: int, deadline: Deadline, limit: float) -> list[str] | str:
    """The addresses of `hostname`, or why there are none. getaddrinfo() has no timeout
    of its own and cannot be cut, so it runs in a daemon thread that we stop waiting for
    after `deadline.step(limit)`."""
    outcome: list[list[str] | str] = []
    wait = deadline.step(limit)

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
            outcome.append(list(dict.fromkeys(str(info[4][0]) for info in infos)))
        except socket.gaierror as err:
            outcome.append(err.strerror or str(err))
        except (OSError, UnicodeError) as err:
            outcome.append(str(err))

    thread = threading.Thread(target=lookup, name="imgpolicy-resolve", daemon=True)
    thread.start()
    thread.join(wait)
    if not outcome:
        return f"no answer from DNS within {seconds(wait)}"
    return outcome[0] or "no addresses"


# --- many bounded operations side by side -------------------------------------------------


class TaskCrashed(Exception):
    """A task raised: a bug, not a network problem. `item` is the task's item."""

    def __init__(self, item: object, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.item = item
        self.error = error


@dataclass
class _Task(Generic[Item, Result]):
    item: Item
    deadline: Deadline
    result: Result | None = None
    completed: bool = False
    error: BaseException | None = None


@dataclass
class Outcome(Generic[Item, Result]):
    item: Item
    result: Result
    timed_out: bool = False


def run_concurrently(
    items: Sequence[Item],
    work: Callable[[Item, Deadline], Result],
    *,
    jobs: int,
    budget: float,
    on_timeout: Callable[[Item, Deadline], Result],
    progress: Callable[[int, int], None] | None = None,
    name: str = "imgpolicy-net",
) -> list[Outcome[Item, Result]]:
    """`work(item, deadline)` for every item, `jobs` at a time, each within `budget` s.

    Each task's deadline starts when the task starts. A task still running when its
    deadline passes is given up: the deadline cuts its sockets, `on_timeout(item,
    deadline)` is its result, and its slot goes to the next item at once (the thread ends
    on its own once its blocked call returns; it is a daemon, so it never holds the
    process). So the whole run takes at most ceil(len(items) / jobs) x `budget`. A task
    that raises ends the run with `TaskCrashed`. Outcomes come in the order of `items`.
    """
    jobs = max(1, jobs)
    waiting = list(enumerate(items))
    waiting.reverse()
    finished: queue.SimpleQueue[int] = queue.SimpleQueue()
    running: dict[int, _Task[Item, Result]] = {}
    outcomes: dict[int, Outcome[Item, Result]] = {}
    total = len(items)

    def run_task(index: int, task: _Task[Item, Result]) -> None:
        try:
            task.result = work(task.item, task.deadline)
            task.completed = True
        except DeadlineExceeded:
            pass  # the main thread reports it
        except BaseException as err:  # reported as TaskCrashed by the main thread
            task.error = err
        finally:
            task.deadline.close()
            finished.put(index)

    if progress:
        progress(0, total)
    while waiting or running:
        while waiting and len(running) < jobs:
            index, item = waiting.pop()
            task = _Task[Item, Result](item, Deadline(budget))
            running[index] = task
            thread = threading.Thread(
                target=run_task, args=(index, task), name=f"{name}-{index}", daemon=True
            )
            thread.start()
        nearest = min(task.deadline.remaining() for task in running.values())
        try:
            done = [finished.get(timeout=nearest) if nearest > 0 else finished.get_nowait()]
        except queue.Empty:
            done = []
        for index in done:
            if index not in running:  # given up earlier: its result no longer counts
                continue
            task = running.pop(index)
            if task.error is not None:
                for other in running.values():
                    other.deadline.expire()
                raise TaskCrashed(task.item, task.error) from task.error
            if task.completed:
                outcomes[index] = Outcome(task.item, cast(Result, task.result))
            else:  # it stopped at its deadline by itself (DeadlineExceeded)
                outcomes[index] = Outcome(task.item, on_timeout(task.item, task.deadline), True)
            if progress:
                progress(len(outcomes), total)
        for index, task in list(running.items()):
            if task.deadline.expired:
                task.deadline.expire()
                del running[index]
                outcomes[index] = Outcome(task.item, on_timeout(task.item, task.deadline), True)
                if progress:
                    progress(len(outcomes), total)
    return [outcomes[index] for index in range(total)]


# --- URLs and what they must never show ----------------------------------------------------


class BadURL(ValueError):
    """A URL that cannot be used; the message shows it redacted."""


@dataclass(frozen=True)
class HttpURL:
    """An http(s) URL split into the part that is shown and the credentials it held."""

    url: str
    """scheme://host[:port]/path, without user info, query or fragment."""
    user: str | None = None
    password: str | None = None

    @property
    def hostname(self) -> str:
        return urllib.parse.urlsplit(self.url).hostname or ""


def parse_http_url(text: str, what: str = "the address") -> HttpURL:
    """Check an http(s) base URL and take the credentials out of it. Raises `BadURL`
    (with the URL redacted) when it is not one."""
    shown = redact_urls(text)
    expected = f"give {what} as http://host:port or https://host:port"
    try:
        parts = urllib.parse.urlsplit(text.strip())
        port = parts.port  # ValueError when not a number or out of range
        hostname = parts.hostname
    except ValueError as err:
        raise BadURL(f"{shown}: not a usable URL ({err}); {expected}") from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise BadURL(f"{shown}: {expected}")
    if parts.query or parts.fragment:
        raise BadURL(f"{shown}: give {what} without a query (?...) or fragment (#...)")
    host = f"[{hostname}]" if ":" in hostname else hostname
    netloc = host if port is None else f"{host}:{port}"
    user = urllib.parse.unquote(parts.username) if parts.username is not None else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    clean = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    return HttpURL(clean, user or None, password)


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port): what the Authorization header is never sent beyond."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port or default


# --- the bounded HTTP GET ------------------------------------------------------------------


class FetchFailed(Exception):
    """A GET without a usable answer. `status` is the HTTP status when there was one;
    `timed_out` is true when the deadline passed. The message is redacted."""

    def __init__(self, message: str, status: int | None = None, timed_out: bool = False):
        super().__init__(redact_urls(message))
        self.status = status
        self.timed_out = timed_out


@dataclass
class _Exchange:
    """One GET and its redirects: the deadline, and whether a connection was made (a
    timeout after it is "timed out reading", not "cannot connect")."""

    deadline: Deadline
    limit: float
    connected: bool = False
    spares: list[socket.socket] = field(default_factory=list)
    cuts: list[Action] = field(default_factory=list)

    def connect(
        self, address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        """socket.create_connection with bounded DNS, the connection cut at the deadline.

        The cut goes through a duplicate of the socket's descriptor: shutdown() acts on
        the connection, not the descriptor, and the duplicate stays valid when TLS
        wraps (and detaches) the original."""
        host, port = address
        found = resolve(host, port, self.deadline, self.limit)
        if isinstance(found, str):
            raise OSError(f"cannot resolve {host}: {found}")
        error: OSError = OSError("no address to connect to")
        for ip in found:
            try:
                sock = socket.create_connection(
                    (ip, port), self.deadline.step(self.limit), source_address
                )
            except OSError as err:
                error = err
                continue
            spare = sock.dup()
            self.spares.append(spare)
            self.cuts.append(self.deadline.cut_socket(spare))
            self.connected = True
            return sock
        raise error

    def done(self) -> None:
        for forget in self.cuts:
            forget()
        for spare in self.spares:
            spare.close()


def _bounded(exchange: _Exchange, connection_class: type) -> Callable[..., Any]:
    """A connection class for urllib's do_open whose connections use `exchange.connect`."""

    def make(host: str, **kwargs: Any) -> Any:
        connection = connection_class(host, **kwargs)
        connection._create_connection = exchange.connect
        return connection

    return make


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, exchange: _Exchange) -> None:
        super().__init__()
        self.exchange = exchange

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_bounded(self.exchange, http.client.HTTPConnection), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, exchange: _Exchange) -> None:
        super().__init__()
        self.exchange = exchange

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(
            _bounded(self.exchange, http.client.HTTPSConnection),
            req,
            context=getattr(self, "_context", None),
            check_hostname=getattr(self, "_check_hostname", None),
        )


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only, and never take the credentials to another
    origin (urllib would re-send the Authorization header to any host)."""

    max_redirections = 5

    def http_error_302(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any
    ) -> Any:
        location = headers.get("location") or headers.get("uri") or ""
        newurl = urllib.parse.urljoin(req.full_url, location)
        scheme = urllib.parse.urlsplit(newurl).scheme
        if scheme not in ("http", "https"):
            raise FetchFailed(
                f"{req.full_url}: redirected (HTTP {code}) to a {scheme}: URL "
                f"({newurl}), which is not followed"
            )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin(newurl) != origin(req.full_url):
            for name in list(new.headers):
                if name.lower() == "authorization":
                    del new.headers[name]
            for name in list(new.unredirected_hdrs):
                if name.lower() == "authorization":
                    del new.unredirected_hdrs[name]
        return new


def http_get(
    url: str,
    *,
    deadline: Deadline,
    limit: float,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The body of GET `url`, within `deadline` (each step at most `limit` s), at most
    `max_bytes` long. Raises `FetchFailed` with a message fit for the user."""
    return http_request(
        "GET", url, deadline=deadline, limit=limit, max_bytes=max_bytes, headers=headers
    )


def http_request(
    method: str,
    url: str,
    *,
    deadline: Deadline,
    limit: float,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
) -> bytes:
    """`http_get` for another method with a request body (`data`): for queries a server takes
    only as POST (Orthanc's /tools/find). Same deadline, bound, redirects and messages."""
    exchange = _Exchange(deadline, limit)
    opener = urllib.request.build_opener(
        _HTTPHandler(exchange), _HTTPSHandler(exchange), _Redirects()
    )
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}), method=method)
    try:
        timeout = deadline.step(limit)
        with opener.open(request, timeout=timeout) as response:
            body = response.read(max_bytes + 1)
        if deadline.expired:  # the watchdog may have cut the body short
            raise DeadlineExceeded(deadline.message())
    except DeadlineExceeded:
        raise FetchFailed(f"{url}: {_why(TimeoutError(), exchange)}", timed_out=True) from None
    except urllib.error.HTTPError as err:
        raise FetchFailed(f"{url}: HTTP {err.code} {err.reason}", status=err.code) from None
    except (OSError, http.client.HTTPException, ValueError) as err:
        raise FetchFailed(f"{url}: {_why(err, exchange)}", timed_out=deadline.expired) from None
    finally:
        exchange.done()
    if len(body) > max_bytes:
        raise FetchFailed(f"{url}: the answer is larger than {max_bytes // 2**20} MiB")
    return body


def _why(err: BaseException, exchange: _Exchange) -> str:
    """What went wrong, as a person reading it needs it."""
    if exchange.deadline.expired:
        said = exchange.deadline.message()
        return f"timed out reading the answer: {said}" if exchange.connected else said
    reason = getattr(err, "reason", err) if isinstance(err, urllib.error.URLError) else err
    if isinstance(reason, TimeoutError):
        if exchange.connected:
            return (
                f"timed out reading the answer (nothing for {seconds(exchange.limit)}; "
                "the server accepted the connection but does not answer)"
            )
        return f"cannot connect: no connection within {seconds(exchange.limit)}"
    if isinstance(reason, http.client.HTTPException) or exchange.connected:
        what = type(reason).__name__ if not str(reason) else str(reason)
        return f"the connection broke while reading the answer ({what})"
    if isinstance(reason, ValueError):
        return f"not a URL that can be fetched ({reason})"
    text = getattr(reason, "strerror", None) or str(reason)
    return f"cannot connect: {text}"
