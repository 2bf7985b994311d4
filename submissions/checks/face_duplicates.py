"""Step 2 face duplicate verification (project option): is this face already approved under
another identity?

The selfie's descriptor is searched among the project's approved faces (FAISS index per process,
`submissions.selectors.face_index_for_project`); faces of the same identity (name, birth date,
country) are not duplicates of each other. The check only measures: the matches go to the
evidence and to `ctx.cache`, and the service, once Step 2 has passed, stores the descriptor and
rejects `duplicated_face` when the matches reach the project's `face_duplicate_limit`. A failed
search answers `face_validation_error` (HTTP 400, nothing changed).
"""

from verification.faces import distance_similarity
from verification.thresholds import ThresholdSpec, threshold, thresholds_register

from ..choices import Step
from ..codes import Step2ErrorCode
from ..exceptions import SubmissionError
from ..selectors import face_duplicates_find
from .base import Check, CheckContext, CheckReport, check_register
from .face import face_analysis, selfie_descriptor

thresholds_register({
    "face.duplicate_max_distance": ThresholdSpec(
        0.5, "Descriptor distance under which an approved face counts as the same person (0.50 maps to "
        "similarity 85, the default face match threshold)."),
})

CACHE_KEY = "face_duplicate"


@check_register
class FaceDuplicateCheck(Check):
    name = "face_duplicate"
    step = Step.STEP2
    codes = (Step2ErrorCode.FACE_VALIDATION_ERROR,)
    fault_code = Step2ErrorCode.FACE_VALIDATION_ERROR
    analyses_images = True
    run_order = 40

    def applies(self, ctx: CheckContext) -> bool:
        return bool(ctx.project.face_duplicate_verification)

    def run(self, ctx: CheckContext) -> CheckReport:
        from ..services import submission_identity_key

        analysis = face_analysis(ctx)
        if analysis.face is None or analysis.fault is not None:
            return CheckReport(evidence={"judged": False, "reason": "no single selfie face"})
        identity_key = submission_identity_key(
            name=ctx.data["name"], date_of_birth=ctx.data["date_of_birth"].isoformat(),
            issuing_country=ctx.submission.issuing_country)
        vector = selfie_descriptor(ctx)
        try:
            matches = face_duplicates_find(project=ctx.project, vector=vector, exclude_identity_key=identity_key,
                                           max_distance=threshold("face.duplicate_max_distance"))
        except Exception as exc:  # noqa: BLE001 - a failed search is the documented face_validation_error
            raise SubmissionError(Step2ErrorCode.FACE_VALIDATION_ERROR) from exc
        ctx.cache[CACHE_KEY] = {"vector": vector, "identity_key": identity_key, "matches": matches}
        limit = ctx.project.face_duplicate_limit
        return CheckReport(evidence={
            "judged": True, "limit": limit, "duplicate": len(matches) >= limit,
            "matches": [{"submission_id": m.submission_id, "distance": round(m.distance, 4),
                         "similarity": distance_similarity(m.distance)} for m in matches],
        })
