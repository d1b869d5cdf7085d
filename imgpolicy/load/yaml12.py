"""Safe, positioned YAML 1.2 loading on libyaml's event stream.

Why not `yaml.safe_load`: it resolves scalars by YAML 1.1 (`NO` -> False, `0104` -> 68,
`1:30` -> 90), silently keeps the last of two duplicate keys, expands aliases without a
bound and drops every position. Building plain data straight from libyaml's events is
both faster than PyYAML's composer and the one place where all of that can be fixed.

The result of a document is plain data (dict, list, str, int, float, bool, None) plus a
parallel position tree (`MapPos` / `SeqPos` / `Span`) used to put file:line:col on any
error found later in the data.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import yaml

_Loader: type[Any]
try:  # libyaml is what makes this fast; PyYAML without it still works, slowly
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

Span = tuple[int, int, int, int]
"""(line, column, end_line, end_column), 1-based, end exclusive."""

MAX_NODES = 2_000_000
"""Nodes a document may expand to, aliases counted at their full size (billion laughs)."""
MAX_DEPTH = 100
"""Nesting levels a document may have."""


class MapPos:
    """Positions of a mapping: its own span and, per key, the key's span and the value's."""

    __slots__ = ("keys", "span")

    def __init__(self, span: Span):
        self.span = span
        self.keys: dict[Any, tuple[Span, Pos]] = {}


class SeqPos:
    __slots__ = ("items", "span")

    def __init__(self, span: Span):
        self.span = span
        self.items: list[Pos] = []


Pos = MapPos | SeqPos | Span


class YAMLLoadError(Exception):
    """A document that cannot be loaded. `code` is one of the YAML codes in `codes.py`."""

    def __init__(
        self,
        code: str,
        message: str,
        line: int,
        column: int,
        related: tuple[tuple[str, int, int], ...] = (),
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.related = related  # (message, line, column)


@dataclass(frozen=True, slots=True)
class Document:
    data: Any
    pos: Pos


# --- YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution) ---------

_INT10 = re.compile(r"[-+]?[0-9]+\Z")
_INT8 = re.compile(r"0o[0-7]+\Z")
_INT16 = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NUMBER_START = frozenset("0123456789-+.")
_WORD_START = frozenset("~nNtTfF")

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MAP_TAGS = frozenset((None, "!", _TAG + "map"))
_SEQ_TAGS = frozenset((None, "!", _TAG + "seq"))


def resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar under the YAML 1.2 core schema."""
    if not text:
        return None
    first = text[0]
    if first in _WORD_START:
        if text in _NULLS:
            return None
        if text in _BOOLS:
            return _BOOLS[text]
        return text
    if first in _NUMBER_START:
        if _INT10.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
        if _INF.match(text):
            return -math.inf if first == "-" else math.inf
        if _NAN.match(text):
            return math.nan
        if _INT8.match(text):
            return int(text[2:], 8)
        if _INT16.match(text):
            return int(text[2:], 16)
    return text


_TAGGED: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (float, int),
    "bool": bool,
    "null": type(None),
}
"""What the value of a scalar tagged `!!kind` must resolve to."""


def _resolve_tagged(tag: str, text: str, line: int, col: int) -> Any:
    kind = tag[len(_TAG) :]
    if kind == "str":
        return text
    value = resolve_plain(text)
    fits = isinstance(value, _TAGGED[kind]) and not (kind != "bool" and isinstance(value, bool))
    if fits:
        return float(value) if kind == "float" else value
    raise YAMLLoadError("YAML003", f"{text!r} is not a valid !!{kind}", line, col)


# --- the builder ------------------------------------------------------------------------

_ScalarEvent = yaml.ScalarEvent
_AliasEvent = yaml.AliasEvent
_MappingStartEvent = yaml.MappingStartEvent
_MappingEndEvent = yaml.MappingEndEvent
_SequenceStartEvent = yaml.SequenceStartEvent
_SequenceEndEvent = yaml.SequenceEndEvent
_DocumentStartEvent = yaml.DocumentStartEvent
_DocumentEndEvent = yaml.DocumentEndEvent

_NO_KEY = object()
_NO_SPAN: Span = (0, 0, 0, 0)


