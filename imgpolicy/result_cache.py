"""A cache of whole check results: an unchanged environment is answered without a check.

A pre-commit hook checks an environment that most commits do not touch. When nothing that
decides a check's result has changed since a check stored its answer, `imgpolicy check`
prints the very same bytes and exits with the same status without loading the model,
parsing a file or running a rule. What decides the result, all of it in the key:

- the code: every file of the imgpolicy package, by content (a developer editing a rule
  never gets a stale answer; hashing the 1.8 MB package costs ~3 ms), the Python
  interpreter and its flags, and the installed packages (each `sys.path` folder's
  modification time: installing, upgrading or removing a distribution, such as pydantic,
  PyYAML or a plugin, changes the folder);
- the question: the working folder, PATHS as given, --config, --select, --ignore,
  --fail-on, the baseline's bytes, --today or today's date;
- the configuration: the explicit file's bytes, else every `.imgpolicy.yaml`,
  `pyproject.toml` and `.git` in the folders above the environment (what the search for
  the nearest configuration looks at, so a configuration added or edited anywhere on the
  way misses);
- the environment: the name and kind of every entry under PATHS (hidden ones aside, as the
  loader leaves them; so a new, removed or renamed file misses) and the SHA-256 of every
  environment file's bytes.

A configuration with plugin rules (installed ones or `rules_path:`) is never answered from
the cache: their code is not in the key. The answer holds the report exactly as it was
written (per format; colour and -q are formats of their own), the exit status and the
run's inputs (no --output may overwrite them), as marshal data, checksummed.

The entries live in the parse cache's folder (`load/cache.py`), one per question, and are
read only from a folder this user owns and nobody else may write, like the parse cache's
(`cachedir`, which imports no loader: importing `imgpolicy.load` builds the pydantic
model, most of the start-up cost).
A check stores its answer only when the environment was the same before and after it, so
a file edited while the rules ran is never stored with the wrong report. Only the
command-line process (`imgpolicy`, `cli.run`) uses the result cache: in a process that
imported imgpolicy to drive it (tests, scripts), what runs may differ from the files.
`--no-cache` turns it off with the parse cache; `IMGPOLICY_NO_RESULT_CACHE=1` turns off
this one alone.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from . import fsutil
from .cachedir import Unsafe, mark_folder, read_entry, safe_folder, verbose_note, write_entry

NO_RESULT_CACHE = "IMGPOLICY_NO_RESULT_CACHE"

# --- whole-check results ---------------------------------------------------------------------

_MAGIC = b"imgpolicy result cache 1\n"
_CHECKSUM = 32
_ENTRY_PREFIX = "result-"
_MAX_READ = 256 * fsutil.MiB
"""Files are read whole to be hashed; the loader refuses anything near this size."""
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class Question:
    """What the command line asks, besides the files: every option that changes findings
    or the exit status (the output format is a view of the answer, not part of it)."""

    paths: tuple[str, ...]
    config: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    today: str | None = None
    baseline: str | None = None

    def words(self) -> list[str]:
        """The question as text, with the working folder (paths are relative to it)."""
        return [
            os.getcwd(),
            *self.paths,
            f"config={self.config}",
            "select=" + ",".join(self.select),
            "ignore=" + ",".join(self.ignore),
            f"fail_on={self.fail_on}",
            f"today={self.today}",
            f"baseline={self.baseline}",
        ]


@dataclass(frozen=True)
class Answer:
    """A stored check: the exit status, the files the run read (outputs must not overwrite
    them) and each view of the report that was written (`view(...)` names them)."""

    status: int
    inputs: list[str]
    views: dict[str, str]


def view(fmt: str, *, color: bool = False, quiet: bool = False) -> str:
    """The name of one way to show the report: a format, and for text colour and -q."""
    if fmt != "text":
        return fmt
    return fmt + ("+color" if color else "") + ("+quiet" if quiet else "")


class ResultCache:
    """The stored answer to one question, in the cache folder `folder`."""

    def __init__(self, folder: str, question: Question, say: Callable[[str], None]):
        self.folder = folder
        self.question = question
        self._say = say
        self._name = _ENTRY_PREFIX + _digest(question.words()).hex()[:32]
        self._stored: dict | None = None
        self._files: list[str] | None = None
        self._before: bytes | None = None

    @classmethod
    def open(
        cls, folder: str, question: Question, say: Callable[[str], None] | None = None
    ) -> ResultCache:
        """The result cache of `question` in `folder` (nothing is created until `keep`)."""
        return cls(folder, question, say or verbose_note)

    def answer(self, views: Sequence[str]) -> Answer | None:
        """The stored answer when nothing that decides it changed and it holds every view
        asked for; None otherwise (the check runs)."""
        stored = self._read()
        if stored is None:
            return None
        if _state(self.question, stored["files"]) != stored["digest"]:
            self._say("result cache: the environment, the configuration or imgpolicy changed")
            return None
        self._stored = stored
        if any(v not in stored["views"] for v in views):
            return None
        self._say(f"result cache: the report of an unchanged check, from {self.folder}")
        return Answer(stored["status"], stored["inputs"], stored["views"])

    def expect(
        self, files: list[str], config_source: str | None, origins: Iterable[str], moved: bool
    ) -> None:
        """Before the check: note the state it starts from (`files` as the loader finds
        them), unless its answer cannot be keyed safely: plugin rules (their code is not
        in the key), or a configuration that `moved` the cache folder (a hit could not
        find it without reading the configuration)."""
        why = _not_keyable(config_source, origins, moved)
        if why:
            self._say(f"result cache not used: {why}")
            return
        self._files = list(files)
        self._before = _state(self.question, self._files)

    def keep(self, status: int, inputs: list[str], views: dict[str, str]) -> None:
        """After the check: store its answer when the state is still the one it started
        from (views of the same answer stored earlier are kept)."""
        if self._files is None or self._before is None:
            return
        if _state(self.question, self._files) != self._before:
            self._say("result cache: the environment changed during the check; not stored")
            return
        if self._stored is not None and self._stored["digest"] == self._before:
            views = {**self._stored["views"], **views}
        payload = marshal.dumps(
            {
                "digest": self._before,
                "files": self._files,
                "inputs": list(inputs),
                "status": status,
                "views": views,
            }
        )
        checksum = hashlib.sha256(payload).digest()
        new = not os.path.lexists(self.folder)
        try:
            fd = safe_folder(self.folder)
        except Unsafe as why:
            self._say(f"result cache not used: {self.folder} {why}")
            return
        except OSError as err:
            self._say(f"result cache not written: {self.folder}: {err.strerror or err}")
            return
        try:
            if new:  # never a folder that was there before, such as `--cache-dir .`
                mark_folder(self.folder, fd)
            fsutil.remove_stale_temps(self.folder)
            write_entry(fd, self._name, (_MAGIC, checksum, payload))
        except OSError as err:
            self._say(f"result cache not written: {self.folder}: {err.strerror or err}")
        finally:
            os.close(fd)

    def _read(self) -> dict | None:
        """The stored answer, None when there is none or it cannot be trusted."""
        try:
            fd = safe_folder(self.folder, create=False)
        except FileNotFoundError:
            return None
        except Unsafe as why:
            self._say(f"result cache not used: {self.folder} {why}")
            return None
        except OSError:
            return None
        try:
            blob = read_entry(fd, self._name)
        finally:
            os.close(fd)
        return _parsed(blob) if blob is not None else None


def _parsed(blob: bytes) -> dict | None:
    """An entry's answer, None unless it is whole and of the expected shape."""
    head = len(_MAGIC) + _CHECKSUM
    payload = blob[head:]
    if (
        blob[: len(_MAGIC)] != _MAGIC
        or hashlib.sha256(payload).digest() != blob[len(_MAGIC) : head]
    ):
        return None
    try:
        stored = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    shapes = {"digest": bytes, "files": list, "inputs": list, "status": int, "views": dict}
    if type(stored) is not dict or any(type(stored.get(k)) is not t for k, t in shapes.items()):
        return None
    texts = [*stored["files"], *stored["inputs"], *stored["views"], *stored["views"].values()]
    return stored if all(type(t) is str for t in texts) else None


