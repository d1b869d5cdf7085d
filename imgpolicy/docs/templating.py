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
from importlib import resources
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from .escape import MdSafe, md, md_code, slug

DOCUMENTS = {"architecture.md": "architecture.md.j2", "architecture.html": "architecture.html.j2"}


class TemplateProblem(Exception):
    """A template that cannot be loaded or rendered; the message names it (and the line)."""


def shipped_templates() -> str:
    return str(resources.files("imgpolicy") / "templates" / "docs")


def _is_html(name: str | None) -> bool:
    return bool(name) and (name.endswith((".html.j2", ".html", ".svg.j2", ".css.j2")))


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


def _environment(templates: str | None, markdown: bool) -> SandboxedEnvironment:
    paths = ([templates] if templates else []) + [shipped_templates()]
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(paths, encoding="utf-8"),
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
    """{file name: text} of every document, rendered in memory (nothing is written)."""
    if templates is not None and not os.path.isdir(templates):
        raise TemplateProblem(f"--templates {templates}: no such directory")
    out = {}
    for name, template_name in DOCUMENTS.items():
        env = _environment(templates, markdown=name.endswith(".md"))
        try:
            template = env.get_template(template_name)
            text = template.render(doc=view)
        except jinja2.TemplateSyntaxError as err:
            raise TemplateProblem(
                f"template {err.filename or err.name}:{err.lineno}: {err.message}"
            ) from None
        except jinja2.TemplateNotFound as err:
            raise TemplateProblem(
                f"template {err.name} not found (in {' or '.join(env.loader.searchpath)})"
            ) from None
        except (
            jinja2.UndefinedError,
            jinja2.exceptions.SecurityError,
            TypeError,
            ValueError,
            AttributeError,
            KeyError,
            IndexError,
            ZeroDivisionError,
        ) as err:
            raise TemplateProblem(
                f"template {_where(err, template_name)} failed: {type(err).__name__}: {err}"
            ) from None
        out[name] = _tidy(text)
    return out


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
