"""Face detection, landmarks, descriptors, similarity and pose (dlib), on faces built at run time."""

import sys
import time

import numpy as np
import pytest

from verification import faces as F
from verification.tests import face_samples as S

pytest.importorskip("dlib")
pytest.importorskip("skimage")

ASTRONAUT_BOX = (179, 83, 267, 171)  # measured once by eye and detector: her face, in skimage's 512x512 image


def near(a, b, tolerance):
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def descriptor_of(rgb):
    faces = F.faces_detect(rgb)
    assert len(faces) == 1, faces
    return F.face_descriptor(rgb, faces[0])


# -- models -------------------------------------------------------------------------------------------


def test_weights_are_found_without_importing_the_models_package():
    folder = F.models_dir()
    assert (folder / "shape_predictor_5_face_landmarks.dat").is_file()
    assert (folder / "dlib_face_recognition_resnet_model_v1.dat").is_file()
    assert "face_recognition_models" not in sys.modules  # its __init__ needs pkg_resources


def test_a_non_image_is_an_engine_error():
    with pytest.raises(F.FaceEngineError):
        F.faces_detect(np.zeros((10, 10, 5), np.uint8))


# -- detection ----------------------------------------------------------------------------------------


def test_the_astronaut_has_one_face_with_five_landmarks_in_place():
    faces = F.faces_detect(S.astronaut())
    assert len(faces) == 1
    face = faces[0]
    assert near(face.box, ASTRONAUT_BOX, 8)
    (lo, li, ro, ri, nose) = face.landmarks
    # image-right eye (her left) right of the image-left eye; outer corners outside the inner ones
    assert lo[0] > li[0] > ri[0] > ro[0]
    assert nose[1] > max(lo[1], li[1], ro[1], ri[1]) + 15  # the base of the nose under the eyes
    assert face.box[0] < nose[0] < face.box[2]


def test_coordinates_are_in_the_pixels_of_the_image_given_even_when_it_is_analysed_smaller():
    big = S.selfie(S.astronaut(), size=2048)  # analysed at 1024
    face = F.faces_detect(big)[0]
    assert near(face.box, [4 * v for v in ASTRONAUT_BOX], 40)


def test_the_procedural_faces_of_the_generator_are_detected():
    for seed in (0, 1, 2, 3):
        assert len(F.faces_detect(S.procedural(seed))) == 1, seed


def test_a_plain_picture_has_no_face():
    assert F.faces_detect(S.canvas(np.zeros((1, 1, 3), np.uint8), (640, 480), (0, 0))) == []
    from skimage import data

    assert F.faces_detect(data.coffee()) == []


def test_two_people_side_by_side_are_two_faces():
    two = S.side_by_side(S.astronaut_head(), S.procedural(1, 256, 320))
    assert len(F.faces_detect(two)) == 2


def test_a_detector_false_positive_is_not_a_second_face():
    # The HOG detector also fires on the astronaut's mission badge; the CNN does not confirm it.
    selfie = S.selfie(S.astronaut(), 0)
    assert len(F.faces_detect(selfie, confirm=False)) == 2
    assert len(F.faces_detect(selfie)) == 1


def test_a_small_face_is_found_by_the_upsampled_pass():
    small = S.canvas(S.astronaut_head()[::3, ::3].copy(), (400, 400), (150, 140))  # face ~30 px
    faces = F.faces_detect(small)
    assert len(faces) == 1 and faces[0].size < 45


def test_time_is_bounded_for_a_large_upload():
    huge = S.selfie(S.astronaut(), size=4000)  # 4000x4000
    started = time.perf_counter()
    face = F.faces_detect(huge)[0]
    F.face_descriptor(huge, face)
    assert time.perf_counter() - started < 5.0


# -- descriptors and similarity ------------------------------------------------------------------------


def test_a_descriptor_has_128_dimensions():
    descriptor = descriptor_of(S.astronaut())
    assert descriptor.shape == (128,) and descriptor.dtype == np.float64
    assert 0.2 < np.linalg.norm(descriptor) < 2


