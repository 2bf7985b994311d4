"""POST /v3/submission/step2: what a Step 2 that passes parsing answers.

Pending review, the bank-code retries, the retry count shared with Step 1, and the
automatic decisions (reject rules, auto-approval, automated processing only).
"""

from datetime import date, timedelta

import pytest

from audit.services import Actor
from conftest import assert_error
from reviews.services import review_approve
from submissions.checks.base import CheckReport, Finding
from submissions.choices import FileKind, Step, SubmissionStatus
from submissions.codes import Step1RetryCode, Step2RetryCode
from submissions.models import StoredFile
from submissions.services import AUTOMATED_ONLY_COMMENT
from submissions.tests.apis.helpers import API_DB, changes_nothing, prestep2_deposit, step1_ok, step2_ok, submission_row

LIVENESS_ITEM = {"retryCode": "liveness_fail", "retryMsg": "Liveness fail. Please retry with another face image."}

pytestmark = API_DB


def answer(submission_id, status, *, retry_count=0, id_type="passport", country="POL", **extra):
    return {"submissionId": submission_id, **extra, "kycStatus": status, "retryCount": retry_count,
            "idType": id_type, "issuingCountry": country}


def rejected(*codes_and_comments):
    return {"result": "rejected", "commentCode": [c for c, _ in codes_and_comments],
            "comment": [m for _, m in codes_and_comments]}


def test_success_goes_pending_and_keeps_the_data(api):
    client = api()
    submission_id = step1_ok(client)
    body = step2_ok(client, submission_id, gender="F", nationality="POL", document_number="AB123456")
    assert body == answer(submission_id, "pending")
    submission = submission_row(submission_id)
    assert submission.status == SubmissionStatus.PENDING and submission.step2_completed_at is not None
    assert submission.entered_data == {"name": "Anna Nowak", "date_of_birth": "1990-04-12", "gender": "female",
                                       "nationality": "POL", "document_number": "AB123456"}
    assert submission.identity_key
    assert StoredFile.objects.filter(submission=submission, kind=FileKind.SELFIE).count() == 1


# -- bank account occupancy -----------------------------------------------------------


@pytest.fixture
def bank_client(api):
    return api(account_occupancy_kor=True)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1000:03d}"


def test_correct_bank_code_and_holder_go_pending(bank_client):
    submission_id = step1_ok(bank_client)
    code = prestep2_deposit(bank_client, submission_id, user_name="Kim Minsu")
    body = step2_ok(bank_client, submission_id, name="Kim Minsu", userOccupancyName="kim  minsu",
                    userOccupancyCode=code)
    assert body == answer(submission_id, "pending")
    assert "userOccupancyCode" not in submission_row(submission_id).entered_data


@pytest.mark.parametrize(
    ("account", "wrong_code", "item"),
    [
        ("1234567890", True, {"retryCode": "bank_authentication_code_fail",
                              "retryMsg": "1 won authentication fail. The authentication code doesn't match."}),
        ("0001234567", False, {"retryCode": "bank_authentication_name_fail",
                               "retryMsg": "1 won authentication fail. The account holder doesn't match."}),
        ("0001234567", True, {"retryCode": "bank_authentication_fail",
                              "retryMsg": "The authentication code and account holder doesn't match."}),
    ],
    ids=["wrong-code", "holder-mismatch", "both-wrong"],
)
def test_bank_mismatch_is_a_retry(bank_client, account, wrong_code, item):
    submission_id = step1_ok(bank_client)
    code = prestep2_deposit(bank_client, submission_id, user_name="Kim Minsu", account_number=account)
    response = bank_client.step2(submission_id, name="Kim Minsu", userOccupancyName="Kim Minsu",
                                 userOccupancyCode=other_code(code) if wrong_code else code)
    assert response.status_code == 200, response.text
    assert response.json() == answer(submission_id, "incomplete", retry_count=1, retry=[item])
    submission = submission_row(submission_id)
    assert (submission.status, submission.retry_count) == (SubmissionStatus.INCOMPLETE, 1)
    assert submission.step2_completed_at is None


