"""Logs hold no personal data and no bearer URL (kycreview/logredact.py, gunicorn.conf.py)."""

import logging
import logging.config

import requests
from django.conf import settings
from django.utils.log import configure_logging

from kycreview.logredact import LogRedactFilter
from kycreview.tests.servers import gunicorn_server

EMAIL = "anna.secret@example.com"
SIGNATURE = "eyJmIjo0MiwicyI6ImFiY2RlZiJ9:1kSecretSig:AbCdEfGhIjKlMnOp"
API_TOKEN = "eyJmIjo0MiwicyI6IjEyMzQifQ:1kApiTok:QrStUvWxYz0123456789"
SEARCH = "Nowakowska"


def test_the_gunicorn_access_log_holds_no_email_signature_token_or_search_term(tmp_path):
    with gunicorn_server(tmp_path) as server:
        session = requests.Session()
        session.get(f"{server.url}/v3/submission", params={"email": EMAIL, "userid": "u-778899", "count": 5},
                    headers={"x-api-key": "kyc_wrong_key"}, timeout=30)
        session.get(f"{server.url}/v3/submission/image/{API_TOKEN}", timeout=30)
        session.get(f"{server.url}/admin/submissions/submission/7/file/42/", params={"sig": SIGNATURE},
                    headers={"Referer": f"{server.url}/admin/review/queue/?q={SEARCH}"}, timeout=30)
        session.get(f"{server.url}/admin/review/queue/", params={"q": SEARCH, "status": "pending"}, timeout=30)
    access = [line for line in server.log_text().splitlines() if '"GET /' in line]

    # then: every request has its line, with the paths and harmless keys, without the secrets
    assert len([line for line in access if "/health" not in line]) == 4, server.log_text()
    assert any("/v3/submission?email=[redacted]&userid=[redacted]&count=5" in line for line in access), access
    assert any("/v3/submission/image/[redacted]" in line for line in access), access
    assert any("/admin/review/queue/?q=[redacted]&status=pending" in line for line in access), access
    log = server.log_text()
    for secret in (EMAIL, "u-778899", SIGNATURE, "1kSecretSig", API_TOKEN, "1kApiTok", SEARCH):
        assert secret not in log, secret


def test_an_access_log_format_naming_credential_headers_still_logs_none(tmp_path):
    key = "kyc_abcdef_SecretKeyMaterial123"
    with gunicorn_server(tmp_path, "--access-logformat", 'ACCESS "%(r)s" key=%({x-api-key}i)s ref=%(f)s') as server:
        requests.get(f"{server.url}/v3/submission", params={"email": EMAIL}, timeout=30,
                     headers={"x-api-key": key, "Referer": f"https://shop.example.com/kyc?email={EMAIL}"})
    line = next(line for line in server.log_text().splitlines() if line.startswith('ACCESS "GET /v3/'))
    assert line == ('ACCESS "GET /v3/submission?email=[redacted] HTTP/1.1" key=[redacted] '
                    "ref=https://shop.example.com/kyc?email=[redacted]")


def test_djangos_own_log_lines_are_redacted_on_the_way_out(tmp_path):
    # given: the project's LOGGING, writing to a file instead of the console
    path = tmp_path / "django.log"
    config = {**settings.LOGGING, "handlers": {"console": {**settings.LOGGING["handlers"]["console"],
                                                           "class": "logging.FileHandler", "filename": str(path)}}}
    logging.config.dictConfig(config)
    try:
        # when: the lines Django writes for runserver requests and refused requests
        logging.getLogger("django.server").info('"%s" %s %s', f"GET /v3/submission?email={EMAIL} HTTP/1.1", "400", "88")
        logging.getLogger("django.request").warning("Not Found: %s", f"/v3/submission/image/{API_TOKEN}")
        logging.getLogger("axes.watch_login").warning(f"AXES: Locked out {{username: '{EMAIL}'}}")
    finally:
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)  # as Django set it up
    text = path.read_text()

    # then
    assert '"GET /v3/submission?email=[redacted] HTTP/1.1" 400 88' in text
    assert "Not Found: /v3/submission/image/[redacted]" in text
    assert EMAIL not in text and API_TOKEN not in text


def test_the_filter_keeps_a_line_without_secrets_as_it_was():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "GET %s %s", ("/health", 200), None)
    LogRedactFilter().filter(record)
    assert record.getMessage() == "GET /health 200"
