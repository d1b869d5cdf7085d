"""Field types shared by the sections: DICOM identifiers, durations, sizes, dates.

Each raises a `PydanticCustomError` whose type names a schema code (see `codes.py`), with
a message that says what to write instead. Each also declares the JSON Schema of what
the YAML may contain, so editors and `imgpolicy check` accept the same files: where a
value has a textual shape, that shape is one regular expression (a *grammar* below),
which the validator matches and the schema publishes as its `pattern`.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable
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


def pattern(grammar: str) -> str:
    """A grammar as a JSON Schema `pattern`, which searches: anchored at both ends.

    Grammars use only what means the same in Python's `re` and in ECMA-262, the dialect
    of JSON Schema, editors and check-jsonschema: explicit classes like `[0-9]` (Python's
    `\\d` also matches other scripts' digits), spaces rather than `\\s`, no `\\Z`, no
    lookbehind, no named groups. Validators use `re.fullmatch` on the same grammar.
    """
    return f"^(?:{grammar})$"


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

    def model_post_init(self, context: Any, /) -> None:
        """Share one set of set-field names among the models that set the same fields.

        pydantic gives every instance its own set, a third of a model's memory; a
        100,000-AE estate has millions of models but a few dozen distinct sets. The
        models are frozen, so no set is ever changed (a copy gets its own)."""
        fields = self.__pydantic_fields_set__
        object.__setattr__(
            self, "__pydantic_fields_set__", _FIELDS_SETS.setdefault(frozenset(fields), fields)
        )


_FIELDS_SETS: dict[frozenset[str], set[str]] = {}
"""One set of field names per distinct content (see `Strict.model_post_init`)."""


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
    names: dict[type, str] = {dict: "a mapping", list: "a list"}
    return names.get(type(value), type(value).__name__)


# --- grammars -----------------------------------------------------------------------
# One regular expression per textual shape, shared by the validator and the schema.

NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
AE_TITLE = r" *[\x21-\x5b\x5d-\x7e](?:[\x20-\x5b\x5d-\x7e]{0,14}[\x21-\x5b\x5d-\x7e])? *"
"""PS3.5 Table 6.2-1 (VR AE): 1-16 ASCII characters without backslash or control
characters; leading and trailing spaces are not significant."""
UID = r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))+"
"""PS3.5 9.1: dotted numeric components without leading zeros."""
KEYWORD = r"[A-Za-z][A-Za-z0-9_]*"
"""The shape of pydicom's (and pynetdicom's) UID keywords, e.g. CTImageStorage."""
UID_OR_KEYWORD = rf" *(?:{UID}|{KEYWORD}) *"
NUMBER = r"[0-9]{1,18}(?:\.[0-9]{1,18})?"
"""Digits 0-9, at most 18 before and after the point: finite as a float, whatever the unit."""
WHOLE = r"[0-9]{1,18}"
SHORT_DURATION = rf"({NUMBER}) *(s|min|m|h|d|w|mo|y)"
ISO_DURATION = (
    rf"P(?=[0-9]|T[0-9])(?:({WHOLE})Y)?(?:({WHOLE})M)?(?:({WHOLE})W)?(?:({WHOLE})D)?"
    rf"(?:T(?=[0-9])(?:({WHOLE})H)?(?:({WHOLE})M)?(?:({NUMBER})S)?)?"
)
"""ISO 8601 durations as retention schedules write them: P7Y, P1Y6M, PT4H, PT1.5S."""
DURATION = rf" *(?:{SHORT_DURATION}|{ISO_DURATION}) *"
SIZE = rf" *({NUMBER}) *([KMGTPEkmgtpe][Ii]?[Bb]|[Bb]) *"
PERCENT = rf" *(-?{NUMBER}) *% *"
DATE = r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
JURISDICTION = r"[A-Z]{2}(?:-[A-Z0-9]{1,3})?"
"""ISO 3166-1 alpha-2, optionally with the ISO 3166-2 subdivision: US, US-CA, DE-BY."""
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME = rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?"
"""RFC 1123 host names (IPv4 addresses have this shape too)."""
IPV6_SHAPE = r"[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*"
"""What an IPv6 address is made of; its format is checked by `ipaddress` (and by JSON
Schema's `format: ipv6` where an editor checks formats)."""
TIMEZONE = r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*"
"""The shape of IANA time zone keys; the key itself is looked up in the tz database."""


def _grammar(grammar: str) -> Callable[[str], re.Match[str] | None]:
    """The validator's side of a grammar: the whole value must match."""
    return re.compile(grammar).fullmatch


_LONG_NUMBER = re.compile(r"[0-9]{19}")


def _digits_hint(value: str) -> str:
    """Why a long number is refused: at most 18 digits keep every unit finite."""
    return " (a number has at most 18 digits)" if _LONG_NUMBER.search(value) else ""


# --- names and references ------------------------------------------------------------

_is_name = _grammar(NAME)


def _name(value: Any) -> str:
    _need_str(value, "a name")
    if not _is_name(value):
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
    WithJsonSchema(
        {
            "type": "string",
            "pattern": pattern(NAME),
            "description": "a name: letters, digits, '_', '-' and '.', at most 64 characters",
        }
    ),
]
"""A name other entries refer to (site, device, route, tier, policy...)."""