def test_bank_code_retry_then_the_right_code_goes_pending(bank_client):
    submission_id = step1_ok(bank_client)
    code = prestep2_deposit(bank_client, submission_id)
    fields = {"name": "Kim Minsu", "userOccupancyName": "Kim Minsu"}
    assert bank_client.step2(submission_id, userOccupancyCode=other_code(code), **fields).json()["retryCount"] == 1
    body = step2_ok(bank_client, submission_id, userOccupancyCode=code, **fields)
    assert body == answer(submission_id, "pending", retry_count=1)
    assert StoredFile.objects.filter(submission__submission_id=submission_id, kind=FileKind.SELFIE,
                                     superseded_at__isnull=True).count() == 1


def test_code_of_a_replaced_deposit_no_longer_matches(bank_client):
    submission_id = step1_ok(bank_client)
    first_code = prestep2_deposit(bank_client, submission_id)
    second_code = prestep2_deposit(bank_client, submission_id)
    fields = {"name": "Kim Minsu", "userOccupancyName": "Kim Minsu"}
    if first_code != second_code:
        response = bank_client.step2(submission_id, userOccupancyCode=first_code, **fields)
        assert response.json()["retry"][0]["retryCode"] == "bank_authentication_code_fail"
    assert step2_ok(bank_client, submission_id, userOccupancyCode=second_code, **fields)["kycStatus"] == "pending"


# -- retries shared between Step 1 and Step 2 -----------------------------------------


def test_step1_and_step2_retries_share_one_count(api, scripted_check):
    client = api(id_card_validation=True)
    scripted_check(codes=(Step1RetryCode.GLARE_DETECTED,), answers=[[Finding(Step1RetryCode.GLARE_DETECTED)]])
    scripted_check(step=Step.STEP2, default=[Finding(Step2RetryCode.LIVENESS_FAIL)])
    submission_id = client.step1().json()["submissionId"]
    assert step1_ok(client, submissionId=submission_id) == submission_id

    second = client.step2(submission_id)
    assert second.json() == answer(submission_id, "incomplete", retry_count=2, retry=[LIVENESS_ITEM])

    third = client.step2(submission_id)
    assert third.status_code == 200, third.text
    kyc = rejected(("too_many_retry", "Multiple invalid KYC attempts"))
    assert third.json() == answer(submission_id, "rejected", retry_count=3, retry=[LIVENESS_ITEM], kyc=kyc)
    assert submission_row(submission_id).reject_codes == ["too_many_retry"]
    with changes_nothing():
        fourth = client.step2(submission_id)
    assert_error(fourth, "processed_submission", "This submission is already processed.")


def test_step2_retry_then_success_goes_pending(api, scripted_check):
    client = api()
    scripted_check(step=Step.STEP2, answers=[[Finding(Step2RetryCode.LIVENESS_FAIL)]])
    submission_id = step1_ok(client)
    assert client.step2(submission_id).json() == answer(submission_id, "incomplete", retry_count=1,
                                                         retry=[LIVENESS_ITEM])
    assert step2_ok(client, submission_id) == answer(submission_id, "pending", retry_count=1)


# -- automatic rules ------------------------------------------------------------------


def test_blacklisted_country_is_rejected(api):
    client = api(blacklist_countries=["POL"])
    submission_id = step1_ok(client)
    body = step2_ok(client, submission_id)
    assert body == answer(submission_id, "rejected", kyc=rejected(
        ("blacklistCountry", "According to the policy, we do not accept KYC from POL.")))
    submission = submission_row(submission_id)
    assert submission.status == SubmissionStatus.REJECTED and submission.decided_at is not None


def ten_years_ago() -> str:
    return (date.today() - timedelta(days=3653)).isoformat()


def test_applicant_under_the_age_limit_is_rejected(api):
    client = api(age_limit=18)
    submission_id = step1_ok(client)
    body = step2_ok(client, submission_id, date_of_birth=ten_years_ago())
    assert body == answer(submission_id, "rejected", kyc=rejected(
        ("under_ageLimit", "We do not accept KYC anyone under 18 years old.")))


def test_applicant_of_the_age_limit_goes_pending(api):
    client = api(age_limit=18)
    submission_id = step1_ok(client)
    assert step2_ok(client, submission_id, date_of_birth="1990-04-12")["kycStatus"] == "pending"


