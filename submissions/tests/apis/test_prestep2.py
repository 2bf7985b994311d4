"""POST /v3/submission/validationaccount (PreStep2): the 1-won deposit and its 400 answers."""

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conftest import assert_error
from submissions.choices import SubmissionStatus
from submissions.models import BankVerification, SandboxBankTransfer, Submission
from submissions.tests.apis.helpers import API_DB, PRESTEP2, changes_nothing, post_raw, step1_ok, submission_row
from submissions.tests.factories import SubmissionFactory

INVALID_SUBMISSION_ID = "Invalid submission ID error. Please check the submission ID."

pytestmark = API_DB


def prestep2_body(submission_id, **overrides):
    body = {"submissionId": submission_id, "requestType": "occupancy", "userName": "Kim Minsu",
            "bankCode": "004", "accountNumber": "1234567890"}
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not None}


@pytest.fixture
def bank_client(api):
    return api(account_occupancy_kor=True)


def test_success_deposits_one_won_with_a_three_digit_code(bank_client):
    submission_id = step1_ok(bank_client, country="KOR", id_type="government_id")
    response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id))
    assert response.status_code == 200, response.text
    assert response.json() == {"submissionId": submission_id, "kycStatus": "incomplete", "retryCount": 0,
                               "idType": "government_id", "issuingCountry": "KOR"}
    transfer = SandboxBankTransfer.objects.get()
    assert (transfer.bank_code, transfer.account_number, transfer.amount_won) == ("004", "1234567890", 1)
    assert re.fullmatch(r"KYC\d{3}", transfer.depositor_text)
    verification = BankVerification.objects.get(submission__submission_id=submission_id)
    assert verification.account_number_masked == "******7890"
    assert transfer.depositor_text[3:] not in (verification.code_hash, verification.provider_reference)
    assert submission_row(submission_id).prestep2_completed_at is not None


def test_numbers_sent_as_json_numbers_are_accepted(bank_client):
    submission_id = step1_ok(bank_client)
    response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id, bankCode=404, accountNumber=1234567890))
    assert response.status_code == 200, response.text


def test_repeating_prestep2_replaces_the_code(bank_client):
    submission_id = step1_ok(bank_client)
    assert bank_client.post_json(PRESTEP2, prestep2_body(submission_id)).status_code == 200
    response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id, accountNumber="5555666677"))
    assert response.status_code == 200, response.text
    assert SandboxBankTransfer.objects.count() == 2
    assert BankVerification.objects.get().account_number_masked == "******6677"


@pytest.mark.parametrize("key", [None, "kyc_deadbeef_wrong"], ids=["missing", "wrong"])
def test_missing_or_wrong_key_is_unauthorized(bank_client, key):
    submission_id = step1_ok(bank_client)
    with changes_nothing():
        response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id), key=key)
    assert_error(response, "unauthorized", "Invalid API key. Please check.")


def test_project_id_of_another_project_is_invalid_request(bank_client, api):
    submission_id = step1_ok(bank_client)
    other = api()
    with changes_nothing():
        response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id, projectId=other.project.project_id))
    assert_error(response, "invalid_request", "Failed to find the project. Please check the project ID.")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"submissionId": ', "application/json"),
        ("submissionId=x&requestType=occupancy", "application/x-www-form-urlencoded"),
        ('["occupancy"]', "application/json"),
        ("null", "application/json"),
    ],
    ids=["broken-json", "form-encoded", "json-array", "json-null"],
)
def test_body_that_is_not_a_json_object_is_invalid_payload(bank_client, body, content_type):
    step1_ok(bank_client)
    with changes_nothing():
        response = post_raw(bank_client, PRESTEP2, body, content_type)
    assert_error(response, "invalid_payload", "Failed to parse the input data.")


@pytest.mark.parametrize("missing", ["submissionId", "requestType", "userName", "bankCode", "accountNumber"])
def test_each_missing_parameter_is_missing_parameters(bank_client, missing):
    submission_id = step1_ok(bank_client)
    with changes_nothing():
        response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id, **{missing: None}))
    assert_error(response, "missing_parameters", "Missing required parameters.")


def test_blank_parameter_is_missing_parameters(bank_client):
    submission_id = step1_ok(bank_client)
    with changes_nothing():
        response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id, userName="   "))
    assert_error(response, "missing_parameters", "Missing required parameters.")


