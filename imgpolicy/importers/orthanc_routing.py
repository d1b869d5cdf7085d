"""Where an Orthanc sends studies: auto-routing scripts as routes, peers and DICOMweb
servers as integrations, the DICOMweb plugin as a service of the device.

Scripts (`LuaScripts`, the Python plugin's `PythonScript` or `Python.Path`, paths relative
to the configuration's folder as Orthanc reads them) are read with `fsutil.read_bounded`
and analysed, never run: Lua by a small tokenizer, Python by `ast`. A transfer becomes a
route from Orthanc's AE to the target modality's AE when it is statically clear: a
`SendToModality(id, 'name')` or `RestApiPost('/modalities/name/store', ...)` in a callback
Orthanc runs for what it receives (Lua `OnStoredInstance`, `OnStableStudy`,
`OnStableSeries`, `OnStablePatient`; Python `RegisterOnStoredInstanceCallback`,
`RegisterOnChangeCallback`), unconditionally or under tests of the Modality, the SOP
class or the calling AE title, which become the route's `match`. Anything else (a
computed target, a loop, another condition) is an IMPORT013 finding at the script's line
saying why; a transfer to an Orthanc peer or a DICOMweb server is IMPORT022 (its
integration carries it).

`OrthancPeers` and `DicomWeb.Servers` become `integrations` of kind dicomweb from the
Orthanc device to a device for the peer (an imported modality with the same host, else a
new one): the endpoint without user info, the user name, and the password only as a
`${ENV}` reference marked `edit:`. imgpolicy's integrations need a client device, which
Orthanc's configuration does not name, so the DICOMweb plugin's own service (`DicomWeb.
Enable`, `Root`) is a comment on the device; plain HTTP is IMPORT021 either way.
"""

from __future__ import annotations

import ast
import json
import os
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import fsutil
from ..redact import ENV_REFERENCE
from .common import (
    MAX_SOURCE_BYTES,
    Device,
    ImportResult,
    Integration,
    Names,
    Route,
    Where,
    safe_name,
)
from .orthanc_posture import ConfigView, http, option, written_placeholder

MAX_DEPTH = 60
"""Nesting of conditions analysed; deeper ones are reported as not imported."""

KEYS = {  # tag or origin field a script tests -> the RouteMatch field it becomes
    "Modality": "modality",
    "SOPClassUID": "sop_classes",
    "RemoteAet": "calling_ae",
    "RemoteAET": "calling_ae",
}
INSTANCE_KEYS = {"Modality", "SOPClassUID"}
SENDING = ("SendToModality", "SendToPeer", "RestApiPost")
"""The Lua functions that start a transfer (RestApiPost: when its URI is a store)."""
"""Instance-level tags: absent from the study, series or patient tags of OnStable*."""

LUA_CALLBACKS = {  # callback -> (per, the index of its tags/metadata/origin parameters)
    "OnStoredInstance": "each instance",
    "OnStableStudy": "each stable study",
    "OnStableSeries": "each stable series",
    "OnStablePatient": "each stable patient",
}


# --- conditions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Atom:
    """`<key> == value` (`equal`) or `<key> ~= value`."""

    key: str
    equal: bool
    value: str


@dataclass(frozen=True)
class Origin:
    """A test of how the instance arrived or what triggered the callback (Lua
    `RequestOrigin`, Python `orthanc.ChangeType`/`InstanceOrigin`): a loop guard or a
    trigger, which a route describing DICOM arrivals needs no match for. Lua's is kept
    only when it lets DICOM arrivals through (`~= 'Lua'`, `== 'DicomProtocol'`)."""

    text: str
    equal: bool | None = None
    """Lua: `==` (True) or `~=` (False) against `value`; None: always neutral."""
    value: str = ""

    def neutral(self, negate: bool) -> bool:
        if self.equal is None:
            return True
        equal = self.equal != negate
        return (not equal and self.value == "Lua") or (equal and self.value == "DicomProtocol")


@dataclass(frozen=True)
class Opaque:
    text: str


@dataclass(frozen=True)
class Op:
    kind: str  # "and", "or", "not"
    parts: tuple[Any, ...]


class Unclear(Exception):
    """A condition a route's match cannot state; the message says why."""


Match = dict[str, tuple[frozenset[str] | None, frozenset[str]]]
"""Key -> (the values it must have, None: any; the values it must not have)."""


def to_match(expr: Any, negate: bool = False, depth: int = 0) -> Match:
    """The route match `expr` (negated when `negate`) selects; `Unclear` when none can."""
    if depth > MAX_DEPTH:
        raise Unclear("the condition is nested too deeply to analyse")
    if isinstance(expr, Origin):
        if expr.neutral(negate):
            return {}
        raise Unclear(f"the condition `{_short(expr.text)}` does not map to a route match")
    if isinstance(expr, Opaque):
        raise Unclear(f"the condition `{_short(expr.text)}` does not map to a route match")
    if isinstance(expr, Atom):
        equal = expr.equal != negate
        value = frozenset([expr.value])
        return {expr.key: (value, frozenset()) if equal else (None, value)}
    if expr.kind == "not":
        return to_match(expr.parts[0], not negate, depth + 1)
    parts = [to_match(p, negate, depth + 1) for p in expr.parts]
    if (expr.kind == "and") != negate:
        return _all_of(parts)
    return _any_of(parts)


def _all_of(parts: list[Match]) -> Match:
    merged: Match = {}
    for part in parts:
        for key, (want, avoid) in part.items():
            have, had = merged.get(key, (None, frozenset()))
            both = want if have is None else have if want is None else have & want
            merged[key] = (both, had | avoid)
    return merged


def _any_of(parts: list[Match]) -> Match:
    if any(not p for p in parts):
        return {}  # one side is always true
    keys = {key for p in parts for key in p}
    if len(keys) != 1 or any(p[k][1] or p[k][0] is None for p in parts for k in p):
        raise Unclear("an `or` across different tags or of exclusions does not map to a match")
    (key,) = keys
    values: frozenset[str] = frozenset()
    for part in parts:
        values |= part[key][0] or frozenset()
    return {key: (values, frozenset())}


