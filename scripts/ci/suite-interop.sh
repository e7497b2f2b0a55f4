#!/usr/bin/env bash
# Interop suite (issue 16): Apache RocketMQ's own software against ours, and ours against Apache's.
#  1. test/interop/java: Apache rocketmq-client + rocketmq-tools (mqadmin) 4.9.8, then 5.3.3, against our name server
#     and master/slave broker set (Maven, JUnit 5);
#  2. test/interop/go: rocketmq-client-go v2 against the same (go test);
#  3. test/interop/*.interop.test.js: our gateway in front of Apache's 4.9.7 and 5.3.3 name server + broker, and
#     mixed clusters (mocha), with the Apache jars fetched here by Maven.
# Everything Maven and Go need is downloaded by this script (no cache is assumed). Every part runs; the script exits
# non-zero when any part failed. MQ_INTEROP_CACHE keeps the Apache lib dir between runs (default: a temp dir).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
export MQ_ROOT="$ROOT"
start=$SECONDS
failed=()

[ -f dist/src/cli/main.js ] || npm run build

KEEP_CACHE="${MQ_INTEROP_CACHE:-}"
CACHE="${MQ_INTEROP_CACHE:-$(mktemp -d -t mq-interop-XXXXXX)}"
export MQ_INTEROP_RMQ_LIB="$CACHE/rocketmq-4/lib"
export MQ_INTEROP_RMQ5_LIB="$CACHE/rocketmq-5/lib"
MVN=(mvn -B -ntp)

step() { echo "suite-interop: $1 (at $((SECONDS - start)) s)"; }

step "fetching Apache RocketMQ 4.x and 5.x name server + broker jars"
export MQ_INTEROP_CACHE="$CACHE"
bash scripts/ci/fetch-interop.sh || failed+=("apache-jars")

for v in 4.9.8 5.3.3; do
  step "java: rocketmq-client $v against our cluster"
  log="$CACHE/java-$v.log"
  if "${MVN[@]}" -f test/interop/java/pom.xml test -Drocketmq.version="$v" >"$log" 2>&1; then
    grep -E '^\[INFO\] Tests run:' "$log" | tail -1
  else
    grep -E 'Tests run:|FAIL|ERROR\]' "$log" | tail -40
    failed+=("java-$v")
  fi
done

step "go: rocketmq-client-go v2 against our cluster"
if (cd test/interop/go && go test -count=1 -v ./... >"$CACHE/go.log" 2>&1); then
  grep -E '^(--- |ok)' "$CACHE/go.log"
else
  grep -E '^(--- |FAIL|ok|panic)|_test.go' "$CACHE/go.log" | tail -40
  failed+=("go")
fi

step "mocha: our gateway on Apache RocketMQ, mixed clusters"
if ! npx mocha --timeout 200000 'dist/test/interop/**/*.interop.test.js'; then
  failed+=("gateway-on-apache")
fi

[ -z "$KEEP_CACHE" ] && rm -rf "$CACHE"
if ((${#failed[@]})); then
  echo "suite-interop: FAILED parts: ${failed[*]} ($((SECONDS - start)) s)"
  exit 1
fi
echo "suite-interop: all parts passed ($((SECONDS - start)) s)"
