"""Writes on submissions: the only callers of the Submission transitions.

Each public service runs in one transaction (the request's, or its own), locks what it
changes, refuses with a documented code before writing anything, writes an audit row for
every state change, and leaves no stored file behind when it raises.
"""

import hashlib
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import django_fsm as fsm
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import DatabaseError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from audit.services import AUDIT_PERSONAL_KEYS, Actor, audit_record, audit_redact
from reviews.codes import RejectCode
from reviews.models import ReviewClaim, ReviewDecision
from vault.fields import blob_seal
from vault.services import data_key_destroy
from webhooks.choices import WebhookTrigger
from webhooks.services import webhook_event_record, webhook_events_redact

from .bank import BankUnavailable, bank_adapter, bank_code_generate
from .checks import CheckContext, Finding, PipelineOutcome, pipeline_run
from .checks.bank import bank_code_hash
from .choices import ID_TYPE_UNIVERSAL, AddressCollection, FileKind, Step, SubmissionStatus
from .codes import Step1ErrorCode, Step2ErrorCode, code_message
from .exceptions import SubmissionError
from .images import ImageUpload
from .inputs import PreStep2Input, Step1Input, Step2Input
from .models import (
    API_KEY_PREFIX_LENGTH,
    STORED_FILE_CONTEXT,
    ApiKey,
    BankVerification,
    CheckResult,
    FaceDescriptor,
    Project,
    StoredFile,
    Submission,
    api_key_hash,
    lookup_hash,
    stored_file_path,
)
from .names import name_normalise, names_match
from .rules import RuleRejection, rules_evaluate
from .selectors import (
    face_indexes_discard,
    project_list_active,
    project_list_with_retention,
    submission_applicant_statuses,
    submission_current_file,
    submission_identity_is_approved,
    submission_list_erased_pending_ids,
    submission_list_expirable_ids,
    submission_list_retention_ids,
    submission_list_timeout_ids,
)

logger = logging.getLogger(__name__)
FINAL_STATUSES = (SubmissionStatus.APPROVED, SubmissionStatus.REJECTED)

AUTOMATED_ONLY_COMMENT = "Automated processing could not approve this submission."


@dataclass
class StepAnswer:
    """What a step answers: the submission as it now is, and the retries to show, if any."""

    submission: Submission
    retry: list[Finding] = field(default_factory=list)


# -- applicants ----------------------------------------------------------------------


def submission_lock_applicant(*, project: Project, email: str) -> None:
    """Serialise the guards of one applicant (project + email) until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock on a hash of the pair, so two requests
    for the same email cannot both pass the pending/period guards. SQLite: every write
    transaction is already exclusive (IMMEDIATE), which serialises the same way.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"{project.pk}:{email}"])


def submission_guard_applicant(
    *, project: Project, email: str, custom_options: dict, codes: type, exclude_pk: int | None = None
) -> None:
    """Refuse an email that is pending review, or approved/rejected within the project's periods.

    `codes` is the step's error family (Step1ErrorCode or Step2ErrorCode); `reviewing`
    exists at Step 1 only, where a new submission would be created.
    """
    now = timezone.now()
    approved_days = project.approved_period_days if custom_options.get("approvePeriod", True) else 0
    rejected_days = project.rejected_period_days if custom_options.get("rejectPeriod", True) else 0
    statuses = submission_applicant_statuses(
        project=project,
        email=email,
        approved_since=now - timedelta(days=approved_days) if approved_days else None,
        rejected_since=now - timedelta(days=rejected_days) if rejected_days else None,
        exclude_pk=exclude_pk,
    )
    if SubmissionStatus.PENDING in statuses and codes is Step1ErrorCode:
        raise SubmissionError(Step1ErrorCode.REVIEWING, email=email)
    if SubmissionStatus.APPROVED in statuses:
        raise SubmissionError(codes.PROCESSED_SUBMISSION, variant="approved_period", email=email)
    if SubmissionStatus.REJECTED in statuses:
        raise SubmissionError(codes.REJECTED_SUBMISSION, email=email)


def submission_identity_key(*, name: str, date_of_birth: str, issuing_country: str) -> str:
    """Keyed hash of the normalised identity: equal people give equal keys, the table leaks none."""
    return lookup_hash(f"{name_normalise(name)}|{date_of_birth}|{issuing_country}")


def submission_lookup_key(kind: str, value: str) -> str:
    """Keyed hash for an exact lookup by `kind` ("name" or "document"); "" for an empty value.

    Names compare case-, accent- and punctuation-insensitively; document numbers ignore case,
    spaces and dashes, as reviewers type them.
    """
    normalised = name_normalise(value or "")
    return lookup_hash(f"{kind}|{normalised}") if normalised else ""


def submission_lookup_keys_refresh(submission: Submission) -> None:
    """Recompute the name and document-number lookup keys from the submission's data."""
    entered, extracted = submission.entered_data or {}, submission.extracted_data or {}
    name = entered.get("name") or extracted.get("name") or ""
    number = extracted.get("document_number") or entered.get("document_number") or ""
    submission.name_key = submission_lookup_key("name", name)
    submission.document_key = submission_lookup_key("document", number)


# -- files ---------------------------------------------------------------------------


