"""The data API over HTTP: GET (one, pages, filters), PATCH, POST review, DELETE and /partial."""

import datetime

import pytest
import requests
from django.core.files.storage import default_storage

from audit.models import AuditEvent
from conftest import assert_error
from reviews.models import ReviewDecision
from submissions.models import FaceDescriptor, StoredFile, Submission

pytestmark = pytest.mark.django_db(transaction=True)

INVALID_ID = ("invalid_submission_id", "Invalid submission ID error. Please check the submission ID.")
NO_SUBMISSION = ("no_submission", "Fail to find the submission data. Please contact CS center.")


def pending(client, email="anna@example.com", **step2) -> str:
    submission_id = client.step1(email=email).json()["submissionId"]
    assert client.step2(submission_id, document_number="AB1234567", gender="female", **step2).json()["kycStatus"] \
        == "pending"
    return submission_id


def one(client, submission_id) -> dict:
    response = client.get("/v3/submission", {"submission_id": submission_id})
    assert response.status_code == 200, response.text
    [item] = response.json()["Items"]
    return item


def test_get_one_in_the_vendor_shape_with_signed_image_urls(api):
    client = api()
    submission_id = pending(client, nationality="POL")
    item = one(client, submission_id)
    assert item["submission_id"] == submission_id and item["kycStatus"] == "pending"
    assert item["kyc"] == {"result": "pending", "commentCode": [], "comment": []}
    assert item["data"]["full_name"] == "Anna Nowak" and item["data"]["first_name"] == "Anna"
    assert item["data"]["last_name"] == "Nowak" and item["data"]["date_of_birth"] == "1990-04-12"
    assert item["data"]["documentNumber"] == "AB1234567" and item["data"]["gender"] == "female"
    assert item["data"]["idcard_issuingCountry"] == "POL" and item["data"]["idType"] == "passport"
    assert set(item["image"]) == {"idImage", "selfieImage"}
    assert item["cf"] == {"cf1": "", "cf2": "", "cf3": ""} and isinstance(item["checks"], list)
    image = requests.get(item["image"]["idImage"], timeout=30)  # no API key: the URL is the credential
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
    assert image.headers["Cache-Control"] == "private, no-store"
    tampered = item["image"]["idImage"][:-3] + "abc"
    assert_error(requests.get(tampered, timeout=30), "unauthorized", "Invalid API key. Please check.")


def test_an_image_url_expires(api, settings):
    client = api()
    item = one(client, pending(client))
    settings.KYC_IMAGE_URL_TTL_SECONDS = -1  # read by the live server at each request
    assert_error(requests.get(item["image"]["selfieImage"], timeout=30), "unauthorized",
                 "Invalid API key. Please check.")


def test_get_one_errors(api):
    client, other = api(), api()
    submission_id = pending(other)
    assert_error(client.get("/v3/submission", {"submission_id": "nope"}), *INVALID_ID)
    assert_error(client.get("/v3/submission", {"submission_id": submission_id}), *INVALID_ID)  # not this project's
    assert_error(client.get("/v3/submission", {"submission_id": submission_id}, key="kyc_wrong"), "unauthorized",
                 "Invalid API key. Please check.")


def test_pages_newest_first_with_filters_and_a_cursor(api):
    client = api()
    ids = [client.step1(email=f"user{i}@example.com", userid=f"u{i}").json()["submissionId"] for i in range(5)]
    first = client.get("/v3/submission", {"count": 2}).json()
    assert [i["submission_id"] for i in first["Items"]] == ids[::-1][:2]
    second = client.get("/v3/submission", {"count": 2, "nextpage_key": first["nextpageKey"]}).json()
    third = client.get("/v3/submission", {"count": 2, "nextpage_key": second["nextpageKey"]}).json()
    assert [i["submission_id"] for i in second["Items"] + third["Items"]] == ids[::-1][2:]
    assert third["nextpageKey"] is None
    assert [i["submission_id"] for i in client.get("/v3/submission", {"email": "USER3@example.com"}).json()["Items"]] \
        == [ids[3]]
    assert [i["submission_id"] for i in client.get("/v3/submission", {"userid": "u1"}).json()["Items"]] == [ids[1]]
    assert client.get("/v3/submission", {"status": "approved"}).json() == {"Items": [], "nextpageKey": None}
    today = datetime.date.today().isoformat()
    assert len(client.get("/v3/submission", {"start_date": today, "end_date": today}).json()["Items"]) == 5
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    assert client.get("/v3/submission", {"start_date": tomorrow}).json()["Items"] == []


