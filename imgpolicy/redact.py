"""Secrets never leave the process: the one redaction step every output goes through.

What counts as a secret is decided here and nowhere else:

- a value at a *credential path*: under a `credentials` mapping, or at a key named like a
  secret (`password`, `passwd`, `secret`, `token`, `api_key`, `apikey`, `client_secret`,
  `private_key`...). The model's own secret fields (`SECRET_FIELDS`) are what rule
  SEC002 inspects; the wider name test also covers keys the schema rejects, whose values
  must not be echoed either;
- the user info of a URL (`https://user:pw@host/`) and the value of a query parameter
  that carries a credential (`?access_token=...`, `sig=`, `key=`...).

`Redactor.from_load(load)` collects the literal values written at credential paths of
every environment file (parsed data for files that loaded, a line scan for files that did
not, so a tagged `password: !!float x` that stops the loader is known too).
`report.render()` and `docs.generate()` pass every message, path and document through a
`Redactor`, so each output format and both documents mask the same things.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .findings import Finding
    from .load import LoadResult
    from .load.files import SourceFile

SECRET_FIELDS = ("password", "token", "api_key")
"""The secret fields of an integration's `credentials` in the model (SEC002 checks them)."""

ENV_REFERENCE = re.compile(r"\$\{(?:env:)?[A-Z_][A-Z0-9_]*\}")
"""A secret written as a reference to the deployment's environment, `${NAME}` or
`${env:NAME}`: not a secret itself."""

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Shorter literal values are not masked inside other text: masking `1` or `abc` would
garble line numbers and words while protecting nothing worth the name."""

_CREDENTIAL_KEY = re.compile(
    r"(?:^|_)(?:pass(?:word|wd|phrase)?|pwd|secret|token|api_?key|private_?key|"
    r"client_secret|credentials?|auth(?:orization)?|bearer|sig(?:nature)?)(?:_|$)"
)
_QUERY_SECRET = re.compile(
    r"(?:access_token|refresh_token|id_token|token|auth|authorization|key|api_?key|apikey|"
    r"sig|signature|secret|client_secret|password|passwd|pwd|code|x-amz-signature|"
    r"x-amz-credential|x-amz-security-token|se?ssion(?:_?id)?)",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^\s/?#@<>\"'`]+)@"
)
_URL_QUERY_PARAM = re.compile(
    r"(?P<lead>[?&;])(?P<name>[A-Za-z0-9_.\-]+)=(?P<value>[^\s&#;<>\"'`|)\]]+)"
)
_YAML_CREDENTIAL_LINE = re.compile(
    r"""(?:^|[{,\s-])["']?(?P<key>[A-Za-z0-9_\-]+)["']?[ \t]*:(?=[ \t]+(?P<value>[^\n]*))"""
)
"""`key: value` anywhere on a line (block or flow style); the value is looked ahead at, so
the next key of a flow mapping on the same line is found too."""
_HINTS = ("pass", "pwd", "secret", "token", "key", "credential", "auth", "bearer", "sig")
"""Parts of every credential key's name: text without one holds no credential key (a file
is screened with `str.find`: a regular expression with alternatives and IGNORECASE
crawls through megabytes)."""
_CREDENTIAL_HINT = re.compile("|".join(_HINTS), re.I)
"""What a line must contain to be worth matching against the pattern above."""


def is_credential_key(key: object) -> bool:
    """Whether a mapping key names a secret (`password`, `client-secret`, `apiKey`...)."""
    return isinstance(key, str) and _credential_word(key)


@cache
def _credential_word(key: str) -> bool:
    """Keys repeat (`name`, `ae_title`...): each is judged once per process."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower().replace("-", "_")
    return bool(_CREDENTIAL_KEY.search(words))


def is_credential_path(loc: Iterable[object]) -> bool:
    """Whether a path into the data (`integrations, 2, credentials, password`) leads to
    a secret: some key on it names one (a `credentials` mapping included)."""
    return any(is_credential_key(part) for part in loc)


def redact_urls(text: str) -> str:
    """`text` with the user info and credential query values of every URL masked."""
    if "://" not in text and "=" not in text:
        return text
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    return _URL_QUERY_PARAM.sub(_mask_param, text)


def url_credentials(text: str) -> list[str]:
    """What the URLs in `text` carry as credentials, named without their values (rule
    SEC002): `user info password` for `https://user:pw@host`, `query parameter token` for
    `?token=...`. A user name alone and environment references (`${NAME}`) are no secret."""
    found: list[str] = []
    if "@" not in text and "=" not in text:
        return found  # most values: no user info, no query parameter
    for match in _URL_USERINFO.finditer(text):
        _, colon, password = match["userinfo"].partition(":")
        if colon and password and not ENV_REFERENCE.fullmatch(password):
            found.append("user info password")
    for match in _URL_QUERY_PARAM.finditer(text):
        if _QUERY_SECRET.fullmatch(match["name"]) and not ENV_REFERENCE.fullmatch(match["value"]):
            found.append(f"query parameter {match['name']}")
    return found


def may_hold_url_credentials(text: str) -> bool:
    """Whether a file's text could give a value `url_credentials` finds something in: one
    with `@` or `=` (an escape such as `\\x40` could make one, so a backslash counts too)."""
    return "@" in text or "=" in text or "\\" in text


_KEY_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _may_hold_credentials(source: SourceFile) -> bool:
    """Whether a file has a credential key: judged on its keys when the loader gave them
    (a few hundred distinct ones), else screened in its text."""
    if source.keys is None:
        return may_hold_credential_keys(source.text)
    return any(is_credential_key(key) for key in source.keys)


def may_hold_credential_keys(text: str) -> bool:
    """Whether a file's text could hold a key `is_credential_key` accepts: a word of it
    that is one (`bypass` and `KeyObjectSelection...` are not), or a backslash (an escaped
    key). Lets the data walk skip most files of an estate: the few places where a hint of
    one shows are widened to their word, which is judged like a key."""
    lowered = text.lower()
    if "\\" in text or len(lowered) != len(text):
        return True  # an escape, or letters whose lower case changes the text's length
    judged: set[str] = set()
    for hint in _HINTS:
        found = lowered.find(hint)
        while found >= 0:
            start, end = found, found + len(hint)
            while start and text[start - 1] in _KEY_CHARACTERS:
                start -= 1
            while end < len(text) and text[end] in _KEY_CHARACTERS:
                end += 1
            word = text[start:end]
            if word not in judged:
                judged.add(word)
                if _credential_word(word):
                    return True
            found = lowered.find(hint, end)
    return False


def _mask_param(match: re.Match) -> str:
    if not _QUERY_SECRET.fullmatch(match["name"]) or match["value"] == MASK:
        return match[0]
    return f"{match['lead']}{match['name']}={MASK}"


_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` as valid Unicode: lone surrogates (a non-UTF-8 file name decoded by the OS
    layer, `h\\udcf4pital.yaml`) become U+FFFD, so writing it never fails."""
    return _SURROGATE.sub("\ufffd", text)


@dataclass(frozen=True)
class Redactor:
    """Masks known secret values and URL credentials in any text."""

    secrets: frozenset[str] = frozenset()

    @classmethod
    def from_load(cls, load: LoadResult) -> Redactor:
        """Every literal value at a credential path of the environment's files."""
        values: set[str] = set()
        valid = set(load.environment.files)
        for source in load.sources.values():
            if _may_hold_credentials(source):
                values.update(_values_in_data(source.data, False))
            if source.path not in valid:  # schema errors may quote values as written
                values.update(_values_in_text(source.text))
        for path in load.files:
            if path not in load.sources:  # did not load: scan its lines
                values.update(_values_in_text(_read(path)))
        return cls(frozenset(v for v in values if _worth_masking(v)))

    def text(self, text: str) -> str:
        """`text` without a secret: known values become `***`, then URLs are masked."""
        return printable(redact_urls(self.values(text)))

    def values(self, text: str) -> str:
        """`text` with the known secret values masked (longest first, so a value that
        holds another is masked whole)."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def finding(self, finding: Finding) -> Finding:
        """The finding with its message, related messages and suppression reason masked
        (paths stay as they are: SARIF encodes their exact bytes)."""
        related = tuple(replace(r, message=self.text(r.message)) for r in finding.related)
        suppressed = finding.suppressed
        if suppressed is not None:
            suppressed = replace(suppressed, reason=self.text(suppressed.reason))
        return replace(
            finding,
            message=self.text(finding.message),
            related=related,
            suppressed=suppressed,
        )

    def view(self, value: Any) -> Any:
        """A documents' view model with every string masked. Pre-rendered markup (the SVG
        diagrams) stays markup; secrets are looked for in it as HTML-escaped text too."""
        from markupsafe import Markup, escape

        escaped = Redactor(self.secrets | {str(escape(s)) for s in self.secrets})

        def walk(item: Any) -> Any:
            if isinstance(item, str):  # Markup, MdSafe...: the same kind of text back
                masked = (escaped if isinstance(item, Markup) else self).text(str(item))
                return item if masked == item else type(item)(masked)
            if isinstance(item, Mapping):
                return {k: walk(v) for k, v in item.items()}
            if isinstance(item, (list, tuple)):
                return type(item)(walk(v) for v in item)
            return item

        return walk(value)


def _worth_masking(value: str) -> bool:
    value = value.strip()
    if value[:1] in ("{", "[") or ENV_REFERENCE.fullmatch(value.strip("'\"")):
        return False  # a flow collection (its keys are scanned on their own) or a reference
    return len(value) >= MIN_SECRET_LENGTH


def _values_in_data(data: Any, secret: bool) -> Iterable[str]:
    """Scalars at credential paths of parsed YAML, as text (and as written for numbers);
    `secret`: some key on the way here names a secret."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            if secret or is_credential_key(key) or isinstance(value, (Mapping, list)):
                yield from _values_in_data(value, secret or is_credential_key(key))
    elif isinstance(data, list):
        for item in data:
            if secret or isinstance(item, (Mapping, list)):
                yield from _values_in_data(item, secret)
    elif data is not None and secret:
        yield str(data)
        if isinstance(data, bool):
            yield str(data).lower()
        elif isinstance(data, float):
            yield repr(data)


