"""Who the client is behind proxies: one resolver for rate limits, login lockout and the stored IP."""

import subprocess
import sys

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from conftest import image_bytes
from kycreview.client_ip import client_ip
from kycreview.tests.test_deploy_check import BASE_DIR, production_env
from submissions.models import Submission
from submissions.services import api_key_create
from submissions.tests.admin.helpers import staff_member
from submissions.tests.factories import ProjectFactory

PROXY = "10.0.0.1"  # the one proxy in front of gunicorn: every request's REMOTE_ADDR
PASSWORD = "pw-for-tests-only"
behind_one_proxy = override_settings(KYC_CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR", KYC_TRUSTED_PROXY_COUNT=0)


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def resolved(forwarded: str | None, *, count: int, header: str = "", remote: str = PROXY) -> str | None:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    with override_settings(KYC_TRUSTED_PROXY_COUNT=count, KYC_CLIENT_IP_HEADER=header):
        return client_ip(RequestFactory().get("/", **meta))


@pytest.mark.parametrize(
    ("forwarded", "count", "expected"),
    [
        (None, 0, PROXY),  # no proxy: the peer
        ("203.0.113.9", 0, PROXY),  # no proxy trusted: the header is the client's own claim
        ("203.0.113.9", 1, "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),  # the left-most entry is invented
        ("6.6.6.6,203.0.113.9, 10.0.0.2", 2, "203.0.113.9"),  # two proxies: second from the right
        ("203.0.113.9", 2, PROXY),  # fewer entries than proxies: not through all of them
        ("6.6.6.6, not-an-ip", 1, PROXY),  # an entry no proxy wrote
        ("6.6.6.6, 203.0.113.9:5123", 1, "203.0.113.9"),
        ("6.6.6.6, [2001:db8::1]:443", 1, "2001:db8::1"),
        ("6.6.6.6, 2001:DB8::1", 1, "2001:db8::1"),
        (None, 1, PROXY),
    ],
)
def test_the_client_is_the_entry_the_outermost_trusted_proxy_wrote(forwarded, count, expected):
    assert resolved(forwarded, count=count) == expected


def test_the_header_alone_as_older_configurations_set_it_means_one_proxy():
    assert resolved("6.6.6.6, 203.0.113.9", count=0, header="HTTP_X_FORWARDED_FOR") == "203.0.113.9"


@pytest.mark.django_db
@behind_one_proxy
@override_settings(KYC_RATE_LIMIT_WRONG_KEYS_PER_IP="20/60")
def test_invented_left_most_entries_do_not_escape_the_wrong_key_limit():
    # given: one real client behind the proxy, writing a new left-most entry on every request
    _, raw_key = api_key_create(project=ProjectFactory())
    prefix = raw_key.split("_")[1]
    client = Client(REMOTE_ADDR=PROXY)

    # when: it tries 100 wrong keys
    statuses = [
        client.get("/v3/submission", headers={"x-api-key": f"kyc_{prefix}_guess{i}",
                                              "x-forwarded-for": f"198.18.{i}.{i}, 203.0.113.7"}).status_code
        for i in range(100)
    ]

    # then: the 21st and later are throttled; another client behind the same proxy is not
    assert statuses[:20] == [400] * 20
    assert set(statuses[20:]) == {429}
    other = client.get("/v3/submission", {"count": 1},
                       headers={"x-api-key": raw_key, "x-forwarded-for": "203.0.113.8"})
    assert other.status_code == 200


@pytest.mark.django_db
@behind_one_proxy
def test_the_login_lockout_locks_the_attackers_address_not_the_victims(project):
    # given: the victim's account, and an attacker behind the same proxy guessing its password
    staff_member("rita", project, "reviewer")
    attacker = Client(REMOTE_ADDR=PROXY, headers={"x-forwarded-for": "198.51.100.66"})
    for _ in range(5):
        attacker.post(reverse("admin:login"), {"username": "rita", "password": "wrong-password-guess"})

    # when: the victim signs in from her own address, and the attacker tries the right password
    victim = Client(REMOTE_ADDR=PROXY, headers={"x-forwarded-for": "203.0.113.20"})
    signed_in = victim.post(reverse("admin:login"), {"username": "rita", "password": PASSWORD})
    locked = attacker.post(reverse("admin:login"), {"username": "rita", "password": PASSWORD})

    # then
    assert signed_in.status_code == 302 and "_auth_user_id" in victim.session
    assert locked.status_code == 429 and "_auth_user_id" not in attacker.session


@pytest.mark.django_db
@behind_one_proxy
def test_the_stored_applicant_ip_is_the_resolved_client():
    _, raw_key = api_key_create(project=ProjectFactory())
    client = Client(REMOTE_ADDR=PROXY, headers={"x-api-key": raw_key,
                                                "x-forwarded-for": "6.6.6.6, 203.0.113.7"})
    response = client.post("/v3/submission/step1", {
        "issuingCountry": "POL", "email": "anna@example.com", "idType": "passport",
        "idImage": SimpleUploadedFile("id.jpg", image_bytes(), "image/jpeg"),
    })
    assert response.status_code == 200, response.content
    submission = Submission.objects.get(submission_id=response.json()["submissionId"])
    assert submission.client_ip == "203.0.113.7"


def test_production_trusts_the_one_proxy_it_already_trusts_for_https(tmp_path):
    # production.py takes X-Forwarded-Proto from a TLS proxy; that proxy also writes X-Forwarded-For.
    code = "from kycreview.settings import production as p; print(p.KYC_TRUSTED_PROXY_COUNT, p.SECURE_PROXY_SSL_HEADER[0])"
    env = {key: value for key, value in production_env(tmp_path).items() if key != "KYC_TRUSTED_PROXY_COUNT"}
    out = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["1", "HTTP_X_FORWARDED_PROTO"]
