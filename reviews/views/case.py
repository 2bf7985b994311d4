"""The case page: one submission as a reviewer decides it, served inside the admin.

Opening the page claims the case (`review_claim`); the page only gathers input and calls the
review services, which lock the row, check the claim, apply edits, re-run the rules and write
the ReviewDecision and audit rows. What the viewer sees is scoped by their project role:
another project's submission is a 404, and an auditor sees numbers masked (`kycreview.masking`) and
no images.
"""

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from audit.services import Actor
from kycreview.masking import mask_personal
from submissions.choices import SubmissionStatus
from submissions.exceptions import SubmissionError
from submissions.file_urls import stored_file_admin_url
from submissions.models import Submission

from ..choices import Decision, DecisionState
from ..forms import DecisionForm
from ..models import ReviewDecision
from ..selectors import (
    review_access_for_user,
    review_active_claim,
    review_attempts,
    review_audit_timeline,
    review_check_results,
    review_current_files,
    review_data_rows,
    review_evidence_shapes,
    review_open_proposal,
    review_related_submissions,
)
from ..services import review_claim, review_confirm, review_decide, review_release, review_return

CASE_ACTIONS = ("decide", "release", "confirm", "return", "heartbeat")


def review_user_may_decide(user) -> bool:
    """Whether the user decides in at least one project (the admin's bulk actions)."""
    return review_access_for_user(user).decides_anywhere


def review_submission_for_user(request: HttpRequest, object_id: str) -> Submission:
    """The submission if the user may see its project; 404 otherwise (even its existence is private)."""
    access = review_access_for_user(request.user)
    submission = access.submissions().select_related("project").filter(pk=object_id).first() \
        if str(object_id).isdigit() else None
    if submission is None:
        raise Http404("No such submission.")
    return submission


def review_outcome_message(*, submission: Submission, review: ReviewDecision, requested: str) -> str:
    """What happened, in one sentence: the resulting status and, for a rejection, its codes."""
    if review.state == DecisionState.PROPOSED:
        return (f"Your decision ({review.get_decision_display().lower()}) on {submission.submission_id} "
                "awaits a second reviewer.")
    text = f"Submission {submission.submission_id} is now {submission.get_status_display()}"
    if submission.status == SubmissionStatus.REJECTED:
        text += f" with {', '.join(review.reject_codes)}"
        if requested == Decision.APPROVE:
            text += " (the edited data breaks the project's rules)"
    return text + "."


def _next_case_url() -> str:
    return reverse("admin:review_queue") + "?next=1"


