"""What an audit measured, kept as a file that `imgpolicy docs --evidence FILE` reads.

An audit (`imgpolicy audit traffic|headers|dose ... --evidence FILE`) writes its figures
(the checklist items it establishes or not, with the numbers behind them) and the data the
documents draw (the dose distributions per exam) as one small JSON document:

    {"imgpolicy_evidence": 1, "audit": "traffic", "measured": "2026-11-29",
     "window": ["2026-10-30", "2026-11-29"], "observed": 2013,
     "figures": [{"item": "routing-error-rate", "met": true, "value": 0.0005,
                  "text": "0.05 % of 2,013 studies ..."}],
     "data": {}}

The same result and date give the same bytes (fixed key order, keys of `data` sorted), so
documents built from it stay reproducible. Nothing but plain JSON values goes in: a pydicom
value or a date in `data` is refused rather than stringified, so no patient identity can
ride along unnoticed. Reading is strict (the version, every item, every number checked)
and every error names the file, because an auditor reads a "met" built from it as evidence.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .. import fsutil
from .result import EVIDENCE_ITEMS, AuditResult

VERSION = 1
"""The evidence format's version (the value of "imgpolicy_evidence")."""
KINDS = ("traffic", "headers", "dose")
MAX_EVIDENCE_BYTES = 16 * fsutil.MiB
"""Larger than any evidence file an audit writes (the dose values of 100,000 studies fit
in a few MB); a larger file is not one of ours."""

_TOP = ("imgpolicy_evidence", "audit", "measured", "window", "observed", "figures", "data")
_FIGURE = ("item", "met", "value", "text")
_DOSE = ("exam", "metric", "unit", "drl", "values_sorted", "median", "p75", "n")


class EvidenceError(Exception):
    """An evidence file that cannot be used: the message names the file and says what to
    do; the CLI exits 2 with it."""


# --- writing --------------------------------------------------------------------------


def write_evidence(result: AuditResult, today: date) -> str:
    """`result`'s figures and data as the evidence document's text (indent 2, trailing
    newline), measured `today`. Raises ValueError for anything in `result.data` that is not
    plain JSON (a str, a finite int/float, a bool, None, a list or a dict with str keys)."""
    document = {
        "imgpolicy_evidence": VERSION,
        "audit": result.kind,
        "measured": today.isoformat(),
        "window": list(result.window) if result.window else None,
        "observed": result.observed,
        "figures": [
            {
                "item": f.item,
                "met": _plain(f.met, f"figures[{i}].met"),
                "value": _plain(f.value, f"figures[{i}].value"),
                "text": _plain(f.text, f"figures[{i}].text"),
            }
            for i, f in enumerate(result.figures)
        ],
        "data": _plain(result.data, "data"),
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _plain(value: Any, where: str) -> Any:
    """`value` as plain JSON with every dict's keys sorted (so the bytes do not depend on
    the order an audit filled them in); ValueError naming `where` for anything else. Exact
    types only: a str or float subclass (a pydicom PersonName, a DSfloat) is refused, so
    whatever goes in was chosen to go in."""
    kind = type(value)
    if value is None or kind in (str, bool, int):
        return value
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"evidence {where}: {value!r} is not a JSON number")
        return value
    if kind in (list, tuple):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if kind is dict:
        for key in value:
            if type(key) is not str:
                raise ValueError(f"evidence {where}: key {key!r} is not a string")
        return {k: _plain(value[k], f"{where}.{k}") for k in sorted(value)}
    raise ValueError(
        f"evidence {where}: a {kind.__name__} is not plain JSON data "
        "(convert it to str, int, float, list or dict first)"
    )


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """One figure as read from an evidence file, with when and where it was measured."""

    item: str
    met: bool | None
    value: float | None
    text: str
    measured: date
    audit: str
    path: str