def _not_keyable(config_source: str | None, origins: Iterable[str], moved: bool) -> str | None:
    """Why a check's answer cannot be stored, or None. A configuration that merely
    mentions `rules_path` counts: rule files added to that folder later would not miss."""
    if any(origin != "house" for origin in origins):
        return "plugin rules are installed or configured (their code is not in the key)"
    if moved:
        return "the configuration's cache_dir moves the cache (give --cache-dir instead)"
    if config_source:
        raw = _read(config_source)
        if raw is None or b"rules_path" in raw:
            return f"{config_source} sets rules_path (rule files are not in the key)"
    return None


# --- the state a check depends on --------------------------------------------------------------


def _state(question: Question, files: Iterable[str]) -> bytes:
    """The digest of everything besides the question's own words that decides the answer:
    the code, the configuration, the baseline, the date and the environment's files."""
    digest = hashlib.sha256(_MAGIC)
    parts: list[Iterable[str]] = [
        question.words(),
        _interpreter(),
        [f"today={question.today or date.today().isoformat()}"],
        [_code()],
        _installed(),
        _configuration(question),
        [_stamp(question.baseline)] if question.baseline else [],
        _listing(question.paths),
        (f"{path}\0{_stamp(path, kind=False)}" for path in files),
    ]
    for part in parts:
        for word in part:
            digest.update(os.fsencode(word) + b"\0")
        digest.update(b"\1")
    return digest.digest()


