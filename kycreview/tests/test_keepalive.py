"""Keep-alive survives answers given before the body was read (kycreview/keepalive.py), on a real gunicorn."""

import http.client

import pytest
from django.db import connection

from conftest import require_system
from kycreview.tests.processes import worker_database_url
from kycreview.tests.servers import gunicorn_server

MAX_REQUEST = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Two requests a minute per address: the third is refused (429) before its body is read.
    with gunicorn_server(tmp_path_factory.mktemp("keepalive"), KYC_MAX_REQUEST_BYTES=str(MAX_REQUEST),
                         KYC_TEST_RATE_LIMIT_PER_IP="2/60") as server:
        yield server


def multipart(size: int) -> tuple[bytes, dict]:
    boundary = "kycboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"idImage\"; filename=\"id.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + b"\xff" * size + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}", "x-api-key": "kyc_wrong_key"}


def test_after_a_429_with_an_unread_body_the_connection_serves_the_next_request(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    body, headers = multipart(300 * 1024)  # more than gunicorn drains by itself (64 KB)
    answers = []
    for _ in range(3):
        connection.request("POST", "/v3/submission/step1", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        answers.append((response.status, response.getheader("Connection")))
    assert answers[2] == (429, "keep-alive"), answers

    # when: the next request on the same connection
    connection.request("GET", "/health")
    after = connection.getresponse()
    after.read()

    # then: answered (503: the test server has no database), not a dropped connection
    assert after.status == 503
    connection.close()


def test_an_answer_that_leaves_a_large_body_unread_says_connection_close(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    body, headers = multipart(2 * MAX_REQUEST)
    # The declared length, and only the first part of the body: the server answers from the headers.
    connection.putrequest("POST", "/v3/submission/step1")
    for name, value in {**headers, "Content-Length": str(len(body))}.items():
        connection.putheader(name, value)
    connection.endheaders(body[:64 * 1024])
    response = connection.getresponse()
    response.read()
    assert response.status == 413
    assert response.getheader("Connection") == "close"
    connection.close()


@pytest.mark.postgres
def test_after_an_unauthorized_answer_with_an_unread_upload_the_connection_serves_the_next_request(
    transactional_db, tmp_path
):
    # A server on the test database (PostgreSQL, shared with its process): a wrong key is looked up
    # and refused before the upload is parsed.
    require_system(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL) shared with a gunicorn process")
    with gunicorn_server(tmp_path, DATABASE_URL=worker_database_url()) as server:
        connection_ = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        body, headers = multipart(500 * 1024)
        connection_.request("POST", "/v3/submission/step1", body=body, headers=headers)
        refused = connection_.getresponse()
        refused_body = refused.read()
        connection_.request("GET", "/health")
        after = connection_.getresponse()
        after.read()
        connection_.close()
    assert refused.status == 400 and b'"unauthorized"' in refused_body
    assert refused.getheader("Connection") == "keep-alive"
    assert after.status == 200
