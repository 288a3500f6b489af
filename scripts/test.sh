#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run every test.
# This is the README's test command, and what CI runs (.ci/run calls this script).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[test.sh] $*"; }

# System packages: Debian's Chromium for the browser tests, espeak-ng and sox for test speech.
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need_apt+=(sox)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "apt-get install ${need_apt[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_apt[@]}"
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
log "pip install"
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[test]"
.venv/bin/pip install -q --no-deps -r requirements-nodeps.txt

log "ruff"
.venv/bin/ruff check .

log "pytest"
export HF_HUB_OFFLINE=1
.venv/bin/python -m pytest -q -ra --durations=20 "$@"
