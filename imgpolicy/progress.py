"""Progress and timings on standard error: the one place that decides what a run shows
besides its output.

    progress.configure(quiet=False, verbose=False)   # once, from the command line
    with progress.phase("loading the environment"):  # a status line; a timing under -v
        ...
    show = progress.bar("probing")                   # None when nothing is shown
    show(done, total)

Progress goes to standard error and only when it is a terminal, so a pipe, a file, a
pre-commit hook or a CI log (CI set, e.g. CI=true) never gets carriage returns and escape
codes, and standard output is the same with and without it. `-q` turns progress off;
`-v` adds how long each phase took (`imgpolicy: <phase>: 0.123 s`), on any stream.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

ProgressCallback = Callable[[int, int], None]
"""Called with (done, total) as work items finish."""

CLEAR = "\r\x1b[K"
"""Back to the start of the line and erase it: progress leaves nothing behind."""

BAR_WIDTH = 30


def in_ci(environ: dict[str, str] | os._Environ[str] | None = None) -> bool:
    """CI services set CI (true, 1, yes...); their logs are not terminals a person watches,
    even when they allocate a pseudo-terminal, so progress stays off there."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no")


def _is_terminal(stream: TextIO | None) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # a closed stream
        return False


@dataclass
class Settings:
    """What the command line asked for: -q (no progress, no notes) and -v (timings)."""

    quiet: bool = False
    verbose: bool = False


_settings = Settings()


def configure(*, quiet: bool = False, verbose: bool = False) -> Settings:
    """Set -q/-v for this process (the command line calls this once); -q wins over -v for
    progress, never for timings the user asked for."""
    global _settings
    _settings = Settings(quiet=quiet, verbose=verbose)
    return _settings


def settings() -> Settings:
    return _settings


def _stream(stream: TextIO | None) -> TextIO:
    """Standard error as it is now (tests and `CliRunner` replace it), unless given."""
    return stream if stream is not None else sys.stderr


def shows_progress(stream: TextIO | None = None) -> bool:
    """Whether progress may be drawn on `stream`: a terminal, not in CI, not under -q."""
    return not _settings.quiet and not in_ci() and _is_terminal(_stream(stream))


def _write(stream: TextIO, text: str) -> None:
    """Progress is a courtesy: a stream that fails (a closed terminal) never fails the run."""
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        pass


def bar(label: str, stream: TextIO | None = None) -> ProgressCallback | None:
    """A one-line bar `label [####....] done/total` on `stream` (standard error), erased
    when done; None when progress is not shown (so callers skip the work of reporting)."""
    out = _stream(stream)
    if not shows_progress(out):
        return None

    def show(done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        text = f"\r{label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}"
        _write(out, text + (CLEAR if done >= total else ""))

    return show


@contextmanager
def phase(name: str, stream: TextIO | None = None) -> Iterator[None]:
    """One step of a command (loading, rules, rendering...): on a terminal, a status line
    `name...` while it runs, erased after; under -v, `imgpolicy: name: 0.123 s` once it
    ends (also when it fails, so a slow failing step is still measured)."""
    out = _stream(stream)
    live = shows_progress(out)
    if live:
        _write(out, f"\r{name}...")
    start = time.perf_counter()
    try:
        yield
    finally:
        if live:
            _write(out, CLEAR)
        if _settings.verbose:
            _write(out, f"imgpolicy: {name}: {time.perf_counter() - start:.3f} s\n")
