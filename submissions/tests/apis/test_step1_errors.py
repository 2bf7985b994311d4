"""POST /v3/submission/step1: every 400 answer, and that each one changes nothing."""

import io
import os
import time
import uuid
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from PIL import Image

from conftest import ApiClient, assert_error, image_bytes
from submissions.checks.base import Finding
from submissions.choices import ProjectStatus, SubmissionStatus
from submissions.codes import Step1ErrorCode, Step1RetryCode
from submissions.models import ApiKey, Submission
from submissions.services import api_key_create
from submissions.tests.apis.helpers import API_DB, STEP1, changes_nothing, decompression_bomb_png, step1_ok
from submissions.tests.factories import SubmissionFactory

INVALID_ID_IMAGE = "Invalid ID image. Please retry with another ID image."
INVALID_SUBMISSION_ID = "Invalid submission ID error. Please check the submission ID."
APPROVED_PERIOD = (
    "{email} has an existing approved submission. Not available to submit due to 'approved period' "
    "option to prevent duplication."
)
REJECTED_PERIOD = (
    "{email} has an existing rejected submission. Not available to submit due to 'rejected period' "
    "option to prevent duplication."
)

pytestmark = API_DB


# -- unauthorized, invalid_request, invalid_project ----------------------------------


@pytest.mark.parametrize("key", [None, "", "kyc_deadbeef_wrong", "not-a-key"], ids=["missing", "empty", "wrong", "garbage"])
def test_missing_or_wrong_key_is_unauthorized(api, key):
    client = api()
    with changes_nothing():
        response = client.step1(key=key)
    assert_error(response, "unauthorized", "Invalid API key. Please check.")


def test_revoked_key_is_unauthorized(api):
    client = api()
    ApiKey.objects.filter(project=client.project).update(revoked_at=timezone.now())
    with changes_nothing():
        response = client.step1()
    assert_error(response, "unauthorized", "Invalid API key. Please check.")


def test_another_projects_key_secret_is_unauthorized(api):
    client, other = api(), api()
    prefix = ApiKey.split(client.key)[0]
    forged = f"kyc_{prefix}_{other.key.split('_', 2)[2]}"
    with changes_nothing():
        response = client.step1(key=forged)
    assert_error(response, "unauthorized", "Invalid API key. Please check.")


def test_issued_key_with_underscore_in_secret_is_accepted(api, monkeypatch):
    client = api()
    monkeypatch.setattr("submissions.services.secrets.token_urlsafe", lambda nbytes=None: "Ab_cD" + "x" * 38)
    _, raw_key = api_key_create(project=client.project)
    assert "_" in raw_key.split("_", 2)[2]
    response = ApiClient(client.base_url, raw_key).step1()
    assert response.status_code == 200, response.text


def test_project_id_of_another_project_is_invalid_request(api):
    client, other = api(), api()
    with changes_nothing():
        response = client.step1(projectId=other.project.project_id)
    assert_error(response, "invalid_request", "Failed to find the project. Please check the project ID.")


def test_project_id_of_own_project_is_accepted(api):
    client = api()
    step1_ok(client, projectId=client.project.project_id)


def test_closed_project_is_invalid_project(api):
    client = api()
    client.project.status = ProjectStatus.CLOSED
    client.project.save()
    with changes_nothing():
        response = client.step1()
    assert_error(response, "invalid_project", "This project is not available.")


# -- request parsing ------------------------------------------------------------------


def test_no_id_image_is_invalid_payload(api):
    client = api()
    data = {"issuingCountry": "POL", "email": "anna@example.com", "idType": "passport"}
    with changes_nothing():
        urlencoded = client.post_form(STEP1, data)
        multipart = client.post_form(STEP1, data, {"idBackImage": image_bytes()})
    assert_error(urlencoded, "invalid_payload", "Failed to parse the input data.")
    assert_error(multipart, "invalid_payload", "Failed to parse the input data.")


def test_json_body_is_invalid_payload(api):
    client = api()
    with changes_nothing():
        response = client.post_json(STEP1, {"issuingCountry": "POL", "email": "anna@example.com",
                                            "idType": "passport", "idImage": "aGVsbG8="})
    assert_error(response, "invalid_payload", "Failed to parse the input data.")


