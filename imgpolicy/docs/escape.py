"""Escaping user text for each output: Markdown (GFM tables), Mermaid labels, XML/SVG.

Everything a user wrote (names, descriptions, AE titles, URLs) reaches the documents
through one of these functions, so a description holding `|`, a newline or markup cannot
break a table, a diagram or the page. HTML gets Jinja2's autoescaping on top.
"""

from __future__ import annotations

import re
from html import escape as _html_escape


class MdSafe(str):
    """Markdown that is already escaped (the Markdown counterpart of markupsafe.Markup)."""

    __slots__ = ()


_MD_SPECIAL = re.compile(r"[\\`*_\[\]<>|$~]|&(?=#?\w+;)")


def md(value: object) -> MdSafe:
    """User text for a Markdown table cell or paragraph: every character that GFM (or
    GitHub's `$` math) would read as syntax is backslash-escaped or written as an entity,
    and newlines become `<br>` so a cell stays on its row."""
    if value is None:
        return MdSafe("")
    if isinstance(value, MdSafe):
        return value
    text = str(value)

    def sub(match: re.Match) -> str:
        char = match.group(0)
        if char == "<":
            return "&lt;"
        if char == ">":
            return "&gt;"
        if char == "&":
            return "&amp;"
        return "\\" + char

    if "\n" not in text and "\r" not in text:
        return MdSafe(_MD_SPECIAL.sub(sub, text))
    lines = [_MD_SPECIAL.sub(sub, line).strip() for line in text.strip().splitlines()]
    return MdSafe("<br>".join(line for line in lines if line))


def md_code(value: object) -> MdSafe:
    """An identifier (AE title, UID, path) as a GFM code span that cannot break a table:
    the fence is longer than any backtick run inside, `|` is escaped (GFM splits cells
    before it reads code spans), and newlines become spaces."""
    if value is None or value == "":
        return MdSafe("")
    text = " ".join(str(value).split("\n")).replace("\r", " ")
    text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = (
        " "
        if text.startswith("`")
        or text.endswith("`")
        or (text.startswith(" ") and text.endswith(" ") and text.strip())
        else ""
    )
    return MdSafe(f"{fence}{pad}{text}{pad}{fence}")


_MERMAID_SPECIAL = re.compile(r"[#&\"<>|`\[\]{}()\\;]")


def mermaid_text(value: object) -> str:
    """Text for a Mermaid label inside `"..."`: characters Mermaid or its HTML labels
    would interpret become numeric entity codes (`#60;`), newlines become spaces."""
    text = " ".join(str(value or "").split())
    return _MERMAID_SPECIAL.sub(lambda m: f"#{ord(m.group(0))};", text)


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


class MermaidIds:
    """Node ids derived from names: ASCII letters, digits and `_` only, with a prefix (so
    no id is a Mermaid keyword such as `end`), unique even when two names sanitize to the
    same text."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], str] = {}
        self._used: set[str] = set()

    def __call__(self, kind: str, name: str) -> str:
        key = (kind, name)
        if key not in self._ids:
            base = f"{kind}_{_ID_UNSAFE.sub('_', name)}"
            candidate, n = base, 2
            while candidate in self._used:
                candidate, n = f"{base}_{n}", n + 1
            self._used.add(candidate)
            self._ids[key] = candidate
        return self._ids[key]


def xml(value: object) -> str:
    """Text or attribute value for SVG/XML."""
    return _html_escape(str(value if value is not None else ""), quote=True)


_SLUG_DROP = re.compile(r"[^\w\- ]")


def slug(title: str) -> str:
    """The anchor GitHub and GitLab give a heading (lowercase, punctuation dropped, spaces
    to hyphens), so a table of contents links work in both the Markdown and the HTML."""
    return _SLUG_DROP.sub("", title.strip().lower()).replace(" ", "-")