@contextmanager
def stored_files_guard() -> Iterator[list[str]]:
    """Collect the storage names written inside; delete them all if the block raises."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            try:
                default_storage.delete(name)
            except Exception:  # noqa: BLE001 - cleanup must not hide the original error
                logger.exception("could not delete %s after a failed request", name)
        raise


# A killed worker runs no cleanup: before an image is written, a marker naming it is written here;
# the marker goes once the row commits, and `stored_file_reap` handles the markers left behind.
STORED_FILE_PENDING_DIR = "pending-uploads"


def stored_file_pending_marker(name: str) -> str:
    return f"{STORED_FILE_PENDING_DIR}/{hashlib.sha256(name.encode()).hexdigest()}"


def _stored_file_write(*, name: str, sealed: bytes) -> str:
    """The marker, then the image, both under the exact name the row will hold."""
    marker = stored_file_pending_marker(name)
    if default_storage.save(marker, ContentFile(name.encode())) != marker:
        raise OSError(f"storage renamed the marker of {name}")
    saved = default_storage.save(name, ContentFile(sealed))
    if saved != name:
        default_storage.delete(saved)
        raise OSError(f"storage renamed {name} to {saved}")
    return marker


def _stored_file_markers_clear(markers: list[str]) -> None:
    for marker in markers:
        try:
            default_storage.delete(marker)
        except Exception:  # noqa: BLE001 - the row is committed; the reaper removes a stale marker
            logger.warning("could not delete the upload marker %s", marker, exc_info=True)


def submission_files_store(
    *, submission: Submission, uploads: dict[str, ImageUpload], written: list[str], error_code
) -> list[StoredFile]:
    """Save the uploads and supersede older files of the same kinds (kept, never overwritten).

    Every name written (markers and images) is appended to `written` for `stored_files_guard`;
    the markers are deleted once the caller's transaction commits.
    """
    now = timezone.now()
    StoredFile.objects.filter(submission=submission, kind__in=list(uploads), superseded_at__isnull=True).update(
        superseded_at=now
    )
    stored, markers = [], []
    for kind, upload in uploads.items():
        record = StoredFile(
            submission=submission,
            kind=kind,
            sha256=upload.sha256,
            content_type=upload.content_type,
            width=upload.width,
            height=upload.height,
            byte_size=upload.byte_size,
            created_at=now,
        )
        name = stored_file_path(record, upload.extension)
        try:
            # The stored bytes: the image without what a client appended or embedded (images.py).
            sealed = blob_seal(upload.stored_data, key_id=submission.data_key_id, context=STORED_FILE_CONTEXT)
            written.append(stored_file_pending_marker(name))
            markers.append(_stored_file_write(name=name, sealed=sealed))
        except Exception as exc:
            logger.exception("storage refused the %s image of %s", kind, submission.submission_id)
            raise SubmissionError(error_code) from exc
        written.append(name)
        record.file.name = name
        stored.append(record)
    StoredFile.objects.bulk_create(stored)
    transaction.on_commit(lambda: _stored_file_markers_clear(markers))
    return stored


def stored_file_reap(*, older_than: timedelta | None = None) -> int:
    """Delete the images that a killed request wrote and never committed a row for; returns how many.

    A marker older than `older_than` (KYC_STORED_FILE_REAP_AFTER: longer than any request) belongs to
    a request that is over: its image is deleted unless a StoredFile row names it, then the marker
    goes. Caller holds no lock; safe to run twice at once (a delete of a missing name is a no-op).
    """
    cutoff = timezone.now() - (older_than if older_than is not None else settings.KYC_STORED_FILE_REAP_AFTER)
    try:
        _, names = default_storage.listdir(STORED_FILE_PENDING_DIR)
    except FileNotFoundError:
        return 0
    reaped = 0
    for marker in (f"{STORED_FILE_PENDING_DIR}/{name}" for name in names):
        try:
            if default_storage.get_modified_time(marker) > cutoff:
                continue
            with default_storage.open(marker, "rb") as handle:
                name = handle.read(1024).decode()
        except FileNotFoundError:
            continue  # another reaper, or the request's own commit, took it
        except UnicodeDecodeError:
            name = ""  # killed while the marker itself was written: no image yet
        if name and marker == stored_file_pending_marker(name) and not StoredFile.objects.filter(file=name).exists():
            default_storage.delete(name)
            reaped += 1
            logger.info("reaped %s: written by a request that never committed", name)
        default_storage.delete(marker)
    return reaped


# -- checks and retries --------------------------------------------------------------


def submission_checks_record(*, submission: Submission, step: Step, outcome: PipelineOutcome) -> None:
    CheckResult.objects.bulk_create(
        CheckResult(
            submission=submission,
            step=step,
            attempt=submission.retry_count,
            check_name=run.check_name,
            outcome=run.outcome,
            code=run.finding.code.value if run.finding else "",
            message=code_message(run.finding.code, run.finding.variant, **run.finding.params) if run.finding else "",
            score=run.report.score,
            threshold=run.report.threshold,
            evidence=run.report.evidence,
            duration_ms=round(run.duration_ms, 3),
        )
        for run in outcome.runs
    )


def _submission_reject(
    *, submission: Submission, rejections: list[RuleRejection], actor: Actor, action: str
) -> None:
    before = {"status": submission.status}
    submission.reject(codes=[r.code.value for r in rejections], comments=[r.comment for r in rejections])
    submission.save()
    audit_record(
        actor=actor,
        action=action,
        submission=submission,
        before=before,
        after={"status": submission.status, "reject_codes": submission.reject_codes},
    )
    submission_notify(submission=submission, trigger=WebhookTrigger.REJECTED)


def submission_retry_record(
    *, submission: Submission, step: Step, findings: list[Finding], actor: Actor
) -> None:
    """Count one retry; at the project's limit the submission is rejected with too_many_retry."""
    submission.retry()
    submission.save()
    audit_record(
        actor=actor,
        action=f"{step}_retry",
        submission=submission,
        after={"retry_count": submission.retry_count, "retry_codes": [f.code.value for f in findings]},
    )
    submission_notify(submission=submission, trigger=WebhookTrigger.RETRY, retry=findings)
    if not submission.has_retries_left():
        rejection = RuleRejection(RejectCode.TOO_MANY_RETRY, code_message(RejectCode.TOO_MANY_RETRY))
        _submission_reject(
            submission=submission, rejections=[rejection], actor=Actor.system("retry limit"), action="auto_rejected"
        )


