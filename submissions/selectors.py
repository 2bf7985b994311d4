from datetime import datetime

from django.db.models import Q

from .choices import SubmissionStatus
from .models import Project, StoredFile, Submission


def project_list_active() -> list[Project]:
    return list(Project.objects.filter(status="active").order_by("pk"))


def submission_applicant_statuses(
    *,
    project: Project,
    email: str,
    approved_since: datetime | None,
    rejected_since: datetime | None,
    exclude_pk: int | None = None,
) -> set[str]:
    """Which guarding statuses the email has in the project, in one indexed query.

    Pending always guards; approved and rejected only when decided since the given times
    (None: that period is off).
    """
    condition = Q(status=SubmissionStatus.PENDING)
    if approved_since is not None:
        condition |= Q(status=SubmissionStatus.APPROVED, decided_at__gte=approved_since)
    if rejected_since is not None:
        condition |= Q(status=SubmissionStatus.REJECTED, decided_at__gte=rejected_since)
    queryset = Submission.objects.filter(condition, project=project, email=email)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return set(queryset.values_list("status", flat=True).distinct())


def submission_identity_is_approved(*, project: Project, identity_key: str, exclude_pk: int) -> bool:
    return (
        Submission.objects.filter(project=project, identity_key=identity_key, status=SubmissionStatus.APPROVED)
        .exclude(pk=exclude_pk)
        .exists()
    )


def submission_current_file(*, submission: Submission, kind: str) -> StoredFile | None:
    return (
        StoredFile.objects.filter(submission=submission, kind=kind, superseded_at__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )


def submission_list_timeout_ids(*, project: Project, cutoff: datetime, after_pk: int, limit: int) -> list[int]:
    """Incomplete submissions with a retry and no progress since `cutoff`, by pk from `after_pk`."""
    return list(
        Submission.objects.filter(
            project=project,
            status=SubmissionStatus.INCOMPLETE,
            retry_count__gte=1,
            last_activity_at__lt=cutoff,
            pk__gt=after_pk,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def submission_list_expirable_ids(*, project: Project, cutoff: datetime, after_pk: int, limit: int) -> list[int]:
    """Incomplete submissions created before `cutoff` and not yet marked expired."""
    return list(
        Submission.objects.filter(
            project=project,
            status=SubmissionStatus.INCOMPLETE,
            expired_at__isnull=True,
            created_at__lt=cutoff,
            pk__gt=after_pk,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
