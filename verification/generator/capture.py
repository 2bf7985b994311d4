"""Photographing the artwork: desk scenes, screens, photocopies, screenshots, and the file a phone sends.

Every capture returns a `Shot`: the final pixels (before encoding) and the homography that maps
card pixels to them, so the caller can move its regions and paste edits into the same geometry.
"""

import io
import struct
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

from .card import SANS, SANS_BOLD, font
from .identity import REFERENCE_DATE

PHOTO_SIZE = (1600, 1000)
SCREENSHOT_SIZES = ((1170, 2532), (1920, 1080))
CAMERAS = (
    ("Apple", "iPhone 14", 1.5, 26), ("Apple", "iPhone 13 mini", 1.6, 26), ("samsung", "SM-S911B", 1.8, 23),
    ("Google", "Pixel 7", 1.85, 25), ("Xiaomi", "2201117TG", 1.9, 26), ("OnePlus", "CPH2449", 1.8, 24),
)
PHOTOSHOP = "Adobe Photoshop 25.0 (Windows)"


@dataclass
class Shot:
    image: np.ndarray  # RGB uint8, as captured, before encoding
    transform: np.ndarray | None  # 3x3: card pixels -> image pixels; None when no card is shown
    info: dict = field(default_factory=dict)


def points_transform(matrix: np.ndarray, points) -> np.ndarray:
    pts = np.asarray(points, np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(pts, matrix).reshape(-1, 2)


def box_corners(box) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


# -- scene parts ---------------------------------------------------------------------------------------


def _smooth_noise(rng: np.random.Generator, size: tuple[int, int], cell: int) -> np.ndarray:
    """Low-frequency noise in about [-1, 1]: a coarse random grid upsampled bicubically."""
    w, h = size
    coarse = rng.standard_normal((h // cell + 3, w // cell + 3)).astype(np.float32)
    return cv2.resize(coarse, (w + 2 * cell, h + 2 * cell), interpolation=cv2.INTER_CUBIC)[cell:cell + h,
                                                                                           cell:cell + w]


def desk_texture(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A table top: wood, laminate, fabric or a light desk; float32 RGB.

    Drawn at half resolution and upsampled: a desk a few cm out of the focal plane has no finer detail.
    """
    w, h = size
    half = (w // 2 + 1, h // 2 + 1)
    kind = int(rng.integers(4))
    low = _smooth_noise(rng, half, 60)
    grain = rng.standard_normal((half[1], half[0]), dtype=np.float32)
    if kind == 0:  # wood: long grain lines along x, gently wavy, with fine streaks
        y = np.arange(half[1], dtype=np.float32)[:, None] * 2 + 10 * _smooth_noise(rng, half, 150)
        rings = 0.5 + 0.5 * np.sin(y * rng.uniform(0.09, 0.2) + 1.2 * low)
        streaks = cv2.blur(grain, (31, 1)) * 2.5
        base = np.array(((150, 100, 60), (190, 140, 90), (110, 72, 45))[int(rng.integers(3))], np.float32)
        lum = 0.86 + 0.1 * rings ** 3 + 0.05 * streaks + 0.03 * low
    elif kind == 1:  # grey / white laminate
        base = np.array(((200, 200, 196), (160, 162, 165), (225, 222, 215))[int(rng.integers(3))], np.float32)
        lum = 1 + 0.02 * low + 0.015 * grain
    elif kind == 2:  # dark fabric with a weave
        base = np.array(((50, 55, 70), (60, 50, 45), (40, 60, 50))[int(rng.integers(3))], np.float32)
        x, y = np.arange(half[0], dtype=np.float32)[None, :], np.arange(half[1], dtype=np.float32)[:, None]
        lum = 1 + 0.06 * low + 0.08 * np.sin(x * 1.9) * np.sin(y * 1.9) + 0.06 * grain
    else:  # light desk with a soft sheen
        base = np.array(((230, 228, 224), (215, 205, 190)), np.float32)[int(rng.integers(2))]
        lum = 1 + 0.025 * low + 0.01 * grain
    return cv2.resize(lum[..., None] * base, (w, h), interpolation=cv2.INTER_LINEAR)


def paper_texture(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    lum = 246 + 3 * _smooth_noise(rng, size, 150) + 1.5 * rng.standard_normal((h, w), dtype=np.float32)
    return np.repeat(lum[..., None], 3, axis=2)


def _rotation(rx: float, ry: float, rz: float) -> np.ndarray:
    rx, ry, rz = np.radians([rx, ry, rz])
    mx = np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
    my = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
    mz = np.array([[np.cos(rz), -np.sin(rz), 0], [np.sin(rz), np.cos(rz), 0], [0, 0, 1]])
    return mz @ my @ mx


def subject_quad(rng: np.random.Generator, size: tuple[int, int], *, tilted: bool) -> np.ndarray:
    """Where the subject's corners (TL, TR, BR, BL) land, before fitting into the frame."""
    w, h = size
    if tilted:  # a card held at an angle: strong in-plane rotation and a foreshortened 3D tilt
        rz = rng.uniform(35, 60) * rng.choice((-1, 1))
        rx = rng.uniform(25, 42) * rng.choice((-1, 1))
        ry = rng.uniform(0, 15) * rng.choice((-1, 1))
        corners = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
        distance = 1.4 * max(w, h)
        cam = corners @ _rotation(rx, ry, rz).T + np.array([0, 0, distance])
        return distance * cam[:, :2] / cam[:, 2:3]
    angle = np.radians(rng.uniform(-4, 4))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]]) @ rot.T
    # mild perspective: each corner moves by at most 3% of the card's size
    return corners + rng.uniform(-0.03, 0.03, (4, 2)) * np.array([w, h])


def quad_fit(rng: np.random.Generator, quad: np.ndarray, frame: tuple[int, int],
             margins: tuple[float, float] = (0.08, 0.15)) -> np.ndarray:
    """Scale and move `quad` so it fills the frame with a random margin (fraction) on each side."""
    fw, fh = frame
    left, right, top, bottom = rng.uniform(*margins, 4)
    lo, hi = quad.min(axis=0), quad.max(axis=0)
    qw, qh = hi - lo
    avail_w, avail_h = fw * (1 - left - right), fh * (1 - top - bottom)
    scale = min(avail_w / qw, avail_h / qh)
    offset = np.array([fw * left + (avail_w - qw * scale) * rng.random(),
                       fh * top + (avail_h - qh * scale) * rng.random()])
    return (quad - lo) * scale + offset


def _warp(subject: np.ndarray, alpha: np.ndarray, quad: np.ndarray, frame: tuple[int, int]):
    """Warp subject and alpha so its corners land on `quad`; pre-shrinks with INTER_AREA to avoid aliasing.

    Returns (rgb float32, alpha float32 0..1, homography from subject pixels to the frame).
    """
    h, w = subject.shape[:2]
    area = cv2.contourArea(quad.astype(np.float32))
    shrink = min(1.0, float(np.sqrt(area / (w * h))) * 1.1)
    pre = np.eye(3)
    if shrink < 0.9:
        subject = cv2.resize(subject, (round(w * shrink), round(h * shrink)), interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(alpha, (round(w * shrink), round(h * shrink)), interpolation=cv2.INTER_AREA)
        pre = np.diag([subject.shape[1] / w, subject.shape[0] / h, 1.0])
    sh, sw = subject.shape[:2]
    src = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], np.float32)
    homography = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    rgb = cv2.warpPerspective(subject, homography, frame, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(alpha, homography, frame, flags=cv2.INTER_LINEAR)
    return rgb.astype(np.float32), mask.astype(np.float32) / 255.0, homography @ pre


def _soft_shadow(mask: np.ndarray, sigma: float, shift: tuple[int, int]) -> np.ndarray:
    """`mask` blurred by `sigma` and shifted down-right; blurred at quarter size, which is as good here."""
    h, w = mask.shape
    small = cv2.resize(mask, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / 4)
    return np.roll(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), shift, axis=(0, 1))


