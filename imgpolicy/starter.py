"""`imgpolicy init`: a starter environment that checks clean, to edit rather than write."""

from __future__ import annotations

import os
from importlib import resources

from .fsutil import write_atomic


def write_starter(directory: str) -> list[str]:
    files = sorted((f.name, f.read_text(encoding="utf-8"))
                   for f in resources.files("imgpolicy.data").joinpath("starter").iterdir()
                   if f.name.endswith(".yaml"))
    targets = [os.path.join(directory, name) for name, _ in files]
    for target in targets:
        if os.path.exists(target):
            raise FileExistsError(0, "exists", target)
    for target, (_, text) in zip(targets, files):
        write_atomic(target, text)
    return targets
