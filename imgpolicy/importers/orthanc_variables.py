"""Orthanc's `${VAR}` substitution in its configuration files, with positions.

Orthanc (since 1.5.0) replaces placeholders in the raw text of each configuration file
before it parses the JSON (`Toolbox::SubstituteVariables`, called by
`AddFileToConfiguration`), with the values of its process environment:

- `${NAME}`: the variable's value; an empty string when it is not set;
- `${NAME:-default}`, `${NAME:-"default"}`, `${NAME:-'default'}`: the value, or the
  default (without its quotes) when the variable is not set;
- a name is anything up to the `}` without a `:`; an empty name (`${}`, `${:-x}`) makes
  Orthanc stop with an internal error.

Since the substitution is textual, a placeholder works anywhere: inside a JSON string
(`"DicomAet": "${AET}"`), as a bare value (`"DicomPort": ${PORT}`) or in a comment. The
import runs elsewhere than Orthanc, so the values come from this process's environment and
`--env-file`; a placeholder with neither a value nor a default is "unresolved": Orthanc
would read an empty string there, the import does not guess. It stops (exit 2) naming each
one, or, with `--keep-placeholders`, keeps it as written (a bare one as a JSON string) and
reports IMPORT010 at its position. Placeholders in comments change nothing and are not
reported.

`substitute` returns the new text and a `Remap` that turns a position in it back into the
position in the file as written, so every finding and error points at the user's file.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .common import ImportFailed, read_bounded

_PATTERN = (
    r"\$\{([^:]*?)\}"  # ${NAME}
    r"|\$\{([^:]*?):-([^'\"]*?)\}"  # ${NAME:-default}
    r"|\$\{([^:]*?):-\"([^\"]*?)\"\}"  # ${NAME:-"default"}
    r"|\$\{([^:]*?):-'([^']*?)'\}"  # ${NAME:-'default'}
)
"""Orthanc's boost regex (`Toolbox::SubstituteVariables`). `_placeholders` finds exactly
what it matches, leftmost alternative first, without its backtracking: run as a regular
expression, a file of `${${${...` with no `}` takes quadratic time (16 MiB: hours)."""


class _Next:
    """The first occurrence of a character at or after an offset (bisect on its
    positions, found once), so each placeholder is matched in logarithmic time."""

    def __init__(self, text: str, char: str):
        self.positions = [m.start() for m in re.finditer(re.escape(char), text)]

    def __call__(self, offset: int) -> int:
        i = bisect.bisect_left(self.positions, offset)
        return self.positions[i] if i < len(self.positions) else -1


def _placeholders(text: str) -> list[tuple[int, int, str, str | None]]:
    """(start, end, name, default or None) of each placeholder `_PATTERN` matches, in
    order, as `re.finditer(_PATTERN, text)` would find them."""
    close, colon = _Next(text, "}"), _Next(text, ":")
    double, single = _Next(text, '"'), _Next(text, "'")
    found: list[tuple[int, int, str, str | None]] = []
    start = text.find("${")
    while start >= 0:
        body = start + 2
        end, sep = close(body), colon(body)
        match: tuple[int, int, str, str | None] | None = None
        if end >= 0 and (sep < 0 or end < sep):  # ${NAME}: no ':' before the '}'
            match = (start, end + 1, text[body:end], None)
        elif sep >= 0 and text.startswith(":-", sep):
            name, value = text[body:sep], sep + 2
            end = close(value)
            quotes = [q for q in (double(value), single(value)) if q >= 0]
            if end >= 0 and (not quotes or end < min(quotes)):  # ${NAME:-default}
                match = (start, end + 1, name, text[value:end])
            elif text[value : value + 1] in ("'", '"'):  # ${NAME:-"default"}, '...'
                quote = double if text[value] == '"' else single
                last = quote(value + 1)
                if last >= 0 and text[last + 1 : last + 2] == "}":
                    match = (start, last + 2, name, text[value + 1 : last])
        if match:
            found.append(match)
            start = text.find("${", match[1])
        else:
            start = text.find("${", start + 1)
    return found


@dataclass(frozen=True, slots=True)
class Placeholder:
    text: str
    """As written, e.g. `${AET:-PACS}`."""
    name: str
    line: int
    column: int
    context: str
    """"string", "bare" or "comment": where it stands in the JSON text."""
    source: str
    """How it was resolved: "environment", "--env-file", "default", or "unresolved"."""


@dataclass
class Substituted:
    text: str
    placeholders: list[Placeholder] = field(default_factory=list)
    remap: Remap | None = None

    def position(self, line: int, column: int) -> tuple[int, int]:
        """A (line, column) of `text` as it is in the file as written."""
        return self.remap(line, column) if self.remap else (line, column)


def _line_starts(text: str) -> list[int]:
    """Offsets where each line begins, counting \\n, \\r\\n and a lone \\r as jsonc does."""
    starts = [0]
    for match in re.finditer(r"\r\n|\r|\n", text):
        starts.append(match.end())
    return starts


class Remap:
    """Positions in the substituted text -> positions in the original text. Inside a
    substituted value, the position of its placeholder."""

    def __init__(self, original: str, new: str, edits: list[tuple[int, int, int, int]]):
        self.original_starts = _line_starts(original)
        self.new_starts = _line_starts(new)
        self.edits = edits
        """(original start, original end, new start, new end) of each replacement."""
        self.new_edit_starts = [e[2] for e in edits]

    def offset(self, new_offset: int) -> int:
        i = bisect.bisect_right(self.new_edit_starts, new_offset) - 1
        if i < 0:
            return new_offset
        old_start, old_end, _, new_end = self.edits[i]
        if new_offset < new_end:
            return old_start
        return old_end + (new_offset - new_end)

    def __call__(self, line: int, column: int) -> tuple[int, int]:
        line = min(max(line, 1), len(self.new_starts))
        old = self.offset(self.new_starts[line - 1] + column - 1)
        old_line = bisect.bisect_right(self.original_starts, old)
        return old_line, old - self.original_starts[old_line - 1] + 1


_TOKENS = re.compile(r'"(?:[^"\\\r\n]|\\.)*"?|//[^\r\n]*|/\*.*?(?:\*/|\Z)', re.S)
"""Strings and comments of JSON with comments (what is not one of them is "bare")."""


def _contexts(text: str) -> list[tuple[int, str]]:
    """(offset, context) where the lexical context changes: "string" from after a
    string's opening quote, "comment" from a comment's first character, "bare" after."""
    changes = [(0, "bare")]
    for token in _TOKENS.finditer(text):
        if token[0].startswith('"'):
            changes.append((token.start() + 1, "string"))
        else:
            changes.append((token.start(), "comment"))
        changes.append((token.end(), "bare"))
    return changes


def substitute(
    text: str,
    path: str,
    values: Mapping[str, str],
    file_values: Mapping[str, str] | None = None,
    keep: bool = False,
) -> Substituted:
    """Replace placeholders as Orthanc does (see the module); `values` is the process
    environment, `file_values` those of `--env-file` (they win). Raises `ImportFailed`
    for unresolved placeholders unless `keep`, and for an empty name."""
    if "${" not in text:
        return Substituted(text)
    file_values = file_values or {}
    starts = _line_starts(text)
    contexts = _contexts(text)
    context_offsets = [offset for offset, _ in contexts]
    parts: list[str] = []
    edits: list[tuple[int, int, int, int]] = []
    placeholders: list[Placeholder] = []
    done, new_length = 0, 0
    for begin, finish, name, default in _placeholders(text):
        written = text[begin:finish]
        line = bisect.bisect_right(starts, begin)
        column = begin - starts[line - 1] + 1
        context = contexts[bisect.bisect_right(context_offsets, begin) - 1][1]
        if not name:
            raise ImportFailed(
                f"{path}:{line}:{column}: {written!r} has no variable name; Orthanc stops "
                "with an internal error on it"
            )
        if name in file_values:
            value, source = file_values[name], "--env-file"
        elif name in values:
            value, source = values[name], "environment"
        elif default is not None:
            value, source = default, "default"
        elif context == "comment":
            value, source = "", "unresolved"
        else:
            value, source = written, "unresolved"
            if context == "bare":
                value = json.dumps(written)
        placeholders.append(Placeholder(written, name, line, column, context, source))
        parts.append(text[done:begin])
        new_length += begin - done
        edits.append((begin, finish, new_length, new_length + len(value)))
        parts.append(value)
        new_length += len(value)
        done = finish
    parts.append(text[done:])
    new = "".join(parts)
    unresolved = [p for p in placeholders if p.source == "unresolved" and p.context != "comment"]
    if unresolved and not keep:
        lines = [
            f"{path}:{p.line}:{p.column}: {p.text} is not set (IMPORT010): Orthanc would "
            "read an empty string there"
            for p in unresolved
        ]
        lines.append(
            "give the values in the environment or with --env-file FILE (KEY=VALUE lines), "
            "or pass --keep-placeholders to import them as written"
        )
        raise ImportFailed("\n".join(lines))
    return Substituted(new, placeholders, Remap(text, new, edits))


def read_env_file(path: str) -> dict[str, str]:
    """`KEY=VALUE` lines (as `docker --env-file` and systemd's `EnvironmentFile`): blank
    lines and `#` comments skipped, an `export ` prefix allowed, one pair of matching
    quotes around a value removed. Anything else is an error with its line."""
    raw = read_bounded(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        at = raw[: err.start].count(b"\n") + 1
        raise ImportFailed(f"{path}:{at}:1: not UTF-8 text") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        key, equals, value = stripped.partition("=")
        key = key.strip()
        if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", key):
            raise ImportFailed(
                f"{path}:{number}:1: expected KEY=VALUE (a variable name, '=', its value)"
            )
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values
