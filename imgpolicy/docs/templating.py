"""Jinja2 for the architecture documents: sandboxed, autoescaped, overridable per template.

Every template, shipped or the site's own (`--templates DIR`, searched first, so any
template or partial can be replaced by a file of the same name), runs in Jinja2's
`SandboxedEnvironment`: a template can read the view model, not reach into Python.

HTML templates are autoescaped. Markdown templates get the same protection by another
route: every `{{ ... }}` passes through `md()` unless it is already escaped Markdown
(`MdSafe`, what the `code`, `md` and `cell` filters return), so user text cannot break a
table or add markup even where a template forgets a filter.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from .. import fsutil
from .escape import MdSafe, md, md_code, slug

DOCUMENTS = {"architecture.md": "architecture.md.j2", "architecture.html": "architecture.html.j2"}


class TemplateProblem(Exception):
    """A template that cannot be loaded or rendered; the message names it (and the line)."""


def shipped_templates() -> str:
    return str(resources.files("imgpolicy") / "templates" / "docs")


def _is_html(name: str | None) -> bool:
    return name is not None and (name.endswith((".html.j2", ".html", ".svg.j2", ".css.j2")))


def _finalize_md(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (MdSafe, Markup)):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    return md(value)


def _finalize_html(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _join_md(values, sep: str = ", ") -> MdSafe:
    """Items escaped, the separator (the template's own text, e.g. `<br>` or ` | `) not."""
    return MdSafe(sep.join(md(v) for v in values))


def _codes_md(values, sep: str = ", ") -> MdSafe:
    return MdSafe(sep.join(md_code(v) for v in values))


def _hops_md(chains) -> MdSafe:
    """Paths (lists of AE titles) as `A` → `B`, one per line."""
    return MdSafe("<br>".join(" → ".join(md_code(t) for t in chain) for chain in chains))


def _hops_html(chains) -> Markup:
    return Markup("<br>").join(
        Markup(" → ").join(Markup("<code>%s</code>") % t for t in chain) for chain in chains
    )


MAX_TEMPLATE_BYTES = 1 * fsutil.MiB
"""A template larger than this is refused (the shipped ones are a few KiB)."""
MAX_DOCUMENT_CHARS = 64 * fsutil.MiB
"""A document longer than this stops its rendering: a template that loops without end."""
CPU_BUDGET_SECONDS = 60.0
"""CPU time all documents may take together (the shipped templates take about a second);
a template that runs longer is stopped with a message rather than run forever."""
MAX_REPEAT = 10_000_000
"""The largest string or list a template may build with `*` (items)."""
MAX_POWER_BITS = 100_000
"""The largest whole number a template may build with `**` (bits)."""


class _OverBudget(Exception):
    """A template used more CPU time or built a longer document than it may."""


class _Budget:
    """The CPU-time deadline of one `render_documents` call, checked from the sandbox's
    hooks (every call, attribute and item access), after every piece of output, and, in
    the main thread, by a profiling timer that interrupts even a loop with no hook."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.process_time() + seconds

    def check(self) -> None:
        if time.process_time() > self.deadline:
            raise _OverBudget(f"it used more than {self.seconds:g} s of CPU time")

    def __enter__(self) -> _Budget:
        self._armed = threading.current_thread() is threading.main_thread() and hasattr(
            signal, "setitimer"
        )
        if self._armed:
            self._previous = signal.signal(signal.SIGPROF, self._expired)
            signal.setitimer(signal.ITIMER_PROF, self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, self._previous or signal.SIG_DFL)

    def _expired(self, signum: int, frame: object) -> None:
        raise _OverBudget(f"it used more than {self.seconds:g} s of CPU time")


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, with the budget checked at every hook and `*` / `**` bounded (a
    template must not build a 10 GB string in one operation)."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, budget: _Budget, **options: Any):
        super().__init__(**options)
        self.budget = budget

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        __self.budget.check()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.budget.check()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.budget.check()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self.budget.check()
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, (str, list, tuple))
                    and isinstance(count, int)
                    and len(seq) * count > MAX_REPEAT
                ):
                    raise _OverBudget(
                        f"it repeats a {type(seq).__name__} {count:,} times (more than "
                        f"{MAX_REPEAT:,} items)"
                    )
        elif (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and abs(left) > 1
            and abs(left).bit_length() * right > MAX_POWER_BITS
        ):
            raise _OverBudget(f"{left} ** {right} is too large a number")
        return super().call_binop(context, operator, left, right)


class _FolderLoader(jinja2.BaseLoader):
    """Templates from folders, the first that has a name wins (the site's `--templates`
    folder, then the shipped one). A template must be a regular file inside its folder:
    a link that leads outside it (`style.css.j2 -> /proc/self/environ`, `etc -> /etc`) is
    refused, so a committed templates folder cannot publish the machine's files. Each is
    read with `fsutil.read_bounded` (at most `MAX_TEMPLATE_BYTES`)."""

    def __init__(self, searchpath: list[str]):
        self.searchpath = searchpath

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)
        for folder in self.searchpath:
            path = os.path.join(folder, *pieces)
            if not os.path.lexists(path):
                continue
            return _read_template(folder, path), path, lambda: True
        raise jinja2.TemplateNotFound(template)


def _read_template(folder: str, path: str) -> str:
    """The text of the template at `path`, which must stay inside `folder`."""
    real, home = os.path.realpath(path), os.path.realpath(folder)
    if os.path.commonpath([real, home]) != home:
        raise TemplateProblem(
            f"template {path} leads outside the templates folder {folder} (to {real}): "
            "templates are read only from inside it; copy the file into the folder"
        )
    try:
        raw = fsutil.read_bounded(real, MAX_TEMPLATE_BYTES)
    except fsutil.ReadRefused as err:
        raise TemplateProblem(f"template {path} {err.reason}") from None
    except OSError as err:
        raise TemplateProblem(f"cannot read template {path}: {err.strerror or err}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise TemplateProblem(
            f"template {path} is not valid UTF-8 (byte {err.start}): save it as UTF-8"
        ) from None


def _environment(templates: str | None, markdown: bool, budget: _Budget) -> _Sandbox:
    paths = ([templates] if templates else []) + [shipped_templates()]
    env = _Sandbox(
        budget,
        loader=_FolderLoader(paths),
        autoescape=(lambda name: False) if markdown else _is_html,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize_md if markdown else _finalize_html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update({"slug": slug})
    if markdown:
        env.filters.update(
            {"md": md, "code": md_code, "join_md": _join_md, "codes": _codes_md, "hops": _hops_md}
        )
    else:
        env.filters.update({"hops": _hops_html})
    return env


def render_documents(view: dict[str, Any], templates: str | None = None) -> dict[str, str]:
    """{file name: text} of every document, rendered in memory (nothing is written).

    Whatever a template does (the site's own included) ends as a `TemplateProblem`
    naming it: an error of any kind, more than `CPU_BUDGET_SECONDS` of CPU, a document
    longer than `MAX_DOCUMENT_CHARS`, text that cannot be written as UTF-8."""
    if templates is not None and not os.path.isdir(templates):
        raise TemplateProblem(f"--templates {templates}: no such directory")
    out = {}
    try:
        with _Budget(CPU_BUDGET_SECONDS) as budget:
            for name, template_name in DOCUMENTS.items():
                env = _environment(templates, markdown=name.endswith(".md"), budget=budget)
                out[name] = _tidy(_render(env, template_name, view, budget))
    except _OverBudget as err:  # the timer went off between two templates
        raise TemplateProblem(f"templates stopped: {err}; simplify them") from None
    for name, text in out.items():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise TemplateProblem(
                f"template {DOCUMENTS[name]} failed: it produced text that cannot be written "
                f"as UTF-8 ({err.reason} at character {err.start} of {name})"
            ) from None
    return out


def _render(env: _Sandbox, template_name: str, view: dict[str, Any], budget: _Budget) -> str:
    """One document, streamed so that its length and the CPU budget are checked as it
    grows; every failure becomes a `TemplateProblem`."""
    try:
        pieces: list[str] = []
        size = 0
        for piece in env.get_template(template_name).generate(doc=view):
            size += len(piece)
            if size > MAX_DOCUMENT_CHARS:
                raise _OverBudget(
                    f"the document grew beyond {MAX_DOCUMENT_CHARS // fsutil.MiB} MiB characters"
                )
            pieces.append(piece)
            budget.check()
        return "".join(pieces)
    except TemplateProblem:
        raise
    except jinja2.TemplateSyntaxError as err:
        raise TemplateProblem(
            f"template {err.filename or err.name}:{err.lineno}: {err.message}"
        ) from None
    except jinja2.TemplateNotFound as err:
        folders = " or ".join(getattr(env.loader, "searchpath", []))
        raise TemplateProblem(f"template {err.name} not found (in {folders})") from None
    except _OverBudget as err:
        raise TemplateProblem(
            f"template {_where(err, template_name)} stopped: {err}; simplify the template"
        ) from None
    except Exception as err:  # any failure of a template is the template's
        detail = str(err) or "(no detail)"
        raise TemplateProblem(
            f"template {_where(err, template_name)} failed: {type(err).__name__}: {detail}"
        ) from None


def _where(err: BaseException, fallback: str) -> str:
    """`file:line` of the template frame an error came from (Jinja2 maps its frames back
    to template lines), else the top-level template's name."""
    where = fallback
    tb = err.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2"):
            where = f"{name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def _tidy(text: str) -> str:
    """One trailing newline, no trailing spaces, at most one blank line in a row: stable
    output however a template spaces its blocks."""
    lines = [line.rstrip() for line in text.splitlines()]
    tidy: list[str] = []
    for line in lines:
        if not line and (not tidy or not tidy[-1]):
            continue
        tidy.append(line)
    while tidy and not tidy[-1]:
        tidy.pop()
    return "\n".join(tidy) + "\n"
