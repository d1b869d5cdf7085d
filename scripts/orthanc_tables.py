"""Regenerate the DCMTK part of `imgpolicy/importers/orthanc_syntaxes.py`.

Orthanc's C-STORE SCP accepts the storage SOP classes of the DCMTK it is linked with
(`dcmAllStorageSOPClassUIDs` in DCMTK's `dcmdata/libsrc/dcuid.cc`), so what an Orthanc
accepts depends on that DCMTK's version. This script reads that array at each DCMTK
release tag of a DCMTK git clone and prints `DCMTK_STORAGE` as a base list plus what each
later release adds or removes, ready to paste into orthanc_syntaxes.py:

    git clone https://github.com/DCMTK/dcmtk /tmp/dcmtk
    python scripts/orthanc_tables.py /tmp/dcmtk > /tmp/dcmtk_storage.py
"""

from __future__ import annotations

import re
import subprocess
import sys

RELEASES = ["3.6.0", "3.6.2", "3.6.4", "3.6.5", "3.6.6", "3.6.7", "3.6.8", "3.6.9"]
"""The DCMTK releases Orthanc's builds have used (OrthancFrameworkParameters.cmake)."""


def show(repo: str, tag: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", repo, "show", f"DCMTK-{tag}:{path}"],
        check=True,
        capture_output=True,
        text=True,
        errors="replace",
    ).stdout


def storage_uids(repo: str, tag: str) -> list[str]:
    """The UIDs of `dcmAllStorageSOPClassUIDs` at one release, in DCMTK's order."""
    header = show(repo, tag, "dcmdata/include/dcmtk/dcmdata/dcuid.h")
    defines = dict(re.findall(r'#define\s+(UID_\w+)\s+"([0-9.]+)"', header))
    source = show(repo, tag, "dcmdata/libsrc/dcuid.cc")
    body = source.split("dcmAllStorageSOPClassUIDs[] =", 1)[1].split("};", 1)[0]
    body = re.sub(r"/\*.*?\*/|//[^\n]*", "", body, flags=re.S)
    names = re.findall(r"\bUID_\w+", body)
    missing = [n for n in names if n not in defines]
    if missing:
        raise SystemExit(f"DCMTK {tag}: no #define for {missing}")
    return [defines[n] for n in names]


def main(repo: str) -> None:
    previous: set[str] = set()
    print("DCMTK_STORAGE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {")
    for tag in RELEASES:
        uids = set(storage_uids(repo, tag))
        added = sorted(uids - previous, key=lambda u: [int(p) for p in u.split(".")])
        removed = sorted(previous - uids, key=lambda u: [int(p) for p in u.split(".")])
        print(f'    "{tag}": (  # {len(uids)} storage SOP classes')
        print("        (" + "".join(f'"{u}", ' for u in added) + "),")
        print("        (" + "".join(f'"{u}", ' for u in removed) + "),")
        print("    ),")
        previous = uids
    print("}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
