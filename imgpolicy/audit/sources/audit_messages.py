"""DICOM audit messages (PS3.15 A.5, the ATNA record format) as a source of exchanges.

A file holds one message, several one after the other, or a syslog capture (RFC 5424
lines whose MSG is the XML, as an Audit Record Repository receives them): every
`<AuditMessage>...</AuditMessage>` in it is read, wherever it starts. What becomes an
exchange (PS3.15 A.5.3):

- 110104 "DICOM Instances Transferred": the Source participant (RoleIDCode 110153) sent
  to the Destination (110152); one exchange per study (ParticipantObjectIDTypeCode 110180)
  with the instances its SOPClass descriptions count; EventOutcomeIndicator other than 0
  is a failed transfer, with EventOutcomeDescription as the cause.
- 110112 "Query": the requestor (UserIsRequestor) asked the other AE; no objects.
- 110114 "User Authentication" and 110113 "Security Alert" that failed between two AEs
  (one the requestor): a refused association, with the description or event type as cause.

AE titles come from AlternativeUserID `AETITLES=A;B` (the first is used); a participant
without it is a person or process, not an AE, and the message is not an exchange. The
patient participant and its identifiers are never read.

The XML is parsed with the standard library's parser after refusing any DOCTYPE or
entity declaration, so no entity is ever expanded or fetched.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime

from ...findings import Location
from ...fsutil import Refused, read_bounded
from ..observed import Exchange, SourceFailed, Window
from . import AssociationRecord

MESSAGES_LIMIT = 512 * 1024 * 1024
"""The largest file read at once; split larger captures by day."""

TRANSFERRED, QUERY, SECURITY_ALERT, AUTHENTICATION = "110104", "110112", "110113", "110114"
SOURCE_ROLE, DESTINATION_ROLE = "110153", "110152"
STUDY_UID_TYPE = "110180"
_OUTCOMES = {
    "0": "success",
    "4": "minor failure",
    "8": "serious failure",
    "12": "major failure",
}
_MESSAGE = re.compile(rb"<(?:[\w.-]+:)?AuditMessage\b.*?</(?:[\w.-]+:)?AuditMessage\s*>", re.DOTALL)
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _local(tag: str) -> str:
    """An element's name without its namespace (some repositories add one)."""
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _code(element: ET.Element | None) -> str:
    """A coded value's code: `csd-code` (PS3.15 today) or `code` (RFC 3881, older)."""
    if element is None:
        return ""
    return (element.get("csd-code") or element.get("code") or "").strip()


def _meaning(element: ET.Element | None) -> str:
    if element is None:
        return ""
    return (element.get("originalText") or element.get("displayName") or _code(element)).strip()


def ae_titles(participant: ET.Element) -> list[str]:
    """The AE titles an ActiveParticipant names (`AETITLES=A;B` in AlternativeUserID)."""
    alternative = participant.get("AlternativeUserID") or ""
    _, found, titles = alternative.partition("AETITLES=")
    if not found:
        return []
    return [t.strip() for t in titles.split(";") if t.strip()]


