"""POST /v3/submission/step2: every 400 answer, and that each one changes nothing."""

import os
import uuid
from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone

from conftest import assert_error, image_bytes
from submissions.choices import FileKind, Step, SubmissionStatus
from submissions.models import StoredFile, Submission
from submissions.tests.apis.helpers import API_DB, STEP2, changes_nothing, prestep2_deposit, step1_ok
from submissions.tests.factories import SubmissionFactory

INVALID_SUBMISSION_ID = "Invalid submission ID error. Please check the submission ID."
NO_SUBMISSION = "Fail to find the submission data. Please contact CS center."
EXCEEDED = "The submission is invalid because it has been more than 72 hours since step1."
MISSING_ADDRESS = "Missing address data information."
MISSING_BANK_FIELD = "The account holder's name and the 1 won authentication code are required fields."
INVALID_BANK_AUTH = "Failed to read bank authentication's data."

pytestmark = API_DB


@pytest.fixture
def client(api):
    return api()


@pytest.fixture
def submission_id(client):
    return step1_ok(client)


# -- key and project ------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "kyc_deadbeef_wrong"], ids=["missing", "wrong"])
def test_missing_or_wrong_key_is_unauthorized(client, submission_id, key):
    with changes_nothing():
        response = client.step2(submission_id, key=key)
    assert_error(response, "unauthorized", "Invalid API key. Please check.")


def test_project_id_of_another_project_is_invalid_request(client, submission_id, api):
    other = api()
    with changes_nothing():
        response = client.step2(submission_id, projectId=other.project.project_id)
    assert_error(response, "invalid_request", "Failed to find the project. Please check the project ID.")


def test_closed_project_is_invalid_project(client, submission_id):
    client.project.status = "closed"
    client.project.save()
    with changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "invalid_project", "This project is not available.")


# -- request parsing ------------------------------------------------------------------


def test_no_face_image_is_invalid_payload(client, submission_id):
    data = {"submissionId": submission_id, "name": "Anna Nowak", "date_of_birth": "1990-04-12"}
    with changes_nothing():
        urlencoded = client.post_form(STEP2, data)
        multipart = client.post_form(STEP2, data, {"addressImage": image_bytes()})
        json_body = client.post_json(STEP2, data)
    for response in (urlencoded, multipart, json_body):
        assert_error(response, "invalid_payload", "Failed to parse the input data.")


@pytest.mark.parametrize("missing", ["submissionId", "name", "date_of_birth"])
def test_each_missing_parameter_is_missing_parameters(client, submission_id, missing):
    data = {"submissionId": submission_id, "name": "Anna Nowak", "date_of_birth": "1990-04-12"}
    del data[missing]
    with changes_nothing():
        response = client.post_form(STEP2, data, {"faceImage": image_bytes(size=(480, 640))})
    assert_error(response, "missing_parameters", "Missing required parameters.")


@pytest.mark.parametrize(
    ("extra", "parameters"),
    [
        ({"date_of_birth": "12/04/1990"}, "date_of_birth"),
        ({"date_of_birth": "1990-02-30"}, "date_of_birth"),
        ({"date_of_birth": (date.today() + timedelta(days=1)).isoformat()}, "date_of_birth"),
        ({"gender": "q"}, "gender"),
        ({"nationality": "XX"}, "nationality"),
        ({"date_of_expiry": "soon"}, "date_of_expiry"),
        ({"idType": "selfie"}, "idType"),
        ({"gender": "q", "nationality": "XX"}, "gender, nationality"),
        ({"name": "N" * 201}, "name"),
        ({"document_number": "9" * 256}, "document_number"),
    ],
    ids=["dob-dd/mm/yyyy", "dob-not-a-day", "dob-future", "gender", "nationality", "expiry", "id-type", "two-bad",
         "name-too-long", "document-number-too-long"],
)
def test_bad_format_is_invalid_input_format(client, submission_id, extra, parameters):
    with changes_nothing():
        response = client.step2(submission_id, **extra)
    assert_error(response, "invalid_input_format", f"Invalid input type: {parameters}")