def test_the_same_person_through_camera_jpeg_scale_and_document_matches():
    reference = descriptor_of(S.astronaut())
    variants = {
        "selfie": S.decode(S.jpeg(S.selfie(S.astronaut_head(), 1))),
        "mirrored": S.astronaut()[:, ::-1].copy(),
        "jpeg q30": S.decode(S.jpeg(S.astronaut(), 30)),
        "half size": S.astronaut()[::2, ::2].copy(),
        "darker": (S.astronaut() * 0.6).astype(np.uint8),
    }
    for name, rgb in variants.items():
        similarity = F.face_similarity(reference, descriptor_of(rgb))
        assert similarity >= F.MATCH_SIMILARITY, (name, similarity)
    front = S.decode(S.passport_with_portrait(3, "astronaut"))
    id_face = F.faces_detect(front, max_side=1600, confirm=False)[0]
    assert F.face_similarity(reference, F.face_descriptor(front, id_face)) >= F.MATCH_SIMILARITY


def test_different_people_do_not_match():
    astronaut = descriptor_of(S.astronaut())
    for seed in (0, 1, 2, 3):
        similarity = F.face_similarity(astronaut, descriptor_of(S.procedural(seed)))
        assert similarity < F.MATCH_SIMILARITY, (seed, similarity)


def test_the_distance_to_similarity_mapping():
    assert F.distance_similarity(0.0) == 100.0
    assert F.distance_similarity(F.MATCH_DISTANCE) == pytest.approx(85.0)
    assert F.distance_similarity(0.6) == pytest.approx(70.83, abs=0.01)  # dlib's own cut-off
    assert F.distance_similarity(F.ZERO_DISTANCE) == 0.0 and F.distance_similarity(2.0) == 0.0
    values = [F.distance_similarity(d) for d in np.linspace(0, 1.5, 61)]
    assert values == sorted(values, reverse=True)


# -- pose ---------------------------------------------------------------------------------------------


def template_face(yaw_deg: float, roll_deg: float = 0.0, scale: float = 1.5) -> F.Face:
    """The pose template seen at `yaw_deg` (weak perspective), rolled in the image plane."""
    yaw = np.radians(yaw_deg)
    x = scale * (F.POSE_TEMPLATE_X * np.cos(yaw) + F.POSE_TEMPLATE_Z * np.sin(yaw))
    y = scale * np.array([0.0, 0.0, 0.0, 0.0, 30.0])
    roll = np.radians(roll_deg)
    px = 300 + x * np.cos(roll) - y * np.sin(roll)
    py = 300 + x * np.sin(roll) + y * np.cos(roll)
    return F.Face(box=(200, 220, 400, 420), landmarks=tuple(zip(px, py, strict=True)), score=1.0)


@pytest.mark.parametrize("yaw", [-45, -20, 0, 15, 40])
def test_yaw_is_read_from_the_five_landmarks(yaw):
    assert F.face_yaw(template_face(yaw)) == pytest.approx(yaw, abs=0.5)
    assert F.face_yaw(template_face(yaw, roll_deg=25)) == pytest.approx(yaw, abs=0.5)  # roll removed first


def test_a_turned_head_reads_a_larger_yaw_than_a_frontal_one():
    frontal = F.faces_detect(S.astronaut())[0]
    turned = F.faces_detect(S.turned(S.astronaut(), 50, centre_x=220, radius=60))[0]
    assert abs(F.face_yaw(frontal)) < 10
    assert F.face_yaw(turned) > 25


def test_interpupillary_distance_and_roll():
    face = F.faces_detect(S.astronaut())[0]
    assert 35 < F.interpupillary_distance(face) < 50
    assert abs(F.face_roll(face)) < 8
    assert F.face_pose(template_face(0))["interpupillary_px"] == pytest.approx(1.5 * 61, abs=0.1)


def test_the_68_point_model_is_only_an_option_and_keeps_the_five_point_layout():
    if not (F.models_dir() / F.MODEL_FILES["landmarks_68"]).is_file():
        pytest.skip("68-point model not installed")
    try:
        F.landmark_model_set("68")
        face = F.faces_detect(S.astronaut())[0]
        assert len(face.landmarks) == 5 and abs(F.face_yaw(face)) < 12
    finally:
        F.landmark_model_set("5")
    with pytest.raises(F.FaceEngineError):
        F.landmark_model_set("81")


def test_models_load_once_and_serve_concurrent_requests_alike():
    assert F._model("descriptor") is F._model("descriptor")
    from concurrent.futures import ThreadPoolExecutor

    selfie = S.selfie(S.astronaut_head())
    face = F.faces_detect(selfie)[0]
    with ThreadPoolExecutor(max_workers=3) as pool:
        descriptors = list(pool.map(lambda _: F.face_descriptor(selfie, face), range(3)))
    assert all(np.allclose(descriptors[0], d) for d in descriptors[1:])