def _submission_lock(*, project: Project, submission_id: str) -> Submission:
    submission = (
        Submission.objects.select_for_update(of=("self",))
        .filter(project=project, submission_id=submission_id)
        .first()
    )
    if submission is None:
        raise SubmissionError(Step2ErrorCode.INVALID_SUBMISSION_ID)
    submission.project = project
    return submission


def _submission_require_open(submission: Submission) -> None:
    """The state rules shared by Step 1 retries, PreStep2 and Step 2."""
    if submission.erased_at is not None:
        raise SubmissionError(Step2ErrorCode.NO_SUBMISSION)
    if submission.status != SubmissionStatus.INCOMPLETE:
        raise SubmissionError(Step2ErrorCode.PROCESSED_SUBMISSION)
    if not submission.is_within_validity():
        raise SubmissionError(Step2ErrorCode.EXCEEDED_72HOUR_LIMIT)


# -- Step 1 --------------------------------------------------------------------------


def _step1_check_id_type_rules(project: Project, data: Step1Input) -> None:
    universal = data.id_type == ID_TYPE_UNIVERSAL
    if universal and data.issuing_country == "KOR":
        raise SubmissionError(Step1ErrorCode.INVALID_IDTYPE, variant="korea")
    if universal and not project.universal_id:
        raise SubmissionError(Step1ErrorCode.INVALID_IDTYPE)
    # Korean IDs cannot use universal mode, so a specific type stays valid for them.
    if not universal and project.universal_id and data.issuing_country != "KOR":
        raise SubmissionError(Step1ErrorCode.INVALID_IDTYPE, variant="specific_with_universal")
    if universal and data.id_back_image is None:
        raise SubmissionError(Step1ErrorCode.MISSING_PARAMETERS, variant="universal_back_image")


def _step1_submission_for_retry(*, project: Project, data: Step1Input) -> Submission:
    submission = _submission_lock(project=project, submission_id=data.submission_id)
    if submission.email != data.email:
        raise SubmissionError(Step2ErrorCode.INVALID_SUBMISSION_ID)
    _submission_require_open(submission)
    if submission.is_step1_complete():
        raise SubmissionError(Step1ErrorCode.PROCESSED_SUBMISSION)
    submission.issuing_country = data.issuing_country
    submission.requested_id_type = data.id_type
    submission.id_type = "" if data.id_type == ID_TYPE_UNIVERSAL else data.id_type
    return submission


def _step1_submission_create(*, project: Project, data: Step1Input, client_ip: str | None) -> Submission:
    # Unlocked: refuses early, before any file is stored or check run, with the answer the
    # locked re-check (_step1_applicant_recheck) would give. The new row guards nothing another
    # request reads (guards look at Pending and decided rows only), so the insert needs no lock either.
    submission_guard_applicant(
        project=project, email=data.email, custom_options=data.custom_options, codes=Step1ErrorCode
    )
    return Submission.objects.create(
        project=project,
        email=data.email,
        userid=data.userid,
        cf1=data.cf1,
        cf2=data.cf2,
        cf3=data.cf3,
        client_ip=client_ip,
        requested_id_type=data.id_type,
        id_type="" if data.id_type == ID_TYPE_UNIVERSAL else data.id_type,
        issuing_country=data.issuing_country,
        custom_options=data.custom_options,
    )


def _step1_applicant_recheck(*, project: Project, data: Step1Input, submission: Submission) -> None:
    """The applicant guard again, under the applicant lock, as the last thing before the commit.

    The lock is then held only from here to the commit (it is transaction-scoped), not through the
    checks: parallel Step 1 requests of one email run their checks side by side. Step 2 makes a
    submission Pending under the same lock, so whichever commits first is seen by the other.
    """
    submission_lock_applicant(project=project, email=data.email)
    submission_guard_applicant(
        project=project, email=data.email, custom_options=data.custom_options, codes=Step1ErrorCode,
        exclude_pk=submission.pk,
    )


