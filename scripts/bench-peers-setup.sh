#!/usr/bin/env bash
# Installs the peers that `npm run bench -- peers` (bench/peers) compares against, when they are missing:
# the Debian packages rabbitmq-server and nats-server (redis-server comes with scripts/test-all.sh; it is checked
# here too). The package index is updated once, only when something has to be installed. The benchmark starts its
# own private instances on 127.0.0.1; nothing here starts or enables a system service on purpose (Debian may start
# the packaged rabbitmq-server service on install; stop it with `systemctl stop rabbitmq-server` if unwanted).
set -euo pipefail

bash "$(dirname "$0")/ci/apt-install.sh" bench-peers-setup rabbitmq-server nats-server redis-server
