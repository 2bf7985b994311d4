"""The document detector: quads on the generator's captures, pose, ordering, rectification."""

import functools
import io

import numpy as np
import pytest
from PIL import Image

from verification.document import document_detect, document_rectify, order_quad, quad_pose
from verification.document_evaluation import quad_iou
from verification.generator import generate_document
from verification.imaging import AnalysisImage, analysis_image


@functools.cache
def _photo(kind: str, seed: int, defects: tuple = (), side: str = "front"):
    doc = generate_document(kind, seed=seed, defects=defects)
    data = doc.front if side == "front" else doc.back
    key = "document_quad" if side == "front" else "back_document_quad"
    image = analysis_image(Image.open(io.BytesIO(data)), max_side=1600)
    return image, doc.truth["regions"].get(key)


@pytest.mark.parametrize(("kind", "defects", "side"), [
    ("passport", (), "front"),
    ("id_card", (), "front"),
    ("id_card", (), "back"),
    ("drivers_license", (), "back"),
    ("passport", ("glare",), "front"),
    ("id_card", ("blurred",), "front"),
    ("passport", ("grayscale",), "front"),
    ("id_card", ("screen_moire",), "front"),
    ("passport", ("device_frame",), "front"),
    ("id_card", ("screenshot",), "front"),
])
def test_detector_finds_the_document_quad(kind, defects, side):
    image, truth = _photo(kind, 0, defects, side)

    detection = document_detect(image)

    assert detection is not None
    assert quad_iou(np.asarray(detection.quad) * image.scale, truth) > 0.85
    assert not detection.is_abnormal_pose


@pytest.mark.parametrize("seed", [0, 5])
def test_tilted_document_is_found_with_an_abnormal_pose(seed):
    image, truth = _photo("id_card", seed, ("tilted",))

    detection = document_detect(image)

    assert detection is not None
    assert quad_iou(detection.quad, truth) > 0.8
    assert detection.is_abnormal_pose


@pytest.mark.parametrize("kind", ["passport", "id_card"])
def test_desk_without_a_document_has_no_card_shaped_outline_or_a_textless_one(kind):
    image, _ = _photo(kind, 2, ("not_a_document",))

    detection = document_detect(image)

    # The detector may outline a book-like object; the checks then require text on it.
    assert detection is None or detection.area_share < 0.3


def test_plain_image_has_no_document():
    image = AnalysisImage(rgb=np.full((400, 640, 3), 128, np.uint8), scale=1.0)

    assert document_detect(image) is None


def test_order_quad_is_a_clockwise_cycle_even_at_45_degrees():
    diamond = np.array([[100, 0], [200, 100], [100, 200], [0, 100]], dtype=float)

    ordered = order_quad(diamond[[2, 0, 3, 1]])

    assert len({tuple(p) for p in ordered}) == 4
    (ax, ay), (bx, by) = ordered[1] - ordered[0], ordered[2] - ordered[1]
    cross = ax * by - ay * bx
    assert cross > 0  # clockwise in image coordinates (y down)


def test_quad_pose_of_a_rotated_rectangle():
    angle = np.radians(30)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    rect = np.array([[-158, -100], [158, -100], [158, 100], [-158, 100]], dtype=float) @ rot.T + 300

    aspect, rotation, deviation, side_ratio = quad_pose(order_quad(rect))

    assert aspect == pytest.approx(1.58, abs=0.01)
    assert abs(rotation) == pytest.approx(30, abs=0.5)
    assert deviation < 0.5 and side_ratio > 0.99


def test_rectified_crop_is_upright_and_maps_back():
    image, truth = _photo("id_card", 0)
    detection = document_detect(image)

    crop, matrix = document_rectify(image, detection, width=1100)

    assert crop.shape[1] == 1100 and 1.45 < crop.shape[1] / crop.shape[0] < 1.75
    corners = np.array([[0, 0], [1099, 0], [1099, crop.shape[0] - 1], [0, crop.shape[0] - 1]], dtype=float)
    back = np.linalg.inv(matrix) @ np.c_[corners, np.ones(4)].T
    back = (back[:2] / back[2]).T
    assert np.abs(back - detection.quad).max() < 1.0


def test_background_fit_by_normal_equations_matches_an_svd_least_squares():
    from verification.document import _least_squares

    # the detector's design: six polynomial terms of border coordinates centred on the image
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-0.5, 0.5, 5000), rng.uniform(-0.5, 0.5, 5000)
    design = np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], axis=1)
    values = design @ np.array([120.0, 8.0, -5.0, 3.0, 2.0, -1.0]) + rng.normal(0, 4, len(x))
    expected, *_ = np.linalg.lstsq(design, values, rcond=None)
    assert np.allclose(_least_squares(design, values), expected, rtol=0, atol=1e-9)


def test_the_hull_of_each_rows_extreme_pixels_is_the_hull_of_every_pixel():
    import cv2

    from verification.document import _row_extremes

    rng = np.random.default_rng(11)
    for _ in range(20):
        mask = np.zeros((120, 160), np.uint8)
        for _ in range(rng.integers(1, 6)):  # scattered strokes and blobs, as an edge map has
            x, y = rng.integers(5, 150), rng.integers(5, 110)
            cv2.line(mask, (int(x), int(y)), (int(rng.integers(5, 150)), int(rng.integers(5, 110))), 255, 1)
        mask[rng.random(mask.shape) > 0.995] = 255
        assert np.array_equal(cv2.convexHull(_row_extremes(mask)), cv2.convexHull(cv2.findNonZero(mask)))
