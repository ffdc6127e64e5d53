"""Structured logs: a request id on every line of a request, JSON lines in production, and
error tracking switched on by SENTRY_DSN."""

import gzip
import http.server
import importlib
import io
import json
import logging
import logging.config
import sys
import threading

import pytest

pytestmark = pytest.mark.django_db


def production_settings(monkeypatch, **env):
    """The production settings module as the environment makes it (imported afresh, with the
    base it reads; the modules the test run uses are put back afterwards)."""
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("ALLOWED_HOSTS", "pulse.example.com")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    saved = {name: sys.modules.pop(name, None) for name in SETTINGS_MODULES}
    try:
        return importlib.import_module("config.settings.production")
    finally:
        for name, module in saved.items():
            sys.modules.pop(name, None)
            if module is not None:
                sys.modules[name] = module


SETTINGS_MODULES = ("config.settings.production", "config.settings.base")


def test_each_response_carries_a_request_id_and_keeps_a_proxys(client, tpm):
    client.force_login(tpm)
    made = client.get("/programs/")["X-Request-ID"]
    assert len(made) == 32
    assert client.get("/programs/", HTTP_X_REQUEST_ID="edge-42")["X-Request-ID"] == "edge-42"
    # Anything odd from outside is replaced, not written into every log line.
    odd = client.get("/programs/", HTTP_X_REQUEST_ID="a b\nc")["X-Request-ID"]
    assert odd != "a b\nc" and len(odd) == 32


def test_production_logs_are_json_lines_with_the_request_id(monkeypatch, client, tpm):
    production = production_settings(monkeypatch)
    stream = io.StringIO()
    config = {**production.LOGGING, "root": {"handlers": ["console"], "level": "INFO"}}
    config["handlers"] = {
        "console": {**config["handlers"]["console"], "stream": stream}
    }  # the same handler, writing where the test can read it
    logging.config.dictConfig(config)
    try:
        client.force_login(tpm)
        client.get("/programs/", HTTP_X_REQUEST_ID="req-7")
        logging.getLogger("pulse.test").info("outside any request")
    finally:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    outside = next(line for line in lines if line["message"] == "outside any request")
    assert (outside["level"], outside["logger"], outside["request_id"]) == (
        "INFO", "pulse.test", "-",
    )  # fmt: skip
    assert "time" in outside


def test_a_log_line_inside_a_request_carries_its_id(client, tpm, caplog):
    from core.logging import RequestIdFilter

    handler_filter = RequestIdFilter()
    caplog.handler.addFilter(handler_filter)
    client.force_login(tpm)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/programs/no-such-program/", HTTP_X_REQUEST_ID="req-404")
    assert any(getattr(r, "request_id", None) == "req-404" for r in caplog.records)


class Receiver(http.server.BaseHTTPRequestHandler):
    """A local stand-in for the error tracker's ingest endpoint: it keeps what it is sent."""

    received: list[tuple[str, bytes]] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":  # sentry-sdk compresses with brotli when it is installed
            import brotli

            body = brotli.decompress(body)
        Receiver.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_error_tracking_is_off_without_a_dsn_and_reports_errors_with_one(monkeypatch):
    import sentry_sdk

    production_settings(monkeypatch)
    assert not sentry_sdk.get_client().is_active()
    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dsn = f"http://public@127.0.0.1:{server.server_port}/1"
    try:
        production_settings(monkeypatch, SENTRY_DSN=dsn)
        client = sentry_sdk.get_client()
        assert client.is_active() and not client.options.get("send_default_pii")
        try:
            raise RuntimeError("tracked failure")
        except RuntimeError as exc:
            sentry_sdk.capture_exception(exc)
        client.flush(timeout=5)
        sent = b"".join(body for path, body in Receiver.received if path == "/api/1/envelope/")
        assert b"tracked failure" in sent
    finally:
        sentry_sdk.get_client().close(timeout=2)
        monkeypatch.delenv("SENTRY_DSN")  # sentry-sdk would read it again from the environment
        sentry_sdk.init()  # off again (no DSN) for the rest of the run
        assert sentry_sdk.get_client().dsn is None  # nothing is sent anywhere
        server.shutdown()
