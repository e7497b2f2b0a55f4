#!/usr/bin/env bash
# Builds the Go client, the smoke program and the example in GOPATH mode (Debian's Go thrift library, in
# /usr/share/gocode, has no go.mod):  bash clients/go/build.sh [OUT_DIR]   (default: clients/go/bin, git-ignored)
# It links this folder as $GOPATH/src/mqgateway in a temp GOPATH, so the import paths are mqgateway and mqgateway/api.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-$HERE/bin}"
GP="$(mktemp -d)"
trap 'rm -rf "$GP"' EXIT
mkdir -p "$GP/src" "$OUT"
ln -s "$HERE" "$GP/src/mqgateway"
export GO111MODULE=off GOPATH="$GP:/usr/share/gocode" GOFLAGS=
cd "$GP/src/mqgateway"
go vet mqgateway mqgateway/cmd/smoke mqgateway/cmd/example
go build -o "$OUT/smoke" mqgateway/cmd/smoke
go build -o "$OUT/example" mqgateway/cmd/example
echo "built $OUT/smoke $OUT/example"
