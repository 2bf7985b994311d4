"""Step 1 capture checks: blur, glare, black-and-white copies, screens and recaptures.

Each reads the shared `DocumentAnalysis` (the bounded analysis image, the detected document and
its rectified crop, the uploaded bytes) and the pure measurements of `verification.quality` and
`verification.recapture`, on every side the applicant sent; a side below the registered threshold
answers the check's code. The score is the weakest side's (0-100, higher = better capture) and
the threshold the one it was held to; evidence is per side, regions in stored-image pixels.
All five codes are gated by the project's `id_card_validation` option (submissions.codes).

Which code a capture answers (docs/checks/capture.md):
- a card photographed off a monitor (moiré, pixel grid): `screen_detected`;
- a card shown on a phone or tablet (device frame), or a screenshot: `recaptured_document`, unless
  the same side already answers `screen_detected` (one message per side, not two for one capture);
- the document detector found nothing: the whole photo is measured and the evidence says so;
- glare is not judged on a side that is a black-and-white copy: with no colour anywhere, clipped
  white paper and a highlight look alike, and `black_white_document` already answers it;
- blur is not judged on a side at an abnormal angle (`physical_document_missing` answers it; the
  rectified crop of a foreshortened card is soft by construction).
"""

import numpy as np

from verification.analysis import DocumentAnalysis
from verification.memo import Memo
from verification.quality import (
    ColourMeasure,
    GlareMeasure,
    SharpnessMeasure,
    colour_measure,
    colour_passes,
    crop_upsampling,
    glare_measure,
    glare_passes,
    sharpness_measure,
    sharpness_passes,
)
from verification.recapture import (
    MoireMeasure,
    RecaptureMeasure,
    moire_measure,
    moire_passes,
    recapture_measure,
    recapture_passes,
)
from verification.thresholds import threshold

from ..choices import Step
from ..codes import Step1RetryCode
from .analysis import step1_analysis
from .base import Check, CheckContext, CheckReport, Finding, check_register

CACHE_KEY = "capture"
SIDES = ("front", "back")
WHOLE_IMAGE = "whole image (no document detected)"


