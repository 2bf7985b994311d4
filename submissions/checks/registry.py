"""Step 1 registry checks: the document against what operators registered in `documents`.

- `fake_id`: the document is a capture of a known sample/specimen image (perceptual hashes).
- `feature_verification_failed`: the document does not show the layout registered for its
  issuing country and id type (ORB features + RANSAC). No template for the pair: not judged.
- `invalid_id` (HTTP 400): the document number read from the MRZ, barcode or print is in the
  registry of invalidated documents or series. It is a registry lookup, not an image judgement,
  so it runs whatever the project's options, whenever a document number was read (the document
  checks registered before this module put it in `ctx.extracted["document_number"]`).

All three answer `id_validation_error` when they fail to run (a registry unavailable). Evidence is
in stored-image pixels; signals, thresholds and measured rates: docs/checks/registry.md.
"""

import cv2
import numpy as np

from documents.selectors import (
    invalidated_document_find,
    specimen_nearest,
    specimen_table,
    template_features_for,
)
from verification.registry import (
    FEATURE_WIDTH,
    document_crop,
    features_extract,
    features_match,
    hash_match_is_specimen,
    image_hashes,
    image_hashes_both_ways,
    template_min_score,
)
from verification.thresholds import threshold

from ..choices import Step
from ..codes import Step1ErrorCode, Step1RetryCode
from .analysis import step1_analysis
from .base import Check, CheckContext, CheckReport, Finding, check_register

SIDES = ("front", "back")


def document_id_type(ctx: CheckContext) -> str:
    """The resolved document type: the submission's, else the one detected (universal)."""
    return ctx.submission.id_type or ctx.extracted.get("id_type") or ctx.submission.requested_id_type


def _not_judged(reason: str, **evidence) -> CheckReport:
    return CheckReport(evidence={"judged": False, "reason": reason, **evidence})


@check_register
class FakeIdCheck(Check):
    """A capture of a published sample/specimen image registered by operators."""

    name = "fake_id"
    step = Step.STEP1
    codes = (Step1RetryCode.FAKE_ID,)
    fault_code = Step1ErrorCode.ID_VALIDATION_ERROR
    analyses_images = True
    run_order = 30

    def run(self, ctx: CheckContext) -> CheckReport:
        table = specimen_table()
        if len(table) == 0:
            return _not_judged("no specimen registered")
        analysis = step1_analysis(ctx)
        evidence: dict = {}
        nearest_block = None
        found = False
        for side in SIDES:
            image = analysis.image(side)
            if image is None:
                continue
            if not (table.sides == side).any():
                evidence[side] = {"judged": False, "reason": f"no {side} specimen registered"}
                continue
            crop = document_crop(image, detection=analysis.detection(side))
            # Upside down too, when the outline fixes the orientation up to 180°.
            hashes = image_hashes_both_ways(crop.rgb) if crop.detected else [image_hashes(crop.rgb)]
            match = specimen_nearest(hashes=hashes, side=side)
            side_evidence = {"document_quad": crop.quad, "document_detected": crop.detected, "nearest": None}
            if match is not None:
                is_specimen = hash_match_is_specimen(match.hash_match)
                side_evidence["nearest"] = {"specimen_id": match.specimen_id, "country": match.country,
                                            "id_type": match.id_type, **match.hash_match.evidence(),
                                            "is_specimen": is_specimen}
                found |= is_specimen
                block = round(100 * match.hash_match.block_distance, 1)
                nearest_block = block if nearest_block is None else min(nearest_block, block)
            evidence[side] = side_evidence
        evidence["max_hash_distance"] = threshold("registry.specimen_max_hash_distance")
        # score: % of differing block-hash cells to the nearest specimen (lower = more alike).
        limit = round(100 * threshold("registry.specimen_max_block_distance"), 1)
        findings = [Finding(Step1RetryCode.FAKE_ID)] if found else []
        return CheckReport(findings=findings, score=nearest_block, threshold=limit, evidence=evidence)