Text = Annotated[str, Field(min_length=1)]

_is_ae_title = _grammar(AE_TITLE)


def _ae_title(value: Any) -> str:
    """PS3.5 Table 6.2-1, value representation AE."""
    if type(value) is str and _is_ae_title(value):  # the common case, fast
        return value.strip(" ")
    _need_str(value, "an AE title")
    title = value.strip(" ")
    problem = "breaks PS3.5"
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
    raise PydanticCustomError(
        "ae_title",
        "AE title {value} {problem} (DICOM PS3.5 "
        "allows 1-16 ASCII characters without backslash or control "
        "characters)",
        {"value": show(value), "problem": problem},
    )


AE_TITLE_SCHEMA = {
    "type": "string",
    "pattern": pattern(AE_TITLE),
    "description": "a DICOM AE title (PS3.5): 1-16 ASCII characters, no backslash or "
    "control characters; leading and trailing spaces are not significant",
}
AETitle = Annotated[str, BeforeValidator(_ae_title), WithJsonSchema(AE_TITLE_SCHEMA)]


# --- UIDs ---------------------------------------------------------------------------

_is_uid_or_keyword = _grammar(UID_OR_KEYWORD)


def _uid(want_ts: bool) -> Callable[[Any], str]:
    what = "transfer syntax" if want_ts else "SOP class"

    valid: dict[str, str] = {}  # what was written -> its UID; a big environment repeats a few

    def check(value: Any) -> str:
        known = valid.get(value) if type(value) is str else None
        if known is not None:
            return known
        _need_str(value, f"a {what}")
        info = dicom.lookup(value) if _is_uid_or_keyword(value) else None
        if info is None:
            hint = dicom.suggest(value, want_ts)
            raise PydanticCustomError(
                "unknown_uid",
                "unknown {what} {value}{hint}: write a UID or a pydicom keyword, or "
                "declare a vendor's private UID in private_uids first",
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
        if not info.private:  # a private UID is declared per environment: never cached
            valid[value] = info.uid
        return info.uid

    return check


def _uid_schema(what: str, example: str) -> dict[str, Any]:
    """The schema can check a UID's shape only; `check` looks it up in pydicom's registry."""
    return {
        "type": "string",
        "pattern": pattern(UID_OR_KEYWORD),
        "description": f"a {what}: a UID or a pydicom keyword (e.g. {example}), or a "
        "private UID or name declared in private_uids; imgpolicy check also looks it up in "
        "pydicom's UID registry",
    }


def _by_name(name: str, check: Callable[[Any], str]) -> Callable[[Any], str]:
    """`check`, known by the module-level `name` it is bound to: pickle then refers to it
    by name, so the validator `model/prebuilt.py` keeps can be read back."""
    check.__name__ = check.__qualname__ = name
    return check


check_sop_class = _by_name("check_sop_class", _uid(False))
check_transfer_syntax = _by_name("check_transfer_syntax", _uid(True))

SopClass = Annotated[
    str,
    BeforeValidator(check_sop_class),
    WithJsonSchema(_uid_schema("SOP class", "CTImageStorage or 1.2.840.10008.5.1.4.1.1.2")),
]
"""A SOP class UID, written as a UID or keyword; stored as the UID."""
TransferSyntax = Annotated[
    str,
    BeforeValidator(check_transfer_syntax),
    WithJsonSchema(_uid_schema("transfer syntax", "JPEG2000Lossless or 1.2.840.10008.1.2.4.90")),
]


def _one_entry_per_class(value: Any) -> Any:
    """Two spellings of one SOP class (keyword and UID) would silently keep only one."""
    if not isinstance(value, dict):
        return value
    seen: dict[str, str] = {}
    for key in value:
        info = dicom.lookup(key) if isinstance(key, str) else None
        if info is None:
            continue  # the key's own validation says what is wrong
        if info.uid in seen:
            raise PydanticCustomError(
                "invalid_value",
                "{first} and {second} name the same SOP class: keep one entry",
                {"first": show(seen[info.uid]), "second": show(key)},
            )
        seen[info.uid] = key
    return value


SyntaxPerSopClass = Annotated[
    dict[SopClass, TransferSyntax],
    BeforeValidator(_one_entry_per_class),
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": _uid_schema("SOP class", "CTImageStorage"),
            "additionalProperties": _uid_schema("transfer syntax", "JPEG2000Lossless"),
            "description": "SOP class: transfer syntax, one per class",
        }
    ),
]
"""A transfer syntax per SOP class (both as UIDs once validated)."""


