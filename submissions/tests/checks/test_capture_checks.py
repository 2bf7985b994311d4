"""The capture checks in the Step 1 pipeline and over HTTP, on generated documents.

image_too_blurry, glare_detected, black_white_document, screen_detected and recaptured_document:
each capture defect answers its code, a genuine capture answers none of them, the project's ID card
validation option gates them, thresholds are the operator's, and the evidence is in stored-image
coordinates. Detection and false-retry rates over larger corpora: verification.evaluation_capture
(docs/checks/capture.md).
"""

import io
import json

import cv2
import numpy as np
import pytest
from django.test import override_settings
from PIL import Image

from submissions.checks import check_list, pipeline_run
from submissions.checks.analysis import step1_analysis
from submissions.checks.base import CheckContext
from submissions.checks.capture import WHOLE_IMAGE
from submissions.choices import CheckOutcome, FileKind, Step
from submissions.images import image_read_bytes
from submissions.models import CheckResult
from submissions.tests.factories import ProjectFactory, SubmissionFactory
from verification.tests.tamper_samples import COUNTRIES, ID_TYPES, KINDS, generated

CAPTURE_CODES = ("image_too_blurry", "glare_detected", "black_white_document", "screen_detected",
                 "recaptured_document")
DEFECT_CODES = [
    ("blurred", "image_too_blurry"),
    ("glare", "glare_detected"),
    ("grayscale", "black_white_document"),
    ("screen_moire", "screen_detected"),
    ("device_frame", "recaptured_document"),
    ("screenshot", "recaptured_document"),
]
SEEDS = (0, 1)

pytestmark = pytest.mark.image_checks


def capture_checks():
    return [check for check in check_list(Step.STEP1) if check.name in CAPTURE_CODES]


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
    return ctx, pipeline_run(ctx, checks=capture_checks())


def retry_codes(outcome) -> set[str]:
    return {finding.code.value for finding in outcome.retry}


def run_of(outcome, name):
    return next(run for run in outcome.runs if run.check_name == name)


def box_of(points) -> tuple[float, float, float, float]:
    points = np.asarray(points, dtype=float)
    return (*points.min(axis=0), *points.max(axis=0))


# -- pipeline ----------------------------------------------------------------------------------------


def test_the_five_checks_are_registered_as_image_checks_in_order():
    checks = capture_checks()
    assert [check.name for check in checks] == list(CAPTURE_CODES)
    for check in checks:
        assert check.analyses_images and [code.value for code in check.codes] == [check.name]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_genuine_capture_gets_no_capture_retry(kind, seed):
    # given a genuine phone photo of each kind
    document = generated(kind, seed)
    # when the capture checks run
    _, outcome = run_document(document)
    # then none answers, and each records a passing score against its threshold for every side
    assert outcome.error is None and retry_codes(outcome) == set()
    assert [run.check_name for run in outcome.runs] == list(CAPTURE_CODES)
    sides = {"front", "back"} if document.back is not None else {"front"}
    for run in outcome.runs:
        assert run.outcome == CheckOutcome.PASSED
        assert run.report.threshold is not None and run.report.score >= run.report.threshold
        assert sides <= set(run.report.evidence) and run.report.evidence["failing_sides"] == []
        json.dumps(run.report.evidence)  # stored as a JSONField


