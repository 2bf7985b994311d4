"""POST /v3/submission/step2: the face checks, Step 1 then Step 2 through the API.

The ID front is a generated passport whose portrait is the test face (verification/tests/face_samples.py);
the selfie is built from the same or another face. Genuine pairs must pass as surely as defects
must be caught. Step 1's own image checks are kept out (`step1_image_checks_out`) except where
a test needs the whole Step 1: they are tested in their own files and cost an OCR pass each.
"""

import pytest
from django.test import override_settings

from submissions.checks import face as face_checks
from submissions.checks.base import CheckContext, check_registry
from submissions.choices import CheckOutcome, FileKind, Step
from submissions.images import image_read_bytes
from submissions.models import CheckResult, StoredFile
from submissions.tests.apis.helpers import API_DB, step1_ok, submission_row
from verification.tests import face_samples as S
from verification.tests.tamper_samples import onnx_model

pytestmark = [API_DB, pytest.mark.image_checks]

FACE_CHECKS = ("face_detection", "face_compare", "face_liveness")
MESSAGES = {
    "no_face": "Detect face failed: No face detected. At least one face must be detected in both selfie and ID "
               "image. Please retry.",
    "face_compare_underscore": "The face doesn't match. Please retry with another face image.",
    "face_compare_fail": "Failed to find a matching face. Please retry with another face image.",
    "face_detect_error": "Failed to detect a face.",
    "liveness_fail": "Liveness fail. Please retry with another face image.",
}


@pytest.fixture
def step1_image_checks_out():
    registry = check_registry()
    saved = list(registry[Step.STEP1])
    registry[Step.STEP1][:] = [check for check in saved if not check.analyses_images]
    yield
    registry[Step.STEP1][:] = saved


