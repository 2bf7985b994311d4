"""A webhook receiver built from docs/webhooks.md alone: a real HTTP server on 127.0.0.1, in a thread.

Its signature check is the `verify_webhook` of the docs, executed from the Markdown itself, so the
documented example is what these tests prove.
"""

import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from submissions.tests.factories import ProjectFactory

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def docs_python_block(containing: str) -> str:
    """The ```python block of docs/webhooks.md that contains `containing`."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.S)
    matches = [block for block in blocks if containing in block]
    assert len(matches) == 1, f"docs/webhooks.md should hold one python block with {containing!r}"
    return matches[0]


def docs_verify_webhook():
    namespace: dict = {}
    exec(compile(docs_python_block("def verify_webhook"), str(DOCS), "exec"), namespace)
    return namespace["verify_webhook"]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """What the receiver saw and did. `statuses` are answered in order (without looking), then it verifies."""

    url: str = ""
    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)  # event ids, each once
    duplicates: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why verification failed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, body: bytes, headers: dict[str, str]):
        """Send a request of our own (a forgery, a replay) to the receiver."""
        return requests.post(self.url, data=body, headers=headers, timeout=5)


def receiver_handler(receiver: Receiver, verify_webhook):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with receiver.lock:
                scripted = receiver.statuses.pop(0) if receiver.statuses else None
                if scripted is not None:
                    status = scripted
                else:
                    try:
                        event = verify_webhook(self.headers, body, receiver.secret)
                    except ValueError as exc:
                        receiver.refused.append(str(exc))
                        status = 400
                    else:
                        # The docs: dedupe on the verified body's event id, acknowledge duplicates too.
                        seen = receiver.duplicates if event["event_id"] in receiver.accepted else receiver.accepted
                        seen.append(event["event_id"])
                        status = 200
                receiver.requests.append(Received(dict(self.headers.items()), body, status))
            answer = json.dumps({"status": status}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver(settings):
    """The receiver, and the settings an on-premises deployment needs to reach it: an internal
    address (the allow-list) over plain http. The defaults refuse both."""
    settings.KYC_WEBHOOK_ALLOW_HTTP = True
    settings.KYC_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver_handler(state, docs_verify_webhook()))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/kyc"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def hooked_project(db, receiver):
    """A project whose webhook URL is the receiver, which knows its secret."""
    project = ProjectFactory(webhook_url=receiver.url)
    receiver.secret = project.webhook_secret
    return project


@dataclass
class FakeDns:
    """Answers for chosen names, set by the test; every other name goes to the real resolver.

    It replaces `socket.getaddrinfo` itself, so the code under test (and urllib3 under it, as it
    was before destinations were checked) resolves through it.
    """

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    def answer(self, name: str, *addresses: str, then: list[str] | None = None) -> None:
        """`name` resolves to `addresses`; with `then`, only the first lookup does, later ones to `then`."""
        self.answers[name] = [list(addresses)] + ([then] if then is not None else [])

    def getaddrinfo_for(self, real):
        def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
            name = host.decode() if isinstance(host, bytes) else host
            rounds = self.answers.get((name or "").lower())
            if rounds is None:
                return real(host, port, family, type, proto, flags)
            self.lookups.append(name)
            addresses = rounds.pop(0) if len(rounds) > 1 else rounds[0]
            number = int(port or 0)
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, number, 0, 0)) if ":" in address
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, number))
                for address in addresses
            ]

        return getaddrinfo


@pytest.fixture
def fake_dns(monkeypatch):
    dns = FakeDns()
    monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo_for(socket.getaddrinfo))
    return dns
