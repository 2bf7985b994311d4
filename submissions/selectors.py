import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db.models import Q

from .choices import SubmissionStatus
from .models import FaceDescriptor, Project, StoredFile, Submission


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


def submission_current_file_bytes(*, submission: Submission, kind: str) -> bytes | None:
    """The bytes of the submission's current file of `kind`, read through the storage; None when there is none."""
    stored = submission_current_file(submission=submission, kind=kind)
    if stored is None:
        return None
    with stored.file.open("rb") as handle:
        return handle.read()


# -- face duplicates ------------------------------------------------------------------------------

# Approvals committed out of order (a long transaction) are caught by re-reading this window.
FACE_SYNC_WINDOW = timedelta(minutes=5)
FACE_SYNC_CHUNK = 20_000
_face_indexes: dict[int, tuple] = {}  # project pk -> (FaceIndex, newest approved_at read)
_face_indexes_lock = threading.Lock()


def face_index_for_project(project: Project):
    """The project's approved faces as a `verification.face_index.FaceIndex`, kept per process.

    Each call reads (one query) only the rows approved since the last one (minus a window), so every
    web and worker process sees the faces any other process approved; the first call of a process
    loads them all in chunks.
    """
    from verification.face_index import FaceIndex

    with _face_indexes_lock:
        index, seen = _face_indexes.get(project.pk, (None, None))
        if index is None:
            index = FaceIndex()
        rows = FaceDescriptor.objects.filter(project=project, approved_at__isnull=False)
        if seen is not None:
            rows = rows.filter(approved_at__gte=seen - FACE_SYNC_WINDOW)
        newest, ids, vectors = seen, [], []
        for pk, vector, approved_at in rows.values_list("pk", "vector", "approved_at").iterator(
                chunk_size=FACE_SYNC_CHUNK):
            newest = approved_at if newest is None else max(newest, approved_at)
            if pk in index:
                continue
            ids.append(pk)
            vectors.append(np.frombuffer(bytes(vector), dtype=np.float32))
            if len(ids) >= FACE_SYNC_CHUNK:
                index.add(ids, np.vstack(vectors))
                ids, vectors = [], []
        if ids:
            index.add(ids, np.vstack(vectors))
        _face_indexes[project.pk] = (index, newest)
        return index


def face_indexes_forget() -> None:
    """Drop every process-local face index (tests; an operator's re-index)."""
    with _face_indexes_lock:
        _face_indexes.clear()


@dataclass(frozen=True)
class FaceDuplicate:
    submission_id: str
    identity_key: str
    distance: float


def face_duplicates_find(*, project: Project, vector: np.ndarray, exclude_identity_key: str, max_distance: float,
                         limit: int = 20) -> list[FaceDuplicate]:
    """Approved faces of other identities in the project within `max_distance`, nearest first (2 queries)."""
    matches = face_index_for_project(project).search(vector, k=limit, max_distance=max_distance)
    if not matches:
        return []
    rows = {row.pk: row for row in FaceDescriptor.objects.filter(pk__in=[m.id for m in matches])
            .select_related("submission").only("pk", "identity_key", "submission__submission_id")}
    return [FaceDuplicate(rows[m.id].submission.submission_id, rows[m.id].identity_key, m.distance)
            for m in matches
            if m.id in rows and (not exclude_identity_key or rows[m.id].identity_key != exclude_identity_key)]