class AuditMessageFile(AssociationRecord):
    """A file of DICOM audit messages (see the module's docstring): exchanges only."""

    kind = "the audit messages"

    def exchanges(self, window: Window) -> Iterator[Exchange]:
        """The exchanges the messages record, in the window (by EventDateTime)."""
        data = self._data()
        if _DECLARATION.search(data):
            raise SourceFailed(
                f"{self.name}: holds a DOCTYPE or ENTITY declaration, which audit messages "
                "never need; imgpolicy does not expand entities: remove it"
            )
        read = skipped = 0
        broken: list[str] = []
        for match in _MESSAGE.finditer(data):
            line = data.count(b"\n", 0, match.start()) + 1
            try:
                message = ET.fromstring(match.group())
            except ET.ParseError as err:
                broken.append(f"line {line}: {err}")
                continue
            read += 1
            found = list(self._exchanges(message, Location(self.name, line, 1)))
            if not found:
                skipped += 1
            for exchange in found:
                day = exchange.when.date() if exchange.when else None
                if window.holds(day):
                    yield exchange
        self._note(read, skipped, broken)

    def _note(self, read: int, skipped: int, broken: list[str]) -> None:
        if not read and not broken:
            self.notes.append(f"{self.name}: holds no <AuditMessage>")
        if skipped:
            self.notes.append(
                f"{self.name}: {skipped} of {read} audit messages record no exchange between "
                "two AEs (other events, or participants without AETITLES=); not judged"
            )
        if broken:
            self.notes.append(
                f"{self.name}: {len(broken)} audit messages are not well-formed XML and were "
                f"skipped (first at {broken[0]})"
            )

    def _data(self) -> bytes:
        try:
            return read_bounded(str(self.path), MESSAGES_LIMIT)
        except Refused as err:
            raise SourceFailed(f"{self.name}: {err}; split the capture (e.g. by day)") from None
        except OSError as err:
            raise SourceFailed(f"{self.name}: cannot read it ({err.strerror or err})") from None

    def _exchanges(self, message: ET.Element, location: Location) -> Iterator[Exchange]:
        event = next(iter(_children(message, "EventIdentification")), None)
        if event is None:
            return
        event_id = _code(next(iter(_children(event, "EventID")), None))
        outcome = (event.get("EventOutcomeIndicator") or "0").strip()
        when = _datetime(event.get("EventDateTime"))
        participants = _children(message, "ActiveParticipant")
        common = {"when": when, "where": self.name, "location": location}
        if event_id == TRANSFERRED:
            yield from self._transferred(message, event, participants, outcome, common)
        elif event_id == QUERY or (event_id in (AUTHENTICATION, SECURITY_ALERT) and outcome != "0"):
            ends = _requestor_and_other(participants)  # a query, or a refused association
            if ends:
                caller, called = ends
                yield Exchange(
                    ae_titles(caller)[0],
                    ae_titles(called)[0],
                    host=caller.get("NetworkAccessPointID") or "",
                    accepted=outcome == "0",
                    cause=_cause(event, outcome),
                    **common,  # type: ignore[arg-type]
                )

    def _transferred(self, message, event, participants, outcome, common) -> Iterator[Exchange]:
        """110104: one exchange per study, Source to Destination."""
        source = _in_role(participants, SOURCE_ROLE)
        destination = _in_role(participants, DESTINATION_ROLE)
        if source is None or destination is None:
            return
        studies = [
            p
            for p in _children(message, "ParticipantObjectIdentification")
            if _code(next(iter(_children(p, "ParticipantObjectIDTypeCode")), None))
            == STUDY_UID_TYPE
        ]
        base = {
            "calling_ae": ae_titles(source)[0],
            "called_ae": ae_titles(destination)[0],
            "host": source.get("NetworkAccessPointID") or "",
            "accepted": outcome == "0",
            "cause": _cause(event, outcome),
            **common,
        }
        if not studies:
            yield Exchange(**base)
            return
        for study in studies:
            classes = [
                c
                for d in _children(study, "ParticipantObjectDescription")
                for c in _children(d, "SOPClass")
            ]
            yield Exchange(
                study_uid=(study.get("ParticipantObjectID") or "").strip(),
                sop_class=next((c.get("UID", "") for c in classes if c.get("UID")), ""),
                objects=sum(_count(c.get("NumberOfInstances")) for c in classes),
                **base,
            )


def _in_role(participants: list[ET.Element], role: str) -> ET.Element | None:
    """The participant with RoleIDCode `role` and an AE title."""
    for participant in participants:
        roles = {_code(r) for r in _children(participant, "RoleIDCode")}
        if role in roles and ae_titles(participant):
            return participant
    return None


def _requestor_and_other(participants: list[ET.Element]) -> tuple[ET.Element, ET.Element] | None:
    """The AE that asked (UserIsRequestor true) and the AE it asked, when both are AEs."""
    aes = [p for p in participants if ae_titles(p)]
    callers = [p for p in aes if (p.get("UserIsRequestor") or "").strip().lower() in ("true", "1")]
    others = [p for p in aes if p not in callers]
    if len(callers) == 1 and others:
        return callers[0], others[0]
    return None


def _cause(event: ET.Element, outcome: str) -> str:
    """Why it failed, as the message says it (empty on success)."""
    if outcome == "0":
        return ""
    description = next(iter(_children(event, "EventOutcomeDescription")), None)
    if description is not None and (description.text or "").strip():
        return " ".join((description.text or "").split())
    kind = next(iter(_children(event, "EventTypeCode")), None)
    said = _meaning(kind)
    failure = _OUTCOMES.get(outcome, f"outcome {outcome}")
    return f"{said} ({failure})" if said else failure


def _count(text: str | None) -> int:
    try:
        return max(0, int((text or "0").strip()))
    except ValueError:
        return 0


def _datetime(text: str | None) -> datetime | None:
    """EventDateTime (xsd:dateTime, `Z` allowed) as the local time it names."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
