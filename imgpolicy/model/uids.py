"""`private_uids`: vendor SOP classes and transfer syntaxes, declared once per environment.

Vendors register private UIDs under their own roots (Siemens CSA Non-Image Storage is
1.3.12.2.1107.5.9.1; PS3.5 9.1 and Annex B let any organisation do so), and real routes
carry them. pydicom's registry cannot know them, so an environment declares each one here,
with a name; every other file may then use the name or the UID wherever a SOP class or a
transfer syntax is written. A UID nobody declared stays an unknown UID (SCHEMA005).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from .. import dicom
from .types import KEYWORD, UID, Strict, Text, _need_str, pattern, show

_MAX_UID_LENGTH = 64
"""PS3.5 9.1: a UID has at most 64 characters."""

_is_uid = re.compile(UID).fullmatch
_is_keyword = re.compile(KEYWORD).fullmatch


def _private_uid(value: Any) -> str:
    """A dotted UID the standard's registry does not already hold."""
    _need_str(value, "a UID")
    if not _is_uid(value) or len(value) > _MAX_UID_LENGTH:
        raise PydanticCustomError(
            "invalid_value",
            "{value} is not a UID: digits in dot-separated components without leading "
            "zeros, at most 64 characters (PS3.5 9.1), e.g. 1.3.12.2.1107.5.9.1",
            {"value": show(value)},
        )
    known = dicom.registry().get(value)
    if known is not None:
        raise PydanticCustomError(
            "invalid_value",
            "{value} is the standard UID of {name}: use it (or {keyword}) directly, "
            "without declaring it",
            {"value": show(value), "name": known.name, "keyword": known.keyword or value},
        )
    return value


def _private_name(value: Any) -> str:
    """A keyword-shaped name that no standard UID already has."""
    _need_str(value, "a name")
    if not _is_keyword(value):
        raise PydanticCustomError(
            "invalid_value",
            "{value} is not usable as a UID name: start with a letter, then letters, "
            "digits and '_' (like pydicom's keywords, e.g. SiemensCSANonImageStorage)",
            {"value": show(value)},
        )
    known = dicom.registry().get(value)
    if known is not None:
        raise PydanticCustomError(
            "invalid_value",
            "{value} is already the name of the standard {kind} {uid}: choose another name "
            "(e.g. prefix it with the vendor's name)",
            {"value": show(value), "kind": known.kind, "uid": known.uid},
        )
    return value


PrivateUidValue = Annotated[
    str,
    BeforeValidator(_private_uid),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": pattern(UID),
            "maxLength": _MAX_UID_LENGTH,
            "description": "a UID (PS3.5 9.1): digits in dot-separated components, at most "
            "64 characters; not one of the standard's",
        }
    ),
]
PrivateUidName = Annotated[
    str,
    BeforeValidator(_private_name),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": pattern(KEYWORD),
            "description": "a name like pydicom's keywords (letters, digits, '_'), not "
            "one of the standard's",
        }
    ),
]


class PrivateUid(Strict):
    """A vendor's private SOP class or transfer syntax, usable by name or UID anywhere."""

    uid: PrivateUidValue = Field(
        description="The UID the vendor registered (PS3.5 9.1), e.g. 1.3.12.2.1107.5.9.1."
    )
    name: PrivateUidName = Field(
        description="The name other files may write instead of the UID, e.g. "
        "SiemensCSANonImageStorage; unique, and not a standard keyword."
    )
    kind: Literal["sop-class", "transfer-syntax"] = Field(
        description="sop-class: a private storage SOP class, sent with C-STORE like any "
        "other; transfer-syntax: a private encoding of the pixel data."
    )
    lossy: bool = Field(
        default=False,
        description="For a transfer syntax: it compresses irreversibly (lossy); "
        "transfer syntaxes only.",
    )
    description: Text | None = Field(
        default=None,
        description="What the vendor's conformance statement calls it, e.g. Siemens CSA "
        "Non-Image (syngo).",
    )

    @model_validator(mode="after")
    def _lossy_only_for_syntaxes(self) -> PrivateUid:
        if self.lossy and self.kind != "transfer-syntax":
            raise ValueError(
                "lossy applies to transfer syntaxes only: remove it from this sop-class"
            )
        return self

    def info(self) -> dicom.UidInfo:
        """This declaration as the UID registry's entry."""
        kind = "Transfer Syntax" if self.kind == "transfer-syntax" else "SOP Class"
        return dicom.UidInfo(
            self.uid, self.description or self.name, kind, self.name, False, private=True
        )


def declared(raw: object) -> list[PrivateUid]:
    """The well-formed entries of a file's raw `private_uids` (before the file itself is
    validated); a malformed one is left out here and reported by the file's validation."""
    if not isinstance(raw, list):
        return []
    entries = []
    for item in raw:
        try:
            entries.append(PrivateUid.model_validate(item))
        except ValueError:  # pydantic's ValidationError is one
            continue
    return entries
