"""Pydantic errors -> findings at the file:line:col of the node they are about.

Pydantic says *what* is wrong by a `loc` path into the data; the position tree built by
the YAML loader says *where* that path is in the file. This module joins the two and
rewrites pydantic's generic wording into what a PACS administrator has to do.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .. import identity
from ..findings import Finding, Location, Severity
from ..model.types import _kind, show
from ..redact import is_credential_path
from .files import SourceFile, locate, node_at
from .yaml12 import MapPos

_CUSTOM_CODES = {
    "unknown_uid": "SCHEMA005",
    "wrong_uid_kind": "SCHEMA006",
    "ae_title": "SCHEMA007",
    "duration": "SCHEMA008",
    "size": "SCHEMA008",
    "date": "SCHEMA008",
}
_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "float_type": "a number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "int_from_float": "a whole number",
}


def schema_findings(
    source: SourceFile, error: ValidationError, model: type[BaseModel]
) -> list[Finding]:
    return [_finding(source, e, model) for e in error.errors(include_url=False)]


def _finding(source: SourceFile, err: ErrorDetails, model: type[BaseModel]) -> Finding:
    kind, loc, value = err["type"], tuple(err["loc"]), err.get("input")
    span, key_span = locate(source.pos, loc)
    where = _path(loc)
    if kind == "invalid_key":  # 104: x, ~: y ... in a mapping of named keys
        parent = node_at(source.pos, loc[:-1])
        key_span = (
            parent.keys[value][0] if isinstance(parent, MapPos) and value in parent.keys else span
        )
        code, span = "SCHEMA001", key_span
        options = _field_names(model, loc[:-1])
        message = f"unknown key {show(value)}" + (
            f" (allowed here: {', '.join(options)})" if options else ""
        )
        message, span = _split_number(source, span) or (message, span)
        where = _path(loc[:-1])
    elif kind == "extra_forbidden":
        code, span = "SCHEMA001", key_span or span
        options = _field_names(model, loc[:-1])
        near = difflib.get_close_matches(str(loc[-1]), options, n=1, cutoff=0.6)
        hint = f"did you mean '{near[0]}'?" if near else "allowed here: " + ", ".join(options)
        message = f"unknown key '{loc[-1]}' ({hint})"
        message, span = _split_number(source, span) or (message, span)
        where = _path(loc[:-1])
    elif kind == "missing":
        code = "SCHEMA002"
        message = f"missing required key '{loc[-1]}'"
        where = _path(loc[:-1])
    elif kind in _CUSTOM_CODES:
        code, message = _CUSTOM_CODES[kind], err["msg"]
    elif kind in _EXPECTED or kind.endswith("_type"):
        code, message = "SCHEMA003", _wrong_type(kind, value, err["msg"], _written(source, span))
    else:
        code, message = "SCHEMA004", _invalid_value(kind, value, err)
    if is_credential_path(loc) and code not in ("SCHEMA001", "SCHEMA002"):
        message = _without_secret(message, value, _written(source, span))
    line, col, end_line, end_col = span
    return Finding(
        code,
        Severity.ERROR,
        f"{where}: {message}",
        Location(source.path, line, col, end_line, end_col),
        entity=identity.entity("schema", _path(loc)),
        detail=kind,
    )


def _without_secret(message: str, value: Any, written: str) -> str:
    """The message about a value at a credential path, saying "the value" instead of it:
    findings end up in CI logs and code scanning, a secret must not."""
    if not isinstance(value, (str, int, float, bool)):
        return message  # null, a mapping or a list: nothing of the secret is shown
    generic = (
        "a boolean" if isinstance(value, bool) else "text" if isinstance(value, str) else "a number"
    )
    message = message.replace(_kind(value), generic)
    message = re.sub(r" \(put the value in quotes: .*\)$", " (put the value in quotes)", message)
    for form in sorted(
        {written, show(value), repr(value), str(value)} - {""}, key=len, reverse=True
    ):
        message = message.replace(form, "the value")
    return message


def _split_number(
    source: SourceFile, key_span: tuple[int, int, int, int]
) -> tuple[str, tuple[int, int, int, int]] | None:
    """`{annual_studies: 30,000}`: in a flow mapping the comma ends the entry, so YAML reads
    30 and then a key '000'. Say so, at the number as written, rather than "unknown key 0"."""
    key = _written(source, key_span)
    if not key.isdigit():
        return None
    lines = source.text.splitlines()
    line = lines[key_span[0] - 1] if key_span[0] <= len(lines) else ""
    number = re.search(r"(\d+), *\Z", line[: key_span[1] - 1])
    if number is None:
        return None
    head = number.group(1)
    message = (
        f"unknown key '{key}': inside {{...}} a comma ends an entry, so '{head},{key}' "
        f"reads as {head} and then a key '{key}' (write {head}{key}: YAML numbers have no "
        "thousands separators)"
    )
    return message, (key_span[0], number.start(1) + 1, key_span[2], key_span[3])


_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def _path(loc: tuple) -> str:
    """`devices[3].application_entities[0].ae_title`, the way the YAML reads."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return text or "(top level)"