# --- codes from DICOM tables ----------------------------------------------------------


def _from_table(table: frozenset[str], what: str, error: str) -> Callable[[Any], str]:
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


check_modality = _by_name(
    "check_modality", _from_table(dicom.MODALITIES, "modality code", "invalid_value")
)
check_character_set = _by_name(
    "check_character_set",
    _from_table(dicom.CHARACTER_SETS, "Specific Character Set", "invalid_value"),
)

MODALITY_SCHEMA = {
    "type": "string",
    "enum": sorted(dicom.MODALITIES),
    "description": "a Modality (0008,0060) defined term, PS3.3 C.7.3.1.1.1",
}
Modality = Annotated[
    str,
    BeforeValidator(check_modality),
    WithJsonSchema(MODALITY_SCHEMA),
]
CharacterSet = Annotated[
    str,
    BeforeValidator(check_character_set),
    WithJsonSchema(
        {
            "type": "string",
            "enum": sorted(dicom.CHARACTER_SETS),
            "description": "a Specific Character Set (0008,0005) defined term, PS3.3 C.12.1.1.2",
        }
    ),
]


def _one_or_many(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise PydanticCustomError(
            "list_type", "expected a value or a list of values, got {got}", {"got": _kind(value)}
        )
    return value


def OneOrMany(item: Any, schema: dict[str, Any], at_least: int = 0) -> Any:
    """`modality: CT` or `modality: [PT, CT]`; always a list once validated.

    `at_least` is the fewest items the list may have; one value counts as one.
    """
    many: dict[str, Any] = {"type": "array", "items": schema}
    if at_least:
        many["minItems"] = at_least
    return Annotated[
        list[item],
        Field(min_length=at_least),
        BeforeValidator(_one_or_many),
        WithJsonSchema({"anyOf": [schema, many]}),
    ]


Modalities = OneOrMany(Modality, MODALITY_SCHEMA)
SomeModalities = OneOrMany(Modality, MODALITY_SCHEMA, at_least=1)
"""One modality or more: an empty list is an error."""
AETitles = OneOrMany(AETitle, AE_TITLE_SCHEMA)
SomeAETitles = OneOrMany(AETitle, AE_TITLE_SCHEMA, at_least=1)


# --- durations, sizes, percentages, dates ---------------------------------------------

_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_UNIT_MONTHS = {"mo": 1, "y": 12}
_is_short_duration = _grammar(SHORT_DURATION)
_is_iso_duration = _grammar(ISO_DURATION)
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
    """`7y`, `30d`, `P7Y`... as months and seconds (years stay calendar years)."""
    if isinstance(value, Duration):
        return value
    _need_str(value, "a duration")
    text = value.strip(" ")
    short = _is_short_duration(text)
    if short:
        number, unit = float(short.group(1)), short.group(2)
        if unit in _UNIT_MONTHS:
            months = number * _UNIT_MONTHS[unit]
            if months == int(months):
                return Duration(int(months), 0.0, text)
            return Duration(0, months * _DAYS_PER_MONTH * 86400, text)
        return Duration(0, number * _UNIT_SECONDS[unit], text)
    iso = _is_iso_duration(text)
    if iso:
        y, mo, w, d, h, mi, s = (float(g) if g else 0.0 for g in iso.groups())
        return Duration(int(y * 12 + mo), w * 604800 + d * 86400 + h * 3600 + mi * 60 + s, text)
    raise PydanticCustomError(
        "duration",
        "{value} is not a duration{hint}: write e.g. 30m, 4h, 30d, 7y or ISO 8601 (P7Y, PT4H)",
        {"value": show(value), "hint": _digits_hint(value)},
    )


DurationField = Annotated[
    Duration,
    PlainValidator(parse_duration),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": pattern(DURATION),
            "description": "a duration: 30m, 4h, 30d, 2w, 6mo, 7y, or ISO 8601 (P7Y, PT4H)",
        }
    ),
]

