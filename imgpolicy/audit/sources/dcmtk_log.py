"""DCMTK `storescp`/`dcmqrscp` logs as a source of exchanges (associations and what they
carried), rejections included.

What each program writes (DCMTK 3.6.7, read from real runs):

- `dcmqrscp -v`: `Association Received (HOST:CALLING -> CALLED)`, then `Association
  Acknowledged` or `Refusing Association (BadAEService)`, a `Received Store SCP:` block per
  object with its `Affected SOP Class UID`, `Received Find SCP:`..., `Association Release`.
- `storescp -v`: `Association Received`, `Received Store Request (MsgID 1, CT)`... but no
  AE titles; with `+v` (`--verbose-pc`) or `-d` it also dumps the A-ASSOCIATE-RQ
  (`Calling Application Name:`, `Called Application Name:`) and the presentation contexts
  it refused (`Context ID: 1 (Abstract Syntax Not Supported)`); `-d` adds the caller's host
  (`Association Received: HOST`) and each C-STORE's SOP class.
- Lines carry no date unless the logger was configured with one (`-lc` with a pattern such
  as `%D{%Y-%m-%d %H:%M:%S.%q} %5p: %m%n`, as DCMTK's own filelog.cfg does); then each
  exchange has its time and the audit window filters them, else it cannot.

The log names no study (only SOP Instance UIDs, which this source does not keep) and no
patient: exchanges carry AE titles, the host, counts and SOP classes. `dcmqrscp --fork`
children write to the same log, so two associations at once may interleave their lines;
each is then attributed to the one received last.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ... import dicom
from ...findings import Location
from ...fsutil import Refused, read_bounded
from ..observed import Exchange, SourceFailed, Window
from . import AssociationRecord

LOG_LIMIT = 512 * 1024 * 1024
"""The largest log read at once (about 7,000 storescp +v associations per MiB... a month of
a busy receiver fits; split larger ones by day)."""

_LINE = re.compile(
    r"^(?:(?P<date>\d{4}-\d{2}-\d{2})[ T])?"
    r"(?:(?P<time>\d{2}:\d{2}:\d{2})(?:[.,]\d+)?\s+)?"
    r"(?:(?:[TDIWEF]|TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\s*(?::|-\s+\S+\s+-)\s?)?"
    r"(?P<text>.*)$"
)
"""A log line: an optional date and time (log4cplus pattern), the level (`I:`, `INFO:`,
`INFO - storescp -`), the message."""
_RECEIVED = re.compile(r"^Association Received(?::\s*(?P<host>\S+)|\s+\((?P<peer>[^)]*)\))?$")
_PEER = re.compile(r"^(?P<host>.*):(?P<calling>[^:]*?)\s*->\s*(?P<called>.*)$")
_FIELD = re.compile(r"^(?P<key>[A-Za-z][A-Za-z /-]*?)\s*:\s*(?P<value>.*)$")
_CONTEXT = re.compile(r"^Context ID:\s+\d+\s+\((?P<result>[^)]*)\)$")

_REFUSALS = {
    "BadAEService": "called AE title not recognized, or the caller is not among its peers",
    "BadAEPeer": "calling AE title not recognized",
    "BadAppContext": "application context not supported",
    "TooManyAssociations": "too many associations",
    "CannotFork": "the receiver could not start a process",
    "forced via command line": "the receiver refuses every association (--refuse)",
}
"""DCMTK's refusal words, in the words PS3.8 A-ASSOCIATE-RJ uses where it has them."""
_CONTEXT_REFUSED = ("Abstract Syntax Not Supported", "Transfer Syntaxes Not Supported")


@dataclass
class _Association:
    """One association as the log tells it, line by line."""

    line: int
    when: datetime | None
    host: str = ""
    calling: str = ""
    called: str = ""
    acknowledged: bool = False
    refused: str = ""
    no_context: bool = False
    aborted: bool = False
    objects: int = 0
    classes: Counter[str] = field(default_factory=Counter)
    refused_contexts: list[str] = field(default_factory=list)
    """`reason: SOP class` of the presentation contexts the receiver refused."""
    in_response: bool = False
    """Inside the A-ASSOCIATE-AC dump (context results) rather than the RQ."""
    message_type: str = ""


class DcmtkLog(AssociationRecord):
    """A DCMTK storescp/dcmqrscp log (see the module's docstring): exchanges only."""

    kind = "a DCMTK log"

    def exchanges(self, window: Window) -> Iterator[Exchange]:
        """Each association in the log, in the window (all of them when the log has no
        dates, said in `notes`), as one exchange: who called whom, accepted or why not,
        how many objects and their most frequent SOP class."""
        associations = list(self._associations())
        unnamed = [a for a in associations if not (a.calling and a.called)]
        undated = sum(1 for a in associations if a.when is None)
        if unnamed:
            self.notes.append(
                f"{self.name}: {len(unnamed)} of {len(associations)} associations name no AE "
                "titles (storescp logs them with -v +v or -d); they are not judged"
            )
        if undated and associations:
            self.notes.append(
                f"{self.name}: {undated} of {len(associations)} associations have no date, so "
                "--since/--until cannot filter them (give storescp/dcmqrscp -lc a logger "
                "pattern with %D)"
            )
        for association in associations:
            if not (association.calling and association.called):
                continue
            day = association.when.date() if association.when else None
            if window.holds(day):
                yield self._exchange(association)

    def _exchange(self, a: _Association) -> Exchange:
        accepted, cause = _outcome(a)
        sop = a.classes.most_common(1)[0][0] if a.classes else ""
        return Exchange(
            calling_ae=a.calling,
            called_ae=a.called,
            when=a.when,
            host=a.host,
            accepted=accepted,
            cause=cause,
            sop_class=sop,
            objects=a.objects,
            where=self.name,
            location=Location(self.name, a.line, 1),
        )

    def _associations(self) -> Iterator[_Association]:
        """The associations in the log's order, built from its lines."""
        current: _Association | None = None
        for number, raw in enumerate(self._text().splitlines(), start=1):
            match = _LINE.match(raw)
            if match is None:  # pragma: no cover - the pattern matches any line
                continue
            text = match["text"].strip()
            when = _when(match["date"], match["time"])
            received = _RECEIVED.match(text)
            if received:
                if current is not None and not _fresh(current, received):
                    yield current
                    current = None
                if current is None:
                    current = _Association(number, when)
                _peer(current, received)
                continue
            if current is None:
                continue
            if _event(current, text):
                yield current
                current = None
        if current is not None:
            yield current

    def _text(self) -> str:
        try:
            data = read_bounded(str(self.path), LOG_LIMIT)
        except Refused as err:
            raise SourceFailed(f"{self.name}: {err}; split the log (e.g. by day)") from None
        except OSError as err:
            raise SourceFailed(f"{self.name}: cannot read it ({err.strerror or err})") from None
        if b"\0" in data[:4096]:
            raise SourceFailed(
                f"{self.name}: is not a DCMTK log (binary data): give a storescp/dcmqrscp "
                "-v log, a folder of DICOM files or a file of DICOM audit messages"
            )
        return data.decode("utf-8", errors="replace")


def _when(day: str | None, time: str | None) -> datetime | None:
    if not (day and time):
        return None
    try:
        return datetime.fromisoformat(f"{day}T{time}")
    except ValueError:
        return None


def _fresh(current: _Association, received: re.Match[str]) -> bool:
    """Whether a `Association Received` line still belongs to `current`: storescp -d
    writes `Association Received: HOST` and then `Association Received` for one."""
    return (
        received["host"] is None
        and received["peer"] is None
        and not current.calling
        and not current.acknowledged
        and not current.refused
    )


def _peer(a: _Association, received: re.Match[str]) -> None:
    if received["host"]:
        a.host = received["host"]
    elif received["peer"]:
        peer = _PEER.match(received["peer"])
        if peer:
            a.host = peer["host"].strip()
            a.calling = peer["calling"].strip()
            a.called = peer["called"].strip()


def _event(a: _Association, text: str) -> bool:
    """Apply one line to `a`; True when the association ends with it."""
    if text.startswith(("Association Release", "Association Aborted", "Aborting Association")):
        a.aborted = not text.startswith("Association Release")
        return True
    if text.startswith(("Refusing Association", "Association Rejected")):
        a.refused = text.partition("(")[2].rstrip(")") or text
        return True
    if text.startswith("Association Acknowledged"):
        a.acknowledged = True
    elif text.startswith("(but no valid presentation contexts)"):
        a.no_context = True
    elif "BEGIN A-ASSOCIATE-AC" in text:
        a.in_response = True
    elif "END A-ASSOCIATE-AC" in text:
        a.in_response = False
    elif text.startswith(("Received Store Request", "Received Store SCP")):
        a.objects += 1
    else:
        _field(a, text)
    return False


def _field(a: _Association, text: str) -> None:
    """A `Key: value` line of an association or DIMSE dump."""
    context = _CONTEXT.match(text)
    if context:
        if a.in_response and context["result"] in _CONTEXT_REFUSED:
            a.refused_contexts.append(context["result"])
        return
    found = _FIELD.match(text)
    if not found:
        return
    key, value = found["key"].strip(), found["value"].strip()
    if key == "Calling Application Name" and not a.calling:
        a.calling = value
    elif key == "Called Application Name" and not a.called:
        a.called = value
    elif key == "Abstract Syntax" and a.in_response and a.refused_contexts:
        last = a.refused_contexts[-1]
        if ":" not in last:
            a.refused_contexts[-1] = f"{last}: {value.lstrip('=')}"
    elif key == "Message Type":
        a.message_type = value
    elif key == "Affected SOP Class UID" and a.message_type == "C-STORE RQ":
        info = dicom.lookup(value.lstrip("="))
        a.classes[info.uid if info else value] += 1


def _outcome(a: _Association) -> tuple[bool, str]:
    """Whether the association could carry anything, and why not in PS3.8's words."""
    if a.refused:
        return False, _REFUSALS.get(a.refused, a.refused)
    contexts = sorted(set(a.refused_contexts))
    refused = f" ({'; '.join(contexts)})" if contexts else ""
    if a.no_context:
        return False, f"no acceptable presentation context{refused}"
    if a.aborted and not a.objects:
        return False, f"aborted before any object was sent{refused}"
    if a.aborted:
        return True, "aborted"
    if not a.acknowledged:
        return False, "no answer logged"
    return True, ""
