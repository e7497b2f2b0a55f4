"""The Ansible roles, run for real: Debian's ansible-playbook against hosts made of network namespaces.

Hosts (each a namespace with its own address on a bridge inside a hub namespace, reached with the
community.docker.nsenter connection, each with its own root directory for install/config/data/logs/pidfiles):

  mq1  name server, broker-a master, broker-b slave, Redis
  mq2  name server, broker-b master, broker-a slave, dnsmasq
  mq3  gateway, Prometheus            (scale-out adds the broker-c slave here)
  mq4  gateway
  mq5  nothing until scale-out adds the broker-c master
  cli  the test's clients (Python client of clients/python)

The tests run in order and share the cluster: site, rerun, check/diff, one broker option, scale-out, rolling
restart. Services run with mq_service_manager=none (start-stop-daemon + pidfiles) and --skip-tags sysctl.
"""
import copy
import json
import os
import re
import signal
import subprocess
import tempfile
import time

import pytest

from netns import Lab

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
ANSIBLE_DIR = os.path.join(REPO, "ansible")
TOKEN = "tok-" + os.urandom(6).hex()
TOPIC = "orders"

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def require(tool):
    from shutil import which

    if which(tool) is None:
        pytest.fail("%s is not installed (scripts/ci/apt-ansible.txt lists the Debian packages)" % tool)


