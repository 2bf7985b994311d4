import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.core.files.storage import default_storage
from django.db.models import Prefetch, Q

from kycreview.keyset import keyset_condition, keyset_encode
from vault.fields import blob_open
from vault.selectors import DATA_KEY_ANNOTATIONS, data_keys_from_rows

from .choices import SubmissionStatus
from .models import (
    STORED_FILE_CONTEXT,
    CheckResult,
    FaceDescriptor,
    Project,
    StoredFile,
    Submission,
    submission_email_key,
)


def project_list_active() -> list[Project]:
    return list(Project.objects.filter(status="active").order_by("pk"))


def project_list_with_retention() -> list[Project]:
    return list(Project.objects.filter(retention_days__isnull=False).order_by("pk"))


def submission_list_retention_ids(*, project: Project, cutoff: datetime, after_pk: int, limit: int) -> list[int]:
    """Decided, not yet erased submissions decided before `cutoff`, by pk from `after_pk`.

    Served by the partial index `submission_project_decided` (project, decided_at).
    """
    return list(
        Submission.objects.filter(project=project, decided_at__lt=cutoff, erased_at__isnull=True,
                                  status__in=(SubmissionStatus.APPROVED, SubmissionStatus.REJECTED),
                                  pk__gt=after_pk)
        .order_by("pk").values_list("pk", flat=True)[:limit]
    )


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
    queryset = Submission.objects.filter(condition, project=project, email_key=submission_email_key(email))
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


def submission_list_erased_pending_ids(*, project: Project, cutoff: datetime, after_pk: int, limit: int) -> list[int]:
    """Pending submissions that are erased (erased before erasure ended undecided ones), by pk.

    Read off the review queue's partial index of Pending rows; `cutoff` is unused (any age).
    """
    return list(
        Submission.objects.filter(project=project, status=SubmissionStatus.PENDING, erased_at__isnull=False,
                                  pk__gt=after_pk)
        .order_by("pk").values_list("pk", flat=True)[:limit]
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
    return None if stored is None else stored_file_read(stored)


def stored_file_read(stored: StoredFile) -> bytes | None:
    """A stored image's bytes, decrypted; None when the object is missing or its key was destroyed.

    Images are stored sealed with the submission's data key (`submission_files_store`), so an
    object store's copy, or a backup of it, shows nothing without the keys.
    """
    try:
        with default_storage.open(stored.file.name, "rb") as handle:
            blob = handle.read()
    except FileNotFoundError:
        return None
    return blob_open(blob, context=STORED_FILE_CONTEXT)


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
        newest, ids = seen, []
        sealed: list = []
        for pk, vector, approved_at in rows.values_list("pk", "vector", "approved_at").iterator(
                chunk_size=FACE_SYNC_CHUNK):
            newest = approved_at if newest is None else max(newest, approved_at)
            if pk in index:
                continue
            ids.append(pk)
            sealed.append(vector)
            if len(ids) >= FACE_SYNC_CHUNK:
                _face_index_add(index, ids, sealed)
                ids, sealed = [], []
        if ids:
            _face_index_add(index, ids, sealed)
        _face_indexes[project.pk] = (index, newest)
        return index


def _face_index_add(index, ids: list[int], sealed: list) -> None:
    # The vectors are sealed per submission: one query fetches the chunk's keys.
    vectors = FaceDescriptor._meta.get_field("vector").open_many(sealed)
    index.add(ids, np.vstack([np.frombuffer(bytes(vector), dtype=np.float32) for vector in vectors]))


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


# -- the data API: GET /v3/submission ----------------------------------------------------


@dataclass(frozen=True)
class SubmissionListFilters:
    email: str = ""
    userid: str = ""
    status: str = ""
    start: datetime | None = None  # created_at >= start
    end: datetime | None = None  # created_at < end


@dataclass
class SubmissionListPage:
    items: list[Submission]
    next_key: str | None


def _submission_api_rows(queryset):
    # The files and check results of the page in one query each: a page costs the same five
    # queries whatever its size. The rows bring their own keys (`DATA_KEY_ANNOTATIONS`).
    return queryset.select_related("project").annotate(**DATA_KEY_ANNOTATIONS).prefetch_related(
        Prefetch("files", queryset=StoredFile.objects.filter(superseded_at__isnull=True).order_by("created_at", "pk")),
        Prefetch("check_results", queryset=CheckResult.objects.order_by("created_at", "pk")),
    )


def submission_get_for_api(*, project: Project, submission_id: str) -> Submission | None:
    submission = _submission_api_rows(Submission.objects.filter(project=project, submission_id=submission_id)).first()
    data_keys_from_rows([submission] if submission else [])
    return submission


def submission_list_page(
    *, project: Project, filters: SubmissionListFilters, count: int, after: tuple[datetime, int] | None = None
) -> SubmissionListPage:
    """One page of the project's submissions, newest first, read by keyset on (created_at, id).

    The index `submission_project_newest` (project, -created_at, -id) serves the order and the
    cursor; email and status use `submission_email_status`. No COUNT and no OFFSET.
    """
    queryset = Submission.objects.filter(project=project)
    if filters.email:
        queryset = queryset.filter(email_key=submission_email_key(filters.email))
    if filters.userid:
        queryset = queryset.filter(userid=filters.userid)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.start is not None:
        queryset = queryset.filter(created_at__gte=filters.start)
    if filters.end is not None:
        queryset = queryset.filter(created_at__lt=filters.end)
    if after is not None:
        queryset = queryset.filter(keyset_condition(Submission, "created_at", "<", after))
    rows = list(_submission_api_rows(queryset.order_by("-created_at", "-id"))[: count + 1])
    more = len(rows) > count
    rows = rows[:count]
    data_keys_from_rows(rows)
    return SubmissionListPage(items=rows, next_key=keyset_encode(rows[-1].created_at, rows[-1].pk) if more else None)


def face_indexes_discard(*, project_id: int, ids: list[int]) -> None:
    """Take erased faces out of this process's index of the project.

    Other processes keep them until they restart, but never match them: `face_duplicates_find`
    answers only faces whose row still exists.
    """
    with _face_indexes_lock:
        index, _ = _face_indexes.get(project_id, (None, None))
        if index is not None and ids:
            index.remove(ids)
