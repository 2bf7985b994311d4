"""submission_sweep: time out stale Incomplete submissions with a retry, mark the others expired."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from audit.models import AuditEvent
from submissions import services
from submissions.choices import Step, SubmissionStatus
from submissions.codes import Step2ErrorCode
from submissions.exceptions import SubmissionError
from submissions.models import Submission
from submissions.services import (
    SweepReport,
    project_close,
    submission_expire,
    submission_retry_record,
    submission_step2,
    submission_sweep,
    submission_timeout,
)
from submissions.tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)


def created_at_t0(project, *, retries=0, **fields) -> Submission:
    """A submission that passed Step 1 at T0, with `retries` retries counted at T0."""
    with time_machine.travel(T0, tick=False):
        return SubmissionFactory(project=project, retry_count=retries, **fields)


def sweep_at(moment) -> SweepReport:
    with time_machine.travel(moment, tick=False):
        return submission_sweep()


def reloaded(submission) -> Submission:
    return Submission.objects.get(pk=submission.pk)


def audit_actions(submission) -> list[str]:
    return list(AuditEvent.objects.filter(submission=submission).order_by("id").values_list("action", flat=True))


# -- timeout ------------------------------------------------------------------------------


def test_an_incomplete_submission_with_a_retry_and_no_activity_is_timed_out(make_project):
    # given
    project, _ = make_project(incomplete_timeout_hours=24)
    submission = created_at_t0(project, retries=1)

    # when
    report = sweep_at(T0 + timedelta(hours=24, seconds=1))

    # then
    submission = reloaded(submission)
    assert report == SweepReport(timed_out=1, expired=0)
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["timeout"]
    assert submission.reject_comments == ["KYC rejected due to timeout"]
    assert submission.decided_at == T0 + timedelta(hours=24, seconds=1)
    event = AuditEvent.objects.get(submission=submission)
    assert (event.action, event.actor_type, event.actor_label) == ("timed_out", "system", "validity sweep")
    assert event.before == {"status": "incomplete"}
    assert event.after == {"status": "rejected", "reject_codes": ["timeout"]}


def test_timeout_counts_from_the_last_activity_not_from_creation(make_project, system_actor):
    # given: created at T0, a retry counted 20 hours later
    project, _ = make_project(incomplete_timeout_hours=24)
    submission = created_at_t0(project)
    with time_machine.travel(T0 + timedelta(hours=20), tick=False):
        submission_retry_record(submission=submission, step=Step.STEP2, findings=[], actor=system_actor)

    # when
    early = sweep_at(T0 + timedelta(hours=30))
    late = sweep_at(T0 + timedelta(hours=44, seconds=1))

    # then
    assert early.timed_out == 0
    assert late.timed_out == 1
    assert reloaded(submission).status == SubmissionStatus.REJECTED


def test_exactly_at_the_timeout_boundary_nothing_is_timed_out(make_project):
    # given
    project, _ = make_project(incomplete_timeout_hours=24)
    submission = created_at_t0(project, retries=1)

    # when
    report = sweep_at(T0 + timedelta(hours=24))

    # then
    assert report.timed_out == 0
    assert reloaded(submission).status == SubmissionStatus.INCOMPLETE


def test_the_projects_own_timeout_applies(make_project):
    # given
    quick, _ = make_project(incomplete_timeout_hours=1)
    slow, _ = make_project(incomplete_timeout_hours=48)
    quick_one = created_at_t0(quick, retries=2)
    slow_one = created_at_t0(slow, retries=2)

    # when
    report = sweep_at(T0 + timedelta(hours=2))

    # then
    assert report.timed_out == 1
    assert reloaded(quick_one).status == SubmissionStatus.REJECTED
    assert reloaded(slow_one).status == SubmissionStatus.INCOMPLETE


def test_a_submission_without_a_retry_is_not_timed_out(make_project):
    # given
    project, _ = make_project(incomplete_timeout_hours=24, submission_validity_hours=72)
    submission = created_at_t0(project, retries=0)

    # when
    report = sweep_at(T0 + timedelta(hours=48))

    # then
    assert report == SweepReport(timed_out=0, expired=0)
    submission = reloaded(submission)
    assert (submission.status, submission.expired_at) == (SubmissionStatus.INCOMPLETE, None)
    assert audit_actions(submission) == []


# -- expiry -------------------------------------------------------------------------------


def test_past_the_validity_window_it_is_marked_expired_and_stays_incomplete(make_project):
    # given
    project, _ = make_project(submission_validity_hours=72)
    submission = created_at_t0(project, retries=0)
    moment = T0 + timedelta(hours=72, seconds=1)

    # when
    report = sweep_at(moment)

    # then
    submission = reloaded(submission)
    assert report == SweepReport(timed_out=0, expired=1)
    assert submission.status == SubmissionStatus.INCOMPLETE
    assert submission.expired_at == moment
    assert submission.reject_codes == []
    event = AuditEvent.objects.get(submission=submission)
    assert (event.action, event.actor_label) == ("expired", "validity sweep")
    assert event.after == {"expired_at": moment.isoformat()}


def test_exactly_at_the_end_of_the_validity_window_it_is_not_expired(make_project):
    # given
    project, _ = make_project(submission_validity_hours=72)
    submission = created_at_t0(project)

    # when
    report = sweep_at(T0 + timedelta(hours=72))

    # then
    assert report.expired == 0
    assert reloaded(submission).expired_at is None


def test_step2_on_an_expired_submission_answers_exceeded_72hour_limit(make_project, system_actor, step2_input):
    # given
    project, _ = make_project(submission_validity_hours=72)
    submission = created_at_t0(project)
    sweep_at(T0 + timedelta(hours=73))

    # when
    with pytest.raises(SubmissionError) as error:
        submission_step2(project=project, actor=system_actor, data=step2_input(submission.submission_id))

    # then
    assert error.value.code == Step2ErrorCode.EXCEEDED_72HOUR_LIMIT


def test_a_submission_with_a_retry_past_validity_is_timed_out_not_expired(make_project):
    # given
    project, _ = make_project(incomplete_timeout_hours=24, submission_validity_hours=72)
    submission = created_at_t0(project, retries=1)

    # when: the sweep did not run for four days
    report = sweep_at(T0 + timedelta(days=4))

    # then
    submission = reloaded(submission)
    assert report == SweepReport(timed_out=1, expired=0)
    assert (submission.status, submission.reject_codes) == (SubmissionStatus.REJECTED, ["timeout"])
    assert submission.expired_at is None


# -- what the sweep leaves alone ------------------------------------------------------------


@pytest.mark.parametrize("status", [SubmissionStatus.PENDING, SubmissionStatus.APPROVED, SubmissionStatus.REJECTED])
def test_decided_and_pending_submissions_are_untouched(make_project, status):
    # given
    project, _ = make_project(incomplete_timeout_hours=1, submission_validity_hours=1)
    submission = created_at_t0(project, retries=1, target_status=status)
    before = reloaded(submission)

    # when
    report = sweep_at(T0 + timedelta(days=30))

    # then
    after = reloaded(submission)
    assert report == SweepReport()
    assert (after.status, after.reject_codes, after.expired_at, after.updated_at) == (
        before.status, before.reject_codes, None, before.updated_at,
    )
    assert not AuditEvent.objects.filter(submission=submission).exists()


def test_a_closed_projects_submissions_are_not_swept(make_project, system_actor):
    # given
    project, _ = make_project()
    timed_out_candidate = created_at_t0(project, retries=1)
    expiry_candidate = created_at_t0(project)
    project_close(project=project, actor=system_actor)

    # when
    report = sweep_at(T0 + timedelta(days=10))

    # then
    assert report == SweepReport()
    assert reloaded(timed_out_candidate).status == SubmissionStatus.INCOMPLETE
    assert reloaded(expiry_candidate).expired_at is None


def test_a_second_sweep_changes_nothing(make_project):
    # given
    project, _ = make_project()
    timed_out = [created_at_t0(project, retries=1) for _ in range(2)]
    expired = [created_at_t0(project) for _ in range(2)]
    moment = T0 + timedelta(days=5)
    first = sweep_at(moment)
    snapshot = list(Submission.objects.order_by("pk").values())
    audit_count = AuditEvent.objects.count()

    # when
    second = sweep_at(moment + timedelta(hours=1))

    # then
    assert first == SweepReport(timed_out=2, expired=2)
    assert second == SweepReport(timed_out=0, expired=0)
    assert list(Submission.objects.order_by("pk").values()) == snapshot
    assert AuditEvent.objects.count() == audit_count
    assert {reloaded(s).status for s in timed_out} == {SubmissionStatus.REJECTED}
    assert {reloaded(s).status for s in expired} == {SubmissionStatus.INCOMPLETE}


def test_the_per_row_services_are_idempotent(make_project):
    # given
    project, _ = make_project()
    timed_out = created_at_t0(project, retries=1)
    expired = created_at_t0(project)

    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        # when
        first = (submission_timeout(submission_pk=timed_out.pk), submission_expire(submission_pk=expired.pk))
        second = (submission_timeout(submission_pk=timed_out.pk), submission_expire(submission_pk=expired.pk))
        # a row of the other kind, or one that no longer exists, is refused too
        crossed = (submission_timeout(submission_pk=expired.pk), submission_expire(submission_pk=timed_out.pk))
        missing = (submission_timeout(submission_pk=10**9), submission_expire(submission_pk=10**9))

    # then
    assert first == (True, True)
    assert second == (False, False)
    assert crossed == (False, False)
    assert missing == (False, False)
    assert audit_actions(timed_out) == ["timed_out"]
    assert audit_actions(expired) == ["expired"]


def test_the_timeout_service_rechecks_the_activity_under_its_lock(make_project):
    # given: listed as a candidate, then active again before the service locks it
    project, _ = make_project(incomplete_timeout_hours=24)
    submission = created_at_t0(project, retries=1)
    Submission.objects.filter(pk=submission.pk).update(last_activity_at=T0 + timedelta(hours=30))

    # when
    with time_machine.travel(T0 + timedelta(hours=36), tick=False):
        done = submission_timeout(submission_pk=submission.pk)

    # then
    assert done is False
    assert reloaded(submission).status == SubmissionStatus.INCOMPLETE


# -- batches ------------------------------------------------------------------------------


class SelectorSpy:
    """Wraps a selector and records the keyword arguments and the length of each answer."""

    def __init__(self, selector) -> None:
        self.selector = selector
        self.calls: list[dict] = []
        self.answers: list[int] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        ids = self.selector(**kwargs)
        self.answers.append(len(ids))
        return ids


@pytest.fixture
def selector_spies(monkeypatch):
    spies = {
        "timeout": SelectorSpy(services.submission_list_timeout_ids),
        "expire": SelectorSpy(services.submission_list_expirable_ids),
    }
    monkeypatch.setattr(services, "submission_list_timeout_ids", spies["timeout"])
    monkeypatch.setattr(services, "submission_list_expirable_ids", spies["expire"])
    return spies


def test_seven_candidates_with_batches_of_two_are_all_handled_in_one_sweep(make_project, settings, selector_spies):
    # given
    settings.KYC_SWEEP_BATCH_SIZE = 2
    project, _ = make_project()
    candidates = [created_at_t0(project, retries=1) for _ in range(7)]

    # when
    report = sweep_at(T0 + timedelta(days=2))

    # then
    assert report.timed_out == 7
    assert {reloaded(s).status for s in candidates} == {SubmissionStatus.REJECTED}
    timeout_spy = selector_spies["timeout"]
    # ids are read in bounded keyset batches, never as one list of every row
    assert [call["limit"] for call in timeout_spy.calls] == [2, 2, 2, 2]
    assert timeout_spy.answers == [2, 2, 2, 1]
    after = [call["after_pk"] for call in timeout_spy.calls]
    assert after == [0, *sorted(s.pk for s in candidates)[1:7:2]]


def test_one_sweep_handles_at_most_max_batches_and_the_next_one_the_rest(make_project, settings):
    # given
    settings.KYC_SWEEP_BATCH_SIZE = 2
    settings.KYC_SWEEP_MAX_BATCHES = 2
    project, _ = make_project()
    for _ in range(7):
        created_at_t0(project)

    # when
    moment = T0 + timedelta(days=4)
    reports = [sweep_at(moment) for _ in range(3)]

    # then
    assert [r.expired for r in reports] == [4, 3, 0]
    assert not Submission.objects.filter(expired_at__isnull=True).exists()


def test_batches_are_per_project(make_project, settings, selector_spies):
    # given
    settings.KYC_SWEEP_BATCH_SIZE = 2
    first, _ = make_project()
    second, _ = make_project()
    for project in (first, second):
        for _ in range(3):
            created_at_t0(project)

    # when
    report = sweep_at(T0 + timedelta(days=4))

    # then
    assert report.expired == 6
    projects_asked = [call["project"].pk for call in selector_spies["expire"].calls]
    assert projects_asked == [first.pk, first.pk, second.pk, second.pk]


def test_a_row_that_fails_does_not_stop_the_sweep(make_project, monkeypatch):
    # given: three timed-out candidates, the second of which makes the service raise
    project, _ = make_project(incomplete_timeout_hours=24)
    first, broken, last = (created_at_t0(project, retries=1) for _ in range(3))
    real_timeout = services.submission_timeout

    def flaky(*, submission_pk):
        if submission_pk == broken.pk:
            raise RuntimeError("storage down")
        return real_timeout(submission_pk=submission_pk)

    monkeypatch.setattr(services, "submission_timeout", flaky)

    # when
    report = sweep_at(T0 + timedelta(hours=25))

    # then: the others are handled, the broken one stays for the next run
    assert report.timed_out == 2
    assert reloaded(first).status == reloaded(last).status == SubmissionStatus.REJECTED
    assert reloaded(broken).status == SubmissionStatus.INCOMPLETE


# -- Pending rows erased by an older version (issue 14 item 4) ----------------------------


def test_the_sweep_ends_a_pending_submission_erased_before_erasure_ended_it(make_project):
    # given: a row an older version erased and left Pending (and one Pending, not erased)
    project, _ = make_project()
    erased = SubmissionFactory(project=project, target_status=SubmissionStatus.PENDING)
    Submission.objects.filter(pk=erased.pk).update(erased_at=T0)
    waiting = SubmissionFactory(project=project, target_status=SubmissionStatus.PENDING)

    # when: two sweeps
    first, second = submission_sweep(), submission_sweep()

    # then: rejected once, by the system, audited; the other is untouched
    assert (first.erasure_rejected, second.erasure_rejected) == (1, 0)
    assert reloaded(erased).status == SubmissionStatus.REJECTED and reloaded(erased).reject_codes == ["other"]
    event = AuditEvent.objects.get(submission=erased, action="erasure_rejected")
    assert (event.actor_type, event.actor_label) == ("system", "erasure")
    assert reloaded(waiting).status == SubmissionStatus.PENDING
    assert audit_actions(waiting) == []
