#!/usr/bin/env bash
# Install everything the test suite needs, then run all of it.
#   - Debian packages for the real peers the tests talk to (DCMTK, Orthanc, Chromium),
#     installed with apt-get only when missing;
#   - imgpolicy itself with its test extras.
# Extra arguments go to pytest (e.g. scripts/test.sh -k loader).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dcmqrscp >/dev/null 2>&1 || missing+=(dcmtk)  # pynetdicom ships its own storescp
command -v Orthanc >/dev/null 2>&1 || missing+=(orthanc)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
exec python3 -m pytest "$@"
