"""Selfie liveness: the liveness_error conditions, the replay heuristic, and the ONNX provider path."""

import cv2
import numpy as np
import pytest
from django.test import override_settings

from verification import face_liveness as L
from verification import faces as F
from verification.providers import image_score_provider
from verification.tests import face_samples as S
from verification.tests.tamper_samples import onnx_model

pytest.importorskip("dlib")
pytest.importorskip("skimage")


def conditions_of(rgb) -> L.FaceConditions:
    faces = F.faces_detect(rgb)
    assert len(faces) == 1, faces
    return L.face_conditions(faces[0], (rgb.shape[1], rgb.shape[0]))


def good_selfie(seed=0):
    return S.selfie(S.astronaut_head(), seed)  # 900x1125, face ~340 px


def synthetic(box, *, ipd=60.0, yaw_points=None) -> F.Face:
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = ipd / 2
    points = yaw_points or ((cx + half + 12, cy), (cx + half - 12, cy), (cx - half - 12, cy),
                            (cx - half + 12, cy), (cx, cy + 0.3 * (y1 - y0)))
    return F.Face(box=box, landmarks=tuple(points), score=1.0)


# -- conditions on images ------------------------------------------------------------------------------


def test_a_good_selfie_meets_every_condition():
    for seed in (0, 1):
        result = conditions_of(good_selfie(seed))
        assert result.ok, result.measures
    for seed in (0, 2, 3):
        assert conditions_of(S.selfie(S.procedural(seed), seed)).ok


def test_a_face_cut_by_the_edge_is_cropped():
    result = conditions_of(S.canvas(good_selfie(), (900, 1125), (-420, 0)))
    assert result.failed[0] == "cropped" and result.variant == "cropped"


def test_a_face_touching_the_edge_is_too_close_to_the_border():
    result = conditions_of(S.canvas(good_selfie(), (900, 1125), (-350, 0)))
    assert result.failed == ["border"] and result.variant == "border", result.measures


def test_a_face_at_the_detectors_limit_is_too_small_to_be_detected():
    head = cv2.resize(S.astronaut_head(), (102, 128), interpolation=cv2.INTER_AREA)  # face ~37 px
    result = conditions_of(S.canvas(head, (1000, 1000), (450, 400)))
    assert result.failed[0] == "too_small_to_detect" and result.variant is None  # the default message


def test_a_small_photo_has_an_absolutely_small_face():
    result = conditions_of(cv2.resize(S.astronaut_head(), (160, 200), interpolation=cv2.INTER_AREA))
    assert result.failed[0] == "absolute_size" and result.variant == "absolute_size"
    assert result.measures["relative_size"] > 0.4  # the face fills the frame: only its pixels are few


def test_a_face_far_from_the_camera_is_relatively_small():
    head = cv2.resize(S.astronaut_head(), (291, 364), interpolation=cv2.INTER_AREA)  # face ~100 px
    result = conditions_of(S.canvas(head, (1000, 1000), (350, 300)))
    assert result.failed == ["relative_size"] and result.variant == "relative_size"


def test_a_turned_head_is_an_extreme_rotation():
    result = conditions_of(S.selfie(S.turned(S.astronaut_head(), 45, centre_x=153, radius=40)))
    assert result.failed == ["rotation"] and result.variant == "rotation", result.measures


# -- conditions on exact geometry -------------------------------------------------------------------------


def test_close_eyes_in_a_large_box_are_an_interpupillary_failure():
    result = L.face_conditions(synthetic((140, 140, 260, 260), ipd=24), (400, 400))
    assert result.failed == ["interpupillary"] and result.variant == "interpupillary"


def test_landmarks_outside_the_image_are_cropped_even_when_the_box_is_inside():
    face = F.Face(box=(5, 300, 305, 600), landmarks=((200, 400), (170, 400), (-3, 400), (60, 400), (120, 480)),
                  score=1.0)
    assert L.face_conditions(face, (1000, 1000)).failed[0] == "cropped"


def test_thresholds_are_named_and_operator_overridable():
    face = synthetic((400, 400, 520, 520))  # relative size 0.12
    assert L.face_conditions(face, (1000, 1000)).failed == ["relative_size"]
    with override_settings(KYC_CHECK_THRESHOLDS={"face.min_relative_size": 0.1}):
        assert L.face_conditions(face, (1000, 1000)).ok
    with override_settings(KYC_CHECK_THRESHOLDS={"face.min_size_px": 200}):
        assert L.face_conditions(face, (1000, 1000)).variant == "absolute_size"


# -- passive liveness heuristic ----------------------------------------------------------------------------


def liveness_of(rgb, provider=None):
    faces = F.faces_detect(rgb)
    assert len(faces) == 1
    view = L.face_view(rgb, faces[0])
    return (provider or L.FaceLivenessHeuristic()).score(view.rgb)


GENUINE = [("astronaut", 0), ("astronaut", 1), ("procedural:0", 0), ("procedural:2", 1), ("procedural:3", 0),
           ("procedural:7", 1)]
REPLAYED = [("astronaut", 0), ("astronaut", 1), ("procedural:0", 0), ("procedural:0", 1), ("procedural:2", 0),
            ("procedural:3", 0), ("procedural:7", 0), ("procedural:7", 1)]


def face_of(key):
    return S.astronaut_head() if key == "astronaut" else S.procedural(int(key.split(":")[1]))


@pytest.mark.parametrize(("key", "seed"), GENUINE)
def test_a_camera_selfie_scores_as_live(key, seed):
    result = liveness_of(S.decode(S.jpeg(S.selfie(face_of(key), seed))))
    assert result.score >= 50, result.details


@pytest.mark.parametrize(("key", "seed"), REPLAYED)
def test_a_face_shown_on_a_monitor_scores_as_a_replay(key, seed):
    result = liveness_of(S.decode(S.jpeg(S.on_screen(face_of(key), seed))))
    assert result.score < 50, result.details
    assert result.details["luma_peak"] > 70  # the display's pattern, not noise, decided


def test_the_face_view_keeps_the_uploads_resolution_and_is_bounded():
    big = S.selfie(S.astronaut_head(), size=2400)
    face = F.faces_detect(big)[0]
    view = L.face_view(big, face)
    assert max(view.rgb.shape[:2]) <= L.VIEW_MAX_SIDE
    x0, y0, x1, y1 = view.box
    assert x0 <= (face.box[0] + face.box[2]) / 2 <= x1 and y0 <= (face.box[1] + face.box[3]) / 2 <= y1


def test_a_tiny_view_gets_no_verdict():
    assert L.FaceLivenessHeuristic().score(np.zeros((20, 20, 3), np.uint8)).score == 100.0


def test_an_onnx_model_scores_the_face_view(tmp_path):
    pytest.importorskip("onnx")
    path = onnx_model(tmp_path / "mean.onnx", shape=(1, 3, 32, 32))  # P(genuine) = mean pixel / 255
    provider = image_score_provider(path, {"input_size": [32, 32], "mean": [0, 0, 0], "std": [1, 1, 1]})
    selfie = good_selfie()
    view = L.face_view(selfie, F.faces_detect(selfie)[0])
    result = liveness_of(selfie, provider)
    assert result.score == pytest.approx(100 * view.rgb.mean() / 255, abs=1.0)
    assert result.details["model"] == "mean.onnx"
