"""The RIS orders a header audit matches studies against: a CSV export or HL7 v2 messages.

`read_orders(path)` reads either, judged by the content (a file whose first segment is
`MSH`, with or without MLLP framing, is HL7; anything else is CSV), and returns `Orders`:
each order by its accession number, with the patient's MRN (and its issuer) the RIS holds.

Liberal in names, strict in content: CSV columns are found by the names RIS exports use
(`AccessionNumber`, `Accession No`, `acc`; `MRN`, `PatientID`; ...), but a row without an
accession or an MRN, a date that is not a date, or an HL7 order without them stops the
audit with `SourceFailed` naming file:line, because an order list that silently lost
rows would report studies "without an order" that have one. Messages never quote the
values (they are patient identity), only where they are and what is wrong.

Which HL7 field holds the accession number: IHE Radiology Scheduled Workflow (RAD TF-2,
RAD-2/RAD-4 ORM^O01) carries it in OBR-18 (Placer Field 1), and SWF.b's OMI^O23 in IPC-1;
many RIS without IHE profiles use the Filler Order Number (ORC-3 or OBR-3) as the
accession. So: IPC-1, else OBR-18, else ORC-3, else OBR-3. ORC-2 (Placer Order Number)
is the ordering system's number, which DICOM keeps apart in Placer Order Number
(0040,2016), so it is never taken for the accession.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..findings import Location
from ..fsutil import MiB, Refused, read_bounded
from .observed import SourceFailed

MAX_ORDERS_BYTES = 256 * MiB
"""Larger than a year's order export of a large hospital; a larger file is not one."""

_COLUMNS = {
    "accession": (
        "accession",
        "accessionnumber",
        "accessionno",
        "accessionnum",
        "accno",
        "acc",
        "accnumber",
    ),
    "mrn": (
        "mrn",
        "patientid",
        "pid",
        "medicalrecordnumber",
        "patientmrn",
        "mrnumber",
        "patientnumber",
    ),
    "issuer": ("issuer", "issuerofpatientid", "assigningauthority", "mrnissuer", "pidissuer"),
    "patient_name": ("patientname", "name", "patient", "patientsname"),
    "procedure": (
        "procedure",
        "description",
        "proceduredescription",
        "studydescription",
        "requestedprocedure",
        "requestedproceduredescription",
        "exam",
        "examdescription",
        "procedurename",
    ),
    "date": (
        "date",
        "studydate",
        "scheduleddate",
        "procedurestartdate",
        "scheduledprocedurestepstartdate",
        "examdate",
        "orderdate",
    ),
    "modality": ("modality", "modalitytype"),
}
"""Each order field -> the column names (lower case, letters and digits only) that hold it."""

_REQUIRED = ("accession", "mrn")
_CANCELLED = frozenset({"CA", "DC", "OC", "OD"})
"""ORC-1 order controls that withdraw an order (cancel, discontinue, and their answers)."""
_ORDER_MESSAGES = frozenset({"ORM", "OMI", "OMG"})
_MODALITY = re.compile(r"[A-Z0-9]{2,16}")


@dataclass(frozen=True)
class Order:
    """One requested procedure as the RIS knows it."""

    accession: str
    mrn: str
    issuer: str = ""
    patient_name: str = ""
    procedure: str = ""
    day: date | None = None
    modality: str = ""
    location: Location | None = None
    """Where in the order file it was read."""


@dataclass
class Orders:
    """The orders of one file, by accession number."""

    path: str
    by_accession: dict[str, Order] = field(default_factory=dict)
    skipped: int = 0
    """HL7 messages that are not orders (ACKs, ADT) and were passed over."""
    cancelled: int = 0
    """Orders withdrawn by a later cancel/discontinue message in the file."""

    def __len__(self) -> int:
        return len(self.by_accession)

    def find(self, accession: str) -> Order | None:
        """The order with this accession number (spaces around it do not count)."""
        return self.by_accession.get(accession.strip())

    def describe(self) -> str:
        """What was read, for the audit's notes (counts only)."""
        extra = []
        if self.cancelled:
            extra.append(f"{self.cancelled:,} cancelled")
        if self.skipped:
            extra.append(f"{self.skipped:,} other messages skipped")
        more = f" ({', '.join(extra)})" if extra else ""
        return f"Matched against {len(self):,} orders from {self.path}{more}."


