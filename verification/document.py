"""Find the ID document in a photo: its quadrilateral, pose, and a rectified crop.

Classical computer vision, no model: edge and brightness segmentations each propose convex
quadrilaterals; a candidate must cover a plausible share of the image, be close to a
rectangle (area / min-area-rect area) and have an ID-like aspect ratio once rectified. The
best-scoring candidate wins. Pose is measured on it: in-plane rotation of its long edges and
the perspective skew (how far its corners are from right angles and its opposite sides from
equal length).
"""

from dataclasses import dataclass

import cv2
import numpy as np

from .imaging import AnalysisImage
from .thresholds import ThresholdSpec, threshold, thresholds_register

thresholds_register({
    "document.min_area_share": ThresholdSpec(
        0.08, "Smallest share of the image a document quadrilateral may cover."),
    "document.min_rectangularity": ThresholdSpec(
        0.85, "Quadrilateral area over its minimum-area rectangle: below it the shape is not a card."),
    "document.max_rotation_deg": ThresholdSpec(
        25.0, "Largest in-plane rotation (degrees) of a document still read 'in the right direction'."),
    "document.max_corner_deviation_deg": ThresholdSpec(
        16.0, "Largest deviation of a corner from 90 degrees before the perspective counts as abnormal."),
})

# Rectified aspect ratios (long/short) of ISO ID-1 cards (1.586) and TD3 passport pages (1.42),
# with room for lens distortion and loose crops.
ASPECT_MIN, ASPECT_MAX = 1.2, 1.85
WORK_SIDE = 640  # detection runs on a small copy: edges of a card survive, noise does not


@dataclass
class DocumentDetection:
    quad: np.ndarray  # 4×2 float, analysis-image pixels, ordered TL, TR, BR, BL
    area_share: float
    rectangularity: float
    aspect: float
    rotation_deg: float  # in-plane rotation of the long axis from horizontal, -90..90
    corner_deviation_deg: float  # max |corner angle - 90|
    side_ratio: float  # shorter/longer of each pair of opposite sides, the worse pair
    method: str

    @property
    def is_abnormal_pose(self) -> bool:
        return (
            abs(self.rotation_deg) > threshold("document.max_rotation_deg")
            or self.corner_deviation_deg > threshold("document.max_corner_deviation_deg")
        )

    def evidence(self, image: AnalysisImage) -> dict:
        return {
            "quad": image.to_original(self.quad),
            "area_share": round(self.area_share, 3),
            "rectangularity": round(self.rectangularity, 3),
            "aspect": round(self.aspect, 3),
            "rotation_deg": round(self.rotation_deg, 1),
            "corner_deviation_deg": round(self.corner_deviation_deg, 1),
            "method": self.method,
        }


def order_quad(points: np.ndarray) -> np.ndarray:
    """Order four points TL, TR, BR, BL (by sums and differences of coordinates)."""
    pts = np.asarray(points, dtype=np.float64).reshape(4, 2)
    by_sum = pts.sum(axis=1)
    by_diff = np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(by_sum)], pts[np.argmin(by_diff)], pts[np.argmax(by_sum)], pts[np.argmax(by_diff)]])


def _angle(a, b, c) -> float:
    v1, v2 = a - b, c - b
    cos = float(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2) + 1e-9))
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))))


def quad_pose(quad: np.ndarray) -> tuple[float, float, float, float]:
    """(aspect, rotation_deg, corner_deviation_deg, side_ratio) of an ordered quad."""
    tl, tr, br, bl = quad
    top, bottom = np.linalg.norm(tr - tl), np.linalg.norm(br - bl)
    left, right = np.linalg.norm(bl - tl), np.linalg.norm(br - tr)
    width, height = (top + bottom) / 2, (left + right) / 2
    aspect = max(width, height) / max(min(width, height), 1e-6)
    if width >= height:
        axis = ((tr - tl) + (br - bl)) / 2
    else:
        axis = ((bl - tl) + (br - tr)) / 2
    rotation = float(np.degrees(np.arctan2(axis[1], axis[0])))
    if rotation > 90:
        rotation -= 180
    elif rotation < -90:
        rotation += 180
    corners = [_angle(bl, tl, tr), _angle(tl, tr, br), _angle(tr, br, bl), _angle(br, bl, tl)]
    deviation = max(abs(c - 90) for c in corners)
    side_ratio = min(min(top, bottom) / max(top, bottom, 1e-6), min(left, right) / max(left, right, 1e-6))
    return aspect, rotation, deviation, side_ratio


def _candidates(gray: np.ndarray) -> list[tuple[np.ndarray, str]]:
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    median = float(np.median(blurred))
    edges = cv2.Canny(blurred, int(max(0, 0.66 * median)), int(min(255, 1.33 * median)))
    edges = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8), iterations=2)
    masks = [(edges, "edges")]
    # Cards are usually lighter (or darker) than what they lie on: Otsu both ways.
    _, light = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    masks += [(light, "brightness"), (255 - light, "darkness")]
    proposals = []
    for mask, method in masks:
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
            hull = cv2.convexHull(contour)
            perimeter = cv2.arcLength(hull, True)
            approx = cv2.approxPolyDP(hull, 0.02 * perimeter, True)
            if len(approx) == 4:
                proposals.append((approx.reshape(4, 2).astype(np.float64), method))
            else:
                proposals.append((cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float64), method + "+rect"))
    return proposals


def document_detect(image: AnalysisImage) -> DocumentDetection | None:
    """The most document-like quadrilateral in the image, or None."""
    gray = image.gray
    factor = WORK_SIDE / max(gray.shape)
    small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else gray
    factor = min(factor, 1.0)
    image_area = small.shape[0] * small.shape[1]
    best, best_score = None, 0.0
    for quad, method in _candidates(small):
        quad = order_quad(quad)
        area = cv2.contourArea(quad.astype(np.float32))
        share = area / image_area
        if share < threshold("document.min_area_share") or share > 0.995:
            continue
        (_, _), (w, h), _ = cv2.minAreaRect(quad.astype(np.float32))
        rectangularity = area / max(w * h, 1e-6)
        if rectangularity < threshold("document.min_rectangularity"):
            continue
        aspect, rotation, deviation, side_ratio = quad_pose(quad)
        if not ASPECT_MIN <= aspect <= ASPECT_MAX * 1.35:
            continue
        # Prefer large, rectangular candidates found by edges (exact borders) over blobs.
        score = share * rectangularity * (1.05 if method == "edges" else 1.0)
        if score > best_score:
            best_score = score
            best = DocumentDetection(
                quad=quad / factor, area_share=share, rectangularity=rectangularity, aspect=aspect,
                rotation_deg=rotation, corner_deviation_deg=deviation, side_ratio=side_ratio, method=method,
            )
    return best


def document_warp(image: AnalysisImage, detection: DocumentDetection, *, width: int = 1000) -> np.ndarray:
    """The document rectified to a fronto-parallel RGB crop `width` pixels wide."""
    quad = detection.quad.astype(np.float32)
    tl, tr, br, bl = quad
    w = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    h = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    if h > w:  # portrait-held card: rotate so the long side is horizontal
        quad = np.array([bl, tl, tr, br], dtype=np.float32)
        w, h = h, w
    height = max(1, round(width * h / max(w, 1)))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    return cv2.warpPerspective(image.rgb, matrix, (width, height), flags=cv2.INTER_LINEAR)
