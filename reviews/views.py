"""The per-submission decision page, served inside the admin (`SubmissionAdmin.get_urls`).

The page only gathers input and calls `review_decide`; the service locks the row, applies
edits, re-runs the rules and writes the ReviewDecision and audit rows.
"""

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from audit.services import Actor
from submissions.choices import SubmissionStatus
from submissions.exceptions import SubmissionError
from submissions.models import Submission

from .choices import Decision
from .codes import ReviewErrorCode
from .forms import DecisionForm
from .models import ReviewDecision
from .selectors import review_check_results, review_current_files, review_data_rows, review_decisions
from .services import review_decide

REVIEW_DECIDE_PERMISSION = "reviews.add_reviewdecision"


def review_user_may_decide(user) -> bool:
    return user.has_perm(REVIEW_DECIDE_PERMISSION)


def review_outcome_message(*, submission: Submission, review: ReviewDecision, requested: str) -> str:
    """What happened, in one sentence: the resulting status and, for a rejection, its codes."""
    text = f"Submission {submission.submission_id} is now {submission.get_status_display()}"
    if submission.status == SubmissionStatus.REJECTED:
        text += f" with {', '.join(review.reject_codes)}"
        if requested == Decision.APPROVE:
            text += " (the edited data breaks the project's rules)"
    return text + "."


def review_decide_view(request: HttpRequest, *, model_admin: ModelAdmin, object_id: str) -> HttpResponse:
    """GET: the submission's images, data and checks with the decision form. POST: decide."""
    submission = model_admin.get_object(request, object_id)
    if submission is None:
        raise Http404("No such submission.")
    if not model_admin.has_view_permission(request, submission) or not review_user_may_decide(request.user):
        raise PermissionDenied
    opts = model_admin.model._meta
    change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[submission.pk])
    is_pending = submission.status == SubmissionStatus.PENDING
    error = None if is_pending else str(ReviewErrorCode.NOT_PENDING.label)

    form = DecisionForm(request.POST or None, submission=submission)
    if request.method == "POST" and form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            review = _review_decide_from_form(request, submission=submission, form=form)
        except SubmissionError as exc:
            error = exc.message
            # Another reviewer (or a rule) may have decided meanwhile: show the row as it now is.
            submission.refresh_from_db()
            is_pending = submission.status == SubmissionStatus.PENDING
        else:
            submission.refresh_from_db()
            messages.success(request, review_outcome_message(submission=submission, review=review, requested=decision))
            return HttpResponseRedirect(change_url)

    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Decide {submission.submission_id}",
        "opts": opts,
        "original": submission,
        "submission": submission,
        "project": submission.project,
        "change_url": change_url,
        "is_pending": is_pending,
        "error": error,
        "form": form,
        "files": [
            (stored, reverse(f"admin:{opts.app_label}_{opts.model_name}_file", args=[submission.pk, stored.pk]))
            for stored in review_current_files(submission=submission)
        ],
        "data_rows": review_data_rows(submission=submission),
        "check_results": review_check_results(submission=submission),
        "decisions": review_decisions(submission=submission),
        "media": model_admin.media,
    }
    return TemplateResponse(request, "admin/submissions/submission/decide.html", context)


def _review_decide_from_form(request: HttpRequest, *, submission: Submission, form: DecisionForm) -> ReviewDecision:
    data = form.cleaned_data
    is_reject = data["decision"] == Decision.REJECT
    return review_decide(
        submission_id=submission.submission_id,
        actor=Actor.for_user(request.user),
        decision=Decision(data["decision"]),
        codes=data["codes"] if is_reject else [],
        comment=data["comment"],
        note=data["note"],
        edits=form.edits(),
    )
