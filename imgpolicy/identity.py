"""What a finding is, independently of where it is printed: its entity key and its
fingerprint.

Entity keys (`ae:CT_1`, `route:ct-to-pacs`...) are built here and nowhere else, so the
baseline, SARIF, GitLab and the documents agree on them. A fingerprint is made of the
code, the file's path relative to the environment root, the entity and the finding's
`detail` (the stable words that tell two findings of one entity apart: a SOP class, a
transfer syntax), never of the message, a date, a count or a line number: it moves only
when the fault does.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from .findings import Finding


def ae(title: str) -> str:
    return f"ae:{title}"


def device(name: str) -> str:
    return f"device:{name}"


def route(name: str) -> str:
    return f"route:{name}"


def site(name: str) -> str:
    return f"site:{name}"


def entity(kind: str, name: object) -> str:
    """Any other kind of entity (`tier`, `lifecycle`, `retention`, `continuity`, `ai`...)."""
    return f"{kind}:{name}"


def relative_path(path: str, roots: Sequence[str] = ()) -> str:
    """`path` relative to the first root that holds it (a root that is a file stands for its
    folder), in POSIX form; unchanged when no root holds it."""
    absolute = os.path.abspath(path)
    for root in roots:
        base = os.path.abspath(root)
        if os.path.isfile(base):
            base = os.path.dirname(base)
        if absolute == base or absolute.startswith(base.rstrip(os.sep) + os.sep):
            return Path(os.path.relpath(absolute, base)).as_posix()
    return Path(path).as_posix()


def key(finding: Finding, roots: Sequence[str] = ()) -> tuple[str, str, str, str]:
    """(code, path relative to the root, entity, detail): what a baseline entry matches."""
    path = relative_path(finding.location.path, roots) if finding.location else ""
    return (finding.code, path, finding.entity, finding.detail)


def fingerprint(finding: Finding, roots: Sequence[str] = ()) -> str:
    text = "\0".join(key(finding, roots))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:20]
