"""Real `mq` processes for the tests: `mq dev`, or a name server + broker + gateways started one by one.

The repository root is found from this file (clients/python/tests -> ../../..) or MQ_REPO. Every process is started
on free ports, waited for until it prints `<component> ready k=v ...`, and stopped by its pid.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import Dict, List, Optional

REPO = os.environ.get("MQ_REPO") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MQ = os.path.join(REPO, "bin", "mq")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MqProcess(object):
    def __init__(self, args: List[str], ready_timeout: float = 60.0) -> None:
        self.args = args
        self.proc = subprocess.Popen([MQ] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=REPO)
        self.fields: Dict[str, str] = {}
        self.output: List[str] = []
        ready = threading.Event()

        def pump() -> None:
            assert self.proc.stdout is not None
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.output.append(line)
                m = re.match(r"^(\S+) ready (.*)$", line)
                if m and not ready.is_set():
                    for kv in m.group(2).split():
                        k, _, v = kv.partition("=")
                        self.fields[k] = v
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(ready_timeout) or not self.fields:
            self.stop()
            raise RuntimeError("mq %s was not ready:\n%s" % (" ".join(args), "\n".join(self.output[-40:])))

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Cluster(object):
    """A name server and one master broker, for gateways that tests start, kill and restart themselves."""

    def __init__(self) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="mq-pytest-")
        self.ns = MqProcess(["namesrv", "--listenPort=0", "--httpPort=-1", "--logLevel=warn"])
        self.namesrv = "127.0.0.1:%s" % self.ns.fields["listenPort"]
        self.broker = MqProcess(["broker", "--brokerName=py-a", "--storePathRootDir=%s" % self.dir.name,
                                 "--namesrvAddr=%s" % self.namesrv, "--listenPort=0",
                                 "--haListenPort=%d" % free_port(), "--httpPort=-1", "--logLevel=warn",
                                 "--mappedFileSizeCommitLog=%d" % (64 << 20), "--registerNameServerPeriod=1000"])
        self.gateways: List[MqProcess] = []

    def gateway(self, port: Optional[int] = None, extra: Optional[List[str]] = None) -> MqProcess:
        gw = MqProcess(["gateway", "--namesrvAddr=%s" % self.namesrv, "--listenPort=%d" % (port or 0),
                        "--listenHost=127.0.0.1", "--httpPort=-1", "--logLevel=warn", "--autoCreateTopic=true",
                        "--receiptSecret=pytest-secret", "--offsetFlushIntervalMs=200"] + (extra or []))
        self.gateways.append(gw)
        return gw

    def close(self) -> None:
        for gw in self.gateways:
            gw.stop()
        self.broker.stop()
        self.ns.stop()
        self.dir.cleanup()


def dev() -> MqProcess:
    d = tempfile.mkdtemp(prefix="mq-pytest-dev-")
    p = MqProcess(["dev", "--basePort=0", "--dataDir=%s" % d, "--httpPort=-1"])
    p.fields["dataDir"] = d
    return p


def unique(prefix: str) -> str:
    return "%s_%d_%d" % (prefix, os.getpid(), int(time.time() * 1000) % 10000000)
