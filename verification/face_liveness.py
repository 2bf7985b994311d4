"""Selfie liveness: the capture conditions (`liveness_error`) and a passive liveness score (`liveness_fail`).

Conditions, each a named threshold (verification.thresholds, overridable by KYC_CHECK_THRESHOLDS),
checked in this order; the first that fails names the message variant (submissions/codes.py
MESSAGE_VARIANTS), every failing one is reported:

- cropped: the face box or a landmark reaches outside the image;
- border: the gap between the face box and the nearest image edge is under `face.min_border_share`
  of the face's size (the box is tight, eyebrows to chin: hair and chin are cut beyond it);
- default ("too small to be detected"): the face measures under `face.min_detectable_px` in the
  analysis image (longest side 1024): at the detector's limit, found only by its upsampled pass;
- absolute_size: the face box's shorter side under `face.min_size_px` of the selfie's own pixels;
- interpupillary: eye centres closer than `face.min_interpupillary_px` (selfie pixels);
- relative_size: the face box under `face.min_relative_size` of the image's shorter side;
- rotation: |yaw| (verification.faces.face_yaw) over `face.max_yaw_deg`.

Passive liveness scores the *face view* (the face box grown by LIVENESS_CONTEXT on each side, at the
upload's own resolution, at most VIEW_MAX_SIDE) with an `ImageScoreProvider`: the heuristic below,
or an operator's ONNX model (KYC_FACE_LIVENESS_MODEL). The heuristic looks for a face replayed on
a screen or a print: periodic peaks in the luma and chroma spectra (a display's sub-pixel grid
aliased into moiré, a print's halftone), and a texture floor that no camera leaves (a screen adds
its pattern to the flattest skin). Colour statistics and face/background sharpness are reported
for review, not scored: on the test faces they did not separate genuine from replay.
"""

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from .faces import ANALYSIS_MAX_SIDE, Face, face_yaw, interpupillary_distance
from .id_liveness import Cue, spectral_peakiness, texture_floor
from .providers import ProviderScore
from .thresholds import ThresholdSpec, threshold, thresholds_register

thresholds_register({
    "face.min_border_share": ThresholdSpec(0.1, "Smallest gap between the selfie's face box and an image edge, "
                                                 "as a share of the face box's size (border)."),
    "face.min_detectable_px": ThresholdSpec(64, "Smallest face (box's shorter side) in the analysis image, "
                                                "longest side 1024 px (too small to be detected)."),
    "face.min_size_px": ThresholdSpec(90, "Smallest face box (shorter side) in the selfie's own pixels (absolute_size)."),
    "face.min_interpupillary_px": ThresholdSpec(32, "Smallest distance between the eye centres, selfie pixels "
                                                    "(interpupillary)."),
    "face.min_relative_size": ThresholdSpec(0.15, "Smallest face box, as a share of the image's shorter side "
                                                  "(relative_size)."),
    "face.max_yaw_deg": ThresholdSpec(30, "Largest out-of-plane head rotation (yaw) read from the 5 landmarks "
                                          "(rotation)."),
})

CROP_TOLERANCE_PX = 1.0  # dlib rounds boxes to whole pixels

# The variant each condition selects (None: the code's default message).
CONDITIONS: tuple[tuple[str, str | None], ...] = (
    ("cropped", "cropped"),
    ("border", "border"),
    ("too_small_to_detect", None),
    ("absolute_size", "absolute_size"),
    ("interpupillary", "interpupillary"),
    ("relative_size", "relative_size"),
    ("rotation", "rotation"),
)


@dataclass
class FaceConditions:
    failed: list[str] = field(default_factory=list)
    measures: dict[str, Any] = field(default_factory=dict)

    @property
    def variant(self) -> str | None:
        """The message variant of the first failing condition (None = the default message)."""
        first = self.failed[0]
        return dict(CONDITIONS)[first]

    @property
    def ok(self) -> bool:
        return not self.failed


