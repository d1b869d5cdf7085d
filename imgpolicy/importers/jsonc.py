"""JSON with comments, as Orthanc reads its configuration, with a position for every value.

Orthanc's configuration files are JSON plus `// line` and `/* block */` comments (JsonCpp
with comments allowed). Python's `json` rejects the comments, and stripping them with a
regular expression breaks on `"http://..."` or `"/*"` inside strings. The maintained
JSON5 parsers (`json5`, `commentjson`, `json-five`) accept a larger language than Orthanc
does and return no line/column for values, which the import needs to say where each
device and each finding came from. So this is a small tokenizer plus recursive-descent
parser of exactly that dialect: strict JSON values, both comment styles outside strings,
a trailing comma tolerated (JsonCpp's reader tolerates it too), a UTF-8 BOM skipped.

`parse(text)` returns the plain value (dict, list, str, int, float, bool, None) and a map
from each value's path (a tuple of keys and indexes) to where it starts; for a member of
an object, the position is that of its key, which is what a person looks for.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 200
"""Nesting levels a document may have (Orthanc's configuration uses about four)."""

Path = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Pos:
    line: int
    column: int


class JsoncError(ValueError):
    """Text that is not JSON with comments; `line` and `column` are 1-based."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(f"{line}:{column}: {message}")
        self.message = message
        self.line = line
        self.column = column


@dataclass
class Parsed:
    value: Any
    positions: dict[Path, Pos]
    """Path of every value -> where it starts (its key, for an object member)."""

    def pos(self, *path: Any) -> Pos:
        """Where `path` is, or the nearest enclosing value that exists."""
        path = tuple(path)
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, Pos(1, 1))


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_WORDS = {"true": True, "false": False, "null": None}


class _Parser:
    def __init__(self, text: str):
        if text.startswith("\ufeff"):
            text = text[1:]
        self.text = text
        self.i = 0
        self.line = 1
        self.line_start = 0
        self.positions: dict[Path, Pos] = {}

    # --- positions --------------------------------------------------------------------

    def here(self) -> Pos:
        return Pos(self.line, self.i - self.line_start + 1)

    def error(self, message: str, at: Pos | None = None) -> JsoncError:
        at = at or self.here()
        return JsoncError(message, at.line, at.column)

    def advance(self, n: int = 1) -> None:
        """Move over `n` characters, counting lines (\\n, \\r\\n and a lone \\r)."""
        text = self.text
        for _ in range(n):
            char = text[self.i]
            self.i += 1
            if char == "\n" or (char == "\r" and text[self.i : self.i + 1] != "\n"):
                self.line += 1
                self.line_start = self.i

    # --- whitespace and comments ------------------------------------------------------

    def skip(self) -> None:
        text = self.text
        while self.i < len(text):
            char = text[self.i]
            if char in " \t\r\n":
                self.advance()
            elif text.startswith("//", self.i):
                while self.i < len(text) and text[self.i] not in "\r\n":
                    self.i += 1
            elif text.startswith("/*", self.i):
                start = self.here()
                end = text.find("*/", self.i + 2)
                if end < 0:
                    raise self.error("comment '/*' is never closed with '*/'", start)
                self.advance(end + 2 - self.i)
            else:
                return

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def describe(self) -> str:
        char = self.peek()
        if not char:
            return "the end of the file"
        return f"'{char}'" if char.isprintable() else f"character U+{ord(char):04X}"

    # --- values -----------------------------------------------------------------------

    def document(self) -> Parsed:
        self.skip()
        value = self.value((), 0)
        self.skip()
        if self.i < len(self.text):
            raise self.error(f"unexpected {self.describe()} after the end of the JSON value")
        return Parsed(value, self.positions)

    def value(self, path: Path, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.error(f"nested deeper than {MAX_DEPTH} levels")
        self.positions.setdefault(path, self.here())
        char = self.peek()
        if char == "{":
            return self.object(path, depth)
        if char == "[":
            return self.array(path, depth)
        if char == '"':
            return self.string()
        if char == "-" or char.isdigit():
            return self.number()
        for word, result in _WORDS.items():
            if self.text.startswith(word, self.i):
                self.advance(len(word))
                return result
        if char == "'":
            raise self.error("strings are written in double quotes in JSON")
        raise self.error(
            f"expected a value (object, array, string, number, true, false or "
            f"null), found {self.describe()}"
        )

    def object(self, path: Path, depth: int) -> dict:
        start = self.here()
        self.advance()
        result: dict[str, Any] = {}
        self.skip()
        while self.peek() != "}":
            if not self.peek():
                raise self.error("object opened here is never closed with '}'", start)
            if self.peek() != '"':
                raise self.error(
                    f"expected a key in double quotes or '}}', found {self.describe()}"
                )
            key_pos = self.here()
            key = self.string()
            self.skip()
            if self.peek() != ":":
                raise self.error(f"expected ':' after the key \"{key}\", found {self.describe()}")
            self.advance()
            self.skip()
            self.positions[(*path, key)] = key_pos  # a repeated key: the last one wins,
            result[key] = self.value((*path, key), depth + 1)  # as in JsonCpp
            self.skip()
            if self.peek() == ",":
                self.advance()
                self.skip()
            elif self.peek() != "}":
                if not self.peek():
                    raise self.error("object opened here is never closed with '}'", start)
                raise self.error(
                    f"expected ',' or '}}' after the value of \"{key}\", found {self.describe()}"
                )
        self.advance()
        return result

    def array(self, path: Path, depth: int) -> list:
        start = self.here()
        self.advance()
        result: list[Any] = []
        self.skip()
        while self.peek() != "]":
            if not self.peek():
                raise self.error("array opened here is never closed with ']'", start)
            self.positions[(*path, len(result))] = self.here()
            result.append(self.value((*path, len(result)), depth + 1))
            self.skip()
            if self.peek() == ",":
                self.advance()
                self.skip()
            elif self.peek() != "]":
                if not self.peek():
                    raise self.error("array opened here is never closed with ']'", start)
                raise self.error(f"expected ',' or ']' in the array, found {self.describe()}")
        self.advance()
        return result

    def string(self) -> str:
        start = self.here()
        text = self.text
        self.i += 1
        parts: list[str] = []
        while True:
            if self.i >= len(text):
                raise self.error("string is never closed with '\"'", start)
            char = text[self.i]
            if char == '"':
                self.i += 1
                break
            if char in "\r\n":
                raise self.error("string is never closed with '\"' on its line", start)
            if char == "\\":
                esc = text[self.i + 1 : self.i + 2]
                if esc in _ESCAPES:
                    parts.append(_ESCAPES[esc])
                    self.i += 2
                elif esc == "u":
                    parts.append(self.unicode_escape())
                else:
                    raise self.error(
                        f"unknown escape '\\{esc}' in a string (a Windows path needs '\\\\' or '/')"
                    )
                continue
            if ord(char) < 0x20:
                raise self.error(
                    f"control character U+{ord(char):04X} in a string: write it as an escape"
                )
            parts.append(char)
            self.i += 1
        return "".join(parts)

    def unicode_escape(self) -> str:
        def hex4(at: int) -> int | None:
            digits = self.text[at : at + 4]
            if len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
                return int(digits, 16)
            return None

        code = hex4(self.i + 2)
        if code is None:
            raise self.error("'\\u' must be followed by four hexadecimal digits")
        self.i += 6
        if 0xD800 <= code < 0xDC00 and self.text.startswith("\\u", self.i):
            low = hex4(self.i + 2)
            if low is not None and 0xDC00 <= low < 0xE000:
                self.i += 6
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
        return chr(code)

    def number(self) -> int | float:
        text = self.text
        start = self.i
        j = start
        if text[j : j + 1] == "-":
            j += 1
        if text[j : j + 1] == "0":
            j += 1
        elif text[j : j + 1].isdigit():
            while text[j : j + 1].isdigit():
                j += 1
        else:
            raise self.error("'-' must be followed by a digit")
        is_float = False
        if text[j : j + 1] == "." and text[j + 1 : j + 2].isdigit():
            is_float = True
            j += 1
            while text[j : j + 1].isdigit():
                j += 1
        if text[j : j + 1] in ("e", "E"):
            k = j + 1
            if text[k : k + 1] in ("+", "-"):
                k += 1
            if text[k : k + 1].isdigit():
                is_float = True
                j = k
                while text[j : j + 1].isdigit():
                    j += 1
        if text[j : j + 1].isalnum() or text[j : j + 1] in ("_", "."):
            self.i = j
            raise self.error(f"unexpected {self.describe()} in a number")
        literal = text[start:j]
        digits, limit = len(literal.lstrip("-")), sys.get_int_max_str_digits()
        if not is_float and limit and digits > limit:  # int() would raise ValueError
            raise self.error(
                f"a number of {digits} digits: more than the {limit} digits a number may have"
            )
        self.i = j
        return float(literal) if is_float else int(literal)


def parse(text: str) -> Parsed:
    """Parse JSON with comments; raises `JsoncError` with line and column on bad input."""
    return _Parser(text).document()