@dataclass(frozen=True)
class DoseSeries:
    """The facility's doses for one exam and metric, as the dose audit measured them."""

    exam: str
    metric: str
    unit: str
    drl: float | None
    values_sorted: tuple[float, ...]
    median: float | None
    p75: float | None
    n: int
    measured: date
    path: str


@dataclass
class Evidence:
    """What several evidence files establish together: per checklist item the latest
    measurement, per exam and metric the latest dose distribution."""

    figures: dict[str, Measured] = field(default_factory=dict)
    dose: list[DoseSeries] = field(default_factory=list)
    paths: tuple[str, ...] = ()

    def figure(self, item: str) -> Measured | None:
        return self.figures.get(item)


def read_evidence(paths: Sequence[str]) -> Evidence:
    """The evidence in `paths` (one file per audit run). The later measurement of the same
    item (or the same exam and metric) wins by its `measured` date; on the same date the
    file given later wins. Raises EvidenceError naming the file for anything that is not
    an evidence file this version of imgpolicy writes."""
    figures: dict[str, Measured] = {}
    dose: dict[tuple[str, str], DoseSeries] = {}
    for path in paths:
        document = _load(path)
        measured = date.fromisoformat(document["measured"])
        for entry in document["figures"]:
            figure = Measured(
                entry["item"],
                entry["met"],
                entry["value"],
                entry["text"],
                measured,
                document["audit"],
                path,
            )
            _keep_latest(figures, figure.item, figure)
        for series in _dose_series(path, document["data"], measured):
            _keep_latest(dose, (series.exam, series.metric), series)
    return Evidence(
        figures={k: figures[k] for k in sorted(figures)},
        dose=[dose[k] for k in sorted(dose)],
        paths=tuple(paths),
    )


def _keep_latest(kept: dict, key: Any, new: Measured | DoseSeries) -> None:
    """Keep `new` unless what is kept under `key` was measured later (same date: the file
    read later wins, so the order on the command line decides a tie)."""
    old = kept.get(key)
    if old is None or old.measured <= new.measured:
        kept[key] = new


def _load(path: str) -> dict[str, Any]:
    """The evidence document in `path`, checked against the format: version, audit kind,
    dates, figures. Bounded read (a FIFO or a huge file is refused, never hangs)."""
    try:
        raw = fsutil.read_bounded(path, MAX_EVIDENCE_BYTES)
    except fsutil.ReadRefused as err:
        raise EvidenceError(f"{path}: {err}; give the file an audit wrote with --evidence") from err
    except OSError as err:
        raise EvidenceError(f"cannot read evidence file {path}: {err.strerror or err}") from err
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError as err:
        raise EvidenceError(f"{path}: not UTF-8 text, not an imgpolicy evidence file") from err
    except json.JSONDecodeError as err:
        raise EvidenceError(
            f"{path}:{err.lineno}:{err.colno}: not JSON ({err.msg}); an evidence file is what "
            "`imgpolicy audit ... --evidence FILE` writes"
        ) from err
    except ValueError as err:
        raise EvidenceError(f"{path}: {err}") from err
    _check(path, document)
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number an evidence file holds")


