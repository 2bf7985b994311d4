"""Reviewer decisions: the only way a Pending submission becomes Approved or Rejected by a person.

The admin, the decision page and (later) the review API all call `review_decide`, so the
rules, the audit rows and the race protection are the same everywhere.
"""

from dataclasses import dataclass

from django.db import transaction

from audit.services import Actor, audit_record
from submissions.choices import IdType, SubmissionStatus
from submissions.codes import code_message
from submissions.countries import country_is_valid
from submissions.exceptions import SubmissionError
from submissions.inputs import parse_date
from submissions.models import Submission
from submissions.rules import rules_evaluate
from submissions.services import face_descriptor_approve, submission_identity_key

from .choices import Decision
from .codes import REJECT_CODES_REVIEWER, RejectCode, ReviewErrorCode
from .models import ReviewDecision


@dataclass(frozen=True)
class EditableField:
    label: str
    validate: object  # callable(str) -> bool
    on_submission: bool  # a column of Submission (else a key of entered_data)


def _is_date(value: str) -> bool:
    return parse_date(value) is not None


# What a reviewer may correct with a decision, keyed as stored.
REVIEW_EDITABLE_FIELDS: dict[str, EditableField] = {
    "issuing_country": EditableField("Issuing country", country_is_valid, True),
    "id_type": EditableField("ID type", lambda v: v in IdType.values, True),
    "name": EditableField("Full name", lambda v: 0 < len(v) <= 200, False),
    "date_of_birth": EditableField("Birth date", _is_date, False),
    "date_of_issue": EditableField("Issue date", _is_date, False),
    "date_of_expiry": EditableField("Expiry date", _is_date, False),
    "document_number": EditableField("Document number", lambda v: 0 < len(v) <= 255, False),
}
# Edits to these re-run the automatic rules (country blacklist, age limit, accepted ID types).
RULE_FIELDS = {"issuing_country", "date_of_birth", "id_type"}


def review_field_value(submission: Submission, key: str) -> str:
    if REVIEW_EDITABLE_FIELDS[key].on_submission:
        return getattr(submission, key)
    return submission.entered_data.get(key, "")


def review_edits_validate(edits: dict[str, str]) -> dict[str, str]:
    """Strip and check each edited value; raises SubmissionError(INVALID_EDIT) naming the bad ones."""
    cleaned = {key: str(value).strip() for key, value in edits.items() if value is not None}
    bad = [key for key, value in cleaned.items()
           if key not in REVIEW_EDITABLE_FIELDS or not REVIEW_EDITABLE_FIELDS[key].validate(value)]
    if bad:
        raise SubmissionError(ReviewErrorCode.INVALID_EDIT, fields=", ".join(sorted(bad)))
    return cleaned


def review_edits_apply(*, submission: Submission, edits: dict[str, str], actor: Actor) -> dict[str, tuple]:
    """Apply validated edits that change something; one audit row with old and new values."""
    changes = {key: (review_field_value(submission, key), value) for key, value in edits.items()
               if review_field_value(submission, key) != value}
    if not changes:
        return {}
    entered = dict(submission.entered_data)
    for key, (_, new) in changes.items():
        if REVIEW_EDITABLE_FIELDS[key].on_submission:
            setattr(submission, key, new)
        else:
            entered[key] = new
    submission.entered_data = entered
    submission.identity_key = submission_identity_key(
        name=entered.get("name", ""),
        date_of_birth=entered.get("date_of_birth", ""),
        issuing_country=submission.issuing_country,
    )
    audit_record(actor=actor, action="edited", submission=submission,
                 before={k: old for k, (old, _) in changes.items()},
                 after={k: new for k, (_, new) in changes.items()})
    return changes


def review_reject_codes_validate(codes: list[str], comment: str) -> list[RejectCode]:
    if not codes:
        raise SubmissionError(ReviewErrorCode.REJECT_CODE_REQUIRED)
    unknown = [code for code in codes if code not in REJECT_CODES_REVIEWER]
    if unknown:
        raise SubmissionError(ReviewErrorCode.INVALID_REJECT_CODE, codes=", ".join(unknown))
    if RejectCode.OTHER in codes and not comment.strip():
        raise SubmissionError(ReviewErrorCode.COMMENT_REQUIRED)
    return [RejectCode(code) for code in dict.fromkeys(codes)]


@transaction.atomic
def review_decide(
    *,
    submission_id: str,
    actor: Actor,
    decision: Decision,
    codes: list[str] | None = None,
    comment: str = "",
    note: str = "",
    edits: dict[str, str] | None = None,
) -> ReviewDecision:
    """Decide one Pending submission, applying the reviewer's edits first.

    Locks the submission row: of two reviewers deciding at once, the second waits and is
    refused with `not_pending`. Edits to the issuing country, birth date or id type re-run
    the project's rules; a rule that now fails rejects with `id_info_blacklist` /
    `id_info_notOfAge` / `invalid_acceptedID`, whatever the reviewer chose.
    """
    cleaned_edits = review_edits_validate(edits or {})
    reject_codes = review_reject_codes_validate(codes or [], comment) if decision == Decision.REJECT else []
    submission = (
        Submission.objects.select_for_update(of=("self",)).select_related("project")
        .filter(submission_id=submission_id).first()
    )
    if submission is None or submission.status != SubmissionStatus.PENDING:
        raise SubmissionError(ReviewErrorCode.NOT_PENDING)
    changes = review_edits_apply(submission=submission, edits=cleaned_edits, actor=actor)
    rule_rejections = (
        rules_evaluate(submission, submission.project, on_review_edit=True) if RULE_FIELDS & changes.keys() else []
    )
    before = {"status": submission.status}
    if rule_rejections:
        decision = Decision.REJECT
        submission.reject(codes=[r.code.value for r in rule_rejections], comments=[r.comment for r in rule_rejections])
        recorded_codes = [r.code.value for r in rule_rejections]
    elif decision == Decision.REJECT:
        comments = [comment.strip() if code == RejectCode.OTHER else code_message(code) for code in reject_codes]
        submission.reject(codes=[c.value for c in reject_codes], comments=comments)
        recorded_codes = [c.value for c in reject_codes]
    else:
        submission.approve()
        recorded_codes = []
    submission.save()
    if submission.status == SubmissionStatus.APPROVED:
        face_descriptor_approve(submission=submission)
    review = ReviewDecision.objects.create(
        submission=submission,
        reviewer=actor.user,
        reviewer_label=actor.label,
        decision=decision,
        reject_codes=recorded_codes,
        comment=comment.strip(),
        internal_note=note.strip(),
        edits={key: new for key, (_, new) in changes.items()},
    )
    audit_record(
        actor=actor,
        action="review_approved" if decision == Decision.APPROVE else "review_rejected",
        submission=submission,
        before=before,
        after={"status": submission.status, "reject_codes": submission.reject_codes, "review_id": review.pk},
    )
    return review


def review_approve(*, submission_id: str, actor: Actor, note: str = "", edits: dict | None = None) -> ReviewDecision:
    return review_decide(submission_id=submission_id, actor=actor, decision=Decision.APPROVE, note=note, edits=edits)


def review_reject(
    *, submission_id: str, actor: Actor, codes: list[str], comment: str = "", note: str = "",
    edits: dict | None = None,
) -> ReviewDecision:
    return review_decide(
        submission_id=submission_id, actor=actor, decision=Decision.REJECT, codes=codes, comment=comment,
        note=note, edits=edits,
    )
