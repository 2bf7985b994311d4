"""The database unreachable: the API answers its JSON envelope, the workspace a plain 503, /health 503.

A real gunicorn (kycreview/tests/servers.py) whose database is a PostgreSQL port nothing listens on.
"""

import pytest
import requests

from kycreview.tests.servers import gunicorn_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gunicorn_server(tmp_path_factory.mktemp("nodb")) as server:
        yield server


def test_the_api_answers_its_fault_envelope(server):
    files = {"idImage": ("id.jpg", b"\xff\xd8\xff" + b"0" * 2048, "image/jpeg")}
    step1 = requests.post(f"{server.url}/v3/submission/step1", headers={"x-api-key": "kyc_a_b"}, files=files,
                          data={"issuingCountry": "POL", "email": "anna@example.com", "idType": "passport"},
                          timeout=30)
    step2 = requests.post(f"{server.url}/v3/submission/step2", headers={"x-api-key": "kyc_a_b"},
                          data={"submissionId": "x"}, timeout=30)
    listing = requests.get(f"{server.url}/v3/submission", headers={"x-api-key": "kyc_a_b"}, timeout=30)

    assert step1.status_code == 400 and step1.headers["Content-Type"] == "application/json"
    assert step1.json() == {"statusCode": 400, "errorCode": "data_processing_error",
                            "message": "Data processing error. Please retry."}
    assert step2.json() == {"statusCode": 400, "errorCode": "unexpected_error", "message": "Failed to submit KYC."}
    assert listing.json()["errorCode"] == "unexpected_error"


def test_health_answers_503_naming_the_database(server):
    response = requests.get(f"{server.url}/health", timeout=30)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "down"}}


def test_the_workspace_answers_a_plain_503(server):
    for path in ("/admin/", "/admin/login/", "/admin/review/queue/"):
        response = requests.get(f"{server.url}{path}", timeout=30, allow_redirects=False)
        assert response.status_code == 503, path
        assert response.headers["Content-Type"].startswith("text/plain") and "<html" not in response.text.lower()
        assert response.headers["Retry-After"] == "30"


def test_the_outage_is_logged_as_warnings_without_tracebacks(server):
    requests.get(f"{server.url}/v3/submission", headers={"x-api-key": "kyc_a_b"}, timeout=30)
    log = server.log_text()
    assert "WARNING kycreview.faults Database unavailable for GET /v3/submission" in log
    assert "Traceback" not in log
