"""`imgpolicy probe`: does the live network negotiate what the environment files declare?

For every acceptor AE (on every connection of it that has a port), open associations as a
calling AE of our own, send one C-ECHO, and propose one presentation context per declared
(SOP class, transfer syntax) pair of its SCP transfer capabilities; whatever the peer
rejects of what the files declare is a finding.

What this module may do on the network, and nothing more:

- connect only to `Target`s, and a `Target` is only ever built from the environment
  (`targets()`): a declared hostname and port, the declared called AE title;
- negotiate associations, send C-ECHO (the only DIMSE call here is `send_c_echo`) and
  release. No C-STORE, C-FIND, C-MOVE, C-GET or N-* request is ever sent, so no patient
  data is ever asked for or sent.

How long: every step (resolve, connect, association answer, C-ECHO, release) within
--timeout, and every target within `target_budget` (4 x --timeout) in all, through
`net.run_concurrently`: pynetdicom's per-step timeouts do not cover a PDU that stops
half-way, so when a target's deadline passes its socket is shut down from outside and the
target is PROBE001. A run takes at most `run_bound` (ceil(targets / jobs) x the budget).

pynetdicom is imported lazily (only when a probe runs), so `imgpolicy check` never pays for
it and imgpolicy works without it; it comes with the `probe` extra.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from . import dicom, net
from .codes import CODES
from .findings import Finding, Location
from .load import LoadResult
from .progress import ProgressCallback, bar

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
MAX_CONTEXTS = 128
"""PS3.8 9.3.2.2: at most 128 presentation contexts in one A-ASSOCIATE-RQ (odd IDs 1..255)."""
CAPABILITIES_PER_ASSOCIATION = MAX_CONTEXTS - 1
"""Every association proposes Verification too, so it is never refused for want of a
context the peer accepts; the rest of the 128 carry declared capabilities."""
DEFAULT_CALLING_AE = "IMGPOLICY"
DEFAULT_TIMEOUT = 5.0
DEFAULT_JOBS = 16
STEPS_PER_TARGET = 4
"""A target gets at most this many --timeout in all (`target_budget`)."""

_RESULT = {
    1: "rejected by the user (the peer's configuration)",
    2: "rejected, no reason given",
    3: "abstract syntax not supported",
    4: "transfer syntax not supported",
}
_REJECT_SOURCE = {
    1: "the service user",
    2: "the service provider (ACSE)",
    3: "the service provider (presentation)",
}
_NO_ANSWER = -1
"""A proposed context that the A-ASSOCIATE-AC did not answer at all."""


class ProbeUnavailable(Exception):
    """pynetdicom is not installed."""


class TLSSetupError(Exception):
    """--tls-ca / --tls-cert / --tls-key cannot be used (a usage error)."""


class ProbeCrashed(Exception):
    """Probing one target raised: a bug in imgpolicy, reported without a traceback."""


def require_pynetdicom() -> None:
    try:
        import pynetdicom  # noqa: F401
    except ImportError:
        raise ProbeUnavailable(
            "`imgpolicy probe` needs pynetdicom: pip install 'imgpolicy[probe]'"
        ) from None


def check_calling_ae(title: str) -> str | None:
    """Why `title` cannot be our calling AE title (PS3.5 AE VR), or None when it can."""
    if not 1 <= len(title) <= 16:
        return "an AE title has 1 to 16 characters"
    if not title.isascii() or "\\" in title or any(ord(c) < 0x20 or c == "\x7f" for c in title):
        return "an AE title is ASCII without backslash or control characters"
    if not title.strip():
        return "an AE title is not all spaces"
    return None


# --- what to probe: built from the environment, and only from it ------------------------


@dataclass(frozen=True)
class Declared:
    """One SOP class of one SCP transfer capability item, with its declared syntaxes."""

    sop_class: str
    transfer_syntaxes: tuple[str, ...]
    location: Location


@dataclass(frozen=True)
class Target:
    """One acceptor AE on one of its connections that has a port: what will be contacted."""

    ae_title: str
    device: str
    site: str
    connection: str
    hostname: str
    port: int
    tls: bool
    location: Location
    """The AE's `ae_title` node: where association-level findings point."""
    capabilities: tuple[Declared, ...]

    @property
    def label(self) -> str:
        return f"{self.ae_title} on {self.connection} ({_host_port(self.hostname, self.port)})"

    @property
    def proposals(self) -> list[tuple[str, str]]:
        """Every declared (SOP class, transfer syntax) pair once, in declaration order."""
        seen: dict[tuple[str, str], None] = {}
        for cap in self.capabilities:
            for ts in cap.transfer_syntaxes:
                seen.setdefault((cap.sop_class, ts), None)
        return list(seen)