def final_match(match: Match) -> dict[str, list[str]]:
    """The RouteMatch fields of a match; `Unclear` for exclusions or an impossible one."""
    fields: dict[str, list[str]] = {}
    for key, (want, avoid) in sorted(match.items()):
        if want is None:
            excluded = ", ".join(sorted(avoid))
            raise Unclear(
                f"it sends everything but {key} {excluded}, which a route's match cannot say"
            )
        values = sorted(want - avoid)
        if not values:
            raise Unclear(f"the condition on {key} is never true")
        target = KEYS[key]
        fields[target] = sorted(set(fields.get(target, [])) | set(values))
    return fields


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


# --- what a script sends ----------------------------------------------------------------


@dataclass
class Send:
    """One transfer a script starts, as far as reading it tells."""

    where: Where
    call: str
    callback: str
    kind: str  # "modality", "peer", "dicomweb"
    target: str | None = None
    local_aet: str | None = None
    match: dict[str, list[str]] = field(default_factory=dict)
    why_not: str | None = None
    then_delete: bool = False
    language: str = "Lua"


_REST_TARGETS = (
    (re.compile(r"/modalities/([^/]+)/store/?"), "modality"),
    (re.compile(r"/peers/([^/]+)/store/?"), "peer"),
    (re.compile(r"/dicom-web/servers/([^/]+)/stow/?"), "dicomweb"),
)


def rest_target(uri: str) -> tuple[str, str] | None:
    """(kind, name) of a REST route that sends studies, else None."""
    for pattern, kind in _REST_TARGETS:
        found = pattern.fullmatch(uri.strip())
        if found:
            return kind, urllib.parse.unquote(found.group(1))
    return None


# --- Lua -------------------------------------------------------------------------------


LUA_KEYWORDS = frozenset(
    {
        *("and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto"),
        *("if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true"),
        *("until", "while"),
    }
)
_LUA_TOKEN = re.compile(
    r"""(?P<space>[ \t\r\n\f\v]+)
    |(?P<comment>--(?:\[(?P<ceq>=*)\[)?)
    |(?P<long>\[(?P<leq>=*)\[)
    |(?P<quote>["'])
    |(?P<num>0[xX][0-9A-Fa-f.]*(?:[pP][+-]?\d+)?|\d*\.?\d+(?:[eE][+-]?\d+)?\.?\d*)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>\.\.\.|\.\.|==|~=|<=|>=|//|::|<<|>>|[-+*/%^\#&~|<>=(){}\[\];:,.])""",
    re.VERBOSE,
)
_LUA_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "\n": "\n"}


@dataclass(frozen=True)
class Tok:
    kind: str  # "name", "kw", "str", "num", "op"
    text: str
    offset: int


class LuaError(Exception):
    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def lua_tokens(text: str) -> list[Tok]:
    """Lua 5.x tokens (comments and spaces dropped); `LuaError` where Lua would not load."""
    tokens: list[Tok] = []
    i, end = 0, len(text)
    while i < end:
        found = _LUA_TOKEN.match(text, i)
        if not found:
            raise LuaError(f"unexpected character {text[i]!r}", i)
        kind = found.lastgroup
        if found.group("comment") is not None:
            if found.group("ceq") is not None:
                close = text.find("]" + found.group("ceq") + "]", found.end())
                if close < 0:
                    raise LuaError("unfinished long comment", i)
                i = close + len(found.group("ceq")) + 2
            else:
                newline = text.find("\n", i)
                i = end if newline < 0 else newline
            continue
        if found.group("long") is not None:
            close = text.find("]" + found.group("leq") + "]", found.end())
            if close < 0:
                raise LuaError("unfinished long string", i)
            body = text[found.end() : close]
            tokens.append(Tok("str", body[1:] if body.startswith("\n") else body, i))
            i = close + len(found.group("leq")) + 2
            continue
        if found.group("quote") is not None:
            value, i = _lua_quoted(text, i)
            tokens.append(Tok("str", value, found.start()))
            continue
        if kind == "space":
            i = found.end()
            continue
        word = found.group()
        if kind == "name" and word in LUA_KEYWORDS:
            kind = "kw"
        tokens.append(Tok(kind or "op", word, i))
        i = found.end()
    return tokens