def face_conditions(face: Face, image_size: tuple[int, int]) -> FaceConditions:
    """Which liveness_error conditions `face` fails on an image of `image_size` = (width, height)."""
    width, height = image_size
    x0, y0, x1, y1 = face.box
    points = np.asarray(face.landmarks, dtype=np.float64)
    outside = max(-x0, -y0, x1 - width, y1 - height, 0.0)
    landmarks_outside = bool(((points < 0) | (points >= (width, height))).any())
    gap = min(x0, y0, width - x1, height - y1)
    analysis_factor = min(1.0, ANALYSIS_MAX_SIDE / max(width, height))
    measures = {
        "box_outside_px": round(float(outside), 1),
        "border_gap_share": round(float(gap / max(face.size, 1.0)), 3),
        "analysis_size_px": round(face.size * analysis_factor, 1),
        "size_px": round(face.size, 1),
        "interpupillary_px": round(interpupillary_distance(face), 1),
        "relative_size": round(face.size / min(width, height), 3),
        "yaw_deg": round(face_yaw(face), 1),
    }
    checks = {
        "cropped": outside > CROP_TOLERANCE_PX or landmarks_outside,
        "border": measures["border_gap_share"] < threshold("face.min_border_share"),
        "too_small_to_detect": measures["analysis_size_px"] < threshold("face.min_detectable_px"),
        "absolute_size": face.size < threshold("face.min_size_px"),
        "interpupillary": measures["interpupillary_px"] < threshold("face.min_interpupillary_px"),
        "relative_size": measures["relative_size"] < threshold("face.min_relative_size"),
        "rotation": abs(measures["yaw_deg"]) > threshold("face.max_yaw_deg"),
    }
    return FaceConditions(failed=[name for name, _ in CONDITIONS if checks[name]], measures=measures)


# -- the face view ---------------------------------------------------------------------------------------

LIVENESS_CONTEXT = 0.4  # of the face box's size added on each side: forehead, hair, some background
VIEW_MAX_SIDE = 768  # larger views are centre-cropped, not reduced: a screen's pattern lives in the fine detail


@dataclass
class FaceView:
    rgb: np.ndarray
    box: tuple[int, int, int, int]  # the view in the image's pixels (x0, y0, x1, y1)
    face_box: tuple[int, int, int, int]  # the face inside the view


def face_view(rgb: np.ndarray, face: Face) -> FaceView:
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = face.box
    margin = LIVENESS_CONTEXT * max(face.width, face.height)
    vx0, vy0 = max(0, int(x0 - margin)), max(0, int(y0 - margin))
    vx1, vy1 = min(w, int(np.ceil(x1 + margin))), min(h, int(np.ceil(y1 + margin)))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if vx1 - vx0 > VIEW_MAX_SIDE:
        vx0 = int(np.clip(cx - VIEW_MAX_SIDE / 2, 0, w - VIEW_MAX_SIDE))
        vx1 = vx0 + VIEW_MAX_SIDE
    if vy1 - vy0 > VIEW_MAX_SIDE:
        vy0 = int(np.clip(cy - VIEW_MAX_SIDE / 2, 0, h - VIEW_MAX_SIDE))
        vy1 = vy0 + VIEW_MAX_SIDE
    view = np.ascontiguousarray(rgb[vy0:vy1, vx0:vx1])
    inner = (int(max(x0, vx0) - vx0), int(max(y0, vy0) - vy0), int(min(x1, vx1) - vx0), int(min(y1, vy1) - vy0))
    return FaceView(rgb=view, box=(vx0, vy0, vx1, vy1), face_box=inner)


# -- the heuristic ------------------------------------------------------------------------------------

