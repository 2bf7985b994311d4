"""review_claim / review_release and the claim check of review_decide: nothing two reviewers collide on."""

import datetime
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor
from reviews.codes import ReviewErrorCode
from reviews.models import ReviewClaim, ReviewDecision
from reviews.services import review_approve, review_claim, review_reject, review_release
from submissions.choices import SubmissionStatus
from submissions.exceptions import SubmissionError
from submissions.models import Submission
from submissions.tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db


def actor(name: str) -> Actor:
    return Actor.for_user(get_user_model().objects.create_user(username=name, password="a-long-test-password"))


@pytest.fixture
def pending():
    return SubmissionFactory(target_status=SubmissionStatus.PENDING)


def lapse(submission) -> None:
    ReviewClaim.objects.filter(submission=submission).update(
        last_seen_at=timezone.now() - datetime.timedelta(hours=1))


def test_opening_claims_once_and_audits_once(pending):
    rita = actor("rita")
    first = review_claim(submission_id=pending.submission_id, actor=rita)
    again = review_claim(submission_id=pending.submission_id, actor=rita)
    assert first.reviewer == rita.user and again.last_seen_at >= first.last_seen_at
    assert AuditEvent.objects.filter(submission=pending, action="review_claimed").count() == 1


def test_a_claimed_case_is_refused_to_another_reviewer(pending):
    rita, sam = actor("rita"), actor("sam")
    review_claim(submission_id=pending.submission_id, actor=rita)
    with pytest.raises(SubmissionError) as claim_refused:
        review_claim(submission_id=pending.submission_id, actor=sam)
    with pytest.raises(SubmissionError) as decide_refused:
        review_approve(submission_id=pending.submission_id, actor=sam)
    assert claim_refused.value.code == decide_refused.value.code == ReviewErrorCode.CLAIMED
    assert decide_refused.value.message == "This submission is being reviewed by rita."
    assert Submission.objects.get(pk=pending.pk).status == SubmissionStatus.PENDING


def test_an_api_decision_respects_a_reviewers_claim(pending):
    review_claim(submission_id=pending.submission_id, actor=actor("rita"))
    with pytest.raises(SubmissionError) as refused:
        review_approve(submission_id=pending.submission_id, actor=Actor.system("api"))
    assert refused.value.code == ReviewErrorCode.CLAIMED


def test_a_lapsed_claim_is_taken_over_and_audited(pending):
    rita, sam = actor("rita"), actor("sam")
    review_claim(submission_id=pending.submission_id, actor=rita)
    lapse(pending)
    claim = review_claim(submission_id=pending.submission_id, actor=sam)
    assert claim.reviewer == sam.user
    event = AuditEvent.objects.filter(submission=pending, action="review_claimed").latest("id")
    assert event.before == {"claimed_by": "rita"} and event.after == {"claimed_by": "sam"}


def test_the_holder_decides_and_the_claim_ends(pending):
    rita = actor("rita")
    review_claim(submission_id=pending.submission_id, actor=rita)
    review_reject(submission_id=pending.submission_id, actor=rita, codes=["id_image_badImage"])
    assert Submission.objects.get(pk=pending.pk).status == SubmissionStatus.REJECTED
    assert not ReviewClaim.objects.filter(submission=pending).exists()


def test_release_only_by_the_holder(pending):
    rita, sam = actor("rita"), actor("sam")
    review_claim(submission_id=pending.submission_id, actor=rita)
    assert review_release(submission_id=pending.submission_id, actor=sam) is False
    assert review_release(submission_id=pending.submission_id, actor=rita) is True
    assert not ReviewClaim.objects.filter(submission=pending).exists()
    assert AuditEvent.objects.filter(submission=pending, action="review_released", actor_label="rita").exists()
    review_claim(submission_id=pending.submission_id, actor=sam)  # free for the next reviewer


def test_a_decided_case_cannot_be_claimed():
    approved = SubmissionFactory(target_status=SubmissionStatus.APPROVED)
    with pytest.raises(SubmissionError) as refused:
        review_claim(submission_id=approved.submission_id, actor=actor("rita"))
    assert refused.value.code == ReviewErrorCode.NOT_PENDING


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_one_wins_the_other_is_told():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises whole-database writes)")
    submission = SubmissionFactory(target_status=SubmissionStatus.PENDING)
    reviewers = [actor("rita"), actor("sam")]
    barrier, outcomes = threading.Barrier(2), []

    def decide(reviewer):
        try:
            barrier.wait()
            review_approve(submission_id=submission.submission_id, actor=reviewer)
            outcomes.append("won")
        except SubmissionError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)) == ["not_pending", "won"]
    assert ReviewDecision.objects.filter(submission=submission).count() == 1
