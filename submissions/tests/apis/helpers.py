"""Helpers shared by the API tests: the "an error changes nothing" snapshot and request shortcuts."""

import functools
import io
import os
from contextlib import contextmanager

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from audit.models import AuditEvent
from submissions.models import BankVerification, CheckResult, SandboxBankTransfer, StoredFile, Submission

STEP1 = "/v3/submission/step1"
PRESTEP2 = "/v3/submission/validationaccount"
STEP2 = "/v3/submission/step2"


def media_files() -> set[str]:
    """Every file under the test storage's root (the test settings put it in a temp dir)."""
    root = default_storage.location
    return {
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
    }


def world_state() -> dict:
    """Everything an API error must leave as it was: submission rows, their files, checks, audit, bank."""
    return {
        "submissions": list(Submission.objects.order_by("pk").values()),
        "files": list(StoredFile.objects.order_by("pk").values_list("pk", "file", "superseded_at")),
        "check_results": CheckResult.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "bank_verifications": list(BankVerification.objects.order_by("pk").values()),
        "bank_transfers": SandboxBankTransfer.objects.count(),
        "media": media_files(),
    }


@contextmanager
def changes_nothing():
    """Assert the block (one failing request) left the database and the storage untouched."""
    before = world_state()
    yield
    after = world_state()
    assert after == before


def step1_ok(client, **kwargs) -> str:
    """Step 1 that must succeed; returns the submission id."""
    response = client.step1(**kwargs)
    assert response.status_code == 200, response.text
    assert "retry" not in response.json(), response.text
    return response.json()["submissionId"]


def step2_ok(client, submission_id: str, **kwargs) -> dict:
    response = client.step2(submission_id, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def post_raw(client, path: str, body: bytes | str, content_type: str):
    """A request whose body is sent as is (for bodies the API must refuse to parse)."""
    headers = {"x-api-key": client.key, "Content-Type": content_type}
    return client.session.post(client.base_url + path, data=body, headers=headers, timeout=60)


def submission_row(submission_id: str) -> Submission:
    return Submission.objects.get(submission_id=submission_id)


def prestep2_deposit(client, submission_id: str, *, user_name="Kim Minsu", account_number="1234567890") -> str:
    """PreStep2 that must succeed; returns the 3-digit code the sandbox bank wrote in the depositor text."""
    body = {"submissionId": submission_id, "requestType": "occupancy", "userName": user_name,
            "bankCode": "004", "accountNumber": account_number}
    response = client.post_json(PRESTEP2, body)
    assert response.status_code == 200, response.text
    transfer = SandboxBankTransfer.objects.filter(account_number=account_number).latest("pk")
    return transfer.depositor_text.removeprefix("KYC")


# The API tests need committed data (the live server reads it from its own connection).
# Restricting the flush between tests to the apps they write keeps PostgreSQL fast: without
# `available_apps`, every flush re-runs post_migrate for every app (content types, permissions).
API_DB = pytest.mark.django_db(transaction=True, available_apps=["audit", "vault", "submissions", "reviews", "webhooks"])


@functools.cache
def decompression_bomb_png() -> bytes:
    """A PNG of 20000x20000 pixels (400 megapixels): about 50 kB on disk."""
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, "PNG")
    return buffer.getvalue()