@pytest.mark.parametrize("missing", ["issuingCountry", "email", "idType"])
@pytest.mark.parametrize("how", ["absent", "blank"])
def test_each_required_parameter_missing(api, missing, how):
    client = api()
    data = {"issuingCountry": "POL", "email": "anna@example.com", "idType": "passport"}
    if how == "absent":
        del data[missing]
    else:
        data[missing] = "  "
    with changes_nothing():
        response = client.post_form(STEP1, data, {"idImage": image_bytes()})
    assert_error(response, "missing_parameters", "Missing required parameters.")


@pytest.mark.parametrize("id_type", ["selfie", "PASSPORT", "id_card"])
def test_unknown_id_type_is_invalid_id_type(api, id_type):
    client = api()
    with changes_nothing():
        response = client.step1(id_type=id_type)
    assert_error(response, "invalid_id_type",
                 "Invalid id type: Id type must be passport, government_id or drivers_license.")


@pytest.mark.parametrize(
    ("extra", "parameters"),
    [
        ({"country": "XXX"}, "issuingCountry"),
        ({"country": "PL"}, "issuingCountry"),
        ({"customOptions": "{not json"}, "customOptions"),
        ({"customOptions": '{"approvePeriod": true}'}, "customOptions"),
        ({"customOptions": '{"unknownOption": false}'}, "customOptions"),
        ({"customOptions": "[false]"}, "customOptions"),
        ({"country": "XXX", "customOptions": '{"ageLimit": true}'}, "issuingCountry, customOptions"),
        ({"userid": "u" * 256}, "userid"),
    ],
    ids=["country-XXX", "country-alpha2", "options-not-json", "options-true", "options-unknown-key",
         "options-not-object", "two-bad", "userid-too-long"],
)
def test_bad_format_is_invalid_input_format(api, extra, parameters):
    client = api()
    with changes_nothing():
        response = client.step1(**extra)
    assert_error(response, "invalid_input_format", f"Invalid input type: {parameters}")


@pytest.mark.parametrize("email", ["anna", "anna@", "@example.com", "anna@example", "an na@example.com"])
def test_bad_email_is_invalid_email(api, email):
    client = api()
    with changes_nothing():
        response = client.step1(email=email)
    assert_error(response, "invalid_email", "Invalid email address format.")


# -- image bytes ----------------------------------------------------------------------


def _jpeg_with_garbage() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(4000)


