"""The tampering checks in the Step 1 pipeline and over HTTP, on generated documents.

image_edited, image_forgery, artificial_text and artificial_image: each defect answers its code,
a genuine capture answers none of them, the project's ID card validation option gates them,
and the evidence is in stored-image coordinates. Detection and false-retry rates over larger
corpora: verification.evaluation_tamper (docs/checks/tampering.md).
"""

import io
import json

import pytest
from django.test import override_settings
from PIL import Image

from submissions.checks import check_list, pipeline_run
from submissions.checks.base import CheckContext
from submissions.choices import CheckOutcome, FileKind, Step
from submissions.images import image_read_bytes
from submissions.models import CheckResult
from submissions.tests.factories import ProjectFactory, SubmissionFactory
from verification.tests.tamper_samples import COUNTRIES, ID_TYPES, KINDS, generated, onnx_model, synthetic_render

TAMPER_CODES = ("image_edited", "image_forgery", "artificial_text", "artificial_image")
DEFECT_CODES = [
    ("edited_metadata", "image_edited"),
    ("thumbnail_mismatch", "image_edited"),
    ("pasted_text", "artificial_text"),
    ("replaced_portrait", "image_forgery"),
    ("copy_move", "image_forgery"),
]

pytestmark = pytest.mark.image_checks


def tamper_checks():
    return [check for check in check_list(Step.STEP1) if check.name in TAMPER_CODES]


def context(front: bytes, back: bytes | None = None, *, kind: str = "passport", validation: bool = True) -> CheckContext:
    project = ProjectFactory(id_card_validation=validation)
    submission = SubmissionFactory(project=project, step1_done=False, requested_id_type=ID_TYPES[kind],
                                   id_type=ID_TYPES[kind], issuing_country=COUNTRIES[kind])
    images = {FileKind.ID_FRONT: image_read_bytes(front)}
    if back is not None:
        images[FileKind.ID_BACK] = image_read_bytes(back)
    return CheckContext(submission=submission, project=project, step=Step.STEP1, images=images)


def run_document(document, **options):
    ctx = context(document.front, document.back, kind=document.kind, **options)
    return ctx, pipeline_run(ctx, checks=tamper_checks())


def retry_codes(outcome) -> set[str]:
    return {finding.code.value for finding in outcome.retry}


# -- pipeline ----------------------------------------------------------------------------------------


def test_the_four_checks_are_registered_as_image_checks():
    checks = {check.name: check for check in check_list(Step.STEP1)}
    for name in TAMPER_CODES:
        assert checks[name].analyses_images and [code.value for code in checks[name].codes] == [name]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_a_genuine_capture_gets_no_tampering_retry(kind, seed):
    # given a genuine phone photo of each kind
    document = generated(kind, seed)
    # when the tampering checks run
    _, outcome = run_document(document)
    # then none answers, each records a passing score against its threshold
    assert outcome.error is None and retry_codes(outcome) == set()
    assert [run.check_name for run in outcome.runs] == list(TAMPER_CODES)
    for run in outcome.runs:
        assert run.outcome == CheckOutcome.PASSED
        assert run.report.threshold is not None
        assert run.report.score is None or run.report.score >= run.report.threshold
        json.dumps(run.report.evidence)  # stored as a JSONField


@pytest.mark.django_db
@pytest.mark.parametrize(("defect", "code"), DEFECT_CODES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 2])
def test_each_tampering_defect_answers_its_code(defect, code, kind, seed):
    document = generated(kind, seed, defect)
    _, outcome = run_document(document)
    assert code in retry_codes(outcome), [(r.check_name, r.report.score, r.report.evidence) for r in outcome.runs]
    run = next(run for run in outcome.runs if run.check_name == code)
    assert run.outcome == CheckOutcome.RETRY and run.report.score < run.report.threshold


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_document_rendered_without_a_camera_is_an_artificial_image(kind):
    _, outcome = run_document(type("Rendered", (), {"front": synthetic_render(kind, 0), "back": None,
                                                    "kind": kind})())
    assert "artificial_image" in retry_codes(outcome)
    run = next(run for run in outcome.runs if run.check_name == "artificial_image")
    assert run.report.evidence["provider"] == "camera_noise_heuristic"
    assert run.report.evidence["details"]["camera"] is None


@pytest.mark.django_db
def test_with_id_card_validation_off_the_checks_do_not_run():
    _, outcome = run_document(generated("passport", 0, "copy_move"), validation=False)
    assert outcome.runs == [] and outcome.retry == []


@pytest.mark.django_db
def test_edited_metadata_evidence_names_the_tool_on_both_sides():
    ctx, outcome = run_document(generated("id_card", 0, "edited_metadata"))
    run = next(run for run in outcome.runs if run.check_name == "image_edited")
    assert run.report.score == 0.0 and run.report.evidence["tools"] == ["Adobe Photoshop"]
    for side in ("front", "back"):
        sources = {trace["source"] for trace in run.report.evidence["sides"][side]["editing_traces"]}
        assert "EXIF Software" in sources and "XMP namespace" in sources