def retry_items(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json().get("retry", [])


def results(submission_id: str) -> dict[str, CheckResult]:
    rows = CheckResult.objects.filter(submission__submission_id=submission_id, step=Step.STEP2,
                                      check_name__in=FACE_CHECKS).order_by("pk")
    return {row.check_name: row for row in rows}


def passport(portrait="astronaut", seed=3) -> bytes:
    return S.passport_with_portrait(seed, portrait)


def selfie(face=None, seed=0) -> bytes:
    return S.jpeg(S.selfie(S.astronaut_head() if face is None else face, seed))


def submit(client, *, front: bytes, face: bytes):
    submission_id = step1_ok(client, image=front)
    return submission_id, client.step2(submission_id, face=face)


# -- genuine ----------------------------------------------------------------------------------------


def test_the_same_person_on_the_id_and_the_selfie_passes_with_evidence(api, step1_image_checks_out):
    client = api()
    submission_id, response = submit(client, front=passport(), face=selfie())
    assert retry_items(response) == [] and response.json()["kycStatus"] == "pending"
    rows = results(submission_id)
    assert [rows[name].outcome for name in FACE_CHECKS] == [CheckOutcome.PASSED] * 3
    compare = rows["face_compare"]
    assert compare.score >= 85 and compare.threshold == 85 and compare.evidence["distance"] < 0.5
    # boxes and landmarks in the stored images' pixels: the selfie is 900x1125, the passport photo 1600x1000
    selfie_box = compare.evidence["selfie_face"]["box"]
    assert 300 < selfie_box[0] < 450 and 200 < selfie_box[1] < 320 and len(compare.evidence["selfie_face"]["landmarks"]) == 5
    id_box = compare.evidence["id_face"]["box"]
    assert 450 < id_box[0] < 560 and 280 < id_box[1] < 380
    assert compare.evidence["id_size"] == [1600, 1000]
    assert rows["face_liveness"].score >= 50 and rows["face_liveness"].threshold == 50
    assert rows["face_detection"].evidence["conditions"]["yaw_deg"] is not None


def test_a_procedural_face_matches_itself_across_id_and_selfie(api, step1_image_checks_out):
    client = api()
    _, response = submit(client, front=passport("procedural:0"), face=selfie(S.procedural(0)))
    assert retry_items(response) == []


def test_the_whole_step1_pipeline_keeps_the_pasted_portrait_acceptable(api):
    # Step 1 with every image check registered (OCR, MRZ): the test passport still goes through.
    client = api()
    _, response = submit(client, front=passport(), face=selfie(seed=1))
    assert retry_items(response) == []


# -- compare ----------------------------------------------------------------------------------------


def test_another_persons_selfie_is_face_compare_underscore(api, step1_image_checks_out):
    client = api()
    submission_id, response = submit(client, front=passport(), face=selfie(S.procedural(2)))
    assert retry_items(response) == [{"retryCode": "face_compare_underscore",
                                      "retryMsg": MESSAGES["face_compare_underscore"]}]
    compare = results(submission_id)["face_compare"]
    assert compare.outcome == CheckOutcome.RETRY and compare.score < 85 and compare.evidence["distance"] > 0.5
    assert submission_row(submission_id).status == "incomplete"


def test_the_projects_threshold_decides(api, step1_image_checks_out):
    client = api(face_match_threshold=99)
    submission_id, response = submit(client, front=passport(), face=selfie())
    assert [item["retryCode"] for item in retry_items(response)] == ["face_compare_underscore"]
    assert results(submission_id)["face_compare"].threshold == 99


def test_an_id_without_a_portrait_is_no_face(api, step1_image_checks_out):
    client = api()
    submission_id, response = submit(client, front=passport("blank"), face=selfie())
    assert retry_items(response) == [{"retryCode": "no_face", "retryMsg": MESSAGES["no_face"]}]
    assert results(submission_id)["face_compare"].evidence["reason"] == "no face on the ID image"


def test_without_a_stored_front_image_there_is_nothing_to_compare(api, step1_image_checks_out):
    # The Step 2 service refuses a submission whose front image is gone (no_submission), so the
    # check's own answer is shown by running it on such a submission directly.
    client = api()
    submission_id = step1_ok(client, image=passport())
    StoredFile.objects.filter(submission__submission_id=submission_id, kind=FileKind.ID_FRONT).delete()
    submission = submission_row(submission_id)
    ctx = CheckContext(submission=submission, project=client.project, step=Step.STEP2,
                       images={FileKind.SELFIE: image_read_bytes(selfie())})
    report = face_checks.FaceCompareCheck().run(ctx)
    assert [finding.code.value for finding in report.findings] == ["face_compare_fail"]
    assert report.evidence == {"judged": False, "reason": "no ID front image to compare with"}


# -- the selfie -------------------------------------------------------------------------------------


def test_a_selfie_without_a_face_is_no_face_only(api, step1_image_checks_out):
    client = api()
    submission_id, response = submit(client, front=passport(), face=S.jpeg(S.canvas(S.astronaut()[:1, :1], (480, 640), (0, 0))))
    assert retry_items(response) == [{"retryCode": "no_face", "retryMsg": MESSAGES["no_face"]}]
    rows = results(submission_id)
    assert rows["face_detection"].evidence["face_count"] == 0
    assert rows["face_compare"].outcome == rows["face_liveness"].outcome == CheckOutcome.PASSED  # not judged
    assert rows["face_compare"].evidence["judged"] is False


def test_two_faces_on_the_selfie_fail_to_find_the_matching_face(api, step1_image_checks_out):
    client = api()
    two = S.side_by_side(S.selfie(S.astronaut_head(), size=500), S.selfie(S.procedural(1, 256, 320), size=500))
    submission_id, response = submit(client, front=passport(), face=S.jpeg(two))
    assert retry_items(response) == [{"retryCode": "face_compare_fail", "retryMsg": MESSAGES["face_compare_fail"]}]
    detection = results(submission_id)["face_detection"]
    assert detection.evidence["reason"] == "multiple_faces" and detection.evidence["face_count"] == 2


@pytest.mark.parametrize(("variant", "build", "message"), [
    ("cropped", lambda: S.canvas(S.selfie(S.astronaut_head()), (900, 1125), (-420, 0)),
     "Liveness fail: Face is cropped. Please retry."),
    ("border", lambda: S.canvas(S.selfie(S.astronaut_head()), (900, 1125), (-350, 0)),
     "Liveness fail: Face is too close to one or more borders. Please retry."),
    ("absolute_size", lambda: S.selfie(S.astronaut_head(), size=160),
     "Liveness fail: Absolute face size is too small. Please retry."),
    ("relative_size", lambda: S.canvas(S.selfie(S.astronaut_head(), size=291), (1000, 1000), (350, 300)),
     "Liveness fail: Relative face size is too small. Please retry."),
    ("rotation", lambda: S.selfie(S.turned(S.astronaut_head(), 45, centre_x=153, radius=40)),
     "Liveness fail: Facial out-of-plane rotation angle is extremely large. Please retry"),
    (None, lambda: S.canvas(S.selfie(S.astronaut_head(), size=102), (1000, 1000), (450, 400)),
     "Liveness fail: Face size is too small to be detected. Please retry"),
])
def test_capture_conditions_are_liveness_error_with_their_message(api, step1_image_checks_out, variant, build, message):
    client = api()
    submission_id, response = submit(client, front=passport(), face=S.jpeg(build()))
    items = retry_items(response)
    assert {"retryCode": "liveness_error", "retryMsg": message} in items, items
    detection = results(submission_id)["face_detection"]
    assert detection.outcome == CheckOutcome.RETRY and detection.evidence["failed_conditions"]
    assert results(submission_id)["face_liveness"].evidence["judged"] is False


def test_a_face_replayed_on_a_screen_is_liveness_fail(api, step1_image_checks_out):
    client = api()
    submission_id, response = submit(client, front=passport(), face=S.jpeg(S.on_screen(S.astronaut_head(), 0)))
    assert {"retryCode": "liveness_fail", "retryMsg": MESSAGES["liveness_fail"]} in retry_items(response)
    liveness = results(submission_id)["face_liveness"]
    assert liveness.score < 50 and liveness.evidence["provider"] == "face_replay_heuristic"


# -- operators and faults ------------------------------------------------------------------------------


def test_an_operator_onnx_model_scores_liveness(api, step1_image_checks_out, tmp_path):
    pytest.importorskip("onnx")
    path = onnx_model(tmp_path / "constant.onnx", shape=(1, 3, 32, 32), body="constant")  # P(genuine) = 0.1
    client = api()
    with override_settings(KYC_FACE_LIVENESS_MODEL=path, KYC_FACE_LIVENESS_MODEL_OPTIONS={"input_size": [32, 32]}):
        submission_id, response = submit(client, front=passport(), face=selfie())
    assert retry_items(response) == [{"retryCode": "liveness_fail", "retryMsg": MESSAGES["liveness_fail"]}]
    liveness = results(submission_id)["face_liveness"]
    assert liveness.evidence["provider"] == "onnx:constant.onnx" and liveness.score == pytest.approx(10.0)


def test_a_missing_operator_model_is_face_detect_error_not_a_500(api, step1_image_checks_out, tmp_path):
    client = api()
    with override_settings(KYC_FACE_LIVENESS_MODEL=str(tmp_path / "absent.onnx")):
        _, response = submit(client, front=passport(), face=selfie())
    assert retry_items(response) == [{"retryCode": "face_detect_error", "retryMsg": MESSAGES["face_detect_error"]}]


def test_an_engine_fault_is_face_detect_error(api, step1_image_checks_out, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("dlib crashed")

    monkeypatch.setattr(face_checks, "faces_detect", broken)
    client = api()
    submission_id, response = submit(client, front=passport(), face=selfie())
    assert retry_items(response) == [{"retryCode": "face_detect_error", "retryMsg": MESSAGES["face_detect_error"]}]
    assert results(submission_id)["face_detection"].evidence["fault"] == "RuntimeError"
