"""`imgpolicy init`: a starter environment that checks clean, to edit rather than write."""

from __future__ import annotations

import os
from datetime import date, timedelta
from importlib import resources

from .fsutil import write_atomic

SHIPPED_TEST_DATE = "2026-05-14"
"""The DR test date in the shipped starter. `init` writes a date a month before today
instead, so a new environment does not start with a DR test older than 12 months."""


def write_starter(directory: str, today: date | None = None) -> list[str]:
    recent = ((today or date.today()) - timedelta(days=30)).isoformat()
    files = sorted(
        (f.name, f.read_text(encoding="utf-8").replace(SHIPPED_TEST_DATE, recent))
        for f in resources.files("imgpolicy.data").joinpath("starter").iterdir()
        if f.name.endswith(".yaml")
    )
    targets = [os.path.join(directory, name) for name, _ in files]
    for target in targets:
        if os.path.lexists(target):  # a dangling link too: init never writes through one
            raise FileExistsError(0, "exists", target)
    for target, (_, text) in zip(targets, files, strict=False):
        write_atomic(target, text)
    return targets