def submission_step1(*, project: Project, actor: Actor, data: Step1Input, client_ip: str | None = None) -> StepAnswer:
    """Create a submission (or retry its Step 1) and run the document checks.

    Caller holds the request transaction and commits it soon after this returns; an error leaves
    no row and no file behind. A new submission's applicant guard is re-checked at the end, under
    the applicant lock (see `_step1_applicant_recheck`).
    """
    _step1_check_id_type_rules(project, data)
    if data.submission_id:
        submission = _step1_submission_for_retry(project=project, data=data)
        created = False
    else:
        submission = _step1_submission_create(project=project, data=data, client_ip=client_ip)
        created = True
    with stored_files_guard() as written:  # also deletes the files when the re-check refuses
        answer = _step1_checks_run(project=project, actor=actor, data=data, submission=submission,
                                   created=created, written=written)
        if created:
            _step1_applicant_recheck(project=project, data=data, submission=submission)
    return answer


def _step1_checks_run(
    *, project: Project, actor: Actor, data: Step1Input, submission: Submission, created: bool, written: list[str]
) -> StepAnswer:
    """Store the images, run the checks and record their outcome (retry or Step 1 complete)."""
    uploads = {FileKind.ID_FRONT: data.id_image}
    if data.id_back_image is not None:
        uploads[FileKind.ID_BACK] = data.id_back_image
    submission_files_store(
        submission=submission, uploads=uploads, written=written, error_code=Step1ErrorCode.SAVE_IMAGE_ERROR
    )
    ctx = CheckContext(submission=submission, project=project, step=Step.STEP1, images=uploads)
    outcome = pipeline_run(ctx)
    if outcome.error is not None:
        raise outcome.error
    submission_checks_record(submission=submission, step=Step.STEP1, outcome=outcome)
    if created:
        audit_record(actor=actor, action="created", submission=submission,
                     after={"status": submission.status, "email": submission.email})
        submission_notify(submission=submission, trigger=WebhookTrigger.CREATED)
    if outcome.retry:
        submission_retry_record(submission=submission, step=Step.STEP1, findings=outcome.retry, actor=actor)
        return StepAnswer(submission=submission, retry=outcome.retry)
    submission.extracted_data = {**submission.extracted_data, **ctx.extracted}
    submission_lookup_keys_refresh(submission)
    if not submission.id_type and ctx.extracted.get("id_type"):
        submission.id_type = ctx.extracted["id_type"]
    submission.complete_step1()
    submission.save()
    audit_record(actor=actor, action="step1_completed", submission=submission,
                 after={"id_type": submission.id_type, "issuing_country": submission.issuing_country})
    return StepAnswer(submission=submission)


# -- PreStep2 ------------------------------------------------------------------------


def _account_mask(account_number: str) -> str:
    return "*" * (len(account_number) - 4) + account_number[-4:]


def submission_prestep2(*, project: Project, actor: Actor, data: PreStep2Input) -> Submission:
    """Ask the bank to deposit 1 won with a fresh code; a repeat replaces the previous code."""
    if not project.account_occupancy_kor:
        raise SubmissionError(Step2ErrorCode.INVALID_BANK_AUTHENTICATION)
    submission = _submission_lock(project=project, submission_id=data.submission_id)
    _submission_require_open(submission)
    if not submission.is_step1_complete():
        raise SubmissionError(Step2ErrorCode.INVALID_SUBMISSION_ID)
    code = bank_code_generate()
    try:
        deposit = bank_adapter().deposit_one_won(
            bank_code=data.bank_code,
            account_number=data.account_number,
            depositor_text=f"KYC{code}",
            user_name=data.user_name,
        )
    except BankUnavailable as exc:
        logger.warning("bank deposit failed for %s: %s", submission.submission_id, exc)
        raise SubmissionError(Step2ErrorCode.UNEXPECTED_ERROR) from exc
    now = timezone.now()
    BankVerification.objects.update_or_create(
        submission=submission,
        defaults={
            "bank_code": data.bank_code,
            "account_number_masked": _account_mask(data.account_number),
            "account_number_hash": lookup_hash(f"account|{data.bank_code}|{data.account_number}"),
            "user_name": data.user_name,
            "account_holder_name": deposit.account_holder_name,
            "code_hash": bank_code_hash(submission_id=submission.submission_id, code=code),
            "provider_reference": deposit.reference,
            "deposited_at": now,
            "expires_at": now + settings.KYC_BANK_CODE_TTL,
        },
    )
    submission.complete_prestep2()
    submission.save()
    audit_record(actor=actor, action="prestep2_deposited", submission=submission,
                 after={"bank_code": data.bank_code, "account": _account_mask(data.account_number)})
    return submission


# -- Step 2 --------------------------------------------------------------------------


def _step2_check_request_rules(*, project: Project, submission: Submission, data: Step2Input) -> None:
    if not submission.is_step1_complete():
        raise SubmissionError(Step2ErrorCode.INVALID_SUBMISSION_ID)
    front = submission_current_file(submission=submission, kind=FileKind.ID_FRONT)
    if front is None or not default_storage.exists(front.file.name):
        raise SubmissionError(Step2ErrorCode.NO_SUBMISSION)
    if not submission.id_type and not data.fields.get("idType"):
        raise SubmissionError(Step2ErrorCode.INVALID_IDTYPE)
    wants_data = project.address_collection in (AddressCollection.ADDRESS, AddressCollection.BOTH)
    wants_image = project.address_collection in (AddressCollection.IMAGE, AddressCollection.BOTH)
    if (wants_data and not data.has_address) or (wants_image and data.address_image is None):
        raise SubmissionError(Step2ErrorCode.MISSING_ADDRESS)
    if project.account_occupancy_kor:
        if not data.fields.get("userOccupancyName") or not data.fields.get("userOccupancyCode"):
            raise SubmissionError(Step2ErrorCode.MISSING_REQUIRED_FIELD)
        verification = BankVerification.objects.filter(submission=submission).first()
        if verification is None or verification.expires_at < timezone.now():
            raise SubmissionError(Step2ErrorCode.INVALID_BANK_AUTHENTICATION)
        if not names_match(verification.user_name, data.name):
            raise SubmissionError(Step2ErrorCode.BANK_AUTHENTICATION_FAIL)