@pytest.mark.parametrize(
    "make_image",
    [
        lambda: image_bytes("GIF"),
        lambda: os.urandom(5000),
        lambda: b"",
        lambda: image_bytes()[: len(image_bytes()) // 2],
        _jpeg_with_garbage,
    ],
    ids=["gif", "random-bytes", "empty", "truncated-jpeg", "jpeg-header-then-garbage"],
)
def test_unacceptable_id_image_is_invalid_id_image(api, make_image):
    client = api()
    with changes_nothing():
        response = client.step1(image=make_image())
    assert_error(response, "invalid_id_image", INVALID_ID_IMAGE)


@pytest.mark.parametrize("size", [(63, 400), (50, 50)])
def test_image_under_the_minimum_side_is_invalid_id_image(api, settings, size):
    settings.KYC_MIN_IMAGE_SIDE = 64  # over the default (48): the limit is the setting, not a constant
    client = api()
    with changes_nothing():
        response = client.step1(image=image_bytes("PNG", size=size))
    assert_error(response, "invalid_id_image", INVALID_ID_IMAGE)


def test_decoder_fault_is_id_image_error(api, monkeypatch):
    client = api()

    def explode(upload):
        raise MemoryError("decoder ran out of memory")

    monkeypatch.setattr("submissions.inputs.image_read_upload", explode)
    with changes_nothing():
        response = client.step1()
    assert_error(response, "id_image_error", "ID image processing error. Please retry.")


def test_decompression_bomb_is_refused_quickly(api):
    client = api()
    bomb = decompression_bomb_png()
    assert len(bomb) < 200_000
    with changes_nothing():
        started = time.monotonic()
        response = client.step1(image=bomb)
        elapsed = time.monotonic() - started
    assert_error(response, "invalid_id_image", INVALID_ID_IMAGE)
    assert elapsed < 3, f"the bomb took {elapsed:.1f}s to refuse"


def test_image_over_the_pixel_limit_is_refused(api, settings):
    client = api()
    buffer = io.BytesIO()
    Image.new("L", (3000, 2000)).save(buffer, "PNG")
    settings.KYC_MAX_IMAGE_PIXELS = 5_000_000
    with changes_nothing():
        response = client.step1(image=buffer.getvalue())
    assert_error(response, "invalid_id_image", INVALID_ID_IMAGE)


def test_jpeg_with_trailing_data_still_decodes_and_is_accepted(api):
    client = api()
    step1_ok(client, image=image_bytes() + b"PK\x03\x04" + os.urandom(200))


def _mpo_jpeg() -> bytes:
    """A JPEG carrying a second image in an MPF segment, as Ultra HDR / gain-map phone photos do."""
    primary = Image.open(io.BytesIO(image_bytes()))
    buffer = io.BytesIO()
    primary.save(buffer, "MPO", save_all=True, append_images=[Image.new("L", (320, 200))])
    return buffer.getvalue()


def test_jpeg_with_a_multi_picture_segment_is_accepted(api):
    client = api()
    image = _mpo_jpeg()
    assert image[:3] == b"\xff\xd8\xff"
    step1_ok(client, image=image)


def test_image_over_the_byte_limit_is_invalid_id_image(api, settings):
    settings.KYC_MAX_IMAGE_BYTES = 10_000
    client = api()
    with changes_nothing():
        response = client.step1(image=image_bytes("PNG", size=(800, 800), color=(1, 2, 3)) + os.urandom(20_000))
    assert_error(response, "invalid_id_image", INVALID_ID_IMAGE)


def test_png_id_image_is_accepted(api, png):
    client = api()
    step1_ok(client, image=png)


def test_invalid_back_image_is_invalid_id_image(api):
    client = api()
    with changes_nothing():
        response = client.step1(back=os.urandom(3000))
    assert_error(response, "invalid_id_image", INVALID_ID_IMAGE)


# -- applicant guards -----------------------------------------------------------------


def test_retrying_a_completed_step1_is_processed_submission(api):
    client = api()
    submission_id = step1_ok(client)
    with changes_nothing():
        response = client.step1(submissionId=submission_id)
    assert_error(response, "processed_submission", "This submission is already processed.")


@pytest.mark.parametrize("status", [SubmissionStatus.PENDING, SubmissionStatus.APPROVED, SubmissionStatus.REJECTED])
def test_retrying_step1_of_a_decided_submission_is_processed_submission(api, status):
    client = api()
    submission = SubmissionFactory(project=client.project, email="anna@example.com", target_status=status)
    with changes_nothing():
        response = client.step1(submissionId=submission.submission_id)
    assert_error(response, "processed_submission", "This submission is already processed.")


def test_recent_approval_of_the_email_is_processed_submission(api):
    client = api(approved_period_days=30)
    SubmissionFactory(project=client.project, email="anna@example.com", target_status=SubmissionStatus.APPROVED)
    with changes_nothing():
        response = client.step1(email="Anna@Example.com")
    assert_error(response, "processed_submission", APPROVED_PERIOD.format(email="anna@example.com"))


def test_approve_period_custom_option_lets_the_email_through(api):
    client = api(approved_period_days=30)
    SubmissionFactory(project=client.project, email="anna@example.com", target_status=SubmissionStatus.APPROVED)
    step1_ok(client, customOptions='{"approvePeriod": false}')


def test_approval_older_than_the_period_does_not_block(api):
    client = api(approved_period_days=30)
    approved = SubmissionFactory(project=client.project, email="anna@example.com",
                                 target_status=SubmissionStatus.APPROVED)
    Submission.objects.filter(pk=approved.pk).update(decided_at=timezone.now() - timedelta(days=31))
    step1_ok(client)


def test_approval_does_not_block_when_the_period_is_off(api):
    client = api()
    SubmissionFactory(project=client.project, email="anna@example.com", target_status=SubmissionStatus.APPROVED)
    step1_ok(client)


def test_recent_rejection_of_the_email_is_rejected_submission(api):
    client = api(rejected_period_days=7)
    SubmissionFactory(project=client.project, email="anna@example.com", target_status=SubmissionStatus.REJECTED)
    with changes_nothing():
        response = client.step1()
    assert_error(response, "rejected_submission", REJECTED_PERIOD.format(email="anna@example.com"))


def test_reject_period_custom_option_lets_the_email_through(api):
    client = api(rejected_period_days=7)
    SubmissionFactory(project=client.project, email="anna@example.com", target_status=SubmissionStatus.REJECTED)
    step1_ok(client, customOptions='{"rejectPeriod": false}')


def test_pending_submission_of_the_email_is_reviewing(api):
    client = api()
    SubmissionFactory(project=client.project, email="anna@example.com", target_status=SubmissionStatus.PENDING)
    with changes_nothing():
        response = client.step1()
    assert_error(response, "reviewing", "anna@example.com's KYC is currently reviewing. Please wait.")


def test_guards_only_look_at_the_same_project(api):
    client, other = api(approved_period_days=30), api()
    SubmissionFactory(project=other.project, email="anna@example.com", target_status=SubmissionStatus.PENDING)
    SubmissionFactory(project=other.project, email="anna@example.com", target_status=SubmissionStatus.APPROVED)
    step1_ok(client)


# -- universal id type ----------------------------------------------------------------


def test_universal_without_the_option_is_invalid_id_type_universal(api):
    client = api()
    with changes_nothing():
        response = client.step1(id_type="universal", back=image_bytes())
    assert_error(response, "invalid_idType", "This project is not using the Universal option.")


@pytest.mark.parametrize("universal_id", [True, False], ids=["option-on", "option-off"])
def test_universal_with_a_korean_id_is_refused(api, universal_id):
    client = api(universal_id=universal_id)
    with changes_nothing():
        response = client.step1(id_type="universal", country="KOR", back=image_bytes())
    assert_error(response, "invalid_idType", "ID Card issued from Korea cannot use universal id type.")


def test_specific_id_type_with_the_universal_option_is_refused(api):
    client = api(universal_id=True)
    with changes_nothing():
        response = client.step1(id_type="passport", back=image_bytes())
    assert_error(response, "invalid_idType", "Cannot input specific idType in using universal option")


def test_korean_id_with_a_specific_type_is_accepted_under_the_universal_option(api):
    client = api(universal_id=True)
    step1_ok(client, id_type="government_id", country="KOR")


def test_universal_without_a_back_image_is_missing_parameters(api):
    client = api(universal_id=True)
    with changes_nothing():
        response = client.step1(id_type="universal")
    assert_error(response, "missing_parameters", "IdCard Back Image is required in using universal option")


def test_universal_with_a_back_image_is_accepted(api):
    client = api(universal_id=True)
    response = client.step1(id_type="universal", back=image_bytes())
    assert response.status_code == 200, response.text
    assert response.json()["idType"] == "universal"


# -- submissionId ---------------------------------------------------------------------


@pytest.mark.parametrize("submission_id", ["nope", "12345", uuid.uuid4().hex, str(uuid.uuid4()) + "0"])
def test_malformed_submission_id_is_invalid_submission_id(api, submission_id):
    client = api()
    with changes_nothing():
        response = client.step1(submissionId=submission_id)
    assert_error(response, "invalid_submission_id", INVALID_SUBMISSION_ID)


def test_unknown_submission_id_is_invalid_submission_id(api):
    client = api()
    with changes_nothing():
        response = client.step1(submissionId=str(uuid.uuid4()))
    assert_error(response, "invalid_submission_id", INVALID_SUBMISSION_ID)


def test_another_projects_submission_id_is_invalid_submission_id(api):
    client, other = api(), api()
    foreign = SubmissionFactory(project=other.project, email="anna@example.com", step1_done=False)
    with changes_nothing():
        response = client.step1(submissionId=foreign.submission_id)
    assert_error(response, "invalid_submission_id", INVALID_SUBMISSION_ID)


def test_submission_id_of_another_email_is_invalid_submission_id(api):
    client = api()
    submission = SubmissionFactory(project=client.project, email="other@example.com", step1_done=False)
    with changes_nothing():
        response = client.step1(submissionId=submission.submission_id)
    assert_error(response, "invalid_submission_id", INVALID_SUBMISSION_ID)


# -- processing faults ----------------------------------------------------------------


def test_storage_failure_is_save_image_error(api, monkeypatch):
    client = api()

    def refuse(self, name, content):
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "_save", refuse)
    with changes_nothing():
        response = client.step1()
    assert_error(response, "save_image_error", "ID image save error. Please retry.")


