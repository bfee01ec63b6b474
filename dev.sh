#!/usr/bin/env bash
# Installs momentum into .venv (exact versions from constraints.txt) and runs a command:
#   ./dev.sh serve [--host H] [--port P]   the server (embedded Postgres and Redis by default)
#   ./dev.sh test [pytest args]            lint, type check and the test suite
#   ./dev.sh <momentum args>               any other CLI command (migrate, seed, ...)
set -euo pipefail
cd "$(dirname "$0")"

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python_bin="$candidate"; break; fi
  done
fi
if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  echo "momentum needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

stamp=".venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "Installing momentum into .venv (exact versions; about a minute the first time) ..." >&2
  "$python_bin" -m venv .venv
  export PIP_CONSTRAINT="$PWD/constraints.txt"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

command="${1:-serve}"
[ $# -gt 0 ] && shift
case "$command" in
  test)
    if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
      echo "Installing Debian's chromium and chromium-driver for the browser tests ..." >&2
      sudo_cmd=""
      [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
      export DEBIAN_FRONTEND=noninteractive
      $sudo_cmd apt-get install -y -q chromium chromium-driver >/dev/null \
        || { $sudo_cmd apt-get update -q >/dev/null && \
             $sudo_cmd apt-get install -y -q chromium chromium-driver >/dev/null; }
    fi
    echo "ruff ..." >&2
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    echo "mypy (about 20 s) ..." >&2
    .venv/bin/mypy
    echo "pytest (a few minutes) ..." >&2
    exec .venv/bin/pytest "$@"
    ;;
  *)
    exec .venv/bin/momentum "$command" "$@"
    ;;
esac