def face_descriptor_store(*, submission: Submission, project: Project, vector, identity_key: str) -> None:
    """Keep the selfie's descriptor for face duplicate verification (searched once approved).

    In a savepoint: a failed write answers face_validation_error ("Fail to add face image to
    collection.") and the request's transaction rolls back as a whole.
    """
    try:
        with transaction.atomic():
            FaceDescriptor.objects.update_or_create(
                submission=submission,
                defaults={"project": project, "identity_key": identity_key, "vector": vector.astype("<f4").tobytes()},
            )
    except DatabaseError as exc:
        raise SubmissionError(Step2ErrorCode.FACE_VALIDATION_ERROR, variant="index_add") from exc


def face_descriptor_approve(*, submission: Submission) -> None:
    """An approved submission's face becomes searchable by later applicants."""
    FaceDescriptor.objects.filter(submission=submission).update(approved_at=submission.decided_at or timezone.now())


def submission_decide_automatically(
    *, submission: Submission, project: Project, score: float | None, face_duplicates: list | None = None
) -> None:
    """After a successful Step 2: the reject rules, then auto-approval, else Pending review."""
    system = Actor.system("automatic rules")
    rejections = rules_evaluate(submission, project)
    if project.reject_duplicate_user and submission_identity_is_approved(
        project=project, identity_key=submission.identity_key, exclude_pk=submission.pk
    ):
        rejections.append(RuleRejection(RejectCode.DUPLICATE_USER, code_message(RejectCode.DUPLICATE_USER)))
    if project.face_duplicate_verification and len(face_duplicates or []) >= project.face_duplicate_limit:
        rejections.append(RuleRejection(RejectCode.DUPLICATED_FACE, code_message(RejectCode.DUPLICATED_FACE)))
    if rejections:
        _submission_reject(submission=submission, rejections=rejections, actor=system, action="auto_rejected")
        return
    if project.auto_approve_score is not None and score is not None and score >= project.auto_approve_score:
        submission.approve()
        submission.save()
        face_descriptor_approve(submission=submission)
        audit_record(actor=system, action="auto_approved", submission=submission,
                     before={"status": SubmissionStatus.PENDING}, after={"status": submission.status, "score": score})
        submission_notify(submission=submission, trigger=WebhookTrigger.APPROVED)
        return
    if project.automated_processing_only:
        rejection = RuleRejection(RejectCode.OTHER, AUTOMATED_ONLY_COMMENT)
        _submission_reject(submission=submission, rejections=[rejection], actor=system, action="auto_rejected")


def submission_step2(*, project: Project, actor: Actor, data: Step2Input) -> StepAnswer:
    """Selfie, identity data, address and bank code: run the Step 2 checks, then decide.

    Caller holds the request transaction. The submission row is locked first, so of
    concurrent Step 2 requests one proceeds and the others see it already processed.
    """
    submission = _submission_lock(project=project, submission_id=data.submission_id)
    _submission_require_open(submission)
    _step2_check_request_rules(project=project, submission=submission, data=data)
    submission_lock_applicant(project=project, email=submission.email)
    submission_guard_applicant(
        project=project,
        email=submission.email,
        custom_options=submission.custom_options,
        codes=Step2ErrorCode,
        exclude_pk=submission.pk,
    )
    uploads = {FileKind.SELFIE: data.face_image}
    if data.address_image is not None:
        uploads[FileKind.ADDRESS] = data.address_image
    entered = {"name": data.name, "date_of_birth": data.date_of_birth.isoformat(), **data.fields}
    entered.pop("userOccupancyCode", None)  # a one-time secret, checked and not kept
    with stored_files_guard() as written:
        submission_files_store(
            submission=submission, uploads=uploads, written=written, error_code=Step2ErrorCode.UNEXPECTED_ERROR
        )
        ctx = CheckContext(
            submission=submission, project=project, step=Step.STEP2, images=uploads,
            # Typed values last: `fields` also carries the raw date_of_birth string.
            data={**data.fields, "name": data.name, "date_of_birth": data.date_of_birth},
        )
        outcome = pipeline_run(ctx)
        if outcome.error is not None:
            raise outcome.error
        submission_checks_record(submission=submission, step=Step.STEP2, outcome=outcome)
        if outcome.retry:
            submission_retry_record(submission=submission, step=Step.STEP2, findings=outcome.retry, actor=actor)
            return StepAnswer(submission=submission, retry=outcome.retry)
        if not submission.id_type:
            submission.id_type = data.fields["idType"]
        submission.entered_data = entered
        submission.extracted_data = {**submission.extracted_data, **ctx.extracted}
        submission.identity_key = submission_identity_key(
            name=data.name, date_of_birth=entered["date_of_birth"], issuing_country=submission.issuing_country
        )
        submission_lookup_keys_refresh(submission)
        submission.overall_score = outcome.score
        submission.submit()
        submission.save()
        duplicate = ctx.cache.get("face_duplicate")
        if duplicate is not None:
            face_descriptor_store(submission=submission, project=project, vector=duplicate["vector"],
                                  identity_key=duplicate["identity_key"])
        audit_record(actor=actor, action="submitted", submission=submission,
                     before={"status": SubmissionStatus.INCOMPLETE}, after={"status": submission.status})
        submission_notify(submission=submission, trigger=WebhookTrigger.SUBMIT)
        submission_decide_automatically(submission=submission, project=project, score=outcome.score,
                                        face_duplicates=duplicate["matches"] if duplicate else None)
    return StepAnswer(submission=submission)