@dataclass
class Selection:
    targets: list[Target]
    notes: list[str] = field(default_factory=list)
    unknown_aes: list[str] = field(default_factory=list)
    unknown_sites: list[str] = field(default_factory=list)


def targets(load: LoadResult, sites: Iterable[str] = (), aes: Iterable[str] = ()) -> Selection:
    """The acceptor AEs of the environment (filtered by site and AE title) x their ports."""
    env = load.environment
    sites, aes = list(dict.fromkeys(sites)), list(dict.fromkeys(aes))
    known_sites = {s.name for s in env.sites} | {d.site for d in env.devices}
    known_aes = {ae.ae_title for _, ae in env.application_entities()}
    selection = Selection(
        [],
        unknown_aes=[a for a in aes if a not in known_aes],
        unknown_sites=[s for s in sites if s not in known_sites],
    )
    for device, ae in env.application_entities():
        if (sites and device.site not in sites) or (aes and ae.ae_title not in aes):
            continue
        named = ae.connections or [c.name for c in device.connections]
        listening = [
            (c, port)
            for c in device.connections
            if c.name in named and (port := c.port) is not None
        ]
        if not ae.acceptor or not listening:
            if aes:  # only worth a word when the user asked for this AE by name
                why = "is not an acceptor" if not ae.acceptor else "has no connection with a port"
                selection.notes.append(f"{ae.ae_title} was not probed: it {why}.")
            continue
        declared = []
        for k, cap in enumerate(ae.transfer_capabilities):
            if cap.role != "SCP":
                continue
            for i, sop_class in enumerate(cap.classes):
                node = ("sop_class",) if cap.sop_class else ("sop_classes", i)
                declared.append(
                    Declared(
                        sop_class,
                        tuple(cap.transfer_syntaxes),
                        load.location(ae, "transfer_capabilities", k, *node),
                    )
                )
        where = load.location(ae, "ae_title")
        for conn, port in listening:
            selection.targets.append(
                Target(
                    ae.ae_title,
                    device.name,
                    device.site,
                    conn.name,
                    conn.hostname,
                    port,
                    conn.uses_tls,
                    where,
                    tuple(declared),
                )
            )
    return selection


# --- how ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    calling_ae: str = DEFAULT_CALLING_AE
    timeout: float = DEFAULT_TIMEOUT
    """Seconds for each step: TCP connect (and TLS handshake), association answer, C-ECHO
    response, release; a target gets `target_budget(timeout)` for all of them."""
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None


def tls_context(settings: Settings):
    """The client TLS context for `tls: true` connections: the system's trust store (or
    --tls-ca), hostname checked against the declared hostname, optional client certificate.
    Raises TLSSetupError when the files cannot be used."""
    import ssl

    try:
        context = ssl.create_default_context(cafile=settings.tls_ca)
        if settings.tls_cert:
            context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ValueError) as err:  # ssl.SSLError is an OSError
        raise TLSSetupError(f"cannot use the TLS files given: {err}") from None
    return context


def target_budget(timeout: float) -> float:
    """The most time one target may take, all its steps together (resolve, connect,
    associate, C-ECHO, release, for each of its associations): STEPS_PER_TARGET x
    --timeout. A peer that answers part of a PDU and stalls is given up at this point."""
    return STEPS_PER_TARGET * timeout