class _Frame:
    """A mapping or sequence under construction."""

    __slots__ = (
        "anchor",
        "is_map",
        "key",
        "key_is_merge",
        "key_span",
        "merged_from",
        "pos",
        "size",
        "value",
    )

    def __init__(self, value, pos, is_map, anchor):
        self.value = value
        self.pos = pos
        self.is_map = is_map
        self.key = _NO_KEY
        self.key_span: Span = _NO_SPAN  # meaningful only while `key` is set
        self.key_is_merge = False
        self.anchor = anchor
        self.size = 1
        self.merged_from: dict[Any, Span] | None = None  # key -> span of the `<<` that set it


_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def line_column(before: str) -> tuple[int, int]:
    """1-based (line, column) of the character after `before`, lines counted as libyaml does."""
    breaks = list(_BREAK.finditer(before))
    return len(breaks) + 1, len(before) - (breaks[-1].end() if breaks else 0) + 1


def _span(event) -> Span:
    s, e = event.start_mark, event.end_mark
    return (s.line + 1, s.column + 1, e.line + 1, e.column + 1)


def _hint(problem: str, char: str) -> str:
    if char == "\t":
        return " (YAML does not allow tabs for indentation: indent with spaces)"
    if "mapping values are not allowed" in problem:
        return " (a value containing ': ' must be quoted)"
    if "expected '-' indicator" in problem or "expected <block end>" in problem:
        return " (check the indentation of this line against the lines above)"
    if "could not find expected ':'" in problem:
        return " (write a space after the colon, e.g. 'port: 104', or close an open quote)"
    return ""


def _parse_error(err: yaml.YAMLError, source: str) -> YAMLLoadError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    message = problem if not context else f"{problem} ({context})"
    if isinstance(err, yaml.reader.ReaderError):
        # libyaml counts the position in bytes of UTF-8, PyYAML's own reader in characters
        before = (
            source.encode("utf-8")[: err.position].decode("utf-8", "replace")
            if _Loader is not yaml.SafeLoader
            else source[: err.position]
        )
        message = (
            f"character {chr(err.character)!r} (U+{err.character:04X}) is not allowed "
            f"in YAML: {err.reason}"
        )
        return YAMLLoadError("YAML001", message, *line_column(before))
    context_mark = getattr(err, "context_mark", None)
    if context_mark is not None and (
        "end of stream" in problem or "could not find expected ':'" in problem
    ):
        # libyaml notices these where the file ends; the cause is where the scan began
        mark = context_mark
        if "quoted scalar" in (context or ""):
            message = "a quoted value starts here but its closing quote is missing"
            problem = ""
        elif "simple key" in (context or ""):
            message = "this line has no ': ' after its key"
            problem = "could not find expected ':'"
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    runaway = _runaway_quote(source, line, col) if mark else None
    if runaway is not None:
        return runaway
    lines = _BREAK.split(source) if mark else []
    text = lines[line - 1] if line <= len(lines) else ""
    char = text[col - 1] if col <= len(text) else ""
    if "mapping values are not allowed" in problem:
        deeper = _over_indented_key(lines, line, col)
        if deeper is not None:
            return deeper
    return YAMLLoadError("YAML001", f"invalid YAML: {message}{_hint(problem, char)}", line, col)


_KEY_OF_LINE = re.compile(r"( *(?:- +)*)([^\s#'\"\[{|>!&*-][^:#]*?): +[^\s#]")
"""A line `key: value` (maybe as a list item): where its key starts, and the key."""
_LONE_KEY = re.compile(r"( +)([^\s#'\"\[{|>!&*:-][^:#]*)")
"""The text before a ':' that is only an indented key."""


