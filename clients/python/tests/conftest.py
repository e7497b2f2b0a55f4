import shutil

import pytest

from mqproc import Cluster, dev


@pytest.fixture(scope="session")
def dev_gateway():
    """"127.0.0.1:<port>" of a real `mq dev` (name server, master/slave broker set, gateway)."""
    p = dev()
    try:
        yield "127.0.0.1:%s" % p.fields["gatewayPort"]
    finally:
        p.stop()
        shutil.rmtree(p.fields["dataDir"], ignore_errors=True)


@pytest.fixture(scope="session")
def cluster():
    """A name server and a broker; the test starts (and restarts) gateways on it."""
    c = Cluster()
    try:
        yield c
    finally:
        c.close()
