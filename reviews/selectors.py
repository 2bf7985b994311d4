"""Reads for the review UI: what a reviewer looks at before deciding."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from audit.models import AuditEvent
from kycreview.keyset import keyset_condition, keyset_decode, keyset_encode
from kycreview.masking import mask_personal
from submissions.choices import CheckOutcome, FileKind, SubmissionStatus
from submissions.models import CheckResult, FaceDescriptor, Project, StoredFile, Submission, submission_email_key
from submissions.selectors import face_duplicates_find
from submissions.services import submission_lookup_key
from vault.selectors import DATA_KEY_ANNOTATIONS, data_keys_from_rows
from verification.thresholds import threshold

from .choices import DecisionState, ProjectRole
from .models import ProjectMembership, ReviewClaim, ReviewDecision

UUID_SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

DECIDING_ROLES = frozenset({ProjectRole.OPERATOR, ProjectRole.REVIEWER})
PERSONAL_DATA_ROLES = frozenset({ProjectRole.OPERATOR, ProjectRole.REVIEWER})


@dataclass(frozen=True)
class ReviewAccess:
    """What one user may see and do, project by project. Built once per request.

    A superuser holds every role everywhere; anyone else holds exactly the roles of their
    `ProjectMembership` rows, and sees nothing of a project without one.
    """

    is_superuser: bool
    roles: dict[int, str] = field(default_factory=dict)  # project pk -> ProjectRole

    def role(self, project_id: int) -> str | None:
        return ProjectRole.OPERATOR if self.is_superuser else self.roles.get(project_id)

    def may_view(self, project_id: int) -> bool:
        return self.role(project_id) is not None

    def may_decide(self, project_id: int) -> bool:
        return self.role(project_id) in DECIDING_ROLES

    def may_see_personal_data(self, project_id: int) -> bool:
        return self.role(project_id) in PERSONAL_DATA_ROLES

    def may_configure(self, project_id: int) -> bool:
        return self.role(project_id) == ProjectRole.OPERATOR

    @property
    def has_any_project(self) -> bool:
        return self.is_superuser or bool(self.roles)

    @property
    def decides_anywhere(self) -> bool:
        return self.is_superuser or any(role in DECIDING_ROLES for role in self.roles.values())

    def projects(self) -> QuerySet[Project]:
        projects = Project.objects.all()
        return projects if self.is_superuser else projects.filter(pk__in=list(self.roles))

    def submissions(self) -> QuerySet[Submission]:
        submissions = Submission.objects.all()
        return submissions if self.is_superuser else submissions.filter(project_id__in=list(self.roles))


def review_access_for_user(user) -> ReviewAccess:
    """The user's access, cached on the user object: one query per request at most."""
    cached = getattr(user, "_review_access", None)
    if cached is not None:
        return cached
    if not (user.is_authenticated and user.is_active):
        access = ReviewAccess(is_superuser=False)
    elif user.is_superuser:
        access = ReviewAccess(is_superuser=True)
    else:
        access = ReviewAccess(
            is_superuser=False,
            roles=dict(ProjectMembership.objects.filter(user=user).values_list("project_id", "role")),
        )
    user._review_access = access
    return access


def review_current_files(*, submission: Submission) -> list[StoredFile]:
    """The newest non-superseded file of each kind, in the FileKind order (ID front first)."""
    newest: dict[str, StoredFile] = {}
    files = StoredFile.objects.filter(submission=submission, superseded_at__isnull=True).order_by("-created_at", "-pk")
    for stored in files:
        newest.setdefault(stored.kind, stored)
    return [newest[kind] for kind in FileKind.values if kind in newest]


def review_check_results(*, submission: Submission) -> QuerySet[CheckResult]:
    return CheckResult.objects.filter(submission=submission).order_by("created_at", "pk")


@dataclass(frozen=True)
class DataRow:
    key: str
    extracted: object
    entered: object
    differs: bool


def _values_differ(extracted, entered) -> bool:
    return extracted not in (None, "") and entered not in (None, "") and extracted != entered


def review_data_rows(*, submission: Submission, masked: bool = False) -> list[DataRow]:
    """Extracted (document) and entered (applicant) data side by side, one row per key.

    `masked`: the values as a viewer without the personal-data right sees them (`kycreview.masking`:
    numbers as bullets and their last two characters, at any depth; MRZ lines, OCR text and barcode
    payloads withheld). Whether the two sides differ is judged on the real values.
    """
    extracted, entered = submission.extracted_data or {}, submission.entered_data or {}
    keys = list(dict.fromkeys([*entered, *extracted]))
    shown = (lambda key, value: mask_personal(value, key=key)) if masked else (lambda key, value: value)
    return [DataRow(key, shown(key, extracted.get(key)), shown(key, entered.get(key)),
                    _values_differ(extracted.get(key), entered.get(key))) for key in keys]


