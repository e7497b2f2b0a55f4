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


def test_type_hints_check_with_mypy_strict():
    import shutil
    import subprocess
    try:
        import mypy  # noqa: F401
    except ImportError:
        if os.environ.get("MQ_REQUIRE_TOOLS") == "1":
            raise
        pytest.skip("mypy is not installed (scripts/ci/suite-clients.sh installs it)")
    src = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    cache = os.path.join(os.environ.get("TMPDIR", "/tmp"), "mqgateway-mypy-cache-%d" % os.getpid())
    try:
        r = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", cache, "mqgateway", "examples"], cwd=src,
                           capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    assert r.returncode == 0, r.stdout + r.stderr
