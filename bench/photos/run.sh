#!/usr/bin/env bash
# Photos benchmark: resolving 10,000 photos' links in batches, and the thumbnail endpoint's
# throughput with the link cached beside /healthz, on PostGIS, against the Mapillary stand-in.
# Usage: bench/photos/run.sh [--duration S] [--connections N] [--threads T] [--rounds R]
# MTP_BENCH_PG names the PostgreSQL server (default postgres://postgres@127.0.0.1:5432);
# the benchmark drops and re-creates the database mtp_bench_photos there.
set -euo pipefail
cd "$(dirname "$0")/../.."

scripts/setup.sh --postgis
if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: installing wrk"
  sudo=""
  [ "$(id -u)" != 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
exec .venv/bin/python bench/photos/bench.py "$@"
