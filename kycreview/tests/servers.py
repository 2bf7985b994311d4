"""A real gunicorn on a free loopback port, started as production starts it (./gunicorn.conf.py, kycreview.wsgi).

It runs the test settings in its own process. By default its database is a PostgreSQL port nothing
listens on: the tests that use it look at what the server does around the application (logs,
connections, answers while the database is down), not at saved data.
"""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kycreview.tests.processes import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
START_SECONDS = 60


def dead_database_url() -> str:
    return f"postgres://postgres@127.0.0.1:{free_port()}/kyc_unreachable"


@dataclass
class Server:
    port: int
    log: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/")
    except OSError:
        return False


@contextmanager
def gunicorn_server(tmp_path: Path, *arguments: str, **environment: str):
    """Yields a started Server; `arguments` go on gunicorn's command line, `environment` into its environment."""
    port = free_port()
    log = tmp_path / f"gunicorn-{port}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kycreview.settings.test",
        "DATABASE_URL": dead_database_url(),
        "KYC_TEST_MEDIA_ROOT": str(tmp_path / "media"),
        **environment,
    }
    if "REDIS_URL" not in environment:
        env.pop("REDIS_URL", None)  # the test settings' in-process cache and eager tasks, unless asked
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    # As the Procfile and the image start it: gunicorn reads ./gunicorn.conf.py from its working folder.
    command = [gunicorn, "kycreview.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
               "--keep-alive", "5", *arguments]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
    server = Server(port=port, log=log, process=process)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not start:\n{server.log_text()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
