"""Redis unreachable (a port nothing listens on): the API keeps working, the outbox keeps the events, /health says so.

Cache and broker both point at the closed port; the live server is a real HTTP server thread.
"""

import logging

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from conftest import require_system
from kycreview import ratelimit
from kycreview.celery import app
from kycreview.tests.processes import celery_app_caches_reset, free_port
from submissions.models import Submission
from submissions.services import api_key_create
from submissions.tests.apis.helpers import step1_ok
from submissions.tests.factories import ProjectFactory
from submissions.tests.tasks.test_sweep_worker import redis_is_reachable
from webhooks.choices import WebhookEventState, WebhookTrigger
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)
CONF_KEYS = ("task_always_eager", "broker_url", "broker_transport_options")


def redis_settings(url: str):
    cache_options = {"socket_connect_timeout": 1, "socket_timeout": 1}
    return override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                 "LOCATION": url, "OPTIONS": cache_options}})


@pytest.fixture
def redis_at():
    """redis_at(url): the cache and the Celery broker on `url` for the test; restored afterwards."""
    saved = {key: app.conf[key] for key in CONF_KEYS}
    overrides = []

    def point(url: str) -> str:
        override = redis_settings(url)
        override.enable()
        overrides.append(override)
        app.conf.update(task_always_eager=False, broker_url=url, broker_transport_options={})
        celery_app_caches_reset()
        ratelimit._shared_cache_state.update(down_until=0.0, warned_at=float("-inf"))
        ratelimit.local_counters.clear()
        return url

    yield point
    for override in reversed(overrides):
        override.disable()
    app.conf.update(saved)
    celery_app_caches_reset(forget_pools=True)


@pytest.fixture
def redis_down(redis_at):
    return redis_at(f"redis://127.0.0.1:{free_port()}/4")


def test_step2_is_saved_and_its_event_waits_in_the_outbox(api, redis_down, caplog):
    # given: a project with a webhook; Redis (cache and broker) is unreachable
    client = api(webhook_url="https://hooks.example.com/kyc")
    submission_id = step1_ok(client)

    # when
    with caplog.at_level(logging.WARNING):
        response = client.step2(submission_id)

    # then: Step 2 is saved and its webhook event waits for the outbox drain
    assert response.status_code == 200, response.text
    assert response.json()["kycStatus"] == "pending"
    submission = Submission.objects.get(submission_id=submission_id)
    assert submission.status == "pending"
    event = WebhookEvent.objects.get(submission=submission, trigger=WebhookTrigger.SUBMIT)
    assert event.state == WebhookEventState.PENDING and event.attempts == 0
    assert "the shared cache is unreachable" in caplog.text


@override_settings(KYC_RATE_LIMIT_WRONG_KEYS_PER_IP="3/60")
def test_the_limits_count_in_the_process_while_redis_is_down(redis_down, caplog):
    _, raw_key = api_key_create(project=ProjectFactory())
    prefix = raw_key.split("_")[1]
    client = Client(REMOTE_ADDR="203.0.113.5")
    with caplog.at_level(logging.WARNING, logger="kycreview.ratelimit"):
        statuses = [client.get("/v3/submission", headers={"x-api-key": f"kyc_{prefix}_guess{i}"}).status_code
                    for i in range(6)]
    assert statuses == [400, 400, 400, 429, 429, 429]
    # one warning for the outage, not one per request
    assert len([r for r in caplog.records if r.name == "kycreview.ratelimit"]) == 1


def test_health_answers_503_naming_the_cache_and_the_broker(redis_down):
    response = Client().get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable",
                               "checks": {"database": "ok", "cache": "down", "broker": "down"}}


def test_health_is_ok_when_every_dependency_answers(redis_at):
    assert Client().get("/health").json() == {"status": "ok", "checks": {"database": "ok"}}
    url = "redis://127.0.0.1:6379/4"
    require_system(redis_is_reachable(url), "Redis (127.0.0.1:6379)")
    redis_at(url)
    response = Client().get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}
    cache.delete("kyc:health")
