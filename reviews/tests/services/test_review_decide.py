"""review_decide (review_approve / review_reject): decide a Pending submission, with audited edits."""

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from audit.services import Actor
from reviews.codes import ReviewErrorCode
from reviews.models import ReviewDecision
from reviews.services import review_approve, review_decide, review_reject
from submissions.choices import SubmissionStatus
from submissions.exceptions import SubmissionError
from submissions.models import Submission
from submissions.tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    user = get_user_model().objects.create_user(username="rita", password="a-long-test-password")
    return Actor.for_user(user)


def pending(project=None, **fields) -> Submission:
    if project is not None:
        fields["project"] = project
    return SubmissionFactory(target_status=SubmissionStatus.PENDING, **fields)


def reloaded(submission) -> Submission:
    return Submission.objects.get(pk=submission.pk)


def audit_rows(submission) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(submission=submission).order_by("id"))


# -- approve ------------------------------------------------------------------------------


def test_approve_a_pending_submission(reviewer):
    # given
    submission = pending()

    # when
    review = review_approve(submission_id=submission.submission_id, actor=reviewer, note="looks fine")

    # then
    submission = reloaded(submission)
    assert submission.status == SubmissionStatus.APPROVED
    assert submission.decided_at is not None
    assert (review.decision, review.reviewer, review.reviewer_label) == ("approve", reviewer.user, "rita")
    assert (review.reject_codes, review.comment, review.internal_note, review.edits) == ([], "", "looks fine", {})
    assert ReviewDecision.objects.filter(submission=submission).count() == 1
    [event] = audit_rows(submission)
    assert (event.action, event.actor_type, event.actor_user, event.actor_label) == (
        "review_approved", "user", reviewer.user, "rita",
    )
    assert event.before == {"status": "pending"}
    assert event.after == {"status": "approved", "reject_codes": [], "review_id": review.pk}


# -- reject -------------------------------------------------------------------------------


def test_reject_with_codes_uses_each_codes_message_and_the_comment_for_other(reviewer):
    # given
    submission = pending()

    # when
    review = review_reject(
        submission_id=submission.submission_id, actor=reviewer,
        codes=["id_image_badImage", "other"], comment="  Please photograph the whole card.  ",
    )

    # then
    submission = reloaded(submission)
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["id_image_badImage", "other"]
    assert submission.reject_comments == [
        "Fail to read the ID image. Please take a clear picture of your ID document.",
        "Please photograph the whole card.",
    ]
    assert (review.decision, review.reject_codes, review.comment) == (
        "reject", ["id_image_badImage", "other"], "Please photograph the whole card.",
    )
    [event] = audit_rows(submission)
    assert event.action == "review_rejected"
    assert event.after == {"status": "rejected", "reject_codes": ["id_image_badImage", "other"], "review_id": review.pk}


def test_reject_without_other_needs_no_comment(reviewer):
    # given
    submission = pending()

    # when
    review_reject(submission_id=submission.submission_id, actor=reviewer, codes=["address_info_expiredDocument"])

    # then
    submission = reloaded(submission)
    assert submission.reject_codes == ["address_info_expiredDocument"]
    assert submission.reject_comments == [
        "Expired proof of address. The proof of address should be issued within 6 months."
    ]


def test_a_code_chosen_twice_is_recorded_once(reviewer):
    # given
    submission = pending()

    # when
    review_reject(submission_id=submission.submission_id, actor=reviewer,
                  codes=["id_image_error", "id_image_error"])

    # then
    assert reloaded(submission).reject_codes == ["id_image_error"]


@pytest.mark.parametrize("comment", ["", "   "])
def test_other_without_a_comment_is_refused(reviewer, comment):
    # given
    submission = pending()

    # when
    with pytest.raises(SubmissionError) as error:
        review_reject(submission_id=submission.submission_id, actor=reviewer, codes=["other"], comment=comment)

    # then
    assert error.value.code == ReviewErrorCode.COMMENT_REQUIRED
    assert reloaded(submission).status == SubmissionStatus.PENDING
    assert audit_rows(submission) == []


def test_a_rejection_without_codes_is_refused(reviewer):
    # given
    submission = pending()

    # when
    with pytest.raises(SubmissionError) as error:
        review_reject(submission_id=submission.submission_id, actor=reviewer, codes=[], comment="no")

    # then
    assert error.value.code == ReviewErrorCode.REJECT_CODE_REQUIRED
    assert error.value.message == "Choose at least one reject comment code."
    assert not ReviewDecision.objects.exists()


