"""A real local stand-in for AWS: moto's HTTP server on 127.0.0.1, on a free port, for the whole session.

Each test gets it empty (POST /moto-api/reset) and with fake credentials in the environment, so nothing can
reach a real account whatever the machine's AWS configuration says.
"""

from __future__ import annotations

import functools
import logging
import urllib.request
from collections.abc import Iterator

import chalice.test
import pytest
from chalice.local import LambdaContext
from moto.server import ThreadedMotoServer

from tests.integration.packaged import packaged  # noqa: F401  (the fixture: each stage packaged once a session)

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/trustwatch-test-aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/trustwatch-test-aws-credentials",
    "NO_PROXY": "127.0.0.1,localhost",
}
UNSET_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")

# urllib would honour HTTP_PROXY; the server is local.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request buries failures
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The server's URL, emptied of what earlier tests created, with fake credentials in the environment."""
    for name in UNSET_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    with _NO_PROXY_OPENER.open(request, timeout=10) as response:
        assert response.status == 200
    return moto_server


def lambda_runtime(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Give functions invoked through Chalice's test client ``seconds`` to run (their context's remaining time)."""
    context = functools.partial(LambdaContext, max_runtime_ms=int(seconds * 1000))
    monkeypatch.setattr(chalice.test, "LambdaContext", context)


@pytest.fixture(autouse=True)
def _a_minute_per_invocation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chalice's test client gives every function 3 s; the deployed ones have at least a minute (config.json)."""
    lambda_runtime(monkeypatch, 60)
