"""Control characters at the input boundary of every v3 endpoint (issue 14 item 12).

A NUL byte in a Step 1 `userid` or `cf1` used to reach the database (PostgreSQL refuses NUL
in text: the generic fault code, with a traceback logged), and one in a name was stored. Now
every field of every endpoint is checked once, before anything reads it: the documented
`invalid_input_format` naming the field, nothing stored, nothing logged at ERROR.
"""

import logging

import pytest

from conftest import assert_error, image_bytes
from submissions.tests.apis.helpers import PRESTEP2, STEP1, STEP2, changes_nothing

pytestmark = pytest.mark.django_db(transaction=True)

NUL = "\x00"


def no_error_logged(caplog) -> None:
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], [record.getMessage() for record in errors]


def refused(response, field: str) -> None:
    assert_error(response, "invalid_input_format", f"Invalid input type: {field}")


def pending(client) -> str:
    submission_id = client.step1().json()["submissionId"]
    assert client.step2(submission_id).json()["kycStatus"] == "pending"
    return submission_id


STEP1_FIELDS = ["userid", "cf1", "cf2", "cf3", "email", "issuingCountry", "idType", "customOptions",
                "submissionId", "projectId"]


@pytest.mark.parametrize("field", STEP1_FIELDS)
def test_step1_refuses_a_nul_in_any_field(api, caplog, field):
    client = api()
    caplog.set_level(logging.INFO)
    values = {"email": "anna@example.com", "issuingCountry": "POL", "idType": "passport", field: f"a{NUL}b"}
    with changes_nothing():
        response = client.post_form(STEP1, values, {"idImage": image_bytes()})
    refused(response, field)
    no_error_logged(caplog)


STEP2_FIELDS = ["name", "date_of_birth", "gender", "nationality", "identity_number", "license_number",
                "document_number", "serial_number", "idType", "globalCode", "compoundCode", "formatted_address",
                "address_input", "address_detail", "userOccupancyName", "userOccupancyCode", "projectId"]


@pytest.mark.parametrize("field", STEP2_FIELDS)
def test_step2_refuses_a_nul_in_any_field(api, caplog, field):
    client = api()
    submission_id = client.step1().json()["submissionId"]
    caplog.set_level(logging.INFO)
    values = {"submissionId": submission_id, "name": "Anna Nowak", "date_of_birth": "1990-04-12",
              field: f"Anna{NUL}"}
    with changes_nothing():
        response = client.post_form(STEP2, values, {"faceImage": image_bytes(size=(480, 640))})
    refused(response, field)
    no_error_logged(caplog)


@pytest.mark.parametrize("field", ["submissionId", "requestType", "userName", "bankCode", "accountNumber"])
def test_prestep2_refuses_a_nul_in_any_field(api, caplog, field):
    client = api(account_occupancy_kor=True)
    submission_id = client.step1(country="KOR", id_type="government_id").json()["submissionId"]
    caplog.set_level(logging.INFO)
    body = {"submissionId": submission_id, "requestType": "occupancy", "userName": "Kim Minsu",
            "bankCode": "004", "accountNumber": "1234567890"}
    body[field] = body[field] + NUL
    with changes_nothing():
        response = client.post_json(PRESTEP2, body)
    refused(response, field)
    no_error_logged(caplog)


@pytest.mark.parametrize("field", ["email", "userid", "status", "start_date", "end_date", "count", "nextpage_key",
                                   "submission_id"])
def test_get_refuses_a_nul_in_any_query_parameter(api, caplog, field):
    client = api()
    client.step1()
    caplog.set_level(logging.INFO)
    refused(client.get("/v3/submission", {field: f"x{NUL}"}), field)
    no_error_logged(caplog)


PATCH_FIELDS = ["fullName", "birthDate", "issueDate", "expireDate", "gender", "nationality", "idType",
                "issuingCountry", "identityNumber", "documentNumber", "kycStatus"]


@pytest.mark.parametrize("field", PATCH_FIELDS)
def test_patch_refuses_a_nul_in_any_data_field(api, caplog, field):
    client = api()
    submission_id = pending(client)
    caplog.set_level(logging.INFO)
    with changes_nothing():
        response = client.patch_json("/v3/submission", {"submissionId": submission_id, "data": {field: f"A{NUL}"}})
    refused(response, f"data.{field}")
    no_error_logged(caplog)


@pytest.mark.parametrize(("body", "field"), [
    ({"admin": f"ops{NUL}"}, "admin"),
    ({"updateFields": {"fullName": f"Anna{NUL}Nowak"}}, "updateFields.fullName"),
    ({"updateFields": {"documentNumber": f"AB{NUL}"}}, "updateFields.documentNumber"),
    ({"status": f"approved{NUL}"}, "status"),
    ({"status": "rejected", "rejectComment": {"commentCode": ["other"], "comment": [f"Retake{NUL}"]}},
     "rejectComment.comment"),
    ({"status": "rejected", "rejectComment": {"commentCode": [f"other{NUL}"], "comment": ["Retake"]}},
     "rejectComment.commentCode"),
    ({"updateFields": {f"full{NUL}Name": "Anna"}}, "updateFields.full\\x00Name"),
])
def test_review_refuses_a_nul_in_any_field(api, caplog, body, field):
    client = api()
    submission_id = pending(client)
    caplog.set_level(logging.INFO)
    with changes_nothing():
        response = client.post_json("/v3/submission/review",
                                    {"submissionId": submission_id, "status": "approved", **body})
    refused(response, field)
    no_error_logged(caplog)


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/v3/submission", {"admin_name": f"dpo{NUL}"}, "admin_name"),
    ("/v3/submission", {"submission_id": NUL}, "submission_id"),
    ("/v3/submission/partial", {"fields": f"data{NUL}"}, "fields"),
])
def test_delete_refuses_a_nul_in_any_parameter(api, caplog, path, params, field):
    client = api()
    submission_id = pending(client)
    caplog.set_level(logging.INFO)
    with changes_nothing():
        response = client.delete(path, {"submission_id": submission_id, "fields": "data", **params})
    refused(response, field)
    no_error_logged(caplog)


@pytest.mark.parametrize("control", ["\x01", "\x1b[31m", "\x7f", "\x85", "\n", "\r", "\u009b"],
                         ids=["SOH", "ESC", "DEL", "NEL", "LF", "CR", "CSI"])
def test_other_control_characters_in_a_single_line_field_are_refused(api, caplog, control):
    client = api()
    submission_id = client.step1().json()["submissionId"]
    caplog.set_level(logging.INFO)
    with changes_nothing():
        response = client.step2(submission_id, name=f"Anna{control}Nowak")
    refused(response, "name")
    no_error_logged(caplog)


def test_a_tab_and_line_breaks_where_text_may_span_lines_are_accepted(api):
    client = api()
    submission_id = pending(client)
    response = client.post_json("/v3/submission/review", {
        "submissionId": submission_id, "status": "rejected",
        "rejectComment": {"commentCode": ["other"], "comment": ["Too dark.\r\nRetake it\tin daylight."]}})
    assert response.status_code == 200, response.text
    assert response.json()["kyc"]["comment"] == ["Too dark.\r\nRetake it\tin daylight."]
