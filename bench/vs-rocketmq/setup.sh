#!/usr/bin/env bash
# Fetches what bench/vs-rocketmq needs, with Maven: Apache RocketMQ 4.9.7's name server and broker jars (into
# $MQ_INTEROP_RMQ_LIB, default <tmp>/mq-interop-cache/rocketmq-4/lib, the interop tests' default too) and Apache's
# benchmark tool compiled from the 4.9.8 source release (into bench/vs-rocketmq/target).
set -euo pipefail
cd "$(dirname "$0")/../.."
LIB="${MQ_INTEROP_RMQ_LIB:-${TMPDIR:-/tmp}/mq-interop-cache/rocketmq-4/lib}"
echo "vs-rocketmq setup: Apache broker jars into $LIB"
mvn -B -ntp -q -f test/interop/apache/pom-4.xml org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
  -DoutputDirectory="$LIB" -DincludeScope=runtime
touch "$LIB/.complete"
echo "vs-rocketmq setup: benchmark tool into bench/vs-rocketmq/target"
mvn -B -ntp -q -f bench/vs-rocketmq/pom.xml package
echo "vs-rocketmq setup: done"
