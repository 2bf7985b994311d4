import pytest

from reviews.codes import REJECT_CODES_REVIEWER
from reviews.forms import REJECT_CODE_CHOICES, DecisionForm, RejectForm
from submissions.tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db


def test_reject_code_choices_are_the_reviewer_codes():
    assert [value for value, _ in REJECT_CODE_CHOICES] == [code.value for code in REJECT_CODES_REVIEWER]
    assert dict(REJECT_CODE_CHOICES)["other"] == "other — other"


@pytest.mark.parametrize(
    ("data", "error_field"),
    [
        ({}, "codes"),
        ({"codes": ["other"]}, "comment"),
        ({"codes": ["other"], "comment": "   "}, "comment"),
        ({"codes": ["too_many_retry"]}, "codes"),  # an automatic code is not the reviewer's
    ],
)
def test_reject_form_refuses(data, error_field):
    form = RejectForm(data)
    assert not form.is_valid()
    assert error_field in form.errors


def test_reject_form_accepts_codes_with_a_comment():
    assert RejectForm({"codes": ["other", "id_image_error"], "comment": "Retake"}).is_valid()


def test_decision_form_approve_needs_no_code_and_reports_only_changed_edits():
    submission = SubmissionFactory(entered_data={"name": "Anna Nowak", "date_of_birth": "1990-04-12"})
    data = {
        "decision": "approve",
        "issuing_country": "pol",
        "id_type": "passport",
        "name": "Anna Nowak",
        "date_of_birth": "1990-04-13",
        "date_of_issue": "",
        "date_of_expiry": "",
        "document_number": "",
    }
    form = DecisionForm(data, submission=submission)
    assert form.is_valid(), form.errors
    assert form.edits() == {"date_of_birth": "1990-04-13"}


def test_decision_form_reject_applies_the_reject_rules():
    submission = SubmissionFactory()
    form = DecisionForm({"decision": "reject", "codes": ["other"]}, submission=submission)
    assert not form.is_valid()
    assert "comment" in form.errors
