"""Capture quality of a document photo: sharpness, specular glare, colour (photocopies).

Pure measurements on pixel arrays; the Step 1 checks (`submissions.checks.capture`) feed them
the rectified document crop of `verification.analysis.DocumentAnalysis` (or the whole analysis
image when no document was detected) and compare the scores with the registered thresholds.

Each measurement turns into a score from 0 to 100, higher meaning a better capture, through a
fixed reference value (the `*_REF` constants: what a good capture measures); the decision level
is a registered threshold on that score, so an operator moves the decision (KYC_CHECK_THRESHOLDS)
without touching the scale. Signals, calibration and limits: docs/checks/capture.md.
"""

from dataclasses import dataclass, field

import cv2
import numpy as np

from .thresholds import ThresholdSpec, threshold, thresholds_register

thresholds_register({
    "quality.sharpness.min_score": ThresholdSpec(
        80.0, "Sharpness score (100 = edges as crisp as a good phone photo) below which the "
              "document is too blurry (image_too_blurry); 80 is an edge about 5 px wide."),
    "quality.glare.min_score": ThresholdSpec(
        70.0, "Glare score (100 = no specular blob) below which the largest clipped, colourless, "
              "solid blob hides too much of the document (glare_detected); 70 is a blob of 1.5% of it."),
    "quality.glare.clip_level": ThresholdSpec(
        254.0, "Brightness (max of R, G, B on the half-size crop) from which a pixel counts as clipped."),
    "quality.colour.min_score": ThresholdSpec(
        40.0, "Colour score (100 = the coloured print of an ID) below which the document is a "
              "black-and-white copy (black_white_document); 40 is a chroma of 8."),
})

# -- sharpness ------------------------------------------------------------------------------------

# An edge's steepness over its contrast, |gradient| / local range: about 1 / edge width in pixels.
# Good phone photos of a card, rectified to ~1100 px wide, measure ~0.25 (the generator's genuine
# captures: 0.23-0.27); that is a score of 100.
SHARPNESS_REF = 0.25
SHARPNESS_WINDOW = 15  # local range window (px): wider than a blurred edge, narrower than a text line
EDGE_MIN_RANGE = 40  # grey levels: only real edges (text, portrait, frame lines), not paper texture
EDGE_MIN_GRADIENT = 8.0  # grey levels per pixel
ORIENTATIONS = 8  # gradient-direction bins over 180 degrees: motion blur kills one of them
MIN_BIN_PIXELS = 50
SHARP_QUANTILE = 90  # the crispest edges of each direction, not the average (paper, shadows)


@dataclass
class SharpnessMeasure:
    sharpness: float  # the worst direction's edge steepness (1 / edge width in px)
    by_direction: list[float | None]  # per gradient direction bin (0, 22.5, ... 157.5 degrees)
    edge_pixels: int
    score: float
    upsampling: float = 1.0  # crop pixels per photographed pixel, when the crop enlarged the document

    @property
    def worst_direction_deg(self) -> float | None:
        values = [(v, i) for i, v in enumerate(self.by_direction) if v is not None]
        return None if not values else min(values)[1] * 180.0 / ORIENTATIONS

    def evidence(self) -> dict:
        return {
            "sharpness": round(self.sharpness, 4),
            "sharpness_ref": SHARPNESS_REF,
            "by_direction": [None if v is None else round(v, 4) for v in self.by_direction],
            "blur_direction_deg": self.worst_direction_deg,
            "edge_pixels": self.edge_pixels,
            "upsampling": round(self.upsampling, 3),
        }


