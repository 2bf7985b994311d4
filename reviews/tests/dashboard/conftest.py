"""A small, hand-checked data set for the dashboard: two visible projects and one that is not."""

import datetime
from dataclasses import dataclass

import pytest

from reviews.choices import Decision, DecisionState
from reviews.dashboard import DashboardPeriod, dashboard_period
from reviews.models import ReviewDecision
from submissions.choices import SubmissionStatus
from submissions.models import Project, Submission
from submissions.tests.factories import ProjectFactory, SubmissionFactory

UTC = datetime.UTC
NOW = datetime.datetime(2024, 5, 31, 12, 0, tzinfo=UTC)  # the period of 7 days is 05-25 .. 05-31


def at(day: int, hour: int = 12, minute: int = 0, month: int = 5) -> datetime.datetime:
    return datetime.datetime(2024, month, day, hour, minute, tzinfo=UTC)


def make_submission(
    project: Project,
    status: str,
    *,
    created: datetime.datetime,
    entered: datetime.datetime | None = None,
    decided: datetime.datetime | None = None,
    codes: list[str] | None = None,
) -> Submission:
    """A submission brought to `status` by its transitions, then backdated (status stays protected)."""
    submission = SubmissionFactory(project=project, target_status=status)
    changes = {"created_at": created, "step2_completed_at": entered, "decided_at": decided}
    if codes is not None:
        changes["reject_codes"] = codes
    Submission.objects.filter(pk=submission.pk).update(**changes)
    submission.refresh_from_db()
    return submission


def make_review(
    project: Project,
    *,
    entered: datetime.datetime,
    hours: float,
    state: str = DecisionState.FINAL,
) -> ReviewDecision:
    """A reviewer's decision `hours` after the submission entered review."""
    decided = entered + datetime.timedelta(hours=hours)
    submission = make_submission(
        project,
        SubmissionStatus.APPROVED,
        created=entered - datetime.timedelta(minutes=5),
        entered=entered,
        decided=decided,
    )
    return ReviewDecision.objects.create(
        submission=submission,
        reviewer_label="reviewer",
        decision=Decision.APPROVE,
        state=state,
        created_at=decided,
        settled_at=decided,
    )


@dataclass
class Scenario:
    a: Project  # review_sla_hours=24
    c: Project  # review_sla_hours=2, visible with a
    b: Project  # the project the user may not see
    period: DashboardPeriod


@pytest.fixture
def scenario(db) -> Scenario:
    a, b = ProjectFactory(name="A", review_sla_hours=24), ProjectFactory(name="B", review_sla_hours=24)
    c = ProjectFactory(name="C", review_sla_hours=2)

    # Volumes (created_at), by current status. A: 05-25 pending (first instant of the period),
    # 05-30 incomplete + pending + 2 approved, 05-31 rejected; 05-24 23:59 is before the period.
    make_submission(a, SubmissionStatus.PENDING, created=at(25, 0, 0), entered=NOW - datetime.timedelta(hours=23))
    make_submission(a, SubmissionStatus.INCOMPLETE, created=at(30, 10))
    make_submission(a, SubmissionStatus.PENDING, created=at(30, 11), entered=NOW - datetime.timedelta(hours=25))
    make_submission(a, SubmissionStatus.APPROVED, created=at(30, 9), entered=at(30, 9, 5), decided=at(31, 9))
    make_submission(a, SubmissionStatus.APPROVED, created=at(30, 8), entered=at(30, 8, 5), decided=at(30, 20))
    make_submission(a, SubmissionStatus.REJECTED, created=at(31, 1), decided=at(31, 2), codes=["timeout"])
    make_submission(a, SubmissionStatus.APPROVED, created=at(24, 23, 59), decided=at(29, 10))
    # Decided in the period but created before it: count as decisions, not as volume.
    make_submission(a, SubmissionStatus.REJECTED, created=at(2), decided=at(30), codes=["id_image_error", "other"])
    make_submission(a, SubmissionStatus.REJECTED, created=at(3), decided=at(26), codes=["other", "timeout"])
    make_submission(a, SubmissionStatus.REJECTED, created=at(4), decided=at(27), codes=["timeout", "timeout"])
    # Decided before the period: not counted anywhere.
    make_submission(a, SubmissionStatus.REJECTED, created=at(1), decided=at(24, 23, 59), codes=["duplicate_user"])
    make_submission(a, SubmissionStatus.APPROVED, created=at(1), decided=at(20))

    # C: one Pending past its 2-hour SLA, created on 05-31.
    make_submission(c, SubmissionStatus.PENDING, created=at(31, 8), entered=NOW - datetime.timedelta(hours=3))

    # B (not visible): a bit of everything, which must never show up.
    make_submission(b, SubmissionStatus.APPROVED, created=at(30), decided=at(30, 13))
    make_submission(b, SubmissionStatus.REJECTED, created=at(30), decided=at(30, 14), codes=["under_ageLimit"])
    make_submission(b, SubmissionStatus.PENDING, created=at(29), entered=NOW - datetime.timedelta(hours=90))
    make_review(b, entered=at(30, 0), hours=100)

    return Scenario(a=a, b=b, c=c, period=dashboard_period(days=7, now=NOW))


@pytest.fixture
def reviews_scenario(db) -> Scenario:
    """Reviewer decisions in A (SLA 24 h): 05-30 after 1, 2, 3, 30 h; 05-31 after 24 (not a breach) and 48 h."""
    a, b = ProjectFactory(name="A", review_sla_hours=24), ProjectFactory(name="B", review_sla_hours=24)
    c = ProjectFactory(name="C", review_sla_hours=2)
    for hours in (3, 1, 30, 2):
        make_review(a, entered=at(30, 12) - datetime.timedelta(hours=hours), hours=hours)
    make_review(a, entered=at(31, 10) - datetime.timedelta(hours=24), hours=24, state=DecisionState.CONFIRMED)
    make_review(a, entered=at(31, 10) - datetime.timedelta(hours=48), hours=48)
    # Not a decision that ended a review, or outside the period: not counted.
    make_review(a, entered=at(30, 1), hours=5, state=DecisionState.PROPOSED)
    make_review(a, entered=at(30, 1), hours=7, state=DecisionState.RETURNED)
    make_review(a, entered=at(20), hours=70)
    # The project nobody in these tests may see.
    make_review(b, entered=at(30, 1), hours=500)
    return Scenario(a=a, b=b, c=c, period=dashboard_period(days=7, now=NOW))