_is_size = _grammar(SIZE)
_SIZE_FACTORS = {
    "B": 1,
    **{p + "B": 1000 ** (i + 1) for i, p in enumerate("KMGTPE")},
    **{p + "IB": 1024 ** (i + 1) for i, p in enumerate("KMGTPE")},
}


def parse_size(value: Any) -> int:
    """`250MB`, `1.2TB` (powers of 1000), `4TiB` (of 1024) as bytes."""
    if not isinstance(value, str):
        raise PydanticCustomError(
            "size",
            "{value} is not a size: write it with a unit, e.g. 250MB, 1.2TB or 4TiB",
            {"value": show(value)},
        )
    match = _is_size(value)
    if not match:
        raise PydanticCustomError(
            "size",
            "{value} is not a size{hint}: write e.g. 250MB, 1.2TB or 4TiB",
            {"value": show(value), "hint": _digits_hint(value)},
        )
    return int(float(match.group(1)) * _SIZE_FACTORS[match.group(2).upper()])


Size = Annotated[
    int,
    PlainValidator(parse_size),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": pattern(SIZE),
            "description": "bytes with a unit: 250MB, 1.2TB (powers of 1000) or 4TiB (of 1024)",
        }
    ),
]

_is_percent = _grammar(PERCENT)


def parse_percent(value: Any) -> float:
    """`6%` as 0.06."""
    match = _is_percent(value) if isinstance(value, str) else None
    if not match:
        raise PydanticCustomError(
            "invalid_value",
            "{value} is not a percentage{hint}: write it with '%', e.g. 6%",
            {"value": show(value), "hint": _digits_hint(value) if isinstance(value, str) else ""},
        )
    return float(match.group(1)) / 100


Percent = Annotated[
    float,
    PlainValidator(parse_percent),
    WithJsonSchema(
        {"type": "string", "pattern": pattern(PERCENT), "description": "a percentage: 6%, -2.5%"}
    ),
]

_is_date = _grammar(DATE)


def parse_date(value: Any) -> date:
    """YYYY-MM-DD and nothing else (YAML 1.2 has no date type: dates are strings)."""
    if isinstance(value, str) and _is_date(value):
        try:
            return date.fromisoformat(value)
        except ValueError:  # 2026-02-30, year 0000
            pass
    raise PydanticCustomError(
        "date", "{value} is not a date: write YYYY-MM-DD, e.g. 2026-05-14", {"value": show(value)}
    )


IsoDate = Annotated[
    date,
    PlainValidator(parse_date),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": pattern(DATE),
            "description": "a date, YYYY-MM-DD",
        }
    ),
]

# --- network ------------------------------------------------------------------------

_is_hostname = _grammar(HOSTNAME)


def _hostname(value: Any) -> str:
    """A host name or an IP address; an IPv6 zone index (`%eth0`) names a local interface."""
    _need_str(value, "a hostname")
    if _is_hostname(value):
        return value
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        address = None
    if address is None:
        raise PydanticCustomError(
            "invalid_value", "{value} is not a hostname or IP address", {"value": show(value)}
        )
    zone = address.scope_id if isinstance(address, ipaddress.IPv6Address) else None
    if zone:
        raise PydanticCustomError(
            "invalid_value",
            "{value} has a zone index, which names an interface of one machine: write the "
            "address without %{zone}, or a hostname",
            {"value": show(value), "zone": zone},
        )
    return value


