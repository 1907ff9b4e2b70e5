#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run
# the linters and the whole test suite (unit, property and browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's chromium for the real-browser tests (Playwright drives it through
# executable_path; browser downloads do not work offline), the PostgreSQL
# server for the tests that run the store on PostgreSQL and redis-server for
# the tests of the job queue, shared cache and rate limits (each test session
# starts a throwaway server of its own; nothing is configured system-wide).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need+=(redis-server)
if [ "${#need[@]}" -gt 0 ]; then
  sudo=()
  [ "$(id -u)" = "0" ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# constraints.txt pins the versions the suite was last run against.
python3 -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'

# Compile the numba kernels once (cached on disk) so no timed test pays for it.
python3 -m tourplan.cli warmup

python3 -m ruff check tourplan tests bench
python3 -m mypy
python3 -m pytest "$@"