def _over_indented_key(lines: list[str], line: int, col: int) -> YAMLLoadError | None:
    """`key: value` indented deeper than the `key: value` line above it.

    libyaml reads the deeper line as more of the value above, then finds a ':' it cannot
    take and says "mapping values are not allowed"; the usual advice (quote the value) is
    wrong for this mistake, which is the indentation.
    """
    key = _LONE_KEY.fullmatch(lines[line - 1][: col - 1])
    above = next(
        (
            (number, text)
            for number, text in reversed(list(enumerate(lines[: line - 1], 1)))
            if text.strip() and not text.lstrip().startswith("#")
        ),
        None,
    )
    if key is None or above is None:
        return None
    number, text = above
    key_above = _KEY_OF_LINE.match(text)
    indent = len(key.group(1))
    if key_above is None or indent <= len(key_above.group(1)):
        return None
    name, name_above = key.group(2).rstrip(), key_above.group(2)
    return YAMLLoadError(
        "YAML001",
        f"invalid YAML: '{name}' is indented deeper than '{name_above}' on line {number}, "
        f"so YAML reads it as more of that line's value: indent it by "
        f"{len(key_above.group(1))} spaces like '{name_above}' if it is a key of its own "
        "(or quote the value above if it is part of it)",
        line,
        indent + 1,
        related=((f"'{name_above}' is here", number, len(key_above.group(1)) + 1),),
    )


_SWALLOWED_KEY = re.compile(r"(?:\r\n|[\r\n\x85\u2028\u2029]) *(?:- +)?[A-Za-z_][\w.-]*: ")
"""A line that reads as `key: value`, inside a quoted value: a quote left open."""


def _runaway_quote(source: str, line: int, col: int) -> YAMLLoadError | None:
    """A quote left open, reported where it opens rather than where libyaml gives up.

    An unclosed quote takes in the lines below it up to the next quote character of the
    same kind, which may be many lines further down, where libyaml then finds nonsense.
    A quoted value that spans lines, ends on or just above the error and holds lines that
    read as `key: value` is such a quote: its start is the place to fix.
    """
    runaway = None
    try:
        for token in yaml.scan(source, Loader=_Loader):
            start, end = token.start_mark, token.end_mark
            if (end.line + 1, end.column + 1) > (line, col):
                break
            if (
                type(token) is yaml.ScalarToken
                and token.style in ('"', "'")
                and start.line < end.line
                and end.line + 2 >= line
                and _SWALLOWED_KEY.search(
                    source,
                    _offset(source, start.line, start.column),
                    _offset(source, end.line, end.column),
                )
            ):
                runaway = token
    except yaml.YAMLError:
        pass
    if runaway is None:
        return None
    start, end = runaway.start_mark, runaway.end_mark
    return YAMLLoadError(
        "YAML001",
        f"invalid YAML: a quoted value starts here and its closing {runaway.style} is "
        f"missing: the value runs on to line {end.line + 1}, column {end.column}, taking in "
        "the lines between (close the quote on this line)",
        start.line + 1,
        start.column + 1,
        related=(("the quoted value ends here", end.line + 1, end.column),),
    )


def load_documents(
    source: str,
    *,
    unknown_tags: Literal["error", "ignore"] = "error",
    max_nodes: int = MAX_NODES,
    max_depth: int = MAX_DEPTH,
) -> list[Document]:
    """Every document in `source`, as plain data with positions.

    unknown_tags="ignore" resolves a node with an application tag (`!thing`) as if
    untagged; the default rejects it, since no imgpolicy field takes one and a tag is how
    unsafe loaders are made to construct objects.
    """
    try:
        with _events(source) as events:
            return _build(events, unknown_tags, max_nodes, max_depth)
    except yaml.YAMLError as err:
        if _is_parser_depth_cap(err):
            raise _depth_error_before_cap(err, source, unknown_tags, max_nodes, max_depth) from None
        raise _parse_error(err, source) from None
    except UnicodeEncodeError as err:  # a lone surrogate: no decoded file holds one
        raise YAMLLoadError(
            "YAML005",
            f"character {source[err.start]!r} is not valid Unicode text (a lone surrogate)",
            *line_column(source[: err.start]),
        ) from None
    except RecursionError:  # pragma: no cover - the builder itself does not recurse
        raise YAMLLoadError("YAML007", "nesting too deep", 1, 1) from None


