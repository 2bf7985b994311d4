"""Selfies for measuring the Step 2 face checks: the genuine holder and each defect on demand.

Built from the generator's documents at run time (`holder_selfie`: the document's own portrait as a
front camera sees it) with OpenCV transforms; nothing third-party. `make eval` posts each through
the real Step 1 and Step 2 (`manage.py kyc_eval`), `EXPECTED_CODES` in verification.evaluation says
which answer each case must produce.
"""

import cv2
import numpy as np

from .generator import GeneratedDocument, generate_document, holder_selfie
from .generator.capture import jpeg_encode, screen_photo

# case -> what it shows (the expected codes are in verification.evaluation.EXPECTED_CODES["selfie:<case>"])
SELFIE_CASES = ("genuine", "no_face", "two_faces", "small_face", "cropped_face", "face_on_screen", "other_person")
BACKGROUND = (128, 134, 140)


def _decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[..., ::-1].copy()


def _canvas(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    width, height = size
    plain = np.full((height, width, 3), BACKGROUND, np.float32)
    return np.clip(plain + rng.normal(0, 3, plain.shape), 0, 255).astype(np.uint8)


def _place(canvas: np.ndarray, image: np.ndarray, x: int, y: int) -> np.ndarray:
    out = canvas.copy()
    h, w = image.shape[:2]
    H, W = out.shape[:2]
    sx, sy = max(0, -x), max(0, -y)
    dx, dy = max(0, x), max(0, y)
    ex, ey = min(W, x + w), min(H, y + h)
    out[dy:ey, dx:ex] = image[sy:sy + ey - dy, sx:sx + ex - dx]
    return out


def selfie_case(doc: GeneratedDocument, case: str, *, seed: int) -> bytes:
    """JPEG bytes of a Step 2 selfie for `doc`'s applicant showing `case`."""
    rng = np.random.default_rng(seed)
    if case == "genuine":
        return holder_selfie(doc, seed=seed)
    face = _decode(holder_selfie(doc, seed=seed))
    h, w = face.shape[:2]
    if case == "no_face":
        image = _canvas((w, h), rng)
    elif case == "two_faces":
        other = _decode(holder_selfie(generate_document(doc.kind, seed=seed + 500), seed=seed))
        other = cv2.resize(other, (w, h), interpolation=cv2.INTER_AREA)
        image = np.hstack([face, other])
    elif case == "small_face":  # the applicant far from the camera: the face is a tenth of the frame
        small = cv2.resize(face, (w // 9, h // 9), interpolation=cv2.INTER_AREA)
        image = _place(_canvas((w, h), rng), small, (w - small.shape[1]) // 2, (h - small.shape[0]) // 2)
    elif case == "cropped_face":  # the face runs off the left edge of the frame
        image = _place(_canvas((w, h), rng), face, -w // 3, 0)
    elif case == "face_on_screen":  # a photo of the face shown on a monitor (replay)
        shot = screen_photo(np.ascontiguousarray(face), np.full((h, w), 255, np.uint8), rng)
        image = shot.image
    elif case == "other_person":  # someone else's selfie: the holder of another document
        return holder_selfie(generate_document(doc.kind, seed=seed + 1000), seed=seed)
    else:
        raise ValueError(f"unknown selfie case {case!r}; known: {SELFIE_CASES}")
    return jpeg_encode(np.ascontiguousarray(image.astype(np.uint8)), quality=90)
