#!/usr/bin/env bash
# Installs the Debian packages that are missing: `apt-install.sh <label> <package | list.txt>...`. A list file has
# one package a line (`#` comments, blank lines ignored). The package index is updated once, only when something has
# to be installed; sudo is used when not root. <label> prefixes the progress lines.
set -euo pipefail
label="$1"
shift
need=()
for a in "$@"; do
  if [[ "$a" == *.txt ]]; then
    mapfile -t -O "${#need[@]}" need < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$a" | grep -v '^$')
  else
    need+=("$a")
  fi
done
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]} == 0)); then
  echo "$label: Debian packages present: ${#need[@]}"
  exit 0
fi
echo "$label: installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}"
