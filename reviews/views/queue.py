"""The review queue: Pending submissions oldest first, with their age against the review SLA.

Thin: reads the filters from the query string, asks `review_queue_page` for one keyset page
and renders it. `?next=1` jumps to the oldest case nobody holds (the "next case" key).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from submissions.choices import IdType
from submissions.codes import Step1RetryCode, Step2RetryCode

from ..selectors import QueueFilters, review_access_for_user, review_queue_page

ASSIGNEE_CHOICES = (("", "anyone"), ("unclaimed", "nobody"), ("me", "me"), ("others", "other reviewers"))
AGE_CHOICES = (("", "any age"), ("1", "over 1 hour"), ("4", "over 4 hours"), ("24", "over 24 hours"),
               ("72", "over 3 days"))


def _int_or_none(value: str) -> int | None:
    return int(value) if value and value.isdigit() else None


def review_queue_filters(request: HttpRequest) -> QueueFilters:
    params = request.GET
    return QueueFilters(
        project=_int_or_none(params.get("project", "")),
        country=params.get("country", "").strip().upper()[:3],
        id_type=params.get("id_type", "") if params.get("id_type", "") in IdType.values else "",
        finding=params.get("finding", "").strip()[:64],
        assignee=params.get("assignee", "") if params.get("assignee", "") in dict(ASSIGNEE_CHOICES) else "",
        older_than_hours=_int_or_none(params.get("age", "")),
        awaiting_confirmation=params.get("awaiting") == "1",
        q=params.get("q", "").strip()[:255],
    )


def review_queue_view(request: HttpRequest) -> HttpResponse:
    access = review_access_for_user(request.user)
    if not access.has_any_project:
        raise PermissionDenied
    filters = review_queue_filters(request)
    if filters.project is not None and not access.may_view(filters.project):
        filters = QueueFilters(**{**filters.__dict__, "project": -1})  # an empty page, not another's rows
    if request.GET.get("next") == "1":
        following = review_queue_page(access=access, user=request.user, size=1,
                                      filters=QueueFilters(**{**filters.__dict__, "assignee": "unclaimed"}))
        if following.rows:
            target = following.rows[0].submission
            return HttpResponseRedirect(reverse("admin:submissions_submission_decide", args=[target.pk]))
        messages.info(request, "No unclaimed case is waiting: the queue is clear.")
        return HttpResponseRedirect(reverse("admin:review_queue"))
    page = review_queue_page(access=access, user=request.user, filters=filters, cursor=request.GET.get("after", ""))
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        **admin.site.each_context(request),
        "title": "Review queue",
        "page": page,
        "filters": filters,
        "projects": list(access.projects().only("id", "name")),
        "id_types": IdType.choices,
        "findings": sorted({*Step1RetryCode.values, *Step2RetryCode.values}),
        "assignee_choices": ASSIGNEE_CHOICES,
        "age_choices": AGE_CHOICES,
        "base_query": query.urlencode(),
        "is_first_page": not request.GET.get("after"),
    }
    return TemplateResponse(request, "admin/reviews/queue.html", context)
