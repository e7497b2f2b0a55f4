"""The package as a user installs it (`pip install ./clients/python` into a virtualenv; the CI suite does that)."""
import os
import sys

import pytest

import mqgateway


@pytest.mark.skipif(os.environ.get("MQGATEWAY_INSTALLED") != "1", reason="run by scripts/ci/suite-clients.sh in a venv")
def test_runs_from_the_installed_package_in_a_virtualenv():
    here = os.path.dirname(os.path.abspath(mqgateway.__file__))
    assert sys.prefix != sys.base_prefix, "not in a virtualenv"
    assert "site-packages" in here, here
    assert os.path.isfile(os.path.join(here, "py.typed"))
    assert os.path.isfile(os.path.join(here, "api", "MessageGateway.py"))
    import thrift  # the PyPI package, not Debian's
    assert "dist-packages" not in thrift.__file__


def test_public_api_is_typed():
    import inspect
    sig = inspect.signature(mqgateway.Consumer.consume)
    assert sig.parameters["orderly"].annotation in (bool, "bool")
    assert set(mqgateway.__all__) >= {"Producer", "Consumer", "consume", "AckStatus", "Message", "GatewayError"}