@pytest.mark.parametrize("codes", [["timeout"], ["too_many_retry", "other"], ["id_info_blacklist"], ["nonsense"]])
def test_automatic_only_and_unknown_codes_are_refused(reviewer, codes):
    # given
    submission = pending()

    # when
    with pytest.raises(SubmissionError) as error:
        review_reject(submission_id=submission.submission_id, actor=reviewer, codes=codes, comment="x")

    # then
    assert error.value.code == ReviewErrorCode.INVALID_REJECT_CODE
    assert error.value.message == f"Invalid reject comment code: {codes[0]}."
    assert reloaded(submission).status == SubmissionStatus.PENDING


# -- not pending --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [SubmissionStatus.INCOMPLETE, SubmissionStatus.APPROVED, SubmissionStatus.REJECTED])
@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_only_pending_submissions_can_be_decided(reviewer, status, decide):
    # given
    submission = SubmissionFactory(target_status=status)
    before = reloaded(submission)

    # when
    with pytest.raises(SubmissionError) as error:
        if decide == "approve":
            review_approve(submission_id=submission.submission_id, actor=reviewer)
        else:
            review_reject(submission_id=submission.submission_id, actor=reviewer, codes=["id_image_error"])

    # then
    assert error.value.code == ReviewErrorCode.NOT_PENDING
    after = reloaded(submission)
    assert (after.status, after.reject_codes, after.decided_at) == (before.status, before.reject_codes,
                                                                   before.decided_at)
    assert not ReviewDecision.objects.exists()
    assert audit_rows(submission) == []


def test_an_unknown_submission_is_not_pending(reviewer):
    # given / when
    with pytest.raises(SubmissionError) as error:
        review_approve(submission_id="00000000-0000-4000-8000-000000000000", actor=reviewer)

    # then
    assert error.value.code == ReviewErrorCode.NOT_PENDING


def test_the_second_decision_is_refused(reviewer):
    # given
    submission = pending()
    review_approve(submission_id=submission.submission_id, actor=reviewer)

    # when
    with pytest.raises(SubmissionError) as error:
        review_reject(submission_id=submission.submission_id, actor=reviewer, codes=["id_image_error"])

    # then
    assert error.value.code == ReviewErrorCode.NOT_PENDING
    assert reloaded(submission).status == SubmissionStatus.APPROVED
    assert ReviewDecision.objects.filter(submission=submission).count() == 1


# -- edits --------------------------------------------------------------------------------


def test_an_edited_birth_date_under_the_age_limit_rejects_an_approval(make_project, reviewer):
    # given
    project, _ = make_project(age_limit=18)
    submission = pending(project, entered_data={"date_of_birth": "1990-04-12"})

    # when
    review = review_approve(submission_id=submission.submission_id, actor=reviewer,
                            edits={"date_of_birth": "2015-04-12"})

    # then
    submission = reloaded(submission)
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["id_info_notOfAge"]
    assert submission.reject_comments == ["We do not accept KYC anyone under 18 years old."]
    assert submission.entered_data["date_of_birth"] == "2015-04-12"
    assert (review.decision, review.reject_codes, review.edits) == (
        "reject", ["id_info_notOfAge"], {"date_of_birth": "2015-04-12"},
    )
    edited, decided = audit_rows(submission)
    assert (edited.action, edited.actor_label) == ("edited", "rita")
    assert edited.before_plain == {"date_of_birth": "1990-04-12"}
    assert edited.after_plain == {"date_of_birth": "2015-04-12"}
    assert decided.action == "review_rejected"
    assert decided.after["reject_codes"] == ["id_info_notOfAge"]


def test_an_edited_issuing_country_on_the_blacklist_rejects(make_project, reviewer):
    # given
    project, _ = make_project(blacklist_countries=["IRN"])
    submission = pending(project, issuing_country="POL")

    # when
    review = review_approve(submission_id=submission.submission_id, actor=reviewer, edits={"issuing_country": "IRN"})

    # then
    submission = reloaded(submission)
    assert submission.issuing_country == "IRN"
    assert submission.reject_codes == ["id_info_blacklist"]
    assert submission.reject_comments == ["According to the policy, we do not accept KYC from IRN."]
    assert review.decision == "reject"
    assert [row.action for row in audit_rows(submission)] == ["edited", "review_rejected"]
    assert audit_rows(submission)[0].before == {"issuing_country": "POL"}


def test_a_rule_rejection_replaces_the_reviewers_own_codes(make_project, reviewer):
    # given
    project, _ = make_project(blacklist_countries=["IRN"])
    submission = pending(project)

    # when
    review = review_reject(submission_id=submission.submission_id, actor=reviewer,
                           codes=["id_image_error"], edits={"issuing_country": "IRN"})

    # then
    assert reloaded(submission).reject_codes == ["id_info_blacklist"]
    assert review.reject_codes == ["id_info_blacklist"]