def sharpness_measure(rgb: np.ndarray, *, upsampling: float = 1.0) -> SharpnessMeasure:
    """How crisp the strongest edges are, in the worst gradient direction.

    Normalised for contrast (each edge by its own local range) and size (the crop has a fixed
    width); lightly smoothed first so sensor noise does not pass for detail. A Gaussian blur
    lowers every direction; a motion blur lowers the direction along the motion, hence the minimum.
    `upsampling` (> 1 when the rectified crop enlarged a document photographed small) is taken
    out again: interpolation widens edges, the camera did not, and a small but sharp document
    must not read as blurred.
    """
    upsampling = max(1.0, upsampling)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    smooth = cv2.GaussianBlur(gray, (0, 0), 1.0)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (SHARPNESS_WINDOW, SHARPNESS_WINDOW))
    local_range = cv2.subtract(cv2.dilate(smooth, kernel), cv2.erode(smooth, kernel))
    edges = local_range >= EDGE_MIN_RANGE
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)[edges] / 8
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)[edges] / 8
    if gx.size == 0:  # nothing but flat paper: no edge to judge, no legible text either
        return SharpnessMeasure(sharpness=0.0, by_direction=[None] * ORIENTATIONS, edge_pixels=0, score=0.0,
                                upsampling=upsampling)
    magnitude = cv2.magnitude(gx, gy).ravel()
    strong = magnitude > EDGE_MIN_GRADIENT
    steepness = magnitude[strong] / local_range[edges].ravel()[strong].astype(np.float32)
    angle = cv2.phase(gx, gy).ravel()[strong]
    # Folded to [0, pi): phase is in [0, 2 pi], and a - pi is exact there (Sterbenz), as % would be.
    half_turn = np.float32(np.pi)
    angle = np.where(angle >= half_turn, angle - half_turn, angle)
    angle[angle >= half_turn] = 0  # 2 pi itself, which % folds to 0
    bins = np.minimum((angle * (ORIENTATIONS / np.pi)).astype(np.int32), ORIENTATIONS - 1)
    # Each direction's values together (one stable sort of small integers), instead of a mask per direction.
    order = np.argsort(bins.astype(np.uint8), kind="stable")
    ends = np.cumsum(np.bincount(bins, minlength=ORIENTATIONS))
    grouped = steepness[order]
    by_direction: list[float | None] = []
    for b in range(ORIENTATIONS):
        values = grouped[(ends[b - 1] if b else 0):ends[b]]
        if values.size < MIN_BIN_PIXELS:
            by_direction.append(None)
            continue
        k = int(values.size * SHARP_QUANTILE / 100)
        by_direction.append(float(np.partition(values, k)[k]) * upsampling)
    measured = [v for v in by_direction if v is not None]
    # No direction with enough edges: nothing legible on the document at all.
    sharpness = min(measured) if measured else 0.0
    score = 100.0 * min(1.0, sharpness / SHARPNESS_REF)
    return SharpnessMeasure(sharpness=sharpness, by_direction=by_direction, edge_pixels=int(steepness.size),
                            score=round(score, 1), upsampling=upsampling)


def crop_upsampling(quad: np.ndarray, crop_width: int) -> float:
    """Crop pixels per analysis pixel along the document's long side (> 1: the crop enlarged it)."""
    tl, tr, br, bl = np.asarray(quad, dtype=np.float64)
    horizontal = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    vertical = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return crop_width / max(horizontal, vertical, 1.0)


def sharpness_passes(measure: SharpnessMeasure) -> bool:
    return measure.score >= threshold("quality.sharpness.min_score")


# -- glare ----------------------------------------------------------------------------------------

GLARE_WORK_WIDTH = 550  # half the crop: averages sensor noise so only a real plateau stays clipped
GLARE_MAX_CHROMA = 30  # max - min of R, G, B: a specular reflection is the light's colour, not the ink's
# area / (area inside its outline): a highlight wipes out the print under it (no holes), while a
# clipped white print area is a sieve of text, modules and guilloche.
GLARE_MIN_SOLIDITY = 0.97
GLARE_MIN_BLOB_SHARE = 0.001  # smaller blobs are specks, not worth a contour
# A clipped blob covering this share of the document scores 0 (the generator's highlights: 2-8%).
GLARE_SHARE_REF = 0.05


@dataclass
class GlareBlob:
    share: float  # of the measured area (the document crop)
    solidity: float
    polygon: np.ndarray  # N×2, its outline in the measured image's pixels


@dataclass
class GlareMeasure:
    blob: GlareBlob | None  # the largest solid clipped blob, or None
    clipped_share: float  # every clipped colourless pixel, blobs or not (evidence only)
    candidates: int
    score: float

    @property
    def share(self) -> float:
        return 0.0 if self.blob is None else self.blob.share

    def evidence(self) -> dict:
        return {
            "largest_blob_share": round(self.share, 4),
            "blob_solidity": None if self.blob is None else round(self.blob.solidity, 3),
            "clipped_share": round(self.clipped_share, 4),
            "candidate_blobs": self.candidates,
        }