@pytest.mark.parametrize("bad_id", ["nope", uuid.uuid4().hex], ids=["malformed", "no-dashes"])
def test_malformed_submission_id_is_invalid_submission_id(client, submission_id, bad_id):
    with changes_nothing():
        response = client.step2(bad_id)
    assert_error(response, "invalid_submission_id", INVALID_SUBMISSION_ID)


def test_unknown_submission_id_is_invalid_submission_id(client, submission_id):
    with changes_nothing():
        response = client.step2(str(uuid.uuid4()))
    assert_error(response, "invalid_submission_id", INVALID_SUBMISSION_ID)


def test_another_projects_submission_id_is_invalid_submission_id(client, api):
    other = api()
    foreign_id = step1_ok(other)
    with changes_nothing():
        response = client.step2(foreign_id)
    assert_error(response, "invalid_submission_id", INVALID_SUBMISSION_ID)


def test_submission_whose_step1_is_not_complete_is_invalid_submission_id(client):
    submission = SubmissionFactory(project=client.project, step1_done=False)
    with changes_nothing():
        response = client.step2(submission.submission_id)
    assert_error(response, "invalid_submission_id", INVALID_SUBMISSION_ID)


@pytest.mark.parametrize("make_face", [lambda: os.urandom(3000), lambda: image_bytes("GIF"), lambda: b""],
                         ids=["random-bytes", "gif", "empty"])
def test_unacceptable_face_image_is_invalid_face_image(client, submission_id, make_face):
    with changes_nothing():
        response = client.step2(submission_id, face=make_face())
    assert_error(response, "invalid_face_image", "Invalid face image. Please retry with another face image.")


def test_unacceptable_address_image_is_invalid_address_image(api):
    client = api(address_collection="image")
    submission_id = step1_ok(client)
    with changes_nothing():
        response = client.step2(submission_id, files={"addressImage": os.urandom(3000)})
    assert_error(response, "invalid_address_image", "Invalid address image. Please retry with another address image.")


def test_face_decoder_fault_is_unexpected_error(client, submission_id, monkeypatch):
    def explode(upload):
        raise MemoryError("decoder ran out of memory")

    monkeypatch.setattr("submissions.inputs.image_read_upload", explode)
    with changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "unexpected_error", "Failed to submit KYC.")


# -- the submission's state -----------------------------------------------------------


def test_erased_submission_is_no_submission(client, submission_id):
    Submission.objects.filter(submission_id=submission_id).update(erased_at=timezone.now())
    with changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "no_submission", NO_SUBMISSION)


def test_submission_whose_id_image_is_gone_from_storage_is_no_submission(client, submission_id):
    front = StoredFile.objects.get(submission__submission_id=submission_id, kind=FileKind.ID_FRONT)
    default_storage.delete(front.file.name)
    with changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "no_submission", NO_SUBMISSION)


@pytest.mark.parametrize("status", [SubmissionStatus.PENDING, SubmissionStatus.APPROVED, SubmissionStatus.REJECTED])
def test_decided_submission_is_processed_submission(client, status):
    submission = SubmissionFactory(project=client.project, target_status=status)
    with changes_nothing():
        response = client.step2(submission.submission_id)
    assert_error(response, "processed_submission", "This submission is already processed.")


def test_second_step2_of_a_submission_is_processed_submission(client, submission_id):
    assert client.step2(submission_id).json()["kycStatus"] == "pending"
    with changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "processed_submission", "This submission is already processed.")


def test_recent_approval_of_the_email_is_processed_submission(api):
    client = api(approved_period_days=30)
    submission_id = step1_ok(client, email="anna@example.com")
    SubmissionFactory(project=client.project, email="anna@example.com", target_status=SubmissionStatus.APPROVED)
    with changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "processed_submission",
                 "anna@example.com has an existing approved submission. Not available to submit due to "
                 "'approved period' option to prevent duplication.")


