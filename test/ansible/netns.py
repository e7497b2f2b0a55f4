"""Test hosts made of network namespaces.

Each host is a namespace with one veth interface on a private /24; the other ends sit on a bridge inside a hub
namespace, so nothing is added to the machine's own network stack. A holder process (`sleep`) runs in each
namespace; Ansible reaches the host with the community.docker.nsenter connection pointed at the holder's pid.
Namespaces share the filesystem, so every host gets its own root directory for install, config, data, logs and
pidfiles. teardown() kills every process inside the namespaces (by pid, from `ip netns pids`), deletes the
namespaces and the directories, and is safe to call more than once.
"""
import os
import shutil
import signal
import subprocess
import time


def sh(*argv, check=True, **kw):
    return subprocess.run(list(argv), check=check, capture_output=True, text=True, **kw)


class Host(object):
    def __init__(self, name, ns, ip, root):
        self.name = name
        self.ns = ns
        self.ip = ip
        self.root = root
        self.holder = None

    @property
    def pid(self):
        return self.holder.pid

    def exec_argv(self, *argv):
        return ["ip", "netns", "exec", self.ns] + list(argv)

    def run(self, *argv, check=True, timeout=60, **kw):
        return sh(*self.exec_argv(*argv), check=check, timeout=timeout, **kw)

    def dirs(self):
        """Per-host directory variables for the inventory."""
        r = self.root
        return {
            "mq_install_dir": r + "/opt/mqgateway",
            "mq_conf_dir": r + "/etc/mqgateway",
            "mq_data_dir": r + "/var/lib/mqgateway",
            "mq_log_dir": r + "/var/log/mqgateway",
            "mq_run_dir": r + "/run/mqgateway",
            "mq_systemd_dir": r + "/etc/systemd/system",
        }


class Lab(object):
    """A hub namespace with a bridge and host namespaces attached to it."""

    def __init__(self, workdir, prefix=None, subnet="10.213.77"):
        self.workdir = workdir
        self.prefix = prefix or "mqa%d" % (os.getpid() % 100000)
        self.subnet = subnet
        self.hub = self.prefix + "-hub"
        self.hosts = {}
        self._made = []

    def setup_hub(self):
        sh("ip", "netns", "add", self.hub)
        self._made.append(self.hub)
        sh("ip", "netns", "exec", self.hub, "ip", "link", "add", "br0", "type", "bridge")
        sh("ip", "netns", "exec", self.hub, "ip", "link", "set", "br0", "up")
        sh("ip", "netns", "exec", self.hub, "ip", "link", "set", "lo", "up")

    def add_host(self, name, octet):
        ns = "%s-%s" % (self.prefix, name)
        ip = "%s.%d" % (self.subnet, octet)
        root = os.path.join(self.workdir, "hosts", name)
        os.makedirs(root, exist_ok=True)
        sh("ip", "netns", "add", ns)
        self._made.append(ns)
        # Interface names are at most 15 characters: keep them short and unique per lab.
        a, b = "v%s%da" % (self.prefix[-5:], octet), "v%s%db" % (self.prefix[-5:], octet)
        sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
        sh("ip", "link", "set", a, "netns", ns)
        sh("ip", "link", "set", b, "netns", self.hub)
        sh("ip", "netns", "exec", ns, "ip", "link", "set", a, "name", "eth0")
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", ip + "/24", "dev", "eth0")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        sh("ip", "netns", "exec", self.hub, "ip", "link", "set", b, "master", "br0")
        sh("ip", "netns", "exec", self.hub, "ip", "link", "set", b, "up")
        host = Host(name, ns, ip, root)
        host.holder = subprocess.Popen(["ip", "netns", "exec", ns, "sleep", "infinity"],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        self.hosts[name] = host
        return host

    def wait_ready(self, timeout=10):
        """Waits until every holder is inside its namespace (ip netns exec has exec'd sleep)."""
        deadline = time.time() + timeout
        for h in self.hosts.values():
            while True:
                try:
                    if os.readlink("/proc/%d/exe" % h.pid).endswith("/sleep"):
                        break
                except OSError:
                    pass
                if time.time() > deadline:
                    raise RuntimeError("holder of %s did not start" % h.name)
                time.sleep(0.05)

    def ns_pids(self, ns):
        out = sh("ip", "netns", "pids", ns, check=False).stdout
        return [int(p) for p in out.split()]

    def teardown(self):
        holders = {h.holder.pid for h in self.hosts.values() if h.holder}
        for ns in self._made:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                pids = [p for p in self.ns_pids(ns) if p not in holders]
                for p in pids:
                    try:
                        os.kill(p, sig)
                    except ProcessLookupError:
                        pass
                deadline = time.time() + (10 if sig == signal.SIGTERM else 3)
                while pids and time.time() < deadline:
                    pids = [p for p in pids if os.path.exists("/proc/%d" % p)]
                    time.sleep(0.1)
        for h in self.hosts.values():
            if h.holder and h.holder.poll() is None:
                h.holder.kill()
                h.holder.wait()
        for ns in reversed(self._made):
            sh("ip", "netns", "del", ns, check=False)
        self._made = []
        shutil.rmtree(self.workdir, ignore_errors=True)
