"""Field types shared by the sections: DICOM identifiers, durations, sizes, dates.

Each raises a `PydanticCustomError` whose type names a schema code (see `codes.py`), with
a message that says what to write instead. Each also declares the JSON Schema of what
the YAML may contain, so editors and `imgpolicy check` accept the same files.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from .. import dicom


class Strict(BaseModel):
    """Every model: unknown keys are errors and nothing is coerced (`"104"` is no port)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        defer_build=True,
        validate_default=False,
        hide_input_in_errors=True,
    )


def _need_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "string_type", "{what} must be a string, not {got}", {"what": what, "got": _kind(value)}
        )
    return value


def show(value: Any) -> str:
    """A value as the user wrote it: 'US\\ER_1' shows one backslash, not two."""
    if isinstance(value, str) and value.isprintable():
        return f"'{value}'"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    return repr(value)


def _kind(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    return {dict: "a mapping", list: "a list"}.get(type(value), type(value).__name__)


# --- names and references ------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\Z")


def _name(value: Any) -> str:
    _need_str(value, "a name")
    if not _NAME.match(value):
        raise PydanticCustomError(
            "invalid_value",
            "name {value} must start with a letter or digit and use only "
            "letters, digits, '_', '-' and '.' (at most 64 characters)",
            {"value": show(value)},
        )
    return value


Name = Annotated[
    str,
    BeforeValidator(_name),
    WithJsonSchema({"type": "string", "pattern": _NAME.pattern[:-2] + "$"}),
]
"""A name other entries refer to (site, device, route, tier, policy...)."""

Text = Annotated[str, Field(min_length=1)]


_AE_TITLE_OK = re.compile(
    r" *[\x21-\x5b\x5d-\x7e](?:[\x20-\x5b\x5d-\x7e]{0,14}[\x21-\x5b\x5d-\x7e])? *\Z"
)


def _ae_title(value: Any) -> str:
    """PS3.5 Table 6.2-1, value representation AE."""
    if type(value) is str and _AE_TITLE_OK.match(value):  # the common case, fast
        return value.strip(" ")
    _need_str(value, "an AE title")
    title = value.strip(" ")
    problem = None
    if not title:
        problem = "is blank"
    elif len(title) > 16:
        problem = f"has {len(title)} characters; the most is 16"
    elif not title.isascii():
        problem = "has non-ASCII characters"
    elif "\\" in title:
        problem = "contains a backslash"
    elif any(ord(c) < 32 or ord(c) == 127 for c in title):
        problem = "contains a control character"
    if problem:
        raise PydanticCustomError(
            "ae_title",
            "AE title {value} {problem} (DICOM PS3.5 "
            "allows 1-16 ASCII characters without backslash or control "
            "characters)",
            {"value": show(value), "problem": problem},
        )
    return title


AETitle = Annotated[
    str,
    BeforeValidator(_ae_title),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 16,
            "pattern": r"^[\x20-\x5b\x5d-\x7e]*[\x21-\x5b\x5d-\x7e][\x20-\x5b\x5d-\x7e]*$",
        }
    ),
]


# --- UIDs ---------------------------------------------------------------------------


def _uid(want_ts: bool):
    what = "transfer syntax" if want_ts else "SOP class"

    valid: dict[str, str] = {}  # what was written -> its UID; a big environment repeats a few

    def check(value: Any) -> str:
        known = valid.get(value) if type(value) is str else None
        if known is not None:
            return known
        _need_str(value, f"a {what}")
        info = dicom.lookup(value)
        if info is None:
            hint = dicom.suggest(value, want_ts)
            raise PydanticCustomError(
                "unknown_uid",
                "unknown {what} {value}{hint}: write a UID or a pydicom keyword",
                {
                    "what": what,
                    "value": show(value),
                    "hint": f" (did you mean {' or '.join(hint)}?)" if hint else "",
                },
            )
        if info.is_transfer_syntax != want_ts or not (want_ts or info.is_sop_class):
            raise PydanticCustomError(
                "wrong_uid_kind",
                "{value} is a {kind} ({name}), not a {what}{hint}",
                {
                    "value": show(value),
                    "kind": info.kind,
                    "name": info.name,
                    "what": what,
                    "hint": ": move it to transfer_syntaxes"
                    if info.is_transfer_syntax
                    else ": SOP classes go in sop_class / sop_classes",
                },
            )
        valid[value] = info.uid
        return info.uid

    return check