def load_data(
    source: str,
    *,
    unknown_tags: Literal["error", "ignore"] = "error",
    max_nodes: int = MAX_NODES,
    max_depth: int = MAX_DEPTH,
    keys: set[Any] | None = None,
) -> list[Any]:
    """Every document in `source` as plain data, without positions: all a clean file needs.
    `keys`, when given, receives every mapping key (what the redactor screens a file by).

    The position tree is most of the memory a loaded file takes (a 100,000-AE estate would
    not fit), and a clean check never asks for a line and column. The rules are those of
    `load_documents`; whatever it would refuse is handed to it, so every error is reported
    by one builder, with its exact place. Equal scalars share one object (an environment
    repeats the same keys, UIDs and ports thousands of times).
    """
    try:
        with _events(source) as events:
            return _build_data(events, unknown_tags, max_nodes, max_depth, keys)
    except (_Refused, YAMLLoadError, yaml.YAMLError, ValueError, RecursionError):
        pass  # the positioned build below says what and where (UnicodeEncodeError included)
    documents = load_documents(
        source, unknown_tags=unknown_tags, max_nodes=max_nodes, max_depth=max_depth
    )
    data = [document.data for document in documents]  # only if the two builders disagree
    if keys is not None:
        keys.clear()
        mapping_keys(data, keys)
    return data


def mapping_keys(data: Any, keys: set[Any]) -> None:
    """Every mapping key in `data`, into `keys` (shared nodes are walked once)."""
    seen: set[int] = set()
    todo = [data]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is dict:
            keys.update(node)
            todo.extend(v for v in node.values() if type(v) in (dict, list))
        elif type(node) is list:
            todo.extend(v for v in node if type(v) in (dict, list))


@contextmanager
def _events(source: str) -> Iterator[Any]:
    """The parser's events, read straight off its `get_event` (what `yaml.parse` does
    through a generator, one resumption and one `check_event` per event: an eighth of
    the parse of a large file)."""
    parser = _Loader(source)
    try:
        yield iter(parser.get_event, None)
    finally:
        parser.dispose()


class _Refused(Exception):
    """Something `load_documents` reports (with its place); the lean builder only stops."""


def _build_data(events, unknown_tags, max_nodes, max_depth, keys=None) -> list[Any]:
    """`_build` without positions: the same data, the same limits, no messages (and the
    mapping keys into `keys`, when given).

    The innermost open collection lives in local variables (`value`/`is_map`/`key`/...),
    the outer ones as tuples on `stack`: most events are scalars added to it, and locals
    are what Python reads fastest."""
    documents: list[Any] = []
    anchors: dict[str, tuple[Any, int]] = {}
    stack: list[tuple[Any, bool, Any, bool, int, Any]] = []
    inner: Any = None  # the innermost open collection, None at the document's top
    is_map = False
    key: Any = _NO_KEY  # its pending key (in a mapping), and whether that is a merge key
    key_is_merge = False
    size = 1  # its size so far (itself and what it holds), for the node limit
    anchor = None
    depth = 0
    root: Any = None
    total = 0
    ignore_tags = unknown_tags == "ignore"
    plain_values: dict[str, Any] = {}  # text -> resolved value, one object per distinct text
    known_plain = plain_values.get
    intern = sys.intern  # marshal keeps interned strings shared in the parse cache too

    for event in events:
        cls = type(event)
        if cls is _ScalarEvent:
            tag = event.tag
            style = event.style
            text = event.value
            if tag is None and not style and event.implicit[0]:
                node = known_plain(text, _NO_KEY)
                if node is _NO_KEY:
                    node = resolve_plain(text)
                    if type(node) is str:
                        node = intern(node)
                    plain_values[text] = node
                merge = text == "<<"
            else:
                merge = tag is None and not style and text == "<<"
                if tag is None or tag == "!":
                    node = intern(text)
                elif tag in _SCALAR_TAGS:
                    node = _resolve_tagged(tag, text, 0, 0)  # YAMLLoadError: refused
                elif ignore_tags:
                    node = resolve_plain(text) if not style else text
                else:
                    raise _Refused  # YAML003: an application tag
            if event.anchor is not None:
                anchors[event.anchor] = (node, 1)
            node_size = 1
        elif cls is _MappingStartEvent or cls is _SequenceStartEvent:
            opens_map = cls is _MappingStartEvent
            if event.tag not in (_MAP_TAGS if opens_map else _SEQ_TAGS) and not ignore_tags:
                raise _Refused  # YAML003
            if depth >= max_depth:
                raise _Refused  # YAML007
            depth += 1
            if inner is not None:
                stack.append((inner, is_map, key, key_is_merge, size, anchor))
            inner = {} if opens_map else []
            is_map = opens_map
            key = _NO_KEY
            key_is_merge = False
            size = 1
            anchor = event.anchor
            continue
        elif cls is _MappingEndEvent or cls is _SequenceEndEvent:
            node = inner
            node_size = size
            if keys is not None and is_map:
                keys.update(node)
            if anchor is not None:
                anchors[anchor] = (node, node_size)
            total -= node_size - 1  # children were counted as they were added
            depth -= 1
            if stack:
                inner, is_map, key, key_is_merge, size, anchor = stack.pop()
            else:
                inner = None
            merge = False
        elif cls is _AliasEvent:
            if event.anchor not in anchors:
                raise _Refused  # YAML004: no anchor before it, or a recursive alias
            node, node_size = anchors[event.anchor]
            merge = False
        elif cls is _DocumentStartEvent:
            root = None
            anchors.clear()
            continue
        elif cls is _DocumentEndEvent:
            documents.append(root)
            total = 0
            continue
        else:
            continue  # the stream's start and end
        # the finished node goes into the innermost open collection (or is the document)
        total += node_size
        if total > max_nodes:
            raise _Refused
        if inner is None:
            root = node
            continue
        size += node_size
        if not is_map:
            inner.append(node)
        elif key is _NO_KEY:
            if type(node) is dict or type(node) is list:
                raise _Refused  # YAML009: a key must be a scalar
            key = node
            key_is_merge = merge
        else:
            if key_is_merge:
                _merge_data(inner, node)
            elif key in inner:
                raise _Refused  # YAML002
            else:
                inner[key] = node
            key = _NO_KEY
    return documents