# -- the queue -------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    """What a reviewer narrowed the queue to; every field optional."""

    project: int | None = None
    country: str = ""
    id_type: str = ""
    finding: str = ""  # "" | "any" | "none" | a check code
    assignee: str = ""  # "" | "me" | "unclaimed" | "others"
    older_than_hours: int | None = None
    awaiting_confirmation: bool = False
    q: str = ""


@dataclass
class QueueRow:
    submission: Submission
    findings: list[str]
    claim: ReviewClaim | None
    proposal: ReviewDecision | None
    age: timedelta
    sla: timedelta

    @property
    def sla_breached(self) -> bool:
        return self.age > self.sla


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None


def queue_cursor_encode(submission: Submission) -> str:
    return keyset_encode(submission.step2_completed_at, submission.pk)


def _queue_search(queryset: QuerySet[Submission], q: str) -> QuerySet[Submission]:
    """Exact lookups on indexed columns only: a submission id, an email, a user id, a name, a document number."""
    q = q.strip()
    if UUID_SHAPE.fullmatch(q.lower()):
        return queryset.filter(submission_id=q.lower())
    if "@" in q:
        return queryset.filter(email_key=submission_email_key(q))
    by_keys = Q(userid=q)
    for kind, column in (("name", "name_key"), ("document", "document_key")):
        key = submission_lookup_key(kind, q)
        if key:
            by_keys |= Q(**{column: key})
    return queryset.filter(by_keys)


def _queue_filtered(*, access: "ReviewAccess", user, filters: QueueFilters, now: datetime) -> QuerySet[Submission]:
    # Erasure rejects a Pending submission; a row erased before it did never waits for a decision either.
    queryset = access.submissions().filter(status=SubmissionStatus.PENDING, erased_at__isnull=True)
    if filters.project is not None:
        queryset = queryset.filter(project_id=filters.project)
    if filters.country:
        queryset = queryset.filter(issuing_country=filters.country)
    if filters.id_type:
        queryset = queryset.filter(id_type=filters.id_type)
    if filters.older_than_hours:
        queryset = queryset.filter(step2_completed_at__lte=now - timedelta(hours=filters.older_than_hours))
    if filters.finding:
        findings = CheckResult.objects.filter(submission=OuterRef("pk")).exclude(outcome=CheckOutcome.PASSED)
        if filters.finding not in ("any", "none"):
            findings = findings.filter(code=filters.finding)
        queryset = queryset.exclude(Exists(findings)) if filters.finding == "none" else queryset.filter(Exists(findings))
    if filters.assignee:
        active = ReviewClaim.objects.filter(
            submission=OuterRef("pk"), last_seen_at__gte=now - timedelta(minutes=settings.KYC_REVIEW_CLAIM_MINUTES)
        )
        if filters.assignee == "me":
            queryset = queryset.filter(Exists(active.filter(reviewer=user)))
        elif filters.assignee == "unclaimed":
            queryset = queryset.exclude(Exists(active))
        elif filters.assignee == "others":
            queryset = queryset.filter(Exists(active.exclude(reviewer=user)))
    if filters.awaiting_confirmation:
        queryset = queryset.filter(
            Exists(ReviewDecision.objects.filter(submission=OuterRef("pk"), state=DecisionState.PROPOSED))
        )
    if filters.q:
        queryset = _queue_search(queryset, filters.q)
    return queryset


QUEUE_ROW_FIELDS = (
    "pk", "submission_id", "email", "userid", "issuing_country", "id_type", "requested_id_type", "retry_count",
    "overall_score", "step2_completed_at", "status", "created_at",
    "project__id", "project__name", "project__review_sla_hours", "project__four_eyes_review",
    "review_claim__reviewer__username", "review_claim__last_seen_at", "review_claim__claimed_at", "data_key",
)


