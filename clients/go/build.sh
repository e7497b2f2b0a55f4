#!/usr/bin/env bash
# Vets the package and every command, and builds commands into OUT_DIR (default: clients/go/bin, git-ignored):
#   bash clients/go/build.sh [OUT_DIR] [CMD ... | all]      (CMD: smoke ingest enrich resize bench; default smoke)
# Vetting type-checks every command; linking is the slow part, so only the named ones are linked.
#
# The package is a Go module (go.mod: module mqgateway, github.com/apache/thrift v0.17.0), so `go build ./...` works
# in this folder with the Go module proxy reachable. Without it, this script builds in GOPATH mode against Debian's
# golang-thrift-dev (/usr/share/gocode, the same 0.17.0), linking this folder as $GOPATH/src/mqgateway: the import
# paths (mqgateway, mqgateway/api) are the same in both modes. MQ_GO_MODE=module forces module mode.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-$HERE/bin}"
mkdir -p "$OUT"
ALL=(smoke ingest enrich resize bench)
shift || true
CMDS=("$@")
[ ${#CMDS[@]} -gt 0 ] || CMDS=(smoke)
[ "${CMDS[0]}" != all ] || CMDS=("${ALL[@]}")
if [ "${MQ_GO_MODE:-}" != module ] && [ -d /usr/share/gocode/src/github.com/apache/thrift/lib/go/thrift ]; then
  GP="$(mktemp -d)"
  trap 'rm -rf "$GP"' EXIT
  mkdir -p "$GP/src"
  ln -s "$HERE" "$GP/src/mqgateway"
  export GO111MODULE=off GOPATH="$GP:/usr/share/gocode" GOFLAGS=
  cd "$GP/src/mqgateway"
  go vet mqgateway "${ALL[@]/#/mqgateway/cmd/}"
  go build -o "$OUT/" "${CMDS[@]/#/mqgateway/cmd/}"
else
  cd "$HERE"
  go vet ./...
  go build -o "$OUT/" "${CMDS[@]/#/./cmd/}"
fi
echo "built ${CMDS[*]/#/$OUT/}"