def read_orders(path: str | Path) -> Orders:
    """The orders in the CSV export or HL7 v2 message file at `path`; SourceFailed naming
    file:line and what to do when it cannot be used."""
    name = str(path)
    try:
        data = read_bounded(name, MAX_ORDERS_BYTES)
    except Refused as err:
        raise SourceFailed(f"{name}: {err}") from None
    except OSError as err:
        raise SourceFailed(f"{name}: cannot read it ({err.strerror or err})") from None
    text = _decode(name, data)
    if _is_hl7(text):
        return _read_hl7(name, text)
    return _read_csv(name, text)


def _decode(name: str, data: bytes) -> str:
    """UTF-8 (with or without a byte order mark), else Windows-1252, which many RIS
    exports are written in."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SourceFailed(f"{name}: neither UTF-8 nor Windows-1252 text; export it as UTF-8")


def _is_hl7(text: str) -> bool:
    """HL7 v2: a line (after an MLLP start block, if any) starts with `MSH` and a field
    separator; a CSV export has no such line."""
    start = text.lstrip("\x0b\x1c\r\n \t")
    if start.startswith("MSH") and len(start) > 3 and not start[3].isalnum():
        return True
    return re.search(r"[\r\n\x0b]MSH\|", text[: 1 * MiB]) is not None


# --- CSV ----------------------------------------------------------------------------------


def _normal(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _columns(name: str, header: list[str]) -> dict[str, int]:
    """Order field -> column index, from the header row; SourceFailed when a required
    column is missing or a field has two columns."""
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        key = _normal(title)
        for field_name, names in _COLUMNS.items():
            if key in names:
                if field_name in found:
                    raise SourceFailed(
                        f"{name}:1: columns {header[found[field_name]]!r} and {title!r} both "
                        f"hold the {field_name.replace('_', ' ')}; keep one"
                    )
                found[field_name] = index
    for required in _REQUIRED:
        if required not in found:
            raise SourceFailed(
                f"{name}:1: no {required} column in the header row; name it one of "
                f"{', '.join(_COLUMNS[required][:4])}"
            )
    return found


def _read_csv(name: str, text: str) -> Orders:
    """A CSV export with a header row (comma, semicolon, tab or bar separated)."""
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first.count)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    orders = Orders(name)
    try:
        header = next(rows, None)
        if not header:
            raise SourceFailed(f"{name}:1: empty; give a CSV export with a header row")
        columns = _columns(name, header)
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            _add(orders, _csv_order(name, line, row, columns, len(header)))
    except csv.Error as err:
        raise SourceFailed(f"{name}:{rows.line_num}: not valid CSV ({err})") from None
    return orders


def _csv_order(name: str, line: int, row: list[str], columns: dict[str, int], width: int) -> Order:
    """One row as an order; SourceFailed naming the line and column when it is unusable."""
    if len(row) != width:
        raise SourceFailed(
            f"{name}:{line}: {len(row)} fields where the header has {width}; check the "
            "separators and quotes on that line"
        )
    values = {f: row[i].strip() for f, i in columns.items()}
    for required in _REQUIRED:
        if not values[required]:
            raise SourceFailed(f"{name}:{line}: the {required} column is empty")
    modality = values.get("modality", "").upper()
    if modality and not _MODALITY.fullmatch(modality):
        raise SourceFailed(
            f"{name}:{line}: the modality column does not hold a DICOM Modality code (CT, MR, ...)"
        )
    return Order(
        accession=values["accession"],
        mrn=values["mrn"],
        issuer=values.get("issuer", ""),
        patient_name=values.get("patient_name", ""),
        procedure=values.get("procedure", ""),
        day=_date(name, line, values.get("date", "")),
        modality=modality,
        location=Location(name, line, 1),
    )


def _date(name: str, line: int, text: str) -> date | None:
    """YYYY-MM-DD or YYYYMMDD (a time after it is ignored); None when empty."""
    text = text.strip()
    if not text:
        return None
    match = re.match(r"(\d{4})-?(\d{2})-?(\d{2})", text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise SourceFailed(f"{name}:{line}: the date is not a date like 2026-11-02 or 20261102")


def _add(orders: Orders, order: Order) -> None:
    """Keep `order`; one accession number is one order, so a second with another patient
    is an error in the list, not something to guess about."""
    known = orders.by_accession.get(order.accession)
    if known and known.mrn != order.mrn:
        where = known.location.line if known.location else "?"
        at = order.location.line if order.location else "?"
        raise SourceFailed(
            f"{orders.path}:{at}: this accession number is also at line {where} with another "
            "patient ID; an accession number names one order, so fix the export"
        )
    if not known:
        orders.by_accession[order.accession] = order


# --- HL7 v2 ---------------------------------------------------------------------------------


@dataclass
class _Segment:
    name: str
    fields: list[str]
    """Fields by their HL7 number: fields[1] is the first after the segment name (MSH-1
    is the field separator itself, so MSH's are shifted to keep the numbering)."""
    line: int

    def get(self, number: int) -> str:
        return self.fields[number] if number < len(self.fields) else ""


@dataclass(frozen=True)
class _Encoding:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


def _segments(name: str, text: str) -> Iterator[tuple[_Segment, _Encoding]]:
    """Each segment with its line and its message's encoding characters; CR, LF or CRLF
    separate segments, MLLP start and end blocks are dropped."""
    encoding: _Encoding | None = None
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        line = raw.strip("\x0b\x1c").rstrip()
        if not line:
            continue
        if line.startswith("MSH"):
            if len(line) < 8:
                raise SourceFailed(f"{name}:{number}: MSH segment without encoding characters")
            chars = line[3:8]
            encoding = _Encoding(chars[0], chars[1], chars[2], chars[3], chars[4])
            fields = line.split(encoding.field)
            yield _Segment("MSH", ["MSH", encoding.field, *fields[1:]], number), encoding
            continue
        if encoding is None:
            raise SourceFailed(
                f"{name}:{number}: a segment before the first MSH; each message starts with MSH"
            )
        fields = line.split(encoding.field)
        if not re.fullmatch(r"[A-Z][A-Z0-9]{2}", fields[0]):
            raise SourceFailed(
                f"{name}:{number}: {fields[0][:8]!r} is not an HL7 segment name (three letters "
                "or digits such as PID, OBR)"
            )
        yield _Segment(fields[0], fields, number), encoding


def _messages(name: str, text: str) -> Iterator[tuple[list[_Segment], _Encoding]]:
    """The file's messages: each from an MSH to the next."""
    current: list[_Segment] = []
    current_encoding = _Encoding()
    for segment, encoding in _segments(name, text):
        if segment.name == "MSH" and current:
            yield current, current_encoding
            current = []
        current.append(segment)
        current_encoding = encoding
    if current:
        yield current, current_encoding


def _unescape(value: str, enc: _Encoding) -> str:
    """HL7 escape sequences (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\) back to their characters."""
    if enc.escape not in value:
        return value
    table = {
        "F": enc.field,
        "S": enc.component,
        "T": enc.subcomponent,
        "R": enc.repetition,
        "E": enc.escape,
    }
    e = re.escape(enc.escape)
    return re.sub(f"{e}([FSTRE]){e}", lambda m: table[m[1]], value)


def _components(value: str, enc: _Encoding) -> list[str]:
    return value.split(enc.component)


def _component(value: str, number: int, enc: _Encoding) -> str:
    """Component `number` (1-based) of a field's first repetition, unescaped, first
    subcomponent only."""
    parts = _components(value.split(enc.repetition)[0], enc)
    if number > len(parts):
        return ""
    return _unescape(parts[number - 1].split(enc.subcomponent)[0], enc).strip()


def _patient_id(pid: _Segment, enc: _Encoding) -> tuple[str, str]:
    """PID-3's MRN and its assigning authority (CX: ID^^^Authority^TypeCode): the
    repetition typed MR when there is one, else the first."""
    repetitions = [r for r in pid.get(3).split(enc.repetition) if r.strip()]
    if not repetitions:
        return "", ""
    chosen = next((r for r in repetitions if _component(r, 5, enc).upper() == "MR"), repetitions[0])
    authority = _components(chosen, enc)
    issuer = ""
    if len(authority) >= 4:
        hd = authority[3].split(enc.subcomponent)
        issuer = _unescape(hd[0] or (hd[1] if len(hd) > 1 else ""), enc).strip()
    return _component(chosen, 1, enc), issuer


def _person_name(xpn: str, enc: _Encoding) -> str:
    """PID-5 (XPN: family^given^middle^suffix^prefix) as a DICOM PN
    (family^given^middle^prefix^suffix), empty components dropped from the end."""
    family, given, middle, suffix, prefix = (_component(xpn, n, enc) for n in range(1, 6))
    return "^".join([family, given, middle, prefix, suffix]).rstrip("^")


def _first(*values: str) -> str:
    return next((v for v in values if v), "")


def _read_hl7(name: str, text: str) -> Orders:
    """ORM^O01 (and OMI^O23, OMG^O19) messages; other message types are counted and
    passed over; a cancel (ORC-1 CA/DC) withdraws an order read before it."""
    orders = Orders(name)
    for segments, enc in _messages(name, text):
        msh = segments[0]
        kind = _component(msh.get(9), 1, enc).upper()
        if kind not in _ORDER_MESSAGES:
            orders.skipped += 1
            continue
        for order, control in _hl7_orders(name, segments, enc):
            if control in _CANCELLED:
                if orders.by_accession.pop(order.accession, None) is not None:
                    orders.cancelled += 1
                continue
            _add(orders, order)
    return orders


def _hl7_orders(name: str, segments: list[_Segment], enc: _Encoding) -> Iterable[tuple[Order, str]]:
    """The orders of one message (one per OBR), each with its ORC-1 order control."""
    pid = next((s for s in segments if s.name == "PID"), None)
    if pid is None:
        raise SourceFailed(f"{name}:{segments[0].line}: an order message without a PID segment")
    mrn, issuer = _patient_id(pid, enc)
    if not mrn:
        raise SourceFailed(f"{name}:{pid.line}: PID-3 (patient identifier list) is empty")
    patient_name = _person_name(pid.get(5), enc)
    found = []
    orc: _Segment | None = None
    for index, segment in enumerate(segments):
        if segment.name == "ORC":
            orc = segment
        elif segment.name == "OBR":
            ipc = _ipc(segments[index + 1 :], enc)
            found.append(_hl7_order(name, segment, orc, ipc, mrn, issuer, patient_name, enc))
    if not found:
        raise SourceFailed(f"{name}:{segments[0].line}: an order message without an OBR segment")
    return found


def _ipc(after: list[_Segment], enc: _Encoding) -> str:
    """IPC-1 (the accession number in OMI^O23) of the IPC segments that follow an OBR,
    up to the next ORC or OBR."""
    for segment in after:
        if segment.name in ("ORC", "OBR"):
            return ""
        if segment.name == "IPC":
            return _component(segment.get(1), 1, enc)
    return ""


def _hl7_order(
    name: str,
    obr: _Segment,
    orc: _Segment | None,
    ipc: str,
    mrn: str,
    issuer: str,
    patient_name: str,
    enc: _Encoding,
) -> tuple[Order, str]:
    """One OBR (with the ORC before it) as an order; see the module's docstring for the
    field that holds the accession number."""
    orc_field = orc.get if orc else (lambda number: "")
    accession = _first(
        ipc,
        _component(obr.get(18), 1, enc),
        _component(orc_field(3), 1, enc),
        _component(obr.get(3), 1, enc),
    )
    if not accession:
        raise SourceFailed(
            f"{name}:{obr.line}: no accession number (IPC-1, OBR-18, ORC-3 or OBR-3 are all empty)"
        )
    service = obr.get(4)
    procedure = _first(_component(service, 2, enc), _component(service, 1, enc))
    when = _first(
        _component(orc_field(7), 4, enc),
        _component(obr.get(27), 4, enc),
        _component(obr.get(36), 1, enc),
        _component(obr.get(7), 1, enc),
    )
    modality = _component(obr.get(24), 1, enc).upper()
    order = Order(
        accession=accession,
        mrn=mrn,
        issuer=issuer,
        patient_name=patient_name,
        procedure=procedure,
        day=_date(name, obr.line, when[:8]) if when else None,
        modality=modality if _MODALITY.fullmatch(modality) else "",
        location=Location(name, obr.line, 1),
    )
    return order, _component(orc_field(1), 1, enc).upper()