@pytest.mark.django_db
@pytest.mark.parametrize(("defect", "code"), DEFECT_CODES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_each_capture_defect_answers_its_code(defect, code, kind, seed):
    # given a document with one capture defect
    document = generated(kind, seed, defect)
    # when the capture checks run
    _, outcome = run_document(document)
    # then its code is answered, on every side the defect touches, with a score under the threshold
    assert code in retry_codes(outcome), [(r.check_name, r.report.score, r.report.evidence) for r in outcome.runs]
    run = run_of(outcome, code)
    assert run.outcome == CheckOutcome.RETRY and run.report.score < run.report.threshold
    expected_sides = ["front", "back"] if document.back is not None else ["front"]
    assert run.report.evidence["failing_sides"] == expected_sides
    json.dumps(run.report.evidence)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_screen_photo_answers_screen_detected_only(kind):
    # the monitor's bezel is a dark frame too, but one capture gets one message
    _, outcome = run_document(generated(kind, 0, "screen_moire"))
    assert retry_codes(outcome) == {"screen_detected"}


@pytest.mark.django_db
@pytest.mark.parametrize("defect", ["device_frame", "screenshot"])
def test_a_device_or_a_screenshot_answers_recaptured_document_not_screen_detected(defect):
    _, outcome = run_document(generated("id_card", 0, defect))
    assert "recaptured_document" in retry_codes(outcome) and "screen_detected" not in retry_codes(outcome)
    evidence = run_of(outcome, "recaptured_document").report.evidence["front"]
    if defect == "device_frame":
        assert "device_frame" in evidence["signals"] and len(evidence["frame_outline"]) >= 4
    else:
        assert evidence["format"] == "PNG" and evidence["camera"] is None
        assert {"noise_free", "no_camera_exif", "lossless_format", "screen_resolution"} <= set(evidence["signals"])


@pytest.mark.django_db
def test_a_photocopy_is_not_also_answered_as_glare():
    _, outcome = run_document(generated("drivers_license", 0, "grayscale"))
    assert retry_codes(outcome) == {"black_white_document"}
    glare = run_of(outcome, "glare_detected").report.evidence
    assert glare["front"]["not_judged"].startswith("black-and-white copy")


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_glare_evidence_is_in_stored_image_pixels(kind):
    document = generated(kind, 0, "glare")
    _, outcome = run_document(document)
    evidence = run_of(outcome, "glare_detected").report.evidence["front"]
    x0, y0, x1, y1 = document.truth["regions"]["glare"]
    bx0, by0, bx1, by1 = evidence["blob_box"]
    assert x0 - 10 <= bx0 < bx1 <= x1 + 10 and y0 - 10 <= by0 < by1 <= y1 + 10
    assert box_of(evidence["blob_polygon"]) == pytest.approx((bx0, by0, bx1, by1))
    assert 0.015 < evidence["largest_blob_share"] < 0.2
    # the document quad is where the generator put the card
    assert np.allclose(evidence["document_quad"], document.truth["regions"]["document_quad"], atol=25)


@pytest.mark.django_db
def test_blur_evidence_names_the_direction_and_the_document():
    _, outcome = run_document(generated("passport", 0, "blurred"))
    evidence = run_of(outcome, "image_too_blurry").report.evidence["front"]
    assert evidence["measured_on"] == "document" and len(evidence["document_quad"]) == 4
    assert evidence["sharpness"] < 0.2 and len(evidence["by_direction"]) == 8


@pytest.mark.django_db
def test_without_a_detected_document_the_whole_photo_is_measured_and_said_so():
    # given a detector that finds nothing
    document = generated("passport", 0, "blurred")
    ctx = context(document.front, kind="passport")
    analysis = step1_analysis(ctx)
    analysis.__dict__["front_detection"] = None
    analysis.__dict__["_front_rectified"] = None
    # when the capture checks run
    outcome = pipeline_run(ctx, checks=capture_checks())
    # then blur is still found, on the whole image, and every check says where it measured
    assert "image_too_blurry" in retry_codes(outcome)
    for run in outcome.runs:
        assert run.report.evidence["front"]["measured_on"] == WHOLE_IMAGE


@pytest.mark.django_db
def test_with_id_card_validation_off_the_checks_do_not_run():
    _, outcome = run_document(generated("passport", 0, "glare"), validation=False)
    assert outcome.runs == [] and outcome.retry == []


@pytest.mark.django_db
def test_thresholds_are_operator_overridable():
    document = generated("passport", 0, "blurred")
    with override_settings(KYC_CHECK_THRESHOLDS={"quality.sharpness.min_score": 0}):
        _, outcome = run_document(document)
    run = run_of(outcome, "image_too_blurry")
    assert run.report.threshold == 0 and run.outcome == CheckOutcome.PASSED


# -- HTTP --------------------------------------------------------------------------------------------

HTTP_CASES = [
    ("glare", "glare_detected", "passport", "Please retake ID image without light smudging"),
    ("grayscale", "black_white_document", "drivers_license", "Please retry with original ID"),
    ("screen_moire", "screen_detected", "passport", "Retry with physical ID. recaptured screen not allowed"),
    ("device_frame", "recaptured_document", "drivers_license", "Retry with physical ID. recaptured screen not allowed"),
    ("screenshot", "recaptured_document", "passport", "Retry with physical ID. recaptured screen not allowed"),
]


def step1(client, document):
    return client.step1(image=document.front, back=document.back, id_type=ID_TYPES[document.kind],
                        country=COUNTRIES[document.kind])


def answered(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["retryCode"] for item in response.json().get("retry", [])}


@pytest.mark.parametrize(("defect", "code", "kind", "message"), HTTP_CASES)
def test_http_step1_answers_the_capture_code(api, defect, code, kind, message):
    client = api(id_card_validation=True)
    response = step1(client, generated(kind, 0, defect))
    assert code in answered(response)
    item = next(item for item in response.json()["retry"] if item["retryCode"] == code)
    assert item["retryMsg"] == message
    result = CheckResult.objects.get(submission__submission_id=response.json()["submissionId"], check_name=code)
    assert result.outcome == CheckOutcome.RETRY and result.score < result.threshold and result.evidence


def softened(data: bytes, sigma: float) -> bytes:
    """The photo out of focus by `sigma` px, re-encoded with its camera EXIF."""
    image = Image.open(io.BytesIO(data))
    pixels = cv2.GaussianBlur(np.asarray(image.convert("RGB")), (0, 0), sigma)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90, exif=image.info.get("exif", b""))
    return buffer.getvalue()