@pytest.mark.parametrize(
    ("overrides", "parameters"),
    [
        ({"bankCode": "12"}, "bankCode"),
        ({"bankCode": "0041"}, "bankCode"),
        ({"accountNumber": "12ab"}, "accountNumber"),
        ({"accountNumber": "12345"}, "accountNumber"),
        ({"requestType": "other"}, "requestType"),
        ({"requestType": "other", "bankCode": "x", "accountNumber": "1-2"}, "requestType, bankCode, accountNumber"),
        ({"userName": "K" * 101}, "userName"),
    ],
    ids=["bank-2-digits", "bank-4-digits", "account-letters", "account-too-short", "request-type", "three-bad",
         "user-name-too-long"],
)
def test_bad_format_is_invalid_input_format(bank_client, overrides, parameters):
    submission_id = step1_ok(bank_client)
    with changes_nothing():
        response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id, **overrides))
    assert_error(response, "invalid_input_format", f"Invalid input type: {parameters}")


@pytest.mark.parametrize("submission_id", ["nope", uuid.uuid4().hex, None], ids=["malformed", "no-dashes", "unknown"])
def test_bad_or_unknown_submission_id_is_invalid_submission_id(bank_client, submission_id):
    step1_ok(bank_client)
    with changes_nothing():
        response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id or str(uuid.uuid4())))
    assert_error(response, "invalid_submission_id", INVALID_SUBMISSION_ID)


def test_another_projects_submission_is_invalid_submission_id(bank_client, api):
    other = api(account_occupancy_kor=True)
    foreign_id = step1_ok(other)
    with changes_nothing():
        response = bank_client.post_json(PRESTEP2, prestep2_body(foreign_id))
    assert_error(response, "invalid_submission_id", INVALID_SUBMISSION_ID)


def test_project_without_the_option_is_invalid_bank_authentication(api):
    client = api(account_occupancy_kor=False)
    submission_id = step1_ok(client)
    with changes_nothing():
        response = client.post_json(PRESTEP2, prestep2_body(submission_id))
    assert_error(response, "invalid_bank_authentication", "Failed to read bank authentication's data.")


def test_submission_whose_step1_is_not_complete_is_invalid_submission_id(bank_client):
    submission = SubmissionFactory(project=bank_client.project, step1_done=False)
    with changes_nothing():
        response = bank_client.post_json(PRESTEP2, prestep2_body(submission.submission_id))
    assert_error(response, "invalid_submission_id", INVALID_SUBMISSION_ID)


@pytest.mark.parametrize("status", [SubmissionStatus.PENDING, SubmissionStatus.APPROVED, SubmissionStatus.REJECTED])
def test_decided_submission_is_processed_submission(bank_client, status):
    submission = SubmissionFactory(project=bank_client.project, target_status=status)
    with changes_nothing():
        response = bank_client.post_json(PRESTEP2, prestep2_body(submission.submission_id))
    assert_error(response, "processed_submission", "This submission is already processed.")


def test_erased_submission_is_no_submission(bank_client):
    submission_id = step1_ok(bank_client)
    Submission.objects.filter(submission_id=submission_id).update(erased_at=timezone.now())
    with changes_nothing():
        response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id))
    assert_error(response, "no_submission", "Fail to find the submission data. Please contact CS center.")


def test_submission_past_its_validity_is_exceeded_72hour_limit(bank_client):
    submission_id = step1_ok(bank_client)
    with time_machine.travel(timezone.now() + timedelta(hours=72, minutes=1)), changes_nothing():
        response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id))
    assert_error(response, "exceeded_72hour_limit",
                 "The submission is invalid because it has been more than 72 hours since step1.")


def test_submission_within_its_validity_is_accepted(bank_client):
    submission_id = step1_ok(bank_client)
    with time_machine.travel(timezone.now() + timedelta(hours=71)):
        response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id))
    assert response.status_code == 200, response.text


def test_bank_outage_is_unexpected_error_and_keeps_nothing(bank_client):
    submission_id = step1_ok(bank_client)
    with changes_nothing():
        response = bank_client.post_json(PRESTEP2, prestep2_body(submission_id, accountNumber="9991234567"))
    assert_error(response, "unexpected_error", "Failed to submit KYC.")
