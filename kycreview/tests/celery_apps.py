"""Test helper for tests that point this process's Celery app at another broker and back."""

from kombu import pools

from kycreview.celery import app


def celery_app_caches_reset() -> None:
    """Drop this process's broker connections, producers and routing built from the previous configuration.

    kombu keeps producer pools in a process-wide registry keyed by connection: closing the app's own
    connection pool alone leaves a producer pool on it there, and Celery acquires a producer even for
    an eager task, so a later test would fail with "Acquire on closed pool".
    """
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    pools.reset()
    app.__dict__.pop("amqp", None)
