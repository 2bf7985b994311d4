"""POST /v3/submission/step2: identity verification against the licence barcode, the EGN and the
Korean ID authentication service (sandbox)."""

from datetime import date

import pytest
from stdnum.bg import egn as bg_egn

from conftest import assert_error
from submissions.choices import SubmissionStatus
from submissions.models import CheckResult
from submissions.tests.apis.helpers import API_DB, changes_nothing, step1_ok, submission_row
from verification.generator import generate_document, holder_selfie

pytestmark = API_DB

ID_FAIL = "identity_verification_fail"
KOR_ERROR = ("The ID card you submitted is currently unable to proceed due to Korean ID authentication server "
             "error in the authenticity verification server. Please proceed with a different ID card or try "
             "again later.")


def egn_for(born: date, *, female: bool) -> str:
    body = f"{born.year % 100:02d}{born.month + (40 if born.year >= 2000 else 0):02d}{born.day:02d}12" \
           f"{'1' if female else '2'}"
    return body + bg_egn.calc_check_digit(body)


def retry_items(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json().get("retry", [])


def identity_result(submission_id: str) -> CheckResult:
    return CheckResult.objects.filter(submission__submission_id=submission_id,
                                      check_name="identity_verification").latest("pk")


# -- Bulgaria: the EGN ---------------------------------------------------------------------------------


def test_a_bulgarian_egn_that_agrees_goes_pending(api):
    client = api()
    submission_id = step1_ok(client, country="BGR", id_type="government_id")
    response = client.step2(submission_id, name="Maria Ivanova", date_of_birth="1990-01-01", gender="female",
                            identity_number=egn_for(date(1990, 1, 1), female=True))
    assert retry_items(response) == [] and response.json()["kycStatus"] == "pending"
    assert identity_result(submission_id).evidence == {"source": "egn", "egn_from": "identity_number",
                                                       "verified": True, "mismatches": []}


def test_an_egn_of_another_birth_date_is_a_retry_naming_the_field(api):
    client = api()
    submission_id = step1_ok(client, country="BGR", id_type="government_id")
    response = client.step2(submission_id, name="Maria Ivanova", date_of_birth="1990-01-02", gender="female",
                            identity_number=egn_for(date(1990, 1, 1), female=True))
    assert retry_items(response) == [{
        "retryCode": ID_FAIL,
        "retryMsg": "ID verification failed: EGN information does not match. Mismatched: date_of_birth. "
                    "Please check the ID data"}]
    assert submission_row(submission_id).status == SubmissionStatus.INCOMPLETE


def test_an_invalid_egn_is_a_retry(api):
    client = api()
    submission_id = step1_ok(client, country="BGR", id_type="government_id")
    response = client.step2(submission_id, date_of_birth="1990-01-01", identity_number="9001011230")
    assert retry_items(response) == [{
        "retryCode": ID_FAIL,
        "retryMsg": "ID verification failed: EGN information does not match. The EGN is not valid. "
                    "Please check the ID data"}]


def test_a_bulgarian_applicant_without_an_egn_is_not_verified_and_goes_pending(api):
    client = api()
    submission_id = step1_ok(client, country="BGR", id_type="passport")
    response = client.step2(submission_id)
    assert retry_items(response) == []
    assert identity_result(submission_id).evidence["verified"] is False


# -- Korea: the authentication service ---------------------------------------------------------------


def test_a_korean_id_the_service_authenticates_goes_pending(api):
    client = api()
    submission_id = step1_ok(client, country="KOR", id_type="government_id")
    response = client.step2(submission_id, name="Kim Minsu", date_of_birth="1990-01-01",
                            identity_number="900101-1234567", date_of_issue="2015-03-01")
    assert retry_items(response) == [] and response.json()["kycStatus"] == "pending"
    evidence = identity_result(submission_id).evidence
    assert evidence["authenticated"] is True and evidence["reference"]


@pytest.mark.parametrize("number", ["900101-1000000", "900102-1234567", "9001011234"],
                         ids=["unknown-resident", "other-birth-date", "malformed"])
def test_a_korean_id_the_service_does_not_authenticate_is_a_retry(api, number):
    client = api()
    submission_id = step1_ok(client, country="KOR", id_type="government_id")
    response = client.step2(submission_id, name="Kim Minsu", date_of_birth="1990-01-01", identity_number=number)
    assert retry_items(response) == [{
        "retryCode": ID_FAIL, "retryMsg": "ID verification failed: Korean ID authentication failed. Please check the ID data."}]
    assert identity_result(submission_id).evidence["authenticated"] is False


def test_an_outage_of_the_korean_service_is_verify_kor_error_and_changes_nothing(api):
    client = api()
    submission_id = step1_ok(client, country="KOR", id_type="government_id")
    with changes_nothing():
        response = client.step2(submission_id, name="Kim Minsu", date_of_birth="1990-01-01",
                                identity_number="900101-1999999")
    assert_error(response, "verify_kor_error", KOR_ERROR)
    assert submission_row(submission_id).status == SubmissionStatus.INCOMPLETE


# -- USA / CAN / MEX driving licences: the PDF417 -----------------------------------------------------


@pytest.fixture(scope="module")
def licence():
    return generate_document("drivers_license", seed=21, surname="MORENO", given_names="LUCAS",
                             birth_date="1985-03-02", sex="M", document_number="D1234567")


def licence_step1(client, licence) -> str:
    return step1_ok(client, country="USA", id_type="drivers_license", image=licence.front, back=licence.back)


@pytest.mark.image_checks  # the barcode is read by the Step 1 checks
def test_a_licence_holder_whose_data_matches_the_barcode_goes_pending(api, licence):
    client = api()
    submission_id = licence_step1(client, licence)
    assert submission_row(submission_id).extracted_data["aamva"]["surname"] == "MORENO"
    response = client.step2(submission_id, name="Lucas Moreno", date_of_birth="1985-03-02", gender="male",
                            license_number="D1234567", face=holder_selfie(licence))
    assert retry_items(response) == [] and response.json()["kycStatus"] == "pending"


@pytest.mark.image_checks
def test_data_that_contradicts_the_barcode_is_a_retry_naming_the_fields(api, licence):
    client = api()
    submission_id = licence_step1(client, licence)
    response = client.step2(submission_id, name="Lucas Morales", date_of_birth="1985-03-20",
                            license_number="D1234567", face=holder_selfie(licence))
    assert retry_items(response) == [{
        "retryCode": ID_FAIL,
        "retryMsg": "ID verification failed: Barcode information does not match. Mismatched: name, date_of_birth. "
                    "Please check the ID data."}]


def test_a_licence_whose_barcode_was_not_read_is_not_verified(api):
    client = api()
    submission_id = step1_ok(client, country="USA", id_type="drivers_license")
    response = client.step2(submission_id)
    assert retry_items(response) == []
    assert identity_result(submission_id).evidence == {"source": "pdf417", "verified": False,
                                                       "reason": "no barcode was read at Step 1"}