def test_recent_rejection_of_the_email_is_rejected_submission(api):
    client = api(rejected_period_days=7)
    submission_id = step1_ok(client, email="anna@example.com")
    SubmissionFactory(project=client.project, email="anna@example.com", target_status=SubmissionStatus.REJECTED)
    with changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "rejected_submission",
                 "anna@example.com has an existing rejected submission. Not available to submit due to "
                 "'rejected period' option to prevent duplication.")


def test_period_custom_options_of_step1_also_apply_at_step2(api):
    client = api(approved_period_days=30, rejected_period_days=7)
    submission_id = step1_ok(client, customOptions='{"approvePeriod": false, "rejectPeriod": false}')
    SubmissionFactory(project=client.project, email="anna@example.com", target_status=SubmissionStatus.APPROVED)
    SubmissionFactory(project=client.project, email="anna@example.com", target_status=SubmissionStatus.REJECTED)
    assert client.step2(submission_id).json()["kycStatus"] == "pending"


def test_submission_past_its_validity_is_exceeded_72hour_limit(client, submission_id):
    with time_machine.travel(timezone.now() + timedelta(hours=72, minutes=1)), changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "exceeded_72hour_limit", EXCEEDED)


def test_project_validity_setting_is_used(api):
    client = api(submission_validity_hours=1)
    submission_id = step1_ok(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)), changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "exceeded_72hour_limit", EXCEEDED)


def test_submission_marked_expired_by_the_sweep_is_exceeded_72hour_limit(client, submission_id):
    Submission.objects.filter(submission_id=submission_id).update(expired_at=timezone.now())
    with changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "exceeded_72hour_limit", EXCEEDED)


# -- universal id type ----------------------------------------------------------------


def test_unresolved_universal_id_type_without_id_type_is_invalid_id_type(api):
    client = api(universal_id=True)
    submission_id = step1_ok(client, id_type="universal", back=image_bytes())
    with changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "invalid_idType", "The idType is required. This submission id failed to define idType in step1.")


def test_unresolved_universal_id_type_with_id_type_is_accepted(api):
    client = api(universal_id=True)
    submission_id = step1_ok(client, id_type="universal", back=image_bytes())
    response = client.step2(submission_id, idType="passport")
    assert response.status_code == 200, response.text
    assert (response.json()["kycStatus"], response.json()["idType"]) == ("pending", "passport")
    assert Submission.objects.get(submission_id=submission_id).id_type == "passport"


def test_universal_id_type_resolved_at_step1_needs_no_id_type(api, scripted_check):
    client = api(universal_id=True)

    def detect_passport(ctx):
        ctx.extracted["id_type"] = "passport"
        return []

    scripted_check(default=detect_passport)
    submission_id = step1_ok(client, id_type="universal", back=image_bytes())
    assert Submission.objects.get(submission_id=submission_id).id_type == "passport"
    response = client.step2(submission_id)
    assert response.status_code == 200, response.text
    assert (response.json()["kycStatus"], response.json()["idType"]) == ("pending", "passport")


# -- address --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("collection", "extra", "files"),
    [
        ("address", {"address_input": "Main street 1", "address_detail": "flat 2"}, {}),
        ("image", {"formatted_address": "Main street 1, Warsaw"}, {}),
        ("both", {"formatted_address": "Main street 1, Warsaw"}, {}),
        ("both", {}, {"addressImage": image_bytes()}),
    ],
    ids=["address-without-address", "image-without-image", "both-without-image", "both-without-address"],
)
def test_missing_address_data_is_missing_address(api, collection, extra, files):
    client = api(address_collection=collection)
    submission_id = step1_ok(client)
    with changes_nothing():
        response = client.step2(submission_id, files=files, **extra)
    assert_error(response, "missing_address", MISSING_ADDRESS)


