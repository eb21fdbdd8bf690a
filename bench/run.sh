#!/usr/bin/env bash
# Runs the benchmarks (not part of the test suite) against real `fulcrum` processes on
# 127.0.0.1: PGlite through `fulcrum serve`, and PostgreSQL through `fulcrum api` + `fulcrum
# worker` on a fresh database that is dropped afterwards. Needs PostgreSQL on 127.0.0.1:5432
# (or FULCRUM_BENCH_POSTGRES_URL pointing at an admin database).
#
#   bench/run.sh                 both benchmarks
#   bench/run.sh throughput      only API requests/s
#   bench/run.sh active          only create → ACTIVE
#
# Knobs (environment): BENCH_SETUPS=pglite,postgres[,postgres-serve]  BENCH_CONCURRENCY=4
# BENCH_SECONDS=5  BENCH_CREATES=300  BENCH_LBS=50  BENCH_POLL_MS=1
# Numbers depend on the machine and what else runs on it; compare the ratios within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { node --import tsx "bench/$1.ts"; }
case "${1:-all}" in
  throughput) run api-throughput ;;
  active) run create-to-active ;;
  all)
    run api-throughput
    run create-to-active
    ;;
  *)
    echo "usage: bench/run.sh [throughput|active|all]" >&2
    exit 2
    ;;
esac