SopClass = Annotated[str, BeforeValidator(_uid(False)), WithJsonSchema({"type": "string"})]
"""A SOP class UID, written as a UID or keyword; stored as the UID."""
TransferSyntax = Annotated[str, BeforeValidator(_uid(True)), WithJsonSchema({"type": "string"})]


# --- codes from DICOM tables ----------------------------------------------------------


def _from_table(table: frozenset[str], what: str, error: str):
    options = sorted(table)

    def check(value: Any) -> str:
        _need_str(value, what)
        if value in table:
            return value
        near = difflib.get_close_matches(value.upper(), options, n=3, cutoff=0.6)
        if value.upper() in table:
            near = [value.upper()]
        raise PydanticCustomError(
            error,
            "unknown {what} {value}{hint}",
            {
                "what": what,
                "value": show(value),
                "hint": f" (did you mean {' or '.join(near)}?)" if near else "",
            },
        )

    return check


Modality = Annotated[
    str,
    BeforeValidator(_from_table(dicom.MODALITIES, "modality code", "invalid_value")),
    WithJsonSchema({"type": "string", "enum": sorted(dicom.MODALITIES)}),
]
CharacterSet = Annotated[
    str,
    BeforeValidator(_from_table(dicom.CHARACTER_SETS, "Specific Character Set", "invalid_value")),
    WithJsonSchema({"type": "string", "enum": sorted(dicom.CHARACTER_SETS)}),
]


def _one_or_many(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise PydanticCustomError(
            "list_type", "expected a value or a list of values, got {got}", {"got": _kind(value)}
        )
    return value


def OneOrMany(item: Any, schema: dict) -> Any:
    """`modality: CT` or `modality: [PT, CT]`; always a list once validated."""
    return Annotated[
        list[item],
        BeforeValidator(_one_or_many),
        WithJsonSchema({"anyOf": [schema, {"type": "array", "items": schema}]}),
    ]


Modalities = OneOrMany(Modality, {"type": "string", "enum": sorted(dicom.MODALITIES)})
AETitles = OneOrMany(AETitle, {"type": "string"})


# --- durations, sizes, percentages, dates ---------------------------------------------

_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_UNIT_MONTHS = {"mo": 1, "y": 12}
_SHORT = re.compile(r"(\d+(?:\.\d+)?)\s*(s|min|m|h|d|w|mo|y)\Z")
_ISO = re.compile(
    r"P(?!\Z)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?\Z"
)
_DAYS_PER_MONTH = 365.2425 / 12


@dataclass(frozen=True, slots=True)
class Duration:
    """A span of time as written: calendar months (for years) plus seconds."""

    months: int
    seconds: float
    text: str

    @property
    def days(self) -> float:
        return self.months * _DAYS_PER_MONTH + self.seconds / 86400

    @property
    def years(self) -> float:
        return self.days / 365.2425

    def __lt__(self, other: Duration) -> bool:
        return self.days < other.days

    def __le__(self, other: Duration) -> bool:
        return self.days <= other.days

    def __str__(self) -> str:
        return self.text


def parse_duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    _need_str(value, "a duration")
    text = value.strip()
    short = _SHORT.match(text)
    if short:
        number, unit = float(short.group(1)), short.group(2)
        if unit in _UNIT_MONTHS:
            months = number * _UNIT_MONTHS[unit]
            if months == int(months):
                return Duration(int(months), 0.0, text)
            return Duration(0, months * _DAYS_PER_MONTH * 86400, text)
        return Duration(0, number * _UNIT_SECONDS[unit], text)
    iso = _ISO.match(text)
    if iso:
        y, mo, w, d, h, mi, s = (float(g) if g else 0.0 for g in iso.groups())
        return Duration(int(y * 12 + mo), w * 604800 + d * 86400 + h * 3600 + mi * 60 + s, text)
    raise PydanticCustomError(
        "duration",
        "{value} is not a duration: write e.g. 30m, 4h, 30d, 7y or ISO 8601 (P7Y, PT4H)",
        {"value": show(value)},
    )


DurationField = Annotated[
    Duration,
    PlainValidator(parse_duration),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(\d+(\.\d+)?\s*(s|min|m|h|d|w|mo|y)|P.+)$",
            "description": "30m, 4h, 30d, 7y, or ISO 8601 (P7Y, PT4H)",
        }
    ),
]

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGTPE]i?B|B)\Z", re.IGNORECASE)
_SIZE_FACTORS = {
    "B": 1,
    **{p + "B": 1000 ** (i + 1) for i, p in enumerate("KMGTPE")},
    **{p + "IB": 1024 ** (i + 1) for i, p in enumerate("KMGTPE")},
}


