"""Step 1 tampering checks: editing traces, pixel forgery, pasted text, generated images.

Each reads the shared `DocumentAnalysis` (never OCR of its own) and the tampering forensics of the
front image (`tamper_forensics`, cached in `ctx.cache`), records a score (0-100, higher = more
genuine) with its registered threshold, and keeps its evidence in stored-image coordinates.
All four codes are gated by the project's `id_card_validation` option (submissions.codes).
Signals, calibration and limits: docs/checks/tampering.md.
"""

import numpy as np
from django.conf import settings

from verification.providers import image_score_provider
from verification.tamper import (
    ForensicImage,
    copy_move_detect,
    editing_traces,
    image_metadata_read,
    jpeg_quality_estimate,
    noise_inconsistency,
    text_box_noise,
    thumbnail_compare,
)
from verification.thresholds import threshold

from ..choices import Step
from ..codes import Step1RetryCode
from .analysis import step1_analysis
from .base import Check, CheckContext, CheckReport, Finding, MeasuredCheck, check_register

FORENSICS_CACHE_KEY = "tamper.front"
# With no detected document, the text lines say where the card is; this many lines are needed.
ROI_MIN_OCR_LINES = 3
ROI_OCR_MARGIN = 0.06  # of the lines' extent, on each side


def _document_roi(analysis) -> np.ndarray | None:
    """The front document's quadrilateral in analysis pixels: the detection, else the OCR lines' extent."""
    if analysis.front_detection is not None:
        return analysis.front_detection.quad
    lines = analysis.front_ocr
    if len(lines) < ROI_MIN_OCR_LINES:
        return None
    points = np.concatenate([np.asarray(line.box, dtype=np.float64).reshape(-1, 2) for line in lines])
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    mx, my = (x1 - x0) * ROI_OCR_MARGIN, (y1 - y0) * ROI_OCR_MARGIN
    h, w = analysis.front.height, analysis.front.width
    x0, y0, x1, y1 = max(0.0, x0 - mx), max(0.0, y0 - my), min(w, x1 + mx), min(h, y1 + my)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def tamper_forensics(ctx: CheckContext) -> ForensicImage:
    """The front image's forensic maps, restricted to the document, shared by this module's checks."""
    def compute() -> ForensicImage:
        analysis = step1_analysis(ctx)
        return ForensicImage(analysis.front.rgb, _document_roi(analysis))

    return ctx.shared(FORENSICS_CACHE_KEY, compute)


def _box_evidence(analysis, box) -> list[float]:
    """An analysis-pixel box [x0, y0, x1, y1] in stored-image pixels."""
    return analysis.to_original("front", [float(v) for v in box])


def _side_bytes(analysis) -> list[tuple[str, bytes]]:
    sides = [("front", analysis.front_bytes)]
    if analysis.back_bytes is not None:
        sides.append(("back", analysis.back_bytes))
    return sides


@check_register
class ImageEditedCheck(MeasuredCheck):
    """Editing software in the files' metadata, or an EXIF thumbnail showing another picture."""

    name = "image_edited"
    step = Step.STEP1
    codes = (Step1RetryCode.IMAGE_EDITED,)
    analyses_images = True
    run_order = 40

    def measurement(self, ctx: CheckContext) -> tuple[float, dict]:
        return _edited_measure(step1_analysis(ctx))

    def run(self, ctx: CheckContext) -> CheckReport:
        score, evidence = self.measured(ctx)
        return CheckReport.scored(Step1RetryCode.IMAGE_EDITED, score=score, threshold=threshold("tamper.edited.score_min"),
                                  evidence=evidence)


def _edited_measure(analysis) -> tuple[float, dict]:
    """(score, evidence) of the files' editing traces: metadata and EXIF thumbnail of every side."""
    score, evidence = 100.0, {"sides": {}}
    for side, data in _side_bytes(analysis):
        meta = image_metadata_read(data)
        traces = editing_traces(meta)
        quality, standard = jpeg_quality_estimate(meta.quantization)
        side_evidence = {
            "format": meta.format,
            "camera": " ".join(filter(None, (meta.make, meta.model))) or None,
            "software": meta.exif_text.get("Software"),
            "editing_traces": [trace.evidence() for trace in traces],
            "jpeg_quality": quality,
            "jpeg_standard_tables": standard if quality is not None else None,
        }
        side_score = 0.0 if traces else 100.0
        if meta.thumbnail is not None:
            comparison = thumbnail_compare(data, meta.thumbnail)
            if comparison is not None:
                side_evidence["thumbnail"] = comparison.evidence()
                side_score = min(side_score, comparison.score)
        side_evidence["score"] = side_score
        evidence["sides"][side] = side_evidence
        score = min(score, side_score)
    evidence["tools"] = sorted({t["tool"] for s in evidence["sides"].values() for t in s["editing_traces"]})
    return score, evidence


@check_register
class ImageForgeryCheck(MeasuredCheck):
    """Pixel manipulation of the front: a region with foreign noise (replaced portrait), or a clone."""

    name = "image_forgery"
    step = Step.STEP1
    codes = (Step1RetryCode.IMAGE_FORGERY,)
    analyses_images = True
    run_order = 40

    def measurement(self, ctx: CheckContext):
        forensics = tamper_forensics(ctx)
        return noise_inconsistency(forensics), copy_move_detect(forensics)

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = step1_analysis(ctx)
        forensics = tamper_forensics(ctx)
        limit = threshold("tamper.forgery.score_min")
        noise, clone = self.measured(ctx)
        regions = []
        if noise.box is not None and noise.score < 100:
            regions.append({"kind": "noise_inconsistency", "box": _box_evidence(analysis, noise.box)})
        if clone.source_box is not None and clone.score < 100:
            regions.append({"kind": "copy_source", "box": _box_evidence(analysis, clone.source_box)})
            regions.append({"kind": "copy_target", "box": _box_evidence(analysis, clone.target_box)})
        score = min(noise.score, clone.score)
        evidence = {
            "noise": noise.evidence(),
            "copy_move": clone.evidence(),
            "regions": regions,
            "document_region": None if forensics.roi is None else analysis.to_original(
                "front", (forensics.roi + forensics.offset).round(1).tolist()),
        }
        return CheckReport.scored(Step1RetryCode.IMAGE_FORGERY, score=score, threshold=limit, evidence=evidence)


@check_register
class ArtificialTextCheck(Check):
    """Text pasted on the front: an OCR line whose background is flatter than its surroundings."""

    name = "artificial_text"
    step = Step.STEP1
    codes = (Step1RetryCode.ARTIFICIAL_TEXT,)
    analyses_images = True
    run_order = 40

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = step1_analysis(ctx)
        limit = threshold("tamper.text.score_min")
        lines = analysis.front_ocr
        results = text_box_noise(tamper_forensics(ctx), [(line.text, line.box) for line in lines])
        if not results:
            return CheckReport(score=None, threshold=limit, evidence={"lines": len(lines), "boxes_read": 0})
        worst = min(results, key=lambda result: result.score)
        suspicious = [result for result in results if result.score < limit]
        evidence = {
            "lines": len(lines),
            "boxes_read": len(results),
            "typical_noise": round(float(np.median([r.inside for r in results])), 3),
            "weakest": {**worst.evidence(), "box": _box_evidence(analysis, worst.box)},
            "regions": [{"kind": "pasted_text", "text": r.text, "box": _box_evidence(analysis, r.box),
                         "score": r.score} for r in suspicious],
        }
        findings = [Finding(Step1RetryCode.ARTIFICIAL_TEXT)] if suspicious else []
        return CheckReport(findings=findings, score=worst.score, threshold=limit, evidence=evidence)


@check_register
class ArtificialImageCheck(MeasuredCheck):
    """A generated or rendered front image, scored by the configured provider (heuristic or ONNX)."""

    name = "artificial_image"
    step = Step.STEP1
    codes = (Step1RetryCode.ARTIFICIAL_IMAGE,)
    analyses_images = True
    run_order = 40

    def measurement(self, ctx: CheckContext):
        analysis = step1_analysis(ctx)
        provider = image_score_provider(settings.KYC_ARTIFICIAL_IMAGE_MODEL,
                                        settings.KYC_ARTIFICIAL_IMAGE_MODEL_OPTIONS)
        return provider, provider.score(analysis.front.rgb, file_bytes=analysis.front_bytes)

    def run(self, ctx: CheckContext) -> CheckReport:
        limit = threshold("tamper.artificial.score_min")
        provider, result = self.measured(ctx)
        evidence = {"provider": provider.name, "details": result.details}
        return CheckReport.scored(Step1RetryCode.ARTIFICIAL_IMAGE, score=result.score, threshold=limit,
                                  evidence=evidence)
