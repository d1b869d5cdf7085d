#!/usr/bin/env bash
# Install everything the test suite needs, then run all of it:
#   - Debian packages for the real peers the tests talk to (DCMTK, Orthanc and its DICOMweb
#     plugin, Chromium) and xmllint (the DICOM audit message schema),
#     installed with apt-get only when missing;
#   - imgpolicy itself with its test and dev extras;
#   - the project's own hygiene: `ruff check`, `ruff format --check` and `mypy` must report
#     nothing;
#   - the whole suite;
#   - with --matrix, or when CI is set: the suite again in two virtual environments, one
#     with the newest release of every dependency, one with every dependency at its lower
#     bound (constraints/minimum.txt), so the bounds in pyproject.toml stay true.
# Other arguments go to pytest (e.g. scripts/test.sh -k loader, scripts/test.sh -m "not peers").
set -euo pipefail
cd "$(dirname "$0")/.."

matrix="${CI:+yes}"
args=()
for arg in "$@"; do
  if [ "$arg" = "--matrix" ]; then matrix=yes; else args+=("$arg"); fi
done

missing=()
command -v dcmqrscp >/dev/null 2>&1 || missing+=(dcmtk)  # pynetdicom ships its own storescp
command -v Orthanc >/dev/null 2>&1 || missing+=(orthanc)
compgen -G '/usr/share/orthanc/plugins/libOrthancDicomWeb.so*' >/dev/null ||
  compgen -G '/usr/lib/orthanc/libOrthancDicomWeb.so*' >/dev/null ||
  missing+=(orthanc-dicomweb)  # the audit tests' DICOMweb server
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)  # validates DICOM audit messages
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test,dev]'

failed=()
echo "== ruff check, ruff format --check, mypy"
python3 -m ruff check . || failed+=("ruff check")
python3 -m ruff format --check . || failed+=("ruff format")
python3 -m mypy || failed+=(mypy)

echo "== the test suite"
python3 -m pytest "${args[@]}" || failed+=("pytest")

if [ -n "$matrix" ]; then
  # Two more environments, kept between runs (pip only changes what differs): one with the
  # newest release of every dependency, one with every dependency at the lower bound
  # pyproject.toml promises (constraints/minimum.txt). Today's fresh install and next
  # month's both pass, or this fails.
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/imgpolicy"
  for flavour in newest minimum; do
    venv="$cache/venv-$flavour"
    echo "== the test suite with the $flavour versions (in $venv)"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    if [ "$flavour" = newest ]; then
      pins=(--upgrade --upgrade-strategy eager)
    else
      pins=(-c constraints/minimum.txt)
    fi
    if "$venv/bin/python" -m pip install -q --disable-pip-version-check "${pins[@]}" -e '.[test]'; then
      "$venv/bin/python" -m pytest "${args[@]}" || failed+=("pytest with the $flavour versions")
    else
      failed+=("installing the $flavour versions")
    fi
  done
fi

if [ "${#failed[@]}" -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