def test_every_broken_rule_is_listed(api):
    client = api(blacklist_countries=["POL"], age_limit=18, accepted_id_types={"*": ["government_id"]})
    submission_id = step1_ok(client)
    body = step2_ok(client, submission_id, date_of_birth=ten_years_ago())
    assert body["kyc"]["commentCode"] == ["blacklistCountry", "under_ageLimit", "invalid_acceptedID"]


@pytest.mark.parametrize(
    ("options", "custom_options", "dob"),
    [
        ({"blacklist_countries": ["POL"]}, '{"blacklistCountries": false}', "1990-04-12"),
        ({"age_limit": 18}, '{"ageLimit": false}', None),
    ],
    ids=["blacklist-off", "age-limit-off"],
)
def test_custom_options_at_step1_switch_a_rule_off(api, options, custom_options, dob):
    client = api(**options)
    submission_id = step1_ok(client, customOptions=custom_options)
    body = step2_ok(client, submission_id, date_of_birth=dob or ten_years_ago())
    assert body == answer(submission_id, "pending")


def test_id_type_the_project_does_not_accept_is_rejected(api):
    client = api(accepted_id_types={"*": ["passport"]})
    submission_id = step1_ok(client, id_type="drivers_license")
    body = step2_ok(client, submission_id)
    assert body == answer(submission_id, "rejected", id_type="drivers_license", kyc=rejected((
        "invalid_acceptedID",
        "Inacceptable ID type. Please resubmit with another ID, check the valid ID on the submission page.",
    )))


def test_accepted_id_types_per_country(api):
    client = api(accepted_id_types={"*": ["passport"], "DEU": ["government_id"]})
    submission_id = step1_ok(client, id_type="government_id", country="DEU")
    assert step2_ok(client, submission_id)["kycStatus"] == "pending"


def test_identity_of_an_approved_submission_is_duplicate_user(api):
    client = api(reject_duplicate_user=True)
    first_id = step1_ok(client, email="first@example.com")
    step2_ok(client, first_id, name="Anna Nowak")
    review_approve(submission_id=first_id, actor=Actor.system("t"))

    second_id = step1_ok(client, email="second@example.com")
    body = step2_ok(client, second_id, name="ANNA  NOWAK")
    assert body == answer(second_id, "rejected", kyc=rejected((
        "duplicate_user",
        "Identity has been determined to be the same duplicate as the previously approved one.",
    )))


def test_same_identity_is_not_a_duplicate_without_the_option_or_approval(api):
    client = api(reject_duplicate_user=True)
    first_id = step1_ok(client, email="first@example.com")
    step2_ok(client, first_id)  # pending, not approved
    second_id = step1_ok(client, email="second@example.com")
    assert step2_ok(client, second_id)["kycStatus"] == "pending"


@pytest.mark.parametrize(("score", "status"), [(95, "approved"), (90, "approved"), (50, "pending")])
def test_score_at_or_above_the_auto_approve_score_approves(api, scripted_check, score, status):
    client = api(auto_approve_score=90)
    scripted_check(step=Step.STEP2, default=CheckReport(score=score))
    submission_id = step1_ok(client)
    body = step2_ok(client, submission_id)
    kyc = {"kyc": {"result": "approved", "commentCode": [], "comment": []}} if status == "approved" else {}
    assert body == answer(submission_id, status, **kyc)


def test_auto_approve_needs_a_score(api):
    client = api(auto_approve_score=0)
    submission_id = step1_ok(client)
    assert step2_ok(client, submission_id)["kycStatus"] == "pending"


def test_automated_processing_only_rejects_what_would_be_pending(api):
    client = api(automated_processing_only=True)
    submission_id = step1_ok(client)
    body = step2_ok(client, submission_id)
    assert body == answer(submission_id, "rejected", kyc=rejected(("other", AUTOMATED_ONLY_COMMENT)))


def test_automated_processing_only_still_auto_approves(api, scripted_check):
    client = api(automated_processing_only=True, auto_approve_score=80)
    scripted_check(step=Step.STEP2, default=CheckReport(score=81))
    submission_id = step1_ok(client)
    assert step2_ok(client, submission_id)["kycStatus"] == "approved"
