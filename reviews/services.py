"""Reviewer decisions: the only way a Pending submission becomes Approved or Rejected by a person.

The admin, the case page and the review API all call `review_decide` (and, with four-eyes,
`review_confirm` / `review_return`), so the rules, the claims, the audit rows and the race
protection are the same everywhere. Every write locks the submission row first.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from submissions.choices import SubmissionStatus
from submissions.codes import Step2ErrorCode, code_message
from submissions.exceptions import SubmissionError
from submissions.inputs import identity_field_parse
from submissions.models import FaceDescriptor, Submission
from submissions.rules import rules_evaluate
from submissions.services import (
    face_descriptor_approve,
    submission_identity_key,
    submission_lookup_keys_refresh,
    submission_notify,
)
from webhooks.choices import WebhookTrigger

from .choices import Decision, DecisionState, ProjectRole
from .codes import REJECT_CODES_REVIEWER, RejectCode, ReviewErrorCode
from .models import ProjectMembership, ReviewClaim, ReviewDecision


@dataclass(frozen=True)
class EditableField:
    label: str
    on_submission: bool  # a column of Submission (else a key of entered_data)


# What a reviewer may correct with a decision, keyed as stored; each value is checked by
# Step 2's own validator, `identity_field_parse`.
REVIEW_EDITABLE_FIELDS: dict[str, EditableField] = {
    "issuing_country": EditableField("Issuing country", True),
    "id_type": EditableField("ID type", True),
    "name": EditableField("Full name", False),
    "date_of_birth": EditableField("Birth date", False),
    "date_of_issue": EditableField("Issue date", False),
    "date_of_expiry": EditableField("Expiry date", False),
    "document_number": EditableField("Document number", False),
    "identity_number": EditableField("Identity number", False),
    "gender": EditableField("Gender", False),
    "nationality": EditableField("Nationality", False),
}
# Edits to these re-run the automatic rules (country blacklist, age limit, accepted ID types).
RULE_FIELDS = {"issuing_country", "date_of_birth", "id_type"}


def review_field_value(submission: Submission, key: str) -> str:
    if REVIEW_EDITABLE_FIELDS[key].on_submission:
        return getattr(submission, key)
    return submission.entered_data.get(key, "")


def review_edits_validate(edits: dict[str, object]) -> dict[str, str]:
    """Check each edited value as Step 2 checks it; raises SubmissionError(INVALID_EDIT) naming the bad ones.

    None means "not edited". Returns the values as they are stored (stripped, gender canonical).
    """
    cleaned, bad = {}, []
    for key, value in edits.items():
        if value is None:
            continue
        parsed = identity_field_parse(key, value) if key in REVIEW_EDITABLE_FIELDS else None
        if parsed is None:
            bad.append(key)
        else:
            cleaned[key] = parsed
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
    submission_lookup_keys_refresh(submission)
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


def _review_lock(submission_id: str, project=None) -> Submission | None:
    """Lock the submission row (every review write goes through here, so they serialise).

    `project`: the API key's project; a submission of another project is not found.
    """
    submissions = Submission.objects.select_for_update(of=("self",)).select_related("project")
    if project is not None:
        submissions = submissions.filter(project=project)
    return submissions.filter(submission_id=submission_id).first()


def _review_lock_pending(submission_id: str, project=None) -> Submission:
    submission = _review_lock(submission_id, project)
    if submission is None and project is not None:
        raise SubmissionError(Step2ErrorCode.INVALID_SUBMISSION_ID)
    if submission is not None and submission.erased_at is not None:
        raise SubmissionError(Step2ErrorCode.NO_SUBMISSION)  # as every other call on an erased one answers
    if submission is None or submission.status != SubmissionStatus.PENDING:
        raise SubmissionError(ReviewErrorCode.NOT_PENDING)
    return submission


def _review_require_not_claimed_by_other(submission: Submission, actor: Actor) -> None:
    claim = ReviewClaim.objects.filter(submission=submission).select_related("reviewer").first()
    if claim is not None and claim.is_active() and (actor.user is None or claim.reviewer_id != actor.user.pk):
        raise SubmissionError(ReviewErrorCode.CLAIMED, reviewer=claim.reviewer.get_username())


def _review_apply(
    *, submission: Submission, actor: Actor, decision: str, reject_codes: list[RejectCode], comment: str,
    edits: dict[str, str], edit_actor: Actor, review_id: int, messages: dict[str, str],
) -> tuple[str, list[str], dict[str, tuple]]:
    """Edit, re-run the rules, move the submission to its final status, audit it.

    Returns the decision that took effect (a broken rule turns an approval into a rejection),
    the reject codes recorded and the edits that changed something.
    """
    changes = review_edits_apply(submission=submission, edits=edits, actor=edit_actor)
    rule_rejections = (
        rules_evaluate(submission, submission.project, on_review_edit=True) if RULE_FIELDS & changes.keys() else []
    )
    before = {"status": submission.status}
    if rule_rejections:
        decision = Decision.REJECT
        recorded_codes = [r.code.value for r in rule_rejections]
        submission.reject(codes=recorded_codes, comments=[r.comment for r in rule_rejections])
    elif decision == Decision.REJECT:
        comments = [review_client_message(code, comment=comment, messages=messages) for code in reject_codes]
        recorded_codes = [c.value for c in reject_codes]
        submission.reject(codes=recorded_codes, comments=comments)
    else:
        submission.approve()
        recorded_codes = []
    submission.save()
    if submission.status == SubmissionStatus.APPROVED:
        face_descriptor_approve(submission=submission)
    ReviewClaim.objects.filter(submission=submission).delete()
    audit_record(
        actor=actor,
        action="review_approved" if decision == Decision.APPROVE else "review_rejected",
        submission=submission,
        before=before,
        after={"status": submission.status, "reject_codes": submission.reject_codes, "review_id": review_id},
    )
    submission_notify(submission=submission, trigger=submission.status)  # approved / rejected
    return decision, recorded_codes, changes


def review_client_message(code: RejectCode, *, comment: str, messages: dict[str, str]) -> str:
    """What the applicant reads for one reject code: the reviewer's edit, else the table's message.

    'other' has no table message: its text is the reviewer's comment.
    """
    edited = (messages.get(code.value) or "").strip()
    if edited:
        return edited
    return comment.strip() if code == RejectCode.OTHER else code_message(code)


def review_messages_clean(messages: dict[str, str] | None, codes: list[RejectCode]) -> dict[str, str]:
    """Keep only edited messages of the chosen codes that differ from the table's."""
    chosen = {c.value for c in codes}
    return {code: text.strip() for code, text in (messages or {}).items()
            if code in chosen and text and text.strip() and text.strip() != code_message(RejectCode(code))}


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
    messages: dict[str, str] | None = None,
    project=None,
) -> ReviewDecision:
    """Decide one Pending submission, applying the reviewer's edits first.

    Locks the submission row: of two reviewers deciding at once, the second waits and is
    refused with `not_pending`; a case another reviewer holds an active claim on is refused
    with `claimed`. Edits to the issuing country, birth date or id type re-run the project's
    rules; a rule that now fails rejects with `id_info_blacklist` / `id_info_notOfAge` /
    `invalid_acceptedID`, whatever the reviewer chose.

    With the project's four-eyes option the decision is only proposed: nothing changes on the
    submission until another reviewer confirms it (`review_confirm`).
    """
    cleaned_edits = review_edits_validate(edits or {})
    reject_codes = review_reject_codes_validate(codes or [], comment) if decision == Decision.REJECT else []
    client_messages = review_messages_clean(messages, reject_codes)
    submission = _review_lock_pending(submission_id, project)
    _review_require_not_claimed_by_other(submission, actor)
    if ReviewDecision.objects.filter(submission=submission, state=DecisionState.PROPOSED).exists():
        raise SubmissionError(ReviewErrorCode.AWAITING_CONFIRMATION)
    review = ReviewDecision(
        submission=submission, reviewer=actor.user, reviewer_label=actor.label, reviewer_admin=actor.on_behalf_of,
        decision=decision,
        reject_codes=[c.value for c in reject_codes], comment=comment.strip(), internal_note=note.strip(),
        client_messages=client_messages,
    )
    if submission.project.four_eyes_review:
        review.state, review.edits = DecisionState.PROPOSED, cleaned_edits
        review.save()
        # The proposer's claim ends here: the case goes back to the queue for a second reviewer.
        ReviewClaim.objects.filter(submission=submission).delete()
        audit_record(actor=actor, action="review_proposed", submission=submission,
                     after={"decision": decision, "reject_codes": review.reject_codes, "edits": cleaned_edits,
                            "review_id": review.pk})
        return review
    review.save()
    review.decision, review.reject_codes, changes = _review_apply(
        submission=submission, actor=actor, decision=decision, reject_codes=reject_codes,
        comment=comment, edits=cleaned_edits, edit_actor=actor, review_id=review.pk, messages=client_messages,
    )
    review.edits = {key: new for key, (_, new) in changes.items()}
    review.settled_at = submission.decided_at
    review.save()
    return review