def _merge_data(mapping: dict, value: Any) -> None:
    """`_merge` without positions: a merged key may not collide with any other."""
    for source in value if type(value) is list else (value,):
        if type(source) is not dict:
            raise _Refused  # YAML009: a merge takes mappings
        for key, item in source.items():
            if key in mapping:
                raise _Refused  # YAML002
            mapping[key] = item


def locate_path(source: str, loc: tuple) -> tuple[Span, Span | None] | None:
    """Where the node on the path `loc` of the first document is, as `files.locate` finds
    it in the position tree (the deepest node that exists, and its key's span), found by
    reading events only up to that node: no tree is built. A rule that prepares a location
    it may not use costs a partial scan, not the file's whole tree.

    None when the answer needs what only the tree knows: an alias, a merge key or a
    tagged key on the way (where their nodes are is decided by resolving them).
    """
    events: Any = yaml.parse(source, Loader=_Loader)
    try:
        return _locate_events(events, loc)
    except (yaml.YAMLError, ValueError, StopIteration, _Refused):
        return None  # not a document that loaded: the tree's builder says why
    finally:
        events.close()


def _locate_events(events, loc: tuple) -> tuple[Span, Span | None] | None:
    node = next(e for e in events if type(e) in _NODE_EVENTS)
    key_span: Span | None = None
    for part in loc:
        cls = type(node)
        if cls is _MappingStartEvent:
            found = _find_key(events, part)
        elif cls is _SequenceStartEvent and isinstance(part, int) and part >= 0:
            found = _find_item(events, part)
        else:
            break
        if type(found) is not tuple:  # the collection ended without it: stop there
            return _between(node, found), key_span
        key_span, node = found
    if type(node) is _AliasEvent:
        raise _Refused
    return _between(node, _skip(node, events)), key_span


_NODE_EVENTS = (_ScalarEvent, _AliasEvent, _MappingStartEvent, _SequenceStartEvent)


def _find_key(events, part: Any):
    """(key span, value event) of key `part` in the mapping being read, or its end event."""
    while True:
        key = next(events)
        if type(key) is _MappingEndEvent:
            return key
        if type(key) is not _ScalarEvent or key.tag not in (None, "!") or key.anchor:
            raise _Refused  # an alias, a tag or an anchor as key
        plain = key.tag is None and not key.style and key.implicit[0]
        if plain and key.value == "<<":
            raise _Refused  # a merge: the merged keys are where the tree says
        value = next(events)
        if (resolve_plain(key.value) if plain else key.value) == part:
            return _span(key), value
        _skip(value, events)


