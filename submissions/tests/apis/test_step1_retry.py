"""Step 1 retry envelope, its gating by project options, and the retry limit.

The checks here are test doubles registered on the real pipeline (`scripted_check`), not
shipped checks: they exercise how findings become answers.
"""

import pytest

from conftest import assert_error, image_bytes
from submissions.checks.base import CheckReport, Finding
from submissions.choices import CheckOutcome, FileKind, Step, SubmissionStatus
from submissions.codes import Step1ErrorCode, Step1RetryCode
from submissions.models import CheckResult, StoredFile
from submissions.tests.apis.helpers import API_DB, changes_nothing, media_files, step1_ok, submission_row

GLARE = Finding(Step1RetryCode.GLARE_DETECTED)
GLARE_ITEM = {"retryCode": "glare_detected", "retryMsg": "Please retake ID image without light smudging"}
MRZ_ITEM = {"retryCode": "mrz_protocol_fail", "retryMsg": "Failed to detect full MRZ"}

pytestmark = API_DB


def retry_body(submission_id, items, *, retry_count, status="incomplete", **extra):
    return {"submissionId": submission_id, "retry": items, "kycStatus": status, "retryCount": retry_count,
            "idType": "passport", "issuingCountry": "POL", **extra}


# -- gating ---------------------------------------------------------------------------


def test_gated_finding_with_validation_off_is_recorded_as_suppressed(api, scripted_check):
    client = api(id_card_validation=False)
    check = scripted_check(codes=(Step1RetryCode.GLARE_DETECTED, Step1RetryCode.MRZ_PROTOCOL_FAIL), default=[GLARE])
    response = client.step1()
    assert response.status_code == 200, response.text
    body = response.json()
    assert "retry" not in body and body["kycStatus"] == "incomplete" and body["retryCount"] == 0
    assert check.runs == 1
    result = CheckResult.objects.get(submission__submission_id=body["submissionId"], check_name=check.name)
    assert (result.step, result.outcome, result.code) == (Step.STEP1, CheckOutcome.SUPPRESSED, "glare_detected")
    assert result.message == "Please retake ID image without light smudging"
    assert submission_row(body["submissionId"]).is_step1_complete()


def test_check_whose_every_code_is_switched_off_does_not_run(api, scripted_check):
    client = api(id_card_validation=False)
    check = scripted_check(codes=(Step1RetryCode.GLARE_DETECTED,), default=[GLARE])
    submission_id = step1_ok(client)
    assert check.runs == 0
    assert not CheckResult.objects.filter(submission__submission_id=submission_id, check_name=check.name).exists()


def test_gated_finding_with_validation_on_is_a_retry(api, scripted_check):
    client = api(id_card_validation=True)
    check = scripted_check(codes=(Step1RetryCode.GLARE_DETECTED,), default=[GLARE])
    response = client.step1()
    assert response.status_code == 200, response.text
    submission_id = response.json()["submissionId"]
    assert response.json() == retry_body(submission_id, [GLARE_ITEM], retry_count=1)
    submission = submission_row(submission_id)
    assert (submission.status, submission.retry_count) == (SubmissionStatus.INCOMPLETE, 1)
    assert not submission.is_step1_complete()
    result = CheckResult.objects.get(submission=submission, check_name=check.name)
    assert (result.outcome, result.code, result.attempt) == (CheckOutcome.RETRY, "glare_detected", 0)
    # The retried image is kept as evidence.
    front = StoredFile.objects.get(submission=submission, kind=FileKind.ID_FRONT)
    assert front.file.name in media_files()


@pytest.mark.parametrize(
    ("code", "item"),
    [
        (Step1RetryCode.MRZ_PROTOCOL_FAIL, MRZ_ITEM),
        (Step1RetryCode.BARCODE_PROTOCOL_FAIL, {"retryCode": "barcode_protocol_fail",
                                                "retryMsg": "Failed to read PDF417 Barcode"}),
    ],
)
def test_protocol_failures_answer_even_with_validation_off(api, scripted_check, code, item):
    client = api(id_card_validation=False)
    scripted_check(codes=(code,), default=[Finding(code)])
    response = client.step1()
    assert response.status_code == 200, response.text
    assert response.json() == retry_body(response.json()["submissionId"], [item], retry_count=1)


LIVENESS = Finding(Step1RetryCode.ID_LIVENESS_FAIL, params={"#pipelines": "Screen replay, Paper printed"})


def test_id_liveness_failure_is_off_without_attack_prevention(api, scripted_check):
    client = api(id_card_validation=True, attack_prevention=False)
    check = scripted_check(codes=(Step1RetryCode.ID_LIVENESS_FAIL,), default=[LIVENESS])
    step1_ok(client)
    assert check.runs == 0


def test_id_liveness_failure_with_attack_prevention_names_the_pipelines(api, scripted_check):
    client = api(id_card_validation=False, attack_prevention=True)
    scripted_check(codes=(Step1RetryCode.ID_LIVENESS_FAIL,), default=[LIVENESS])
    response = client.step1()
    assert response.status_code == 200, response.text
    assert response.json()["retry"] == [{
        "retryCode": "id_liveness_fail",
        "retryMsg": "Liveness validation of Id image failed. Failed for: Screen replay, Paper printed",
    }]


def test_findings_of_several_checks_are_one_retry(api, scripted_check):
    client = api(id_card_validation=True)
    scripted_check(codes=(Step1RetryCode.GLARE_DETECTED,), default=[GLARE])
    scripted_check(codes=(Step1RetryCode.MRZ_PROTOCOL_FAIL,), default=[Finding(Step1RetryCode.MRZ_PROTOCOL_FAIL)])
    response = client.step1()
    assert response.status_code == 200, response.text
    assert response.json() == retry_body(response.json()["submissionId"], [GLARE_ITEM, MRZ_ITEM], retry_count=1)