def _review_lock_proposal(*, submission_id: str, review_id: int) -> tuple[ReviewDecision, Submission]:
    """Lock the case, then find the open proposal among the case's own decisions.

    The review id comes from a request: resolved inside the submission the caller acts on (which
    the caller has already scoped to the actor's projects), a decision of another case, or of
    another project, is not found.
    """
    submission = _review_lock_pending(submission_id)
    proposal = ReviewDecision.objects.select_related("reviewer").filter(pk=review_id, submission=submission).first()
    if proposal is None:
        raise SubmissionError(ReviewErrorCode.NO_PROPOSAL, http_status=404)  # not a decision of this case
    if proposal.state != DecisionState.PROPOSED:
        raise SubmissionError(ReviewErrorCode.NO_PROPOSAL)
    return proposal, submission


@transaction.atomic
def review_confirm(*, submission_id: str, review_id: int, actor: Actor, note: str = "") -> ReviewDecision:
    """Four-eyes: a second reviewer confirms the proposed decision `review_id` of `submission_id`,
    which then takes effect. Locks the submission row."""
    proposal, submission = _review_lock_proposal(submission_id=submission_id, review_id=review_id)
    if actor.user is None or proposal.reviewer_id == actor.user.pk:
        raise SubmissionError(ReviewErrorCode.OWN_DECISION)
    _review_require_not_claimed_by_other(submission, actor)
    proposer = Actor.for_user(proposal.reviewer) if proposal.reviewer else Actor.system(proposal.reviewer_label)
    decision, recorded_codes, changes = _review_apply(
        submission=submission, actor=actor, decision=proposal.decision,
        reject_codes=[RejectCode(code) for code in proposal.reject_codes], comment=proposal.comment,
        edits=proposal.edits, edit_actor=proposer, review_id=proposal.pk, messages=proposal.client_messages,
    )
    proposal.decision, proposal.reject_codes = decision, recorded_codes
    proposal.edits = {key: new for key, (_, new) in changes.items()}
    proposal.state, proposal.second_reviewer, proposal.second_reviewer_label = (
        DecisionState.CONFIRMED, actor.user, actor.label,
    )
    proposal.second_note, proposal.settled_at = note.strip(), submission.decided_at
    proposal.save()
    audit_record(actor=actor, action="review_confirmed", submission=submission,
                 after={"review_id": proposal.pk, "proposed_by": proposal.reviewer_label})
    return proposal