class CaptureMeasures:
    """The capture measurements of one request, each computed once per side on first use."""

    def __init__(self, analysis: DocumentAnalysis) -> None:
        self.analysis = analysis
        self._memo = Memo()

    def sides(self) -> list[str]:
        return [side for side in SIDES if self.analysis.image(side) is not None]

    def _get(self, kind: str, side: str, compute):
        return self._memo.get((kind, side), compute)

    def on_document(self, side: str) -> bool:
        return self.analysis.rectified(side) is not None

    def region(self, side: str) -> np.ndarray:
        """The rectified document crop, or the whole analysis image when none was detected."""
        crop = self.analysis.document(side)
        return crop if crop is not None else self.analysis.image(side).rgb

    def region_to_original(self, side: str, points) -> list:
        """Points of `region(side)` in stored-image pixels."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if self.on_document(side):
            points = self.analysis.crop_to_analysis(side, points)
        return self.analysis.to_original(side, points)

    def side_evidence(self, side: str) -> dict:
        detection = self.analysis.detection(side)
        if detection is None:
            return {"measured_on": WHOLE_IMAGE}
        return {"measured_on": "document", "document_quad": self.analysis.to_original(side, detection.quad)}

    def sharpness(self, side: str) -> SharpnessMeasure:
        def compute():
            region = self.region(side)
            detection = self.analysis.detection(side)
            upsampling = 1.0 if detection is None else crop_upsampling(detection.quad, region.shape[1])
            return sharpness_measure(region, upsampling=upsampling)

        return self._get("sharpness", side, compute)

    def glare(self, side: str) -> GlareMeasure:
        return self._get("glare", side, lambda: glare_measure(self.region(side)))

    def colour(self, side: str) -> ColourMeasure:
        return self._get("colour", side, lambda: colour_measure(
            self.region(side), self.analysis.image(side).rgb if self.on_document(side) else None))

    def moire(self, side: str) -> MoireMeasure:
        detection = self.analysis.detection(side)
        return self._get("moire", side, lambda: moire_measure(
            self.analysis.image(side).gray, None if detection is None else detection.quad))

    def recapture(self, side: str) -> RecaptureMeasure:
        detection = self.analysis.detection(side)
        data = self.analysis.front_bytes if side == "front" else self.analysis.back_bytes
        return self._get("recapture", side, lambda: recapture_measure(
            self.analysis.image(side).gray, data, None if detection is None else detection.quad))


def capture_measures(ctx: CheckContext) -> CaptureMeasures:
    return ctx.shared(CACHE_KEY, lambda: CaptureMeasures(step1_analysis(ctx)))


def capture_unreadable_sides(ctx: CheckContext) -> dict[str, str]:
    """Sides a capture retry already asks to retake because their content cannot be read, with the
    code that asks: blur, or a screen's moiré. Empty when ID card validation is off (those retries
    are not answered then, so nothing may stand down in their favour)."""
    if not ctx.project.id_card_validation:
        return {}
    measures = capture_measures(ctx)
    unreadable = {}
    for side in measures.sides():
        if not sharpness_passes(measures.sharpness(side)):
            unreadable[side] = Step1RetryCode.IMAGE_TOO_BLURRY.value
        elif not moire_passes(measures.moire(side)):
            unreadable[side] = Step1RetryCode.SCREEN_DETECTED.value
    return unreadable


class CaptureCheck(Check):
    """One capture measure judged on every side the applicant sent.

    A subclass names its code and threshold and says how to measure a side (`measure`), whether the
    measure passes (`passes`), what else to draw (`extra_evidence`) and when a side is left to another
    code (`not_judged`). The score is the weakest judged side's; evidence is per side.
    """

    step = Step.STEP1
    analyses_images = True
    run_order = 10
    threshold_name: str

    def measure(self, measures: CaptureMeasures, side: str):
        raise NotImplementedError

    def passes(self, measure) -> bool:
        raise NotImplementedError

    def not_judged(self, measures: CaptureMeasures, side: str) -> str | None:
        """Why `side` is left to another check before it is measured, or None to judge it."""
        return None

    def answered_elsewhere(self, measures: CaptureMeasures, side: str) -> str | None:
        """For a failing side: the code that already answers it, or None to answer this code."""
        return None

    def extra_evidence(self, measures: CaptureMeasures, side: str, measure) -> dict:
        return {}

    def prefetch(self, ctx: CheckContext) -> None:
        measures = capture_measures(ctx)
        # The back first: meanwhile the prefetch thread is finding the front's outline for its OCR read.
        for side in reversed(measures.sides()):
            if not self.not_judged(measures, side):
                self.measure(measures, side)

    def run(self, ctx: CheckContext) -> CheckReport:
        measures = capture_measures(ctx)
        scores, failing, evidence = {}, [], {}
        for side in measures.sides():
            evidence[side] = measures.side_evidence(side)
            reason = self.not_judged(measures, side)
            if reason:
                scores[side] = None
                evidence[side]["not_judged"] = reason
                continue
            measure = self.measure(measures, side)
            scores[side] = measure.score
            evidence[side].update(score=measure.score, **measure.evidence(),
                                  **self.extra_evidence(measures, side, measure))
            if self.passes(measure):
                continue
            other = self.answered_elsewhere(measures, side)
            if other:
                scores[side] = None  # one answer per capture
                evidence[side]["answered_by"] = other
                continue
            failing.append(side)
        judged = [score for score in scores.values() if score is not None]
        evidence["failing_sides"] = failing
        return CheckReport(findings=[Finding(self.codes[0])] if failing else [],
                           score=min(judged) if judged else None, threshold=threshold(self.threshold_name),
                           evidence=evidence)


@check_register
class ImageTooBlurryCheck(CaptureCheck):
    """The document's edges are too soft to read: the worst direction's edge width."""

    name = "image_too_blurry"
    codes = (Step1RetryCode.IMAGE_TOO_BLURRY,)
    threshold_name = "quality.sharpness.min_score"

    def not_judged(self, measures, side):
        if side in measures.analysis.abnormal_pose_sides:
            return "abnormal pose (physical_document_missing)"
        return None

    def measure(self, measures, side):
        return measures.sharpness(side)

    def passes(self, measure):
        return sharpness_passes(measure)


@check_register
class GlareDetectedCheck(CaptureCheck):
    """A specular highlight hides part of the document: the largest clipped, colourless, solid blob."""

    name = "glare_detected"
    codes = (Step1RetryCode.GLARE_DETECTED,)
    threshold_name = "quality.glare.min_score"

    def not_judged(self, measures, side):
        if not colour_passes(measures.colour(side)):
            return "black-and-white copy (black_white_document)"
        return None

    def measure(self, measures, side):
        return measures.glare(side)

    def passes(self, measure):
        return glare_passes(measure)

    def extra_evidence(self, measures, side, measure):
        if measure.blob is None:
            return {}
        polygon = measures.region_to_original(side, measure.blob.polygon)
        xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
        return {"blob_polygon": polygon, "blob_box": [min(xs), min(ys), max(xs), max(ys)]}


@check_register
class BlackWhiteDocumentCheck(CaptureCheck):
    """A grey photocopy instead of the coloured original: no chroma beyond the light's cast."""

    name = "black_white_document"
    codes = (Step1RetryCode.BLACK_WHITE_DOCUMENT,)
    threshold_name = "quality.colour.min_score"

    def measure(self, measures, side):
        return measures.colour(side)

    def passes(self, measure):
        return colour_passes(measure)


@check_register
class ScreenDetectedCheck(CaptureCheck):
    """The document was photographed off a screen: a periodic peak (pixel grid, moiré) in its spectrum."""

    name = "screen_detected"
    codes = (Step1RetryCode.SCREEN_DETECTED,)
    threshold_name = "recapture.screen.min_score"

    def measure(self, measures, side):
        return measures.moire(side)

    def passes(self, measure):
        return moire_passes(measure)

    def extra_evidence(self, measures, side, measure):
        return {"patch_boxes": [measures.analysis.to_original(side, list(box)) for box in measure.patches]}


@check_register
class RecapturedDocumentCheck(CaptureCheck):
    """The photo shows a device displaying the document, or is a screenshot rather than a camera photo."""

    name = "recaptured_document"
    codes = (Step1RetryCode.RECAPTURED_DOCUMENT,)
    threshold_name = "recapture.min_score"

    def measure(self, measures, side):
        return measures.recapture(side)

    def passes(self, measure):
        return recapture_passes(measure)

    def answered_elsewhere(self, measures, side):
        return None if moire_passes(measures.moire(side)) else "screen_detected"

    def extra_evidence(self, measures, side, measure):
        if measure.frame.outline is None or not measure.frame.found:
            return {}
        return {"frame_outline": measures.analysis.to_original(side, measure.frame.outline),
                "screen_outline": measures.analysis.to_original(side, measure.frame.screen)}
