#!/usr/bin/env bash
# Installs the peers that `npm run bench -- peers` (bench/peers) compares against, when they are missing:
# the Debian packages rabbitmq-server and nats-server (redis-server comes with scripts/test-all.sh; it is checked
# here too). The package index is updated once, only when something has to be installed. The benchmark starts its
# own private instances on 127.0.0.1; nothing here starts or enables a system service on purpose (Debian may start
# the packaged rabbitmq-server service on install; stop it with `systemctl stop rabbitmq-server` if unwanted).
set -euo pipefail

need=(rabbitmq-server nats-server redis-server)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "bench-peers-setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}"
else
  echo "bench-peers-setup: ${need[*]} already installed"
fi