@transaction.atomic
def review_return(*, submission_id: str, review_id: int, actor: Actor, note: str) -> ReviewDecision:
    """Four-eyes: a second reviewer sends the proposed decision `review_id` of `submission_id` back;
    the case is Pending again. Locks the submission row."""
    if not note.strip():
        raise SubmissionError(ReviewErrorCode.RETURN_NOTE_REQUIRED)
    proposal, submission = _review_lock_proposal(submission_id=submission_id, review_id=review_id)
    if actor.user is None or proposal.reviewer_id == actor.user.pk:
        raise SubmissionError(ReviewErrorCode.OWN_DECISION)
    proposal.state, proposal.second_reviewer, proposal.second_reviewer_label = (
        DecisionState.RETURNED, actor.user, actor.label,
    )
    proposal.second_note, proposal.settled_at = note.strip(), timezone.now()
    proposal.save()
    audit_record(actor=actor, action="review_returned", submission=submission,
                 after={"review_id": proposal.pk, "proposed_by": proposal.reviewer_label, "note": note.strip()})
    return proposal


# -- claims ----------------------------------------------------------------------------


@transaction.atomic
def review_claim(*, submission_id: str, actor: Actor) -> ReviewClaim:
    """Open a case: claim it for the reviewer, or keep their claim alive.

    Two reviewers opening one case at once serialise on the submission row: the first claims
    it, the second is refused with `claimed`. A claim idle longer than the claim timeout is
    taken over. Taking a claim is audited; keeping one alive is not (it happens on every view).
    """
    submission = _review_lock_pending(submission_id)
    claim = ReviewClaim.objects.filter(submission=submission).select_related("reviewer").first()
    now = timezone.now()
    if claim is not None and claim.reviewer_id == actor.user.pk and claim.is_active(now=now):
        claim.last_seen_at = now
        claim.save(update_fields=["last_seen_at"])
        return claim
    if claim is not None and claim.is_active(now=now):
        raise SubmissionError(ReviewErrorCode.CLAIMED, reviewer=claim.reviewer.get_username())
    previous = claim.reviewer.get_username() if claim is not None else None
    claim, _ = ReviewClaim.objects.update_or_create(
        submission=submission, defaults={"reviewer": actor.user, "claimed_at": now, "last_seen_at": now}
    )
    audit_record(actor=actor, action="review_claimed", submission=submission,
                 before={"claimed_by": previous}, after={"claimed_by": actor.label})
    return claim