def review_queue_page(
    *, access: "ReviewAccess", user, filters: QueueFilters, cursor: str = "", size: int | None = None,
) -> QueuePage:
    """One page of Pending submissions, oldest first, after `cursor`.

    Keyset pagination on (step2_completed_at, id), read off the partial index of Pending rows:
    no COUNT and no OFFSET, so the page costs the same at a thousand rows as at millions. Three
    queries whatever the page: the rows (with project and claim joined), their findings, and
    their open four-eyes proposals.
    """
    size = size or settings.KYC_REVIEW_QUEUE_PAGE_SIZE
    now = timezone.now()
    queryset = _queue_filtered(access=access, user=user, filters=filters, now=now)
    after = keyset_decode(cursor) if cursor else None
    if after is not None:
        queryset = queryset.filter(keyset_condition(Submission, "step2_completed_at", ">", after))
    submissions = list(
        queryset.select_related("project", "review_claim__reviewer")
        .only(*(f for f in QUEUE_ROW_FIELDS if f != "pk"))
        .annotate(**DATA_KEY_ANNOTATIONS)
        .order_by("step2_completed_at", "id")[: size + 1]
    )
    # The emails shown are sealed: the rows brought their keys.
    data_keys_from_rows(submissions)
    more = len(submissions) > size
    submissions = submissions[:size]
    pks = [s.pk for s in submissions]
    findings: dict[int, list[str]] = {pk: [] for pk in pks}
    for submission_pk, code in (
        CheckResult.objects.filter(submission_id__in=pks).exclude(outcome=CheckOutcome.PASSED).exclude(code="")
        .order_by("created_at", "pk").values_list("submission_id", "code")
    ):
        if code not in findings[submission_pk]:
            findings[submission_pk].append(code)
    proposals = {
        decision.submission_id: decision
        for decision in ReviewDecision.objects.filter(submission_id__in=pks, state=DecisionState.PROPOSED)
    }
    rows = []
    for submission in submissions:
        claim = getattr(submission, "review_claim", None)
        rows.append(QueueRow(
            submission=submission,
            findings=findings[submission.pk],
            claim=claim if claim is not None and claim.is_active(now=now) else None,
            proposal=proposals.get(submission.pk),
            age=now - submission.step2_completed_at,
            sla=timedelta(hours=submission.project.review_sla_hours),
        ))
    return QueuePage(rows=rows, next_cursor=queue_cursor_encode(submissions[-1]) if more else None)


# -- evidence drawn on the images ------------------------------------------------------

# Evidence keys that hold image regions, and how to draw them.
SHAPE_KEYS = {
    "quad": "outline", "document_quad": "outline", "document_region": "outline", "box": "box",
    "blob_polygon": "region", "patch_boxes": "box", "regions": "region", "landmarks": "points",
    "failed_check_digits": "failure", "lines": "line",
}
SIDE_KINDS = {"front": FileKind.ID_FRONT, "back": FileKind.ID_BACK}
FACE_KEYS = {"selfie_face": FileKind.SELFIE, "selfie_faces": FileKind.SELFIE,
             "id_face": FileKind.ID_FRONT, "id_faces": FileKind.ID_FRONT}