def glare_measure(rgb: np.ndarray) -> GlareMeasure:
    """The largest specular blob of `rgb` (the document crop): clipped, colourless, solid.

    Not the total white area: white card backgrounds, white hair, a barcode's quiet zone are
    print, and print either stays below clipping or has holes (text) in it.
    """
    h, w = rgb.shape[:2]
    factor = min(1.0, GLARE_WORK_WIDTH / w)
    small = cv2.resize(rgb, (max(1, round(w * factor)), max(1, round(h * factor))),
                       interpolation=cv2.INTER_AREA) if factor < 1 else rgb
    r, g, b = cv2.split(small)
    brightest = cv2.max(cv2.max(r, g), b)
    chroma = cv2.subtract(brightest, cv2.min(cv2.min(r, g), b))
    clipped = ((brightest >= threshold("quality.glare.clip_level")) & (chroma <= GLARE_MAX_CHROMA)).astype(np.uint8)
    clipped = cv2.morphologyEx(clipped, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    area = float(clipped.size)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(clipped, connectivity=8)
    best: GlareBlob | None = None
    candidates = 0
    for i in np.argsort(-stats[1:, cv2.CC_STAT_AREA]) + 1:
        blob_area = int(stats[i, cv2.CC_STAT_AREA])
        if blob_area < GLARE_MIN_BLOB_SHARE * area:
            break
        candidates += 1
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        component = (labels[y:y + bh, x:x + bw] == i).astype(np.uint8)
        contours, _ = cv2.findContours(component, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        contour = max(contours, key=cv2.contourArea)
        # pixel count vs. the area its outline encloses (+ half the perimeter: outline runs through pixel centres)
        enclosed = cv2.contourArea(contour) + 0.5 * cv2.arcLength(contour, True)
        solidity = blob_area / max(enclosed, 1.0)
        if solidity < GLARE_MIN_SOLIDITY:
            continue
        polygon = cv2.approxPolyDP(contour, 1.5, True).reshape(-1, 2).astype(np.float64) + (x, y)
        best = GlareBlob(share=blob_area / area, solidity=solidity, polygon=polygon / factor)
        break  # components come largest first: the first solid one is the largest blob
    share = 0.0 if best is None else best.share
    score = 100.0 * (1.0 - min(1.0, share / GLARE_SHARE_REF))
    return GlareMeasure(blob=best, clipped_share=float(clipped.mean()), candidates=candidates, score=round(score, 1))


def glare_passes(measure: GlareMeasure) -> bool:
    return measure.score >= threshold("quality.glare.min_score")


# -- colour ---------------------------------------------------------------------------------------

COLOUR_WORK_WIDTH = 275  # a quarter of the crop: sensor chroma noise and JPEG chroma blocks average out
COLOUR_QUANTILE = 98  # the most coloured 2%: portrait, header band, security print
# Chroma (CIELAB a*b* distance) of an ID's coloured print: the generator's genuine documents
# measure 18-45 (pale pastel backs included); that is a score of 100.
CHROMA_REF = 20.0


@dataclass
class ColourMeasure:
    chroma: float  # the COLOUR_QUANTILE of chroma after removing the light's colour cast
    cast: float  # the removed cast at the centre (a*b* distance from neutral)
    score: float
    image_chroma: float | None = None  # the same over the whole photo (evidence)
    extra: dict = field(default_factory=dict)

    def evidence(self) -> dict:
        return {
            "chroma_p98": round(self.chroma, 2),
            "chroma_ref": CHROMA_REF,
            "colour_cast": round(self.cast, 2),
            "image_chroma_p98": None if self.image_chroma is None else round(self.image_chroma, 2),
            **self.extra,
        }


def chroma_level(rgb: np.ndarray) -> tuple[float, float]:
    """(chroma quantile, cast): colour that is not explained by a smooth colour cast.

    The light's colour (warm lamp, cool daylight, a gradient between two sources) is a plane
    fitted to a* and b* and removed, so a grey photocopy under a coloured light stays grey.
    """
    h, w = rgb.shape[:2]
    width = min(COLOUR_WORK_WIDTH, w)
    height = max(1, round(width * h / w))
    small = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    ab = lab[..., 1:].reshape(-1, 2) - 128.0
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    plane = np.stack([np.ones(height * width, np.float32), xx.ravel() / width - 0.5, yy.ravel() / height - 0.5], 1)
    coefficients = np.linalg.solve(plane.T @ plane, plane.T @ ab)  # least squares, normal equations
    residual = ab - plane @ coefficients
    chroma = np.hypot(residual[:, 0], residual[:, 1])
    k = int(chroma.size * COLOUR_QUANTILE / 100)
    return float(np.partition(chroma, k)[k]), float(np.hypot(*coefficients[0]))


def colour_measure(document: np.ndarray, image: np.ndarray | None = None) -> ColourMeasure:
    """The document's colourfulness.

    `image` (the whole photo) is measured too when the document looks grey, for the evidence: a
    grey document on a coloured desk is a copy; a grey document in a grey photo may be a grey scan.
    """
    chroma, cast = chroma_level(document)
    score = 100.0 * min(1.0, chroma / CHROMA_REF)
    measure = ColourMeasure(chroma=chroma, cast=cast, score=round(score, 1))
    if image is not None and not colour_passes(measure):
        measure.image_chroma = chroma_level(image)[0]
    return measure


def colour_passes(measure: ColourMeasure) -> bool:
    return measure.score >= threshold("quality.colour.min_score")
