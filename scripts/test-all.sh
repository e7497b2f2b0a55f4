#!/usr/bin/env bash
# The test command of README.md: on a fresh Debian machine it installs everything the tests need (Debian packages,
# then the npm packages with `npm ci`, which also builds), and runs the whole suite with `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."

need=(redis-server thrift-compiler python3-thrift php-cli php-thrift golang-go golang-thrift-dev dnsmasq)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "test-all: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}"
fi

echo "test-all: npm ci"
npm ci --no-audit --no-fund
echo "test-all: npm test"
npm test