def test_an_edited_id_type_the_project_does_not_accept_rejects(make_project, reviewer):
    # given
    project, _ = make_project(accepted_id_types={"*": ["passport"]})
    submission = pending(project, id_type="passport")

    # when
    review_approve(submission_id=submission.submission_id, actor=reviewer, edits={"id_type": "drivers_license"})

    # then
    submission = reloaded(submission)
    assert (submission.id_type, submission.reject_codes) == ("drivers_license", ["invalid_acceptedID"])


def test_the_submissions_custom_options_still_switch_a_rule_off_on_edit(make_project, reviewer):
    # given
    project, _ = make_project(blacklist_countries=["IRN"])
    submission = pending(project, custom_options={"blacklistCountries": False})

    # when
    review_approve(submission_id=submission.submission_id, actor=reviewer, edits={"issuing_country": "IRN"})

    # then
    assert reloaded(submission).status == SubmissionStatus.APPROVED


def test_edits_that_break_no_rule_keep_the_reviewers_decision(make_project, reviewer):
    # given
    project, _ = make_project(age_limit=18, blacklist_countries=["IRN"])
    submission = pending(project, entered_data={"name": "Ana Nowak", "date_of_birth": "1990-04-12"})
    key_before = reloaded(submission).identity_key

    # when
    review = review_approve(
        submission_id=submission.submission_id, actor=reviewer,
        edits={"name": "  Anna Nowak ", "date_of_birth": "1991-04-12", "document_number": "AB123456"},
    )

    # then
    submission = reloaded(submission)
    assert submission.status == SubmissionStatus.APPROVED
    assert submission.entered_data == {"name": "Anna Nowak", "date_of_birth": "1991-04-12",
                                       "document_number": "AB123456"}
    assert submission.identity_key != key_before
    assert review.edits == {"name": "Anna Nowak", "date_of_birth": "1991-04-12", "document_number": "AB123456"}
    edited, approved = audit_rows(submission)
    assert edited.before_plain == {"name": "Ana Nowak", "date_of_birth": "1990-04-12", "document_number": ""}
    assert edited.after_plain == review.edits
    assert approved.action == "review_approved"


def test_an_edit_to_the_same_value_is_not_an_edit(make_project, reviewer):
    # given
    project, _ = make_project(age_limit=30)
    submission = pending(project, issuing_country="POL", entered_data={"date_of_birth": "2000-01-01"})

    # when: nothing changes, so the rules are not re-run
    review = review_approve(submission_id=submission.submission_id, actor=reviewer,
                            edits={"issuing_country": "POL", "date_of_birth": "2000-01-01"})

    # then
    assert reloaded(submission).status == SubmissionStatus.APPROVED
    assert review.edits == {}
    assert [row.action for row in audit_rows(submission)] == ["review_approved"]


@pytest.mark.parametrize(("edits", "fields"), [
    ({"date_of_birth": "12/04/1990"}, "date_of_birth"),
    ({"issuing_country": "XX"}, "issuing_country"),
    ({"id_type": "library_card"}, "id_type"),
    ({"name": ""}, "name"),
    ({"email": "x@example.com"}, "email"),
    ({"issuing_country": "ZZZ", "date_of_expiry": "2030-13-01", "name": "ok"}, "date_of_expiry, issuing_country"),
])
def test_invalid_edits_are_refused_naming_the_fields(reviewer, edits, fields):
    # given
    submission = pending()
    before = reloaded(submission)

    # when
    with pytest.raises(SubmissionError) as error:
        review_approve(submission_id=submission.submission_id, actor=reviewer, edits=edits)

    # then
    assert error.value.code == ReviewErrorCode.INVALID_EDIT
    assert error.value.message == f"Invalid value for: {fields}."
    after = reloaded(submission)
    assert (after.status, after.issuing_country, after.entered_data) == (
        SubmissionStatus.PENDING, before.issuing_country, before.entered_data,
    )
    assert audit_rows(submission) == []


def test_review_decide_records_the_reviewer_once_per_decision(reviewer):
    # given
    first, second = pending(), pending()

    # when
    review_decide(submission_id=first.submission_id, actor=reviewer, decision="approve")
    review_decide(submission_id=second.submission_id, actor=reviewer, decision="reject",
                  codes=["other"], comment="Blurred")

    # then
    decisions = ReviewDecision.objects.order_by("id")
    assert [(d.submission_id, d.decision, d.reviewer_label) for d in decisions] == [
        (first.pk, "approve", "rita"), (second.pk, "reject", "rita"),
    ]
