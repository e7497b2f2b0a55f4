#!/usr/bin/env bash
# Builds the smoke program and the example pipeline stages:  bash clients/go/build.sh [OUT_DIR]
# (default: clients/go/bin, git-ignored).
#
# The package is a Go module (go.mod: module mqgateway, github.com/apache/thrift v0.17.0), so `go build ./...` works
# in this folder with the Go module proxy reachable. Without it, this script builds in GOPATH mode against Debian's
# golang-thrift-dev (/usr/share/gocode, the same 0.17.0), linking this folder as $GOPATH/src/mqgateway: the import
# paths (mqgateway, mqgateway/api) are the same in both modes. MQ_GO_MODE=module forces module mode.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-$HERE/bin}"
mkdir -p "$OUT"
CMDS=(smoke ingest enrich resize bench)
if [ "${MQ_GO_MODE:-}" != module ] && [ -d /usr/share/gocode/src/github.com/apache/thrift/lib/go/thrift ]; then
  GP="$(mktemp -d)"
  trap 'rm -rf "$GP"' EXIT
  mkdir -p "$GP/src"
  ln -s "$HERE" "$GP/src/mqgateway"
  export GO111MODULE=off GOPATH="$GP:/usr/share/gocode" GOFLAGS=
  cd "$GP/src/mqgateway"
  go vet mqgateway "${CMDS[@]/#/mqgateway/cmd/}"
  for c in "${CMDS[@]}"; do go build -o "$OUT/$c" "mqgateway/cmd/$c"; done
else
  cd "$HERE"
  go vet ./...
  for c in "${CMDS[@]}"; do go build -o "$OUT/$c" "./cmd/$c"; done
fi
echo "built ${CMDS[*]/#/$OUT/}"