# -- error findings -------------------------------------------------------------------


def test_error_finding_answers_400_and_keeps_nothing(api, scripted_check):
    client = api()
    scripted_check(codes=(Step1ErrorCode.NOT_AN_ID,), default=[Finding(Step1ErrorCode.NOT_AN_ID)])
    with changes_nothing():
        response = client.step1()
    assert_error(response, "not_an_id", "Please take a picture of an ID card.")


def test_error_finding_stops_before_later_retries(api, scripted_check):
    client = api(id_card_validation=True)
    scripted_check(codes=(Step1ErrorCode.NOT_AN_ID,), default=[Finding(Step1ErrorCode.NOT_AN_ID)])
    later = scripted_check(codes=(Step1RetryCode.GLARE_DETECTED,), default=[GLARE])
    with changes_nothing():
        response = client.step1()
    assert_error(response, "not_an_id", "Please take a picture of an ID card.")
    assert later.runs == 0


def test_error_finding_on_a_retry_keeps_the_submission_as_it_was(api, scripted_check):
    client = api(id_card_validation=True)
    scripted_check(codes=(Step1RetryCode.GLARE_DETECTED, Step1ErrorCode.NOT_AN_ID),
                   answers=[[GLARE]], default=[Finding(Step1ErrorCode.NOT_AN_ID)])
    submission_id = client.step1().json()["submissionId"]
    with changes_nothing():
        response = client.step1(submissionId=submission_id, back=image_bytes())
    assert_error(response, "not_an_id", "Please take a picture of an ID card.")
    assert submission_row(submission_id).retry_count == 1


# -- retrying by submissionId ---------------------------------------------------------


def test_retry_by_submission_id_completes_step1_and_keeps_the_count(api, scripted_check):
    client = api(id_card_validation=True)
    scripted_check(codes=(Step1RetryCode.GLARE_DETECTED,), answers=[[GLARE]])
    first = client.step1()
    submission_id = first.json()["submissionId"]
    assert first.json()["retryCount"] == 1

    second = client.step1(submissionId=submission_id, id_type="government_id", country="DEU")
    assert second.status_code == 200, second.text
    assert second.json() == {"submissionId": submission_id, "kycStatus": "incomplete", "retryCount": 1,
                             "idType": "government_id", "issuingCountry": "DEU"}
    submission = submission_row(submission_id)
    assert submission.is_step1_complete()
    assert (submission.id_type, submission.issuing_country) == ("government_id", "DEU")
    fronts = StoredFile.objects.filter(submission=submission, kind=FileKind.ID_FRONT)
    assert fronts.count() == 2 and fronts.filter(superseded_at__isnull=True).count() == 1
    assert client.step2(submission_id).json()["kycStatus"] == "pending"


def test_each_retry_adds_one_to_the_count(api, scripted_check):
    client = api(id_card_validation=True)
    scripted_check(codes=(Step1RetryCode.GLARE_DETECTED,), default=[GLARE])
    submission_id = client.step1().json()["submissionId"]
    response = client.step1(submissionId=submission_id)
    assert response.json() == retry_body(submission_id, [GLARE_ITEM], retry_count=2)
    assert CheckResult.objects.filter(submission__submission_id=submission_id).count() == 2
    assert sorted(CheckResult.objects.values_list("attempt", flat=True)) == [0, 1]


def test_reaching_the_retry_limit_rejects_with_too_many_retry(api, scripted_check):
    client = api(id_card_validation=True)
    assert client.project.retry_limit == 3
    scripted_check(codes=(Step1RetryCode.GLARE_DETECTED,), default=[GLARE])
    submission_id = client.step1().json()["submissionId"]
    assert client.step1(submissionId=submission_id).json()["kycStatus"] == "incomplete"

    third = client.step1(submissionId=submission_id)
    assert third.status_code == 200, third.text
    kyc = {"result": "rejected", "commentCode": ["too_many_retry"], "comment": ["Multiple invalid KYC attempts"]}
    assert third.json() == retry_body(submission_id, [GLARE_ITEM], retry_count=3, status="rejected", kyc=kyc)
    submission = submission_row(submission_id)
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["too_many_retry"]
    assert submission.reject_comments == ["Multiple invalid KYC attempts"]

    with changes_nothing():
        fourth = client.step1(submissionId=submission_id)
    assert_error(fourth, "processed_submission", "This submission is already processed.")


def test_project_retry_limit_of_one_rejects_on_the_first_retry(api, scripted_check):
    client = api(id_card_validation=True, retry_limit=1)
    scripted_check(codes=(Step1RetryCode.GLARE_DETECTED,), default=[GLARE])
    response = client.step1()
    assert response.json()["kycStatus"] == "rejected"
    assert response.json()["kyc"]["commentCode"] == ["too_many_retry"]


def test_suppressed_findings_do_not_count_as_retries(api, scripted_check):
    client = api(id_card_validation=False, retry_limit=1)
    scripted_check(codes=(Step1RetryCode.GLARE_DETECTED, Step1RetryCode.MRZ_PROTOCOL_FAIL), default=[GLARE])
    submission_id = step1_ok(client)
    assert submission_row(submission_id).retry_count == 0


def test_score_of_a_passed_check_is_recorded(api, scripted_check):
    client = api()
    check = scripted_check(default=CheckReport(score=88.5, threshold=50, evidence={"pages": 1}))
    submission_id = step1_ok(client)
    result = CheckResult.objects.get(submission__submission_id=submission_id, check_name=check.name)
    assert (result.outcome, result.score, result.threshold, result.evidence) == (
        CheckOutcome.PASSED, 88.5, 50, {"pages": 1})
