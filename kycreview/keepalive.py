"""Keep-alive that survives early answers: a request body the application did not read is drained or the connection closes.

The API answers some requests before reading their body: 413 from the declared length, 429 from
the counters, `unauthorized` from the key. On a keep-alive connection the unread bytes come
before the client's next request. gunicorn drains at most 64 KB of them and otherwise drops the
connection after it has answered `Connection: keep-alive`, so the client's next request on it
fails. This WSGI wrapper reads what is left of the body when it is small
(KYC_REQUEST_DRAIN_BYTES, within DRAIN_SECONDS) and otherwise tells the server to answer
`Connection: close`. The application cannot say that itself: WSGI forbids hop-by-hop headers and
gunicorn drops them.
"""

import socket
import time

from django.conf import settings

DRAIN_SECONDS = 5.0
_CHUNK = 64 * 1024


class CountingInput:
    """wsgi.input that counts what the application read and whether it reached the end."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.consumed = 0
        self.exhausted = False

    def _counted(self, data: bytes, size) -> bytes:
        self.consumed += len(data)
        if not data and size != 0:
            self.exhausted = True
        return data

    def read(self, size=-1, /):
        return self._counted(self.stream.read(size) if size is not None else self.stream.read(), size)

    def readline(self, size=-1, /):
        return self._counted(self.stream.readline(size), size)

    def readlines(self, hint=-1, /):
        return list(self)

    def __iter__(self):
        while line := self.readline():
            yield line


def _content_length(environ) -> int | None:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def request_body_drain(body: CountingInput, environ, *, length: int | None, limit: int) -> bool:
    """Read the rest of an unread body, up to `limit` bytes and DRAIN_SECONDS; True when it all was read."""
    if body.exhausted or (length is not None and body.consumed >= length):
        return True
    if length is not None and length - body.consumed > limit:
        return False  # not worth reading: the connection closes instead
    sock = environ.get("gunicorn.socket")
    prior = sock.gettimeout() if isinstance(sock, socket.socket) else None
    deadline = time.monotonic() + DRAIN_SECONDS
    drained = 0
    try:
        while drained <= limit:
            if isinstance(sock, socket.socket):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                sock.settimeout(remaining)
            data = body.read(_CHUNK)
            if not data:
                return True
            drained += len(data)
        return False
    except (OSError, ValueError):  # timed out, reset, or a malformed chunk
        return False
    finally:
        if isinstance(sock, socket.socket):
            try:
                sock.settimeout(prior)
            except OSError:
                pass


class RequestBodyDrainMiddleware:
    """WSGI middleware around the Django application (kycreview/wsgi.py)."""

    def __init__(self, application) -> None:
        self.application = application

    def __call__(self, environ, start_response):
        length = _content_length(environ)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and length == 0:
            return self.application(environ, start_response)
        body = CountingInput(environ["wsgi.input"])
        environ["wsgi.input"] = body
        result = self.application(environ, start_response)
        # The answer's headers are not sent yet: the server writes them with the first body chunk.
        limit = settings.KYC_REQUEST_DRAIN_BYTES
        if not request_body_drain(body, environ, length=None if chunked else length, limit=limit):
            server_response = getattr(start_response, "__self__", None)
            force_close = getattr(server_response, "force_close", None)
            if callable(force_close):  # gunicorn: answer `Connection: close` and close after it
                force_close()
        return result