# -- scheduled sweep -----------------------------------------------------------------


@transaction.atomic
def submission_timeout(*, submission_pk: int) -> bool:
    """Reject one Incomplete submission that has a retry and no progress for the project's timeout.

    Locks the row (skipping it if another sweep holds it) and re-checks the condition,
    so running twice, or twice at once, rejects once. Returns whether it rejected.
    """
    submission = (
        Submission.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("project")
        .filter(pk=submission_pk)
        .first()
    )
    if submission is None or submission.status != SubmissionStatus.INCOMPLETE or submission.retry_count < 1:
        return False
    cutoff = timezone.now() - timedelta(hours=submission.project.incomplete_timeout_hours)
    if submission.last_activity_at >= cutoff or not fsm.can_proceed(submission.reject):
        return False
    rejection = RuleRejection(RejectCode.TIMEOUT, code_message(RejectCode.TIMEOUT))
    _submission_reject(
        submission=submission, rejections=[rejection], actor=Actor.system("validity sweep"), action="timed_out"
    )
    return True


@transaction.atomic
def submission_expire(*, submission_pk: int) -> bool:
    """Mark one Incomplete submission past its validity window as expired. Idempotent."""
    submission = (
        Submission.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("project")
        .filter(pk=submission_pk)
        .first()
    )
    if submission is None or submission.status != SubmissionStatus.INCOMPLETE or submission.expired_at:
        return False
    if timezone.now() <= submission.validity_deadline():
        return False
    submission.expired_at = timezone.now()
    submission.save(update_fields=["expired_at", "updated_at"])
    audit_record(actor=Actor.system("validity sweep"), action="expired", submission=submission,
                 after={"expired_at": submission.expired_at.isoformat()})
    return True


@dataclass
class SweepReport:
    timed_out: int = 0
    expired: int = 0
    erased: int = 0
    erasure_rejected: int = 0


def submission_retention_erase(*, submission_pk: int) -> bool:
    """Erase one decided submission past its project's retention period; False if it is not (any more)."""
    submission = Submission.objects.select_related("project").filter(pk=submission_pk).first()
    if submission is None or submission.erased_at is not None or submission.project.retention_days is None:
        return False
    cutoff = timezone.now() - timedelta(days=submission.project.retention_days)
    if submission.status not in FINAL_STATUSES or submission.decided_at is None or submission.decided_at >= cutoff:
        return False
    submission_erase(project=submission.project, submission_id=submission.submission_id,
                     actor=Actor.system("retention"))
    return True


def _sweep_row(service, pk: int) -> bool:
    # One broken row must not stop the sweep for every row and project after it.
    try:
        return service(submission_pk=pk)
    except Exception:
        logger.exception("sweep: %s failed on submission pk=%s", service.__name__, pk)
        return False


def _sweep_kind(*, list_ids, service, project: Project, cutoff) -> int:
    done, after_pk, limit = 0, 0, settings.KYC_SWEEP_BATCH_SIZE
    for _ in range(settings.KYC_SWEEP_MAX_BATCHES):
        ids = list_ids(project=project, cutoff=cutoff, after_pk=after_pk, limit=limit)
        done += sum(_sweep_row(service, pk) for pk in ids)
        if len(ids) < limit:
            break  # a short batch is the last: no empty query per project and kind
        after_pk = ids[-1]
    return done


def submission_sweep() -> SweepReport:
    """Time out and expire stale Incomplete submissions of every active project, end the Pending
    ones an older version erased without deciding, and erase the decided submissions of every
    project past its retention period.

    Memory stays constant: ids are read in keyset batches and each row is handled in its
    own short transaction. Caller holds no transaction.
    """
    report = SweepReport()
    now = timezone.now()
    for project in project_list_active():
        report.timed_out += _sweep_kind(
            list_ids=submission_list_timeout_ids, service=submission_timeout, project=project,
            cutoff=now - timedelta(hours=project.incomplete_timeout_hours),
        )
        report.expired += _sweep_kind(
            list_ids=submission_list_expirable_ids, service=submission_expire, project=project,
            cutoff=now - timedelta(hours=project.submission_validity_hours),
        )
        report.erasure_rejected += _sweep_kind(
            list_ids=submission_list_erased_pending_ids, service=submission_erased_end, project=project, cutoff=now,
        )
    # Retention binds closed projects too: their data must go all the same.
    for project in project_list_with_retention():
        report.erased += _sweep_kind(
            list_ids=submission_list_retention_ids, service=submission_retention_erase, project=project,
            cutoff=now - timedelta(days=project.retention_days),
        )
    return report


