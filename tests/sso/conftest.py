"""A real OpenID Connect provider (tests/sso/provider.mjs under Node.js) on a free local port,
and Pulse's settings pointing at it."""

import os
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.utils.csp import CSP

from tests.browser.conftest import console_errors  # noqa: F401 - a fixture, found by name

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("provider.mjs")

# What provider.mjs holds.
CLIENT_ID = "pulse"
CLIENT_SECRET = "pulse-test-client-secret"
TINA = ("tina.sso", "correct horse battery staple")  # groups: pulse-tpm, everyone
LEE = ("lee.sso", "another long passphrase")  # groups: pulse-leaders
ROLE_MAP = {"pulse-tpm": "TPM", "pulse-leaders": "Leadership", "pulse-admins": "Admin"}
PROVIDER_NAME = "Test ID"


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    process: subprocess.Popen


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_provider(pulse_url: str) -> RunningProvider:
    """Starts the provider for Pulse at ``pulse_url`` and waits for its discovery document."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - read back if it fails
    process = subprocess.Popen(
        ["node", str(SCRIPT)],  # node from PATH, as make and CI have it
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "PROVIDER_PORT": str(port), "PULSE_URL": pulse_url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the OIDC provider exited: {log.read()}")
        try:
            answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
            if answer.ok and answer.json()["issuer"] == issuer:
                return RunningProvider(issuer=issuer, process=process)
        except requests.RequestException:
            pass
        time.sleep(0.1)
    stop_provider(process)
    raise RuntimeError("the OIDC provider did not answer within 20 s")


def stop_provider(process: subprocess.Popen) -> None:
    """Stops the provider by its PID."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def switch_on(settings, issuer: str, **extra) -> None:
    """Pulse's single sign-on pointed at ``issuer`` (what OIDC_* in the environment give)."""
    settings.OIDC_ISSUER = issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = PROVIDER_NAME
    settings.OIDC_SCOPES = "openid email profile groups"
    settings.OIDC_ROLE_MAP = ROLE_MAP
    # As config/settings/base.py does for a configured issuer: signing out redirects there.
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [CSP.SELF, issuer],
    }
    for name, value in extra.items():
        setattr(settings, name, value)


@pytest.fixture
def oidc_provider(live_server, settings):
    """The provider for the live server, and Pulse's settings pointing at it."""
    running = start_provider(live_server.url)
    switch_on(settings, running.issuer)
    yield running
    stop_provider(running.process)