@transaction.atomic
def review_release(*, submission_id: str, actor: Actor) -> bool:
    """Give a case back to the queue. Only its holder releases it; False when there was nothing to release."""
    released = ReviewClaim.objects.filter(
        submission__submission_id=submission_id, reviewer=actor.user
    ).select_related("submission__project").first()
    if released is None:
        return False
    submission = released.submission
    released.delete()
    audit_record(actor=actor, action="review_released", submission=submission,
                 before={"claimed_by": actor.label}, after={"claimed_by": None})
    return True


def review_approve(*, submission_id: str, actor: Actor, note: str = "", edits: dict | None = None) -> ReviewDecision:
    return review_decide(submission_id=submission_id, actor=actor, decision=Decision.APPROVE, note=note, edits=edits)


def review_reject(
    *, submission_id: str, actor: Actor, codes: list[str], comment: str = "", note: str = "",
    edits: dict | None = None, messages: dict[str, str] | None = None,
) -> ReviewDecision:
    return review_decide(
        submission_id=submission_id, actor=actor, decision=Decision.REJECT, codes=codes, comment=comment,
        note=note, edits=edits, messages=messages,
    )


# -- project roles ---------------------------------------------------------------------


@transaction.atomic
def project_membership_set(*, project, username: str, role: str, actor: Actor) -> ProjectMembership:
    """Give `username` the role `role` in `project` (replacing any other role there), audited."""
    if role not in ProjectRole.values:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ProjectRole.values)}")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValueError(f"no user named {username!r}")
    previous = ProjectMembership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    membership, _ = ProjectMembership.objects.update_or_create(project=project, user=user, defaults={"role": role})
    if previous != role:
        audit_record(actor=actor, action="project_members_changed", project=project,
                     before={username: previous}, after={username: role})
    return membership


# -- edits and status changes over the API (PATCH /v3/submission) --------------------------


def _review_lock_for_edit(submission_id: str, project) -> Submission:
    submission = _review_lock(submission_id, project)
    if submission is None:
        raise SubmissionError(Step2ErrorCode.INVALID_SUBMISSION_ID)
    if submission.erased_at is not None:
        raise SubmissionError(Step2ErrorCode.NO_SUBMISSION)
    return submission


@transaction.atomic
def review_data_edit(*, submission_id: str, actor: Actor, edits: dict[str, str], project=None) -> dict[str, tuple]:
    """Correct a submission's data in any status; one audit row with the old and new values.

    Rules are not re-run here: they are re-applied when a person decides (`review_decide`).
    """
    cleaned = review_edits_validate(edits)
    submission = _review_lock_for_edit(submission_id, project)
    changes = review_edits_apply(submission=submission, edits=cleaned, actor=actor)
    if changes:
        submission.save()
        submission_notify(submission=submission, trigger=WebhookTrigger.UPDATED)
    return changes


@transaction.atomic
def review_status_override(
    *, submission_id: str, actor: Actor, status: str, codes: list[str] | None = None, comment: str = "",
    messages: dict[str, str] | None = None, project=None,
) -> Submission:
    """Change a final status (approved <-> rejected): the audited edit the lifecycle allows.

    Revoking an approval takes reviewer reject codes like a rejection; the face of a revoked
    approval stops counting as an approved face for duplicate checks.
    """
    submission = _review_lock_for_edit(submission_id, project)
    before = {"status": submission.status, "reject_codes": submission.reject_codes}
    if status == submission.status:
        return submission
    if submission.status == SubmissionStatus.APPROVED and status == SubmissionStatus.REJECTED:
        reject_codes = review_reject_codes_validate(codes or [], comment)
        cleaned = review_messages_clean(messages, reject_codes)
        submission.revoke(codes=[c.value for c in reject_codes],
                          comments=[review_client_message(c, comment=comment, messages=cleaned) for c in reject_codes])
        submission.save()
        FaceDescriptor.objects.filter(submission=submission).update(approved_at=None)
    elif submission.status == SubmissionStatus.REJECTED and status == SubmissionStatus.APPROVED:
        submission.reinstate()
        submission.save()
        face_descriptor_approve(submission=submission)
    else:
        raise SubmissionError(ReviewErrorCode.NOT_DECIDED)
    audit_record(actor=actor, action="status_overridden", submission=submission, before=before,
                 after={"status": submission.status, "reject_codes": submission.reject_codes})
    submission_notify(submission=submission, trigger=submission.status)  # approved / rejected
    return submission