def parse_size(value: Any) -> int:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "size",
            "{value} is not a size: write it with a unit, e.g. 250MB, 1.2TB or 4TiB",
            {"value": show(value)},
        )
    match = _SIZE.match(value.strip())
    if not match:
        raise PydanticCustomError(
            "size", "{value} is not a size: write e.g. 250MB, 1.2TB or 4TiB", {"value": show(value)}
        )
    return int(float(match.group(1)) * _SIZE_FACTORS[match.group(2).upper()])


Size = Annotated[
    int,
    PlainValidator(parse_size),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d+(\.\d+)?\s*([KMGTPEkmgtpe][iI]?[bB]|[bB])$",
            "description": "bytes with a unit: 250MB, 1.2TB (powers of 1000) or 4TiB (of 1024)",
        }
    ),
]

_PERCENT = re.compile(r"(-?\d+(?:\.\d+)?)\s*%\Z")


def parse_percent(value: Any) -> float:
    match = _PERCENT.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise PydanticCustomError(
            "invalid_value",
            "{value} is not a percentage: write it with '%', e.g. 6%",
            {"value": show(value)},
        )
    return float(match.group(1)) / 100


Percent = Annotated[
    float,
    PlainValidator(parse_percent),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?\s*%$"}),
]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def parse_date(value: Any) -> date:
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError(
        "date", "{value} is not a date: write YYYY-MM-DD, e.g. 2026-05-14", {"value": show(value)}
    )


IsoDate = Annotated[
    date,
    PlainValidator(parse_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
]

# --- network ------------------------------------------------------------------------

_HOSTNAME = re.compile(
    r"(?=.{1,253}\Z)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?\Z"
)


def _hostname(value: Any) -> str:
    import ipaddress

    _need_str(value, "a hostname")
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if not _HOSTNAME.match(value):
        raise PydanticCustomError(
            "invalid_value", "{value} is not a hostname or IP address", {"value": show(value)}
        )
    return value


Hostname = Annotated[str, BeforeValidator(_hostname), WithJsonSchema({"type": "string"})]


def _port(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= 65535:
        raise PydanticCustomError(
            "invalid_value",
            "port {value} is out of range: a TCP port "
            "is 1-65535 (DICOM's registered ports are 104 and 11112)",
            {"value": value},
        )
    return value


Port = Annotated[
    int, AfterValidator(_port), WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 65535})
]

_JURISDICTION = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?\Z")


def _jurisdiction(value: Any) -> str:
    _need_str(value, "a jurisdiction")
    if not _JURISDICTION.match(value):
        hint = f" (did you mean '{value.upper()}'?)" if _JURISDICTION.match(value.upper()) else ""
        raise PydanticCustomError(
            "invalid_value",
            "{value} is not an ISO 3166 code like US, US-CA or DE-BY{hint}",
            {"value": show(value), "hint": hint},
        )
    return value


Jurisdiction = Annotated[
    str,
    BeforeValidator(_jurisdiction),
    WithJsonSchema({"type": "string", "pattern": "^" + _JURISDICTION.pattern[:-2] + "$"}),
]
"""ISO 3166-1 country, optionally with the ISO 3166-2 subdivision: US, US-CA, DE-BY."""


def _timezone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    _need_str(value, "a time zone")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "invalid_value",
            "{value} is not an IANA time zone (e.g. America/Los_Angeles)",
            {"value": show(value)},
        ) from None
    return value


Timezone = Annotated[str, BeforeValidator(_timezone), WithJsonSchema({"type": "string"})]

Priority = Literal["stat", "urgent", "routine", "screening"]
