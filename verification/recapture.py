"""Recaptures: a document photographed off a screen, shown on a device, or screenshotted.

Pure measurements on the analysis image and the uploaded bytes; the Step 1 checks
(`submissions.checks.capture`) turn them into `screen_detected` and `recaptured_document`.

- `moire_measure`: a screen's pixel grid, photographed, aliases into periodic patterns (moiré)
  that print and camera noise lack: isolated peaks in the 2D spectrum of the document region.
- `device_frame_measure`: a phone or monitor showing the card: a dark frame (body, bezel, black
  screen margin) enclosing a bright rectangle that holds the document, itself inside the photo.
- `screenshot_measure`: a screen capture instead of a camera photo: exactly flat (noise-free)
  areas, no camera EXIF, a lossless format and an exact screen resolution.

Signals, calibration and limits: docs/checks/capture.md.
"""

import io
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import ExifTags, Image

from .thresholds import ThresholdSpec, threshold, thresholds_register

thresholds_register({
    "recapture.screen.min_score": ThresholdSpec(
        50.0, "Screen score (100 = no periodic peak in the document's spectrum) below which a screen's "
              "pixel grid or moiré is present (screen_detected); 50 is a peak 12x its spectral neighbourhood."),
    "recapture.min_score": ThresholdSpec(
        30.0, "Recapture score (100 - 20 per point of evidence) below which the photo shows a device or is a "
              "screenshot (recaptured_document): a device frame (5 points) alone, or a noise-free image (2) "
              "with two of: no camera EXIF, PNG, an exact screen resolution (1 each)."),
    "recapture.frame.dark_level": ThresholdSpec(
        40.0, "Grey level below which a pixel can belong to a device's body, bezel or black screen margin."),
    "recapture.screenshot.min_flat_share": ThresholdSpec(
        0.05, "Share of the image in exactly flat 8x8 blocks (not clipped white) from which it is noise-free: "
              "camera photos measure under 0.01."),
})

# -- moiré ------------------------------------------------------------------------------------------

PATCH = 256  # spectrum patch side (px of the analysis image)
MAX_PATCHES = 6  # averaged power spectra (Welch): a screen's grid adds up, print content does not
REGION_INSET = 0.12  # of the document's box on each side: keep its edges and the desk out
BACKGROUND_BOX = 15  # spectrum bins: the neighbourhood a peak is compared with
MIN_FREQUENCY = 0.08  # cycles/px: below it, text lines, layout and lighting dominate
JPEG_GRID = 8  # JPEG block size: its harmonics (k/8 cycles/px) are the file's, not the scene's
# Prominence is log(peak amplitude / neighbourhood amplitude). Content peaks measure 1-2.2 on the
# generator's camera captures, a photographed screen 2.8-4.7; score 100 at PROMINENCE_LOW, 0 at HIGH.
PROMINENCE_LOW, PROMINENCE_HIGH = 1.0, 4.0

_WINDOW = np.outer(np.hanning(PATCH), np.hanning(PATCH)).astype(np.float32)


