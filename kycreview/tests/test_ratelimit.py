"""API abuse limits: per key, per address, wrong keys per address, request size (kycreview/ratelimit.py)."""

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from submissions.codes import API_LIMIT_DESCRIPTIONS, ApiLimitCode
from submissions.services import api_key_create
from submissions.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db
UNAUTHORIZED = {"statusCode": 400, "errorCode": "unauthorized", "message": "Invalid API key. Please check."}


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def key_client(address="10.0.0.1") -> tuple[Client, str]:
    _, raw_key = api_key_create(project=ProjectFactory())
    return Client(headers={"x-api-key": raw_key}, REMOTE_ADDR=address), raw_key


def get_list(client, **headers):
    return client.get("/v3/submission", {"count": 1}, headers=headers or None)


def test_every_limit_code_is_described():
    assert set(API_LIMIT_DESCRIPTIONS) == set(ApiLimitCode.values)


@override_settings(KYC_RATE_LIMIT_PER_KEY="3/60")
def test_a_key_beyond_its_limit_gets_429_with_retry_after_and_another_key_does_not():
    client, _ = key_client()
    assert [get_list(client).status_code for _ in range(3)] == [200, 200, 200]
    refused = get_list(client)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["errorCode"] == "too_many_requests" and body["statusCode"] == 429
    assert body["message"] == f"Too many requests. Please retry after {refused['Retry-After']} seconds."
    other, _ = key_client()
    assert get_list(other).status_code == 200


@override_settings(KYC_RATE_LIMIT_PER_IP="4/60")
def test_an_address_beyond_its_limit_gets_429_whatever_the_key():
    first, _ = key_client("10.0.0.9")
    second, _ = key_client("10.0.0.9")
    statuses = [get_list(first).status_code, get_list(second).status_code, get_list(first).status_code,
                get_list(second).status_code, get_list(first).status_code]
    assert statuses == [200, 200, 200, 200, 429]
    elsewhere, _ = key_client("10.0.0.10")
    assert get_list(elsewhere).status_code == 200


@override_settings(KYC_RATE_LIMIT_WRONG_KEYS_PER_IP="5/60")
def test_brute_forcing_keys_is_throttled_while_each_wrong_key_below_the_limit_is_unauthorized():
    client, raw_key = key_client("10.0.0.7")
    prefix = raw_key.split("_")[1]
    answers = [client.get("/v3/submission", headers={"x-api-key": f"kyc_{prefix}_guess{i}"}) for i in range(5)]
    assert [a.json() for a in answers] == [UNAUTHORIZED] * 5
    throttled = client.get("/v3/submission", headers={"x-api-key": f"kyc_{prefix}_guess6"})
    assert throttled.status_code == 429 and throttled.json()["errorCode"] == "too_many_requests"
    # even the right key waits out the window from that address; other addresses are unaffected
    assert get_list(client).status_code == 429
    assert get_list(Client(headers={"x-api-key": raw_key}, REMOTE_ADDR="10.0.0.8")).status_code == 200


@override_settings(KYC_RATE_LIMIT_WRONG_KEYS_PER_IP="2/60")
def test_the_victims_key_is_not_spent_by_someone_guessing_with_its_prefix():
    victim, raw_key = key_client("10.0.0.2")
    prefix = raw_key.split("_")[1]
    attacker = Client(REMOTE_ADDR="10.6.6.6")
    for i in range(10):
        attacker.get("/v3/submission", headers={"x-api-key": f"kyc_{prefix}_x{i}"})
    assert get_list(victim).status_code == 200


@override_settings(KYC_MAX_REQUEST_BYTES=1024 * 1024)
def test_a_request_over_the_size_limit_is_refused_before_its_body_is_read():
    client, _ = key_client()

    class Unreadable:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    response = client.generic("POST", "/v3/submission/step1", data=b"", content_type="multipart/form-data; boundary=x",
                              CONTENT_LENGTH=str(5 * 1024 * 1024), **{"wsgi.input": Unreadable()})
    assert response.status_code == 413
    assert response.json() == {"statusCode": 413, "errorCode": "request_too_large",
                               "message": "The request is larger than 1 MB."}


def test_the_admin_and_other_paths_are_not_counted():
    with override_settings(KYC_RATE_LIMIT_PER_IP="1/60"):
        client = Client(REMOTE_ADDR="10.0.0.3")
        assert client.get("/health").status_code == 200 and client.get("/health").status_code == 200
