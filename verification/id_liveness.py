"""ID liveness: is the document photo a live capture of the physical card? Three pipelines, 0-100.

Every pipeline looks at the same *liveness view*: the rectified document with a band of its
surroundings (`CONTEXT_MARGIN` of its size on each side), so a screen's bezel or a phone body
around the card is in the picture. Each pipeline is an `ImageScoreProvider`
(verification.providers): the heuristic below, or an operator's ONNX model named in
`KYC_ID_LIVENESS_MODELS`. Higher is more genuine; the project's `id_liveness_threshold`
(default 50) decides. Calibration on the generator corpus: docs/checks/registry.md.

- screen_replay: the card shown on a monitor or a phone and photographed. Cues: *moiré*, the
  periodic pattern a display's sub-pixel grid aliases into (peakiness of the chroma and luma
  spectra of the document, and the texture floor: even the flattest parts of a photographed
  screen carry the pattern); *device frame*, near-black screen margins or bezel right around the
  card (a phone's black UI, a monitor's bezel), in the context band or at the document's sides.
- paper_printed: a print or photocopy of the card. Cues: *chroma* (a black-and-white copy has
  none; cards are printed in colour), *paper texture* (toner on paper has flat, noise-free white
  areas: the texture floor falls below a camera's sensor noise).
- replaced_portrait: another face pasted over the portrait. The portrait is found as the large
  plain-background region in the left part of the card (ICAO 9303 puts zone V there and asks for
  a plain, light background). Cues: *chroma noise* of the portrait background against the card's
  flat areas (a pasted picture brings its own, usually JPEG-flattened, noise; the camera's chroma
  noise is missing) and *edge sharpness* of the portrait's border against the card's printed text
  (a paste has a harder edge than anything the lens drew).

Scores are 100 × sigmoid(log-odds), positive log-odds = genuine. A single decisive cue is
`(value - midpoint) / spread` with the midpoint between the genuine and the attack clusters of the
generator corpus; cues that only decide together (moiré's three measures, the portrait's two) are
a logistic model fitted on that corpus. Alternative attacks (a monitor OR a phone) take the lower
of their scores. So 50, the default threshold, separates genuine from attack on the corpus.
JPEG-grid misalignment inside the portrait was measured and left out: the pasted portrait's 8×8
blocks do not survive the card's warp and the camera's re-encoding on the corpus (no separation).
"""

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from .imaging import AnalysisImage
from .providers import ImageScoreProvider, ProviderScore

PIPELINES: dict[str, str] = {
    "screen_replay": "Screen replay",
    "paper_printed": "Paper printed",
    "replaced_portrait": "Replace portraits",  # the name the code table uses
}

CONTEXT_MARGIN = 0.08  # share of the document's width/height shown around it on each side
VIEW_DOCUMENT_WIDTH = 1000  # the document part of the view, in pixels


# -- the view ------------------------------------------------------------------------------------------


@dataclass
class LivenessView:
    rgb: np.ndarray  # the view: document plus its context band
    document_box: tuple[int, int, int, int]  # the document inside the view (x0, y0, x1, y1)
    matrix: np.ndarray | None  # analysis image -> view homography (None: the view is the whole image)
    detected: bool
    scale_to_analysis: float = 1.0  # analysis pixels per view pixel when `matrix` is None
    cache: dict[str, Any] = field(default_factory=dict, repr=False)  # measurements shared by pipelines

    @property
    def document(self) -> np.ndarray:
        x0, y0, x1, y1 = self.document_box
        return self.rgb[y0:y1, x0:x1]

    def to_analysis(self, points) -> np.ndarray:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if self.matrix is None:
            return pts * self.scale_to_analysis
        return cv2.perspectiveTransform(pts.reshape(-1, 1, 2), np.linalg.inv(self.matrix)).reshape(-1, 2)


