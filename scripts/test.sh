#!/usr/bin/env bash
# The one test command, for the README and CI alike: compile, run every test against real
# mediasoup workers, ffmpeg and Chromium, and end with a plain "N passed, N failed" line.
# Extra arguments are passed to tap (e.g. a single file: npm test -- dist/test/e2e/recovery.test.js).
set -uo pipefail
cd "$(dirname "$0")/.."

if ! npm run --silent build; then
  echo "TypeScript build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

if [ "$#" -eq 0 ]; then
  set -- $(find dist -name '*.test.js' -not -path '*/node_modules/*' | sort)
fi
# Results of earlier runs must not count in this one's summary.
rm -rf .tap/test-results
# A terminal gets tap's compact view; CI logs get plain TAP with every failure's detail.
reporter=${TAP_REPORTER:-$([ -t 1 ] && echo terse || echo tap)}
node_modules/.bin/tap --reporter="$reporter" "$@"
tap_status=$?
node scripts/tap-summary.mjs .tap/test-results "$tap_status" || tap_status=1
exit "$tap_status"
