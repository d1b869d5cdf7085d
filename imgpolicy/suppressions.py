"""Inline suppressions: `# imgpolicy: ignore[RT003] reason="..."`.

A comment covers findings on its own line and on the line below (so it can sit above a
list item). A reason is required: a suppression is an audit record, not a mute button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from . import identity
from .codes import CODES
from .findings import Finding, Location, Suppression

_COMMENT = re.compile(
    r"#\s*imgpolicy:\s*ignore\[(?P<codes>[^\]]*)\](?:\s+reason=(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'))?"
)


@dataclass
class Comment:
    location: Location
    codes: list[str]
    reason: str
    used: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)
    """Codes of safety findings it covers, which it cannot hide (SUP003)."""

    def covers(self, finding: Finding) -> str | None:
        loc = finding.location
        if loc is None or loc.path != self.location.path:
            return None
        if loc.line not in (self.location.line, self.location.line + 1):
            return None
        for code in self.codes:
            if finding.code == code or (
                finding.code.startswith(code) and finding.code[len(code) :].isdigit()
            ):
                return code
        return None


def parse_comments(path: str, text: str) -> list[Comment]:
    if "ignore[" not in text:
        return []
    comments = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "ignore[" not in line:
            continue
        match = _COMMENT.search(line)
        if match:
            codes = [c.strip() for c in match.group("codes").split(",") if c.strip()]
            reason = (match.group("dq") or match.group("sq") or "").strip()
            location = Location(path, number, match.start() + 1, number, match.end() + 1)
            comments.append(Comment(location, codes, reason))
    return comments


def apply(
    findings: list[Finding],
    comments: list[Comment],
    *,
    unsuppressible: set[str],
    known_codes: set[str],
    selected,
) -> list[Finding]:
    """Mark suppressed findings and add findings about the comments themselves."""
    out: list[Finding] = []
    by_path: dict[str, list[Comment]] = {}
    for comment in comments:
        by_path.setdefault(comment.location.path, []).append(comment)
    for finding in findings:
        hit = None
        for comment in by_path.get(finding.location.path if finding.location else "", ()):
            code = comment.covers(finding)
            if code is None:
                continue
            comment.used.add(code)
            if finding.code in unsuppressible or not finding.suppressible:
                comment.blocked.add(code)
                continue
            if comment.reason:
                hit = comment
                break
        if hit is not None:
            finding = replace(finding, suppressed=Suppression("inline", hit.reason))
        out.append(finding)
    for comment in comments:
        out.extend(_about(comment, unsuppressible, known_codes, selected))
    return out


def _finding(code: str, message: str, comment: Comment, named: str) -> Finding:
    """A finding about `comment`, with the severity the catalogue gives `code`; its
    identity is the comment's codes and reason, and `named` (the code it is about)."""
    return Finding(
        code,
        CODES[code].severity,
        message,
        comment.location,
        entity=identity.entity("suppression", ",".join(comment.codes)),
        detail=f"{named} {comment.reason}".strip(),
    )


def _about(comment: Comment, unsuppressible: set[str], known: set[str], selected):
    if not comment.reason:
        yield _finding(
            "SUP001",
            "suppression without a reason: add "
            'reason="..." saying why this is accepted (it is an audit record)',
            comment,
            "",
        )
    for code in comment.codes:
        is_family = code.isalpha() and any(
            k.startswith(code) and k[len(code) :].isdigit() for k in known
        )
        if code not in known and not is_family:
            yield _finding(
                "SUP004",
                f"suppression names '{code}', which is no "
                "rule code or family (see `imgpolicy rules`)",
                comment,
                code,
            )
        elif code in unsuppressible:
            why = (
                "a problem of the file itself (the rules wait until it is fixed)"
                if code.startswith(("YAML", "SCHEMA"))
                else "a safety rule"
            )
            yield _finding(
                "SUP003",
                f"{code} is {why} and cannot be suppressed: fix the environment instead",
                comment,
                code,
            )
        elif code in comment.blocked:
            yield _finding(
                "SUP003",
                f"the {code} finding here is a safety finding and cannot be suppressed: fix "
                "the environment instead",
                comment,
                code,
            )
        elif code not in comment.used and (code not in known or selected(code)):
            yield _finding(
                "SUP002",
                f"unused suppression: no {code} finding "
                "on this line or the next; remove the comment",
                comment,
                code,
            )