def test_list_parameter_errors_name_the_parameter(api):
    client = api()
    response = client.get("/v3/submission", {"count": "0", "status": "done", "start_date": "2026-13-01",
                                              "nextpage_key": "!!"})
    assert_error(response, "invalid_input_format",
                 "Invalid input type: status, start_date, count, nextpage_key")


def test_patch_edits_data_with_an_audit_row(api):
    client = api()
    submission_id = pending(client)
    response = client.patch_json("/v3/submission", {"submissionId": submission_id, "admin": "ops-anna",
                                                    "data": {"fullName": "Anna Maria Nowak", "birthDate": "1990-04-13"}})
    assert response.status_code == 200 and response.json()["kycStatus"] == "pending"
    item = one(client, submission_id)
    assert item["data"]["full_name"] == "Anna Maria Nowak" and item["data"]["date_of_birth"] == "1990-04-13"
    edited = AuditEvent.objects.get(submission__submission_id=submission_id, action="edited")
    assert edited.before_plain == {"name": "Anna Nowak", "date_of_birth": "1990-04-12"}
    # the integration's user is kept sealed with the values, not in the plain actor label
    assert edited.after_plain == {"name": "Anna Maria Nowak", "date_of_birth": "1990-04-13", "admin": "ops-anna"}
    assert edited.actor_label == f"api:{client.key.split('_')[1]}"


def test_patch_status_decides_a_pending_one_and_overrides_a_final_one(api):
    client = api()
    submission_id = pending(client)
    approved = client.patch_json("/v3/submission", {"submissionId": submission_id, "data": {"kycStatus": "approved"}})
    assert approved.json()["kycStatus"] == "approved"
    assert_error(client.patch_json("/v3/submission", {"submissionId": submission_id,
                                                      "data": {"kycStatus": "rejected"}}),
                 "reject_code_required", "Choose at least one reject comment code.")
    revoked = client.patch_json("/v3/submission", {
        "submissionId": submission_id, "data": {"kycStatus": "rejected"},
        "rejectComment": {"commentCode": ["other"], "comment": ["Document reported stolen."]}})
    assert revoked.json()["kyc"] == {"result": "rejected", "commentCode": ["other"],
                                     "comment": ["Document reported stolen."]}
    assert AuditEvent.objects.filter(submission__submission_id=submission_id, action="status_overridden").exists()


def test_patch_errors(api):
    client = api()
    submission_id = pending(client)
    assert_error(client.patch_json("/v3/submission", {"data": {"fullName": "X"}}), "missing_parameters",
                 "Missing required parameters.")
    assert_error(client.patch_json("/v3/submission", {"submissionId": submission_id, "data": {"shoeSize": 42}}),
                 "invalid_input_format", "Invalid input type: data.shoeSize")
    assert_error(client.patch_json("/v3/submission", {"submissionId": submission_id,
                                                      "data": {"birthDate": "12/04/1990"}}),
                 "invalid_edit", "Invalid value for: date_of_birth.")
    assert_error(client.patch_json("/v3/submission", [1, 2]), "invalid_payload", "Failed to parse the input data.")
    incomplete = client.step1(email="x@example.com").json()["submissionId"]
    assert_error(client.patch_json("/v3/submission", {"submissionId": incomplete, "data": {"kycStatus": "approved"}}),
                 "not_decided", "Only an approved or rejected submission's status can be changed this way.")


def test_review_decides_with_the_workspace_rules(api):
    client = api(age_limit=18)
    submission_id = pending(client)
    under_age = (datetime.date.today() - datetime.timedelta(days=365 * 10)).isoformat()
    response = client.post_json("/v3/submission/review", {
        "submissionId": submission_id, "status": "approved", "admin": "ops-anna",
        "updateFields": {"birthDate": under_age}})
    assert response.status_code == 200
    assert response.json()["kyc"]["commentCode"] == ["id_info_notOfAge"]
    assert_error(client.post_json("/v3/submission/review", {"submissionId": submission_id, "status": "approved"}),
                 "not_pending", "This submission is not pending review.")