def _values_in_text(text: str) -> Iterable[str]:
    """Values written after a credential key on a line (`password: !!float x  # c`), found
    without parsing, for files the loader rejected."""
    for line in text.splitlines():
        if not _CREDENTIAL_HINT.search(line):
            continue  # most lines: one cheap search instead of the full pattern
        for match in _YAML_CREDENTIAL_LINE.finditer(line):
            if is_credential_key(match["key"]):
                yield from _scalar_forms(match["value"])


def _scalar_forms(raw: str) -> Iterable[str]:
    """What a scalar written as `raw` may show up as in a message: the text after any tag
    or anchor, with and without quotes, up to a comment or the end of a flow item."""
    value = raw.strip()
    while value.startswith(("!", "&")):  # tags and anchors: `!!float x`, `&a x`
        _, _, rest = value.partition(" ")
        value = rest.strip() if rest else ""
    if value[:1] in ("'", '"'):
        quote = value[0]
        end = value.find(quote, 1)
        inner = value[1:end] if end > 0 else value[1:]
        yield inner
        yield value[: end + 1] if end > 0 else value
        return
    value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
    yield value
    yield re.split(r"[,}\]]", value, maxsplit=1)[0].strip()


def _read(path: str) -> str:
    """The text of a file that did not load (bounded: the loader's own limit)."""
    from . import fsutil
    from .load.files import MAX_FILE_BYTES

    try:
        return fsutil.read_bounded(path, MAX_FILE_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""
