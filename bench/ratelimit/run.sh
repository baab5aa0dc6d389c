#!/usr/bin/env bash
# Rate limiter benchmark: cost per count and lost counts on SpatiaLite, PostgreSQL and Redis.
# Usage: bench/ratelimit/run.sh [--count N]
# MTP_BENCH_PG names the PostgreSQL server (default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/../.."

scripts/setup.sh --postgis --redis
exec .venv/bin/python bench/ratelimit/bench.py "$@"
