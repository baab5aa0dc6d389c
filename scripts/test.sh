#!/usr/bin/env bash
# Set everything up, then run the whole test suite twice: on SpatiaLite and on PostgreSQL + PostGIS,
# both at once, each spread over MTP_TEST_WORKERS processes (pytest-xdist; 3 by default, 0 runs
# the tests in pytest's own process). The SpatiaLite run prints as it goes, the PostgreSQL run's
# output follows when it has finished; either failing fails the whole.
# Extra arguments go to pytest (e.g. scripts/test.sh -k import).
# --fast (first): only on SpatiaLite, without the tests marked slow (make test-fast).
# MTP_TEST_PG_URL names the PostgreSQL server and database (default: the machine's local one).
set -uo pipefail
cd "$(dirname "$0")/.."

fast=0
if [ "${1:-}" = "--fast" ]; then
  fast=1
  shift
fi

scripts/setup.sh --postgis --browser --redis || exit 1

# Most tests' time is spent waiting (on servers, workers, the browser, the database), so more
# processes than cores pay.
workers=(-n "${MTP_TEST_WORKERS:-3}")

if [ "$fast" = 1 ]; then
  echo "== SpatiaLite, without the slow tests =="
  MTP_DATA_DIR="$PWD/var/test-spatialite" env -u DATABASE_URL .venv/bin/python -m pytest "${workers[@]}" -m "not slow" "$@"
  exit
fi

pg_url=${MTP_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/mtp}
pg_host=$(.venv/bin/python -c "import sys; from urllib.parse import urlsplit; u=urlsplit(sys.argv[1]); print(u.hostname or '127.0.0.1', u.port or 5432, u.username or 'postgres')" "$pg_url")
read -r host port user <<<"$pg_host"

# Start the local PostgreSQL cluster when it is installed but not running.
if ! pg_isready -q -h "$host" -p "$port" 2>/dev/null && [ -d /etc/postgresql ]; then
  echo "test: starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -n | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || sudo pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h "$host" -p "$port" && break; sleep 1; done
fi

status=0
postgis_log="$PWD/var/test-postgis.log"
mkdir -p var
postgis=""
if pg_isready -q -h "$host" -p "$port" -U "$user"; then
  MTP_DATA_DIR="$PWD/var/test-postgis" DATABASE_URL="$pg_url" \
    .venv/bin/python -m pytest "${workers[@]}" "$@" >"$postgis_log" 2>&1 &
  postgis=$!
  # Stopped with this script (Ctrl-C).
  trap 'kill "$postgis" 2>/dev/null; exit 130' INT TERM
else
  echo "test: PostgreSQL at $host:$port does not answer; the PostGIS run failed" >"$postgis_log"
  status=1
fi

echo "== SpatiaLite =="
MTP_DATA_DIR="$PWD/var/test-spatialite" env -u DATABASE_URL .venv/bin/python -m pytest "${workers[@]}" "$@" || status=1

echo "== PostgreSQL + PostGIS ($host:$port) =="
if [ -n "$postgis" ]; then
  echo "test: waiting for the PostGIS run (its output: $postgis_log)"
  wait "$postgis" || status=1
fi
cat "$postgis_log"
exit $status