def _find_item(events, index: int):
    """(None, item event) of item `index` of the sequence being read, or its end event."""
    at = 0
    while True:
        item = next(events)
        if type(item) is _SequenceEndEvent:
            return item
        if at == index:
            return None, item
        _skip(item, events)
        at += 1


def _skip(node, events):
    """The event that ends `node`: itself for a scalar or alias, else its end event."""
    if type(node) is not _MappingStartEvent and type(node) is not _SequenceStartEvent:
        return node
    depth = 1
    for event in events:
        cls = type(event)
        if cls is _MappingStartEvent or cls is _SequenceStartEvent:
            depth += 1
        elif cls is _MappingEndEvent or cls is _SequenceEndEvent:
            depth -= 1
            if depth == 0:
                return event
    raise _Refused  # pragma: no cover - libyaml closes every collection or raises


def _between(first, last) -> Span:
    s, e = first.start_mark, last.end_mark
    return (s.line + 1, s.column + 1, e.line + 1, e.column + 1)


def _is_parser_depth_cap(err: yaml.YAMLError) -> bool:
    """libyaml's own nesting cap (1000 levels since the libyaml bundled with PyYAML 6.0.4)."""
    return "maximum nesting depth" in (getattr(err, "problem", None) or "")


def _depth_error_before_cap(
    err: yaml.YAMLError, source: str, unknown_tags, max_nodes: int, max_depth: int
) -> YAMLLoadError:
    """YAML007 where imgpolicy's own depth limit is crossed, not where libyaml's cap is.

    libyaml looks ahead up to 1024 characters for a possible key, so on `[[[[...` it can
    hit its cap before delivering the event that crosses `max_depth`. The text before
    libyaml's mark scanned cleanly, so building from it alone reaches the same events and
    stops at the first real problem; its only new error is the cut-off end, ignored here.
    """
    mark = err.problem_mark  # type: ignore[attr-defined]
    try:
        _build(
            yaml.parse(_before(source, mark.line, mark.column), Loader=_Loader),
            unknown_tags,
            max_nodes,
            max_depth,
        )
    except YAMLLoadError as found:
        return found
    except yaml.YAMLError as other:
        at = getattr(other, "problem_mark", None)
        if at is not None and (at.line, at.column) < (mark.line, mark.column):
            return _parse_error(other, source)
    return YAMLLoadError(
        "YAML007",
        "nesting deeper than the YAML parser allows: look for an unclosed '[' or '{' "
        "above this point",
        mark.line + 1,
        mark.column + 1,
    )


def _before(source: str, line: int, column: int) -> str:
    """The text before a 0-based (line, column) mark, lines counted as libyaml does."""
    return source[: _offset(source, line, column)]


def _offset(source: str, line: int, column: int) -> int:
    """The index in `source` of a 0-based (line, column) mark, lines counted as libyaml does
    (libyaml's own index counts bytes or characters depending on the build)."""
    start = 0
    for number, found in enumerate(_BREAK.finditer(source)):
        if number == line:
            break
        start = found.end()
    return start + column


def _too_many_nodes(max_nodes: int, aliased: bool, line: int, column: int) -> YAMLLoadError:
    """YAML004 worded for the cause: aliases that multiply, or a file that is just big."""
    if aliased:
        message = (
            f"document expands to more than {max_nodes:,} nodes through aliases "
            "(an alias 'bomb'); reduce the nesting of aliases"
        )
    else:
        message = (
            f"document has more than {max_nodes:,} values: split it into several files "
            "(any file may hold any section)"
        )
    return YAMLLoadError("YAML004", message, line, column)


