#!/usr/bin/env bash
# The Ansible suite: ansible-lint on ansible/, then the roles and playbooks run for real with Debian's
# ansible-playbook against hosts made of network namespaces (test/ansible/test_ansible.py). Needs root (ip netns).
# The Debian packages are in scripts/ci/apt-ansible.txt (installed here when missing, as scripts/test-all.sh does);
# dist/ comes from `npm ci` (run here when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

bash scripts/ci/apt-install.sh suite-ansible scripts/ci/apt-ansible.txt
[ -f dist/src/cli/main.js ] || npm ci --no-audit --no-fund

echo "suite-ansible: ansible-lint --offline --profile production ansible/"
ansible-lint --version | head -1
ansible-lint --offline --profile production --nocolor ansible/

for pb in ansible/site.yml ansible/scale-out.yml ansible/rolling-restart.yml ansible/blue-green.yml; do
  [ -f "$pb" ] || continue
  echo "suite-ansible: ansible-playbook --syntax-check $pb"
  (cd ansible && ansible-playbook -i inventories/example --syntax-check "$(basename "$pb")")
done

# The end-to-end run (site, rerun changed=0, --check --diff, one-option restart, scale-out, rolling restart under
# traffic, Prometheus scraping every process) on network-namespace hosts. CI runs it always; MQ_ANSIBLE_E2E=0
# skips it for a quick local lint-only run (refused under CI=true).
if [ "${MQ_ANSIBLE_E2E:-1}" = 0 ]; then
  if [ "${CI:-}" = true ]; then
    echo "suite-ansible: MQ_ANSIBLE_E2E=0 is for local runs only; CI runs the end-to-end tests" >&2
    exit 1
  fi
  echo "suite-ansible: end-to-end playbook tests skipped (MQ_ANSIBLE_E2E=0)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "suite-ansible: the end-to-end tests need root (ip netns); run as root or with MQ_ANSIBLE_E2E=0" >&2
  exit 1
fi
echo "suite-ansible: ansible-playbook against network-namespace hosts"
cd test/ansible
start=$(date +%s)
set +e
/usr/bin/python3 -m pytest -v -p no:cacheprovider -rA --durations=0 test_ansible.py </dev/null
rc=$?
set -e
echo "suite-ansible: end-to-end tests finished in $(( $(date +%s) - start )) s (rc=$rc)"
exit $rc