def test_http_step1_answers_image_too_blurry_for_a_soft_photo(api):
    # out of focus enough to read badly, not so much that no text is found (see the next test)
    client = api(id_card_validation=True)
    response = client.step1(image=softened(generated("passport", 0).front, 3.0), id_type="passport", country="POL")
    assert "image_too_blurry" in answered(response)
    item = next(item for item in response.json()["retry"] if item["retryCode"] == "image_too_blurry")
    assert item["retryMsg"] == "Please retake ID image clearly"
    result = CheckResult.objects.get(submission__submission_id=response.json()["submissionId"],
                                     check_name="image_too_blurry")
    assert result.outcome == CheckOutcome.RETRY and result.score < result.threshold
    assert result.evidence["front"]["measured_on"] == "document"


def test_http_step1_answers_image_too_blurry_for_the_generators_blur(api):
    client = api(id_card_validation=True)
    response = step1(client, generated("id_card", 0, "blurred"))
    # blur leaves no legible text, but the outlined card is a document: a retake, not not_an_id
    assert response.status_code == 200
    assert "image_too_blurry" in answered(response)


def test_http_step1_genuine_capture_answers_no_capture_code(api):
    client = api(id_card_validation=True)
    response = step1(client, generated("id_card", 1))
    assert answered(response).isdisjoint(CAPTURE_CODES)
    submission_id = response.json()["submissionId"]
    results = CheckResult.objects.filter(submission__submission_id=submission_id, check_name__in=CAPTURE_CODES)
    assert {r.check_name: r.outcome for r in results} == dict.fromkeys(CAPTURE_CODES, CheckOutcome.PASSED)


def test_http_step1_with_id_card_validation_off_answers_no_capture_code(api):
    client = api(id_card_validation=False)
    response = step1(client, generated("passport", 0, "glare"))
    assert answered(response).isdisjoint(CAPTURE_CODES)
