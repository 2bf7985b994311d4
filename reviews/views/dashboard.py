"""The dashboard page: volumes, approval rate, reject codes, review time and SLA breaches.

Thin: reads `?days=` and `?project=`, calls the `reviews.dashboard` selectors for the projects the
user may see, and renders tables plus the same numbers as JSON for `static/kycreview/dashboard.js`.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from submissions.choices import SubmissionStatus

from ..dashboard import (
    DASHBOARD_DEFAULT_DAYS,
    DASHBOARD_PERIOD_DAYS,
    VOLUME_STATUSES,
    DecisionSummary,
    RejectCodeCount,
    ReviewTimes,
    VolumeDay,
    dashboard_decisions,
    dashboard_pending_overdue,
    dashboard_period,
    dashboard_reject_codes,
    dashboard_review_times,
    dashboard_volumes,
)
from ..selectors import review_access_for_user


def _days_param(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", DASHBOARD_DEFAULT_DAYS))
    except ValueError:
        return DASHBOARD_DEFAULT_DAYS
    return days if days in DASHBOARD_PERIOD_DAYS else DASHBOARD_DEFAULT_DAYS


def review_dashboard_view(request: HttpRequest) -> HttpResponse:
    access = review_access_for_user(request.user)
    if not access.has_any_project:
        raise PermissionDenied
    days = _days_param(request)
    visible = list(access.projects().only("pk", "name"))
    selected = None
    if request.GET.get("project"):
        selected = next((p for p in visible if str(p.pk) == request.GET["project"]), None)
        if selected is None:
            raise Http404("No such project.")
    project_ids = [selected.pk] if selected else [project.pk for project in visible]

    now = timezone.now()
    period = dashboard_period(days=days, now=now)
    volumes = dashboard_volumes(project_ids=project_ids, period=period)
    decisions = dashboard_decisions(project_ids=project_ids, period=period)
    reject_codes = dashboard_reject_codes(project_ids=project_ids, period=period)
    review_times = dashboard_review_times(project_ids=project_ids, period=period)
    pending_overdue = dashboard_pending_overdue(project_ids=project_ids, now=now)

    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "period": period,
        "days": days,
        "day_choices": DASHBOARD_PERIOD_DAYS,
        "projects": visible,
        "selected_project": selected,
        "statuses": [(status, SubmissionStatus(status).label) for status in VOLUME_STATUSES],
        "volumes": volumes,
        "volume_total": sum(volume.total for volume in volumes),
        "decisions": decisions,
        "reject_codes": reject_codes,
        "review_times": review_times,
        "pending_overdue": pending_overdue,
        "chart_data": _chart_data(
            volumes=volumes, decisions=decisions, reject_codes=reject_codes, review_times=review_times
        ),
    }
    return TemplateResponse(request, "admin/reviews/dashboard.html", context)


def _chart_data(
    *,
    volumes: list[VolumeDay],
    decisions: DecisionSummary,
    reject_codes: list[RejectCodeCount],
    review_times: ReviewTimes,
) -> dict:
    """The numbers of the tables, shaped for Chart.js (rendered with `json_script`)."""
    return {
        "days": [volume.day.isoformat() for volume in volumes],
        "volumes": [
            {
                "status": status,
                "label": str(SubmissionStatus(status).label),
                "counts": [v.counts[status] for v in volumes],
            }
            for status in VOLUME_STATUSES
        ],
        "decisions": {
            "approved": [day.approved for day in decisions.days],
            "rejected": [day.rejected for day in decisions.days],
            "approvalRate": [day.approval_rate for day in decisions.days],
        },
        "rejectCodes": {"codes": [row.code for row in reject_codes], "counts": [row.count for row in reject_codes]},
        "reviewTimes": {
            "median": [day.median_hours for day in review_times.days],
            "p90": [day.p90_hours for day in review_times.days],
            "breaches": [day.sla_breaches for day in review_times.days],
        },
    }
