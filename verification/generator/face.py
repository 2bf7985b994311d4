"""A procedural passport-style portrait: no third-party photo is shipped or downloaded."""

import cv2
import numpy as np

SKIN = ((236, 204, 178), (224, 180, 150), (198, 150, 112), (160, 112, 80), (120, 80, 56), (92, 60, 42))
HAIR = ((28, 24, 22), (60, 40, 28), (110, 76, 46), (196, 160, 100), (150, 146, 140), (140, 64, 30))
IRIS = ((70, 45, 25), (60, 100, 140), (70, 110, 70), (40, 30, 20))
CLOTHES = ((30, 40, 70), (45, 45, 50), (110, 30, 40), (40, 80, 60), (200, 200, 205), (70, 90, 130))
BACKDROPS = ((225, 230, 236), (236, 236, 232), (205, 220, 235), (240, 240, 240))
SUPERSAMPLE = 2  # draw at 2x and downsample: anti-aliased edges for every primitive


def _ellipse(img, center, axes, color, *, angle=0.0, start=0, end=360, thickness=-1):
    cv2.ellipse(img, (int(center[0]), int(center[1])), (max(1, int(axes[0])), max(1, int(axes[1]))),
                angle, start, end, color, thickness, cv2.LINE_AA)


def face_render(rng: np.random.Generator, width: int, height: int, *, female: bool | None = None) -> np.ndarray:
    """An RGB uint8 head-and-shoulders portrait of a random person, `width`x`height`."""
    s = SUPERSAMPLE
    w, h = width * s, height * s
    backdrop = np.array(BACKDROPS[int(rng.integers(len(BACKDROPS)))], np.float32)
    ramp = np.linspace(1.03, 0.93, h, dtype=np.float32)[:, None, None]
    img = np.clip(backdrop * ramp * np.ones((1, w, 1), np.float32), 0, 255).astype(np.uint8)

    skin = np.array(SKIN[int(rng.integers(len(SKIN)))], np.float32) * rng.uniform(0.95, 1.05)
    skin_c = tuple(int(v) for v in np.clip(skin, 0, 255))
    shadow_c = tuple(int(v) for v in np.clip(skin * 0.78, 0, 255))
    hair_c = tuple(int(v) for v in HAIR[int(rng.integers(len(HAIR)))])
    clothes_c = tuple(int(v) for v in CLOTHES[int(rng.integers(len(CLOTHES)))])
    cx = w / 2 + rng.uniform(-0.02, 0.02) * w
    cy = h * rng.uniform(0.45, 0.48)
    ax, ay = w * rng.uniform(0.25, 0.28), h * rng.uniform(0.27, 0.29)
    coin = rng.random() < 0.5
    female = coin if female is None else female
    style = int(rng.integers(4))  # 0 short, 1 long, 2 very short / bald, 3 tied back
    if not female and style in (1, 3) and rng.random() < 0.7:
        style = 0
    # smooth fields (shading, hair) are computed on a coarse grid in supersampled coordinates, then upsampled
    yy, xx = np.mgrid[0:h:s, 0:w:s].astype(np.float32)
    nx, ny = (xx - cx) / ax, (yy - cy) / ay

    def full(field: np.ndarray) -> np.ndarray:
        return cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)


    if style == 1:  # long hair falls behind the shoulders
        pts = np.array([[cx - ax * 1.2, cy - ay * 0.3], [cx + ax * 1.2, cy - ay * 0.3],
                        [cx + ax * 1.3, cy + ay * 1.25], [cx - ax * 1.3, cy + ay * 1.25]], np.int32)
        cv2.fillPoly(img, [pts], hair_c, cv2.LINE_AA)
        _ellipse(img, (cx, cy - ay * 0.1), (ax * 1.2, ay * 1.08), hair_c)
    # shoulders, neck
    _ellipse(img, (cx, h * 1.04), (w * rng.uniform(0.5, 0.58), h * 0.2), clothes_c)
    neck_w = ax * rng.uniform(0.46, 0.54)
    neck_c = tuple(int(v) for v in np.clip(skin * 0.88, 0, 255))
    skin_mask = np.zeros((h, w), np.uint8)
    for target, color in ((img, neck_c), (skin_mask, 255)):
        cv2.rectangle(target, (int(cx - neck_w), int(cy + ay * 0.6)), (int(cx + neck_w), int(h * 0.88)), color, -1)
    _ellipse(img, (cx, h * 0.86), (neck_w * 1.02, h * 0.035), skin_c, start=0, end=180)
    if rng.random() < 0.5:  # shirt collar
        collar = tuple(int(v) for v in np.clip(np.array(clothes_c) * 1.6 + 40, 0, 255))
        pts = np.array([[cx - neck_w * 1.5, h * 0.87], [cx, h * 0.98], [cx + neck_w * 1.5, h * 0.87]], np.int32)
        cv2.polylines(img, [pts], False, collar, int(6 * s), cv2.LINE_AA)
        cv2.polylines(skin_mask, [pts], False, 0, int(6 * s))
    # ears, head
    for target, colors in ((img, (shadow_c, skin_c)), (skin_mask, (255, 255))):
        for side in (-1, 1):
            _ellipse(target, (cx + side * ax * 0.97, cy + ay * 0.05), (ax * 0.15, ay * 0.2), colors[0])
        _ellipse(target, (cx, cy), (ax, ay), colors[1])
    # shading: darker towards the rim and away from a light on the left, applied to skin pixels only
    radius = np.clip(nx * nx + ny * ny, 0, 1.6)
    shade = full(1.04 - 0.22 * radius * np.sqrt(radius) - 0.06 * nx)
    shade = 1 + (shade - 1) * (skin_mask.astype(np.float32) / 255)
    img = np.clip(img * shade[..., None], 0, 255).astype(np.uint8)

    # hair: a cap a little larger than the skull, cut by a hairline that dips at the temples
    if style != 2 or rng.random() < 0.6:
        crown = (nx / 1.07) ** 2 + ((yy - (cy - ay * 0.06)) / (ay * 1.06)) ** 2 < 1
        hairline = -0.42 + rng.uniform(-0.06, 0.06) + (0.55 if style != 2 else 0.25) * nx * nx
        if rng.random() < 0.4:  # side parting
            hairline += 0.12 * np.clip(nx * rng.choice((-1, 1)), 0, 1)
        cap = crown & ((ny < hairline) | (np.abs(nx) > 0.88) & (ny < 0.15 if style != 2 else ny < -0.2))
        if style == 3:
            cap |= ((xx - cx) / (ax * 0.42)) ** 2 + ((yy - (cy - ay * 1.08)) / (ay * 0.24)) ** 2 < 1
        alpha = full(cv2.GaussianBlur(cap.astype(np.float32), (0, 0), 1.5))[..., None]
        texture = full(1 + 0.035 * np.sin(xx * 0.6 + 3 * np.sin(yy * 0.05)))[..., None]
        img = (img * (1 - alpha) + np.array(hair_c, np.float32) * texture * alpha).clip(0, 255).astype(np.uint8)
    # eyebrows, eyes
    eye_y = cy - ay * rng.uniform(0.02, 0.1)
    eye_dx = ax * rng.uniform(0.38, 0.44)
    iris_c = IRIS[int(rng.integers(len(IRIS)))]
    brow_c = tuple(int(v * 0.8) for v in hair_c) if hair_c[0] < 150 else (90, 70, 50)
    for side in (-1, 1):
        ex = cx + side * eye_dx
        _ellipse(img, (ex, eye_y - ay * 0.2), (ax * 0.2, ay * 0.06), brow_c, start=200, end=340,
                 thickness=int(ay * 0.045))
        _ellipse(img, (ex, eye_y), (ax * 0.17, ay * 0.065), (240, 238, 232))
        _ellipse(img, (ex, eye_y), (ay * 0.062, ay * 0.062), iris_c)
        _ellipse(img, (ex, eye_y), (ay * 0.026, ay * 0.026), (12, 10, 10))
        _ellipse(img, (ex - ay * 0.02, eye_y - ay * 0.02), (ay * 0.01, ay * 0.01), (250, 250, 250))
        _ellipse(img, (ex, eye_y), (ax * 0.18, ay * 0.075), (60, 40, 35), start=190, end=350, thickness=int(s * 3))
    # nose and mouth
    nose_c = tuple(int(v * 0.72) for v in skin_c)
    _ellipse(img, (cx, cy + ay * 0.32), (ax * 0.16, ay * 0.07), nose_c, start=10, end=170, thickness=int(s * 3))
    for side in (-1, 1):
        _ellipse(img, (cx + side * ax * 0.09, cy + ay * 0.33), (ax * 0.04, ay * 0.022), tuple(v // 2 for v in skin_c))
    cv2.line(img, (int(cx - ax * 0.05), int(cy + ay * 0.02)), (int(cx - ax * 0.08), int(cy + ay * 0.28)),
             tuple(int(v * 0.85) for v in skin_c), int(s * 3), cv2.LINE_AA)
    lip_c = tuple(int(v) for v in np.clip(np.array(skin_c) * np.array([0.9, 0.6, 0.6]), 0, 255))
    mouth_y = cy + ay * rng.uniform(0.55, 0.6)
    mouth_w = ax * rng.uniform(0.3, 0.38)
    _ellipse(img, (cx, mouth_y), (mouth_w, ay * 0.06), lip_c)
    cv2.line(img, (int(cx - mouth_w), int(mouth_y)), (int(cx + mouth_w), int(mouth_y)), (70, 35, 35),
             int(s * 2), cv2.LINE_AA)
    if not female and rng.random() < 0.35:  # beard
        beard = np.zeros((h, w), np.uint8)
        _ellipse(beard, (cx, cy + ay * 0.45), (ax * 0.95, ay * 0.58), 255, start=0, end=180)
        _ellipse(beard, (cx, mouth_y), (mouth_w * 1.1, ay * 0.09), 0)
        alpha = cv2.GaussianBlur(beard, (0, 0), 6 * s).astype(np.float32)[..., None] / 255 * 0.85
        img = (img * (1 - alpha) + np.array(hair_c, np.float32) * alpha).astype(np.uint8)
    if rng.random() < 0.25:  # glasses
        for side in (-1, 1):
            _ellipse(img, (cx + side * eye_dx, eye_y + ay * 0.02), (ax * 0.26, ay * 0.14), (30, 30, 30),
                     thickness=int(s * 3))
        cv2.line(img, (int(cx - eye_dx + ax * 0.26), int(eye_y)), (int(cx + eye_dx - ax * 0.26), int(eye_y)),
                 (30, 30, 30), int(s * 3), cv2.LINE_AA)

    img = cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
    img = cv2.GaussianBlur(img, (0, 0), 0.8)
    noise = rng.standard_normal(img.shape, dtype=np.float32) * 2.0
    return np.clip(img + noise, 0, 255).astype(np.uint8)