@check_register
class FeatureVerificationCheck(Check):
    """The document shows the layout registered for its issuing country and id type."""

    name = "feature_verification"
    step = Step.STEP1
    codes = (Step1RetryCode.FEATURE_VERIFICATION_FAILED,)
    fault_code = Step1ErrorCode.ID_VALIDATION_ERROR
    analyses_images = True
    run_order = 30

    def run(self, ctx: CheckContext) -> CheckReport:
        country, id_type = ctx.submission.issuing_country, document_id_type(ctx)
        analysis = None
        evidence: dict = {"country": country, "id_type": id_type}
        scores: list[float] = []
        for side in SIDES:
            templates = template_features_for(country=country, id_type=id_type, side=side)
            if not templates:
                continue
            analysis = analysis or step1_analysis(ctx)
            image = analysis.image(side)
            if image is None:
                evidence[side] = {"judged": False, "reason": "side not submitted",
                                  "templates": [t.template_id for t in templates]}
                continue
            if side in analysis.abnormal_pose_sides:
                evidence[side] = {"judged": False, "reason": "abnormal pose (physical_document_missing)"}
                continue
            crop = document_crop(image, width=FEATURE_WIDTH, detection=analysis.detection(side))
            features = features_extract(crop.rgb)
            matches = [(t.template_id, features_match(t.features, features)) for t in templates]
            best_id, best = max(matches, key=lambda item: item[1].score)
            side_evidence = {
                "document_quad": crop.quad,
                "document_keypoints": len(features.keypoints),
                "templates": {str(template_id): match.evidence() for template_id, match in matches},
                "best_template_id": best_id,
            }
            if best.homography is not None:
                # Where the template's outline lands in the photo: the matched layout, for review.
                tw, th = templates[[t.template_id for t in templates].index(best_id)].features.size
                outline = np.array([[0, 0], [tw, 0], [tw, th], [0, th]], np.float64).reshape(-1, 1, 2)
                in_crop = cv2.perspectiveTransform(outline, best.homography).reshape(-1, 2)
                side_evidence["matched_outline"] = image.to_original(crop.to_analysis(in_crop))
            evidence[side] = side_evidence
            scores.append(best.score)
        if not scores:
            reason = "no template registered for this country, id type and side"
            if analysis is not None:
                reason = "no judgeable side"
            return _not_judged(reason, **evidence)
        score = round(100 * min(scores), 2)
        limit = round(100 * template_min_score(), 2)
        return CheckReport.scored(Step1RetryCode.FEATURE_VERIFICATION_FAILED, score=score, threshold=limit,
                                  evidence=evidence)


@check_register
class InvalidIdCheck(Check):
    """The document number (or its series) was invalidated: HTTP 400 invalid_id."""

    name = "invalid_id"
    step = Step.STEP1
    codes = (Step1ErrorCode.INVALID_ID,)
    fault_code = Step1ErrorCode.ID_VALIDATION_ERROR
    # It reads what the image checks extracted; without them there is no number to look up.
    analyses_images = True
    run_order = 30

    def run(self, ctx: CheckContext) -> CheckReport:
        number = ctx.extracted.get("document_number")
        if not number:
            return _not_judged("no document number was read")
        id_type = document_id_type(ctx)
        countries = [ctx.submission.issuing_country]
        mrz_state = (ctx.extracted.get("mrz") or {}).get("issuing_state")
        if mrz_state and mrz_state not in countries:
            countries.append(mrz_state)  # the issuer the document itself states
        for country in countries:
            entry = invalidated_document_find(country=country, id_type=id_type, number=number)
            if entry is not None:
                return CheckReport(findings=[Finding(Step1ErrorCode.INVALID_ID)], evidence={
                    "document_number": number, "entry_id": entry.pk, "country": entry.country,
                    "match": entry.match, "registered": entry.number, "reason": entry.reason,
                    "source": entry.source,
                })
        return CheckReport(evidence={"document_number": number, "countries": countries, "listed": False})
