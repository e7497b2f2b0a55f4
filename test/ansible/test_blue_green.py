"""ansible/blue-green.yml, run for real on network-namespace hosts (see netns.py), under traffic.

Hosts of this lab (own prefix and subnet, apart from test_ansible.py's):

  blue   blue's name server, broker-a master and slave (cluster BlueCluster), gateway 1, Redis, dnsmasq
  green  gateway 2; then green's name server, broker-a master and slave (cluster GreenCluster) from green's own
         inventory, deployed by the playbook
  cli    the test's producer and at-least-once consumer (bg_traffic.py, through both gateways)

Blue and green have broker sets of the same name. The gateways resolve the name servers through dnsmasq (SRV).
Flow: site.yml deploys blue; a topic and a group are added on blue by hand (the playbook must copy them); traffic
starts; blue-green.yml runs and is killed once after the DNS flip (resumability); it is rerun with
`--skip-tags bg_stop` (everything up to the drain), blue is checked with `mq admin consumerProgress` (nothing left
unconsumed) and through the gateways' /status; a third run stops blue. Then the traffic stops and the consumer
drains green: zero failed sends after retries, zero acknowledged messages lost, duplicates counted and bounded.
Prints the time from the DNS flip to the last send on blue and to the end of the drain.
Services run with mq_service_manager=none and --skip-tags sysctl. Needs root (ip netns).
"""
import calendar
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
EXTRA_TOPIC = "audit"
EXTRA_GROUP = "bg_extra_group"
GROUP = "bg_group"
DOMAIN = "namesrv.bg.test"

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def require(tool):
    from shutil import which

    if which(tool) is None:
        pytest.fail("%s is not installed (scripts/ci/apt-ansible.txt lists the Debian packages)" % tool)


def common_vars(workdir):
    return {
        "ansible_connection": "nsenter_pipelined",
        "ansible_pipelining": True,
        "ansible_python_interpreter": "/usr/bin/python3",
        "mq_manage_packages": False,
        "mq_service_manager": "none",
        "mq_user": "root",
        "mq_group": "root",
        "mq_create_user": False,
        "mq_limit_nofile": 65536,
        "mq_stop_timeout": 60,
        "mq_systemd_verify": False,
        "mq_namesrv_domain": DOMAIN,
        "release_build_dir": os.path.join(workdir, "release"),
        # Pinned: the default (package version + git commit) would move if the checkout is committed to meanwhile.
        "release_version": "0.0.0-bluegreen",
        "broker_options": {"mappedFileSizeCommitLog": 67108864, "registerNameServerPeriod": 5000, "logLevel": "warn"},
        "namesrv_options": {"logLevel": "warn"},
    }