Hostname = Annotated[
    str,
    BeforeValidator(_hostname),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": pattern(HOSTNAME)},
                {"type": "string", "format": "ipv6", "pattern": pattern(IPV6_SHAPE)},
            ],
            "description": "a host name (RFC 1123) or an IPv4 or IPv6 address",
        }
    ),
]


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
    int,
    AfterValidator(_port),
    WithJsonSchema(
        {
            "type": "integer",
            "minimum": 1,
            "maximum": 65535,
            "description": "a TCP port, 1-65535 (DICOM's registered ports are 104 and 11112)",
        }
    ),
]

_is_jurisdiction = _grammar(JURISDICTION)


def _jurisdiction(value: Any) -> str:
    _need_str(value, "a jurisdiction")
    if not _is_jurisdiction(value):
        hint = f" (did you mean '{value.upper()}'?)" if _is_jurisdiction(value.upper()) else ""
        raise PydanticCustomError(
            "invalid_value",
            "{value} is not an ISO 3166 code like US, US-CA or DE-BY{hint}",
            {"value": show(value), "hint": hint},
        )
    return value


Jurisdiction = Annotated[
    str,
    BeforeValidator(_jurisdiction),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": pattern(JURISDICTION),
            "description": "an ISO 3166 code: a country (US) or a subdivision (US-CA, DE-BY)",
        }
    ),
]
"""ISO 3166-1 country, optionally with the ISO 3166-2 subdivision: US, US-CA, DE-BY."""

_is_timezone = _grammar(TIMEZONE)


def _timezone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    _need_str(value, "a time zone")
    try:
        if not _is_timezone(value):
            raise ValueError(value)
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "invalid_value",
            "{value} is not an IANA time zone (e.g. America/Los_Angeles)",
            {"value": show(value)},
        ) from None
    return value


Timezone = Annotated[
    str,
    BeforeValidator(_timezone),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": pattern(TIMEZONE),
            "description": "an IANA time zone, e.g. America/Los_Angeles; imgpolicy check "
            "also looks it up in the time zone database",
        }
    ),
]

Priority = Literal["stat", "urgent", "routine", "screening"]

HL7_EVENT = r"[A-Z]{3}\^[A-Z][0-9]{2}"
"""An HL7 v2 message type and trigger event as MSH-9 writes them: ADT^A08, ORM^O01."""
_is_hl7_event = _grammar(HL7_EVENT)


def _hl7_event(value: Any) -> str:
    _need_str(value, "an HL7 trigger event")
    if not _is_hl7_event(value):
        hint = f" (did you mean '{value.upper()}'?)" if _is_hl7_event(value.upper()) else ""
        raise PydanticCustomError(
            "invalid_value",
            "{value} is not an HL7 v2 message type and trigger event like ADT^A08 or ORM^O01{hint}",
            {"value": show(value), "hint": hint},
        )
    return value


HL7Event = Annotated[
    str,
    BeforeValidator(_hl7_event),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": pattern(HL7_EVENT),
            "description": "an HL7 v2 message type and trigger event (MSH-9), e.g. ADT^A08",
        }
    ),
]
"""HL7 v2 trigger events: ADT^A08 (update patient information), ADT^A40 (merge patient)."""

CLOCK_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
"""A time of day on the 24-hour clock: 07:00, 22:30."""
_is_clock_time = _grammar(CLOCK_TIME)


def _clock_time(value: Any) -> str:
    _need_str(value, "a time of day")
    if not _is_clock_time(value):
        raise PydanticCustomError(
            "invalid_value",
            "{value} is not a time of day: write HH:MM on the 24-hour clock, e.g. 22:00",
            {"value": show(value)},
        )
    return value


ClockTime = Annotated[
    str,
    BeforeValidator(_clock_time),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": pattern(CLOCK_TIME),
            "description": "a time of day, HH:MM on the 24-hour clock, e.g. 22:00",
        }
    ),
]
