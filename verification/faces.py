"""Faces: detection, 5 landmarks, 128-D descriptors, similarity and head pose, with dlib.

Models (loaded lazily, once per process, under a lock):
- detection: dlib's HOG frontal face detector (built into the `dlib-bin` wheel); when it finds
  several faces, each is confirmed by the CNN (MMOD) detector `mmod_human_face_detector.dat`;
- landmarks: `shape_predictor_5_face_landmarks.dat` (eye corners and the base of the nose), from the
  `face_recognition_models` package. The 68-point model in the same package is trained on iBUG
  300-W, whose licence excludes commercial use: it is never used unless `landmark_model_set("68")`
  is called (the KYC_FACE_LANDMARK_MODEL setting), and the yaw estimate below always reads the
  5 points;
- descriptor: `dlib_face_recognition_resnet_model_v1.dat` (ResNet, 128-D; Davis King released the
  dlib models into the public domain).

The weight files are located with `importlib.util.find_spec`, without importing the package's
`__init__` (it needs pkg_resources from an old setuptools).

Every coordinate returned is in the pixels of the array given (the stored, upright image); the
analysis itself runs on a copy bounded to `ANALYSIS_MAX_SIDE`, so time is bounded whatever the
upload's size. This module knows nothing about Django.
"""

import importlib.util
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ANALYSIS_MAX_SIDE = 1024  # longest side at which faces are searched
DESCRIPTOR_FACE_PX = 200  # the face box is brought to about this width before the 150 px chip is cut
SMALL_FACE_UPSAMPLE = 1  # second pass, only when the first finds nothing: faces down to ~40 px
# Third pass, only when HOG finds nothing at all: dlib's CNN (MMOD) detector at this size. It finds
# faces HOG misses (soft, small or stylised portraits: 1 in 7 of the generator's ID fronts) at ~2.5 s
# on one core, a cost paid only on the way to a no_face answer or by a hard capture.
CNN_FALLBACK_SIDE = 800
# Confirmation of several faces by the CNN detector (see face_confirm).
CONFIRM_MAX_FACES = 4
CONFIRM_CONTEXT = 0.6
CONFIRM_FACE_PX = 100
CONFIRM_MIN_CONFIDENCE = 0.0

# Similarity: Euclidean distance d between two descriptors mapped to 0-100, piecewise linear:
# 100 at d = 0, 85 at d = MATCH_DISTANCE, 0 at d = ZERO_DISTANCE. dlib's own same-person cut-off
# is 0.6 (99.38 % on LFW); on this project's test faces the same person measures 0.00-0.37 and
# different people 0.58 and more, so 85 (the project default) is put at 0.50, between them, and
# dlib's 0.6 reads 70.8. Calibration: docs/checks/faces.md.
MATCH_DISTANCE = 0.50
ZERO_DISTANCE = 1.10
MATCH_SIMILARITY = 85.0

# The 5-point model's order: the subject's left eye (image right) outer, inner; right eye outer,
# inner; the base of the nose.
LEFT_OUTER, LEFT_INNER, RIGHT_OUTER, RIGHT_INNER, NOSE = range(5)
# A mean face in millimetres (x to the subject's left, z towards the camera, nose base at 0):
# biocular width ~90 mm, intercanthal ~32 mm; inner corners ~8 mm and outer ~21 mm behind the
# nose base. Yaw is read by fitting x' = a·x + b·z + c to the landmarks (weak perspective).
POSE_TEMPLATE_X = np.array([45.0, 16.0, -45.0, -16.0, 0.0])
POSE_TEMPLATE_Z = np.array([-21.0, -8.0, -21.0, -8.0, 0.0])

MODEL_FILES = {
    "detector_cnn": "mmod_human_face_detector.dat",
    "landmarks_5": "shape_predictor_5_face_landmarks.dat",
    "landmarks_68": "shape_predictor_68_face_landmarks.dat",
    "descriptor": "dlib_face_recognition_resnet_model_v1.dat",
}