def test_storage_failure_on_the_back_image_keeps_no_front_image(api, monkeypatch):
    client = api()
    real_save = FileSystemStorage._save
    calls = []

    def fail_second(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", fail_second)
    with changes_nothing():
        response = client.step1(back=image_bytes())
    assert_error(response, "save_image_error", "ID image save error. Please retry.")
    assert len(calls) == 2


def test_storage_failure_on_a_retry_keeps_the_submission_as_it_was(api, monkeypatch, scripted_check):
    client = api()
    scripted_check(answers=[[Finding(Step1RetryCode.MRZ_PROTOCOL_FAIL)]])
    first = client.step1()
    assert first.json()["retryCount"] == 1, first.text

    def refuse(self, name, content):
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "_save", refuse)
    with changes_nothing():
        response = client.step1(submissionId=first.json()["submissionId"])
    assert_error(response, "save_image_error", "ID image save error. Please retry.")


def test_unexpected_fault_in_a_check_is_data_processing_error(api, scripted_check):
    client = api()
    scripted_check(default=RuntimeError("Traceback: secret internals at /srv/kyc/checks.py line 42"))
    with changes_nothing():
        response = client.step1()
    assert_error(response, "data_processing_error", "Data processing error. Please retry.")
    assert "Traceback" not in response.text and "secret internals" not in response.text