class BlueGreen(object):
    def __init__(self):
        for tool in ("ansible-playbook", "ip", "start-stop-daemon", "redis-server", "dnsmasq", "node", "curl"):
            require(tool)
        self.workdir = tempfile.mkdtemp(prefix="mq-bluegreen-")
        self.lab = Lab(self.workdir, prefix="mqbg%d" % (os.getpid() % 10000), subnet="10.213.78")
        self.logdir = tempfile.mkdtemp(prefix="mq-bluegreen-logs-")
        self.state_dir = os.path.join(self.workdir, "bg-state")
        self.runs = 0

    def start(self):
        self.lab.setup_hub()
        for i, name in enumerate(["blue", "green", "cli"]):
            self.lab.add_host(name, 11 + i)
        self.lab.wait_ready()
        self.write_inventories()

    def host(self, name):
        return self.lab.hosts[name]

    def hostvars(self, name, **extra):
        h = self.host(name)
        v = {"ansible_nsenter_pid": h.pid, "mq_advertise_ip": h.ip}
        v.update(h.dirs())
        v.update(extra)
        return v

    def write_inventories(self):
        pair = [{"name": "broker-a", "id": 0, "listen_port": 10911}, {"name": "broker-a", "id": 1, "listen_port": 10921}]
        blue_vars = dict(common_vars(self.workdir), **{
            "mq_cluster_name": "BlueCluster",
            "mq_topics": [{"name": TOPIC, "queues": 4}],
            "gateway_namesrv_mode": "dns",
            "gateway_receipt_secret": os.urandom(16).hex(),
            "gateway_tokens": [{"name": "test", "token": TOKEN, "send": ["*"], "get": ["*"], "groups": ["*"]}],
            "gateway_options": {"pollNameServerInterval": 3000, "namesrvDnsRefreshMs": 2000, "logLevel": "warn"},
        })
        blue = {"all": {
            "vars": blue_vars,
            "hosts": {"blue": self.hostvars("blue", broker_instances=pair), "green": self.hostvars("green")},
            "children": {
                "mq_namesrv": {"hosts": {"blue": {}}},
                "mq_brokers": {"hosts": {"blue": {}}},
                "mq_gateways": {"hosts": {"blue": {}, "green": {}}},
                "mq_redis": {"hosts": {"blue": {}}},
                "mq_dns": {"hosts": {"blue": {}}},
                # Green's name servers, for the DNS record the playbook renders.
                "bg_green_namesrv": {"hosts": {"green": {}}},
            },
        }}
        green = {"all": {
            "vars": dict(common_vars(self.workdir), mq_cluster_name="GreenCluster"),
            "hosts": {"green": self.hostvars("green", broker_instances=pair)},
            "children": {"mq_namesrv": {"hosts": {"green": {}}}, "mq_brokers": {"hosts": {"green": {}}}},
        }}
        self.blue_inv = os.path.join(self.workdir, "inventory-blue.yml")
        self.green_inv = os.path.join(self.workdir, "inventory-green.yml")
        for path, inv in ((self.blue_inv, blue), (self.green_inv, green)):
            with open(path, "w") as f:
                json.dump(inv, f, indent=1)

    def env(self):
        return dict(os.environ, ANSIBLE_CONNECTION_PLUGINS=os.path.join(HERE, "connection_plugins"),
                    ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0",
                    ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                    # Each task's time in the logs, the slowest ones in the recap.
                    ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")

    def bg_args(self):
        return ["-e", "bg_green_inventory=%s" % self.green_inv, "-e", "bg_green_cluster=GreenCluster",
                "-e", json.dumps({"bg_green_playbook_args": "--skip-tags sysctl"}), "-e", "bg_state_dir=%s" % self.state_dir,
                "-e", "bg_poll_s=1", "-e", "bg_drain_timeout_s=150", "-e", "bg_green_timeout_s=120"]

    def start_playbook(self, name, *extra):
        self.runs += 1
        log = os.path.join(self.logdir, "run-%02d-%s.log" % (self.runs, name.replace(".yml", "")))
        argv = ["ansible-playbook", "-i", self.blue_inv, name, "--skip-tags", "sysctl"] + list(extra)
        f = open(log, "w")
        # A session of its own, so that a kill reaches ansible's workers and the nested playbook too.
        p = subprocess.Popen(argv, cwd=ANSIBLE_DIR, env=self.env(), stdin=subprocess.DEVNULL, stdout=f,
                             stderr=subprocess.STDOUT, start_new_session=True)
        p.log, p.logfile, p.started, p.label = log, f, time.time(), "%s %s" % (
            name, " ".join(a for a in extra if a.startswith("--") or a.startswith("bg_")))
        return p

    def finish_playbook(self, p, expect_ok=True, timeout=420):
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            pytest.fail("%s timed out; log: %s" % (p.label, p.log))
        finally:
            p.logfile.close()
        with open(p.log) as f:
            out = f.read()
        recap = {m.group(1): tuple(int(x) for x in m.groups()[1:]) for m in RECAP.finditer(out)}
        print("%s: rc=%d in %.1f s, recap %s" % (p.label, p.returncode, time.time() - p.started, recap))
        if expect_ok and p.returncode != 0:
            pytest.fail("%s failed (rc=%d), log %s:\n%s" % (p.label, p.returncode, p.log, out[-8000:]))
        return out, recap

    def playbook(self, name, *extra, **kw):
        return self.finish_playbook(self.start_playbook(name, *extra), **kw)

    def mq(self, hostname, *args, timeout=60):
        h = self.host(hostname)
        mq = os.path.join(h.dirs()["mq_install_dir"], "current", "bin", "mq")
        p = h.run("node", mq, *args, timeout=timeout, check=False)
        if p.returncode != 0:
            pytest.fail("mq %s failed: %s %s" % (" ".join(args), p.stdout, p.stderr[-2000:]))
        return p.stdout

    def ns(self, color):
        return "%s:9876" % self.host(color).ip

    def gateways(self):
        return ["%s:9090" % self.host("blue").ip, "%s:9090" % self.host("green").ip]

    def status(self, hostname):
        return json.loads(self.host(hostname).run("curl", "-sf", "http://127.0.0.1:9091/status").stdout)

    def metrics(self, hostname):
        return self.host(hostname).run("curl", "-sf", "http://127.0.0.1:9091/metrics").stdout

    def pid_of(self, hostname, service):
        path = os.path.join(self.host(hostname).dirs()["mq_run_dir"], service + ".pid")
        try:
            with open(path) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def alive_in(self, pid, hostname):
        try:
            return os.readlink("/proc/%d/ns/net" % pid) == os.readlink("/proc/%d/ns/net" % self.host(hostname).pid)
        except (OSError, TypeError):
            return False

    def markers(self):
        if not os.path.isdir(self.state_dir):
            return []
        return sorted(f for f in os.listdir(self.state_dir) if re.match(r"^\d-", f))


@pytest.fixture(scope="module")
def lab():
    c = BlueGreen()
    try:
        c.start()
        yield c
    finally:
        print("playbook logs: %s" % c.logdir)
        c.lab.teardown()
        leftover = [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
                    if n.startswith(c.lab.prefix + "-")]
        assert not leftover, "namespaces left behind: %s" % leftover


def test_blue_green_switch_under_traffic(lab):
    t0 = time.time()
    lab.playbook("site.yml")
    blue_ns, green_ns = lab.ns("blue"), lab.ns("green")
    # Metadata the playbook must copy besides mq_topics: a topic with 3 queues and a group created by hand.
    lab.mq("blue", "admin", "updateTopic", "-n", blue_ns, "-c", "BlueCluster", "-t", EXTRA_TOPIC, "-r", "3", "-w", "3")
    lab.mq("blue", "admin", "updateSubGroup", "-n", blue_ns, "-c", "BlueCluster", "-g", EXTRA_GROUP)
    for gw in ("blue", "green"):
        st = lab.status(gw)
        assert [g["nameServers"] for g in st["generations"]] == [[blue_ns]], st

    stopfile = os.path.join(lab.workdir, "stop-traffic")
    progressfile = os.path.join(lab.workdir, "traffic-progress.json")
    env = dict(os.environ, PYTHONPATH="/usr/lib/python3/dist-packages")
    traffic = subprocess.Popen(
        lab.host("cli").exec_argv("/usr/bin/python3", os.path.join(HERE, "bg_traffic.py"), ",".join(lab.gateways()),
                                  TOPIC, GROUP, TOKEN, stopfile, progressfile, "900"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def progress():
        try:
            with open(progressfile) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {"acked": 0, "received": 0}

    try:
        # Blue carries traffic before the switch: acknowledged sends and deliveries through the gateways.
        deadline = time.time() + 60
        while time.time() < deadline and traffic.poll() is None and \
                (progress()["acked"] < 25 or progress()["received"] < 10):
            time.sleep(0.5)
        assert traffic.poll() is None, traffic.communicate()
        assert progress()["acked"] >= 25 and progress()["received"] >= 10, progress()

        # Run 1, interrupted (killed) once the DNS record points at green.
        p = lab.start_playbook("blue-green.yml", *lab.bg_args())
        deadline = time.time() + 400
        while time.time() < deadline and p.poll() is None:
            with open(p.log) as f:
                if "PLAY [Blue/green - 4 " in f.read():
                    break
            time.sleep(0.2)
        assert p.poll() is None, "blue-green.yml ended before the flip: %s" % open(p.log).read()[-6000:]
        os.killpg(p.pid, signal.SIGKILL)
        lab.finish_playbook(p, expect_ok=False)
        assert lab.markers() == ["1-green-deployed", "2-metadata-copied", "3-dns-flipped"], lab.markers()
        # dnsmasq restarted with green's record when its pidfile was written: the flip as the gateways see it (the
        # playbook's marker holds the time the flip step started, before the render and the reload).
        dns_restart = os.path.getmtime(os.path.join(lab.host("blue").dirs()["mq_run_dir"], "mq-dnsmasq.pid"))
        deploy_log = os.path.join(lab.state_dir, "deploy-green.log")
        deploy_mtime = os.path.getmtime(deploy_log)
        with open(os.path.join(lab.state_dir, "3-dns-flipped")) as f:
            flip_at = f.read().strip()
        # Green got blue's topics (same queue counts) and groups.
        for topic, queues in ((TOPIC, 4), (EXTRA_TOPIC, 3)):
            route = json.loads(lab.mq("green", "admin", "topicRoute", "-n", green_ns, "-t", topic, "--json"))
            assert [(q["brokerName"], q["readQueueNums"], q["writeQueueNums"]) for q in route["queueDatas"]] == \
                [("broker-a", queues, queues)], route
            assert {b["cluster"] for b in route["brokerDatas"]} == {"GreenCluster"}, route
        sub = os.path.join(lab.host("green").dirs()["mq_data_dir"], "broker-a-0", "config", "subscriptionGroup.json")
        with open(sub) as f:
            assert EXTRA_GROUP in json.load(f)["subscriptionGroupTable"]

        # Run 2: resumes (finished steps skipped) and goes on up to the end of the drain.
        out, _ = lab.playbook("blue-green.yml", *(lab.bg_args() + ["--skip-tags", "bg_stop"]))
        assert "steps already done: 1-green-deployed, 2-metadata-copied, 3-dns-flipped" in out, out[-4000:]
        assert os.path.getmtime(deploy_log) == deploy_mtime, "green was deployed again"
        with open(os.path.join(lab.state_dir, "3-dns-flipped")) as f:
            assert f.read().strip() == flip_at
        assert lab.markers() == ["1-green-deployed", "2-metadata-copied", "3-dns-flipped", "4-green-active",
                                 "5-blue-frozen", "6-blue-drained"], lab.markers()
        # Nothing left unconsumed on blue: the group's committed offsets are at blue's max offsets ...
        progress = json.loads(lab.mq("blue", "admin", "consumerProgress", "-n", blue_ns, "-g", GROUP, "--json"))
        on_blue = [q for q in progress["queues"] if q["topic"] == TOPIC]
        assert on_blue and sum(q["brokerOffset"] for q in on_blue) > 0, progress
        assert progress["diffTotal"] == 0, progress
        # ... and every gateway has drained blue, with a backlog of 0 for the group.
        for gw in ("blue", "green"):
            st = lab.status(gw)
            gens = st["generations"]
            assert st["drained"] is True and len(gens) == 2, st
            assert gens[0]["nameServers"] == [blue_ns] and gens[0]["state"] == "drained", st
            assert gens[1]["nameServers"] == [green_ns] and gens[1]["state"] == "active", st
            assert gens[0]["groups"][GROUP]["backlog"] == 0, st
            assert re.search(r'mq_gateway_generation_info\{[^}]*state="drained"[^}]*\} 1', lab.metrics(gw))
        # Blue's brokers are read only, persistently.
        for port in (10911, 10921):
            cfg = json.loads(lab.mq("blue", "admin", "getBrokerConfig", "-n", blue_ns,
                                    "-b", "%s:%d" % (lab.host("blue").ip, port), "--json"))
            assert str(cfg.get("brokerPermission")) == "4", cfg
        with open(os.path.join(lab.state_dir, "drain-report.json")) as f:
            report = json.load(f)

        # Run 3: stops blue (name servers, then brokers); data kept.
        blue_pids = {s: lab.pid_of("blue", s) for s in ("mq-namesrv", "mq-broker-broker-a-0", "mq-broker-broker-a-1")}
        lab.playbook("blue-green.yml", *lab.bg_args())
        assert lab.markers()[-2:] == ["7-blue-namesrv-stopped", "8-blue-brokers-stopped"], lab.markers()
        for s, pid in blue_pids.items():
            assert pid and not lab.alive_in(pid, "blue"), "blue's %s (pid %s) still runs" % (s, pid)
        assert os.path.isdir(os.path.join(lab.host("blue").dirs()["mq_data_dir"], "broker-a-0", "commitlog"))
        for s in ("mq-namesrv", "mq-broker-broker-a-0", "mq-broker-broker-a-1"):
            assert lab.alive_in(lab.pid_of("green", s), "green"), "green's %s is not running" % s
        for s in ("mq-gateway", "mq-dnsmasq", "mq-redis"):
            assert lab.alive_in(lab.pid_of("blue", s), "blue"), "%s on blue is not running" % s
        time.sleep(3)
    finally:
        with open(stopfile, "w"):
            pass
        tout, terr = traffic.communicate(timeout=240)
    assert traffic.returncode == 0, terr[-3000:]
    res = json.loads(tout.strip().splitlines()[-1])
    # Green took the sends after the flip.
    on_green = json.loads(lab.mq("green", "admin", "consumerProgress", "-n", green_ns, "-g", GROUP, "--json"))
    assert sum(q["brokerOffset"] for q in on_green["queues"] if q["topic"] == TOPIC) > 0, on_green

    print("traffic through the switch: %s" % res)
    print("playbook's report (flip step started at %s): %s" % (report["flipAt"], "; ".join(report["summary"])))
    last_send = [g["flipToLastSendS"] for g in report["gateways"].values() if g["flipToLastSendS"] is not None]
    drained = [g["flipToDrainedS"] for g in report["gateways"].values() if g["flipToDrainedS"] is not None]

    def since_restart(iso):
        return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + iso[19:-1]) - dns_restart
    gws = report["gateways"].values()
    print("dnsmasq restart with green's record -> last send on blue: %.1f s; -> end of the drain: %.1f s "
          "(latest gateway); whole test %.0f s"
          % (max([since_restart(g["lastSendAt"]) for g in gws if g["lastSendAt"]] or [float("nan")]),
             max([since_restart(g["drainedAt"]) for g in gws if g["drainedAt"]] or [float("nan")]), time.time() - t0))
    # Both gateways sent to blue before the flip (its generation's last send is known).
    assert len(last_send) == 2, report
    assert res["acked"] > 200, res
    assert res["failed"] == 0, res
    assert res["lost"] == 0, res
    # At-least-once: redeliveries are counted; they stay a small share of what was sent.
    assert res["duplicates"] <= max(50, res["acked"] // 10), res
    assert len(drained) == 2, report