@pytest.mark.parametrize(
    ("collection", "extra", "files"),
    [
        ("address", {"globalCode": "9C4WPV00+"}, {}),
        ("address", {"compoundCode": "PV00+ Warsaw"}, {}),
        ("image", {}, {"addressImage": image_bytes()}),
        ("both", {"formatted_address": "Main street 1, Warsaw"}, {"addressImage": image_bytes()}),
    ],
    ids=["global-code", "compound-code", "image", "both"],
)
def test_address_given_as_required_is_accepted(api, collection, extra, files):
    client = api(address_collection=collection)
    submission_id = step1_ok(client)
    response = client.step2(submission_id, files=files, **extra)
    assert response.status_code == 200, response.text
    assert response.json()["kycStatus"] == "pending"


# -- bank account occupancy -----------------------------------------------------------


@pytest.fixture
def bank_client(api):
    return api(account_occupancy_kor=True)


@pytest.mark.parametrize("missing", ["userOccupancyName", "userOccupancyCode"])
def test_missing_bank_field_is_missing_required_field(bank_client, missing):
    submission_id = step1_ok(bank_client)
    code = prestep2_deposit(bank_client, submission_id)
    extra = {"userOccupancyName": "Kim Minsu", "userOccupancyCode": code}
    del extra[missing]
    with changes_nothing():
        response = bank_client.step2(submission_id, name="Kim Minsu", **extra)
    assert_error(response, "missing_required_field", MISSING_BANK_FIELD)


def test_step2_without_prestep2_is_invalid_bank_authentication(bank_client):
    submission_id = step1_ok(bank_client)
    with changes_nothing():
        response = bank_client.step2(submission_id, name="Kim Minsu", userOccupancyName="Kim Minsu",
                                     userOccupancyCode="123")
    assert_error(response, "invalid_bank_authentication", INVALID_BANK_AUTH)


def test_expired_bank_code_is_invalid_bank_authentication(bank_client):
    submission_id = step1_ok(bank_client)
    code = prestep2_deposit(bank_client, submission_id)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)), changes_nothing():
        response = bank_client.step2(submission_id, name="Kim Minsu", userOccupancyName="Kim Minsu",
                                     userOccupancyCode=code)
    assert_error(response, "invalid_bank_authentication", INVALID_BANK_AUTH)


def test_step2_name_other_than_the_prestep2_holder_is_bank_authentication_fail(bank_client):
    submission_id = step1_ok(bank_client)
    code = prestep2_deposit(bank_client, submission_id, user_name="Kim Minsu")
    with changes_nothing():
        response = bank_client.step2(submission_id, name="Lee Jiwoo", userOccupancyName="Kim Minsu",
                                     userOccupancyCode=code)
    assert_error(response, "bank_authentication_fail",
                 "1 won authentication fail. The account holder's name doesn't match")


# -- processing faults ----------------------------------------------------------------


def test_unexpected_fault_in_a_step2_check_is_unexpected_error(client, submission_id, scripted_check):
    scripted_check(step=Step.STEP2, default=RuntimeError("Traceback: model weights missing"))
    with changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "unexpected_error", "Failed to submit KYC.")
    assert "Traceback" not in response.text


def test_storage_failure_at_step2_is_unexpected_error(client, submission_id, monkeypatch):
    def refuse(self, name, content):
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "_save", refuse)
    with changes_nothing():
        response = client.step2(submission_id, files={"addressImage": image_bytes()})
    assert_error(response, "unexpected_error", "Failed to submit KYC.")


def test_a_step2_whose_webhook_event_cannot_be_saved_is_unexpected_error_and_keeps_nothing(api, monkeypatch):
    from django.db import DatabaseError

    from webhooks.models import WebhookEvent

    client = api(webhook_url="https://hooks.example.com/kyc")
    submission_id = step1_ok(client)

    def refuse(*args, **kwargs):
        raise DatabaseError("the outbox table is unavailable")

    monkeypatch.setattr(WebhookEvent.objects, "create", refuse)
    with changes_nothing():
        response = client.step2(submission_id)
    assert_error(response, "unexpected_error", "Failed to submit KYC.")