def test_review_reject_with_edited_messages_and_errors(api):
    client = api()
    submission_id = pending(client)
    assert_error(client.post_json("/v3/submission/review", {"submissionId": submission_id, "status": "rejected"}),
                 "reject_code_required", "Choose at least one reject comment code.")
    assert_error(client.post_json("/v3/submission/review", {
        "submissionId": submission_id, "status": "rejected", "rejectComment": {"commentCode": "other"}}),
        "comment_required", "A comment for the applicant is required with the reject code 'other'.")
    assert_error(client.post_json("/v3/submission/review", {
        "submissionId": submission_id, "status": "rejected", "rejectComment": {"commentCode": "timeout"}}),
        "invalid_reject_code", "Invalid reject comment code: timeout.")
    assert_error(client.post_json("/v3/submission/review", {"submissionId": submission_id, "status": "maybe"}),
                 "invalid_input_format", "Invalid input type: status")
    response = client.post_json("/v3/submission/review", {
        "submissionId": submission_id, "status": "rejected",
        "rejectComment": {"commentCode": ["id_image_badImage"], "comment": ["Too dark: retake in daylight."]}})
    assert response.json()["kyc"] == {"result": "rejected", "commentCode": ["id_image_badImage"],
                                      "comment": ["Too dark: retake in daylight."]}
    review = ReviewDecision.objects.get(submission__submission_id=submission_id)
    assert review.reviewer is None and review.reviewer_label.startswith("api:")


def test_delete_erases_personal_data_and_files_and_keeps_the_skeleton(api):
    client = api(face_duplicate_verification=True)
    submission_id = pending(client)
    names = list(StoredFile.objects.filter(submission__submission_id=submission_id).values_list("file", flat=True))
    assert names and all(default_storage.exists(name) for name in names)
    response = client.delete("/v3/submission", {"submission_id": submission_id, "admin_name": "dpo"})
    # An undecided submission is ended by its erasure (issue 14 item 4): rejected, never decidable.
    assert response.status_code == 200 and response.json()["kycStatus"] == "rejected"
    assert response.json()["kyc"]["commentCode"] == ["other"]
    submission = Submission.objects.get(submission_id=submission_id)
    assert submission.erased_at is not None and submission.entered_data == {} and submission.email == ""
    assert submission.id_type == "passport" and submission.created_at is not None
    assert not StoredFile.objects.filter(submission=submission).exists()
    assert not any(default_storage.exists(name) for name in names)
    assert not FaceDescriptor.objects.filter(submission=submission).exists()
    assert_error(client.get("/v3/submission", {"submission_id": submission_id}), *NO_SUBMISSION)
    listed = client.get("/v3/submission").json()["Items"]
    assert listed[0]["submission_id"] == submission_id and listed[0]["data"] == {} and listed[0]["image"] == {}
    erased = AuditEvent.objects.get(submission=submission, action="erased")
    assert erased.actor_label.startswith("api:") and "dpo" not in erased.actor_label
    assert erased.after_plain["admin"] == "[erased]"  # sealed with the submission's key, shredded with it
    assert "Anna" not in str(list(AuditEvent.objects.filter(submission=submission).values("before", "after")))


def test_partial_delete_erases_only_the_named_parts(api):
    client = api()
    submission_id = pending(client)
    response = client.delete("/v3/submission/partial", {"submission_id": submission_id, "fields": "selfie_image"})
    assert response.status_code == 200
    item = one(client, submission_id)
    assert set(item["image"]) == {"idImage"} and item["data"]["full_name"] == "Anna Nowak"
    assert_error(client.delete("/v3/submission/partial", {"submission_id": submission_id, "fields": "kidneys"}),
                 "invalid_input_format", "Invalid input type: fields.kidneys")
    assert_error(client.delete("/v3/submission/partial", {"submission_id": submission_id}),
                 "missing_parameters", "Missing required parameters.")
    assert_error(client.delete("/v3/submission", {"submission_id": "00000000-0000-4000-8000-000000000000"}),
                 *INVALID_ID)


def test_another_projects_submission_is_never_touched(api):
    client, other = api(), api()
    submission_id = pending(other)
    assert_error(client.patch_json("/v3/submission", {"submissionId": submission_id, "data": {"fullName": "X"}}),
                 *INVALID_ID)
    assert_error(client.post_json("/v3/submission/review", {"submissionId": submission_id, "status": "approved"}),
                 *INVALID_ID)
    assert_error(client.delete("/v3/submission", {"submission_id": submission_id}), *INVALID_ID)
    submission = Submission.objects.get(submission_id=submission_id)
    assert submission.status == "pending" and submission.erased_at is None
    assert submission.entered_data["name"] == "Anna Nowak"