def _build(events, unknown_tags, max_nodes, max_depth) -> list[Document]:
    documents: list[Document] = []
    anchors: dict[str, tuple[Any, Pos, int]] = {}
    open_anchors: set[str] = set()
    stack: list[_Frame] = []
    root: list = []  # [value, pos] of the current document
    total = 0
    aliased = False  # whether the document used an alias: the node limit's message says why
    ignore_tags = unknown_tags == "ignore"
    last_line = 0

    def add(value, pos, span, size, is_merge_key=False):
        """Attach a finished node to the innermost open collection (or the document)."""
        nonlocal total
        total += size
        if total > max_nodes:
            raise _too_many_nodes(max_nodes, aliased, span[0], span[1])
        if not stack:
            root[:] = [value, pos]
            return
        frame = stack[-1]
        frame.size += size
        if not frame.is_map:
            frame.value.append(value)
            frame.pos.items.append(pos)
            return
        if frame.key is _NO_KEY:
            if not isinstance(pos, tuple):
                raise YAMLLoadError(
                    "YAML009",
                    "a mapping key must be a scalar, not a "
                    + ("mapping" if isinstance(pos, MapPos) else "sequence"),
                    span[0],
                    span[1],
                )
            frame.key = value
            frame.key_span = span
            frame.key_is_merge = is_merge_key
            return
        key, key_span = frame.key, frame.key_span
        frame.key = _NO_KEY
        if frame.key_is_merge:
            _merge(frame, value, pos, key_span)
            return
        _set_key(frame, key, key_span, value, pos)

    for event in events:
        cls = type(event)
        if cls is _ScalarEvent:
            tag = event.tag
            style = event.style
            text = event.value
            try:
                if tag is None or tag == "!":
                    plain = not style and tag is None and event.implicit[0]
                    value = resolve_plain(text) if plain else text
                elif tag in _SCALAR_TAGS:
                    s = event.start_mark
                    value = _resolve_tagged(tag, text, s.line + 1, s.column + 1)
                elif ignore_tags:
                    value = resolve_plain(text) if not style else text
                else:
                    raise _tag_error(event)
            except ValueError:  # int() refuses more digits than sys.get_int_max_str_digits()
                raise _long_int_error(event) from None
            s, e = event.start_mark, event.end_mark
            line = s.line + 1  # one int object per line, shared by the spans on it (memory)
            line = last_line if line == last_line else line
            last_line = line
            span = (line, s.column + 1, line if e.line == s.line else e.line + 1, e.column + 1)
            is_merge = tag is None and not style and text == "<<"
            if event.anchor is not None:
                anchors[event.anchor] = (value, span, 1)
            elif stack and not is_merge:
                # the common case, inlined: a plain value into an open collection
                frame = stack[-1]
                total += 1
                if total > max_nodes:  # one comparison: the limit holds on this path too
                    raise _too_many_nodes(max_nodes, aliased, span[0], span[1])
                frame.size += 1
                if not frame.is_map:
                    frame.value.append(value)
                    frame.pos.items.append(span)
                    continue
                key = frame.key
                if key is _NO_KEY:
                    frame.key = value
                    frame.key_span = span
                    frame.key_is_merge = False
                    continue
                if not frame.key_is_merge:
                    mapping = frame.value
                    if key not in mapping:
                        frame.key = _NO_KEY
                        mapping[key] = value
                        frame.pos.keys[key] = (frame.key_span, span)
                        continue
                total -= 1
                frame.size -= 1
            add(value, span, span, 1, is_merge)
        elif cls is _MappingStartEvent or cls is _SequenceStartEvent:
            is_map = cls is _MappingStartEvent
            tag = event.tag
            if tag not in (_MAP_TAGS if is_map else _SEQ_TAGS) and not ignore_tags:
                raise _tag_error(event)
            if len(stack) >= max_depth:
                s = event.start_mark
                raise YAMLLoadError(
                    "YAML007",
                    f"nesting deeper than {max_depth} levels: look "
                    "for an unclosed '[' or '{' above this point",
                    s.line + 1,
                    s.column + 1,
                )
            span = _span(event)
            frame = _Frame(
                {} if is_map else [], MapPos(span) if is_map else SeqPos(span), is_map, event.anchor
            )
            if event.anchor is not None:
                open_anchors.add(event.anchor)
            stack.append(frame)
        elif cls is _MappingEndEvent or cls is _SequenceEndEvent:
            frame = stack.pop()
            e = event.end_mark
            s = frame.pos.span
            frame.pos.span = (s[0], s[1], e.line + 1, e.column + 1)
            if frame.anchor is not None:
                open_anchors.discard(frame.anchor)
                anchors[frame.anchor] = (frame.value, frame.pos, frame.size)
            total -= frame.size - 1  # children were counted as they were added
            add(frame.value, frame.pos, frame.pos.span, frame.size)
        elif cls is _AliasEvent:
            name = event.anchor
            s = event.start_mark
            if name not in anchors:
                why = (
                    "refers to a node that contains it (a recursive alias)"
                    if name in open_anchors
                    else "has no anchor '&{0}' before it"
                )
                raise YAMLLoadError(
                    "YAML004", f"alias '*{name}' " + why.format(name), s.line + 1, s.column + 1
                )
            value, pos, size = anchors[name]
            aliased = True
            add(value, pos, _span(event), size)
        elif cls is _DocumentStartEvent:
            root[:] = [None, (1, 1, 1, 1)]
            anchors.clear()
        elif cls is _DocumentEndEvent:
            documents.append(Document(*root))
            total = 0
            aliased = False
    return documents


