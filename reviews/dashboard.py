"""Selectors of the review dashboard: volumes, approval rate, reject codes and review time.

Every selector takes the ids of the projects to count (those of `ReviewAccess.projects()`, or
one of them) and runs exactly one GROUP BY query over the period, whatever the number of rows:
the page's query count is fixed. The ids are passed as a list rather than a subquery so that
PostgreSQL can range-scan `submission_project_newest` per project. Days are calendar days of
the current time zone.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, DateTimeField, DurationField, ExpressionWrapper, F, IntegerField, Q, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from submissions.choices import SubmissionStatus
from submissions.models import Submission

from .choices import DecisionState
from .codes import RejectCode
from .models import ReviewDecision

DASHBOARD_PERIOD_DAYS = (7, 30, 90)
DASHBOARD_DEFAULT_DAYS = 30
# A review decision that ends the review; a proposal waiting for four-eyes, or one returned, does not.
REVIEW_ENDING_STATES = (DecisionState.FINAL, DecisionState.CONFIRMED)
VOLUME_STATUSES: tuple[str, ...] = tuple(SubmissionStatus.values)


@dataclass(frozen=True)
class DashboardPeriod:
    """Whole days `first_day`..`last_day`; as instants, `start` <= t < `end`."""

    first_day: date
    last_day: date
    start: datetime
    end: datetime

    @property
    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=i) for i in range(count)]


def dashboard_period(*, days: int, now: datetime) -> DashboardPeriod:
    """The last `days` calendar days, today included."""
    tz = timezone.get_current_timezone()
    last_day = timezone.localdate(now, tz)
    first_day = last_day - timedelta(days=days - 1)
    return DashboardPeriod(
        first_day=first_day,
        last_day=last_day,
        start=datetime.combine(first_day, time.min, tzinfo=tz),
        end=datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz),
    )


# -- volumes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeDay:
    day: date
    counts: dict[str, int]  # SubmissionStatus value -> submissions created that day, by current status

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def ordered_counts(self) -> list[int]:
        return [self.counts[status] for status in VOLUME_STATUSES]


def dashboard_volumes(*, project_ids: Collection[int], period: DashboardPeriod) -> list[VolumeDay]:
    """Submissions created per day, split by their current status; every day of the period listed."""
    rows = (
        Submission.objects.filter(project_id__in=project_ids, created_at__gte=period.start, created_at__lt=period.end)
        .annotate(day=TruncDate("created_at"))
        .values("day", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[date, dict[str, int]] = {day: dict.fromkeys(VOLUME_STATUSES, 0) for day in period.days}
    for row in rows:
        counts[row["day"]][row["status"]] = row["count"]
    return [VolumeDay(day=day, counts=by_status) for day, by_status in counts.items()]


# -- decisions and approval rate -------------------------------------------------------


def _rate(approved: int, rejected: int) -> float | None:
    return approved / (approved + rejected) if approved + rejected else None


def _percent(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


class _Approvals:
    """The approval rate of anything with `approved` and `rejected` counts."""

    approved: int
    rejected: int

    @property
    def approval_rate(self) -> float | None:
        """approved / (approved + rejected); None when nothing was decided."""
        return _rate(self.approved, self.rejected)

    @property
    def approval_percent(self) -> float | None:
        return _percent(self.approval_rate)


@dataclass(frozen=True)
class DecisionDay(_Approvals):
    day: date
    approved: int
    rejected: int


@dataclass(frozen=True)
class DecisionSummary(_Approvals):
    days: list[DecisionDay]
    approved: int
    rejected: int

    @property
    def decided(self) -> int:
        return self.approved + self.rejected


def dashboard_decisions(*, project_ids: Collection[int], period: DashboardPeriod) -> DecisionSummary:
    """Submissions decided (approved or rejected, by a person or a rule) per day of `decided_at`."""
    rows = (
        Submission.objects.filter(
            project_id__in=project_ids,
            status__in=(SubmissionStatus.APPROVED, SubmissionStatus.REJECTED),
            decided_at__gte=period.start,
            decided_at__lt=period.end,
        )
        .annotate(day=TruncDate("decided_at"))
        .values("day")
        .annotate(
            approved=Count("pk", filter=Q(status=SubmissionStatus.APPROVED)),
            rejected=Count("pk", filter=Q(status=SubmissionStatus.REJECTED)),
        )
        .order_by()
    )
    by_day = {row["day"]: (row["approved"], row["rejected"]) for row in rows}
    days = [DecisionDay(day, *by_day.get(day, (0, 0))) for day in period.days]
    return DecisionSummary(days=days, approved=sum(d.approved for d in days), rejected=sum(d.rejected for d in days))


# -- reject codes ----------------------------------------------------------------------


@dataclass(frozen=True)
class RejectCodeCount:
    code: str
    count: int  # rejected submissions carrying the code

    @property
    def label(self) -> str:
        return RejectCode(self.code).label if self.code in RejectCode.values else ""


# `r` is the scoped ORM query (columns sid, codes); the codes are unnested in the database so
# that neither one query per code nor every row's JSON travels to Python.
_REJECT_CODES_SQL = {
    "postgresql": (
        "SELECT code, COUNT(DISTINCT r.sid) AS n FROM ({rows}) AS r "
        "CROSS JOIN LATERAL jsonb_array_elements_text("
        "CASE WHEN jsonb_typeof(r.codes) = 'array' THEN r.codes ELSE '[]'::jsonb END) AS code "
        "GROUP BY code ORDER BY n DESC, code"
    ),
    "sqlite": (
        "SELECT j.value AS code, COUNT(DISTINCT r.sid) AS n FROM ({rows}) AS r, json_each(r.codes) AS j "
        "WHERE json_type(r.codes) = 'array' AND j.type = 'text' "
        "GROUP BY j.value ORDER BY n DESC, code"
    ),
}


def dashboard_reject_codes(*, project_ids: Collection[int], period: DashboardPeriod) -> list[RejectCodeCount]:
    """For submissions rejected in the period: how many carry each reject code, most frequent first.

    A submission with several codes counts once under each; the counts may add up to more than
    the rejections.
    """
    if not project_ids:  # an empty IN () has no SQL to wrap
        return []
    rows = (
        Submission.objects.filter(
            project_id__in=project_ids,
            status=SubmissionStatus.REJECTED,
            decided_at__gte=period.start,
            decided_at__lt=period.end,
        )
        .annotate(sid=F("pk"), codes=F("reject_codes"))
        .values("sid", "codes")
        .order_by()
    )
    rows_sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_REJECT_CODES_SQL[connection.vendor].format(rows=rows_sql), params)
        return [RejectCodeCount(code=code, count=count) for code, count in cursor.fetchall()]


# -- review time and SLA ---------------------------------------------------------------


@dataclass(frozen=True)
class ReviewTimeDay:
    day: date | None  # None: the whole period
    decided: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None
    sla_breaches: int = 0


@dataclass(frozen=True)
class ReviewTimes:
    days: list[ReviewTimeDay]
    overall: ReviewTimeDay = field(default_factory=lambda: ReviewTimeDay(day=None))

    @property
    def decided(self) -> int:
        return self.overall.decided

    @property
    def sla_breaches(self) -> int:
        return self.overall.sla_breaches


def _sqlite_percentile(fraction: float) -> str:
    """percentile_cont(fraction) over the rows ranked `rn` 1..`n` of a group (linear interpolation)."""
    position = f"(n - 1) * {fraction}"
    low = f"CAST({position} AS INTEGER) + 1"
    at_low = f"MAX(CASE WHEN rn = {low} THEN hours END)"
    at_high = f"COALESCE(MAX(CASE WHEN rn = {low} + 1 THEN hours END), {at_low})"
    return f"{at_low} + MAX({position} - CAST({position} AS INTEGER)) * ({at_high} - {at_low})"


# `r` is the scoped ORM query (review_day, decided, entered, sla). The row with a NULL day is the
# whole period: ROLLUP on PostgreSQL; SQLite, without ROLLUP or percentile_cont, ranks each
# group's rows with window functions and interpolates the same way percentile_cont does.
_REVIEW_TIMES_SQL = {
    "postgresql": (
        "SELECT t.review_day, COUNT(*), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY t.hours), "
        "percentile_cont(0.9) WITHIN GROUP (ORDER BY t.hours), "
        "COUNT(*) FILTER (WHERE t.hours > t.sla) "
        "FROM (SELECT r.review_day, r.sla, "
        "EXTRACT(EPOCH FROM (r.decided - r.entered))::double precision / 3600.0 AS hours "
        "FROM ({rows}) AS r) AS t "
        "GROUP BY ROLLUP (t.review_day)"
    ),
    "sqlite": (
        "WITH t AS (SELECT r.review_day, r.sla, (julianday(r.decided) - julianday(r.entered)) * 24.0 AS hours "
        "FROM ({rows}) AS r), "
        "g AS (SELECT review_day, sla, hours FROM t UNION ALL SELECT NULL, sla, hours FROM t), "
        "ranked AS (SELECT review_day, sla, hours, "
        "ROW_NUMBER() OVER (PARTITION BY review_day ORDER BY hours) AS rn, "
        "COUNT(*) OVER (PARTITION BY review_day) AS n FROM g) "
        "SELECT review_day, COUNT(*), "
        f"{_sqlite_percentile(0.5)}, {_sqlite_percentile(0.9)}, "
        "SUM(CASE WHEN hours > sla THEN 1 ELSE 0 END) "
        "FROM ranked GROUP BY review_day"
    ),
}


def dashboard_review_times(*, project_ids: Collection[int], period: DashboardPeriod) -> ReviewTimes:
    """Hours from entering review (`step2_completed_at`) to a person's decision, per day of the decision.

    Counts the ReviewDecision rows that ended a review (final, or confirmed by a second reviewer)
    that took effect in the period, by their `settled_at` (for a four-eyes decision: when the
    second reviewer confirmed it, the moment the applicant's wait ended). Per day and for the whole period: the median and
    90th percentile hours, and the SLA breaches (decided more than the project's
    `review_sla_hours` after Step 2).
    """
    if not project_ids:  # an empty IN () has no SQL to wrap
        return ReviewTimes(days=[ReviewTimeDay(day=day) for day in period.days])
    rows = (
        ReviewDecision.objects.filter(
            submission__project_id__in=project_ids,
            state__in=REVIEW_ENDING_STATES,
            settled_at__gte=period.start,
            settled_at__lt=period.end,
            submission__step2_completed_at__isnull=False,
        )
        .annotate(
            review_day=TruncDate("settled_at"),
            decided=F("settled_at"),
            entered=F("submission__step2_completed_at"),
            sla=F("submission__project__review_sla_hours"),
        )
        .values("review_day", "decided", "entered", "sla")
        .order_by()
    )
    rows_sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_REVIEW_TIMES_SQL[connection.vendor].format(rows=rows_sql), params)
        results = cursor.fetchall()

    by_day: dict[date | None, ReviewTimeDay] = {}
    for day, decided, median, p90, breaches in results:
        if isinstance(day, str):  # SQLite hands back the date as text
            day = date.fromisoformat(day)
        by_day[day] = ReviewTimeDay(
            day=day,
            decided=decided,
            median_hours=_hours(median),
            p90_hours=_hours(p90),
            sla_breaches=int(breaches or 0),
        )
    return ReviewTimes(
        days=[by_day.get(day, ReviewTimeDay(day=day)) for day in period.days],
        overall=by_day.get(None, ReviewTimeDay(day=None)),
    )


def _hours(value: float | None) -> float | None:
    return None if value is None else float(value)


def dashboard_pending_overdue(*, project_ids: Collection[int], now: datetime) -> int:
    """Submissions Pending now for longer than their project's `review_sla_hours` since Step 2."""
    # Typed by hand: Django infers no type for integer * duration, and without one SQLite's
    # datetime - duration would be compiled as text arithmetic (and it refuses PositiveIntegerField).
    sla_hours = ExpressionWrapper(F("project__review_sla_hours"), output_field=IntegerField())
    sla = ExpressionWrapper(sla_hours * Value(timedelta(hours=1)), output_field=DurationField())
    deadline_passed_before = ExpressionWrapper(Value(now) - sla, output_field=DateTimeField())
    return Submission.objects.filter(
        project_id__in=project_ids, status=SubmissionStatus.PENDING, step2_completed_at__lt=deadline_passed_before
    ).count()