@dataclass(frozen=True)
class Shape:
    """One region to draw on one image: a polygon (or points) in stored-image pixels."""

    kind: str  # outline | box | region | points | failure | line | face
    points: tuple[tuple[float, float], ...]
    label: str
    failed: bool

    @property
    def svg_points(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


def _as_points(value) -> list[tuple[float, float]] | None:
    """[x0, y0, x1, y1] or [[x, y], ...] as a list of points; None for anything else."""
    if not isinstance(value, list) or not value:
        return None
    if len(value) == 4 and all(isinstance(v, int | float) for v in value):
        x0, y0, x1, y1 = value
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    if all(isinstance(p, list) and len(p) == 2 and all(isinstance(v, int | float) for v in p) for p in value):
        return [(float(x), float(y)) for x, y in value]
    return None


def _evidence_walk(value, *, kind: str, target: str, label: str, failed: bool, out: list):
    """Collect (image kind, Shape) from a check's evidence, following side and face keys down."""
    if isinstance(value, dict):
        side = value.get("side")
        if side in SIDE_KINDS:
            target = SIDE_KINDS[side]
        for key, item in value.items():
            sub_target = SIDE_KINDS.get(key) or FACE_KEYS.get(key) or target
            if key in SHAPE_KEYS:
                shape_kind = SHAPE_KEYS[key] if SHAPE_KEYS[key] == "points" or kind not in ("failure", "line", "face") \
                    else kind
                points = _as_points(item)
                if points is not None:
                    out.append((sub_target, Shape(shape_kind, tuple(points), f"{label}: {key}", failed)))
                    continue
                if isinstance(item, list):
                    for element in item:
                        points = _as_points(element)
                        if points is not None:
                            out.append((sub_target, Shape(shape_kind, tuple(points), f"{label}: {key}", failed)))
                        else:
                            _evidence_walk(element, kind=shape_kind, target=sub_target, label=label,
                                           failed=failed or shape_kind == "failure", out=out)
                    continue
            _evidence_walk(item, kind="face" if key in FACE_KEYS else kind, target=sub_target, label=label,
                           failed=failed, out=out)
    elif isinstance(value, list):
        for element in value:
            _evidence_walk(element, kind=kind, target=target, label=label, failed=failed, out=out)


def review_evidence_shapes(*, check_results) -> dict[str, list[Shape]]:
    """Every region a check reported, per image kind, from the newest run of each check.

    A shape repeated by several checks (the document outline) is drawn once. Regions of a
    check that did not pass are marked failed, as are MRZ check digits that failed.
    """
    newest: dict[tuple[str, str], CheckResult] = {}
    for result in check_results:
        newest[(result.step, result.check_name)] = result
    shapes: dict[str, list[Shape]] = {}
    seen: set[tuple] = set()
    for result in newest.values():
        default = FileKind.SELFIE if result.check_name.startswith("face_") and result.check_name != "face_compare" \
            else FileKind.ID_FRONT
        found: list = []
        _evidence_walk(result.evidence or {}, kind="", target=default, label=result.check_name,
                       failed=result.outcome != CheckOutcome.PASSED, out=found)
        for target, shape in found:
            key = (target, shape.kind, tuple((round(x), round(y)) for x, y in shape.points))
            if key in seen:
                continue
            seen.add(key)
            shapes.setdefault(target, []).append(shape)
    return shapes


# -- related submissions, history, timeline ---------------------------------------------


@dataclass(frozen=True)
class Related:
    submission: Submission
    reasons: tuple[str, ...]  # "email", "document number", "face (distance 0.21)"


RELATED_LIMIT = 20


def review_related_submissions(*, access: ReviewAccess, submission: Submission) -> list[Related]:
    """Other submissions, in projects the viewer may see, of the same email, document number or face.

    Email and document number are exact lookups on indexed columns (the document number through
    its keyed hash); faces come from the project's face index of approved submissions.
    """
    reasons: dict[int, list[str]] = {}
    visible = access.submissions().exclude(pk=submission.pk)
    for label, lookup in (("email", {"email_key": submission.email_key} if submission.email_key else None),
                          ("document number",
                          {"document_key": submission.document_key} if submission.document_key else None)):
        if lookup is None:
            continue
        for pk in visible.filter(**lookup).order_by("-created_at").values_list("pk", flat=True)[:RELATED_LIMIT]:
            reasons.setdefault(pk, []).append(label)
    descriptor = FaceDescriptor.objects.filter(submission=submission).only("vector").first()
    face_ids: dict[str, float] = {}
    if descriptor is not None:
        vector = np.frombuffer(bytes(descriptor.vector), dtype=np.float32)
        for match in face_duplicates_find(project=submission.project, vector=vector, exclude_identity_key="",
                                          max_distance=threshold("face.duplicate_max_distance")):
            if match.submission_id != submission.submission_id:
                face_ids[match.submission_id] = match.distance
    if face_ids:
        for pk, public_id in visible.filter(submission_id__in=list(face_ids)).values_list("pk", "submission_id"):
            reasons.setdefault(pk, []).append(f"face (distance {face_ids[public_id]:.2f})")
    rows = visible.filter(pk__in=list(reasons)).select_related("project").order_by("-created_at")
    return [Related(row, tuple(reasons[row.pk])) for row in rows]


@dataclass(frozen=True)
class Attempt:
    step: str
    attempt: int
    results: list[CheckResult]

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.results if r.code and r.outcome != CheckOutcome.PASSED]


def review_attempts(*, check_results) -> list[Attempt]:
    """The check results grouped by step and attempt: the retry history, oldest first."""
    grouped: dict[tuple[str, int], list[CheckResult]] = {}
    for result in check_results:
        grouped.setdefault((result.step, result.attempt), []).append(result)
    return [Attempt(step, attempt, results) for (step, attempt), results in grouped.items()]


def review_audit_timeline(*, submission: Submission) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(submission=submission).order_by("created_at", "pk")


def review_open_proposal(*, submission: Submission) -> ReviewDecision | None:
    return (ReviewDecision.objects.filter(submission=submission, state=DecisionState.PROPOSED)
            .select_related("reviewer").first())


def review_active_claim(*, submission: Submission) -> ReviewClaim | None:
    claim = ReviewClaim.objects.filter(submission=submission).select_related("reviewer").first()
    return claim if claim is not None and claim.is_active() else None