@pytest.mark.django_db
def test_forgery_evidence_is_in_stored_image_coordinates():
    # given a cloned field, sent at twice the analysis size (the analysis image is half of it)
    document = generated("id_card", 0, "copy_move")
    image = Image.open(io.BytesIO(document.front))
    buffer = io.BytesIO()
    image.resize((image.width * 2, image.height * 2), Image.Resampling.LANCZOS).save(buffer, "JPEG", quality=95)
    # when
    _, outcome = run_document(type("Large", (), {"front": buffer.getvalue(), "back": None, "kind": "id_card"})())
    # then the clone's regions are twice the generator's (analysis pixels × 2)
    run = next(run for run in outcome.runs if run.check_name == "image_forgery")
    assert run.outcome == CheckOutcome.RETRY
    regions = {region["kind"]: region["box"] for region in run.report.evidence["regions"]}
    truth = document.truth["regions"]
    found = [regions["copy_source"], regions["copy_target"]]
    for name in ("copy_source", "copy_target"):
        expected = [2 * v for v in truth[name]]
        assert any(abs(box[0] - expected[0]) < 40 and abs(box[1] - expected[1]) < 40 for box in found), (found, expected)


@pytest.mark.django_db
def test_pasted_text_evidence_points_at_the_pasted_value():
    document = generated("passport", 0, "pasted_text")
    _, outcome = run_document(document)
    run = next(run for run in outcome.runs if run.check_name == "artificial_text")
    regions = run.report.evidence["regions"]
    assert len(regions) == 1
    x0, y0, x1, y1 = regions[0]["box"]
    px0, py0, px1, py1 = document.truth["regions"]["pasted"]
    assert abs(x0 - px0) < 12 and abs(y0 - py0) < 12 and abs(x1 - px1) < 12 and abs(y1 - py1) < 12


@pytest.mark.django_db
def test_an_operator_onnx_model_replaces_the_heuristic(tmp_path):
    pytest.importorskip("onnx")
    path = onnx_model(tmp_path / "constant.onnx", shape=(1, 3, 32, 32), body="constant")
    options = {"input_size": [32, 32]}
    with override_settings(KYC_ARTIFICIAL_IMAGE_MODEL=path, KYC_ARTIFICIAL_IMAGE_MODEL_OPTIONS=options):
        _, outcome = run_document(generated("passport", 0))
    run = next(run for run in outcome.runs if run.check_name == "artificial_image")
    assert run.report.evidence["provider"] == "onnx:constant.onnx"
    assert run.report.score == pytest.approx(10.0) and run.outcome == CheckOutcome.RETRY


@pytest.mark.django_db
def test_a_missing_operator_model_is_a_processing_fault(tmp_path):
    with override_settings(KYC_ARTIFICIAL_IMAGE_MODEL=str(tmp_path / "absent.onnx")):
        _, outcome = run_document(generated("passport", 0))
    assert outcome.runs[-1].check_name == "artificial_image" and outcome.runs[-1].outcome == CheckOutcome.FAULT
    assert outcome.error.code.value == "data_processing_error"


@pytest.mark.django_db
def test_thresholds_are_operator_overridable():
    document = generated("passport", 0)
    with override_settings(KYC_CHECK_THRESHOLDS={"tamper.artificial.score_min": 100.5}):
        _, outcome = run_document(document)
    run = next(run for run in outcome.runs if run.check_name == "artificial_image")
    assert run.report.threshold == 100.5 and run.outcome == CheckOutcome.RETRY


# -- HTTP --------------------------------------------------------------------------------------------

HTTP_CASES = [
    ("edited_metadata", "image_edited", "drivers_license"),
    ("replaced_portrait", "image_forgery", "id_card"),
    ("copy_move", "image_forgery", "passport"),
    ("pasted_text", "artificial_text", "passport"),
]


def step1(client, document):
    return client.step1(image=document.front, back=document.back, id_type=ID_TYPES[document.kind],
                        country=COUNTRIES[document.kind])


def answered(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["retryCode"] for item in response.json().get("retry", [])}


@pytest.mark.parametrize(("defect", "code", "kind"), HTTP_CASES)
def test_http_step1_answers_the_tampering_code(api, defect, code, kind):
    client = api(id_card_validation=True)
    response = step1(client, generated(kind, 0, defect))
    assert code in answered(response)
    item = next(item for item in response.json()["retry"] if item["retryCode"] == code)
    assert item["retryMsg"] == "Please retry with original ID"
    result = CheckResult.objects.get(submission__submission_id=response.json()["submissionId"], check_name=code)
    assert result.outcome == CheckOutcome.RETRY and result.score < result.threshold and result.evidence


def test_http_step1_answers_artificial_image_for_a_rendered_document(api):
    client = api(id_card_validation=True)
    response = client.step1(image=synthetic_render("passport", 1), id_type="passport", country="POL")
    assert "artificial_image" in answered(response)


@pytest.mark.parametrize("kind", KINDS)
def test_http_step1_genuine_capture_answers_no_tampering_code(api, kind):
    client = api(id_card_validation=True)
    response = step1(client, generated(kind, 1))
    assert answered(response).isdisjoint(TAMPER_CODES)
    submission_id = response.json()["submissionId"]
    results = CheckResult.objects.filter(submission__submission_id=submission_id, check_name__in=TAMPER_CODES)
    assert {r.check_name: r.outcome for r in results} == dict.fromkeys(TAMPER_CODES, CheckOutcome.PASSED)
