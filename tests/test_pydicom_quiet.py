"""Importing pydicom through imgpolicy prints nothing (issue 15).

pydicom 3.0.0 downloads five example files from GitHub when it is imported
(`pydicom.examples`, which `import pydicom` pulls in); on a machine without internet
access (a hospital network, an air-gapped CI runner) each download is retried for about
20 seconds and then reported as a "download failure" UserWarning, so `imgpolicy audit
headers|dose`, `import` and `probe` took minutes and printed five warnings before doing
anything. pydicom 3.0.1 ships those files with the package (release notes: "Include all
examples module datasets with the package", #2128, #2131), so the lower bound is 3.0.1.

The test imports every imgpolicy module that imports pydicom when it is imported, in a
fresh interpreter with no way out to the internet (a proxy on a closed local port, so a
connected machine behaves like an offline one) and an empty home folder (no example
files downloaded before), with warnings shown; standard error must stay empty.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import ROOT

IMPORTS_PYDICOM = (
    "imgpolicy.audit.sources.folder",
    "imgpolicy.audit.sources.orthanc",
    "imgpolicy.audit.sources.dicomweb",
    "imgpolicy.audit.rdsr",
    "imgpolicy.audit.headers",
)
"""The modules that import pydicom at import time: what `audit headers|dose` loads."""

UNREACHABLE = "http://127.0.0.1:9"
"""A proxy on the discard port, where nothing listens: every download is refused at once."""


def offline_env(home) -> dict[str, str]:
    """The environment of a machine without internet: any download fails, no file that
    pydicom downloaded earlier is at hand, and no warning filter hides what it prints."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "pythonwarnings")}
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        env[name] = env[name.upper()] = UNREACHABLE
    env["HOME"] = str(home)
    env["PYTHONWARNINGS"] = "default"
    return env


def test_importing_pydicom_through_imgpolicy_prints_nothing_offline(tmp_path):
    code = f"import {', '.join(IMPORTS_PYDICOM)}; import pydicom; print(pydicom.__version__)"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=offline_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,  # a hang guard: pydicom 3.0.0 retries each download for ~20 s
        )
    except subprocess.TimeoutExpired as slow:
        printed = slow.stderr.decode() if isinstance(slow.stderr, bytes) else slow.stderr
        pytest.fail(
            "importing pydicom took over 60 s offline: it is retrying downloads of its "
            f"example files (pydicom < 3.0.1); stderr so far: {printed!r}"
        )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", f"pydicom {done.stdout.strip()} printed on import: {done.stderr}"