# -- projects and keys ---------------------------------------------------------------


def api_key_create(*, project: Project, name: str = "default") -> tuple[ApiKey, str]:
    """Create a key; the raw key is returned once and never stored."""
    while True:
        prefix = secrets.token_hex(API_KEY_PREFIX_LENGTH // 2)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    raw_key = f"kyc_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(project=project, name=name, prefix=prefix, key_hash=api_key_hash(raw_key))
    return api_key, raw_key


def project_options_apply(*, project: Project, options: dict[str, object]) -> dict[str, tuple]:
    """Set options by key and validate the whole project; returns {key: (old, new)}.

    Raises django.core.exceptions.ValidationError naming the bad option.
    """
    changes = {}
    for key, value in options.items():
        if key not in Project.OPTION_KEYS:
            raise ValidationError({key: f"unknown option; known: {', '.join(Project.OPTION_KEYS)}"})
        old = getattr(project, key)
        setattr(project, key, value)
        if old != value:
            changes[key] = (old, value)
    project.full_clean()
    return changes


@transaction.atomic
def project_create(*, name: str, options: dict[str, object], actor: Actor) -> tuple[Project, str]:
    project = Project(name=name)
    project_options_apply(project=project, options=options)
    project.save()
    _, raw_key = api_key_create(project=project)
    audit_record(actor=actor, action="project_created", project=project, after={"name": name, **project.options()})
    return project, raw_key


@transaction.atomic
def project_set_options(*, project: Project, options: dict[str, object], actor: Actor) -> Project:
    project = Project.objects.select_for_update().get(pk=project.pk)
    changes = project_options_apply(project=project, options=options)
    if not changes:
        return project
    project.save()
    audit_record(actor=actor, action="project_options_changed", project=project,
                 before={k: old for k, (old, _) in changes.items()}, after={k: new for k, (_, new) in changes.items()})
    return project


@transaction.atomic
def project_rotate_key(*, project: Project, actor: Actor) -> str:
    """Revoke every active key of the project and issue a new one."""
    # The project row lock serialises rotations: two at once cannot leave two live keys.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    revoked = project.api_keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key, raw_key = api_key_create(project=project)
    audit_record(actor=actor, action="api_key_rotated", project=project,
                 after={"revoked": revoked, "new_prefix": api_key.prefix})
    return raw_key


@transaction.atomic
def project_close(*, project: Project, actor: Actor) -> Project:
    project = Project.objects.select_for_update().get(pk=project.pk)
    before = project.status
    project.status = "closed"
    project.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="project_closed", project=project, before={"status": before},
                 after={"status": project.status})
    return project


# -- erasure (DELETE /v3/submission, the retention job) ------------------------------

# DELETE /v3/submission/partial `fields` -> what each erases.
ERASABLE_PARTS: dict[str, tuple[str, ...]] = {
    "id_image": (FileKind.ID_FRONT, FileKind.ID_BACK),
    "selfie_image": (FileKind.SELFIE,),
    "address_image": (FileKind.ADDRESS,),
    "data": (),
}


def _erase_files(submission: Submission, kinds: tuple[str, ...]) -> int:
    """Delete the stored objects first, then their rows; a storage failure leaves the rows to retry."""
    files = list(StoredFile.objects.filter(submission=submission, kind__in=kinds))
    for stored in files:
        default_storage.delete(stored.file.name)
    StoredFile.objects.filter(pk__in=[f.pk for f in files]).delete()
    return len(files)


def _erase_data(submission: Submission, actor: Actor) -> None:
    submission.entered_data, submission.extracted_data = {}, {}
    submission.email = ""
    submission.userid = submission.cf1 = submission.cf2 = submission.cf3 = ""
    submission.client_ip = None
    submission.identity_key = submission.name_key = submission.document_key = ""
    # Evidence holds what the checks read (names, numbers, decoded barcodes); scores and codes stay.
    CheckResult.objects.filter(submission=submission).update(evidence={}, message="")
    BankVerification.objects.filter(submission=submission).delete()
    # Notes are free text about the applicant; the decision's codes and its message to them stay.
    ReviewDecision.objects.filter(submission=submission).update(edits={}, internal_note="", second_note=None)
    webhook_events_redact(submission=submission)
    # The audit rows keep their place in the tamper-evident chain: the values are blanked and a
    # chained `audit_redacted` event proves which rows were, and that nothing else changed.
    audit_redact(submission=submission, keys=AUDIT_PERSONAL_KEYS, actor=actor)


# Erasing an undecided submission ends it: the evidence a decision would rest on is gone, so
# nobody may approve it afterwards. `other` is the table's free-text code; this is its text.
ERASED_UNDECIDED_COMMENT = "The submission's data was erased before a decision."


def _submission_end_erased(submission: Submission) -> None:
    """Reject an undecided submission whose data is erased: by the system, audited, out of the queue."""
    rejection = RuleRejection(RejectCode.OTHER, ERASED_UNDECIDED_COMMENT)
    _submission_reject(submission=submission, rejections=[rejection], actor=Actor.system("erasure"),
                       action="erasure_rejected")
    ReviewClaim.objects.filter(submission=submission).delete()


