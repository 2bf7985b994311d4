"""Step 1 ID liveness (the project's attack prevention option): screen replay, paper print, replaced portrait.

Each pipeline scores the front image 0-100 (verification.id_liveness) with its heuristic, or with
the operator's ONNX model when `KYC_ID_LIVENESS_MODELS` names one for it:

    KYC_ID_LIVENESS_MODELS='{"screen_replay": {"path": "/models/screen.onnx",
                              "options": {"input_size": [224, 224], "output": "logits"}}}'

(`options` are `verification.providers.OnnxImageScoreProvider` keyword arguments; a plain string
is a path with default options.) A pipeline under the project's `id_liveness_threshold` answers
`id_liveness_fail` naming the failing pipelines; a provider that cannot run (missing or broken
model, an out-of-range score) answers `id_liveness_error`.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from verification.id_liveness import PIPELINES, heuristic_providers, liveness_view, pipeline_score
from verification.providers import ImageScoreProvider, image_score_provider

from ..choices import Step
from ..codes import Step1ErrorCode, Step1RetryCode
from .analysis import step1_analysis
from .base import CheckContext, CheckReport, Finding, MeasuredCheck, check_register


def id_liveness_providers() -> dict[str, ImageScoreProvider]:
    """The provider of each pipeline, from `KYC_ID_LIVENESS_MODELS` (heuristic when not named)."""
    configured = getattr(settings, "KYC_ID_LIVENESS_MODELS", None) or {}
    unknown = set(configured) - set(PIPELINES)
    if unknown:
        raise ImproperlyConfigured(f"KYC_ID_LIVENESS_MODELS names unknown pipelines {sorted(unknown)}; "
                                   f"expected some of {list(PIPELINES)}")
    providers = heuristic_providers()
    for pipeline, entry in configured.items():
        if isinstance(entry, str):
            entry = {"path": entry}
        if not entry or not entry.get("path"):
            continue
        providers[pipeline] = image_score_provider(entry["path"], entry.get("options") or {})
    return providers


@check_register
class IdLivenessCheck(MeasuredCheck):
    """Is the ID image a live capture of the physical card? (three pipelines, each 0-100)"""

    name = "id_liveness"
    step = Step.STEP1
    codes = (Step1RetryCode.ID_LIVENESS_FAIL, Step1ErrorCode.ID_LIVENESS_ERROR)
    fault_code = Step1ErrorCode.ID_LIVENESS_ERROR
    analyses_images = True
    run_order = 50

    def applies(self, ctx: CheckContext) -> bool:
        # Its own option: the 400 code in `codes` would otherwise keep it enabled everywhere.
        return bool(ctx.project.attack_prevention)

    def measurement(self, ctx: CheckContext):
        """(view, pipeline results) of the front; None for a tilted photo, whose cues are unreliable
        (physical_document_missing already asks for a retake)."""
        analysis = step1_analysis(ctx)
        if "front" in analysis.abnormal_pose_sides:
            return None
        view = liveness_view(analysis.front, analysis.front_detection)
        return view, [pipeline_score(pipeline, provider, view, file_bytes=analysis.front_bytes)
                      for pipeline, provider in id_liveness_providers().items()]

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = step1_analysis(ctx)
        limit = float(ctx.project.id_liveness_threshold)
        measured = self.measured(ctx)
        if measured is None:
            return CheckReport(threshold=limit, evidence={"judged": False, "reason": "abnormal pose"})
        view, results = measured
        image, detection = analysis.front, analysis.front_detection
        evidence: dict = {
            "side": "front",
            "document_quad": image.to_original(detection.quad) if detection is not None else None,
            "pipelines": {},
        }
        for result in results:
            details = dict(result.details)
            box = details.pop("portrait_box", None)
            if box is not None:
                x0, y0, x1, y1 = box
                corners = view.to_analysis([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
                details["portrait_quad"] = image.to_original(corners)
            evidence["pipelines"][result.pipeline] = {
                "name": result.label, "score": result.score, "passed": result.score >= limit,
                "provider": result.provider, "details": details,
            }
        failing = [result for result in results if result.score < limit]
        findings = []
        if failing:
            findings.append(Finding(Step1RetryCode.ID_LIVENESS_FAIL,
                                    params={"#pipelines": ", ".join(result.label for result in failing)}))
        return CheckReport(findings=findings, score=min(result.score for result in results), threshold=limit,
                           evidence=evidence)