def _digest(words: Iterable[str]) -> bytes:
    digest = hashlib.sha256()
    for word in words:
        digest.update(os.fsencode(word) + b"\0")
    return digest.digest()


def _interpreter() -> list[str]:
    """The Python that runs the check, and what changes how it runs."""
    return [
        sys.executable,
        sys.version,
        sys.implementation.cache_tag or "",
        f"marshal {marshal.version}",
        f"flags {sys.flags.optimize} {sys.flags.utf8_mode}",
        f"int digits {sys.get_int_max_str_digits()}",
    ]


_CODE: list[str] = []


def _code() -> str:
    """The digest of every file of the imgpolicy package (code, data, templates), once per
    process."""
    if not _CODE:
        digest = hashlib.sha256()
        for folder, dirs, names in os.walk(_PACKAGE):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            for name in sorted(names):
                if name.endswith((".pyc", ".pyo")):
                    continue
                path = os.path.join(folder, name)
                digest.update(os.fsencode(os.path.relpath(path, _PACKAGE)) + b"\0")
                digest.update(_read(path) or b"\0unreadable")
        _CODE.append(digest.hexdigest())
    return _CODE[0]


def _installed() -> list[str]:
    """Each folder Python imports from, with its modification time: (un)installing or
    upgrading a distribution adds or removes entries there."""
    out = []
    for entry in sys.path:
        try:
            info = os.stat(entry or ".")
            out.append(f"{entry} {info.st_dev} {info.st_ino} {info.st_mtime_ns}")
        except OSError as err:
            out.append(f"{entry} {err.errno}")
    return out


def _configuration(question: Question) -> list[str]:
    """The configuration file (--config), else everything the search for the nearest one
    looks at in the folders above the environment, up to the root."""
    if question.config:
        return [_stamp(question.config)]
    if not question.paths:
        return []
    out = []
    folder = os.path.realpath(question.paths[0])
    while True:
        out.append(_stamp(folder))
        for name in (".imgpolicy.yaml", "pyproject.toml"):
            out.append(_stamp(os.path.join(folder, name)))
        out.append(_stamp(os.path.join(folder, ".git"), content=False))
        parent = os.path.dirname(folder)
        if parent == folder:
            return out
        folder = parent


def _stamp(path: str, *, content: bool = True, kind: bool = True) -> str:
    """A file as far as a check can tell: its kind, owner and mode (a configuration others
    may write is ignored), and its bytes' digest."""
    try:
        info = os.lstat(path)
    except OSError as err:
        return f"{path} missing {err.errno}"
    words = [path]
    if kind:
        words.append(f"{stat.S_IFMT(info.st_mode)} {info.st_mode:o} {info.st_uid}")
        if stat.S_ISLNK(info.st_mode):
            try:
                target = os.stat(path)
                words.append(f"-> {stat.S_IFMT(target.st_mode)} {target.st_mode:o}")
            except OSError as err:
                words.append(f"-> {err.errno}")
    if content and not stat.S_ISDIR(info.st_mode):
        raw = _read(path)
        words.append(hashlib.sha256(raw).hexdigest() if raw is not None else "unreadable")
    return " ".join(words)


def _read(path: str) -> bytes | None:
    try:
        return fsutil.read_bounded(path, _MAX_READ)
    except (OSError, fsutil.ReadRefused):
        return None


def _listing(paths: Iterable[str]) -> list[str]:
    """The name and kind of every entry under `paths`, linked folders followed once (as
    the loader does), hidden entries left out (the loader never looks at them)."""
    out: list[str] = []
    visited: set[tuple[int, int]] = set()
    for path in paths:
        out.append(_stamp(path, content=False))
        if os.path.isdir(path):
            _walk(path, out, visited)
    return out


def _walk(root: str, out: list[str], visited: set[tuple[int, int]]) -> None:
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in visited:
                continue
            visited.add((info.st_dev, info.st_ino))
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as err:
            out.append(f"{folder} unreadable {err.errno}")
            continue
        below = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
                link = entry.is_symlink()
            except OSError:
                is_dir = link = False
            out.append(f"{'d' if is_dir else 'f'}{'l' if link else ''} {entry.path}")
            if is_dir:
                below.append(entry.path)
        stack.extend(reversed(below))
