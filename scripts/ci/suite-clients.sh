#!/usr/bin/env bash
# The client libraries' own suites, each run by its own tool against real `mq` processes that the suite starts:
#   Python  `pip install ./clients/python` (thrift from the package index) into a fresh venv, then pytest
#   PHP     PHPUnit (Debian's phpunit, php-thrift and composer; composer is used offline)
#   Go      go test in module mode (github.com/apache/thrift v0.17.0 comes from the Go module proxy)
# Needs dist/ (npm ci builds it) and the Debian packages of scripts/ci/apt-clients.txt. Every suite runs; the script
# exits non-zero when any failed.   bash scripts/ci/suite-clients.sh [python|php|go ...]
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
[ -d dist ] || npm run build
WORK="$(mktemp -d /tmp/mq-suite-clients.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
export PYTHONDONTWRITEBYTECODE=1 MQ_REPO="$ROOT"
# HOME may be unset in CI: give Go and Composer their own folders.
# The build cache is the one test/gen/clients-compile uses (npm test runs first), so the standard library is compiled
# once per CI run.
export GOPATH="${GOPATH:-$WORK/gopath}" GOCACHE="${GOCACHE:-${TMPDIR:-/tmp}/mq-go-build-cache}" COMPOSER_HOME="${COMPOSER_HOME:-$WORK/composer}"
langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=(python php go)
failed=()

python_suite() {
  local py
  for py in python3 /usr/bin/python3; do
    if "$py" -m venv "$WORK/venv" >/dev/null 2>&1; then break; fi
  done
  [ -x "$WORK/venv/bin/python" ] || { echo "suite-clients: no python3 with the venv module"; return 1; }
  # Installed from a copy, so that the build leaves nothing in the checkout.
  cp -R clients/python "$WORK/pysrc"
  rm -rf "$WORK/pysrc/build" "$WORK/pysrc/"*.egg-info
  "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check "$WORK/pysrc" "pytest>=7" mypy || return 1
  (cd clients/python/tests && MQGATEWAY_INSTALLED=1 "$WORK/venv/bin/pytest" -q -p no:cacheprovider -rs)
}

php_suite() {
  (cd clients/php && phpunit --do-not-cache-result)
}

go_suite() {
  local go=go
  command -v go >/dev/null || go=/usr/lib/go/bin/go
  (cd clients/go && GO111MODULE=on GOFLAGS=-mod=mod "$go" test -count=1 ./... -v 2>&1 | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic|\s+\S+_test\.go)' ; exit "${PIPESTATUS[0]}")
}

for lang in "${langs[@]}"; do
  echo "suite-clients: $lang (started $(date +%T))"
  start=$SECONDS
  if "${lang}_suite"; then
    echo "suite-clients: $lang passed in $((SECONDS - start)) s"
  else
    echo "suite-clients: $lang FAILED after $((SECONDS - start)) s"
    failed+=("$lang")
  fi
done
if ((${#failed[@]})); then
  echo "suite-clients: failed: ${failed[*]}"
  exit 1
fi
echo "suite-clients: every client suite passed"
