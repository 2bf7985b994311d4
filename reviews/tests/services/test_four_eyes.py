"""Four-eyes review: a decision waits for a second reviewer, who confirms or returns it."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from audit.services import Actor
from reviews.choices import DecisionState
from reviews.codes import ReviewErrorCode
from reviews.models import ReviewClaim, ReviewDecision
from reviews.services import review_approve, review_claim, review_confirm, review_reject, review_return
from submissions.choices import SubmissionStatus
from submissions.exceptions import SubmissionError
from submissions.models import Submission
from submissions.tests.factories import ProjectFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


def actor(name: str) -> Actor:
    return Actor.for_user(get_user_model().objects.create_user(username=name, password="a-long-test-password"))


@pytest.fixture
def pending():
    return SubmissionFactory(project=ProjectFactory(four_eyes_review=True, age_limit=18),
                             target_status=SubmissionStatus.PENDING)


def status(submission) -> str:
    return Submission.objects.get(pk=submission.pk).status


def test_a_decision_is_only_proposed_until_confirmed(pending):
    rita, sam = actor("rita"), actor("sam")
    review_claim(submission_id=pending.submission_id, actor=rita)
    proposal = review_reject(submission_id=pending.submission_id, actor=rita, codes=["id_image_badImage"],
                             messages={"id_image_badImage": "Your photo is blurred: retake it in daylight."})
    assert proposal.state == DecisionState.PROPOSED and status(pending) == SubmissionStatus.PENDING
    assert not ReviewClaim.objects.filter(submission=pending).exists()  # back to the queue
    confirmed = review_confirm(submission_id=pending.submission_id, review_id=proposal.pk, actor=sam)
    submission = Submission.objects.get(pk=pending.pk)
    assert confirmed.state == DecisionState.CONFIRMED and confirmed.second_reviewer == sam.user
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["id_image_badImage"]
    assert submission.reject_comments == ["Your photo is blurred: retake it in daylight."]
    actions = list(AuditEvent.objects.filter(submission=pending).values_list("action", "actor_label"))
    assert ("review_proposed", "rita") in actions and ("review_rejected", "sam") in actions
    assert ("review_confirmed", "sam") in actions


def test_nobody_confirms_their_own_decision(pending):
    rita = actor("rita")
    proposal = review_approve(submission_id=pending.submission_id, actor=rita)
    with pytest.raises(SubmissionError) as refused:
        review_confirm(submission_id=pending.submission_id, review_id=proposal.pk, actor=rita)
    assert refused.value.code == ReviewErrorCode.OWN_DECISION
    assert status(pending) == SubmissionStatus.PENDING


def test_a_second_proposal_waits_for_the_first(pending):
    review_approve(submission_id=pending.submission_id, actor=actor("rita"))
    with pytest.raises(SubmissionError) as refused:
        review_approve(submission_id=pending.submission_id, actor=actor("sam"))
    assert refused.value.code == ReviewErrorCode.AWAITING_CONFIRMATION


def test_returning_needs_a_reason_and_reopens_the_case(pending):
    rita, sam = actor("rita"), actor("sam")
    proposal = review_approve(submission_id=pending.submission_id, actor=rita)
    with pytest.raises(SubmissionError) as refused:
        review_return(submission_id=pending.submission_id, review_id=proposal.pk, actor=sam, note="  ")
    assert refused.value.code == ReviewErrorCode.RETURN_NOTE_REQUIRED
    returned = review_return(submission_id=pending.submission_id, review_id=proposal.pk, actor=sam,
                             note="The selfie is a photo of a screen.")
    assert returned.state == DecisionState.RETURNED and status(pending) == SubmissionStatus.PENDING
    with pytest.raises(SubmissionError) as settled:
        review_confirm(submission_id=pending.submission_id, review_id=proposal.pk, actor=actor("tom"))
    assert settled.value.code == ReviewErrorCode.NO_PROPOSAL
    # a new decision may now be proposed
    review_reject(submission_id=pending.submission_id, actor=sam, codes=["other"], comment="Retake the selfie.")
    assert ReviewDecision.objects.filter(submission=pending, state=DecisionState.PROPOSED).count() == 1


def test_proposed_edits_apply_on_confirmation_and_rules_still_bite(pending):
    rita, sam = actor("rita"), actor("sam")
    under_age = (datetime.date.today() - datetime.timedelta(days=365 * 10)).isoformat()
    proposal = review_approve(submission_id=pending.submission_id, actor=rita, edits={"date_of_birth": under_age})
    assert Submission.objects.get(pk=pending.pk).entered_data["date_of_birth"] == "1990-04-12"  # not yet
    confirmed = review_confirm(submission_id=pending.submission_id, review_id=proposal.pk, actor=sam)
    submission = Submission.objects.get(pk=pending.pk)
    assert submission.status == SubmissionStatus.REJECTED and submission.reject_codes == ["id_info_notOfAge"]
    assert confirmed.decision == "reject" and confirmed.edits == {"date_of_birth": under_age}
    edited = AuditEvent.objects.get(submission=pending, action="edited")
    assert edited.actor_label == "rita"  # the edit is the proposer's


def test_without_the_option_a_decision_is_final_at_once():
    submission = SubmissionFactory(target_status=SubmissionStatus.PENDING)
    review = review_approve(submission_id=submission.submission_id, actor=actor("rita"))
    assert review.state == DecisionState.FINAL and status(submission) == SubmissionStatus.APPROVED


def test_a_proposal_is_only_found_inside_the_case_it_belongs_to(pending):
    # given an open proposal on another project's case
    other = SubmissionFactory(project=ProjectFactory(four_eyes_review=True), target_status=SubmissionStatus.PENDING)
    proposal = review_approve(submission_id=other.submission_id, actor=actor("rita"))
    sam = actor("sam")
    # when a second reviewer names it while acting on their own case, then it is not found
    for service, extra in ((review_confirm, {}), (review_return, {"note": "Looks fine to me."})):
        with pytest.raises(SubmissionError) as refused:
            service(submission_id=pending.submission_id, review_id=proposal.pk, actor=sam, **extra)
        assert refused.value.code == ReviewErrorCode.NO_PROPOSAL and refused.value.http_status == 404
    # and neither case nor proposal changed
    assert status(other) == SubmissionStatus.PENDING and status(pending) == SubmissionStatus.PENDING
    assert ReviewDecision.objects.get(pk=proposal.pk).state == DecisionState.PROPOSED