class FaceEngineError(Exception):
    """The face engine cannot run (missing package or weights, unusable input)."""


@dataclass(frozen=True)
class Face:
    """One detected face, in the pixels of the image given to `faces_detect`.

    `box` is (x0, y0, x1, y1) and may reach outside the image (a cropped face); `landmarks` are
    the 5 points in model order; `score` is the detector's margin (higher = more face-like).
    """

    box: tuple[float, float, float, float]
    landmarks: tuple[tuple[float, float], ...]
    score: float

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def size(self) -> float:
        """The face box's shorter side."""
        return min(self.width, self.height)

    def as_evidence(self) -> dict:
        return {"box": [round(v, 1) for v in self.box],
                "landmarks": [[round(x, 1), round(y, 1)] for x, y in self.landmarks],
                "detector_score": round(self.score, 3)}


# -- models --------------------------------------------------------------------------------------------

_LOCK = threading.Lock()
# dlib's DNNs (descriptor, CNN detector) keep working buffers in the network object: one call at a time
# per process. The HOG detector and the shape predictor are read-only and need no lock.
_DNN_LOCK = threading.Lock()
_MODELS: dict[str, object] = {}
_LANDMARK_MODEL = {"name": "5"}


def models_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceEngineError("the face_recognition_models package is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def landmark_model_set(name: str) -> None:
    """Choose the landmark model: "5" (default) or "68" (non-commercial licence; see module docstring)."""
    if name not in ("5", "68"):
        raise FaceEngineError(f"unknown landmark model {name!r}: 5 or 68")
    with _LOCK:
        if _LANDMARK_MODEL["name"] != name:
            _LANDMARK_MODEL["name"] = name
            _MODELS.pop("landmarks", None)


def _model(key: str):
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = _load(key)
        return _MODELS[key]


def _load(key: str):
    try:
        import dlib
    except ImportError as exc:
        raise FaceEngineError("dlib is not installed (pip install dlib-bin)") from exc
    if key == "detector":
        return dlib.get_frontal_face_detector()
    file_key = {"landmarks": f"landmarks_{_LANDMARK_MODEL['name']}", "descriptor": "descriptor",
                "detector_cnn": "detector_cnn"}[key]
    path = models_dir() / MODEL_FILES[file_key]
    if not path.is_file():
        raise FaceEngineError(f"face model {path} is missing")
    if key == "landmarks":
        return dlib.shape_predictor(str(path))
    if key == "detector_cnn":
        return dlib.cnn_face_detection_model_v1(str(path))
    return dlib.face_recognition_model_v1(str(path))


# -- detection -------------------------------------------------------------------------------------------


def _as_rgb(rgb: np.ndarray) -> np.ndarray:
    array = np.asarray(rgb)
    if array.ndim == 2:
        array = np.dstack([array] * 3)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or min(array.shape[:2]) < 1:
        raise FaceEngineError(f"expected an RGB image, got shape {array.shape}")
    if array.shape[2] == 4:
        array = array[..., :3]
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(array)


def bounded(rgb: np.ndarray, max_side: int = ANALYSIS_MAX_SIDE) -> tuple[np.ndarray, float]:
    """The image reduced to at most `max_side` (never enlarged) and the original pixels per analysis pixel."""
    h, w = rgb.shape[:2]
    factor = max(h, w) / max_side
    if factor <= 1:
        return rgb, 1.0
    small = cv2.resize(rgb, (max(1, round(w / factor)), max(1, round(h / factor))), interpolation=cv2.INTER_AREA)
    return small, w / small.shape[1]


def faces_detect(rgb: np.ndarray, *, max_side: int = ANALYSIS_MAX_SIDE, min_score: float = 0.0,
                 confirm: bool = True, cnn_fallback: bool = True) -> list[Face]:
    """Every face found, largest first, with 5 landmarks, in the pixels of `rgb`.

    A first pass looks at the bounded image as is (faces of ~80 px and more there); only when it
    finds nothing, a second pass upsamples once (faces down to ~40 px), and when that finds nothing
    either, the CNN detector searches a copy bounded to CNN_FALLBACK_SIDE. When several faces are
    found and `confirm` is set, each is confirmed by the CNN detector (`face_confirm`): the HOG
    detector's false positives (a badge, a fold of cloth) must not make one applicant two faces.
    """
    image = _as_rgb(rgb)
    small, scale = bounded(image, max_side)
    detector, predictor = _model("detector"), _model("landmarks")
    rects, scores, _ = detector.run(small, 0, min_score)
    if not len(rects):
        rects, scores, _ = detector.run(small, SMALL_FACE_UPSAMPLE, min_score)
    if not len(rects) and cnn_fallback:
        small, scale = bounded(image, CNN_FALLBACK_SIDE)
        small = np.ascontiguousarray(small)
        with _DNN_LOCK:
            found = [d for d in _model("detector_cnn")(small, 0) if d.confidence > CONFIRM_MIN_CONFIDENCE]
        rects, scores = [d.rect for d in found], [float(d.confidence) for d in found]
    faces = []
    for rect, score in zip(rects, scores, strict=True):
        shape = predictor(small, rect)
        points = [(shape.part(i).x, shape.part(i).y) for i in range(shape.num_parts)]
        if len(points) == 68:  # keep the 5-point layout: eye corners and the base of the nose
            points = [points[45], points[42], points[36], points[39], points[33]]
        faces.append(Face(
            box=tuple(float(v) * scale for v in (rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1)),
            landmarks=tuple((float(x) * scale, float(y) * scale) for x, y in points),
            score=float(score)))
    faces.sort(key=lambda face: face.width * face.height, reverse=True)
    if confirm and len(faces) > 1:
        confirmed = [face for face in faces[:CONFIRM_MAX_FACES] if face_confirm(image, face)]
        faces = confirmed or [max(faces, key=lambda face: face.score)]
    return faces


def face_confirm(rgb: np.ndarray, face: Face) -> bool:
    """Does dlib's CNN (MMOD) detector also find a face in this face's neighbourhood?

    The crop (the box and CONFIRM_CONTEXT of its size around) is scaled so the face measures
    CONFIRM_FACE_PX: the CNN costs ~0.2-0.3 s per crop on one core, whatever the upload's size.
    """
    image = _as_rgb(rgb)
    h, w = image.shape[:2]
    x0, y0, x1, y1 = face.box
    side = max(face.width, face.height, 1.0)
    margin = CONFIRM_CONTEXT * side
    cx0, cy0 = int(max(0, x0 - margin)), int(max(0, y0 - margin))
    cx1, cy1 = int(min(w, x1 + margin)), int(min(h, y1 + margin))
    if cx1 - cx0 < 2 or cy1 - cy0 < 2:
        return False
    factor = CONFIRM_FACE_PX / side
    crop = cv2.resize(image[cy0:cy1, cx0:cx1], None, fx=factor, fy=factor,
                      interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    detector = _model("detector_cnn")
    with _DNN_LOCK:
        detections = detector(np.ascontiguousarray(crop), 0)
    return any(d.confidence > CONFIRM_MIN_CONFIDENCE for d in detections)


# -- descriptors and similarity --------------------------------------------------------------------------


def face_descriptor(rgb: np.ndarray, face: Face) -> np.ndarray:
    """The 128-D ResNet descriptor of `face` (found on `rgb`), float64.

    The descriptor is computed on a crop around the face brought to about DESCRIPTOR_FACE_PX, from
    the full-resolution image, so large uploads cost no more than small ones.
    """
    import dlib

    image = _as_rgb(rgb)
    h, w = image.shape[:2]
    x0, y0, x1, y1 = face.box
    side = max(face.width, face.height)
    cx0, cy0 = max(0, int(x0 - side)), max(0, int(y0 - side))
    cx1, cy1 = min(w, int(math.ceil(x1 + side))), min(h, int(math.ceil(y1 + side)))
    if cx1 - cx0 < 2 or cy1 - cy0 < 2:
        raise FaceEngineError("the face lies outside the image")
    crop = image[cy0:cy1, cx0:cx1]
    factor = min(1.0, DESCRIPTOR_FACE_PX / max(face.width, 1.0))
    if factor < 1:
        crop = cv2.resize(crop, (max(2, round(crop.shape[1] * factor)), max(2, round(crop.shape[0] * factor))),
                          interpolation=cv2.INTER_AREA)
    crop = np.ascontiguousarray(crop)

    def local(x: float, y: float) -> tuple[int, int]:
        return round((x - cx0) * factor), round((y - cy0) * factor)

    rect = dlib.rectangle(*local(x0, y0), *local(x1 - 1, y1 - 1))
    predictor = _model("landmarks")
    # Landmarks again on the crop: the descriptor's chip is aligned on the predictor's own points.
    shape = predictor(crop, rect)
    model = _model("descriptor")
    with _DNN_LOCK:
        descriptor = model.compute_face_descriptor(crop, shape)
    return np.asarray(descriptor, dtype=np.float64)


def descriptor_distance(d1: np.ndarray, d2: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(d1, np.float64) - np.asarray(d2, np.float64)))


def distance_similarity(distance: float) -> float:
    """0-100 from a descriptor distance (piecewise linear; see MATCH_DISTANCE)."""
    if distance <= MATCH_DISTANCE:
        value = 100.0 - (100.0 - MATCH_SIMILARITY) * distance / MATCH_DISTANCE
    else:
        value = MATCH_SIMILARITY * (ZERO_DISTANCE - distance) / (ZERO_DISTANCE - MATCH_DISTANCE)
    return round(float(np.clip(value, 0.0, 100.0)), 2)


def face_similarity(d1: np.ndarray, d2: np.ndarray) -> float:
    """Similarity 0-100 of two descriptors; 85 = the calibrated same-person boundary."""
    return distance_similarity(descriptor_distance(d1, d2))


# -- geometry ------------------------------------------------------------------------------------------


def _eye_centres(face: Face) -> tuple[np.ndarray, np.ndarray]:
    points = np.asarray(face.landmarks, dtype=np.float64)
    left = (points[LEFT_OUTER] + points[LEFT_INNER]) / 2
    right = (points[RIGHT_OUTER] + points[RIGHT_INNER]) / 2
    return left, right


def interpupillary_distance(face: Face) -> float:
    """Distance between the eye centres (mid-points of each eye's corners), in pixels."""
    left, right = _eye_centres(face)
    return float(np.linalg.norm(left - right))


def face_roll(face: Face) -> float:
    """In-plane rotation of the eye line, degrees (0 = level)."""
    left, right = _eye_centres(face)
    return float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))


def face_yaw(face: Face) -> float:
    """Out-of-plane rotation about the vertical axis, degrees; positive: the nose points to the image's right.

    The landmarks are levelled (roll removed), then x = a·X + b·Z + c is fitted to the mean face
    template (POSE_TEMPLATE_*): a = s·cos(yaw), b = s·sin(yaw) under weak perspective. A frontal
    face has its nose base half-way between eyes of equal width; a turned one shifts the nose towards
    the far eye and narrows that eye.
    """
    points = np.asarray(face.landmarks, dtype=np.float64)
    angle = np.radians(face_roll(face))
    centre = points.mean(axis=0)
    x = (points[:, 0] - centre[0]) * np.cos(angle) + (points[:, 1] - centre[1]) * np.sin(angle)
    design = np.column_stack([POSE_TEMPLATE_X, POSE_TEMPLATE_Z, np.ones(5)])
    (a, b, _), *_ = np.linalg.lstsq(design, x, rcond=None)
    return float(np.degrees(np.arctan2(b, a)))


def face_pose(face: Face) -> dict[str, float]:
    return {"yaw_deg": round(face_yaw(face), 1), "roll_deg": round(face_roll(face), 1),
            "interpupillary_px": round(interpupillary_distance(face), 1)}
