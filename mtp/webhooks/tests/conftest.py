"""Webhook test fixtures: a real receiver on 127.0.0.1, an app with a webhook, its sequences,
and the signature check exactly as docs/WEBHOOKS.md gives it to developers."""

import json
import re
import ssl
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from mtp.developers.models import Application
from mtp.developers.webhook_secrets import webhook_secret
from mtp.sequences.models import Sequence, TransportType

DOCS = Path(settings.BASE_DIR).parent / "docs" / "WEBHOOKS.md"


def documented_verifier() -> Callable[..., bool]:
    """``verify_signature`` from the Python example in docs/WEBHOOKS.md, run as written."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    code = next(block for block in blocks if "def verify_signature" in block)
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 (our own documentation)
    return namespace["verify_signature"]


verify_signature = documented_verifier()


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    verified: bool | None  # the documented check's verdict, when the receiver has a secret

    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """A webhook receiver: records every request and answers as told (204 by default).

    Given the application's ``secret``, it checks each request's signature with the code
    from docs/WEBHOOKS.md, as a developer's receiver would, and answers 401 when it fails.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.secret: str | None = None
        self.requests: list[Received] = []
        self.replies: deque[tuple[int, bytes, dict[str, str]]] = deque()
        self.delay = 0.0
        self.arrived = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.receiver = self  # type: ignore[attr-defined]
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/hooks/mtp", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def reply(self, status: int, body: bytes = b"", *, times: int = 1, **headers: str) -> None:
        """Answer the next ``times`` requests with ``status`` (then 204 again)."""
        self.replies.extend([(status, body, headers)] * times)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:  # noqa: N802
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        verified = None
        if receiver.secret is not None:
            verified = verify_signature(receiver.secret, headers.get("mtp-signature", ""), body)
        receiver.requests.append(Received(self.path, headers, body, verified))
        receiver.arrived.set()
        if verified is False:
            status, reply, extra = 401, b"bad signature", {}
        elif receiver.replies:
            status, reply, extra = receiver.replies.popleft()
        else:
            status, reply, extra = 204, b"", {}
        if receiver.delay:
            threading.Event().wait(receiver.delay)
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    """Plain http to 127.0.0.1 (the receiver), quick retries, few attempts."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_BACKOFF = 0
    settings.WEBHOOK_TIMEOUT = 2
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_CA_FILE = ""
    settings.SITE_URL = "https://mtp.example.org"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def walk(db) -> TransportType:
    earth, _ = TransportType.objects.get_or_create(name="Earth", parent=None)
    return TransportType.objects.get_or_create(name="Walk", defaults={"parent": earth})[0]


@pytest.fixture
def hook_app(app, receiver) -> Application:
    """The uploader, with a webhook pointing at the receiver, which knows its secret."""
    Application.objects.filter(pk=app.pk).update(webhook_url=receiver.url())
    app.refresh_from_db()
    receiver.secret = webhook_secret(app)
    return app


@pytest.fixture
def secret(hook_app) -> str:
    return webhook_secret(hook_app)


@pytest.fixture
def app_draft(owner, walk, hook_app) -> Sequence:
    """Olivia's draft, created through the app that has the webhook."""
    return Sequence.objects.create(
        owner=owner, name="Morning walk", transport_type=walk, application=hook_app
    )