def liveness_view(image: AnalysisImage, detection) -> LivenessView:
    """The rectified document with its context band; the whole image when no document was found.

    Outside the photo the band is filled by reflection, never black, so a card at the image's
    edge does not look framed by a dark bezel.
    """
    if detection is None:
        h, w = image.rgb.shape[:2]
        factor = VIEW_DOCUMENT_WIDTH / w
        rgb = cv2.resize(image.rgb, (VIEW_DOCUMENT_WIDTH, max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
        return LivenessView(rgb=rgb, document_box=(0, 0, rgb.shape[1], rgb.shape[0]), matrix=None, detected=False,
                            scale_to_analysis=1 / factor)
    quad = detection.quad.astype(np.float32)
    tl, tr, br, bl = quad
    w = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    h = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    if h > w:  # portrait-held card: long side horizontal, as document_warp does
        quad = np.array([bl, tl, tr, br], dtype=np.float32)
        w, h = h, w
    dw = VIEW_DOCUMENT_WIDTH
    dh = max(1, round(dw * h / max(w, 1)))
    mx, my = round(dw * CONTEXT_MARGIN), round(dh * CONTEXT_MARGIN)
    target = np.array([[mx, my], [mx + dw - 1, my], [mx + dw - 1, my + dh - 1], [mx, my + dh - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    rgb = cv2.warpPerspective(image.rgb, matrix, (dw + 2 * mx, dh + 2 * my), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REFLECT_101)
    return LivenessView(rgb=rgb, document_box=(mx, my, mx + dw, my + dh), matrix=matrix, detected=True)


# -- cue arithmetic ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cue:
    """A raw measurement turned into log-odds: positive = genuine. `higher_is_genuine` sets the sign."""

    midpoint: float
    spread: float
    higher_is_genuine: bool = True
    weight: float = 1.0

    def log_odds(self, value: float) -> float:
        z = (value - self.midpoint) / self.spread
        return self.weight * (z if self.higher_is_genuine else -z)


def _sigmoid_score(log_odds: float) -> float:
    return round(100.0 / (1.0 + float(np.exp(-np.clip(log_odds, -30, 30)))), 1)


# Calibrated on the generator corpus (docs/checks/registry.md; verification/evaluation_registry.py
# re-measures them). Single cues: a midpoint between the genuine and the attack clusters.
CUES: dict[str, Cue] = {
    # screen_replay, device frame: genuine photos 0-0.008, a phone's black screen 0.04-0.52
    "dark_frame_share": Cue(midpoint=0.03, spread=0.006, higher_is_genuine=False),
    # paper_printed: genuine 10-34 (mean |Cr-128|+|Cb-128|), a black-and-white copy 0
    "chroma": Cue(midpoint=5.0, spread=1.2),
    # paper_printed, only ever lowers the score: genuine 0.74-2.6 %, a copy's paper 0.34-0.45 %
    "texture_floor": Cue(midpoint=0.6, spread=0.12, weight=0.5),
}
# Cues that only decide together: logistic models (bias + weight × feature) fitted on the corpus.
# moiré: log chroma and luma spectral peakiness and the texture floor, screen photos against every
# other capture; replaced portrait: portrait-background chroma noise ratio and border sharpness.
MOIRE_MODEL = {"bias": 34.084, "log_chroma_peak": -3.488, "log_luma_peak": -3.458, "texture_floor": -2.02}
PORTRAIT_MODEL = {"bias": 2.16, "portrait_chroma_noise_ratio": 8.127, "portrait_border_sharpness": -7.072}
# When only one portrait cue can be measured, its own midpoint: genuine/pasted cluster gap.
PORTRAIT_SINGLE = {"portrait_chroma_noise_ratio": Cue(midpoint=0.28, spread=1 / 8.127),
                   "portrait_border_sharpness": Cue(midpoint=0.70, spread=1 / 7.072, higher_is_genuine=False)}


# -- measurements ------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _spectrum_window_band(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """(Hann window, mid-to-high band mask of the rfft2 spectrum) of an h×w patch.

    Views come in a few fixed sizes (central crops of the view), so these are built once.
    """
    window = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    radius = np.sqrt(fy * fy + fx * fx)
    band = (radius > 1 / 14) & (radius < 1 / 2.5)
    window.flags.writeable = band.flags.writeable = False
    return window, band


def spectral_peakiness(channel: np.ndarray) -> float:
    """Strongest mid-to-high spectral peak over the band's median (a periodic pattern stands out)."""
    ch = channel.astype(np.float32)
    high = ch - cv2.GaussianBlur(ch, (0, 0), 3)
    window, band_mask = _spectrum_window_band(*high.shape)
    spectrum = np.abs(np.fft.rfft2(high * window))
    band = spectrum[band_mask]
    return float(np.percentile(band, 99.95) / (np.median(band) + 1e-6))


def texture_floor(gray: np.ndarray, *, block: int = 32, percentile: float = 10) -> float:
    """Band-pass energy, relative to brightness (%), of the least textured blocks (clipped ones left out).

    A camera leaves sensor noise everywhere (about 1-2 %); a screen adds its pattern even to flat
    areas (more); a photocopy's paper is flat and noise-free (less).
    """
    g = gray.astype(np.float32)
    band = cv2.GaussianBlur(g, (0, 0), 1.0) - cv2.GaussianBlur(g, (0, 0), 4.0)
    h, w = g.shape
    hb, wb = h // block, w // block
    if hb == 0 or wb == 0:
        return 0.0
    energy = (band[:hb * block, :wb * block] ** 2).reshape(hb, block, wb, block).mean((1, 3))
    mean = g[:hb * block, :wb * block].reshape(hb, block, wb, block).mean((1, 3))
    usable = mean < 245  # glare-clipped blocks have no texture for any capture
    if not usable.any():
        return 0.0
    relative = np.sqrt(energy[usable]) / np.maximum(mean[usable], 20.0)
    return float(np.percentile(relative, percentile) * 100)


def _inner_ycc(view: LivenessView) -> np.ndarray:
    """YCrCb of the document without its outer 4 % (the border and rounded corners), cached."""
    if "inner_ycc" not in view.cache:
        document = view.document
        h, w = document.shape[:2]
        inner = np.ascontiguousarray(document[int(0.04 * h):h - int(0.04 * h), int(0.04 * w):w - int(0.04 * w)])
        view.cache["inner_ycc"] = cv2.cvtColor(inner, cv2.COLOR_RGB2YCrCb)
    return view.cache["inner_ycc"]


def _texture_floor(view: LivenessView) -> float:
    if "texture_floor" not in view.cache:
        view.cache["texture_floor"] = texture_floor(_inner_ycc(view)[..., 0])
    return view.cache["texture_floor"]


def _central(array: np.ndarray, height: int, width: int) -> np.ndarray:
    h, w = array.shape[:2]
    y0, x0 = max(0, (h - height) // 2), max(0, (w - width) // 2)
    return array[y0:y0 + height, x0:x0 + width]


def screen_cues(view: LivenessView) -> dict[str, float]:
    ycc = _inner_ycc(view)
    center = _central(ycc, 256, 384)
    chroma_peak = max(spectral_peakiness(center[..., 1]), spectral_peakiness(center[..., 2]))
    luma_peak = spectral_peakiness(_central(ycc[..., 0], 512, 768))
    # Near-black pixels around the document (the context band) and at its own sides (a phone was
    # found instead of the card it shows): a screen's black margins, a bezel.
    x0, y0, x1, y1 = view.document_box
    rgb = view.rgb
    dark = cv2.max(cv2.max(rgb[..., 0], rgb[..., 1]), rgb[..., 2]) < 30  # HSV value
    frame = np.zeros(dark.shape, bool)
    if view.detected:
        frame[:, :] = True
        frame[y0:y1, x0:x1] = False
    side = int(0.15 * (x1 - x0))
    frame[y0:y1, x0:x0 + side] = True
    frame[y0:y1, x1 - side:x1] = True
    return {
        "chroma_peak": round(chroma_peak, 2),
        "luma_peak": round(luma_peak, 2),
        "texture_floor": round(_texture_floor(view), 3),
        "dark_frame_share": round(float(dark[frame].mean()), 4),
    }


def _moire_log_odds(cues: dict[str, float]) -> float:
    """Negative when the document carries a display's pattern."""
    model = MOIRE_MODEL
    return (model["bias"]
            + model["log_chroma_peak"] * float(np.log(max(cues["chroma_peak"], 1e-3)))
            + model["log_luma_peak"] * float(np.log(max(cues["luma_peak"], 1e-3)))
            + model["texture_floor"] * cues["texture_floor"])


def paper_cues(view: LivenessView) -> dict[str, float]:
    ycc = _inner_ycc(view)
    small = cv2.resize(ycc, (ycc.shape[1] // 4, ycc.shape[0] // 4), interpolation=cv2.INTER_AREA).astype(np.float32)
    chroma = float(np.mean(np.abs(small[..., 1] - 128) + np.abs(small[..., 2] - 128)))
    return {"chroma": round(chroma, 3), "texture_floor": round(_texture_floor(view), 3)}


# -- portrait ------------------------------------------------------------------------------------------

PLAIN_TEXTURE = 2.5  # local std of the fine detail below which a pixel is "plain background"


def portrait_locate(document: np.ndarray) -> tuple[tuple[int, int, int, int], bool] | None:
    """The portrait's box in the document (x0, y0, x1, y1) and whether the document is upside down.

    The largest plain region of portrait size in the left half (or, turned 180°, the right half).
    """
    h, w = document.shape[:2]
    best = None
    for turned in (False, True):
        doc = document[::-1, ::-1] if turned else document
        window = cv2.cvtColor(np.ascontiguousarray(doc[:, :w // 2]), cv2.COLOR_RGB2GRAY).astype(np.float32)
        detail = window - cv2.GaussianBlur(window, (0, 0), 2.0)
        texture = np.sqrt(cv2.blur(detail * detail, (9, 9)))
        plain = cv2.morphologyEx((texture < PLAIN_TEXTURE).astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
        count, _, stats, _ = cv2.connectedComponentsWithStats(plain)
        for i in range(1, count):
            x, y, bw, bh, area = stats[i]
            if not (0.12 * w <= bw <= 0.42 * w and 0.25 * h <= bh <= 0.85 * h):
                continue
            if best is None or area > best[0]:
                best = (area, turned, (int(x), int(y), int(x + bw), int(y + bh)))
    if best is None:
        return None
    return best[2], best[1]


def _refine_box(gray: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Move each side of the plain region's box onto the strongest straight edge nearby (the border)."""
    x0, y0, x1, y1 = box
    h, w = gray.shape
    # Gradients only around the box (the sides move by at most 14 px).
    ox, oy = max(0, x0 - 20), max(0, y0 - 20)
    window = gray[oy:min(h, y1 + 21), ox:min(w, x1 + 21)]
    gx = np.zeros_like(gray)
    gy = np.zeros_like(gray)
    gx[oy:oy + window.shape[0], ox:ox + window.shape[1]] = np.abs(cv2.Sobel(window, cv2.CV_32F, 1, 0, ksize=3))
    gy[oy:oy + window.shape[0], ox:ox + window.shape[1]] = np.abs(cv2.Sobel(window, cv2.CV_32F, 0, 1, ksize=3))
    bh, bw = y1 - y0, x1 - x0

    def column(x):
        lo, hi = max(2, x - 14), min(w - 3, x + 14)
        return lo + int(np.argmax(gx[y0 + bh // 6:y1 - bh // 6, lo:hi].mean(0))) if hi > lo else x

    def row(y):
        lo, hi = max(2, y - 14), min(h - 3, y + 14)
        return lo + int(np.argmax(gy[lo:hi, x0 + bw // 6:x1 - bw // 6].mean(1))) if hi > lo else y

    return column(x0), row(y0), column(x1), row(y1)


def _edge_sharpness(profiles: np.ndarray, min_step: float) -> np.ndarray:
    """Steepest one-pixel rise over the whole step, per profile row (1 = a step in one pixel)."""
    if len(profiles) == 0:
        return np.zeros(0)
    step = np.abs(profiles[:, -3:].mean(1) - profiles[:, :3].mean(1))
    rise = np.abs(np.diff(profiles, axis=1)).max(1)
    keep = step >= min_step
    return rise[keep] / step[keep]


def _profiles(gray: np.ndarray, xs: np.ndarray, ys: np.ndarray, horizontal: bool, half: int = 6) -> np.ndarray:
    """13-pixel intensity profiles across an edge at (xs, ys): along x when `horizontal`, else y."""
    offsets = np.arange(-half, half + 1)
    if horizontal:
        return gray[ys[:, None], xs[:, None] + offsets[None, :]]
    return gray[ys[:, None] + offsets[None, :], xs[:, None]]


def _border_sharpness(gray: np.ndarray, box) -> float | None:
    x0, y0, x1, y1 = box
    h, w = gray.shape
    bh, bw = y1 - y0, x1 - x0
    parts = []
    rows = np.arange(y0 + bh // 8, y1 - bh // 8, 2)
    for x in (x0, x1):
        if 6 <= x <= w - 7 and len(rows):
            parts.append(_profiles(gray, np.full(len(rows), x), rows, True))
    columns = np.arange(x0 + bw // 8, x1 - bw // 8, 2)
    if 6 <= y0 <= h - 7 and len(columns):  # not the bottom: the shoulders, not the background, meet it
        parts.append(_profiles(gray, columns, np.full(len(columns), y0), False))
    values = _edge_sharpness(np.concatenate(parts) if parts else np.zeros((0, 13)), 12)
    return float(np.median(values)) if len(values) >= 20 else None


def _text_sharpness(gray: np.ndarray) -> float | None:
    """The same measure on the strongest vertical edges of the card's right part (printed text)."""
    h, w = gray.shape
    y0, x0 = int(0.15 * h), int(0.4 * w)
    part = gray[y0:int(0.85 * h), x0:int(0.95 * w)]
    gx = np.abs(cv2.Sobel(part, cv2.CV_32F, 1, 0))
    ys, xs = np.nonzero(gx > np.percentile(gx, 99))
    keep = (xs >= 6) & (xs <= part.shape[1] - 7)
    ys, xs = ys[keep][::7], xs[keep][::7]
    values = _edge_sharpness(_profiles(part, xs, ys, True), 30)
    return float(np.median(values)) if len(values) >= 20 else None


def _chroma_residual(ycc: np.ndarray, box) -> float:
    x0, y0, x1, y1 = box
    total = 0.0
    for channel in (1, 2):
        patch = ycc[y0:y1, x0:x1, channel]
        total += float(np.mean(np.abs(patch - cv2.blur(patch, (5, 5)))))
    return total


def _flat_blocks(gray: np.ndarray, exclude, count: int = 12, size: int = 24) -> list[tuple[int, int, int, int]]:
    """The `count` flattest blocks of the card outside `exclude` (and away from its edges)."""
    h, w = gray.shape
    ex0, ey0, ex1, ey1 = exclude
    oy, ox = int(0.05 * h), int(0.03 * w)
    smooth = cv2.GaussianBlur(gray, (0, 0), 2)[oy:h - oy, ox:w - ox]
    nb_y, nb_x = smooth.shape[0] // size, smooth.shape[1] // size
    if nb_y == 0 or nb_x == 0:
        return []
    blocks = smooth[:nb_y * size, :nb_x * size].reshape(nb_y, size, nb_x, size)
    mean, std = blocks.mean((1, 3)), blocks.std((1, 3))
    ys = oy + np.arange(nb_y)[:, None] * size + np.zeros((1, nb_x), int)
    xs = ox + np.arange(nb_x)[None, :] * size + np.zeros((nb_y, 1), int)
    near = (xs + size > ex0 - 10) & (xs < ex1 + 10) & (ys + size > ey0 - 10) & (ys < ey1 + 10)
    usable = ~near & (mean < 245)
    order = np.argsort(np.where(usable, std, np.inf), axis=None)[:count]
    return [(int(xs.flat[i]), int(ys.flat[i]), int(xs.flat[i]) + size, int(ys.flat[i]) + size)
            for i in order if usable.flat[i]]


def portrait_cues(view: LivenessView) -> dict[str, Any]:
    """Portrait box (view pixels) and its cues; no box when no portrait-like region was found."""
    document = view.document
    found = portrait_locate(document)
    if found is None:
        return {}
    box, turned = found
    doc = np.ascontiguousarray(document[::-1, ::-1] if turned else document)
    ycc = cv2.cvtColor(doc, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    gray = ycc[..., 0]
    box = _refine_box(gray, box)
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    # The photo's plain background is surest at its top corners, beside the head.
    corners = [(x0 + int(0.05 * bw), y0 + int(0.04 * bh), x0 + int(0.2 * bw), y0 + int(0.18 * bh)),
               (x1 - int(0.2 * bw), y0 + int(0.04 * bh), x1 - int(0.05 * bw), y0 + int(0.18 * bh))]
    inside = min(_chroma_residual(ycc, c) for c in corners)
    blocks = _flat_blocks(gray, box)
    outside = float(np.median([_chroma_residual(ycc, b) for b in blocks])) if blocks else None
    border = _border_sharpness(gray, box)
    text = _text_sharpness(gray)
    h, w = gray.shape
    if turned:
        box = (w - x1, h - y1, w - x0, h - y0)
    dx, dy = view.document_box[:2]
    cues: dict[str, Any] = {"portrait_box": [box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy]}
    if outside is not None and outside > 0.05:
        cues["portrait_chroma_noise_ratio"] = round(inside / outside, 3)
    if border is not None and text:
        cues["portrait_border_sharpness"] = round(border / text, 3)
    return cues


# -- heuristic providers -------------------------------------------------------------------------------


class _ViewProvider:
    """A heuristic provider: scores a liveness view (`score_view`), or any RGB image as a view."""

    name = "heuristic"

    def score(self, rgb: np.ndarray, *, file_bytes: bytes | None = None) -> ProviderScore:
        h, w = rgb.shape[:2]
        # A bare image is taken as a view with the default context band.
        mx, my = round(w * CONTEXT_MARGIN / (1 + 2 * CONTEXT_MARGIN)), round(h * CONTEXT_MARGIN / (1 + 2 * CONTEXT_MARGIN))
        view = LivenessView(rgb=rgb, document_box=(mx, my, w - mx, h - my), matrix=None, detected=True)
        return self.score_view(view)

    def score_view(self, view: LivenessView) -> ProviderScore:
        raise NotImplementedError


class ScreenReplayHeuristic(_ViewProvider):
    name = "screen_replay_heuristic"

    def score_view(self, view: LivenessView) -> ProviderScore:
        cues = screen_cues(view)
        moire = _moire_log_odds(cues)
        frame = CUES["dark_frame_share"].log_odds(cues["dark_frame_share"])
        # Two attacks, either one is enough: the lower score counts.
        scores = {"moire": _sigmoid_score(moire), "device_frame": _sigmoid_score(frame)}
        return ProviderScore(min(scores.values()), {**cues, "cue_scores": scores})


class PaperPrintedHeuristic(_ViewProvider):
    name = "paper_printed_heuristic"

    def score_view(self, view: LivenessView) -> ProviderScore:
        cues = paper_cues(view)
        # Paper texture can lower the score of a colourless copy further, never lift a coloured one.
        log_odds = CUES["chroma"].log_odds(cues["chroma"]) + min(0.0, CUES["texture_floor"].log_odds(
            cues["texture_floor"]))
        return ProviderScore(_sigmoid_score(log_odds), cues)


class ReplacedPortraitHeuristic(_ViewProvider):
    name = "replaced_portrait_heuristic"

    def score_view(self, view: LivenessView) -> ProviderScore:
        cues = portrait_cues(view)
        measured = [name for name in PORTRAIT_SINGLE if name in cues]
        if not measured:
            # No portrait region (or nothing to measure on it): this pipeline has no verdict.
            return ProviderScore(100.0, {**cues, "verdict": "portrait not found"})
        if len(measured) == len(PORTRAIT_SINGLE):
            log_odds = PORTRAIT_MODEL["bias"] + sum(PORTRAIT_MODEL[name] * cues[name] for name in measured)
        else:
            log_odds = PORTRAIT_SINGLE[measured[0]].log_odds(cues[measured[0]])
        return ProviderScore(_sigmoid_score(log_odds), cues)


HEURISTICS: dict[str, type[_ViewProvider]] = {
    "screen_replay": ScreenReplayHeuristic,
    "paper_printed": PaperPrintedHeuristic,
    "replaced_portrait": ReplacedPortraitHeuristic,
}


# -- running the pipelines -----------------------------------------------------------------------------


@dataclass
class PipelineResult:
    pipeline: str
    label: str  # the code table's name, for {#pipelines}
    score: float
    provider: str
    details: dict[str, Any] = field(default_factory=dict)


def pipeline_score(pipeline: str, provider: ImageScoreProvider, view: LivenessView, *,
                   file_bytes: bytes | None = None) -> PipelineResult:
    """One pipeline's score. Heuristics read the view's geometry; any other provider sees its pixels."""
    if isinstance(provider, _ViewProvider):
        result = provider.score_view(view)
    else:
        result = provider.score(view.rgb, file_bytes=file_bytes)
    score = float(result.score)
    if not np.isfinite(score) or not 0 <= score <= 100:
        raise ValueError(f"{provider.name} returned {score!r}, not a score between 0 and 100")
    return PipelineResult(pipeline=pipeline, label=PIPELINES[pipeline], score=round(score, 1),
                          provider=provider.name, details=dict(result.details))


def heuristic_providers() -> dict[str, ImageScoreProvider]:
    return {pipeline: cls() for pipeline, cls in HEURISTICS.items()}
