"""PATCH `data` and review `updateFields` validate exactly as Step 2 does (issue 14 item 13).

`fullName` as a list, an object, a number or a boolean used to be stored as its Python repr
(`"['a', 'b']"`), and `birthDate: "9999-12-31"` was accepted although Step 2 refuses it. Both
now go through Step 2's validator (`submissions.inputs.identity_field_parse`): the documented
`invalid_edit` naming the field, nothing changed, no audit row.
"""

import datetime

import pytest

from audit.models import AuditEvent
from conftest import assert_error
from submissions.models import Submission

pytestmark = pytest.mark.django_db(transaction=True)

REVIEW = "/v3/submission/review"
TOMORROW = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()

WRONG_VALUES = [
    ("fullName", ["a", "b"], "name"),
    ("fullName", {"first": "Anna"}, "name"),
    ("fullName", 42, "name"),
    ("fullName", 4.2, "name"),
    ("fullName", True, "name"),
    ("fullName", False, "name"),
    ("fullName", "N" * 201, "name"),
    ("documentNumber", 123456789, "document_number"),
    ("documentNumber", ["AB1234567"], "document_number"),
    ("identityNumber", {"n": 1}, "identity_number"),
    ("gender", True, "gender"),
    ("gender", "q", "gender"),
    ("nationality", ["POL"], "nationality"),
    ("issuingCountry", 616, "issuing_country"),
    ("idType", ["passport"], "id_type"),
    ("birthDate", "9999-12-31", "date_of_birth"),
    ("birthDate", TOMORROW, "date_of_birth"),
    ("birthDate", "1899-12-31", "date_of_birth"),
    ("birthDate", "1990-02-30", "date_of_birth"),
    ("birthDate", 19900412, "date_of_birth"),
    ("issueDate", ["2020-01-01"], "date_of_issue"),
    ("expireDate", "2030-13-01", "date_of_expiry"),
]
IDS = [f"{key}={'tomorrow' if value == TOMORROW else repr(value)}"[:40] for key, value, _ in WRONG_VALUES]


def pending(client) -> str:
    submission_id = client.step1().json()["submissionId"]
    assert client.step2(submission_id, document_number="AB1234567", gender="female").json()["kycStatus"] \
        == "pending"
    return submission_id


def unchanged(submission_id: str, before: Submission) -> None:
    after = Submission.objects.get(submission_id=submission_id)
    assert (after.status, after.issuing_country, after.id_type, after.entered_data) == (
        before.status, before.issuing_country, before.id_type, before.entered_data)
    assert not AuditEvent.objects.filter(submission=after, action="edited").exists()


@pytest.mark.parametrize(("key", "value", "stored"), WRONG_VALUES, ids=IDS)
def test_patch_refuses_what_step2_refuses(api, key, value, stored):
    client = api()
    submission_id = pending(client)
    before = Submission.objects.get(submission_id=submission_id)
    response = client.patch_json("/v3/submission", {"submissionId": submission_id, "data": {key: value}})
    assert_error(response, "invalid_edit", f"Invalid value for: {stored}.")
    unchanged(submission_id, before)


@pytest.mark.parametrize(("key", "value", "stored"), WRONG_VALUES, ids=IDS)
def test_review_update_fields_refuse_what_step2_refuses(api, key, value, stored):
    client = api()
    submission_id = pending(client)
    before = Submission.objects.get(submission_id=submission_id)
    response = client.post_json(REVIEW, {"submissionId": submission_id, "status": "approved",
                                         "updateFields": {key: value}})
    assert_error(response, "invalid_edit", f"Invalid value for: {stored}.")
    unchanged(submission_id, before)


def test_patch_stores_values_as_step2_stores_them(api):
    client = api()
    submission_id = pending(client)
    response = client.patch_json("/v3/submission", {"submissionId": submission_id, "data": {
        "fullName": "  Anna Maria Nowak ", "gender": "F", "birthDate": "1900-01-01", "nationality": "DEU"}})
    assert response.status_code == 200, response.text
    entered = Submission.objects.get(submission_id=submission_id).entered_data
    assert entered["name"] == "Anna Maria Nowak" and entered["gender"] == "female"
    assert entered["date_of_birth"] == "1900-01-01" and entered["nationality"] == "DEU"


def test_step2_refuses_the_same_birth_date(api):
    client = api()
    submission_id = client.step1().json()["submissionId"]
    assert_error(client.step2(submission_id, date_of_birth="9999-12-31"), "invalid_input_format",
                 "Invalid input type: date_of_birth")