@transaction.atomic
def submission_erased_end(*, submission_pk: int) -> bool:
    """End one Pending submission that was erased before erasure ended undecided ones. Idempotent.

    The sweep's catch-up for rows an older version left Pending; locks the row (skipping it if
    another sweep holds it) and re-checks. Returns whether it rejected.
    """
    submission = (
        Submission.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("project")
        .filter(pk=submission_pk)
        .first()
    )
    if submission is None or submission.erased_at is None or submission.status != SubmissionStatus.PENDING:
        return False
    _submission_end_erased(submission)
    return True


@transaction.atomic
def submission_erase(*, project: Project, submission_id: str, actor: Actor, parts: tuple[str, ...] | None = None
                     ) -> Submission:
    """Erase personal data and images; keep the id, dates, id type, country and status.

    `parts` (keys of ERASABLE_PARTS) erases only those; None erases everything and marks the
    submission erased (later calls for it answer `no_submission`, this one included: a second
    erasure changes nothing and writes no audit row). Face descriptors go with the selfie: the
    face can no longer match anyone. An Incomplete or Pending submission is rejected by the
    system with `other` (ERASED_UNDECIDED_COMMENT), audited, after its data is gone: it leaves
    the review queue and can no longer be decided. Locks the row.
    """
    submission = _submission_lock(project=project, submission_id=submission_id)
    if submission.erased_at is not None:
        raise SubmissionError(Step2ErrorCode.NO_SUBMISSION)
    everything = parts is None
    parts = tuple(ERASABLE_PARTS) if everything else parts
    kinds = tuple(kind for part in parts for kind in ERASABLE_PARTS[part])
    erased_files = _erase_files(submission, kinds)
    if FileKind.SELFIE in kinds:
        faces = list(FaceDescriptor.objects.filter(submission=submission).values_list("pk", flat=True))
        FaceDescriptor.objects.filter(pk__in=faces).delete()
        transaction.on_commit(lambda: face_indexes_discard(project_id=project.pk, ids=faces))
    if "data" in parts:
        _erase_data(submission, actor)
    if everything:
        submission.erased_at = timezone.now()
    submission.save()
    if submission.status not in FINAL_STATUSES:
        _submission_end_erased(submission)  # after the erasure: the `rejected` webhook carries none of it
    audit_record(actor=actor, action="erased" if everything else "partially_erased", submission=submission,
                 after={"parts": list(parts), "files": erased_files})
    submission_notify(submission=submission, trigger=WebhookTrigger.DELETE)
    if everything and submission.data_key_id is not None:
        # Crypto-shredding: whatever of this submission is still sealed somewhere (a backup, an
        # object a failed storage delete left behind) no longer opens with any key that remains.
        data_key_destroy(data_key_id=submission.data_key_id)
    return submission


# -- notifications: webhooks and applicant emails ---------------------------------------

# Which applicant email each trigger may send, and the project option that turns it on.
APPLICANT_EMAILS = {
    WebhookTrigger.APPROVED: "notify_applicant_approved",
    WebhookTrigger.REJECTED: "notify_applicant_rejected",
    WebhookTrigger.SUBMIT: "notify_applicant_pending",
}


def submission_notify(*, submission: Submission, trigger: str, retry: list[Finding] | None = None) -> None:
    """Tell the integration (webhook outbox row) and, per project option, the applicant (email).

    Called by every service that changes a submission, inside its transaction: the outbox row
    commits with the change or not at all; the email is enqueued only once the change commits.
    A `submit` sends the "being reviewed" email only if the submission is still Pending when it
    is sent; one decided at once gets the decision's email (its own trigger follows).
    """
    webhook_event_record(submission=submission, trigger=trigger,
                         retry=[f.code.value for f in retry] if retry else None)
    option = APPLICANT_EMAILS.get(trigger)
    if option is None or not getattr(submission.project, option) or not submission.email:
        return
    submission_pk = submission.pk

    def enqueue() -> None:
        from .tasks import submission_email_task  # tasks import services: enqueue lazily

        try:
            submission_email_task.delay(submission_pk, trigger)
        except Exception:  # the broker is down: send now rather than lose the email
            logger.warning("broker unavailable; sending the %s email of %s inline", trigger, submission_pk,
                           exc_info=True)
            submission_email_send(submission_pk=submission_pk, trigger=trigger)

    transaction.on_commit(enqueue)


def submission_email_send(*, submission_pk: int, trigger: str) -> bool:
    """Render and send one applicant email; False when there is nobody to send it to any more."""
    submission = Submission.objects.select_related("project").filter(pk=submission_pk).first()
    if submission is None or not submission.email or submission.erased_at is not None:
        return False
    if trigger == WebhookTrigger.SUBMIT and submission.status != SubmissionStatus.PENDING:
        return False  # decided at once (auto-approval, a rule): the decision's email says it all
    context = {"submission": submission, "project": submission.project,
               "name": (submission.entered_data or {}).get("name", "")}
    subject = render_to_string(f"emails/submission_{trigger_email_name(trigger)}_subject.txt", context).strip()
    body = render_to_string(f"emails/submission_{trigger_email_name(trigger)}_body.txt", context)
    send_mail(subject, body, None, [submission.email])
    return True


def trigger_email_name(trigger: str) -> str:
    return "pending" if trigger == WebhookTrigger.SUBMIT else trigger
