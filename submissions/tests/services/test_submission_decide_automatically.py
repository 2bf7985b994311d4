"""submission_decide_automatically: reject rules, duplicates, auto-approval, automated-only projects."""

import pytest

from audit.models import AuditEvent
from submissions.choices import SubmissionStatus
from submissions.services import AUTOMATED_ONLY_COMMENT, submission_decide_automatically
from submissions.tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db


def pending(project, **fields):
    return SubmissionFactory(project=project, target_status=SubmissionStatus.PENDING, **fields)


def decide(submission, project, score=None):
    submission_decide_automatically(submission=submission, project=project, score=score)
    submission.refresh_from_db()
    return submission


def audit_actions(submission) -> list[str]:
    return list(AuditEvent.objects.filter(submission=submission).order_by("id").values_list("action", flat=True))


def test_no_rule_and_no_auto_approval_leaves_it_pending(make_project):
    # given
    project, _ = make_project()
    submission = pending(project)

    # when
    decide(submission, project, score=99)

    # then
    assert submission.status == SubmissionStatus.PENDING
    assert audit_actions(submission) == []


def test_a_blacklisted_issuing_country_rejects(make_project):
    # given
    project, _ = make_project(blacklist_countries=["PRK", "POL"])
    submission = pending(project, issuing_country="POL")

    # when
    decide(submission, project)

    # then
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["blacklistCountry"]
    assert submission.reject_comments == ["According to the policy, we do not accept KYC from POL."]
    event = AuditEvent.objects.get(submission=submission)
    assert (event.action, event.actor_type, event.actor_label) == ("auto_rejected", "system", "automatic rules")
    assert event.before == {"status": "pending"}
    assert event.after == {"status": "rejected", "reject_codes": ["blacklistCountry"]}


def test_custom_option_blacklist_countries_false_switches_the_blacklist_off(make_project):
    # given
    project, _ = make_project(blacklist_countries=["POL"])
    submission = pending(project, issuing_country="POL", custom_options={"blacklistCountries": False})

    # when
    decide(submission, project)

    # then
    assert submission.status == SubmissionStatus.PENDING


def test_an_applicant_under_the_age_limit_is_rejected(make_project):
    # given
    project, _ = make_project(age_limit=18)
    submission = pending(project, entered_data={"date_of_birth": "2015-01-01"})

    # when
    decide(submission, project)

    # then
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["under_ageLimit"]
    assert submission.reject_comments == ["We do not accept KYC anyone under 18 years old."]


def test_custom_option_age_limit_false_switches_the_age_limit_off(make_project):
    # given
    project, _ = make_project(age_limit=18)
    submission = pending(project, entered_data={"date_of_birth": "2015-01-01"}, custom_options={"ageLimit": False})

    # when
    decide(submission, project)

    # then
    assert submission.status == SubmissionStatus.PENDING


def test_an_id_type_not_accepted_for_the_country_is_rejected(make_project):
    # given
    project, _ = make_project(accepted_id_types={"*": ["passport"], "POL": ["government_id"]})
    submission = pending(project, issuing_country="POL", id_type="passport")

    # when
    decide(submission, project)

    # then
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["invalid_acceptedID"]


def test_every_broken_rule_is_listed_in_table_order(make_project):
    # given
    project, _ = make_project(blacklist_countries=["POL"], age_limit=21, accepted_id_types={"*": ["government_id"]})
    submission = pending(project, issuing_country="POL", entered_data={"date_of_birth": "2015-01-01"})

    # when
    decide(submission, project)

    # then
    assert submission.reject_codes == ["blacklistCountry", "under_ageLimit", "invalid_acceptedID"]
    assert submission.reject_comments[1] == "We do not accept KYC anyone under 21 years old."


def test_a_duplicate_of_an_approved_identity_is_rejected_when_the_option_is_on(make_project):
    # given
    project, _ = make_project(reject_duplicate_user=True)
    pending(project, identity_key="same-person")
    approved = SubmissionFactory(project=project, target_status=SubmissionStatus.APPROVED, identity_key="same-person")
    submission = pending(project, identity_key="same-person")

    # when
    decide(submission, project)

    # then
    assert approved.pk != submission.pk
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["duplicate_user"]
    assert submission.reject_comments == [
        "Identity has been determined to be the same duplicate as the previously approved one."
    ]


def test_a_duplicate_identity_passes_when_the_option_is_off(make_project):
    # given
    project, _ = make_project(reject_duplicate_user=False)
    SubmissionFactory(project=project, target_status=SubmissionStatus.APPROVED, identity_key="same-person")
    submission = pending(project, identity_key="same-person")

    # when
    decide(submission, project)

    # then
    assert submission.status == SubmissionStatus.PENDING


def test_a_duplicate_of_another_projects_approval_is_not_a_duplicate(make_project):
    # given
    project, _ = make_project(reject_duplicate_user=True)
    other, _ = make_project()
    SubmissionFactory(project=other, target_status=SubmissionStatus.APPROVED, identity_key="same-person")
    submission = pending(project, identity_key="same-person")

    # when
    decide(submission, project)

    # then
    assert submission.status == SubmissionStatus.PENDING


@pytest.mark.parametrize(("score", "expected"), [
    (80, SubmissionStatus.APPROVED),
    (95.5, SubmissionStatus.APPROVED),
    (79.9, SubmissionStatus.PENDING),
    (None, SubmissionStatus.PENDING),
])
def test_auto_approval_at_or_above_the_score(make_project, score, expected):
    # given
    project, _ = make_project(auto_approve_score=80)
    submission = pending(project)

    # when
    decide(submission, project, score=score)

    # then
    assert submission.status == expected
    if expected == SubmissionStatus.APPROVED:
        event = AuditEvent.objects.get(submission=submission)
        assert (event.action, event.actor_label) == ("auto_approved", "automatic rules")
        assert event.before == {"status": "pending"}
        assert event.after == {"status": "approved", "score": score}
        assert submission.decided_at is not None


def test_a_broken_rule_wins_over_auto_approval(make_project):
    # given
    project, _ = make_project(auto_approve_score=10, blacklist_countries=["POL"])
    submission = pending(project, issuing_country="POL")

    # when
    decide(submission, project, score=100)

    # then
    assert submission.status == SubmissionStatus.REJECTED
    assert audit_actions(submission) == ["auto_rejected"]


def test_automated_processing_only_rejects_what_would_go_to_review(make_project):
    # given
    project, _ = make_project(automated_processing_only=True)
    submission = pending(project)

    # when
    decide(submission, project, score=50)

    # then
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.reject_codes == ["other"]
    assert submission.reject_comments == [AUTOMATED_ONLY_COMMENT]
    assert audit_actions(submission) == ["auto_rejected"]


def test_automated_processing_only_still_auto_approves_above_the_score(make_project):
    # given
    project, _ = make_project(automated_processing_only=True, auto_approve_score=50)
    submission = pending(project)

    # when
    decide(submission, project, score=50)

    # then
    assert submission.status == SubmissionStatus.APPROVED
    assert audit_actions(submission) == ["auto_approved"]
