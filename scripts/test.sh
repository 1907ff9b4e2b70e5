#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run
# the linters and the whole test suite (unit, property and browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's chromium for the real-browser tests (Playwright drives it through
# executable_path; browser downloads do not work offline).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

# constraints.txt pins the versions the suite was last run against.
python3 -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'

# Compile the numba kernels once (cached on disk) so no timed test pays for it.
python3 -m tourplan.cli warmup

python3 -m ruff check tourplan tests bench
python3 -m mypy
python3 -m pytest "$@"
