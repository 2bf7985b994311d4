"""Test faces, built at run time: nothing third-party is committed.

- `astronaut()`: skimage's public-domain NASA portrait of Eileen Collins (shipped in the
  scikit-image wheel);
- `procedural(seed)`: the generator's procedural face (verification/generator/face.py);
- transforms that make each genuine and defective case: a selfie (camera noise, JPEG), the same face
  pasted as the portrait of a generated passport, two faces side by side, a small, cropped, near-border
  or turned face, a face shown on a monitor and photographed (moiré).
"""

import functools

import cv2
import numpy as np

from verification.generator import generate_document
from verification.generator.capture import jpeg_encode, screen_photo
from verification.generator.face import face_render


@functools.cache
def _astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def astronaut() -> np.ndarray:
    return _astronaut().copy()


def procedural(seed: int, width: int = 480, height: int = 600) -> np.ndarray:
    return face_render(np.random.default_rng(seed), width, height)


def camera(rgb: np.ndarray, seed: int = 0, *, sigma: float = 2.5) -> np.ndarray:
    """Sensor grain and a little lens blur, as a phone leaves them."""
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rgb.astype(np.float32), (0, 0), 0.6)
    img += rng.standard_normal(img.shape[:2], dtype=np.float32)[..., None] * sigma
    return np.clip(img, 0, 255).astype(np.uint8)


def jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    return jpeg_encode(np.ascontiguousarray(rgb), quality=quality)


def decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[..., ::-1].copy()


def selfie(rgb: np.ndarray, seed: int = 0, *, size: int = 900) -> np.ndarray:
    """A selfie-like frame: the portrait enlarged to `size` px wide with camera noise."""
    h, w = rgb.shape[:2]
    big = cv2.resize(rgb, (size, round(h * size / w)), interpolation=cv2.INTER_CUBIC)
    return camera(big, seed)


def canvas(rgb: np.ndarray, size: tuple[int, int], at: tuple[int, int], colour=(120, 128, 135)) -> np.ndarray:
    """`rgb` placed at `at` (may reach outside) on a plain canvas of `size` = (width, height)."""
    width, height = size
    out = np.zeros((height, width, 3), np.uint8)
    out[:] = colour
    x, y = at
    h, w = rgb.shape[:2]
    sx0, sy0 = max(0, -x), max(0, -y)
    dx0, dy0 = max(0, x), max(0, y)
    dx1, dy1 = min(width, x + w), min(height, y + h)
    out[dy0:dy1, dx0:dx1] = rgb[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0]
    return out


def side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    height = max(left.shape[0], right.shape[0])
    pad = [canvas(img, (img.shape[1], height), (0, 0)) for img in (left, right)]
    return np.hstack(pad)


def turned(rgb: np.ndarray, degrees: float, *, centre_x: float, radius: float) -> np.ndarray:
    """The head mapped on a vertical cylinder and turned by `degrees` (a yaw the landmarks can read)."""
    h, w = rgb.shape[:2]
    xs = np.arange(w, dtype=np.float32)
    out_x = (xs - centre_x) / radius
    phi = np.arcsin(np.clip(out_x, -1, 1)) - np.radians(degrees)
    inside = (np.abs(out_x) < 1) & (np.abs(phi) < np.pi / 2)
    src = np.where(inside, centre_x + radius * np.sin(phi), xs).astype(np.float32)
    map_x = np.tile(src[None, :], (h, 1))
    map_y = np.tile(np.arange(h, dtype=np.float32)[:, None], (1, w))
    return cv2.remap(rgb, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def on_screen(rgb: np.ndarray, seed: int = 0) -> np.ndarray:
    """The face shown on a monitor and photographed close up: sub-pixel grid, moiré, banding.

    The generator's monitor capture (1600x1000), cropped to the picture shown, as a replay attack
    fills the camera's frame with it.
    """
    alpha = np.full(rgb.shape[:2], 255, np.uint8)
    shot = screen_photo(np.ascontiguousarray(rgb), alpha, np.random.default_rng(seed))
    h, w = rgb.shape[:2]
    corners = cv2.perspectiveTransform(np.array([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]], np.float64),
                                       shot.transform).reshape(-1, 2)
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    mx, my = 0.04 * (x1 - x0), 0.04 * (y1 - y0)
    x0, y0 = max(0, int(x0 - mx)), max(0, int(y0 - my))
    return np.ascontiguousarray(shot.image[y0:int(y1 + my), x0:int(x1 + mx)])


def astronaut_head() -> np.ndarray:
    """The astronaut's head and shoulders, cropped to a passport portrait's 4:5 aspect."""
    return astronaut()[10:330, 70:326]


@functools.cache
def passport_with_portrait(seed: int, portrait_key: str) -> bytes:
    """A generated passport photo whose portrait is replaced by `portrait_key`.

    "astronaut", "procedural:N" (the generator's face of seed N), or "blank" (an empty photo area).
    """
    doc = generate_document("passport", seed=seed)
    if portrait_key == "astronaut":
        portrait = astronaut_head()
    elif portrait_key == "blank":
        portrait = np.full((400, 320, 3), (228, 232, 236), np.uint8)
    else:
        portrait = procedural(int(portrait_key.split(":")[1]), 320, 400)
    front = decode(doc.front)
    quad = np.asarray(doc.truth["regions"]["quads"]["portrait"], np.float32)
    h, w = portrait.shape[:2]
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, quad)
    size = (front.shape[1], front.shape[0])
    warped = cv2.warpPerspective(portrait, matrix, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, size, flags=cv2.INTER_LINEAR)
    alpha = mask.astype(np.float32)[..., None] / 255
    composed = front * (1 - alpha) + warped * alpha
    return jpeg(camera(np.clip(composed, 0, 255).astype(np.uint8), seed, sigma=1.5), 92)