def review_case_view(request: HttpRequest, *, model_admin: ModelAdmin, object_id: str) -> HttpResponse:
    """GET: claim the case and show it. POST: decide, release, confirm, return or keep the claim alive."""
    submission = review_submission_for_user(request, object_id)
    access = review_access_for_user(request.user)
    may_decide = access.may_decide(submission.project_id)
    actor = Actor.for_user(request.user)
    opts = model_admin.model._meta
    case_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_decide", args=[submission.pk])
    error = None
    action = request.POST.get("action", "decide") if request.method == "POST" else None
    if action is not None and action not in CASE_ACTIONS:
        action = "decide"
    if action is not None and not may_decide:
        raise PermissionDenied

    form = DecisionForm(request.POST if action == "decide" else None, submission=submission)
    if action == "heartbeat":
        try:
            claim = review_claim(submission_id=submission.submission_id, actor=actor)
        except SubmissionError as exc:
            return JsonResponse({"claimed": False, "message": exc.message}, status=409)
        return JsonResponse({"claimed": True, "last_seen_at": claim.last_seen_at.isoformat()})
    if action == "release":
        review_release(submission_id=submission.submission_id, actor=actor)
        messages.info(request, f"Released {submission.submission_id}: it is back in the queue.")
        return HttpResponseRedirect(reverse("admin:review_queue"))
    if action in ("confirm", "return"):
        service = review_confirm if action == "confirm" else review_return
        try:
            # The posted id is resolved inside this case, which is already scoped to the user's projects.
            review = service(submission_id=submission.submission_id, review_id=int(request.POST.get("review_id") or 0),
                             actor=actor, note=request.POST.get("second_note", ""))
        except SubmissionError as exc:
            if exc.http_status == 404:
                raise Http404("No such decision in this case.") from exc
            error = exc.message
        except ValueError:
            error = "Invalid request."
        else:
            submission.refresh_from_db()
            messages.success(request, f"{review.get_state_display()}: {submission.submission_id} is now "
                                      f"{submission.get_status_display()}.")
            return HttpResponseRedirect(_next_case_url())
    if action == "decide" and form.is_valid():
        try:
            review = review_decide(
                submission_id=submission.submission_id, actor=actor,
                decision=Decision(form.cleaned_data["decision"]),
                codes=form.cleaned_data["codes"] if form.cleaned_data["decision"] == Decision.REJECT else [],
                comment=form.cleaned_data["comment"], note=form.cleaned_data["note"], edits=form.edits(),
                messages=form.client_messages(),
            )
        except SubmissionError as exc:
            error = exc.message
        else:
            submission.refresh_from_db()
            messages.success(request, review_outcome_message(
                submission=submission, review=review, requested=form.cleaned_data["decision"]))
            return HttpResponseRedirect(_next_case_url())

    if action is not None:
        submission.refresh_from_db()  # a refused POST: show the row as it now is (another reviewer may have won)
    is_pending = submission.status == SubmissionStatus.PENDING and submission.erased_at is None
    claim = None
    proposal = review_open_proposal(submission=submission) if is_pending else None
    proposer = proposal is not None and proposal.reviewer_id == request.user.pk
    # The proposer of an open four-eyes decision does not take the case back from the queue.
    if is_pending and may_decide and action in (None, "decide") and not proposer:
        try:
            claim = review_claim(submission_id=submission.submission_id, actor=actor)
        except SubmissionError as exc:
            error = error or exc.message
    claim = claim or (review_active_claim(submission=submission) if is_pending else None)
    holds_claim = claim is not None and claim.reviewer_id == request.user.pk
    personal = access.may_see_personal_data(submission.project_id)
    check_results = list(review_check_results(submission=submission))
    shapes = review_evidence_shapes(check_results=check_results) if personal else {}
    files = [
        (stored, stored_file_admin_url(stored), shapes.get(stored.kind, []))
        for stored in review_current_files(submission=submission)
    ]
    if submission.erased_at is not None:
        error = error or "This submission was erased: it can no longer be decided."
    elif not is_pending:
        error = error or "This submission is not pending review."
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Case {submission.submission_id}",
        "opts": opts,
        "original": submission,
        "submission": submission,
        "project": submission.project,
        "change_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[submission.pk]),
        "case_url": case_url,
        "queue_url": reverse("admin:review_queue"),
        "next_url": _next_case_url(),
        "is_pending": is_pending,
        "may_decide": may_decide,
        "claim": claim,
        "holds_claim": holds_claim,
        "can_decide_now": is_pending and may_decide and holds_claim and proposal is None,
        "proposal": proposal,
        "proposal_edits": (proposal.edits if personal else mask_personal(proposal.edits)) if proposal else {},
        "can_settle_proposal": proposal is not None and may_decide and not proposer and (claim is None or holds_claim),
        "personal": personal,
        "error": error,
        "form": form,
        "files": files,
        "data_rows": review_data_rows(submission=submission, masked=not personal),
        "check_results": check_results,
        "attempts": review_attempts(check_results=check_results),
        "related": review_related_submissions(access=access, submission=submission) if personal else [],
        "timeline": review_audit_timeline(submission=submission),
        "media": model_admin.media,
    }
    return TemplateResponse(request, "admin/submissions/submission/decide.html", context)