def _composite(background: np.ndarray, foreground: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """background + (foreground - background) * mask, reusing `foreground`'s buffer."""
    np.subtract(foreground, background, out=foreground)
    foreground *= mask[..., None]
    foreground += background
    return foreground


def _lighting(img: np.ndarray, rng: np.random.Generator, *, tint: bool = True) -> None:
    """Soft uneven light (a gradient and an off-centre falloff) and a warm or cool cast, in place."""
    h, w = img.shape[:2]
    gx = np.linspace(-1, 1, w // 8, dtype=np.float32)[None, :]
    gy = np.linspace(-1, 1, h // 8, dtype=np.float32)[:, None]
    cx, cy = rng.uniform(-0.5, 0.5, 2)
    gain = (1 + rng.uniform(-0.1, 0.1) * gx + rng.uniform(-0.1, 0.1) * gy
            - rng.uniform(0.08, 0.2) * ((gx - cx) ** 2 + (gy - cy) ** 2) * 0.5) * rng.uniform(0.93, 1.04)
    gain = cv2.resize(gain, (w, h), interpolation=cv2.INTER_LINEAR)
    shift = rng.uniform(-0.04, 0.04) if tint else 0.0
    img *= gain[..., None]
    img *= np.array([1 + shift, 1, 1 - shift], np.float32)


def _glare(img: np.ndarray, rng: np.random.Generator, quad: np.ndarray) -> list[int]:
    """A saturated elliptical specular highlight with a soft edge, somewhere on the card."""
    h, w = img.shape[:2]
    u, v = rng.uniform(0.25, 0.75, 2)
    top = quad[0] + (quad[1] - quad[0]) * u
    bottom = quad[3] + (quad[2] - quad[3]) * u
    center = top + (bottom - top) * v
    size = np.linalg.norm(quad[1] - quad[0])
    ax, ay = size * rng.uniform(0.14, 0.26), size * rng.uniform(0.08, 0.15)
    angle = rng.uniform(0, np.pi)
    r = int(max(ax, ay) * 1.6)
    x0, y0 = max(0, int(center[0]) - r), max(0, int(center[1]) - r)
    x1, y1 = min(w, int(center[0]) + r), min(h, int(center[1]) + r)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dx, dy = xx - center[0], yy - center[1]
    ex = (dx * np.cos(angle) + dy * np.sin(angle)) / ax
    ey = (-dx * np.sin(angle) + dy * np.cos(angle)) / ay
    d = np.sqrt(ex * ex + ey * ey)
    strength = np.clip(1.6 * (1.0 - d) + 0.35 * np.exp(-d * d * 1.5), 0, 1.15)[..., None]
    patch = img[y0:y1, x0:x1]
    # beyond 1.0 the core overshoots white, so it stays clipped at 255 after the sensor noise
    img[y0:y1, x0:x1] = patch + (262 - patch) * strength
    # the ellipse's axis-aligned extent
    half_w = np.hypot(ax * np.cos(angle), ay * np.sin(angle))
    half_h = np.hypot(ax * np.sin(angle), ay * np.cos(angle))
    return [max(0, int(center[0] - half_w)), max(0, int(center[1] - half_h)), min(w, int(center[0] + half_w)),
            min(h, int(center[1] + half_h))]


def _blur(img: np.ndarray, rng: np.random.Generator, strong: bool) -> tuple[np.ndarray, dict]:
    if not strong:
        sigma = rng.uniform(0.5, 0.75)
        return cv2.GaussianBlur(img, (0, 0), sigma), {"blur": "lens", "sigma": round(float(sigma), 2)}
    if rng.random() < 0.5:
        sigma = rng.uniform(4.0, 6.5)
        return cv2.GaussianBlur(img, (0, 0), sigma), {"blur": "gaussian", "sigma": round(float(sigma), 2)}
    length, angle = int(rng.integers(24, 44)), rng.uniform(0, 180)
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1
    rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rot, (length, length))
    kernel /= kernel.sum()
    return cv2.filter2D(img, -1, kernel), {"blur": "motion", "length": length, "angle": round(float(angle), 1)}


def _sensor(img: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Sensor noise (sigma on 0-255) as a phone leaves it: fine luminance grain, blotchier chroma noise."""
    h, w = img.shape[:2]
    luma = rng.standard_normal((h, w), dtype=np.float32) * (sigma * 0.85)
    chroma = rng.standard_normal((h // 2 + 1, w // 2 + 1, 3), dtype=np.float32) * (sigma * 0.9)
    chroma = cv2.resize(chroma, (w, h), interpolation=cv2.INTER_LINEAR)
    img += luma[..., None]
    img += chroma
    np.clip(img, 0, 255, out=img)
    return img.astype(np.uint8)


# -- captures ------------------------------------------------------------------------------------------


def photo(subject: np.ndarray, alpha: np.ndarray, rng: np.random.Generator, *, card_transform: np.ndarray | None = None,
          card_size: tuple[int, int] | None = None, tilted: bool = False, blurred: bool = False, glare: bool = False, photocopy: bool = False,
          margins: tuple[float, float] = (0.08, 0.15), background: np.ndarray | None = None) -> Shot:
    """A phone photo of `subject` (the card, or a device or screen showing it) lying on a desk.

    `card_transform` maps card pixels (a card of `card_size`) into subject pixels; by default the
    subject is the card.
    """
    frame = PHOTO_SIZE
    h, w = subject.shape[:2]
    quad = quad_fit(rng, subject_quad(rng, (w, h), tilted=tilted), frame, margins)
    if background is None:
        background = paper_texture(rng, frame) if photocopy else desk_texture(rng, frame)
    rgb, mask, homography = _warp(subject, alpha, quad, frame)
    if not photocopy:  # a soft contact shadow under the card
        shadow = _soft_shadow(mask, 9, (int(rng.integers(3, 12)), int(rng.integers(3, 12))))
        background = background * (1 - 0.35 * shadow)[..., None]
    img = _composite(background, rgb, mask)
    _lighting(img, rng, tint=not photocopy)
    transform = homography @ (card_transform if card_transform is not None else np.eye(3))
    card_quad = points_transform(transform, box_corners((0, 0, *(card_size or (w, h)))))
    info = {"mode": "photocopy" if photocopy else "photo"}
    if glare:
        info["glare_box"] = _glare(img, rng, card_quad)
    img, blur_info = _blur(img, rng, blurred)
    info.update(blur_info)
    sigma = float(rng.uniform(2.0, 3.0))
    info["noise_sigma"] = round(sigma, 2)
    out = _sensor(img, rng, sigma)
    if photocopy:
        gray = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
        out = np.repeat(gray[..., None], 3, axis=2)
    return Shot(image=out, transform=transform, info=info)


def photocopy_card(card: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A black-and-white copy of the card: luminance only, hard contrast, toner specks, the card's outline."""
    gray = cv2.cvtColor(card, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gray = np.clip((gray - 140) * 1.7 + 200, 0, 255)
    specks = rng.random(gray.shape, dtype=np.float32) < 0.0015
    gray[specks] *= 0.4
    edge = cv2.morphologyEx(alpha, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    gray[edge] *= 0.55
    gray = cv2.GaussianBlur(gray, (0, 0), 0.7)
    return np.repeat(gray.astype(np.uint8)[..., None], 3, axis=2)


def device_subject(card: np.ndarray, alpha: np.ndarray, rng: np.random.Generator):
    """A phone lying landscape with the card on its screen: (rgb, alpha, card -> subject transform)."""
    ch, cw = card.shape[:2]
    screen_h = int(ch * 1.06)
    screen_w = int(screen_h * 19.5 / 9)
    bezel, radius = int(screen_h * 0.045), int(screen_h * 0.11)
    w, h = screen_w + 2 * bezel, screen_h + 2 * bezel
    body = np.zeros((h, w), np.uint8)
    cv2.rectangle(body, (radius, 0), (w - radius, h), 255, -1)
    cv2.rectangle(body, (0, radius), (w, h - radius), 255, -1)
    for cx, cy in ((radius, radius), (w - radius, radius), (radius, h - radius), (w - radius, h - radius)):
        cv2.circle(body, (cx, cy), radius, 255, -1, cv2.LINE_AA)
    rgb = np.full((h, w, 3), (22, 22, 25), np.uint8)
    rim = cv2.morphologyEx(body, cv2.MORPH_GRADIENT, np.ones((5, 5), np.uint8))
    rgb[rim > 0] = (90, 90, 96)
    rgb[bezel:bezel + screen_h, bezel:bezel + screen_w] = (4, 4, 6)
    ox, oy = bezel + (screen_w - cw) // 2, bezel + (screen_h - ch) // 2
    # an emissive screen: a little brighter and bluer than paper
    shown = np.clip(card.astype(np.float32) * np.array([0.98, 1.0, 1.07], np.float32) * 1.04, 0, 255)
    a = alpha.astype(np.float32)[..., None] / 255
    region = rgb[oy:oy + ch, ox:ox + cw].astype(np.float32)
    rgb[oy:oy + ch, ox:ox + cw] = (region * (1 - a) + shown * a).astype(np.uint8)
    status = Image.fromarray(rgb)
    ImageDraw.Draw(status).text((bezel + 40, bezel + 10), "9:41", font=font(SANS_BOLD, 24), fill=(235, 235, 235))
    rgb = np.asarray(status).copy()
    cv2.rectangle(rgb, (bezel + screen_w - 90, bezel + 14), (bezel + screen_w - 48, bezel + 32), (235, 235, 235), 2)
    transform = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]], np.float64)
    return rgb, body, transform


def screen_photo(card: np.ndarray, alpha: np.ndarray, rng: np.random.Generator, *, tilted: bool = False,
                 blurred: bool = False, glare: bool = False) -> Shot:
    """The card shown on a monitor and photographed: RGB sub-pixel grid, moiré, refresh banding, bezel."""
    ch, cw = card.shape[:2]
    screen_w, screen_h = 820, 512
    scale = min(screen_w * 0.82 / cw, screen_h * 0.82 / ch)
    sw, sh = round(cw * scale), round(ch * scale)
    content = np.full((screen_h, screen_w, 3), (38, 38, 42), np.float32)
    ox, oy = (screen_w - sw) // 2, (screen_h - sh) // 2
    small = cv2.resize(card, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32)
    a = cv2.resize(alpha, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255
    content[oy:oy + sh, ox:ox + sw] = content[oy:oy + sh, ox:ox + sw] * (1 - a) + small * a
    # each screen pixel becomes 3x3 sensor-scale cells: R, G, B stripes and a dark gap row
    cell = np.full((3, 3, 3), 0.08, np.float32)
    for channel in range(3):
        cell[:, channel, channel] = 1.0
    cell[2] *= 0.6
    up = cv2.resize(content, (screen_w * 3, screen_h * 3), interpolation=cv2.INTER_NEAREST)
    up.reshape(screen_h, 3, screen_w, 3, 3)[:] *= cell[None, :, None, :, :] * 2.7
    card_transform = np.array([[3 * scale, 0, 3 * ox], [0, 3 * scale, 3 * oy], [0, 0, 1]])

    frame = PHOTO_SIZE
    bezel = 48
    outer = (up.shape[1] + 2 * bezel, up.shape[0] + 2 * bezel)
    quad = quad_fit(rng, subject_quad(rng, outer, tilted=tilted), frame, (0.02, 0.07))
    src = np.array([[0, 0], [outer[0], 0], [outer[0], outer[1]], [0, outer[1]]], np.float32)
    homography = cv2.getPerspectiveTransform(src, quad.astype(np.float32)) @ np.array(
        [[1, 0, bezel], [0, 1, bezel], [0, 0, 1]], np.float64)
    background = desk_texture(rng, frame) * 0.45  # a dim room behind the monitor
    cv2.fillConvexPoly(background, quad.astype(np.int32), (14, 14, 16), cv2.LINE_AA)
    # no pre-shrink and plain bilinear sampling: the sensor aliases the sub-pixel grid into moiré
    rgb = cv2.warpPerspective(up, homography, frame, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full(up.shape[:2], 255, np.uint8), homography, frame,
                               flags=cv2.INTER_NEAREST).astype(np.float32) / 255
    img = _composite(background, rgb, mask)
    h, w = img.shape[:2]
    xx = np.arange(w, dtype=np.float32)[None, :]
    yy = np.arange(h, dtype=np.float32)[:, None]
    theta, lam = rng.uniform(0, np.pi), rng.uniform(5, 11)
    beat = rng.uniform(40, 110)
    moire = 1 + 0.09 * np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / lam
                              + 2.5 * np.sin(2 * np.pi * (xx * np.sin(theta) - yy * np.cos(theta)) / (lam * 9))) \
        * (0.5 + 0.5 * np.sin(2 * np.pi * (xx + 0.6 * yy) / beat))
    banding = 1 - 0.06 * (0.5 + 0.5 * np.sin(2 * np.pi * yy / rng.uniform(60, 160) + rng.uniform(0, 6.3)))
    effect = 1 + (moire * banding - 1) * mask  # only where the screen is
    img *= effect[..., None]
    img *= np.array([0.95, 1.0, 1.08], np.float32)
    transform = homography @ card_transform
    info = {"mode": "screen", "moire_period": round(float(lam), 2)}
    if glare:
        info["glare_box"] = _glare(img, rng, points_transform(transform, box_corners((0, 0, cw, ch))))
    img, blur_info = _blur(img, rng, blurred)
    info.update(blur_info)
    return Shot(image=_sensor(img, rng, float(rng.uniform(2.0, 3.0))), transform=transform, info=info)


def screenshot(card: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> Shot:
    """A flat, noise-free screen capture at an exact device resolution (phone or desktop)."""
    ch, cw = card.shape[:2]
    phone = rng.random() < 0.5
    w, h = SCREENSHOT_SIZES[0] if phone else SCREENSHOT_SIZES[1]
    canvas = Image.new("RGB", (w, h), (0, 0, 0) if phone else (32, 33, 36))
    draw = ImageDraw.Draw(canvas)
    if phone:
        draw.text((70, 40), "9:41", font=font(SANS_BOLD, 46), fill=(255, 255, 255))
        draw.rounded_rectangle((w - 170, 48, w - 80, 88), radius=10, outline=(255, 255, 255), width=3)
        draw.rounded_rectangle((w - 164, 54, w - 100, 82), radius=6, fill=(255, 255, 255))
        scale = (w - 60) / cw
        ox, oy = 30, (h - ch * scale) / 2
    else:
        draw.rectangle((0, 0, w, 44), fill=(52, 53, 58))
        draw.text((w / 2, 22), f"IMG_{int(rng.integers(1000, 9999))}.JPG", font=font(SANS, 20), fill=(220, 220, 220),
                  anchor="mm")
        for i, color in enumerate(((237, 106, 94), (245, 191, 79), (98, 197, 84))):
            draw.ellipse((16 + i * 28, 14, 32 + i * 28, 30), fill=color)
        scale = min((w - 160) / cw, (h - 160) / ch)
        ox, oy = (w - cw * scale) / 2, 44 + (h - 44 - ch * scale) / 2
    size = (round(cw * scale), round(ch * scale))
    shown = Image.fromarray(cv2.resize(card, size, interpolation=cv2.INTER_AREA))
    mask = Image.fromarray(cv2.resize(alpha, size, interpolation=cv2.INTER_AREA))
    canvas.paste(shown, (round(ox), round(oy)), mask)
    sx, sy = size[0] / cw, size[1] / ch
    transform = np.array([[sx, 0, round(ox)], [0, sy, round(oy)], [0, 0, 1]], np.float64)
    return Shot(image=np.asarray(canvas).copy(), transform=transform, info={"mode": "screenshot", "device": (
        "phone" if phone else "desktop")})


def no_document_photo(rng: np.random.Generator) -> Shot:
    """A desk with everyday objects and no card: a mug, pens, coins, a leaf."""
    frame = PHOTO_SIZE
    img = desk_texture(rng, frame)
    layer = np.zeros((frame[1], frame[0], 3), np.uint8)
    cover = np.zeros((frame[1], frame[0]), np.uint8)

    def put(draw_fn, color):
        mask = np.zeros_like(cover)
        draw_fn(mask)
        layer[mask > 0] = color
        cover[mask > 0] = 255

    mx, my = rng.uniform(300, 1300), rng.uniform(250, 750)
    radius = rng.uniform(110, 170)
    mug = tuple(int(c) for c in rng.integers(40, 230, 3))
    put(lambda m: cv2.line(m, (int(mx), int(my)), (int(mx + radius * 1.5), int(my + 20)), 255, int(radius * 0.3)), mug)
    put(lambda m: cv2.circle(m, (int(mx), int(my)), int(radius), 255, -1, cv2.LINE_AA), mug)
    put(lambda m: cv2.circle(m, (int(mx), int(my)), int(radius * 0.85), 255, -1, cv2.LINE_AA), (70, 42, 25))
    for _ in range(int(rng.integers(1, 4))):  # pens
        x0, y0 = rng.uniform(100, 1500), rng.uniform(100, 900)
        angle, length = rng.uniform(0, np.pi), rng.uniform(260, 420)
        x1, y1 = x0 + length * np.cos(angle), y0 + length * np.sin(angle)
        color = tuple(int(c) for c in rng.integers(10, 220, 3))
        put(lambda m, a=(x0, y0, x1, y1): cv2.line(m, (int(a[0]), int(a[1])), (int(a[2]), int(a[3])), 255, 16,
                                                   cv2.LINE_AA), color)
        put(lambda m, a=(x0, y0, x1, y1): cv2.line(m, (int(a[0]), int(a[1])), (int(a[0] + (a[2] - a[0]) * 0.25),
                                                                               int(a[1] + (a[3] - a[1]) * 0.25)),
                                                   255, 19, cv2.LINE_AA), (30, 30, 30))
    for _ in range(int(rng.integers(2, 6))):  # coins
        cx, cy, r = rng.uniform(80, 1520), rng.uniform(80, 920), rng.uniform(22, 34)
        put(lambda m, c=(cx, cy, r): cv2.circle(m, (int(c[0]), int(c[1])), int(c[2]), 255, -1, cv2.LINE_AA),
            (196, 160, 90) if rng.random() < 0.5 else (180, 180, 185))
    lx, ly = rng.uniform(200, 1400), rng.uniform(150, 850)
    put(lambda m: cv2.ellipse(m, (int(lx), int(ly)), (90, 38), rng.uniform(0, 180), 0, 360, 255, -1, cv2.LINE_AA),
        (60, 130, 50))
    mask = cover.astype(np.float32) / 255
    shadow = np.roll(cv2.GaussianBlur(mask, (0, 0), 12), (10, 10), axis=(0, 1))
    shade = 0.85 + 0.15 * cv2.GaussianBlur(_smooth_noise(rng, frame, 40), (0, 0), 3)
    img = img * (1 - 0.4 * shadow[..., None])
    img = img * (1 - mask[..., None]) + layer.astype(np.float32) * shade[..., None] * mask[..., None]
    _lighting(img, rng)
    img, info = _blur(img, rng, False)
    return Shot(image=_sensor(img, rng, float(rng.uniform(2.0, 3.0))), transform=None,
                info={"mode": "no_document", **info})


# -- files ---------------------------------------------------------------------------------------------


def camera_metadata(rng: np.random.Generator) -> dict:
    make, model, fnumber, focal = CAMERAS[int(rng.integers(len(CAMERAS)))]
    taken = datetime.combine(REFERENCE_DATE - timedelta(days=int(rng.integers(0, 20))), time(0)) + timedelta(
        seconds=int(rng.integers(8 * 3600, 21 * 3600)))
    return {"make": make, "model": model, "fnumber": fnumber, "focal_mm": focal, "iso": int(rng.choice((50, 100, 160,
            200, 320, 640))), "taken": taken.strftime("%Y:%m:%d %H:%M:%S")}


def exif_bytes(camera: dict, size: tuple[int, int], *, software: str | None = None,
               thumbnail: bytes | None = None) -> bytes:
    """An APP1 Exif payload: IFD0 (Make, Model), the Exif IFD (DateTimeOriginal...), IFD1 with a thumbnail."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = camera["make"]
    exif[ExifTags.Base.Model] = camera["model"]
    exif[ExifTags.Base.Orientation] = 1
    exif[ExifTags.Base.DateTime] = camera["taken"]
    if software:
        exif[ExifTags.Base.Software] = software
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = camera["taken"]
    sub[ExifTags.Base.DateTimeDigitized] = camera["taken"]
    sub[ExifTags.Base.FNumber] = IFDRational(round(camera["fnumber"] * 100), 100)
    sub[ExifTags.Base.FocalLength] = IFDRational(camera["focal_mm"] * 10, 10)
    sub[ExifTags.Base.ISOSpeedRatings] = camera["iso"]
    sub[ExifTags.Base.ExifImageWidth] = size[0]
    sub[ExifTags.Base.ExifImageHeight] = size[1]
    raw = exif.tobytes()
    return _exif_with_thumbnail(raw, thumbnail) if thumbnail else raw


def _exif_with_thumbnail(raw: bytes, thumbnail: bytes) -> bytes:
    """Append IFD1 (JPEG thumbnail) to Pillow's Exif block, which writes IFD0 only."""
    tiff = bytearray(raw[6:])
    order = "<" if tiff[:2] == b"II" else ">"
    ifd0 = struct.unpack(order + "I", tiff[4:8])[0]
    entries = struct.unpack(order + "H", tiff[ifd0:ifd0 + 2])[0]
    next_pointer = ifd0 + 2 + 12 * entries
    if len(tiff) % 2:
        tiff += b"\x00"
    ifd1 = len(tiff)
    data = ifd1 + 2 + 3 * 12 + 4
    tiff[next_pointer:next_pointer + 4] = struct.pack(order + "I", ifd1)
    tiff += struct.pack(order + "H", 3)
    tiff += struct.pack(order + "HHIHH", 0x0103, 3, 1, 6, 0)  # Compression: JPEG
    tiff += struct.pack(order + "HHII", 0x0201, 4, 1, data)  # JPEGInterchangeFormat
    tiff += struct.pack(order + "HHII", 0x0202, 4, 1, len(thumbnail))  # JPEGInterchangeFormatLength
    tiff += struct.pack(order + "I", 0)
    return b"Exif\x00\x00" + bytes(tiff) + thumbnail


def exif_thumbnail(data: bytes) -> bytes | None:
    """The JPEG thumbnail stored in an image's Exif IFD1, or None."""
    raw = Image.open(io.BytesIO(data)).info.get("exif")
    if not raw:
        return None
    tiff = raw[6:] if raw.startswith(b"Exif") else raw
    order = "<" if tiff[:2] == b"II" else ">"
    ifd0 = struct.unpack(order + "I", tiff[4:8])[0]
    entries = struct.unpack(order + "H", tiff[ifd0:ifd0 + 2])[0]
    ifd1 = struct.unpack(order + "I", tiff[ifd0 + 2 + 12 * entries:ifd0 + 6 + 12 * entries])[0]
    if not ifd1:
        return None
    offset = length = None
    for i in range(struct.unpack(order + "H", tiff[ifd1:ifd1 + 2])[0]):
        tag, _, _, value = struct.unpack(order + "HHII", tiff[ifd1 + 2 + 12 * i:ifd1 + 14 + 12 * i])
        if tag == 0x0201:
            offset = value
        elif tag == 0x0202:
            length = value
    if offset is None or length is None:
        return None
    return bytes(tiff[offset:offset + length])


def thumbnail_jpeg(image: np.ndarray) -> bytes:
    h, w = image.shape[:2]
    scale = 160 / max(w, h)
    small = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    buf = io.BytesIO()
    Image.fromarray(small).save(buf, "JPEG", quality=75)
    return buf.getvalue()


def thumbnail_scene(card: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A thumbnail-sized photo of a card on a desk: only good enough for a 160 px EXIF thumbnail."""
    w, h = 320, 200
    scene = np.empty((h, w, 3), np.uint8)
    scene[:] = desk_texture(rng, (w, h)).clip(0, 255).astype(np.uint8)
    quad = quad_fit(rng, subject_quad(rng, card.shape[1::-1], tilted=False), (w, h))
    rgb, mask, _ = _warp(card, alpha, quad, (w, h))
    return _composite(scene.astype(np.float32), rgb, mask).clip(0, 255).astype(np.uint8)


def xmp_packet(tool: str, modified: str) -> bytes:
    stamp = modified.replace(":", "-", 2).replace(" ", "T")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 9.1-c001">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        '    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"\n'
        f'    xmp:CreatorTool="{tool}" xmp:ModifyDate="{stamp}" xmp:MetadataDate="{stamp}"\n'
        '    photoshop:ColorMode="3" photoshop:ICCProfile="sRGB IEC61966-2.1"/>\n'
        ' </rdf:RDF>\n'
        '</x:xmpmeta>\n'
        '<?xpacket end="w"?>'
    ).encode()


def jpeg_encode(image: np.ndarray, *, quality: int, exif: bytes | None = None, xmp: bytes | None = None,
                subsampling: int = 2) -> bytes:
    """subsampling: 2 is 4:2:0 (phone cameras), 0 is 4:4:4 (editors' high-quality saves)."""
    buf = io.BytesIO()
    options = {"quality": quality, "subsampling": subsampling}
    if exif:
        options["exif"] = exif
    if xmp:
        options["xmp"] = xmp
    Image.fromarray(image).save(buf, "JPEG", **options)
    return buf.getvalue()


def png_encode(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PNG", compress_level=3)
    return buf.getvalue()
