"""What a rule is: a code, a name, a severity, options, and a docstring that is its docs.

A rule's docstring has these sections, each introduced by its name and a colon on a line
of its own: a one-line summary, then `What:`, `Why:` (with the reference: the practice
guide's step, the DICOM part, the regulation), `Bad:` and `Good:` (YAML snippets, run as
tests: Bad must trigger the rule, Good must not), and optionally `Options:`.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from ..findings import Finding, Location, Related, Severity

if TYPE_CHECKING:
    from ..analysis.index import Index

_SECTION = re.compile(r"^(What|Why|Bad|Good|Options):\s*$", re.MULTILINE)


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    options: ClassVar[dict[str, Any]] = {}
    """Option name -> default; the config may override them per rule."""
    suppressible: ClassVar[bool] = True
    """Safety rules whose findings no inline comment or baseline may hide."""

    def __init__(self, severity: Severity | None = None, **options: Any):
        self.effective_severity = severity or self.severity
        self.settings = {**self.options, **options}

    def check(self, index: Index) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(
        self,
        message: str,
        location: Location | None,
        *,
        related: tuple[Related, ...] | list[Related] = (),
        entity: str = "",
    ) -> Finding:
        return Finding(
            self.code, self.effective_severity, message, location, tuple(related), entity
        )

    # --- the docstring as documentation -------------------------------------------

    @classmethod
    def summary(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "").split("\n", 1)[0].strip()

    @classmethod
    def sections(cls) -> dict[str, str]:
        doc = inspect.cleandoc(cls.__doc__ or "")
        parts = _SECTION.split(doc)
        sections = {"Summary": parts[0].strip()}
        for title, body in zip(parts[1::2], parts[2::2], strict=False):
            sections[title] = textwrap.dedent(body).strip("\n")
        return sections

    @classmethod
    def example(cls, which: str) -> str:
        """The Bad or Good snippet as a whole environment file."""
        body = cls.sections()[which].rstrip() + "\n"
        return body if body.startswith("imgpolicy:") else "imgpolicy: 1\n" + body