# Cues as log-odds (positive = genuine), summed and put through a sigmoid: score 50 = even odds.
# Midpoints between the clusters of the test faces (docs/checks/faces.md: camera selfies of the
# astronaut and procedural faces against the same faces on a simulated monitor, photographed):
# log luma peakiness genuine 23-54 / replay 81-150, log chroma peakiness 25-79 / 122-235, texture
# floor 0.34-0.51 % / 2.4-3.8 %. The texture floor has half weight: a noisy phone sensor raises it
# too, so it cannot fail a selfie without a spectral peak.
LIVENESS_CUES: dict[str, Cue] = {
    "log_luma_peak": Cue(midpoint=float(np.log(68.0)), spread=0.1, higher_is_genuine=False),
    "log_chroma_peak": Cue(midpoint=float(np.log(100.0)), spread=0.1, higher_is_genuine=False),
    "texture_floor": Cue(midpoint=1.4, spread=0.3, higher_is_genuine=False, weight=0.5),
}
MIN_VIEW_SIDE = 48  # a smaller view has no spectrum worth reading: no verdict (score 100)


def face_view_cues(view: np.ndarray) -> dict[str, float]:
    """Spectral peakiness (luma, chroma), texture floor, and reported-only colour and sharpness."""
    ycc = cv2.cvtColor(view, cv2.COLOR_RGB2YCrCb)
    chroma_peak = max(spectral_peakiness(ycc[..., 1]), spectral_peakiness(ycc[..., 2]))
    luma_peak = spectral_peakiness(ycc[..., 0])
    gray = ycc[..., 0]
    hsv = cv2.cvtColor(view, cv2.COLOR_RGB2HSV)
    # The face sits in the middle of the view (face_view adds LIVENESS_CONTEXT on each side): a live
    # face before a distant background is sharper than it; a flat replay is as sharp everywhere.
    laplacian = cv2.Laplacian(gray, cv2.CV_32F)
    h, w = gray.shape
    my, mx = int(h * LIVENESS_CONTEXT / (1 + 2 * LIVENESS_CONTEXT)), int(w * LIVENESS_CONTEXT / (1 + 2 * LIVENESS_CONTEXT))
    centre = np.zeros(gray.shape, bool)
    centre[my:h - my, mx:w - mx] = True
    return {
        "chroma_peak": round(chroma_peak, 2),
        "luma_peak": round(luma_peak, 2),
        "texture_floor": round(texture_floor(gray, block=16), 3),
        "saturation_mean": round(float(hsv[..., 1].mean()), 1),
        "blue_red_ratio": round(float(view[..., 2].mean() / max(view[..., 0].mean(), 1.0)), 3),
        "specular_share": round(float(((hsv[..., 2] > 245) & (hsv[..., 1] < 30)).mean()), 4),
        "sharpness": round(float(laplacian.var()), 1),
        "face_background_sharpness_ratio": round(float(laplacian[centre].var() / max(laplacian[~centre].var(), 1e-3)), 3)
        if (~centre).any() else None,
    }


def _sigmoid(log_odds: float) -> float:
    return round(100.0 / (1.0 + float(np.exp(-np.clip(log_odds, -30, 30)))), 1)


class FaceLivenessHeuristic:
    """Offline passive liveness of a face view: screen or print replay cues (see module docstring)."""

    name = "face_replay_heuristic"

    def score(self, rgb: np.ndarray, *, file_bytes: bytes | None = None) -> ProviderScore:
        if min(rgb.shape[:2]) < MIN_VIEW_SIDE:
            return ProviderScore(100.0, {"verdict": "face view too small to read"})
        cues = face_view_cues(rgb)
        values = {"log_luma_peak": float(np.log(max(cues["luma_peak"], 1e-3))),
                  "log_chroma_peak": float(np.log(max(cues["chroma_peak"], 1e-3))),
                  "texture_floor": cues["texture_floor"]}
        parts = {name: cue.log_odds(values[name]) for name, cue in LIVENESS_CUES.items()}
        log_odds = sum(parts.values())
        return ProviderScore(_sigmoid(log_odds), {**cues, "log_odds": round(log_odds, 3),
                                                  "log_odds_parts": {k: round(v, 3) for k, v in parts.items()}})
