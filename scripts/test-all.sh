#!/usr/bin/env bash
# The test command of README.md: on a fresh Debian machine it installs everything the tests need (Debian packages,
# then the npm packages with `npm ci`, which also builds), runs the main suite with `npm test`, then every extra suite
# of scripts/ci/suite-*.sh (Ansible, client libraries, Apache RocketMQ interop, console, ...) in name order.
#
# Debian packages come from scripts/ci/apt-*.txt (one package a line, `#` comments), one list per suite, so that a
# suite brings its own needs. A suite script exits non-zero when it fails; every suite runs, and the script fails at
# the end when any of them failed. MQ_REQUIRE_TOOLS=1 makes a missing tool fail a test instead of skipping it.
set -euo pipefail
cd "$(dirname "$0")/.."
export MQ_REQUIRE_TOOLS=1

bash scripts/ci/apt-install.sh test-all scripts/ci/apt-*.txt

echo "test-all: npm ci"
npm ci --no-audit --no-fund

# The interop suite's downloads (Apache jars, Maven artifacts, Go modules) run in the background while the main suite
# runs: they are network time, not CPU. The suite fetches again whatever this did not get.
MQ_INTEROP_CACHE="$(mktemp -d -t mq-interop-XXXXXX)"
export MQ_INTEROP_CACHE
prefetch_log="$MQ_INTEROP_CACHE/prefetch.log"
bash scripts/ci/fetch-interop.sh --all >"$prefetch_log" 2>&1 &
prefetch_pid=$!
# On any exit: stop the downloads if still running (pid of our own background job), drop the cache.
trap 'kill "$prefetch_pid" 2>/dev/null || true; rm -rf "$MQ_INTEROP_CACHE"' EXIT
echo "test-all: downloads of the interop suite started in the background (pid $prefetch_pid, log $prefetch_log)"

echo "test-all: npm test"
npm test

if wait "$prefetch_pid"; then
  echo "test-all: background downloads done"
else
  echo "test-all: some background downloads failed (the interop suite fetches them again):"
  tail -5 "$prefetch_log"
fi

failed=()
shopt -s nullglob
for suite in scripts/ci/suite-*.sh; do
  name="$(basename "$suite" .sh)"
  echo "test-all: ${name} (started $(date +%T))"
  start=$SECONDS
  if bash "$suite"; then
    echo "test-all: ${name} passed in $((SECONDS - start)) s"
  else
    echo "test-all: ${name} FAILED after $((SECONDS - start)) s"
    failed+=("$name")
  fi
done
if ((${#failed[@]})); then
  echo "test-all: failed suites: ${failed[*]}"
  exit 1
fi
echo "test-all: every suite passed"