def run_bound(targets: int, jobs: int, timeout: float) -> float:
    """The most time a whole probe may take (before start-up): ceil(targets / jobs)
    rounds of `target_budget`."""
    return -(-targets // max(1, jobs)) * target_budget(timeout)


def probe(
    load: LoadResult,
    selected: Sequence[Target],
    settings: Settings,
    *,
    jobs: int = DEFAULT_JOBS,
    progress: ProgressCallback | None = None,
) -> list[Finding]:
    """Probe every target, `jobs` at a time, each within `target_budget(settings.timeout)`
    (`net.run_concurrently` gives up a target whose peer stalls and cuts its sockets), so
    the run takes at most `run_bound(...)`; the findings come back sorted like `check`'s."""
    require_pynetdicom()
    context = tls_context(settings) if any(t.tls for t in selected) else None
    findings: list[Finding] = []
    capture = _LogCapture()
    logger = logging.getLogger("pynetdicom")
    logger.addHandler(capture)

    def work(target: Target, deadline: net.Deadline) -> list[Finding]:
        return _probe_target(target, settings, context, capture, deadline)

    def gave_up(target: Target, deadline: net.Deadline) -> list[Finding]:
        return [_gave_up(target, settings, deadline)]

    try:
        outcomes = net.run_concurrently(
            list(selected),
            work,
            jobs=jobs,
            budget=target_budget(settings.timeout),
            on_timeout=gave_up,
            progress=progress,
            name="imgpolicy-probe",
        )
    except net.TaskCrashed as crash:  # a bug of ours: say which target, no traceback
        target = cast(Target, crash.item)
        raise ProbeCrashed(
            f"probing {target.label} failed ({crash}); please report this"
        ) from crash.error
    finally:
        logger.removeHandler(capture)
    for outcome in outcomes:
        findings.extend(outcome.result)
    findings.sort(key=Finding.sort_key)
    return findings


def _gave_up(target: Target, settings: Settings, deadline: net.Deadline) -> Finding:
    """PROBE001 for a target whose peer did not finish within its budget."""
    doing = f" while {deadline.doing}" if deadline.doing else ""
    return _finding(
        "PROBE001",
        target,
        f"no complete answer within {_seconds(deadline.budget)} ({STEPS_PER_TARGET} x "
        f"--timeout){doing}: the peer stalled part-way (a hung or overloaded DICOM "
        "service, or not a DICOM port?)",
    )


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _name(uid: str) -> str:
    info = dicom.lookup(uid)
    return info.keyword or info.name if info else uid


def _seconds(value: float) -> str:
    return f"{value:g} s"


class _LogCapture(logging.Handler):
    """pynetdicom reports why a connection failed only in its log ("TCP Initialisation
    Error: [Errno 111] Connection refused", "Unknown PDU type received"); keep those lines
    per association so each finding can say what actually happened."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._lock = threading.Lock()
        self._lines: dict[object, list[str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        thread = threading.current_thread()
        owner = getattr(thread, "assoc", None) or thread  # the DUL thread -> its association
        try:
            line = record.getMessage()
        except Exception:  # pragma: no cover - a malformed record is not our concern
            return
        with self._lock:
            self._lines.setdefault(owner, []).append(line)

    def take(self, *owners: object) -> list[str]:
        with self._lock:
            return [line for owner in owners for line in self._lines.pop(owner, [])]


@dataclass
class _Attempt:
    """One association request and what we saw of it."""

    assoc: Any
    seconds: float
    connected: bool
    pdus: list[Any]
    log: list[str]


def _finding(code: str, target: Target, message: str, location: Location | None = None) -> Finding:
    """A finding with the severity the code has in the catalogue."""
    return Finding(
        code,
        CODES[code].severity,
        f"{target.label}: {message}",
        location or target.location,
        entity=f"ae:{target.ae_title}",
    )


def _probe_target(
    target: Target,
    settings: Settings,
    context: Any,
    capture: _LogCapture,
    deadline: net.Deadline,
) -> list[Finding]:
    """Every association one target needs, each step within --timeout and all of them
    within `deadline` (whose expiry cuts their sockets)."""
    from pynetdicom import AE, build_context

    timeout = settings.timeout
    deadline.doing = "resolving the hostname"
    addresses = net.resolve(target.hostname, target.port, deadline, timeout)
    if isinstance(addresses, str):
        return [
            _finding(
                "PROBE001",
                target,
                f"cannot resolve hostname '{target.hostname}' ({addresses}); check "
                "the hostname, or the DNS of the host running the probe",
            )
        ]

    ae = AE(settings.calling_ae)
    tls_args = (context, target.hostname) if target.tls else None

    proposals = target.proposals
    batches = [
        proposals[i : i + CAPABILITIES_PER_ASSOCIATION]
        for i in range(0, len(proposals), CAPABILITIES_PER_ASSOCIATION)
    ] or [[]]
    results: dict[tuple[str, str], int] = {}
    findings: list[Finding] = []
    for number, batch in enumerate(batches):
        contexts = [build_context(VERIFICATION, [IMPLICIT_VR_LITTLE_ENDIAN])]
        contexts += [build_context(sop_class, [ts]) for sop_class, ts in batch]
        attempt, address = _first_connection(
            ae, addresses, target, contexts, tls_args, capture, deadline, timeout
        )
        addresses = [address]  # later batches go where the first one got through
        failure = _association_failure(target, attempt, settings, number, len(batches))
        if failure is not None:
            findings.append(failure)
            _close(attempt, capture, deadline, timeout)
            break
        assoc = attempt.assoc
        if number == 0:
            deadline.doing = "waiting for the C-ECHO response"
            assoc.dimse_timeout = deadline.step(timeout)
            findings.extend(_echo(target, assoc, settings))
        by_id = {1 + 2 * i: pair for i, pair in enumerate(batch, start=1)}
        for cx in [*assoc.accepted_contexts, *assoc.rejected_contexts]:
            if cx.context_id in by_id:
                results[by_id[cx.context_id]] = cx.result
        for pair in batch:
            results.setdefault(pair, _NO_ANSWER)
        _close(attempt, capture, deadline, timeout)
    findings.extend(_capability_findings(target, results))
    return findings


def _first_connection(
    ae: Any,
    addresses: list[str],
    target: Target,
    contexts: list[Any],
    tls_args: Any,
    capture: _LogCapture,
    deadline: net.Deadline,
    timeout: float,
) -> tuple[_Attempt, str]:
    """Associate with the first address that takes a TCP connection (a hostname may
    resolve to several), trying the next only while --timeout has not passed."""
    started = time.monotonic()
    for address in addresses:
        step = deadline.step(timeout)  # raises DeadlineExceeded when the target's time is up
        ae.connection_timeout = ae.acse_timeout = step
        ae.dimse_timeout = ae.network_timeout = step
        attempt = _associate(ae, address, target, contexts, tls_args, capture, deadline)
        if attempt.connected or time.monotonic() - started >= timeout:
            break
    return attempt, address


def _associate(
    ae: Any,
    address: str,
    target: Target,
    contexts: list[Any],
    tls_args: Any,
    capture: _LogCapture,
    deadline: net.Deadline,
) -> _Attempt:
    """One association request. Once connected, its socket is cut when the target's
    deadline passes: pynetdicom's own timeouts do not cover a PDU that stops half-way
    (its reader blocks in recv() for the rest of the PDU, and its abort waits for it)."""
    from pynetdicom import evt

    pdus: list[Any] = []
    connected: list[bool] = []

    def opened(event: Any) -> None:
        connected.append(True)
        deadline.doing = "waiting for the answer to the association request"
        transport = event.assoc.dul.socket  # read at cut time: TLS replaces its socket
        deadline.cut_on_expiry(lambda: net.shutdown(getattr(transport, "socket", None)))

    handlers = [
        (evt.EVT_CONN_OPEN, opened),
        (evt.EVT_PDU_RECV, lambda event: pdus.append(event.pdu)),
    ]
    deadline.doing = "connecting"
    started = time.monotonic()
    assoc = ae.associate(
        address,
        target.port,
        contexts,
        ae_title=target.ae_title,
        tls_args=tls_args,
        evt_handlers=handlers,
    )
    seconds = time.monotonic() - started
    return _Attempt(
        assoc, seconds, bool(connected), pdus, capture.take(assoc, threading.current_thread())
    )


def _close(attempt: _Attempt, capture: _LogCapture, deadline: net.Deadline, timeout: float) -> None:
    """Release (abort when the peer does not answer the release in time)."""
    assoc = attempt.assoc
    if assoc.is_established:
        deadline.doing = "releasing the association"
        assoc.acse_timeout = max(0.001, min(timeout, deadline.remaining()))
        assoc.release()
        if assoc.is_established:  # pragma: no cover - no A-RELEASE-RP in time
            assoc.abort()
    capture.take(assoc, threading.current_thread())


def _association_failure(
    target: Target, attempt: _Attempt, settings: Settings, number: int, batches: int
) -> Finding | None:
    """The finding when this association request did not get an A-ASSOCIATE-AC."""
    assoc = attempt.assoc
    answer = getattr(assoc.acceptor, "primitive", None)
    if answer is not None and getattr(answer, "result", None) == 0x00:
        return None  # accepted (perhaps with no usable context: the contexts say so)
    which = "" if batches == 1 else f" (association {number + 1} of {batches})"
    timeout = _seconds(settings.timeout)
    if answer is not None and getattr(answer, "result", None) in (0x01, 0x02):
        hint = ""
        if answer.result_source == 0x01 and answer.diagnostic == 0x07:
            hint = (
                f": '{target.ae_title}' is not the AE title the peer is configured "
                "with; fix ae_title (or the peer)"
            )
        elif answer.result_source == 0x01 and answer.diagnostic == 0x03:
            hint = (
                f": the peer accepts only calling AE titles it knows; add "
                f"'{settings.calling_ae}' to its known AEs, or probe with a --calling-ae "
                "it knows"
            )
        how = "permanently" if answer.result == 0x01 else "transiently (try again later)"
        source = _REJECT_SOURCE.get(answer.result_source, "the peer")
        return _finding(
            "PROBE002",
            target,
            f"the association was rejected {how}{which} by {source}: "
            f"{_lower_first(answer.reason_str)}{hint}",
        )
    if not attempt.connected:
        error = next(
            (
                line.split(":", 1)[1].strip()
                for line in attempt.log
                if line.startswith("TCP Initialisation Error:")
            ),
            "",
        )
        text = _strip_errno(error)
        lowered = text.lower()
        if target.tls and ("ssl" in lowered or "certificate" in lowered or "tls" in lowered):
            return _tls_failure(target, text, which)
        if "refused" in lowered:
            return _finding(
                "PROBE001",
                target,
                f"connection refused{which}: nothing listens on that port, or "
                "a firewall rejects the connection",
            )
        if "timed out" in lowered or (not text and attempt.seconds >= 0.9 * settings.timeout):
            return _finding(
                "PROBE001",
                target,
                f"no TCP connection within {timeout}{which} (host down, or a "
                "firewall drops the packets)",
            )
        return _finding(
            "PROBE001", target, f"cannot connect{which}" + (f" ({text})" if text else "")
        )
    tls_errors = [line for line in attempt.log if "[SSL" in line] if target.tls else []
    if tls_errors:  # TLS 1.3: the server checks our certificate after the handshake
        return _tls_failure(target, tls_errors[0], which)
    aborts = [p for p in attempt.pdus if type(p).__name__ == "A_ABORT_RQ"]
    if aborts:
        abort = aborts[0]
        return _finding(
            "PROBE002",
            target,
            f"the peer aborted the association request{which} (A-ABORT from the "
            f"{abort.source_str}: {_lower_first(abort.reason_str)})",
        )
    garbage = [line for line in attempt.log if line.startswith("Unknown PDU type")]
    if garbage:
        return _finding(
            "PROBE002",
            target,
            f"the peer answered the association request{which} with something "
            f"that is not DICOM ({_lower_first(garbage[0])}): is this the DICOM port?",
        )
    timed_out = any(line.startswith("ACSE timeout") for line in attempt.log)
    if timed_out or (not attempt.pdus and attempt.seconds >= 0.9 * settings.timeout):
        return _finding(
            "PROBE001",
            target,
            f"connected, but no answer to the association request within "
            f"{timeout}{which} (a hung service, or not a DICOM port?)",
        )
    hint = "" if target.tls else "; if the peer expects TLS, the connection should say tls: true"
    return _finding(
        "PROBE002",
        target,
        f"the peer closed the connection without answering the association request{which}{hint}",
    )


_TLS_HINTS = (
    (
        "certificate verify failed",
        (
            "give the CA that signed the peer's certificate with "
            "--tls-ca (or renew the certificate, if it expired)"
        ),
    ),
    (
        "certificate required",
        ("the peer requires a client certificate: give --tls-cert and --tls-key"),
    ),
    ("unknown ca", "the peer does not trust the client certificate given with --tls-cert"),
    ("bad certificate", "the peer does not accept the client certificate given with --tls-cert"),
    ("wrong version number", "does this port speak TLS? (tls: true in the files)"),
)


def _tls_failure(target: Target, error: str, which: str) -> Finding:
    hint = next((h for needle, h in _TLS_HINTS if needle in error.lower()), "")
    return _finding(
        "PROBE006",
        target,
        f"the TLS handshake failed{which} ({error})" + (f": {hint}" if hint else ""),
    )


def _lower_first(text: str) -> str:
    """'Called AE title not recognised' -> 'called AE title not recognised'."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _strip_errno(text: str) -> str:
    if text.startswith("[Errno") and "]" in text:
        return text.split("]", 1)[1].strip()
    return text


def _echo(target: Target, assoc, settings: Settings) -> list[Finding]:
    """C-ECHO once: the only DIMSE request imgpolicy ever sends."""
    if not any(cx.abstract_syntax == VERIFICATION for cx in assoc.accepted_contexts):
        return [
            _finding(
                "PROBE003",
                target,
                "the peer does not accept the Verification SOP class, so it cannot "
                "be C-ECHOed (every acceptor should be a Verification SCP)",
            )
        ]
    if not assoc.is_established:
        return []
    started = time.perf_counter()
    status = assoc.send_c_echo()
    elapsed = (time.perf_counter() - started) * 1000
    value = getattr(status, "Status", None)
    if value is None:
        return [
            _finding("PROBE003", target, f"no C-ECHO response within {_seconds(settings.timeout)}")
        ]
    if value != 0x0000:
        return [
            _finding(
                "PROBE003",
                target,
                f"C-ECHO answered with status 0x{value:04X}, not success (0x0000)",
            )
        ]
    return [_finding("PROBE005", target, f"C-ECHO round trip {elapsed:.1f} ms")]


def _capability_findings(target: Target, results: dict[tuple[str, str], int]) -> list[Finding]:
    accepted_classes = {sop for (sop, _ts), result in results.items() if result == 0}
    findings = []
    for cap in target.capabilities:
        rejected = [
            (ts, results[(cap.sop_class, ts)])
            for ts in cap.transfer_syntaxes
            if results.get((cap.sop_class, ts), 0) != 0
        ]
        if not rejected:
            continue
        name = _name(cap.sop_class)
        if cap.sop_class in accepted_classes:
            good = list(
                dict.fromkeys(
                    ts for (sop, ts), r in results.items() if sop == cap.sop_class and r == 0
                )
            )
            message = (
                f"accepts {name} as SCP, but not with "
                f"{', '.join(_name(ts) for ts, _ in rejected)} (transfer syntax not "
                f"supported; it accepted {', '.join(_name(ts) for ts in good)})"
            )
        else:
            reasons = list(dict.fromkeys(r for _, r in rejected))
            syntaxes = ", ".join(_name(ts) for ts, _ in rejected)
            if reasons == [3]:
                message = (
                    f"does not accept {name} as SCP (abstract syntax not supported; "
                    f"proposed with {syntaxes})"
                )
            elif reasons == [4]:
                message = (
                    f"accepts none of the declared transfer syntaxes for {name} "
                    f"({syntaxes}: transfer syntax not supported)"
                )
            else:
                parts = ", ".join(
                    f"{_name(ts)}: "
                    + _RESULT.get(r, "not answered" if r == _NO_ANSWER else f"result {r}")
                    for ts, r in rejected
                )
                message = f"does not accept {name} as SCP ({parts})"
        findings.append(
            _finding("PROBE004", target, message + "; the files declare it", cap.location)
        )
    return findings


def terminal_progress(stream) -> ProgressCallback | None:
    """The probe's bar (`progress.bar`): on `stream` when it is a terminal, not in CI and
    not under -q; None otherwise (so redirected or CI output stays clean)."""
    return bar("probing", stream)