def _lua_quoted(text: str, start: int) -> tuple[str, int]:
    quote, i, out = text[start], start + 1, list[str]()
    while i < len(text):
        char = text[i]
        if char == quote:
            return "".join(out), i + 1
        if char == "\n":
            break
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(_LUA_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    raise LuaError("unfinished string", start)


class _Lines:
    """Offsets -> line:column (1-based), for positions in findings."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> tuple[int, int]:
        import bisect

        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


@dataclass
class _Frame:
    kind: str  # "if", "loop", "function", "do"
    conditions: list[Any] = field(default_factory=list)
    """For `if`: the conditions of the branches so far; the last is the current one."""
    branch: str = "then"  # "then", "elseif", "else"

    def condition(self) -> Any:
        """What must hold in the current branch (earlier branches were false)."""
        earlier = [Op("not", (c,)) for c in self.conditions[:-1]]
        if self.branch == "else":
            earlier.append(Op("not", (self.conditions[-1],)))
            return Op("and", tuple(earlier))
        return Op("and", (*earlier, self.conditions[-1]))


class LuaScript:
    """The callbacks of one Lua script and the transfers they start."""

    def __init__(self, path: str, text: str, constants: dict[str, str]):
        self.path = path
        self.text = text
        self.lines = _Lines(text)
        self.tokens = lua_tokens(text)
        self.constants = constants
        """Names bound to a string at the top level of the scripts (`local PACS = 'pacs'`)."""

    def where(self, offset: int, what: str = "") -> Where:
        line, column = self.lines.at(offset)
        return Where(self.path, line, column, what)

    def functions(self) -> Iterator[tuple[str, list[str], int, int, int]]:
        """(name, parameters, offset, first body token, end token) of each top-level
        `function NAME(...)`, and the top-level string constants as they are met."""
        toks, i, n = self.tokens, 0, len(self.tokens)
        while i < n:
            tok = toks[i]
            if tok.kind == "kw" and tok.text == "function":
                name_end = i + 1
                while name_end < n and toks[name_end].text != "(":
                    name_end += 1
                name = "".join(t.text for t in toks[i + 1 : name_end])
                params, body = self._params(name_end)
                close = self._block_end(body, at=tok.offset)
                yield name, params, tok.offset, body, close
                i = close + 1
                continue
            if tok.kind == "kw" and tok.text in ("if", "do", "while", "for", "repeat"):
                i = self._block_end(i + 1, opener=tok.text, at=tok.offset) + 1
                continue
            self._constant(i)
            i += 1

    def _constant(self, i: int) -> None:
        toks = self.tokens
        if (
            i + 2 < len(toks)
            and toks[i].kind == "name"
            and toks[i + 1].text == "="
            and toks[i + 2].kind == "str"
            and (i + 3 == len(toks) or toks[i + 3].text not in ("..", "[", ".", ":", "("))
        ):
            self.constants[toks[i].text] = toks[i + 2].text

    def _params(self, open_paren: int) -> tuple[list[str], int]:
        toks, i = self.tokens, open_paren + 1
        params = []
        while i < len(toks) and toks[i].text != ")":
            if toks[i].kind == "name":
                params.append(toks[i].text)
            i += 1
        return params, i + 1

    def _block_end(self, i: int, opener: str = "function", at: int = 0) -> int:
        """The index of the `end` (or `until`) that closes a block whose body starts at i;
        `LuaError` at the block's keyword (offset `at`) when nothing closes it."""
        toks, depth = self.tokens, 1
        pending_do = opener in ("while", "for")
        while i < len(toks):
            tok = toks[i]
            if tok.kind == "kw":
                if tok.text in ("function", "if", "repeat"):
                    depth += 1
                elif tok.text in ("while", "for"):
                    depth += 1
                    pending_do = True
                elif tok.text == "do":
                    if pending_do:
                        pending_do = False
                    else:
                        depth += 1
                elif tok.text in ("end", "until"):
                    depth -= 1
                    if depth == 0:
                        return i
            i += 1
        closer = "until" if opener == "repeat" else "end"
        raise LuaError(f"this `{opener}` is not closed by `{closer}`", at)


def read_lua(path: str, text: str, constants: dict[str, str], result: ImportResult):
    """The script's top-level functions, or None (IMPORT013) when Lua would not load it."""
    try:
        script = LuaScript(path, text, constants)
        return script, list(script.functions())
    except LuaError as err:
        line, column = _Lines(text).at(err.offset)
        result.add(
            "IMPORT013",
            f"the Lua script does not load ({err}): Orthanc would refuse it; its routing "
            "was not imported",
            Where(path, line, column),
        )
        return None


def lua_sends(script: LuaScript, name: str, params: list[str], body: int, close: int) -> list[Send]:
    """The transfers a callback starts, each with its match or why it has none."""
    walker = _LuaCallback(script, name, params, body, close)
    return walker.run()


class _LuaCallback:
    def __init__(self, script: LuaScript, name: str, params: list[str], body: int, close: int):
        self.script = script
        self.name = name
        self.per_instance = name == "OnStoredInstance"
        self.tables = set(params[1:])
        self.toks = script.tokens
        self.body, self.close = body, close
        self.aliases: dict[str, str] = {}
        self.constants = dict(script.constants)
        self.frames: list[_Frame] = []
        self.guards: list[Any] = []
        self.sends: list[Send] = []

    def run(self) -> list[Send]:
        i = self.body
        while i < self.close:
            i = self._step(i)
        return self.sends

    def _step(self, i: int) -> int:
        tok = self.toks[i]
        if tok.kind == "kw":
            return self._keyword(tok.text, i)
        if tok.kind == "name" and tok.text in SENDING and self.toks[i + 1].text == "(":
            return self._call(i)
        if tok.kind == "name" and self.toks[i + 1].text == "=" and not self.frames:
            self._local(i)
        return i + 1

    def _keyword(self, word: str, i: int) -> int:
        if word == "if":
            cond, j = self._condition(i + 1, "then")
            self.frames.append(_Frame("if", [cond]))
            return j
        if word == "elseif" and self.frames and self.frames[-1].kind == "if":
            cond, j = self._condition(i + 1, "then")
            self.frames[-1].conditions.append(cond)
            self.frames[-1].branch = "elseif"
            return j
        if word == "else" and self.frames and self.frames[-1].kind == "if":
            self.frames[-1].branch = "else"
            return i + 1
        if word in ("while", "for"):
            j = i + 1
            while j < self.close and not (self.toks[j].kind == "kw" and self.toks[j].text == "do"):
                j += 1
            self.frames.append(_Frame("loop"))
            return j + 1
        if word == "repeat":
            self.frames.append(_Frame("loop"))
            return i + 1
        if word == "function":
            self.frames.append(_Frame("function"))
            return i + 1
        if word == "do":
            self.frames.append(_Frame("do"))
            return i + 1
        if word in ("end", "until") and self.frames:
            self.frames.pop()
            return i + 1
        if word == "return" and self.frames:
            self._guard()
        return i + 1

    def _guard(self) -> None:
        """`if cond then return end`: what follows runs only when cond is false."""
        if any(f.kind != "if" for f in self.frames):
            return
        self.guards.append(Op("and", tuple(f.condition() for f in self.frames)))

    def _local(self, i: int) -> None:
        """`m = tags['Modality']` (or `local m = ...`): m stands for the tag."""
        ref, _ = self._key_ref(i + 2)
        if ref:
            self.aliases[self.toks[i].text] = ref
        elif self._tok(i + 2).kind == "str" and self._tok(i + 3).text != "..":
            self.constants[self.toks[i].text] = self._tok(i + 2).text

    def _tok(self, i: int) -> Tok:
        """The token at i, or an empty one past the end (a script cut short)."""
        return self.toks[i] if i < len(self.toks) else Tok("end", "", len(self.script.text))

    def _condition(self, i: int, stop: str) -> tuple[Any, int]:
        j, depth = i, 0
        while j < self.close:
            tok = self.toks[j]
            if tok.text in ("(", "[", "{"):
                depth += 1
            elif tok.text in (")", "]", "}"):
                depth -= 1
            elif tok.kind == "kw" and tok.text == stop and depth <= 0:
                break
            j += 1
        return _LuaExpr(self, i, j).parse(), j + 1

    def _key_ref(self, i: int) -> tuple[str | None, int]:
        """(tag key, next index) when tokens at i read `tags['Key']`, `tags.Key` or an
        alias of one."""
        tok = self._tok(i)
        if tok.kind != "name":
            return None, i
        if tok.text in self.tables:
            after = [self._tok(i + k) for k in (1, 2, 3)]
            if after[0].text == "[" and after[1].kind == "str" and after[2].text == "]":
                return after[1].text, i + 4
            if after[0].text == "." and after[1].kind == "name":
                return after[1].text, i + 3
            return None, i
        if tok.text in self.aliases:
            return self.aliases[tok.text], i + 1
        return None, i

    def _args(self, open_paren: int) -> tuple[list[list[Tok]], int]:
        args: list[list[Tok]] = [[]]
        depth, j = 0, open_paren + 1
        while j < self.close:  # an unclosed `(` ends with the callback
            tok = self.toks[j]
            if tok.text in ("(", "[", "{"):
                depth += 1
            elif tok.text in (")", "]", "}"):
                if depth == 0:
                    break
                depth -= 1
            elif tok.text == "," and depth == 0:
                args.append([])
                j += 1
                continue
            args[-1].append(tok)
            j += 1
        return ([] if args == [[]] else args), j + 1

    def _string(self, arg: list[Tok]) -> str | None:
        """The value of a string argument: literals and constants joined by `..`."""
        parts = []
        for k, tok in enumerate(arg):
            if k % 2 == 1:
                if tok.text != "..":
                    return None
            elif tok.kind == "str":
                parts.append(tok.text)
            elif tok.kind == "name" and tok.text in self.constants:
                parts.append(self.constants[tok.text])
            else:
                return None
        return "".join(parts) if arg else None

    def _call(self, i: int) -> int:
        func = self.toks[i].text
        args, after = self._args(i + 1)
        start = self.toks[i].offset
        end_offset = self.toks[after - 1].offset + 1
        call = _short(self.script.text[start:end_offset], 80)
        delete = i >= 2 and self.toks[i - 1].text == "(" and self.toks[i - 2].text == "Delete"
        send = Send(self.script.where(start, func), call, self.name, "modality", then_delete=delete)
        if func == "RestApiPost":
            uri = self._string(args[0]) if args else None
            if uri is None:
                if args and any(t.kind == "str" and "/store" in t.text for t in args[0]):
                    send.why_not = "the URI is computed at run time"
                    self._finish(send)
                return after
            target = rest_target(uri)
            if target is None:
                return after  # not a transfer
            send.kind, send.target = target
        else:
            send.kind = "peer" if func == "SendToPeer" else "modality"
            send.target = self._string(args[1]) if len(args) > 1 else None
            if send.target is None:
                send.why_not = "the target is computed at run time"
            if len(args) > 2:
                send.local_aet = self._string(args[2])
        self._finish(send)
        return after

    def _finish(self, send: Send) -> None:
        if send.why_not is None:
            if any(f.kind == "loop" for f in self.frames):
                send.why_not = "it runs in a loop"
            elif any(f.kind == "function" for f in self.frames):
                send.why_not = "it runs in a nested function, whenever that is called"
        if send.why_not is None:
            conditions = [f.condition() for f in self.frames if f.kind == "if"]
            conditions += [Op("not", (g,)) for g in self.guards]
            try:
                send.match = final_match(to_match(Op("and", tuple(conditions))))
                if (
                    not self.per_instance
                    and {k for k, v in KEYS.items() if v in send.match} & INSTANCE_KEYS
                ):
                    raise Unclear(
                        f"{self.name} gets study-level tags, which hold no Modality or "
                        "SOP Class UID"
                    )
            except Unclear as why:
                send.why_not = str(why)
        self.sends.append(send)


class _LuaExpr:
    """A Lua condition as `Op`/`Atom`/`Origin`/`Opaque` (precedence: or < and < not <
    comparison); anything but tests of a tag against a string is opaque. Works on the
    callback's tokens `start`..`stop` (absolute indexes)."""

    def __init__(self, callback: _LuaCallback, start: int, stop: int):
        self.cb = callback
        self.toks = callback.toks
        self.start, self.stop = start, stop
        self.i = start
        self.depth = 0

    def parse(self) -> Any:
        try:
            expr = self._or()
        except RecursionError:
            return Opaque(self._text(self.start, self.stop))
        if self.i < self.stop:
            return Opaque(self._text(self.start, self.stop))
        return expr

    def _text(self, a: int, b: int) -> str:
        return " ".join(t.text if t.kind != "str" else repr(t.text) for t in self.toks[a:b])

    def _peek(self) -> str | None:
        return self.toks[self.i].text if self.i < self.stop else None

    def _or(self) -> Any:
        parts = [self._and()]
        while self._peek() == "or":
            self.i += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else Op("or", tuple(parts))

    def _and(self) -> Any:
        parts = [self._not()]
        while self._peek() == "and":
            self.i += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else Op("and", tuple(parts))

    def _not(self) -> Any:
        if self._peek() == "not" and self.depth < MAX_DEPTH:
            self.i += 1
            self.depth += 1
            inner = self._not()
            self.depth -= 1
            return Op("not", (inner,))
        return self._primary()

    def _primary(self) -> Any:
        start = self.i
        if self._peek() == "(" and self.depth < MAX_DEPTH:
            self.depth += 1
            self.i += 1
            inner = self._or()
            self.depth -= 1
            if self._peek() == ")":
                self.i += 1
                if self._peek() in (None, "and", "or", ")", "then"):
                    return inner
        self.i = start
        atom = self._comparison()
        if atom is not None:
            return atom
        self._skip_operand()
        return Opaque(self._text(start, self.i))

    def _comparison(self) -> Any:
        """`ref == 'v'`, `'v' == ref`, `ref ~= 'v'` as an Atom (or Origin), else None."""
        start = self.i
        left = self._side()
        op = self._peek()
        if left is None or op not in ("==", "~="):
            self.i = start
            return None
        self.i += 1
        right = self._side()
        if right is None or {left[0], right[0]} != {"key", "str"}:
            self.i = start
            return None
        if self._peek() not in (None, "and", "or", ")"):
            self.i = start
            return None
        key = left[1] if left[0] == "key" else right[1]
        value = right[1] if left[0] == "key" else left[1]
        text = self._text(start, self.i)
        if key == "RequestOrigin":
            return Origin(text, op == "==", value)
        if key not in KEYS:
            return Opaque(text)
        return Atom(key, op == "==", value)

    def _side(self) -> tuple[str, str] | None:
        if self.i >= self.stop:
            return None
        tok = self.toks[self.i]
        if tok.kind == "str":
            self.i += 1
            return "str", tok.text
        key, after = self.cb._key_ref(self.i)
        if key is not None and after <= self.stop:
            self.i = after
            return "key", key
        if tok.kind == "name" and tok.text in self.cb.constants:
            self.i += 1
            return "str", self.cb.constants[tok.text]
        return None

    def _skip_operand(self) -> None:
        """Past one operand that is not understood, to the next `and`/`or` of this level."""
        depth = 0
        while self.i < self.stop:
            text = self.toks[self.i].text
            if depth == 0 and text in ("and", "or", ")"):
                break
            if text in ("(", "[", "{"):
                depth += 1
            elif text in (")", "]", "}"):
                depth -= 1
            self.i += 1
        if self.i == self.start and self.i < self.stop:
            self.i += 1  # a stray `)`: consume it so parsing moves on


# --- Python ------------------------------------------------------------------------------


class _PyCallback:
    """The transfers one registered Python callback starts."""

    def __init__(
        self, path: str, func: ast.FunctionDef, per_instance: bool, constants: dict[str, str]
    ):
        self.path = path
        self.func = func
        self.per_instance = per_instance
        self.constants = constants
        self.aliases: dict[str, str] = {}
        self.sends: list[Send] = []

    def run(self) -> list[Send]:
        self._block(self.func.body, [], "")
        return self.sends

    def _block(self, body: list[ast.stmt], conditions: list[Any], why: str) -> None:
        conditions = list(conditions)
        for stmt in body:
            self._statement(stmt, conditions, why)
            if isinstance(stmt, ast.If) and _returns(stmt.body) and not stmt.orelse:
                conditions.append(Op("not", (self._expr(stmt.test),)))

    def _statement(self, stmt: ast.stmt, conditions: list[Any], why: str) -> None:
        if isinstance(stmt, ast.If):
            test = self._expr(stmt.test)
            self._block(stmt.body, [*conditions, test], why)
            self._block(stmt.orelse, [*conditions, Op("not", (test,))], why)
        elif isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            self._block(stmt.body, conditions, why or "it runs in a loop")
            self._block(stmt.orelse, conditions, why or "it runs after a loop")
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            self._block(stmt.body, conditions, why)
        elif isinstance(stmt, ast.Try):
            self._block(stmt.body, conditions, why)
            for handler in stmt.handlers:
                self._block(handler.body, conditions, why or "it runs when an exception occurs")
            self._block(stmt.orelse, conditions, why)
            self._block(stmt.finalbody, conditions, why)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self._block(stmt.body, conditions, why or "it runs in a nested function")
        else:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                key = self._key(stmt.value)
                if isinstance(target, ast.Name) and key:
                    self.aliases[target.id] = key
            for node in ast.walk(stmt):
                if isinstance(node, ast.Call):
                    self._call(node, conditions, why)

    def _call(self, node: ast.Call, conditions: list[Any], why: str) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in ("RestApiPost", "RestApiPostAfterPlugins") or not node.args:
            return
        uri = self._string(node.args[0])
        where = Where(self.path, node.lineno, node.col_offset + 1, name)
        call = _short(ast.unparse(node), 80)
        send = Send(where, call, self.func.name, "modality", language="Python")
        if uri is None:
            if "/modalities/" in ast.unparse(node.args[0]) or "store" in ast.unparse(node.args[0]):
                send.why_not = "the URI is computed at run time"
                self.sends.append(send)
            return
        target = rest_target(uri)
        if target is None:
            return
        send.kind, send.target = target
        send.why_not = why or None
        if send.why_not is None:
            try:
                send.match = final_match(to_match(Op("and", tuple(conditions))))
                if (
                    not self.per_instance
                    and {k for k, v in KEYS.items() if v in send.match} & INSTANCE_KEYS
                ):
                    raise Unclear(
                        "an on-change callback gets a resource id, not the instance's tags"
                    )
            except Unclear as err:
                send.why_not = str(err)
        self.sends.append(send)

    def _string(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    part = self._string(value.value)
                    if part is None or value.format_spec or value.conversion != -1:
                        return None
                    parts.append(part)
                else:
                    part = self._string(value)
                    if part is None:
                        return None
                    parts.append(part)
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._string(node.left), self._string(node.right)
            return left + right if left is not None and right is not None else None
        return None

    def _key(self, node: ast.expr) -> str | None:
        """The tag a node reads: `tags['Modality']`, `tags.get('Modality')`,
        `dicom.GetInstanceRemoteAet()`, or an alias of one."""
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            key = node.slice.value
            return key if isinstance(key, str) else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "GetInstanceRemoteAet":
                return "RemoteAet"
            if node.func.attr == "get" and node.args and isinstance(node.args[0], ast.Constant):
                key = node.args[0].value
                return key if isinstance(key, str) else None
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        return None

    def _expr(self, node: ast.expr) -> Any:
        text = _short(ast.unparse(node))
        if isinstance(node, ast.BoolOp):
            kind = "and" if isinstance(node.op, ast.And) else "or"
            return Op(kind, tuple(self._expr(v) for v in node.values))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Op("not", (self._expr(node.operand),))
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, op, right = node.left, node.ops[0], node.comparators[0]
            if _orthanc_enum(left) or _orthanc_enum(right):
                return Origin(text)
            key = self._key(left)
            values = _strings(right)
            if key is None:
                key, values = self._key(right), _strings(left)
                if not isinstance(op, ast.Eq | ast.NotEq):
                    key = None
            if key is None or values is None:
                return Opaque(text)
            if key not in KEYS:
                return Opaque(text)
            if isinstance(op, ast.Eq | ast.In):
                return Op("or", tuple(Atom(key, True, v) for v in values))
            if isinstance(op, ast.NotEq | ast.NotIn):
                return Op("and", tuple(Atom(key, False, v) for v in values))
        return Opaque(text)


def _returns(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], ast.Return)


def _orthanc_enum(node: ast.expr) -> bool:
    """`orthanc.ChangeType.STABLE_STUDY`, `orthanc.InstanceOrigin.DICOM_PROTOCOL`...: a
    trigger or an origin test, not a selection of studies."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id == "orthanc"


def _strings(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        values = [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
        if len(values) == len(node.elts):
            return values
    return None


_PY_REGISTRATIONS = {
    "RegisterOnStoredInstanceCallback": True,
    "RegisterOnChangeCallback": False,
}


def python_sends(path: str, raw: bytes, result: ImportResult) -> list[Send]:
    """The transfers of a Python plugin script; IMPORT013 when it cannot be parsed."""
    try:
        tree = ast.parse(raw, filename=path)
    except SyntaxError as err:
        result.add(
            "IMPORT013",
            f"the Python script does not parse ({err.msg}): Orthanc's Python plugin would "
            "fail to load it; its routing was not imported",
            Where(path, err.lineno or 1, err.offset or 1),
        )
        return []
    except (ValueError, RecursionError, MemoryError) as err:
        result.add(
            "IMPORT013",
            f"the Python script cannot be analysed ({type(err).__name__}); its routing was "
            "not imported",
            Where(path),
        )
        return []
    constants = {
        t.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    callbacks: dict[str, bool] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _PY_REGISTRATIONS
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            callbacks[node.args[0].id] = _PY_REGISTRATIONS[node.func.attr]
    sends: list[Send] = []
    try:
        for name, func in functions.items():
            if name in callbacks:
                sends += _PyCallback(path, func, callbacks[name], constants).run()
            else:
                stray = _PyCallback(path, func, False, constants)
                stray._block(
                    func.body,
                    [],
                    f"it is in {name}(), not a callback Orthanc registers for what it receives",
                )
                sends += stray.sends
    except RecursionError:
        result.add(
            "IMPORT013",
            "the Python script is nested too deeply to analyse; its routing was not imported",
            Where(path),
        )
        return []
    return sends


# --- scripts from the configuration ----------------------------------------------------


def _base_folder(config: ConfigView) -> str:
    """Orthanc resolves relative paths against the configuration's folder (the folder
    itself when a folder was given)."""
    return config.path if os.path.isdir(config.path) else os.path.dirname(config.path) or "."


def _script_paths(config: ConfigView, key: str, *path: Any) -> Iterator[tuple[str, Where]]:
    value = config.value(key, *path)
    where = config.where(key, *path, what=".".join([key, *map(str, path)]))
    items = value if isinstance(value, list) else [value]
    for i, item in enumerate(items):
        at = config.where(key, *path, i, what=where.what) if isinstance(value, list) else where
        if isinstance(item, str) and item.strip():
            yield os.path.join(_base_folder(config), item), at


def _read_script(file: str, at: Where, result: ImportResult) -> bytes | None:
    try:
        return fsutil.read_bounded(file, MAX_SOURCE_BYTES)
    except OSError as err:
        result.add(
            "IMPORT013",
            f"{at.what} names {file}, which cannot be read ({err.strerror or err}); its "
            "routing was not imported",
            at,
        )
        return None


def script_sends(config: ConfigView, result: ImportResult) -> list[Send]:
    """Every transfer the configured Lua and Python scripts start."""
    sends: list[Send] = []
    if "LuaScripts" in config:
        last: dict[str, tuple[LuaScript, list[str], int, int, int]] = {}
        constants: dict[str, str] = {}
        for file, at in _script_paths(config, "LuaScripts"):
            raw = _read_script(file, at, result)
            if raw is None:
                continue
            read = read_lua(file, raw.decode("utf-8", errors="replace"), constants, result)
            if read is None:
                continue
            script, functions = read
            for name, params, offset, body, close in functions:
                if name in last and name in LUA_CALLBACKS:
                    earlier = last[name][0].where(last[name][3], name)
                    result.add(
                        "IMPORT013",
                        f"{name} is defined again in {script.where(offset).at}, which "
                        "replaces this one (Orthanc loads LuaScripts into one Lua state); "
                        "this one is not imported",
                        earlier,
                    )
                last[name] = (script, params, offset, body, close)
        for name, (script, params, _offset, body, close) in last.items():
            found = lua_sends(script, name, params, body, close)
            if name not in LUA_CALLBACKS:
                for send in found:
                    send.why_not = send.why_not or (
                        f"it is in {name}(), not a callback Orthanc runs for what it receives"
                    )
            sends += found
    python = []
    if "PythonScript" in config:
        python += list(_script_paths(config, "PythonScript"))
    plugin = config.value("Python") if "Python" in config else None
    if isinstance(plugin, dict) and "Path" in plugin:
        python += list(_script_paths(config, "Python", "Path"))
    for file, at in python:
        raw = _read_script(file, at, result)
        if raw is not None:
            sends += python_sends(file, raw, result)
    return sends


# --- routes ------------------------------------------------------------------------------


def make_routes(
    sends: list[Send],
    *,
    orthanc_ae: str | None,
    local_aes: set[str],
    modalities: dict[str, str],
    integrations: dict[tuple[str, str], str],
    modalities_elsewhere: bool,
    result: ImportResult,
) -> None:
    """Routes for the clear transfers to modalities; findings for the others."""
    from pydantic import ValidationError

    from ..model.routes import Route as RouteModel

    by_key: dict[tuple, Route] = {}
    names: set[str] = set()
    for send in sends:
        said = f"{send.call} in {send.callback}"
        if send.why_not:
            result.add("IMPORT013", f"{said}: {send.why_not}; routing was not imported", send.where)
            continue
        assert send.target is not None
        if send.kind != "modality":
            what = "Orthanc peer" if send.kind == "peer" else "DICOMweb server"
            integration = integrations.get((send.kind, send.target))
            if integration is None:
                result.add(
                    "IMPORT013",
                    f"{said}: no {what} {json.dumps(send.target)} is configured, so Orthanc "
                    "fails this transfer; routing was not imported",
                    send.where,
                )
            else:
                result.add(
                    "IMPORT022",
                    f"{said} sends to {what} {json.dumps(send.target)} over HTTP: see "
                    f"integration {integration}",
                    send.where,
                )
            continue
        to = modalities.get(send.target)
        if to is None:
            where_kept = (
                "DicomModalitiesInDatabase keeps them in Orthanc's database"
                if modalities_elsewhere
                else "Orthanc fails this transfer"
            )
            result.add(
                "IMPORT013",
                f"{said}: {json.dumps(send.target)} is not an imported DicomModalities entry "
                f"({where_kept}); routing was not imported",
                send.where,
            )
            continue
        source = send.local_aet if send.local_aet in local_aes else orthanc_ae
        if source is None:
            result.add(
                "IMPORT013",
                f"{said}: Orthanc's own AE is not imported; routing was not imported",
                send.where,
            )
            continue
        key = (source, to, tuple((k, tuple(v)) for k, v in sorted(send.match.items())))
        origin = f"{send.callback}: {send.call} ({send.where.at})"
        if key in by_key:
            by_key[key].above.append(f"also {origin}")
            continue
        name = safe_name(f"orthanc-to-{send.target}", "orthanc-route")
        base, n = name, 1
        while name in names:
            n += 1
            name = f"{base[:60]}-{n}"
        try:
            RouteModel.model_validate(
                {"name": name, "from": source, "to": to, "purpose": "forward", "match": send.match}
            )
        except ValidationError as err:
            problem = err.errors()[0]
            result.add(
                "IMPORT013",
                f"{said}: its condition gives a match imgpolicy cannot hold "
                f"({'.'.join(map(str, problem['loc']))}: {problem['msg']}); routing was not "
                "imported",
                send.where,
            )
            continue
        names.add(name)
        route = Route(name, source, to, match=send.match)
        route.description = (
            f"auto-routing by Orthanc's Lua {send.callback}, for "
            f"{LUA_CALLBACKS[send.callback]}"
            f"{', then deleted from Orthanc' if send.then_delete else ''}"
            if send.language == "Lua"
            else f"auto-routing by Orthanc's Python plugin, {send.callback}()"
        )
        route.above = [f"from {origin}"]
        route.notes["purpose"] = "edit: archive, reading, ai, teleradiology, ..."
        by_key[key] = route
        result.routes.append(route)


# --- peers, DICOMweb servers, the DICOMweb service --------------------------------------


@dataclass
class _Endpoint:
    key: str
    where: Where
    url: str
    username: str | None = None
    password: str | None = None
    headers: list[str] = field(default_factory=list)
    client_certificate: bool = False
    password_at: Where = field(default_factory=lambda: Where(""))
    """Where the password is written (to keep a `${VAR}` placeholder as the reference)."""


def _endpoints(config: ConfigView, what: str, path: tuple, result: ImportResult):
    """The entries of `OrthancPeers` or `DicomWeb.Servers`: ["url", "user", "password"]
    or {"Url": ..., "Username": ..., "Password": ..., "HttpHeaders": {...}}."""
    entries = config.value(*path)
    if not isinstance(entries, dict):
        return
    for key, value in entries.items():
        where = config.where(*path, key, what=f"{what}[{json.dumps(key)}]")
        endpoint = None
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            if len(value) in (1, 3):
                endpoint = _Endpoint(key, where, value[0])
                if len(value) == 3:
                    endpoint.username, endpoint.password = value[1], value[2]
                    endpoint.password_at = config.where(*path, key, 2)
        elif isinstance(value, dict) and isinstance(value.get("Url"), str):
            endpoint = _Endpoint(key, where, value["Url"])
            if isinstance(value.get("Username"), str):
                endpoint.username = value["Username"]
            if isinstance(value.get("Password"), str):
                endpoint.password = value["Password"]
                endpoint.password_at = config.where(*path, key, "Password")
            if isinstance(value.get("HttpHeaders"), dict):
                endpoint.headers = sorted(map(str, value["HttpHeaders"]))
            endpoint.client_certificate = isinstance(value.get("CertificateFile"), str)
        if endpoint is None:
            result.add(
                "IMPORT009",
                f'{where.what} must be ["url"], ["url", "user", "password"] or '
                '{"Url": ...}; it is not imported',
                where,
            )
            continue
        yield endpoint


def _env_name(*parts: str) -> str:
    name = re.sub(r"[^A-Z0-9]+", "_", "_".join(parts).upper()).strip("_")
    return "_" + name if name[:1].isdigit() else name


def make_integrations(
    config: ConfigView,
    orthanc: Device,
    names: Names,
    site: str,
    result: ImportResult,
) -> dict[tuple[str, str], str]:
    """Integrations for the peers and DICOMweb servers; (kind, key) -> integration name."""
    verify = option(config, "HttpsVerifyPeers", True)
    made: dict[tuple[str, str], str] = {}
    sources: list[tuple[str, str, tuple, str]] = []
    if "OrthancPeers" in config:
        sources.append(("peer", "OrthancPeers", ("OrthancPeers",), "OrthancPeersInDatabase"))
    web = config.value("DicomWeb") if "DicomWeb" in config else None
    if isinstance(web, dict) and "Servers" in web:
        sources.append(("dicomweb", "DicomWeb.Servers", ("DicomWeb", "Servers"), ""))
    taken = {i.name for i in result.integrations}
    for kind, what, path, in_db in sources:
        if in_db and option(config, in_db, False).value:
            result.add(
                "IMPORT009",
                f"{in_db} is true: Orthanc keeps its peers in its database, not in this "
                "file; add them as integrations by hand",
                config.where(in_db),
            )
            continue
        for endpoint in _endpoints(config, what, path, result):
            name = _integration(kind, endpoint, orthanc, names, site, verify, taken, result)
            if name:
                made[(kind, endpoint.key)] = name
    return made


def _integration(
    kind: str,
    endpoint: _Endpoint,
    orthanc: Device,
    names: Names,
    site: str,
    verify: Any,
    taken: set[str],
    result: ImportResult,
) -> str | None:
    where = endpoint.where
    parts = urllib.parse.urlsplit(endpoint.url.strip())
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = None
    if parts.scheme.lower() not in ("http", "https") or not host:
        result.add(
            "IMPORT009",
            f"{where.what}: {json.dumps(_without_user(endpoint.url))} is not an http:// or "
            "https:// URL with a host; it is not imported",
            where,
        )
        return None
    if parts.username and endpoint.username is None:
        endpoint.username = urllib.parse.unquote(parts.username)
        if parts.password is not None:
            endpoint.password = parts.password
    url = _without_user(endpoint.url.strip())
    label = "orthanc-peer" if kind == "peer" else "dicomweb"
    name = safe_name(f"{label}-{endpoint.key}", label)
    base, n = name, 1
    while name in taken:
        n += 1
        name = f"{base[:60]}-{n}"
    taken.add(name)
    target = _target_device(kind, endpoint, host, port, names, site, result)
    integration = Integration(name, "dicomweb", orthanc.name, target, url)
    integration.above = [f"from {where.text()}"]
    if kind == "peer":
        integration.services = ["STOW-RS"]
        integration.notes["services"] = (
            "edit: an Orthanc peer takes studies through Orthanc's REST API (POST "
            "/instances), the equivalent of STOW-RS"
        )
        integration.description = (
            f"Orthanc peer {json.dumps(endpoint.key)}: Orthanc's REST API, the nearest "
            "imgpolicy kind is dicomweb"
        )
    else:
        integration.services = ["QIDO-RS", "WADO-RS", "STOW-RS"]
        integration.notes["services"] = "edit: keep what Orthanc's DICOMweb client uses here"
        integration.description = (
            f"DICOMweb server {json.dumps(endpoint.key)} of Orthanc's DICOMweb plugin"
        )
    extras = []
    if endpoint.headers:
        extras.append(f"HTTP headers {', '.join(endpoint.headers)} (values not imported)")
    if endpoint.client_certificate:
        extras.append("an HTTPS client certificate")
    if extras:
        integration.description += "; sends " + " and ".join(extras)
    if endpoint.username is not None:
        # a reference too: a literal user name is masked in every output of `check`
        # (it stands under `credentials`), and the source's secrets stay in the source
        integration.credentials["username"] = "${" + _env_name(name, "username") + "}"
        integration.notes["credentials.username"] = (
            f"edit: the user named in {where.at}; set this variable"
        )
    if endpoint.password is not None:
        password = written_placeholder(endpoint.password_at) or endpoint.password.strip()
        if not ENV_REFERENCE.fullmatch(password):
            password = "${" + _env_name(name, "password") + "}"
            integration.notes["credentials.password"] = (
                f"edit: the password in {where.at} is not copied; set this variable"
            )
        integration.credentials["password"] = password
    if any(h.lower() in ("authorization", "token", "x-api-key") for h in endpoint.headers):
        integration.credentials["token"] = "${" + _env_name(name, "token") + "}"
        integration.notes["credentials.token"] = (
            "edit: a secret HTTP header in the source is not copied; set this variable"
        )
    secure = parts.scheme.lower() == "https"
    if secure and not verify.value:
        integration.verify_tls = False
        integration.notes["verify_tls"] = f"HttpsVerifyPeers false ({verify.where.at})"
    if not secure:
        sends = " and the password of its user" if endpoint.password is not None else ""
        result.add(
            "IMPORT021",
            f"{where.what} is {url}: studies{sends} travel without TLS; use https:// (with "
            "HttpsVerifyPeers true), or carry it over an encrypted site link",
            where,
        )
    result.integrations.append(integration)
    return name


def _without_user(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _target_device(
    kind: str,
    endpoint: _Endpoint,
    host: str,
    port: int | None,
    names: Names,
    site: str,
    result: ImportResult,
) -> str:
    """An imported device on the same host (a modality that also speaks DICOMweb), else
    a new device for the peer or server."""
    for device in result.devices[1:]:
        if any(c.hostname.lower() == host.lower() for c in device.connections):
            return device.name
    label = "peer" if kind == "peer" else "dicomweb"
    device = Device(
        names.device(safe_name(endpoint.key, label)), site, "pacs" if kind == "peer" else "other"
    )
    device.above = [f"from {endpoint.where.text()}"]
    device.notes["kind"] = (
        "edit: an Orthanc peer (pacs, vna, router, ...)"
        if kind == "peer"
        else "edit: the DICOMweb server's kind (pacs, vna, ai, ...)"
    )
    device.description = (
        f"{'Orthanc peer' if kind == 'peer' else 'DICOMweb server'} at {host}"
        f"{':' + str(port) if port else ''}"
    )
    result.devices.append(device)
    return device.name


def dicomweb_service(config: ConfigView, orthanc: Device, result: ImportResult) -> None:
    """The DICOMweb plugin's own service: a comment on the device (imgpolicy's
    integrations need the client device, which the configuration does not name)."""
    web = config.value("DicomWeb") if "DicomWeb" in config else None
    if not isinstance(web, dict):
        return
    enable = web.get("Enable", True)
    if enable is not True:
        return
    at = config.where("DicomWeb", "Enable") if "Enable" in web else config.where("DicomWeb")
    state = http(config)
    if not state.enabled.value:
        return
    root = web.get("Root", "/dicom-web/")
    root = root if isinstance(root, str) else "/dicom-web/"
    port = option(config, "HttpPort", 8042, "count").value
    scheme = "https" if state.ssl.value else "http"
    host = orthanc.connections[0].hostname if orthanc.connections else "localhost"
    services = "QIDO-RS, WADO-RS, STOW-RS"
    if web.get("EnableWado", True) is True:
        wado = web.get("WadoRoot", "/wado")
        services += f", WADO-URI at {wado if isinstance(wado, str) else '/wado'}"
    reach = "other hosts" if state.remote.value else "this host only (RemoteAccessAllowed false)"
    orthanc.above.append(
        f"DICOMweb service (DicomWeb plugin, {at.at}): {scheme}://{host}:{port}{root} "
        f"({services}), to {reach}; declare an integration for each client that uses it"
    )
    if state.plain:
        result.add(
            "IMPORT021",
            "the DICOMweb plugin serves studies to other hosts over plain HTTP "
            f"(RemoteAccessAllowed true, SslEnabled false{state.ssl.said()}): use SslEnabled "
            "or a TLS reverse proxy",
            at,
        )


# --- entry point -------------------------------------------------------------------------


def build(
    config: ConfigView | None,
    *,
    orthanc: Device,
    modalities: dict[str, str],
    names: Names,
    site: str,
    modalities_elsewhere: bool,
    result: ImportResult,
) -> None:
    """Integrations, the DICOMweb service and the scripts' routes of an Orthanc read from
    its configuration; over REST (no `config`) a header line says what is missing."""
    if config is None:
        result.header.append(
            "Not read over REST: OrthancPeers, DicomWeb, LuaScripts and Python "
            "auto-routing, storage and HTTP posture (import the configuration file)."
        )
        return
    integrations = make_integrations(config, orthanc, names, site, result)
    dicomweb_service(config, orthanc, result)
    aes = [ae.ae_title for ae in orthanc.application_entities]
    make_routes(
        script_sends(config, result),
        orthanc_ae=aes[0] if aes else None,
        local_aes=set(aes),
        modalities=modalities,
        integrations=integrations,
        modalities_elsewhere=modalities_elsewhere,
        result=result,
    )
