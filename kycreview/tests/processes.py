"""Helpers for tests that run real processes beside the test process: ports, waits, a private Redis,
the database URL a subprocess shares, and resetting this process's Celery app after repointing it."""

import socket
import subprocess
import time

import redis
from django.db import connection
from kombu import pools

from kycreview.celery import app

WAIT_SECONDS = 60


def free_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, what: str, seconds: float = WAIT_SECONDS):
    """`predicate()`'s first true value, polled every 0.1 s; AssertionError naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds}s")


def worker_database_url() -> str:
    """The test database as a URL for another process (PostgreSQL: it sees what this process commits)."""
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class RedisServer:
    """A throw-away redis-server: no persistence, stopped and started again on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, "redis-server answering")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def ping(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except (redis.RedisError, OSError):
            return False


def celery_app_caches_reset(*, forget_pools: bool = False) -> None:
    """Drop this process's broker connections and routing built from the previous configuration.

    `forget_pools`, when a test gives the app its own configuration back: kombu's process-wide
    registry still holds a producer pool on the connection pool closed when the test began, and
    Celery acquires a producer even for an eager task, so a later test would fail with "Acquire on
    closed pool". Emptying it while a test's own broker is in use stops that test's worker from
    receiving what this process sends, so it is done only on the way back.
    """
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    if forget_pools:
        for group in pools._groups:
            group.clear()
    app.__dict__.pop("amqp", None)
