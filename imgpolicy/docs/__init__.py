"""Audit-ready architecture documentation, generated from the environment files.

    files = generate(result, root=ENV_DIR, today=date)   # {name: text}, all in memory
    stale(OUT_DIR, files)                                # names whose file on disk differs
    write(OUT_DIR, files)                                # each file atomically

`render.py` builds one view model from the check result (and the index's flow analysis);
the Markdown and HTML templates (`imgpolicy/templates/docs/`, overridable) render it;
`svg.py` and `mermaid.py` draw the topology and the capacity chart. Jinja2 is imported
only when documents are rendered, so `imgpolicy check` never pays for it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import date

from .. import fsutil

AS_OF = re.compile(r"imgpolicy-docs as-of=(\d{4}-\d{2}-\d{2})")
"""The marker each document carries (in a comment / meta tag) with the date it is as of."""


def generate(
    result,
    *,
    root: str,
    today: date,
    config=None,
    templates: str | None = None,
    evidence=None,
) -> dict[str, str]:
    """Every document as text, rendered in memory; raises TemplateProblem for a template
    that cannot be rendered (nothing has been written then). `evidence` (an
    `audit.evidence.Evidence`) adds what audits measured to the checklist and dose section.

    The view model passes through the environment's `Redactor` before any template sees
    it, and each document's text through its known values after, so no template (the
    site's own included) can print a credential value or a URL's user info or token."""
    from ..progress import phase
    from ..redact import Redactor
    from .render import build_view
    from .templating import render_documents

    redactor = Redactor.from_load(result.load)
    with phase("building the documents' model"):
        view = redactor.view(
            build_view(result, root=root, today=today, config=config, evidence=evidence)
        )
    with phase("rendering the documents"):
        documents = render_documents(view, templates)
    return {name: redactor.values(text) for name, text in documents.items()}


MARKER_BYTES = 4096
"""How much of a document's start is read to find its as-of marker (on its first line)."""


def _matches(path: str, text: str) -> bool:
    """Whether the file at `path` holds exactly `text`. Read bounded by the expected text's
    own UTF-8 length (a longer file cannot match), so any document that could be rendered
    is compared exactly, however far its non-ASCII text takes it past its length in
    characters, and a FIFO or a device in its place never hangs `docs` or `docs --check`."""
    expected = text.encode("utf-8")
    try:
        return fsutil.read_bounded(path, len(expected)) == expected
    except OSError:
        return False


def recorded_date(out_dir: str) -> date | None:
    """The date the documents in `out_dir` were generated as of, from their marker."""
    from .templating import DOCUMENTS

    for name in DOCUMENTS:
        try:
            head = fsutil.read_bounded(os.path.join(out_dir, name), MARKER_BYTES, head=True)
        except OSError:
            continue
        match = AS_OF.search(head.decode("utf-8", errors="replace"))
        if match:
            try:
                return date.fromisoformat(match.group(1))
            except ValueError:
                continue
    return None


def stale(out_dir: str, files: dict[str, str]) -> list[str]:
    """Paths of the documents that are missing or differ from `files`."""
    out = []
    for name, text in files.items():
        path = os.path.join(out_dir, name)
        if not _matches(path, text):
            out.append(path)
    return out


class WriteFailed(Exception):
    """A document could not be written; those before it were (completely), it and those
    after it are as they were."""


def write(
    out_dir: str, files: dict[str, str], inputs: Iterable[str] = ()
) -> list[tuple[str, bool]]:
    """Write each document atomically (a temp file renamed over the old one), skipping
    those already up to date; returns (path, written) in order. Everything is rendered
    before this is called, so an error midway leaves every file either as it was or
    complete, never half-written. The set is written under an exclusive lock on the
    folder, so two runs into one folder never leave one's Markdown with the other's HTML;
    a document that is one of `inputs` (the environment's files) is refused."""
    with fsutil.folder_lock(out_dir):
        changed = set(stale(out_dir, files))
        done: list[tuple[str, bool]] = []
        for name, text in files.items():
            path = os.path.join(out_dir, name)
            if path in changed:
                try:
                    fsutil.refuse_inputs(path, inputs, "a file of the environment")
                    fsutil.write_atomic(path, text)
                except OSError as err:
                    written = [p for p, w in done if w]
                    raise WriteFailed(
                        f"cannot write {path}: {err.strerror or err}; it and the documents "
                        "after it are unchanged"
                        + (f" ({', '.join(written)} written)" if written else "")
                    ) from err
            done.append((path, path in changed))
    return done
