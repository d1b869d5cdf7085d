"""A small YAML emitter that keeps comments, for files people will edit and commit.

`yaml.dump` cannot write comments, and the point of an imported file is to say where each
item came from. The documents written here are simple (mappings, sequences, scalars), so
the emitter is too: block style throughout, short scalar lists in flow style, anchors for
lists that several items share. Strings are written plain only when they cannot be read
as anything else under YAML 1.1 or 1.2 (`NO`, `1.2.840`, `on` and `~` are quoted);
otherwise in double quotes with YAML escapes, which is always valid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]*\Z")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"}
"""Plain words some YAML reader resolves to something other than a string."""
FLOW_WIDTH = 88


@dataclass
class Item:
    """One entry of a mapping (`key` set) or a sequence (`key` None)."""

    key: str | None
    value: Any
    above: list[str | None] = field(default_factory=list)
    """Comment lines written before the entry (None: an empty line)."""
    after: str | None = None
    """A comment at the end of the entry's first line."""


@dataclass
class Map:
    items: list[Item] = field(default_factory=list)

    def add(
        self,
        key: str,
        value: Any,
        *,
        above: list[str | None] | None = None,
        after: str | None = None,
    ) -> Map:
        self.items.append(Item(key, value, above or [], after))
        return self


@dataclass
class Seq:
    items: list[Item] = field(default_factory=list)
    anchor: str | None = None
    """Written as `&anchor` the first time and as `*anchor` every later time."""
    flow: bool = True
    """Short lists of scalars without comments go on one line."""

    def add(
        self, value: Any, *, above: list[str | None] | None = None, after: str | None = None
    ) -> Seq:
        self.items.append(Item(None, value, above or [], after))
        return self


def _printable(char: str) -> bool:
    """YAML 1.2 c-printable, less what a double-quoted scalar must escape and the line
    breaks NEL, LS and PS (written as escapes, never folded)."""
    code = ord(char)
    if char in '"\\':
        return False
    if code in (0x2028, 0x2029, 0xFEFF):  # line breaks to YAML 1.1 readers; a BOM
        return False
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


_NAMED = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def quote(text: str) -> str:
    out = []
    for char in text:
        if _printable(char):
            out.append(char)
        elif char in _NAMED:
            out.append(_NAMED[char])
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return quote(text)


def comment(text: str) -> str:
    """One comment line's text: control characters shown as escapes, never a line break."""
    return "".join(
        c
        if c.isprintable() or c == " "
        else f"\\x{ord(c):02x}"
        if ord(c) < 256
        else f"\\u{ord(c):04x}"
        for c in text
    )


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (Map, Seq))


class Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.anchors: set[str] = set()

    def comments(self, texts: Sequence[str | None], indent: int) -> None:
        """Comment lines; None stands for an empty line."""
        for text in texts:
            if text is None:
                self.lines.append("")
            else:
                self.lines.append(" " * indent + ("# " + comment(text) if text else "#"))

    @staticmethod
    def _after(after: str | None) -> str:
        return f"  # {comment(after)}" if after else ""

    def _flow(self, seq: Seq, lead: str) -> str | None:
        """`[a, b, c]` when that fits and nothing in it carries a comment."""
        if (
            not seq.flow
            or seq.anchor
            or any(not _is_scalar(i.value) or i.above or i.after for i in seq.items)
        ):
            return None
        text = "[" + ", ".join(scalar(i.value) for i in seq.items) + "]"
        return text if len(lead) + len(text) <= FLOW_WIDTH else None

    def entry(self, lead: str, value: Any, after: str | None, indent: int) -> None:
        """Write `lead` (`key:` or `-`) followed by `value`, nested below at `indent`."""
        if _is_scalar(value):
            self.lines.append(f"{lead} {scalar(value)}{self._after(after)}")
        elif isinstance(value, Seq):
            if value.anchor and value.anchor in self.anchors:
                self.lines.append(f"{lead} *{value.anchor}{self._after(after)}")
            elif not value.items:
                self.lines.append(f"{lead} []{self._after(after)}")
            elif (flow := self._flow(value, lead)) is not None:
                self.lines.append(f"{lead} {flow}{self._after(after)}")
            else:
                anchor = ""
                if value.anchor:
                    self.anchors.add(value.anchor)
                    anchor = f" &{value.anchor}"
                self.lines.append(f"{lead}{anchor}{self._after(after)}")
                self.seq(value, indent)
        else:
            if not value.items:
                self.lines.append(f"{lead} {{}}{self._after(after)}")
            else:
                self.lines.append(f"{lead}{self._after(after)}")
                self.map(value, indent)

    def map(self, mapping: Map, indent: int) -> None:
        for item in mapping.items:
            self.comments(item.above, indent)
            self.entry(" " * indent + f"{scalar(item.key)}:", item.value, item.after, indent + 2)

    def seq(self, seq: Seq, indent: int) -> None:
        pad = " " * indent
        for item in seq.items:
            self.comments(item.above, indent)
            value = item.value
            if isinstance(value, Map) and value.items:
                first, rest = value.items[0], Map(value.items[1:])
                self.comments(first.above + ([item.after] if item.after else []), indent)
                self.entry(f"{pad}- {scalar(first.key)}:", first.value, first.after, indent + 4)
                self.map(rest, indent + 2)
            else:
                self.entry(f"{pad}-", value, item.after, indent + 2)


def dump(document: Map, header: list[str] | None = None) -> str:
    """The YAML text of `document`, after `header` comment lines; ends with a newline."""
    writer = Writer()
    writer.comments(header or [], 0)
    for item in document.items:
        writer.comments(item.above, 0)
        writer.entry(f"{scalar(item.key)}:", item.value, item.after, 2)
    return "\n".join(writer.lines) + "\n"