def _tag_error(event) -> YAMLLoadError:
    s = event.start_mark
    tag = _show_tag(event.tag)
    if tag in ("!include", "!import"):
        fix = (
            "every file under the environment folder is already part of it: move the "
            "content to its own file instead of including it"
        )
    elif type(event) is _ScalarEvent:
        fix = "remove the tag; quote the value if it must be a string"
    else:
        fix = "remove the tag"
    return YAMLLoadError(
        "YAML003",
        f"tag '{tag}' is not supported: imgpolicy files are plain YAML ({fix})",
        s.line + 1,
        s.column + 1,
    )


def _long_int_error(event) -> YAMLLoadError:
    s = event.start_mark
    return YAMLLoadError(
        "YAML001",
        f"integer of {len(event.value):,} characters is too long to read "
        f"(at most {sys.get_int_max_str_digits():,} digits; quote it if it is text)",
        s.line + 1,
        s.column + 1,
    )


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def _set_key(frame: _Frame, key, key_span: Span, value, pos: Pos) -> None:
    mapping = frame.value
    try:
        present = key in mapping
    except TypeError:  # pragma: no cover - keys are scalars, always hashable
        present = False
    if present:
        first_span = frame.pos.keys[key][0]
        merged = frame.merged_from and frame.merged_from.get(key)
        if merged:
            raise YAMLLoadError(
                "YAML002",
                f"duplicate key {key!r}: also set by the merge '<<' at line {merged[0]}, "
                f"column {merged[1]} (imgpolicy does not let a key hide a merged one: "
                "remove one of them)",
                key_span[0],
                key_span[1],
                related=(("the merged key is defined here", first_span[0], first_span[1]),),
            )
        raise YAMLLoadError(
            "YAML002",
            f"duplicate key {key!r}: first defined at line {first_span[0]}, column "
            f"{first_span[1]} (YAML keys must be unique: remove or rename one)",
            key_span[0],
            key_span[1],
            related=(("first definition", first_span[0], first_span[1]),),
        )
    mapping[key] = value
    frame.pos.keys[key] = (key_span, pos)


def _merge(frame: _Frame, value, pos: Pos, merge_span: Span) -> None:
    """YAML merge key (`<<: *defaults`): the merged keys may not collide with any other."""
    sources = [(value, pos)]
    if isinstance(pos, SeqPos):
        sources = list(zip(value, pos.items, strict=False))
    if frame.merged_from is None:
        frame.merged_from = {}
    for source, source_pos in sources:
        if not isinstance(source_pos, MapPos):
            raise YAMLLoadError(
                "YAML009",
                "a merge '<<' takes a mapping or a list of "
                "mappings (usually an alias like '<<: *defaults')",
                merge_span[0],
                merge_span[1],
            )
        for key, (key_span, child_pos) in source_pos.keys.items():
            if key in frame.value:
                first_span = frame.pos.keys[key][0]
                raise YAMLLoadError(
                    "YAML002",
                    f"duplicate key {key!r}: the merge '<<' at line {merge_span[0]}, column "
                    f"{merge_span[1]} sets it again (first defined at line {first_span[0]}, "
                    f"column {first_span[1]}); remove one of them",
                    merge_span[0],
                    merge_span[1],
                    related=(
                        ("first definition", first_span[0], first_span[1]),
                        ("merged definition", key_span[0], key_span[1]),
                    ),
                )
            frame.value[key] = source[key]
            frame.pos.keys[key] = (key_span, child_pos)
            frame.merged_from[key] = merge_span
