"""review_queue_page: Pending oldest first, filters, search, keyset pages, fixed query count, scope."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.services import Actor
from reviews.models import ProjectMembership
from reviews.selectors import QueueFilters, review_access_for_user, review_queue_page
from reviews.services import review_approve, review_claim
from submissions.choices import CheckOutcome, Step, SubmissionStatus
from submissions.models import CheckResult, Submission
from submissions.services import submission_lookup_keys_refresh
from submissions.tests.factories import ProjectFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


def user(name: str, project=None, role: str = "reviewer"):
    created = get_user_model().objects.create_user(username=name, password="a-long-test-password", is_staff=True)
    if project is not None:
        ProjectMembership.objects.create(user=created, project=project, role=role)
    return created


def pending(project, *, hours_ago: float, **fields) -> Submission:
    submission = SubmissionFactory(project=project, target_status=SubmissionStatus.PENDING, **fields)
    submission_lookup_keys_refresh(submission)
    submission.save()
    Submission.objects.filter(pk=submission.pk).update(
        step2_completed_at=timezone.now() - datetime.timedelta(hours=hours_ago))
    return Submission.objects.get(pk=submission.pk)


def ids(page) -> list[str]:
    return [row.submission.submission_id for row in page.rows]


def page_for(viewer, cursor: str = "", size: int | None = None, **filters):
    return review_queue_page(access=review_access_for_user(viewer), user=viewer, filters=QueueFilters(**filters),
                             cursor=cursor, size=size)


@pytest.fixture
def project():
    return ProjectFactory(review_sla_hours=8)


def test_oldest_first_with_age_against_the_sla(project):
    newer, older = pending(project, hours_ago=2), pending(project, hours_ago=10)
    SubmissionFactory(project=project, target_status=SubmissionStatus.APPROVED)
    SubmissionFactory(project=project)  # incomplete
    page = page_for(user("rita", project))
    assert ids(page) == [older.submission_id, newer.submission_id]
    assert page.rows[0].sla_breached and not page.rows[1].sla_breached
    assert page.next_cursor is None


def test_keyset_pages_cover_every_row_once(project):
    made = [pending(project, hours_ago=50 - i) for i in range(7)]
    rita = user("rita", project)
    seen, cursor = [], ""
    while True:
        page = page_for(rita, cursor=cursor, size=3)
        seen += ids(page)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [s.submission_id for s in made]


def test_equal_timestamps_are_ordered_by_id_across_pages(project):
    made = [pending(project, hours_ago=5) for _ in range(4)]
    Submission.objects.filter(pk__in=[s.pk for s in made]).update(step2_completed_at=made[0].step2_completed_at)
    rita = user("rita", project)
    first = page_for(rita, size=2)
    second = page_for(rita, cursor=first.next_cursor, size=2)
    assert ids(first) + ids(second) == [s.submission_id for s in sorted(made, key=lambda s: s.pk)]


def test_a_malformed_cursor_gives_the_first_page(project):
    only = pending(project, hours_ago=1)
    assert ids(page_for(user("rita", project), cursor="%%not-a-cursor")) == [only.submission_id]


def test_other_projects_rows_are_never_listed(project):
    mine = pending(project, hours_ago=1)
    pending(ProjectFactory(), hours_ago=2)
    rita = user("rita", project)
    assert ids(page_for(rita)) == [mine.submission_id]
    assert ids(page_for(user("nobody"))) == []


def test_filters(project):
    rita, sam = user("rita", project), user("sam", project)
    other = ProjectFactory()
    ProjectMembership.objects.create(user=rita, project=other, role="reviewer")
    kor = pending(project, hours_ago=30, issuing_country="KOR", id_type="drivers_license")
    pol = pending(project, hours_ago=2)
    theirs = pending(other, hours_ago=3)
    CheckResult.objects.create(submission=pol, step=Step.STEP2, attempt=0, check_name="face_liveness",
                               outcome=CheckOutcome.SUPPRESSED, code="liveness_error", duration_ms=1)
    review_claim(submission_id=theirs.submission_id, actor=Actor.for_user(sam))
    assert ids(page_for(rita, project=other.pk)) == [theirs.submission_id]
    assert ids(page_for(rita, country="KOR")) == [kor.submission_id]
    assert ids(page_for(rita, id_type="drivers_license")) == [kor.submission_id]
    assert ids(page_for(rita, finding="liveness_error")) == [pol.submission_id]
    assert ids(page_for(rita, finding="any")) == [pol.submission_id]
    assert ids(page_for(rita, finding="none")) == [kor.submission_id, theirs.submission_id]
    assert ids(page_for(rita, older_than_hours=24)) == [kor.submission_id]
    assert ids(page_for(rita, assignee="others")) == [theirs.submission_id]
    assert ids(page_for(rita, assignee="unclaimed")) == [kor.submission_id, pol.submission_id]
    assert ids(page_for(sam, assignee="me")) == []  # sam holds no role in `other`
    row = page_for(rita, project=other.pk).rows[0]
    assert row.claim.reviewer == sam and row.findings == []
    assert page_for(rita, project=project.pk).rows[1].findings == ["liveness_error"]


def test_search_by_id_email_userid_name_and_document_number(project):
    rita = user("rita", project)
    target = pending(project, hours_ago=3, email="zoe.quinn@example.com", userid="u-778",
                     entered_data={"name": "Zoë Quinn", "document_number": "X 123-456"})
    pending(project, hours_ago=4)
    for query in (target.submission_id, target.submission_id.upper(), "Zoe.Quinn@example.com",
                  "zoe.quinn@example.com", "u-778", "ZOE QUINN", "x123456"):
        assert ids(page_for(rita, q=query)) == [target.submission_id], query
    assert ids(page_for(rita, q="Quinn")) == []  # exact lookups only: no table scan


def test_awaiting_confirmation_filter():
    four_eyes = ProjectFactory(four_eyes_review=True)
    rita = user("rita", four_eyes)
    proposed, untouched = pending(four_eyes, hours_ago=3), pending(four_eyes, hours_ago=2)
    review_approve(submission_id=proposed.submission_id, actor=Actor.for_user(user("sam", four_eyes)))
    page = page_for(rita, awaiting_confirmation=True)
    assert ids(page) == [proposed.submission_id] and page.rows[0].proposal.reviewer_label == "sam"
    assert untouched.submission_id in ids(page_for(rita))


def test_the_page_costs_a_fixed_number_of_queries(project):
    rita = user("rita", project)
    for i in range(3):
        pending(project, hours_ago=i + 1)
    access = review_access_for_user(rita)  # one query, made once per request
    with CaptureQueriesContext(connection) as small:
        review_queue_page(access=access, user=rita, filters=QueueFilters())
    for i in range(20):
        submission = pending(project, hours_ago=i + 10)
        review_claim(submission_id=submission.submission_id, actor=Actor.for_user(rita))
        CheckResult.objects.create(submission=submission, step=Step.STEP1, attempt=0, check_name="glare",
                                   outcome=CheckOutcome.SUPPRESSED, code="glare_detected", duration_ms=1)
    with CaptureQueriesContext(connection) as large:
        page = review_queue_page(access=access, user=rita, filters=QueueFilters())
        assert all(row.claim.reviewer.username == "rita" for row in page.rows[:20])
    assert len(small) == len(large) == 3
