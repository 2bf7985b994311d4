"""id_liveness_fail / id_liveness_error (attack prevention option) in the Step 1 pipeline and over HTTP."""

import json

import numpy as np
import pytest
from django.test import override_settings

from submissions.checks import check_list, pipeline_run
from submissions.checks.base import CheckContext
from submissions.choices import CheckOutcome, FileKind, Step
from submissions.codes import Step1ErrorCode, Step1RetryCode, code_message
from submissions.images import image_read_bytes
from submissions.models import CheckResult
from submissions.tests.factories import ProjectFactory, SubmissionFactory
from verification.tests.registry_samples import HTTP_COUNTRIES, ID_TYPES, KINDS, document, onnx_constant_model

pytestmark = pytest.mark.image_checks

ATTACKS = [
    ("screen_moire", "Screen replay"),
    ("device_frame", "Screen replay"),
    ("grayscale", "Paper printed"),
    ("replaced_portrait", "Replace portraits"),
]


def liveness_checks():
    return [check for check in check_list(Step.STEP1) if check.name == "id_liveness"]


def run(doc, **options):
    project = ProjectFactory(**{"attack_prevention": True, **options})
    submission = SubmissionFactory(project=project, step1_done=False, requested_id_type=ID_TYPES[doc.kind],
                                   id_type=ID_TYPES[doc.kind], issuing_country=doc.country)
    images = {FileKind.ID_FRONT: image_read_bytes(doc.front)}
    if doc.back is not None:
        images[FileKind.ID_BACK] = image_read_bytes(doc.back)
    ctx = CheckContext(submission=submission, project=project, step=Step.STEP1, images=images)
    return pipeline_run(ctx, checks=liveness_checks())


def the_run(outcome):
    (only,) = outcome.runs
    return only


def test_the_check_is_registered_with_its_codes():
    (check,) = liveness_checks()
    assert check.codes == (Step1RetryCode.ID_LIVENESS_FAIL, Step1ErrorCode.ID_LIVENESS_ERROR)
    assert check.fault_code == Step1ErrorCode.ID_LIVENESS_ERROR and check.analyses_images


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_genuine_capture_passes_every_pipeline(kind):
    outcome = run(document(kind, 1))
    result = the_run(outcome)
    assert outcome.retry == [] and result.outcome == CheckOutcome.PASSED
    assert result.report.threshold == 50 and result.report.score >= 50
    pipelines = result.report.evidence["pipelines"]
    assert set(pipelines) == {"screen_replay", "paper_printed", "replaced_portrait"}
    assert all(p["passed"] and p["provider"].endswith("_heuristic") for p in pipelines.values())
    json.dumps(result.report.evidence)


@pytest.mark.django_db
@pytest.mark.parametrize(("defect", "name"), ATTACKS)
@pytest.mark.parametrize("kind", KINDS)
def test_each_attack_answers_id_liveness_fail_naming_its_pipeline(defect, name, kind):
    outcome = run(document(kind, 2, (defect,)))
    (finding,) = outcome.retry
    assert finding.code == Step1RetryCode.ID_LIVENESS_FAIL
    failing = finding.params["#pipelines"].split(", ")
    assert name in failing
    assert code_message(finding.code, **finding.params) == (
        f"Liveness validation of Id image failed. Failed for: {finding.params['#pipelines']}")
    report = the_run(outcome).report
    assert report.score < report.threshold
    assert [p["name"] for p in report.evidence["pipelines"].values() if not p["passed"]] == failing


@pytest.mark.django_db
def test_the_replaced_portrait_is_located_in_stored_image_pixels():
    doc = document("id_card", 2, ("replaced_portrait",))
    report = the_run(run(doc)).report
    quad = np.array(report.evidence["pipelines"]["replaced_portrait"]["details"]["portrait_quad"])
    x0, y0, x1, y1 = doc.truth["regions"]["replaced_portrait"]
    assert abs(quad[:, 0].min() - x0) < 40 and abs(quad[:, 0].max() - x1) < 40
    assert abs(quad[:, 1].min() - y0) < 60
    truth = np.array(doc.truth["regions"]["document_quad"])
    assert np.abs(np.array(report.evidence["document_quad"]) - truth).max() < 40


@pytest.mark.django_db
def test_the_projects_threshold_decides():
    attack = document("passport", 2, ("grayscale",))
    assert run(attack, id_liveness_threshold=0).retry == []
    lenient = the_run(run(attack, id_liveness_threshold=0))
    assert lenient.report.threshold == 0 and lenient.outcome == CheckOutcome.PASSED


