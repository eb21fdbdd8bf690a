#!/usr/bin/env bash
# Runs the test suite with node's test runner: `test/run.sh` for everything, `test/run.sh unit`
# for the pure tests only (seconds, no services).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-all}" in
  unit) dirs=(test/unit) ;;
  integration) dirs=(test/integration) ;;
  e2e) dirs=(test/e2e) ;;
  *) dirs=(test/unit test/integration test/e2e) ;;
esac
mapfile -t files < <(find "${dirs[@]}" -name '*.test.ts' 2>/dev/null | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
# The agent a test's controller starts runs from the bundle when it matches the sources: built
# here from the sources as they are, so the tests run what `npm ci` ships, also after an edit.
if [ "${1:-all}" != unit ]; then node bin/fulcrum.js agent-bundle build >/dev/null; fi
# TAP goes to the log as it happens; the failures are repeated at the end, where a log that is
# read from its tail shows them.
summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
status=0
node --import tsx --test --test-concurrency="${FULCRUM_TEST_CONCURRENCY:-2}" --test-timeout=600000 \
  --test-reporter=tap --test-reporter-destination=stdout \
  --test-reporter=./test/failure-summary-reporter.mjs --test-reporter-destination="$summary" \
  "${files[@]}" || status=$?
cat "$summary"
exit "$status"