class Cluster(object):
    def __init__(self):
        for tool in ("ansible-playbook", "ansible-vault", "ip", "start-stop-daemon", "redis-server", "dnsmasq",
                     "prometheus", "node", "systemd-analyze"):
            require(tool)
        self.workdir = tempfile.mkdtemp(prefix="mq-ansible-")
        self.lab = Lab(self.workdir)
        self.runs = 0
        self.inv_dir = os.path.join(self.workdir, "inventory")
        os.makedirs(os.path.join(self.inv_dir, "group_vars", "all"))
        self.vault_pass = os.path.join(self.workdir, "vault-pass")
        # Playbook logs outlive the run (the work directory is removed at the end).
        self.logdir = tempfile.mkdtemp(prefix="mq-ansible-logs-")

    def start(self):
        self.lab.setup_hub()
        for i, name in enumerate(["mq1", "mq2", "mq3", "mq4", "mq5", "cli"]):
            self.lab.add_host(name, 11 + i)
        self.lab.wait_ready()
        with open(self.vault_pass, "w") as f:
            f.write(os.urandom(12).hex() + "\n")
        secret = os.urandom(16).hex()
        out = subprocess.run(["ansible-vault", "encrypt_string", "--vault-password-file", self.vault_pass,
                              secret, "--name", "vault_gateway_receipt_secret"],
                             check=True, capture_output=True, text=True).stdout
        with open(os.path.join(self.inv_dir, "group_vars", "all", "vault.yml"), "w") as f:
            f.write("---\n" + out)
        self.inventory = self.base_inventory()
        self.write_inventory()

    def host(self, name):
        return self.lab.hosts[name]

    def base_inventory(self):
        h = self.lab.hosts
        hostvars = {}
        for name in ("mq1", "mq2", "mq3", "mq4", "mq5"):
            v = {"ansible_nsenter_pid": h[name].pid, "mq_advertise_ip": h[name].ip}
            v.update(h[name].dirs())
            hostvars[name] = v
        hostvars["mq1"]["broker_instances"] = [
            {"name": "broker-a", "id": 0, "listen_port": 10911},
            {"name": "broker-b", "id": 1, "listen_port": 10921},
        ]
        hostvars["mq2"]["broker_instances"] = [
            {"name": "broker-b", "id": 0, "listen_port": 10911},
            {"name": "broker-a", "id": 1, "listen_port": 10921},
        ]
        return {
            "all": {
                "vars": {
                    "ansible_connection": "nsenter_pipelined",
                    "ansible_pipelining": True,
                    "mq_manage_packages": False,
                    "ansible_python_interpreter": "/usr/bin/python3",
                    "mq_service_manager": "none",
                    "mq_user": "root",
                    "mq_group": "root",
                    "mq_create_user": False,
                    "mq_systemd_units_always": True,
                    "mq_limit_nofile": 65536,
                    "mq_stop_timeout": 60,
                    "mq_namesrv_domain": "namesrv.mq.test",
                    "mq_topics": [{"name": TOPIC, "queues": 4}],
                    "release_build_dir": os.path.join(self.workdir, "release"),
                    # Pinned: the default (package version + git commit) would move if the checkout is committed
                    # to while the suite runs.
                    "release_version": "0.0.0-suite",
                    # Small segments (the default is 1 GiB) and a fast re-registration for quick health gates.
                    "broker_options": {"mappedFileSizeCommitLog": 67108864, "registerNameServerPeriod": 5000,
                                       "logLevel": "warn"},
                    "gateway_namesrv_mode": "dns",
                    "gateway_receipt_secret": "{{ vault_gateway_receipt_secret }}",
                    "gateway_tokens": [{"name": "test", "token": TOKEN, "send": ["*"], "get": ["*"],
                                        "groups": ["*"]}],
                    "gateway_options": {"pollNameServerInterval": 3000, "namesrvDnsRefreshMs": 5000,
                                        "logLevel": "warn"},
                    "namesrv_options": {"logLevel": "warn"},
                    # Prometheus on mq3 scrapes every process (they bind their HTTP port to 0.0.0.0, the default
                    # mq_http_host); a short interval lets the test see every target up soon after a start.
                    "monitoring_scrape_interval": "5s",
                },
                "hosts": hostvars,
                "children": {
                    "mq_namesrv": {"hosts": {"mq1": {}, "mq2": {}}},
                    "mq_brokers": {"hosts": {"mq1": {}, "mq2": {}}},
                    "mq_gateways": {"hosts": {"mq3": {}, "mq4": {}}},
                    "mq_redis": {"hosts": {"mq1": {}}},
                    "mq_dns": {"hosts": {"mq2": {}}},
                    "mq_monitoring": {"hosts": {"mq3": {}}},
                },
            }
        }

    def write_inventory(self):
        with open(os.path.join(self.inv_dir, "hosts.yml"), "w") as f:
            json.dump(self.inventory, f, indent=1)

    def playbook(self, name, *extra, expect_ok=True):
        """Runs ansible-playbook; returns (output, {host: (ok, changed, unreachable, failed)})."""
        self.runs += 1
        log = os.path.join(self.logdir, "run-%02d-%s.log" % (self.runs, name.replace(".yml", "")))
        argv = ["ansible-playbook", "-i", os.path.join(self.inv_dir, "hosts.yml"), name, "--skip-tags", "sysctl",
                "--vault-password-file", self.vault_pass] + list(extra)
        env = dict(os.environ, ANSIBLE_CONNECTION_PLUGINS=os.path.join(HERE, "connection_plugins"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0",
                   ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                   # Each task's start time and duration in the run log (where a slow run spends its time).
                   ANSIBLE_CALLBACKS_ENABLED=os.environ.get("ANSIBLE_CALLBACKS_ENABLED", "ansible.posix.profile_tasks"))
        start = time.time()
        with open(log, "w") as f:
            # A session of its own, so that a timeout kills ansible's workers and their children too.
            p = subprocess.Popen(argv, cwd=ANSIBLE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=f,
                                 stderr=subprocess.STDOUT, start_new_session=True)
            try:
                p.wait(timeout=int(os.environ.get("MQ_ANSIBLE_RUN_TIMEOUT", "900")))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                pytest.fail("%s timed out; log: %s" % (name, log))
        with open(log) as f:
            out = f.read()
        recap = {m.group(1): tuple(int(x) for x in m.groups()[1:]) for m in RECAP.finditer(out)}
        print("%s %s: rc=%d in %.1f s, recap %s" % (name, " ".join(extra), p.returncode, time.time() - start, recap))
        if expect_ok and p.returncode != 0:
            pytest.fail("%s failed (rc=%d):\n%s" % (name, p.returncode, out[-6000:]))
        return out, recap

    def mq(self, hostname, *args, timeout=30):
        h = self.host(hostname)
        mq = os.path.join(h.dirs()["mq_install_dir"], "current", "bin", "mq")
        return h.run("node", mq, *args, timeout=timeout)

    def pids(self):
        """{pidfile name: pid} of every process the roles started, across every host."""
        out = {}
        for name, h in self.lab.hosts.items():
            run = h.dirs()["mq_run_dir"]
            if not os.path.isdir(run):
                continue
            for f in sorted(os.listdir(run)):
                if f.endswith(".pid"):
                    with open(os.path.join(run, f)) as fh:
                        out["%s/%s" % (name, f[:-4])] = int(fh.read().strip())
        return out

    def ready_counts(self):
        """{service: number of "<component> ready" lines in its log} for the mq processes."""
        out = {}
        for name, h in self.lab.hosts.items():
            logd = h.dirs()["mq_log_dir"]
            if not os.path.isdir(logd):
                continue
            for f in sorted(os.listdir(logd)):
                if f.startswith(("mq-namesrv", "mq-broker", "mq-gateway")) and f.endswith(".log"):
                    with open(os.path.join(logd, f), errors="replace") as fh:
                        n = sum(1 for line in fh if re.match(r"^(namesrv|broker|gateway) ready ", line))
                    out["%s/%s" % (name, f[:-4])] = n
        return out

    def alive_in(self, pid, hostname):
        """True when pid runs and sits in the host's network namespace."""
        try:
            return os.readlink("/proc/%d/ns/net" % pid) == os.readlink("/proc/%d/ns/net" % self.host(hostname).pid)
        except OSError:
            return False

    def traffic(self, *args, timeout=120):
        cli = self.host("cli")
        env = dict(os.environ, PYTHONPATH="/usr/lib/python3/dist-packages")
        p = cli.run("/usr/bin/python3", os.path.join(HERE, "traffic.py"), *args, check=False, timeout=timeout,
                    env=env)
        if p.returncode != 0:
            pytest.fail("traffic.py %s failed: %s %s" % (args[0], p.stdout, p.stderr[-3000:]))
        return json.loads(p.stdout.strip().splitlines()[-1])

    def gateways(self):
        return ["%s:9090" % self.host("mq3").ip, "%s:9090" % self.host("mq4").ip]

    def prometheus_targets(self):
        """[(job, instance, health, lastError)] of Prometheus on mq3, asked through its HTTP API from the cli host."""
        url = "http://%s:9095/api/v1/targets?state=active" % self.host("mq3").ip
        p = self.host("cli").run("curl", "-sf", "--max-time", "10", url, check=False, timeout=20)
        if p.returncode != 0:
            return []
        return sorted((t["labels"].get("job"), t["labels"].get("instance"), t.get("health"), t.get("lastError", ""))
                      for t in json.loads(p.stdout)["data"]["activeTargets"])

    def expected_targets(self):
        """{(job, instance)} Prometheus must scrape: every name server, broker instance and gateway, on every host."""
        inv = self.inventory["all"]
        hosts = lambda group: sorted(inv["children"][group]["hosts"])  # noqa: E731
        want = {("prometheus", "%s:9095" % self.host("mq3").ip)}
        want |= {("mq-namesrv", "%s:9877" % self.host(h).ip) for h in hosts("mq_namesrv")}
        want |= {("mq-gateway", "%s:9091" % self.host(h).ip) for h in hosts("mq_gateways")}
        for h in hosts("mq_brokers"):
            for b in inv["hosts"][h]["broker_instances"]:
                want.add(("mq-broker", "%s:%d" % (self.host(h).ip, b["listen_port"] + 3)))
        return want

    def wait_prometheus_sees_all_up(self, timeout=90):
        """Polls Prometheus until it scrapes exactly the expected targets and every one is up; fails otherwise."""
        want = self.expected_targets()
        deadline = time.time() + timeout
        targets = []
        while time.time() < deadline:
            targets = self.prometheus_targets()
            if {(j, i) for j, i, _, _ in targets} == want and all(h == "up" for _, _, h, _ in targets):
                return targets
            time.sleep(1)
        pytest.fail("Prometheus on mq3 does not see every target up after %d s:\nwanted %s\ngot %s"
                    % (timeout, sorted(want), targets))

    def route(self, topic):
        p = self.mq("mq1", "admin", "topicRoute", "-n", "%s:9876" % self.host("mq1").ip, "-t", topic)
        return json.loads(p.stdout)


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    try:
        c.start()
        yield c
    finally:
        print("playbook logs: %s" % c.logdir)
        c.lab.teardown()
        leftover = [ns for ns in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
                    if ns.startswith(c.lab.prefix + "-")]
        assert not leftover, "namespaces left behind: %s" % leftover


def test_01_site_brings_up_the_cluster(cluster):
    _, recap = cluster.playbook("site.yml")
    assert set(recap) >= {"mq1", "mq2", "mq3", "mq4"}, recap
    pids = cluster.pids()
    expected = {
        "mq1": ["mq-namesrv", "mq-broker-broker-a-0", "mq-broker-broker-b-1", "mq-redis"],
        "mq2": ["mq-namesrv", "mq-broker-broker-b-0", "mq-broker-broker-a-1", "mq-dnsmasq"],
        "mq3": ["mq-gateway", "mq-prometheus"],
        "mq4": ["mq-gateway"],
    }
    for host, services in expected.items():
        for s in services:
            key = "%s/%s" % (host, s)
            assert key in pids, "no pidfile for %s: %s" % (key, sorted(pids))
            assert cluster.alive_in(pids[key], host), "%s (pid %d) is not running in %s" % (key, pids[key], host)
    # Both name servers know both broker sets, master and slave, at the hosts' addresses.
    ip1, ip2 = cluster.host("mq1").ip, cluster.host("mq2").ip
    for ns in (ip1, ip2):
        out = cluster.mq("mq3", "admin", "clusterList", "-n", "%s:9876" % ns).stdout
        for bset, bid, addr in (("broker-a", 0, ip1 + ":10911"), ("broker-a", 1, ip2 + ":10921"),
                                ("broker-b", 0, ip2 + ":10911"), ("broker-b", 1, ip1 + ":10921")):
            assert re.search(r"(?m)^DefaultCluster\s+%s\s+%d\s+%s(\s|$)" % (bset, bid, re.escape(addr)), out), out
    # The declared topic exists on both sets with its queue count.
    route = cluster.route(TOPIC)
    assert sorted((q["brokerName"], q["writeQueueNums"]) for q in route["queueDatas"]) == \
        [("broker-a", 4), ("broker-b", 4)], route
    # dnsmasq answers the name-server domain with A and SRV records of both name servers.
    js = ("const r=new (require('dns').promises.Resolver)();r.setServers(['%s:53']);"
          "Promise.all([r.resolve4('namesrv.mq.test'),r.resolveSrv('namesrv.mq.test')])"
          ".then(x=>console.log(JSON.stringify(x)))" % ip2)
    a, srv = json.loads(cluster.host("cli").run("node", "-e", js).stdout)
    assert sorted(a) == sorted([ip1, ip2])
    assert sorted(r["port"] for r in srv) == [9876, 9876]
    # Redis runs with AOF and noeviction.
    conf = cluster.host("mq1").run("redis-cli", "-h", ip1, "config", "get", "*").stdout.split("\n")
    settings = dict(zip(conf[0::2], conf[1::2]))
    assert settings.get("appendonly") == "yes" and settings.get("maxmemory-policy") == "noeviction", settings
    # Prometheus is up with the rendered scrape configuration.
    ready = cluster.host("mq3").run("curl", "-sf", "http://%s:9095/-/ready" % cluster.host("mq3").ip, check=False)
    assert ready.returncode == 0, ready.stderr
    # ... and scrapes every process of every host: 2 name servers, 4 broker instances, 2 gateways (and itself).
    targets = cluster.wait_prometheus_sees_all_up()
    assert len(targets) == 9, targets
    # A message sent through each gateway is received through the other one.
    gw_a, gw_b = cluster.gateways()
    res = cluster.traffic("roundtrip", gw_a, gw_b, TOPIC, TOKEN)
    assert all(v["received"] for v in res.values()), res
    # The gateways refuse calls without the token (the tokens file is in force).
    cluster.site_pids = pids


def test_02_second_run_changes_nothing(cluster):
    before = cluster.pids()
    _, recap = cluster.playbook("site.yml")
    changed = {h: r[1] for h, r in recap.items() if r[1] != 0}
    assert changed == {}, "a second run changed something: %s" % changed
    assert cluster.pids() == before


def test_03_check_diff_shows_no_change(cluster):
    out, recap = cluster.playbook("site.yml", "--check", "--diff")
    changed = {h: r[1] for h, r in recap.items() if r[1] != 0}
    assert changed == {}, "--check reports changes: %s" % changed
    assert not re.search(r"(?m)^(\+\+\+|---) (before|after)", out), "--diff printed a diff"


def test_04_units_pass_systemd_analyze_verify(cluster):
    units = []
    for h in cluster.lab.hosts.values():
        d = h.dirs()["mq_systemd_dir"]
        if os.path.isdir(d):
            units += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".service")]
    assert len(units) >= 10, units
    p = subprocess.run(["systemd-analyze", "verify"] + units, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    text = open([u for u in units if "broker-a-0" in u][0]).read()
    assert "LimitNOFILE=65536" in text and "TimeoutStopSec=60" in text and "Restart=on-failure" in text


def test_05_one_broker_option_restarts_only_that_instance(cluster):
    before = cluster.pids()
    inv = cluster.inventory["all"]["hosts"]["mq2"]["broker_instances"]
    inv[0]["options"] = {"deleteWhen": "03"}
    cluster.write_inventory()
    # Only the broker plays (as an operator changing broker settings would run it).
    _, recap = cluster.playbook("site.yml", "--tags", "broker")
    after = cluster.pids()
    moved = sorted(k for k in before if after.get(k) != before[k])
    assert moved == ["mq2/mq-broker-broker-b-0"], "restarted: %s" % moved
    assert cluster.alive_in(after["mq2/mq-broker-broker-b-0"], "mq2")
    conf = os.path.join(cluster.host("mq2").dirs()["mq_conf_dir"], "broker-b-0.properties")
    assert "deleteWhen=03" in open(conf).read()
    assert {h for h, r in recap.items() if r[1]} == {"mq2"}, recap


def test_06_scale_out_adds_a_broker_set(cluster):
    before = cluster.pids()
    inv = cluster.inventory["all"]
    inv["hosts"]["mq5"]["broker_instances"] = [{"name": "broker-c", "id": 0, "listen_port": 10911}]
    inv["hosts"]["mq3"]["broker_instances"] = [{"name": "broker-c", "id": 1, "listen_port": 10911}]
    inv["children"]["mq_brokers"]["hosts"].update({"mq3": {}, "mq5": {}})
    cluster.write_inventory()
    cluster.playbook("scale-out.yml")
    after = cluster.pids()
    # No other process restarted: Prometheus, whose scrape configuration gained the new instances, reloaded it
    # (SIGHUP) and kept its pid.
    for k, pid in before.items():
        assert after.get(k) == pid, "%s restarted (%s -> %s)" % (k, pid, after.get(k))
    assert cluster.alive_in(after["mq5/mq-broker-broker-c-0"], "mq5")
    assert cluster.alive_in(after["mq3/mq-broker-broker-c-1"], "mq3")
    route = cluster.route(TOPIC)
    assert sorted((q["brokerName"], q["writeQueueNums"], q["readQueueNums"]) for q in route["queueDatas"]) == \
        [("broker-a", 4, 4), ("broker-b", 4, 4), ("broker-c", 4, 4)], route
    c_addrs = [b["brokerAddrs"] for b in route["brokerDatas"] if b["brokerName"] == "broker-c"][0]
    assert c_addrs == {"0": cluster.host("mq5").ip + ":10911", "1": cluster.host("mq3").ip + ":10911"}, c_addrs
    # Prometheus scrapes the new instances too (6 broker instances now).
    targets = cluster.wait_prometheus_sees_all_up()
    assert len([t for t in targets if t[0] == "mq-broker"]) == 6, targets
    # New sends through each gateway land on the new set too (routes refresh every 3 s in this inventory).
    for gw in cluster.gateways():
        counts = {}
        deadline = time.time() + 30
        while counts.get("broker-c", 0) == 0 and time.time() < deadline:
            counts = cluster.traffic("spread", gw, TOPIC, TOKEN, "30")["counts"]
            time.sleep(1)
        assert counts.get("broker-c", 0) > 0, counts
        assert not [k for k in counts if k.startswith("error")], counts


def test_07_rolling_restart_under_traffic(cluster):
    before_pids = cluster.pids()
    before_ready = cluster.ready_counts()
    stopfile = os.path.join(cluster.workdir, "stop-traffic")
    cli = cluster.host("cli")
    env = dict(os.environ, PYTHONPATH="/usr/lib/python3/dist-packages")
    traffic = subprocess.Popen(
        cli.exec_argv("/usr/bin/python3", os.path.join(HERE, "traffic.py"), "steady", ",".join(cluster.gateways()),
                      TOPIC, "steady_group", TOKEN, stopfile, "1200"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(3)
        assert traffic.poll() is None, traffic.communicate()
        cluster.playbook("rolling-restart.yml")
        time.sleep(3)
    finally:
        with open(stopfile, "w"):
            pass
        out, err = traffic.communicate(timeout=200)
    assert traffic.returncode == 0, err[-3000:]
    res = json.loads(out.strip().splitlines()[-1])
    print("traffic during the rolling restart: %s" % res)
    assert res["acked"] > 100, res
    assert res["failed"] == 0, res
    assert res["lost"] == 0, res
    after_pids = cluster.pids()
    after_ready = cluster.ready_counts()
    mq_services = [k for k in before_pids if "/mq-namesrv" in k or "/mq-broker" in k or "/mq-gateway" in k]
    # 2 name servers, 2 gateways, 4 broker instances (6 after test_06's scale-out).
    assert len(mq_services) >= 8, mq_services
    for k in mq_services:
        assert after_pids[k] != before_pids[k], "%s was not restarted" % k
        host = k.split("/")[0]
        assert cluster.alive_in(after_pids[k], host), k
        assert after_ready[k] == before_ready[k] + 1, "%s started %d times" % (k, after_ready[k] - before_ready[k])
    for k in before_pids:
        if k not in mq_services:
            assert after_pids[k] == before_pids[k], "%s restarted" % k