@pytest.mark.django_db
def test_without_attack_prevention_the_check_does_not_run():
    assert run(document("passport", 2, ("grayscale",)), attack_prevention=False).runs == []


@pytest.mark.django_db
def test_the_fail_is_answered_with_id_card_validation_off():
    # gated by attack prevention only (the table's gate), not by ID card validation
    outcome = run(document("passport", 2, ("grayscale",)), id_card_validation=False)
    assert [f.code for f in outcome.retry] == [Step1RetryCode.ID_LIVENESS_FAIL]


@pytest.mark.django_db
def test_an_onnx_model_replaces_the_heuristic_of_its_pipeline(tmp_path):
    pytest.importorskip("onnx")
    model = onnx_constant_model(tmp_path / "paper.onnx", 0.1)
    with override_settings(KYC_ID_LIVENESS_MODELS={"paper_printed": {"path": model, "options": {"input_size": [32, 32]}}}):
        outcome = run(document("passport", 1))
    (finding,) = outcome.retry
    assert finding.params == {"#pipelines": "Paper printed"}
    pipelines = the_run(outcome).report.evidence["pipelines"]
    assert pipelines["paper_printed"]["provider"] == "onnx:paper.onnx" and pipelines["paper_printed"]["score"] == 10.0
    assert pipelines["screen_replay"]["provider"] == "screen_replay_heuristic"
    # a plain path is accepted too (default options need a 224x224 input, which this model refuses)
    with override_settings(KYC_ID_LIVENESS_MODELS={"paper_printed": model}):
        outcome = run(document("passport", 1))
    assert outcome.error is not None and outcome.error.code == Step1ErrorCode.ID_LIVENESS_ERROR


@pytest.mark.django_db
@pytest.mark.parametrize("models", [
    {"screen_replay": {"path": "/nonexistent/screen.onnx"}},
    {"screen_glare": {"path": "/models/x.onnx"}},
])
def test_an_engine_failure_answers_id_liveness_error(models):
    with override_settings(KYC_ID_LIVENESS_MODELS=models):
        outcome = run(document("passport", 1))
    assert outcome.error is not None and outcome.error.code == Step1ErrorCode.ID_LIVENESS_ERROR
    assert the_run(outcome).outcome == CheckOutcome.FAULT


# -- HTTP ----------------------------------------------------------------------------------------------


def test_http_step1_answers_id_liveness_fail_for_a_screen_replay(api):
    client = api(attack_prevention=True)
    doc = document("passport", 3, ("screen_moire",), country=HTTP_COUNTRIES["passport"])
    response = client.step1(image=doc.front, country="POL", id_type="passport")
    assert response.status_code == 200, response.text
    item = next(item for item in response.json()["retry"] if item["retryCode"] == "id_liveness_fail")
    assert item["retryMsg"].startswith("Liveness validation of Id image failed. Failed for: ")
    assert "Screen replay" in item["retryMsg"]
    result = CheckResult.objects.get(submission__submission_id=response.json()["submissionId"],
                                     check_name="id_liveness")
    assert result.outcome == CheckOutcome.RETRY and result.score < result.threshold == 50
    assert result.message == item["retryMsg"]


def test_http_step1_answers_id_liveness_error_when_the_model_cannot_run(api):
    client = api(attack_prevention=True)
    doc = document("passport", 1, country=HTTP_COUNTRIES["passport"])
    with override_settings(KYC_ID_LIVENESS_MODELS={"replaced_portrait": {"path": "/nonexistent/model.onnx"}}):
        response = client.step1(image=doc.front, country="POL", id_type="passport")
    assert response.status_code == 400, response.text
    assert response.json() == {"statusCode": 400, "errorCode": "id_liveness_error", "message": "ID liveness error."}


def test_http_step1_genuine_capture_passes_id_liveness(api):
    client = api(attack_prevention=True)
    doc = document("id_card", 1, country=HTTP_COUNTRIES["id_card"])
    response = client.step1(image=doc.front, back=doc.back, country="POL", id_type="government_id")
    assert response.status_code == 200, response.text
    assert "id_liveness_fail" not in {item["retryCode"] for item in response.json().get("retry", [])}
    result = CheckResult.objects.get(submission__submission_id=response.json()["submissionId"],
                                     check_name="id_liveness")
    assert result.outcome == CheckOutcome.PASSED
