"""A webhook consumer the tests start on 127.0.0.1: it checks each request's signature the way
a real one would (with the ``verify_signature`` Pulse ships), and answers as it is told."""

import http.server
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from metrics.integrations.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool | None  # None: no secret to check with (a Slack channel)
    answered: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """``answers``: the status of each request in turn (then 200). With a ``secret``, a request
    whose signature does not verify (or whose timestamp is stale) gets 401, as it should."""

    secret: str | None = None
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                verified = None
                if receiver.secret is not None:
                    verified = verify_signature(
                        secret=receiver.secret,
                        body=body,
                        timestamp=self.headers.get(TIMESTAMP_HEADER),
                        signature_header=self.headers.get(SIGNATURE_HEADER),
                    )
                with receiver.lock:
                    if verified is False:
                        status, text = 401, b"bad signature"
                    else:
                        status = receiver.answers.pop(0) if receiver.answers else 200
                        text = b"ok" if status < 300 else b"receiver trouble"
                    receiver.received.append(
                        Received(self.path, dict(self.headers), body, verified, status)
                    )
                self.send_response(status)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hooks/pulse") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
