#!/usr/bin/env bash
# The blue/green playbook end to end: ansible/blue-green.yml run by Debian's ansible-playbook against hosts made of
# network namespaces, under traffic through two gateways (test/ansible/test_blue_green.py; about 5 minutes on a
# 2-core machine). Needs root (ip netns). The Debian packages are those of the Ansible suite
# (scripts/ci/apt-ansible.txt, installed here when missing); dist/ comes from `npm ci` (run here when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

bash scripts/ci/apt-install.sh suite-bluegreen scripts/ci/apt-ansible.txt
[ -f dist/src/cli/main.js ] || npm ci --no-audit --no-fund

if [ "$(id -u)" != 0 ]; then
  echo "suite-bluegreen: needs root (network namespaces)" >&2
  exit 1
fi
echo "suite-bluegreen: ansible-playbook blue-green.yml against network-namespace hosts"
cd test/ansible
exec /usr/bin/python3 -m pytest -v -s -p no:cacheprovider -rA test_blue_green.py
