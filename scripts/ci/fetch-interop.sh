#!/usr/bin/env bash
# Downloads what the interop suite (scripts/ci/suite-interop.sh) needs from Maven and the Go module proxy:
#   - Apache RocketMQ 4.x and 5.x name server + broker jars into $MQ_INTEROP_CACHE/rocketmq-<line>/lib (a `.complete`
#     file marks a finished copy, so a second call does nothing there);
#   - the Maven artifacts of test/interop/java for both client versions (dependency:go-offline), into ~/.m2;
#   - the Go modules of test/interop/go and clients/go.
# scripts/test-all.sh runs it in the background while the main suite runs (the downloads are network time, not CPU);
# suite-interop.sh runs it again, which only fetches what is still missing. Exits non-zero when a download failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${MQ_INTEROP_CACHE:?set MQ_INTEROP_CACHE to the directory that keeps the Apache jars}"
MVN=(mvn -B -ntp -q)
rc=0
for line in 4 5; do
  lib="$MQ_INTEROP_CACHE/rocketmq-$line/lib"
  [ -f "$lib/.complete" ] && continue
  echo "fetch-interop: Apache RocketMQ $line.x name server + broker jars"
  if "${MVN[@]}" -f "test/interop/apache/pom-$line.xml" \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DoutputDirectory="$lib" -DincludeScope=runtime; then
    touch "$lib/.complete"
  else
    echo "fetch-interop: the Apache RocketMQ $line.x jars could not be fetched"
    rc=1
  fi
done
if [ "${1:-}" = "--all" ]; then
  for v in 4.9.8 5.3.3; do
    echo "fetch-interop: Maven artifacts of test/interop/java with rocketmq-client $v"
    "${MVN[@]}" -f test/interop/java/pom.xml -Drocketmq.version="$v" dependency:go-offline || rc=1
  done
  for d in test/interop/go clients/go; do
    echo "fetch-interop: Go modules of $d"
    (cd "$d" && go mod download) || rc=1
  done
fi
exit $rc