def test_fault_in_a_check_with_a_fault_code_answers_it(api, scripted_check):
    client = api()
    scripted_check(fault_code=Step1ErrorCode.ID_DETECTION_ERROR, default=RuntimeError("detector down"))
    with changes_nothing():
        response = client.step1()
    assert_error(response, "id_detection_error", "ID detection error. Please retry.")
    assert "detector down" not in response.text


def test_fault_on_a_retry_keeps_the_submission_as_it_was(api, scripted_check):
    client = api()
    check = scripted_check(answers=[[Finding(Step1RetryCode.MRZ_PROTOCOL_FAIL)]])
    first = client.step1()
    assert first.json()["retryCount"] == 1, first.text
    check.default = RuntimeError("boom")
    with changes_nothing():
        response = client.step1(submissionId=first.json()["submissionId"], back=image_bytes())
    assert_error(response, "data_processing_error", "Data processing error. Please retry.")



def _jpeg_with_segments(segments: list[tuple[int, bytes]]) -> bytes:
    """A valid JPEG with extra APPn segments (marker, payload) inserted after its SOI."""
    jpeg = image_bytes()
    inserted = b"".join(b"\xff" + bytes([marker]) + (len(payload) + 2).to_bytes(2, "big") + payload
                        for marker, payload in segments)
    return jpeg[:2] + inserted + jpeg[2:]


def _hostile_exif() -> bytes:
    """A TIFF header whose first IFD claims 65535 entries, pointing far past the segment's end."""
    entry = (0x010E).to_bytes(2, "little") + (2).to_bytes(2, "little") + (0x7FFFFFFF).to_bytes(4, "little") \
        + (0x7FFFFFF0).to_bytes(4, "little")
    body = b"II*\x00" + (8).to_bytes(4, "little") + (0xFFFF).to_bytes(2, "little") + entry * 5000
    return b"Exif\x00\x00" + body


@pytest.mark.image_checks  # the tampering and recapture checks read the metadata too
def test_huge_and_hostile_metadata_is_answered_in_bounded_time(api):
    client = api(id_card_validation=True)
    xmp = b"http://ns.adobe.com/xap/1.0/\x00" + b"<x:xmpmeta>" + b"A" * 65000
    image = _jpeg_with_segments([(0xE1, _hostile_exif())] + [(0xE1, xmp)] * 30 + [(0xFE, b"C" * 65000)] * 20)
    assert len(image) > 3_000_000
    started = time.monotonic()
    response = client.step1(image=image)
    elapsed = time.monotonic() - started
    # decodable pixels: accepted (and judged by the checks) or refused as an image, never a fault
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert_error(response, "invalid_id_image", INVALID_ID_IMAGE)
    assert elapsed < 15, f"hostile metadata took {elapsed:.1f}s"


@pytest.mark.parametrize("prefix", [b"<html><script>alert(1)</script>", b"%PDF-1.7\n", b"GIF89a"],
                         ids=["html", "pdf", "gif"])
def test_a_polyglot_that_is_not_an_image_first_is_invalid_id_image(api, prefix):
    client = api()
    with changes_nothing():
        response = client.step1(image=prefix + image_bytes())
    assert_error(response, "invalid_id_image", INVALID_ID_IMAGE)