def _check(path: str, document: Any) -> None:
    """Refuse a document that is not evidence of this version, naming what is wrong."""

    def bad(what: str) -> EvidenceError:
        return EvidenceError(f"{path}: {what}")

    if not isinstance(document, dict) or "imgpolicy_evidence" not in document:
        raise bad(
            'not an imgpolicy evidence file (no "imgpolicy_evidence" key); write one with '
            "`imgpolicy audit ... --evidence FILE`"
        )
    version = document["imgpolicy_evidence"]
    if type(version) is not int or version != VERSION:
        raise bad(
            f"evidence format version {version!r} is not one this imgpolicy reads "
            f"(it reads version {VERSION}); re-run the audit with this version"
        )
    unknown = sorted(set(document) - set(_TOP))
    missing = [k for k in _TOP if k not in document]
    if unknown or missing:
        raise bad(
            "; ".join(
                ([f"unknown key(s) {', '.join(unknown)}"] if unknown else [])
                + ([f"missing key(s) {', '.join(missing)}"] if missing else [])
            )
        )
    if document["audit"] not in KINDS:
        raise bad(f"audit {document['audit']!r} is not one of {', '.join(KINDS)}")
    _iso_date(path, document["measured"], "measured")
    window = document["window"]
    if window is not None:
        if not (isinstance(window, list) and len(window) == 2):
            raise bad("window must be null or [first day, last day]")
        for day in window:
            _iso_date(path, day, "window")
    if type(document["observed"]) is not int or document["observed"] < 0:
        raise bad(f"observed {document['observed']!r} is not a count")
    if not isinstance(document["figures"], list):
        raise bad("figures must be a list")
    for i, entry in enumerate(document["figures"]):
        _check_figure(path, i, entry)
    if not isinstance(document["data"], dict):
        raise bad("data must be an object")


def _check_figure(path: str, i: int, entry: Any) -> None:
    where = f"{path}: figures[{i}]"
    if not isinstance(entry, dict) or sorted(entry) != sorted(_FIGURE):
        raise EvidenceError(f"{where}: a figure has exactly the keys {', '.join(_FIGURE)}")
    if entry["item"] not in EVIDENCE_ITEMS:
        raise EvidenceError(
            f"{where}: unknown checklist item {entry['item']!r} (known: "
            f"{', '.join(sorted(EVIDENCE_ITEMS))})"
        )
    if entry["met"] not in (True, False, None):
        raise EvidenceError(f"{where}: met must be true, false or null, not {entry['met']!r}")
    if entry["value"] is not None and not _is_number(entry["value"]):
        raise EvidenceError(f"{where}: value {entry['value']!r} is not a number")
    if not isinstance(entry["text"], str) or not entry["text"].strip():
        raise EvidenceError(f"{where}: text must say what was measured")


def _dose_series(path: str, data: dict[str, Any], measured: date) -> Iterable[DoseSeries]:
    """The dose distributions in `data["dose"]` (absent: none), checked."""
    series = data.get("dose")
    if series is None:
        return []
    if not isinstance(series, list):
        raise EvidenceError(f"{path}: data.dose must be a list")
    out = []
    for i, entry in enumerate(series):
        where = f"{path}: data.dose[{i}]"
        if not isinstance(entry, dict) or sorted(entry) != sorted(_DOSE):
            raise EvidenceError(f"{where}: a dose series has exactly the keys {', '.join(_DOSE)}")
        for key in ("exam", "metric", "unit"):
            if not isinstance(entry[key], str):
                raise EvidenceError(f"{where}: {key} must be text")
        for key in ("drl", "median", "p75"):
            if entry[key] is not None and not _is_number(entry[key]):
                raise EvidenceError(f"{where}: {key} {entry[key]!r} is not a number")
        values = entry["values_sorted"]
        if not isinstance(values, list) or not all(_is_number(v) for v in values):
            raise EvidenceError(f"{where}: values_sorted must be a list of numbers")
        if values != sorted(values):
            raise EvidenceError(f"{where}: values_sorted is not sorted")
        if type(entry["n"]) is not int or entry["n"] < 0:
            raise EvidenceError(f"{where}: n {entry['n']!r} is not a count")
        out.append(
            DoseSeries(
                entry["exam"],
                entry["metric"],
                entry["unit"],
                _float(entry["drl"]),
                tuple(float(v) for v in values),
                _float(entry["median"]),
                _float(entry["p75"]),
                entry["n"],
                measured,
                path,
            )
        )
    return out


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _iso_date(path: str, value: Any, key: str) -> date:
    try:
        if not isinstance(value, str):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise EvidenceError(f"{path}: {key} {value!r} is not a date like 2026-11-29") from None