def _spectrum_mask() -> np.ndarray:
    yy, xx = np.mgrid[0:PATCH, 0:PATCH]
    radius = np.hypot(yy - PATCH / 2, xx - PATCH / 2) / PATCH
    mask = (radius >= MIN_FREQUENCY) & (radius <= 0.5)
    step = PATCH // JPEG_GRID
    for ky in range(-JPEG_GRID // 2, JPEG_GRID // 2 + 1):
        for kx in range(-JPEG_GRID // 2, JPEG_GRID // 2 + 1):
            cy, cx = PATCH // 2 + ky * step, PATCH // 2 + kx * step
            mask[max(0, cy - 1):cy + 2, max(0, cx - 1):cx + 2] = False
    return mask


_MASK = _spectrum_mask()


@dataclass
class MoireMeasure:
    prominence: float
    frequency: tuple[float, float]  # (fx, fy) cycles per analysis pixel of the strongest peak
    patches: list[tuple[int, int, int, int]]  # x0, y0, x1, y1 in analysis pixels
    score: float

    @property
    def period_px(self) -> float | None:
        f = float(np.hypot(*self.frequency))
        return None if f == 0 else 1.0 / f

    @property
    def orientation_deg(self) -> float:
        """Direction of the pattern's stripes' normal, 0 = varying along x."""
        return float(np.degrees(np.arctan2(self.frequency[1], self.frequency[0])) % 180)

    def evidence(self) -> dict:
        period = self.period_px
        return {
            "peak_prominence": round(self.prominence, 3),
            "peak_frequency": [round(f, 4) for f in self.frequency],
            "peak_period_px": None if period is None else round(period, 2),
            "peak_orientation_deg": round(self.orientation_deg, 1),
            "patches": len(self.patches),
        }


def _region(shape: tuple[int, int], quad: np.ndarray | None) -> tuple[int, int, int, int]:
    h, w = shape
    if quad is None:
        x0, y0, x1, y1 = w * 0.15, h * 0.15, w * 0.85, h * 0.85
    else:
        (x0, y0), (x1, y1) = np.asarray(quad).min(axis=0), np.asarray(quad).max(axis=0)
        dx, dy = (x1 - x0) * REGION_INSET, (y1 - y0) * REGION_INSET
        x0, y0, x1, y1 = x0 + dx, y0 + dy, x1 - dx, y1 - dy
    # at least one patch, centred on the region, inside the image
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    x0, x1 = min(x0, cx - PATCH / 2), max(x1, cx + PATCH / 2)
    y0, y1 = min(y0, cy - PATCH / 2), max(y1, cy + PATCH / 2)
    x0, y0 = max(0, int(x0)), max(0, int(y0))
    return x0, y0, min(w, int(x1)), min(h, int(y1))


def moire_measure(gray: np.ndarray, quad: np.ndarray | None = None) -> MoireMeasure:
    """The strongest isolated peak of the document region's averaged power spectrum.

    `gray` is the analysis image (sensor geometry: a screen's grid is periodic there, while a
    rectified crop would resample it); `quad` the detected document, else the image's centre.
    """
    h, w = gray.shape
    x0, y0, x1, y1 = _region((h, w), quad)
    if x1 - x0 < PATCH or y1 - y0 < PATCH:
        return MoireMeasure(prominence=0.0, frequency=(0.0, 0.0), patches=[], score=100.0)
    xs = np.unique(np.linspace(x0, x1 - PATCH, max(1, (x1 - x0) // PATCH)).astype(int))
    ys = np.unique(np.linspace(y0, y1 - PATCH, max(1, (y1 - y0) // PATCH)).astype(int))
    boxes = [(x, y, x + PATCH, y + PATCH) for y in ys for x in xs]
    if len(boxes) > MAX_PATCHES:
        boxes = [boxes[i] for i in np.linspace(0, len(boxes) - 1, MAX_PATCHES).astype(int)]
    power = np.zeros((PATCH, PATCH), np.float32)
    for bx0, by0, bx1, by1 in boxes:
        patch = gray[by0:by1, bx0:bx1].astype(np.float32)
        patch = (patch - patch.mean()) * _WINDOW
        spectrum = cv2.dft(patch, flags=cv2.DFT_COMPLEX_OUTPUT)
        power += cv2.magnitude(spectrum[..., 0], spectrum[..., 1]) ** 2
    log_power = np.fft.fftshift(np.log(power / len(boxes) + 1e-3))
    relative = log_power - cv2.blur(log_power, (BACKGROUND_BOX, BACKGROUND_BOX))
    relative = np.where(_MASK, relative, -np.inf)
    index = int(np.argmax(relative))
    prominence = float(relative.flat[index]) / 2  # power -> amplitude
    fy, fx = (index // PATCH - PATCH // 2) / PATCH, (index % PATCH - PATCH // 2) / PATCH
    if fy < 0 or (fy == 0 and fx < 0):  # the spectrum is symmetric: report the upper half-plane
        fx, fy = -fx, -fy
    score = 100.0 * float(np.clip((PROMINENCE_HIGH - prominence) / (PROMINENCE_HIGH - PROMINENCE_LOW), 0, 1))
    return MoireMeasure(prominence=prominence, frequency=(fx, fy), patches=[tuple(map(int, b)) for b in boxes],
                        score=round(score, 1))


def moire_passes(measure: MoireMeasure) -> bool:
    return measure.score >= threshold("recapture.screen.min_score")


# -- device frame -----------------------------------------------------------------------------------

FRAME_WORK_SIDE = 480  # the frame is a large structure: a small copy is enough and fast
FRAME_MIN_SHARE = 0.05  # of the image: the dark component (frame) at least
FRAME_MAX_SHARE = 0.9  # the frame's outline lies inside the photo; beyond, it is a dark desk or room
SCREEN_MIN_SHARE = 0.08  # the bright rectangle the frame encloses
SCREEN_MIN_RECTANGULARITY = 0.85  # its area over its minimum-area rectangle
SCREEN_MIN_BRIGHTNESS = 100  # mean grey level of the enclosed rectangle: a lit screen


@dataclass
class FrameMeasure:
    found: bool
    outline: np.ndarray | None = None  # the frame's outer outline, analysis pixels
    screen: np.ndarray | None = None  # the bright rectangle it encloses, analysis pixels
    frame_share: float = 0.0
    screen_share: float = 0.0
    screen_rectangularity: float = 0.0
    screen_brightness: float = 0.0

    def evidence(self) -> dict:
        return {
            "device_frame": self.found,
            "frame_share": round(self.frame_share, 3),
            "screen_share": round(self.screen_share, 3),
            "screen_rectangularity": round(self.screen_rectangularity, 3),
            "screen_brightness": round(self.screen_brightness, 1),
        }


def _point_inside(contour: np.ndarray, point) -> bool:
    return cv2.pointPolygonTest(contour.astype(np.float32), (float(point[0]), float(point[1])), False) >= 0


def _simplified(contour: np.ndarray) -> np.ndarray:
    """A few points for the evidence (a phone's rounded outline has hundreds)."""
    return cv2.approxPolyDP(contour, 0.005 * cv2.arcLength(contour, True), True).reshape(-1, 2).astype(np.float64)


def device_frame_measure(image: np.ndarray, quad: np.ndarray | None = None) -> FrameMeasure:
    """A dark frame enclosing a bright rectangle, with the frame's own outline inside the photo.

    Independent of the document detector (which may return the card, the whole phone, or the
    photo); when `quad` is given, the rectangle must contain the document's centre or lie within it.
    """
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    factor = min(1.0, FRAME_WORK_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else gray
    h, w = small.shape
    area = float(h * w)
    dark = (small < threshold("recapture.frame.dark_level")).astype(np.uint8)
    dark = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    contours, hierarchy = cv2.findContours(dark, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    best = FrameMeasure(found=False)
    if hierarchy is None:
        return best
    hierarchy = hierarchy[0]
    for i, outline in enumerate(contours):
        if hierarchy[i][3] != -1:
            continue  # a hole, not a dark component
        frame_share = cv2.contourArea(outline) / area
        if not FRAME_MIN_SHARE <= frame_share <= FRAME_MAX_SHARE:
            continue
        holes, j = [], hierarchy[i][2]
        while j != -1:
            holes.append(contours[j])
            j = hierarchy[j][0]
        if not holes:
            continue
        screen = max(holes, key=cv2.contourArea)
        screen_area = cv2.contourArea(screen)
        (_, _), (rw, rh), _ = cv2.minAreaRect(screen)
        rectangularity = screen_area / max(rw * rh, 1.0)
        inside = np.zeros_like(dark)
        cv2.drawContours(inside, [screen], -1, 1, -1)
        brightness = float(small[inside > 0].mean()) if inside.any() else 0.0
        candidate = FrameMeasure(
            found=False, outline=_simplified(outline) / factor, screen=_simplified(screen) / factor,
            frame_share=frame_share, screen_share=screen_area / area, screen_rectangularity=rectangularity,
            screen_brightness=brightness,
        )
        if quad is not None:
            q = np.asarray(quad, dtype=np.float64) * factor
            if not (_point_inside(screen, q.mean(axis=0)) or _point_inside(q, screen.reshape(-1, 2).mean(axis=0))):
                continue
        candidate.found = (candidate.screen_share >= SCREEN_MIN_SHARE
                           and rectangularity >= SCREEN_MIN_RECTANGULARITY
                           and brightness >= SCREEN_MIN_BRIGHTNESS)
        if (candidate.found, candidate.screen_share) > (best.found, best.screen_share):
            best = candidate
    return best


# -- screenshot -------------------------------------------------------------------------------------

FLAT_BLOCK = 8
FLAT_TOLERANCE = 1  # grey levels: resampling rounds a flat area to ±1 at most; sensor noise never stays within
FLAT_CLIPPED_WHITE = 250  # flat white is also a camera's clipped highlight: not evidence of a screen
# Screen sizes (either orientation) of common phones, tablets and monitors.
SCREEN_RESOLUTIONS = frozenset({
    (750, 1334), (828, 1792), (1125, 2436), (1170, 2532), (1179, 2556), (1206, 2622), (1242, 2208), (1242, 2688),
    (1284, 2778), (1290, 2796), (1320, 2868), (720, 1600), (1080, 1920), (1080, 2220), (1080, 2340),
    (1080, 2400), (1440, 2960), (1440, 3088), (1440, 3120), (1440, 3200), (1536, 2048), (1620, 2160),
    (1640, 2360), (1668, 2388), (2048, 2732), (720, 1280), (768, 1366), (800, 1280), (864, 1536),
    (900, 1440), (900, 1600), (1050, 1680), (1080, 2560), (1200, 1920), (1440, 2560), (1600, 2560),
    (1800, 2880), (1964, 3024), (2160, 3840), (2234, 3456),
})
LOSSLESS_FORMATS = frozenset({"PNG"})
# Points of evidence; recapture score = 100 - POINT_VALUE * points.
POINTS = {"device_frame": 5, "noise_free": 2, "no_camera_exif": 1, "lossless_format": 1, "screen_resolution": 1}
POINT_VALUE = 20.0


def flat_share(gray: np.ndarray) -> float:
    """Share of the image in 8×8 blocks whose grey levels stay within ±1 (clipped white excluded)."""
    h, w = gray.shape
    hb, wb = h // FLAT_BLOCK * FLAT_BLOCK, w // FLAT_BLOCK * FLAT_BLOCK
    if hb == 0 or wb == 0:
        return 0.0
    # max and min over each block: a dilation/erosion anchored at the block's top-left corner
    kernel = np.ones((FLAT_BLOCK, FLAT_BLOCK), np.uint8)
    high = cv2.dilate(gray, kernel, anchor=(0, 0), borderType=cv2.BORDER_REPLICATE)[:hb:FLAT_BLOCK, :wb:FLAT_BLOCK]
    low = cv2.erode(gray, kernel, anchor=(0, 0), borderType=cv2.BORDER_REPLICATE)[:hb:FLAT_BLOCK, :wb:FLAT_BLOCK]
    flat = (cv2.subtract(high, low) <= FLAT_TOLERANCE) & (high < FLAT_CLIPPED_WHITE)
    return float(flat.mean())


@dataclass
class FileFacts:
    format: str | None
    size: tuple[int, int]  # stored pixels (before EXIF orientation)
    camera: str | None  # EXIF "Make Model"

    @property
    def screen_resolution(self) -> bool:
        return tuple(sorted(self.size)) in SCREEN_RESOLUTIONS


def file_facts(data: bytes) -> FileFacts:
    """Format, stored size and camera EXIF of an image file (reads the header, not the pixels)."""
    with Image.open(io.BytesIO(data)) as image:
        try:
            if image.format == "PNG":
                # Pillow's PNG getexif() decodes every pixel to look for a late eXIf chunk; the
                # chunks before the image data (where writers put it) are already parsed.
                exif = Image.Exif()
                if image.info.get("exif"):
                    exif.load(image.info["exif"])
            else:
                exif = image.getexif()
            make = str(exif.get(ExifTags.Base.Make, "") or "").strip("\x00 ")
            model = str(exif.get(ExifTags.Base.Model, "") or "").strip("\x00 ")
        except Exception:  # noqa: BLE001 - a damaged EXIF block names no camera
            make = model = ""
        camera = " ".join(part for part in (make, model) if part) or None
        return FileFacts(format=image.format, size=image.size, camera=camera)


@dataclass
class RecaptureMeasure:
    frame: FrameMeasure
    facts: FileFacts
    flat_share: float
    points: dict[str, int] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return max(0.0, 100.0 - POINT_VALUE * sum(self.points.values()))

    def evidence(self) -> dict:
        return {
            "signals": sorted(self.points),
            "points": sum(self.points.values()),
            **self.frame.evidence(),
            "flat_share": round(self.flat_share, 4),
            "format": self.facts.format,
            "stored_size": list(self.facts.size),
            "camera": self.facts.camera,
        }


def recapture_measure(gray: np.ndarray, data: bytes, quad: np.ndarray | None = None) -> RecaptureMeasure:
    """Device frame and screenshot evidence of one image (`gray` the analysis image, `data` its file)."""
    frame = device_frame_measure(gray, quad)
    facts = file_facts(data)
    flat = flat_share(gray)
    signals = {
        "device_frame": frame.found,
        "noise_free": flat >= threshold("recapture.screenshot.min_flat_share"),
        "no_camera_exif": facts.camera is None,
        "lossless_format": facts.format in LOSSLESS_FORMATS,
        "screen_resolution": facts.screen_resolution,
    }
    points = {name: POINTS[name] for name, present in signals.items() if present}
    return RecaptureMeasure(frame=frame, facts=facts, flat_share=flat, points=points)


def recapture_passes(measure: RecaptureMeasure) -> bool:
    return measure.score >= threshold("recapture.min_score")