def _written(source: SourceFile, span: tuple[int, int, int, int]) -> str:
    """The text of a one-line node as it stands in the file (3.20, not 3.2)."""
    line, col, end_line, end_col = span
    if line != end_line:
        return ""
    lines = source.text.splitlines()
    return lines[line - 1][col - 1 : end_col - 1] if line <= len(lines) else ""


def _wrong_type(kind: str, value: Any, msg: str, written: str = "") -> str:
    if kind == "list_type" and msg.startswith("expected a value or a list"):
        return msg
    if kind == "string_type" and "must be" in msg:
        expected = None
        message = msg
    else:
        expected = _EXPECTED.get(kind, kind.removesuffix("_type"))
        message = f"expected {expected}, got {_kind(value)}"
    if isinstance(value, float) and written and written != str(value):
        message = message.replace(f"the number {value}", f"the number {written}")
    if isinstance(value, str):
        if kind == "bool_type":
            message += f" (only true and false are booleans in YAML 1.2; '{value}' is text)"
        elif kind in ("int_type", "float_type") and re.fullmatch(r"[-+]?\d+(\.\d+)?", value):
            message += " (remove the quotes)"
        elif kind in ("int_type", "float_type") and _THOUSANDS.fullmatch(value):
            message += (
                f" (write {value.replace(',', '')}: YAML numbers have no thousands separators)"
            )
    elif msg.startswith("a duration must be") and type(value) in (int, float):
        number = written or str(value)
        message += (
            f" (a duration has a unit: write {number}y for years, or {number}mo, {number}w, "
            f"{number}d, {number}h, {number}m)"
        )
    elif (expected == "a string" or kind == "string_type") and isinstance(
        value, (int, float, bool)
    ):
        shown = written or str(value).lower()
        message += f' (put the value in quotes: "{shown}")'
    return message


def _invalid_value(kind: str, value: Any, err: ErrorDetails) -> str:
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'|(\d+)", err["ctx"]["expected"])
        options = [a or b for a, b in allowed]
        folded = {o.casefold(): o for o in options}
        near = difflib.get_close_matches(str(value).casefold(), list(folded), n=1, cutoff=0.5)
        hint = f" (did you mean '{folded[near[0]]}'?)" if near else ""
        return f"{show(value)} is not one of: {', '.join(options)}{hint}"
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "too_short" and isinstance(value, list):
        need = err.get("ctx", {}).get("min_length", 1)
        return f"the list is empty: give at least {need} item{'s' if need != 1 else ''}"
    if kind in ("too_short", "too_long") and isinstance(value, list):
        return msg.replace("List", "the list")
    return msg[0].lower() + msg[1:] if msg[:1].isupper() and not msg[1:2].isupper() else msg


def _field_names(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys allowed at `loc`, found by walking the model's annotations."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else current
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {(f.alias or n): f for n, f in current.model_fields.items()}
            if part not in fields:
                return []
            current = fields[part].annotation
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """`X | None`, `Annotated[list[X], ...]` -> the model or list inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation
