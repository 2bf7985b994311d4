"""Step 2 face checks: the selfie's face, its match with the ID portrait, and passive liveness.

All three read one shared analysis (`face_analysis`, computed once per request into ctx.cache):
the selfie's faces (verification.faces, dlib) and, for the comparison, the portrait on the
submission's current Step 1 front image, read back through the storage.

- `face_detection` (10): no face on the selfie → `no_face`; several faces → `face_compare_fail`
  (which face to compare is unknown: "failed to find a matching face"; evidence says
  "multiple_faces"); the capture conditions of verification.face_liveness → `liveness_error`
  with the variant of the first failing one.
- `face_compare` (20): no stored front image → `face_compare_fail`; no face on it → `no_face`;
  similarity under the project's `face_match_threshold` → `face_compare_underscore`.
- `face_liveness` (30): the passive score under the project's `liveness_threshold` →
  `liveness_fail` (the heuristic, or the operator's ONNX model: KYC_FACE_LIVENESS_MODEL).

A fault of the face engine (missing model, unreadable stored image) answers `face_detect_error`,
the table's retry for a server-side failure, with the fault in the evidence: never a 500. Evidence
coordinates are in the stored (upright) images' pixels: selfie and ID front.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings

from verification.face_liveness import FaceConditions, FaceLivenessHeuristic, face_conditions, face_view
from verification.faces import (
    Face,
    descriptor_distance,
    distance_similarity,
    face_descriptor,
    face_pose,
    faces_detect,
    landmark_model_set,
)
from verification.providers import ImageScoreProvider, image_score_provider

from ..choices import FileKind, Step
from ..codes import Step2RetryCode
from ..images import ImageRejected, ImageUpload, image_read_bytes
from ..selectors import submission_current_file_bytes
from .base import Check, CheckContext, CheckReport, Finding, check_register

logger = logging.getLogger(__name__)

ID_MAX_SIDE = 1600  # the ID front is searched at Step 1's analysis size: its portrait is small


@dataclass
class FaceAnalysis:
    selfie_rgb: np.ndarray | None = None
    selfie_scale: float = 1.0  # stored-selfie pixels per analysed pixel (> 1 when reduced on decode)
    selfie_faces: list[Face] = field(default_factory=list)
    conditions: FaceConditions | None = None
    fault: str | None = None
    descriptor: np.ndarray | None = None  # the selfie face's, once computed (compare, duplicates)

    @property
    def face(self) -> Face | None:
        """The selfie's one face, when there is exactly one."""
        return self.selfie_faces[0] if len(self.selfie_faces) == 1 else None


def _fault_report(exc: Exception, what: str) -> CheckReport:
    logger.warning("face engine fault (%s): %s", what, exc, exc_info=True)
    return CheckReport(findings=[Finding(Step2RetryCode.FACE_DETECT_ERROR)],
                       evidence={"fault": type(exc).__name__, "during": what})


def face_analysis(ctx: CheckContext) -> FaceAnalysis:
    """The selfie's faces and conditions, computed once per request (a fault is kept, not raised)."""
    if "faces" not in ctx.cache:
        analysis = FaceAnalysis()
        try:
            landmark_model_set(getattr(settings, "KYC_FACE_LANDMARK_MODEL", "5") or "5")
            analysis.selfie_rgb, analysis.selfie_scale = upload_rgb(ctx.images[FileKind.SELFIE])
            analysis.selfie_faces = faces_detect(analysis.selfie_rgb)
            if analysis.face is not None:
                h, w = analysis.selfie_rgb.shape[:2]
                analysis.conditions = face_conditions(analysis.face, (w, h))
        except Exception as exc:  # noqa: BLE001 - any engine fault is the documented face_detect_error
            logger.warning("selfie face analysis failed: %s", exc, exc_info=True)
            analysis.fault = type(exc).__name__
        ctx.cache["faces"] = analysis
    return ctx.cache["faces"]


def selfie_descriptor(ctx: CheckContext) -> np.ndarray:
    """The selfie's one face as a 128-D descriptor, computed once per request."""
    analysis = face_analysis(ctx)
    if analysis.descriptor is None:
        analysis.descriptor = face_descriptor(analysis.selfie_rgb, analysis.face)
    return analysis.descriptor


def upload_rgb(upload: ImageUpload) -> tuple[np.ndarray, float]:
    """The decoded upload as RGB, and how many stored-image pixels one of its pixels is."""
    image = upload.image
    rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    return rgb, upload.width / rgb.shape[1]


def _face_evidence(face: Face, scale: float = 1.0) -> dict[str, Any]:
    """The face's evidence; its box and landmarks in stored-image pixels, as the workspace draws them."""
    evidence = {**face.as_evidence(), **face_pose(face)}
    if scale != 1.0:
        evidence["box"] = [round(v * scale, 1) for v in face.box]
        evidence["landmarks"] = [[round(x * scale, 1), round(y * scale, 1)] for x, y in face.landmarks]
    return evidence


@check_register
class FaceDetectionCheck(Check):
    """One face on the selfie, captured so that it can be compared and judged live."""

    name = "face_detection"
    step = Step.STEP2
    codes = (Step2RetryCode.NO_FACE, Step2RetryCode.FACE_COMPARE_FAIL, Step2RetryCode.LIVENESS_ERROR,
             Step2RetryCode.FACE_DETECT_ERROR)
    fault_code = Step2RetryCode.FACE_DETECT_ERROR
    analyses_images = True
    run_order = 10

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = face_analysis(ctx)
        if analysis.fault is not None:
            return CheckReport(findings=[Finding(Step2RetryCode.FACE_DETECT_ERROR)],
                               evidence={"fault": analysis.fault, "during": "selfie detection"})
        h, w = analysis.selfie_rgb.shape[:2]
        evidence: dict[str, Any] = {"selfie_size": [w, h], "face_count": len(analysis.selfie_faces),
                                    "selfie_faces": [_face_evidence(face, analysis.selfie_scale)
                                                     for face in analysis.selfie_faces]}
        if not analysis.selfie_faces:
            return CheckReport(findings=[Finding(Step2RetryCode.NO_FACE)], evidence={**evidence, "reason": "no_face"})
        if len(analysis.selfie_faces) > 1:
            return CheckReport(findings=[Finding(Step2RetryCode.FACE_COMPARE_FAIL)],
                               evidence={**evidence, "reason": "multiple_faces"})
        conditions = analysis.conditions
        evidence.update({"conditions": conditions.measures, "failed_conditions": conditions.failed})
        if conditions.ok:
            return CheckReport(evidence=evidence)
        return CheckReport(findings=[Finding(Step2RetryCode.LIVENESS_ERROR, variant=conditions.variant)],
                           evidence=evidence)


def id_portrait(ctx: CheckContext) -> tuple[np.ndarray | None, list[Face], float]:
    """The current Step 1 front image (upright RGB), its faces, largest first, and its scale to the stored
    image; (None, [], 1.0) without one."""
    data = submission_current_file_bytes(submission=ctx.submission, kind=FileKind.ID_FRONT)
    if data is None:
        return None, [], 1.0
    rgb, scale = upload_rgb(image_read_bytes(data))
    # No confirmation pass: a document may show a second, smaller (ghost) portrait; the largest counts.
    return rgb, faces_detect(rgb, max_side=ID_MAX_SIDE, confirm=False), scale


@check_register
class FaceCompareCheck(Check):
    """The selfie's face against the ID portrait: similarity 0-100 from the descriptor distance."""

    name = "face_compare"
    step = Step.STEP2
    codes = (Step2RetryCode.FACE_COMPARE_UNDERSCORE, Step2RetryCode.FACE_COMPARE_FAIL, Step2RetryCode.NO_FACE,
             Step2RetryCode.FACE_DETECT_ERROR)
    fault_code = Step2RetryCode.FACE_DETECT_ERROR
    analyses_images = True
    run_order = 20

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = face_analysis(ctx)
        limit = float(ctx.project.face_match_threshold)
        if analysis.face is None:  # face_detection answers for the selfie
            return CheckReport(threshold=limit, evidence={"judged": False, "reason": "no single selfie face"})
        try:
            front, id_faces, id_scale = id_portrait(ctx)
        except ImageRejected as exc:
            return _fault_report(exc, "reading the ID front image")
        except Exception as exc:  # noqa: BLE001 - any engine fault is the documented face_detect_error
            return _fault_report(exc, "ID portrait detection")
        if front is None:
            return CheckReport(threshold=limit, findings=[Finding(Step2RetryCode.FACE_COMPARE_FAIL)],
                               evidence={"judged": False, "reason": "no ID front image to compare with"})
        evidence: dict[str, Any] = {"id_size": [front.shape[1], front.shape[0]],
                                    "id_faces": [_face_evidence(face, id_scale) for face in id_faces],
                                    "selfie_face": _face_evidence(analysis.face, analysis.selfie_scale)}
        if not id_faces:
            return CheckReport(threshold=limit, findings=[Finding(Step2RetryCode.NO_FACE)],
                               evidence={**evidence, "judged": False, "reason": "no face on the ID image"})
        try:
            distance = descriptor_distance(selfie_descriptor(ctx), face_descriptor(front, id_faces[0]))
        except Exception as exc:  # noqa: BLE001
            return _fault_report(exc, "face descriptors")
        similarity = distance_similarity(distance)
        evidence.update({"judged": True, "id_face": _face_evidence(id_faces[0], id_scale), "distance": round(distance, 4),
                         "similarity": similarity})
        return CheckReport.scored(Step2RetryCode.FACE_COMPARE_UNDERSCORE, score=similarity, threshold=limit,
                                  evidence=evidence)


_HEURISTIC = FaceLivenessHeuristic()


def face_liveness_provider() -> ImageScoreProvider:
    """The operator's ONNX model (KYC_FACE_LIVENESS_MODEL), else the built-in replay heuristic."""
    path = getattr(settings, "KYC_FACE_LIVENESS_MODEL", "") or ""
    if not path:
        return _HEURISTIC
    return image_score_provider(path, getattr(settings, "KYC_FACE_LIVENESS_MODEL_OPTIONS", {}) or {})


@check_register
class FaceLivenessCheck(Check):
    """Passive liveness of the selfie's face, 0-100 (screen or print replay cues, or an ONNX model)."""

    name = "face_liveness"
    step = Step.STEP2
    codes = (Step2RetryCode.LIVENESS_FAIL, Step2RetryCode.FACE_DETECT_ERROR)
    fault_code = Step2RetryCode.FACE_DETECT_ERROR
    analyses_images = True
    run_order = 30

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = face_analysis(ctx)
        limit = float(ctx.project.liveness_threshold)
        if analysis.face is None or not analysis.conditions.ok:
            # The capture itself is a retry already (face_detection); a score on it would be noise.
            return CheckReport(threshold=limit, evidence={"judged": False, "reason": "no usable selfie face"})
        view = face_view(analysis.selfie_rgb, analysis.face)
        provider = face_liveness_provider()
        try:
            result = provider.score(view.rgb, file_bytes=ctx.images[FileKind.SELFIE].data)
        except Exception as exc:  # noqa: BLE001 - a broken operator model is a server-side fault
            return _fault_report(exc, f"liveness provider {getattr(provider, 'name', '?')}")
        score = float(result.score)
        evidence = {"judged": True, "provider": provider.name, "view_box": list(view.box), "details": result.details}
        return CheckReport.scored(Step2RetryCode.LIVENESS_FAIL, score=score, threshold=limit, evidence=evidence)
