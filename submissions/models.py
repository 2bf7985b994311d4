import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

import django_fsm as fsm
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone

from vault.fields import Sealed, SealedField
from vault.services import data_key_create
from webhooks.destinations import webhook_url_validate

from .choices import (
    AddressCollection,
    CheckOutcome,
    FileKind,
    IdType,
    ProjectStatus,
    Step,
    SubmissionStatus,
)
from .countries import country_is_valid


def project_public_id() -> str:
    return "prj_" + secrets.token_hex(10)


def webhook_secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def submission_public_id() -> str:
    # uuid4: 122 random bits, unguessable, and the shape vendor integrations store.
    return str(uuid.uuid4())


def lookup_hash(material: str) -> str:
    """Keyed hash for equality lookups on encrypted values: equal inputs match, the table leaks none."""
    return hmac.new(settings.SECRET_KEY.encode(), material.encode(), hashlib.sha256).hexdigest()


def submission_email_key(email: str) -> str:
    normalised = (email or "").strip().lower()
    return lookup_hash(f"email|{normalised}") if normalised else ""


def validate_country_list(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(c, str) and country_is_valid(c) for c in value):
        raise ValidationError('Give a list of ISO 3166-1 alpha-3 country codes, e.g. ["PRK", "IRN"].')


def validate_accepted_id_types(value: object) -> None:
    message = (
        'Give a map of alpha-3 country (or "*" for every other country) to a list of id types, '
        'e.g. {"*": ["passport"], "KOR": ["government_id", "drivers_license"]}.'
    )
    if not isinstance(value, dict):
        raise ValidationError(message)
    for country, types in value.items():
        if not (country == "*" or (isinstance(country, str) and country_is_valid(country))):
            raise ValidationError(message)
        if not isinstance(types, list) or not all(t in IdType.values for t in types):
            raise ValidationError(message)


def default_accepted_id_types() -> dict[str, list[str]]:
    return {"*": list(IdType.values)}


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=False, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


_percent = [MinValueValidator(0), MaxValueValidator(100)]


class Project(TimeStampedModel):
    """A KYC project: one client integration with its own API keys and options.

    Every option is a typed field whose name is the option key used by the admin, the
    `kyc_project` command and exports (`Project.OPTION_KEYS`).
    """

    project_id = models.CharField(max_length=32, unique=True, default=project_public_id, editable=False)
    # The project's own data key, wrapped by its project key like a submission's: it seals the
    # project's secrets, lives as long as the project (no submission's erasure touches it), and a
    # project key rotation re-wraps it with the rest. Null only for a row not saved yet.
    secrets_key = models.OneToOneField(
        "vault.DataKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    webhook_secret = SealedField(
        key_from="secrets_key_id", editable=False,
        help_text="Signs every webhook (HMAC-SHA256); shown to the project's operators (sealed).",
    )
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE)

    id_card_validation = models.BooleanField(
        default=False,
        help_text="Run the document fraud and quality checks at Step 1. Off: only "
        "mrz_protocol_fail and barcode_protocol_fail are returned.",
    )
    universal_id = models.BooleanField(
        default=False,
        help_text="Applicants send idType=universal and the document type is detected "
        "(the back image becomes required). Not available for Korean IDs.",
    )
    attack_prevention = models.BooleanField(
        default=False,
        help_text="ID liveness: score the ID image for screen replay, paper print and replaced "
        "portrait; any pipeline under the ID liveness threshold answers id_liveness_fail.",
    )
    ai_supported = models.BooleanField(
        default=False, help_text="Accept only documents the OCR engine supports (ocr_fail otherwise)."
    )
    face_duplicate_verification = models.BooleanField(
        default=False,
        help_text="Index the faces of approved submissions and reject a new face that matches "
        "too many of them (duplicated_face).",
    )
    face_duplicate_limit = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1)],
        help_text="Reject when a face matches this many approved faces or more (2 tolerates twins).",
    )
    reject_duplicate_user = models.BooleanField(
        default=False,
        help_text="Reject a submission whose identity data equals an approved one (duplicate_user).",
    )
    address_collection = models.CharField(
        max_length=8,
        choices=AddressCollection.choices,
        default=AddressCollection.OFF,
        help_text="Collect address data and/or a proof-of-address image at Step 2 (missing_address).",
    )
    account_occupancy_kor = models.BooleanField(
        default=False,
        help_text="Require the Korean 1-won account-occupancy check (PreStep2) before Step 2.",
    )
    blacklist_countries = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_country_list],
        help_text="Issuing countries (ISO alpha-3) not accepted: rejected with blacklistCountry.",
    )
    age_limit = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(150)],
        help_text="Minimum age in years (under_ageLimit); empty: no limit.",
    )
    accepted_id_types = models.JSONField(
        default=default_accepted_id_types,
        validators=[validate_accepted_id_types],
        help_text='Accepted document types per issuing country; "*" covers every country not '
        "listed. Others are rejected with invalid_acceptedID.",
    )
    approved_period_days = models.PositiveIntegerField(
        default=0,
        help_text="An email with an approval this many days old or newer cannot submit again "
        "(processed_submission). 0: off.",
    )
    rejected_period_days = models.PositiveIntegerField(
        default=0,
        help_text="An email with a rejection this many days old or newer cannot submit again "
        "(rejected_submission). 0: off.",
    )
    retry_limit = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1)],
        help_text="Retries (Step 1 and Step 2 together) before the submission is rejected with too_many_retry.",
    )
    submission_validity_hours = models.PositiveIntegerField(
        default=72,
        validators=[MinValueValidator(1)],
        help_text="How long after Step 1 a submission id accepts Step 2 (exceeded_72hour_limit).",
    )
    incomplete_timeout_hours = models.PositiveIntegerField(
        default=24,
        validators=[MinValueValidator(1)],
        help_text="An Incomplete submission with a retry and no progress this long is rejected "
        "with timeout by the scheduled sweep.",
    )
    face_match_threshold = models.PositiveSmallIntegerField(
        default=85, validators=_percent, help_text="Minimum selfie/ID face similarity, 0-100."
    )
    liveness_threshold = models.PositiveSmallIntegerField(
        default=50, validators=_percent, help_text="Minimum selfie liveness score, 0-100."
    )
    id_liveness_threshold = models.PositiveSmallIntegerField(
        default=50, validators=_percent, help_text="Minimum score of each ID liveness pipeline, 0-100."
    )
    auto_approve_score = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=_percent,
        help_text="Approve without review when the overall check score is at or above this; empty: never.",
    )
    automated_processing_only = models.BooleanField(
        default=False, help_text="What would go to Pending review is rejected instead."
    )
    four_eyes_review = models.BooleanField(
        default=False,
        help_text="A reviewer's decision takes effect only once a second reviewer confirms it; "
        "nobody confirms their own decision.",
    )
    review_sla_hours = models.PositiveIntegerField(
        default=24,
        validators=[MinValueValidator(1)],
        help_text="A Pending submission should be decided within this many hours of Step 2; "
        "the queue and the dashboard show the breaches.",
    )
    webhook_url = models.URLField(
        max_length=500,
        blank=True,
        validators=[webhook_url_validate],
        help_text="Where the events (created, retry, submit, approved, rejected, updated, delete) are POSTed, "
        "signed with the webhook secret; https to a public address; empty: no webhooks.",
    )
    notify_applicant_approved = models.BooleanField(
        default=False, help_text="Email the applicant when their submission is approved."
    )
    notify_applicant_rejected = models.BooleanField(
        default=False, help_text="Email the applicant when their submission is rejected, with the reasons."
    )
    notify_applicant_pending = models.BooleanField(
        default=False, help_text="Email the applicant when their submission waits for a reviewer."
    )
    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Erase personal data and images this many days after a final decision; empty: keep.",
    )

    OPTION_KEYS: tuple[str, ...] = (
        "id_card_validation",
        "universal_id",
        "attack_prevention",
        "ai_supported",
        "face_duplicate_verification",
        "face_duplicate_limit",
        "reject_duplicate_user",
        "address_collection",
        "account_occupancy_kor",
        "blacklist_countries",
        "age_limit",
        "accepted_id_types",
        "approved_period_days",
        "rejected_period_days",
        "retry_limit",
        "submission_validity_hours",
        "incomplete_timeout_hours",
        "face_match_threshold",
        "liveness_threshold",
        "id_liveness_threshold",
        "auto_approve_score",
        "automated_processing_only",
        "four_eyes_review",
        "review_sla_hours",
        "webhook_url",
        "notify_applicant_approved",
        "notify_applicant_rejected",
        "notify_applicant_pending",
        "retention_days",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.project_id})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is None and self.secrets_key_id is None:
            # A project key hangs off a saved project: the row is written first without its secret,
            # then its key is made and the secret sealed with it, both or neither.
            secret = self.__dict__.get("webhook_secret") or webhook_secret_new()
            self.webhook_secret = None
            with transaction.atomic(using=kwargs.get("using")):
                super().save(*args, **kwargs)
                self.secrets_key = data_key_create(project_id=self.pk)
                self.webhook_secret = secret
                super().save(using=kwargs.get("using"), update_fields=["secrets_key", "webhook_secret"])
            return
        # An instance loaded without the secret (`only()`, `defer()`) must not get a new one here.
        loaded = "webhook_secret" not in self.get_deferred_fields()
        if self.secrets_key_id is None:
            self.secrets_key = data_key_create(project_id=self.pk)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "secrets_key"}
        if loaded and not self.__dict__.get("webhook_secret"):
            self.webhook_secret = webhook_secret_new()
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status == ProjectStatus.ACTIVE

    def options(self) -> dict[str, object]:
        return {key: getattr(self, key) for key in self.OPTION_KEYS}

    def accepts_id_type(self, *, country: str, id_type: str) -> bool:
        accepted = self.accepted_id_types.get(country, self.accepted_id_types.get("*", []))
        return id_type in accepted


API_KEY_PREFIX_LENGTH = 8


def api_key_hash(secret: str) -> str:
    # Keys are 256-bit random strings, so one SHA-256 is enough: there is nothing to
    # brute-force that a slow password hash would protect.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(models.Model):
    """An API key of a project. Only the hash is stored; the key is shown once."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=API_KEY_PREFIX_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.project.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def split(raw_key: str) -> tuple[str, str] | None:
        """`kyc_<prefix>_<secret>` -> (prefix, raw_key); None when it has not that shape."""
        # The secret is URL-safe base64, which may itself contain "_": split twice only.
        parts = raw_key.split("_", 2)
        if len(parts) != 3 or parts[0] != "kyc" or len(parts[1]) != API_KEY_PREFIX_LENGTH:
            return None
        return parts[1], raw_key

    def matches(self, raw_key: str) -> bool:
        return hmac.compare_digest(self.key_hash, api_key_hash(raw_key))


class Submission(fsm.ConcurrentTransitionMixin, TimeStampedModel):
    """One applicant's verification, from Step 1 to a decision.

    `status` moves only through the transitions below, and only services call them.
    """

    submission_id = models.CharField(max_length=36, unique=True, default=submission_public_id, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="submissions")
    # Every personal value below is sealed with this submission's own data key (vault/); erasure
    # destroys the key. Null only for a row not saved yet.
    data_key = models.OneToOneField(
        "vault.DataKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    email = SealedField()
    email_key = models.CharField(max_length=64, blank=True, editable=False, help_text="Keyed hash of the email.")
    userid = models.CharField(max_length=255, blank=True)
    cf1 = models.CharField(max_length=255, blank=True)
    cf2 = models.CharField(max_length=255, blank=True)
    cf3 = models.CharField(max_length=255, blank=True)
    client_ip = SealedField(help_text="The applicant's address at Step 1 (personal data: sealed).")
    requested_id_type = models.CharField(max_length=20, help_text="idType as sent at Step 1.")
    id_type = models.CharField(max_length=20, choices=IdType.choices, blank=True, help_text="Resolved document type.")
    issuing_country = models.CharField(max_length=3)
    status = fsm.FSMField(
        max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.INCOMPLETE, protected=True
    )
    retry_count = models.PositiveSmallIntegerField(default=0)
    last_activity_at = models.DateTimeField(default=timezone.now)
    step1_completed_at = models.DateTimeField(null=True, blank=True)
    prestep2_completed_at = models.DateTimeField(null=True, blank=True)
    step2_completed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by the sweep once the validity window has passed."
    )
    erased_at = models.DateTimeField(null=True, blank=True)
    reject_codes = models.JSONField(default=list, blank=True)
    reject_comments = SealedField(codec="json", default=list, help_text="Client-facing reject messages (sealed).")
    extracted_data = SealedField(codec="json", default=dict, help_text="Data read from the document.")
    entered_data = SealedField(codec="json", default=dict, help_text="Data entered at Step 2.")
    custom_options = models.JSONField(default=dict, blank=True)
    identity_key = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="Hash of the normalised identity, for duplicates."
    )
    overall_score = models.FloatField(null=True, blank=True)
    # Keyed hashes for exact lookups (reviewer search, related submissions) without an index
    # over the plaintext: `submission_lookup_key`.
    name_key = models.CharField(max_length=64, blank=True, db_index=True)
    document_key = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        indexes = [
            # The review queue: Pending oldest first, read by keyset (step2_completed_at, id).
            models.Index(
                fields=["step2_completed_at", "id"],
                condition=models.Q(status=SubmissionStatus.PENDING),
                name="submission_review_queue",
            ),
            models.Index(
                fields=["project", "step2_completed_at", "id"],
                condition=models.Q(status=SubmissionStatus.PENDING),
                name="submission_review_queue_prj",
            ),
            models.Index(fields=["userid"], condition=~models.Q(userid=""), name="submission_userid"),
            # The dashboard's decisions per day.
            models.Index(
                fields=["project", "decided_at"],
                condition=models.Q(decided_at__isnull=False),
                name="submission_project_decided",
            ),
            models.Index(fields=["project", "email_key", "status"], name="submission_email_status"),
            models.Index(fields=["project", "-created_at", "-id"], name="submission_project_newest"),
            # The sweep's two scans, kept small by indexing only the rows they can match.
            models.Index(
                fields=["project", "last_activity_at"],
                condition=models.Q(status=SubmissionStatus.INCOMPLETE, retry_count__gte=1),
                name="submission_timeout_scan",
            ),
            models.Index(
                fields=["project", "created_at"],
                condition=models.Q(status=SubmissionStatus.INCOMPLETE, expired_at__isnull=True),
                name="submission_expiry_scan",
            ),
        ]

    def __str__(self) -> str:
        return self.submission_id

    def save(self, *args, **kwargs) -> None:
        # The key must exist before anything of the submission is sealed, whichever path creates it
        # (services, admin, factories); and the email's lookup hash must always match the email.
        update_fields = kwargs.get("update_fields")
        if self.data_key_id is None:
            self.data_key = data_key_create(project_id=self.project_id)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "data_key"}
        # A loaded email not read since is unchanged: its hash too, and it is written back as it was.
        email_changed = not isinstance(self.__dict__.get("email"), Sealed)
        if email_changed and (update_fields is None or "email" in update_fields):
            self.email_key = submission_email_key(self.email)
            if update_fields is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "email_key"}
        super().save(*args, **kwargs)

    # -- conditions (pure) ------------------------------------------------------------

    def validity_deadline(self):
        return self.created_at + timedelta(hours=self.project.submission_validity_hours)

    def is_within_validity(self) -> bool:
        return self.expired_at is None and timezone.now() <= self.validity_deadline()

    def is_step1_complete(self) -> bool:
        return self.step1_completed_at is not None

    def is_step1_open(self) -> bool:
        return self.step1_completed_at is None

    def has_retries_left(self) -> bool:
        return self.retry_count < self.project.retry_limit

    def is_not_erased(self) -> bool:
        return self.erased_at is None

    # -- transitions (pure: state and the fields that change with it) -----------------

    @fsm.transition(field=status, source=SubmissionStatus.INCOMPLETE, target=SubmissionStatus.INCOMPLETE)
    def retry(self) -> None:
        self.retry_count += 1
        self.last_activity_at = timezone.now()

    @fsm.transition(
        field=status,
        source=SubmissionStatus.INCOMPLETE,
        target=SubmissionStatus.INCOMPLETE,
        conditions=[is_step1_open],
    )
    def complete_step1(self) -> None:
        self.step1_completed_at = self.last_activity_at = timezone.now()

    @fsm.transition(
        field=status,
        source=SubmissionStatus.INCOMPLETE,
        target=SubmissionStatus.INCOMPLETE,
        conditions=[is_step1_complete, is_within_validity],
    )
    def complete_prestep2(self) -> None:
        self.prestep2_completed_at = self.last_activity_at = timezone.now()

    @fsm.transition(
        field=status,
        source=SubmissionStatus.INCOMPLETE,
        target=SubmissionStatus.PENDING,
        conditions=[is_step1_complete, is_within_validity],
    )
    def submit(self) -> None:
        self.step2_completed_at = self.last_activity_at = timezone.now()

    # An approval rests on the data and images: an erased submission is never approved.
    @fsm.transition(field=status, source=SubmissionStatus.PENDING, target=SubmissionStatus.APPROVED,
                    conditions=[is_not_erased])
    def approve(self) -> None:
        self.decided_at = self.last_activity_at = timezone.now()

    @fsm.transition(
        field=status,
        source=[SubmissionStatus.INCOMPLETE, SubmissionStatus.PENDING],
        target=SubmissionStatus.REJECTED,
    )
    def reject(self, *, codes: list[str], comments: list[str]) -> None:
        self.reject_codes = [*self.reject_codes, *codes]
        self.reject_comments = [*self.reject_comments, *comments]
        self.decided_at = self.last_activity_at = timezone.now()

    # Final statuses change only through an audited edit (PATCH /v3/submission, `review_status_override`).

    @fsm.transition(field=status, source=SubmissionStatus.APPROVED, target=SubmissionStatus.REJECTED)
    def revoke(self, *, codes: list[str], comments: list[str]) -> None:
        self.reject_codes, self.reject_comments = list(codes), list(comments)
        self.decided_at = self.last_activity_at = timezone.now()

    @fsm.transition(field=status, source=SubmissionStatus.REJECTED, target=SubmissionStatus.APPROVED,
                    conditions=[is_not_erased])
    def reinstate(self) -> None:
        self.reject_codes, self.reject_comments = [], []
        self.decided_at = self.last_activity_at = timezone.now()


def stored_file_path(instance: "StoredFile", filename: str) -> str:
    return f"submissions/{instance.submission.submission_id}/{instance.kind}-{secrets.token_hex(8)}{filename}"


# Bound into every stored image's ciphertext (`submission_files_store`, `stored_file_read`).
STORED_FILE_CONTEXT = b"submissions.storedfile.file"


class StoredFile(models.Model):
    """An uploaded image, kept through the storage API (local disk or S3-compatible), sealed with
    its submission's data key."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=16, choices=FileKind.choices)
    file = models.FileField(upload_to=stored_file_path, max_length=255)
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    superseded_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a retry uploads a newer image of the same kind."
    )

    class Meta:
        indexes = [models.Index(fields=["submission", "kind"], name="storedfile_submission_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.submission_id}"


class CheckResult(models.Model):
    """One run of one automated check: what it found, against which threshold, and why."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="check_results")
    step = models.CharField(max_length=10, choices=Step.choices)
    attempt = models.PositiveSmallIntegerField(help_text="retryCount when the check ran.")
    check_name = models.CharField(max_length=64)
    outcome = models.CharField(max_length=12, choices=CheckOutcome.choices)
    code = models.CharField(max_length=64, blank=True)
    # What the check read (names, numbers, decoded barcodes) is personal: sealed like the submission.
    message = SealedField(key_from="submission.data_key_id")
    score = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    evidence = SealedField(codec="json", default=dict, key_from="submission.data_key_id")
    duration_ms = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["submission", "step", "attempt"], name="checkresult_submission_step")]

    def __str__(self) -> str:
        return f"{self.check_name}: {self.outcome} {self.code}".strip()


class BankVerification(models.Model):
    """PreStep2: a 1-won deposit whose depositor text holds a code the applicant reads back."""

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="bank_verification")
    bank_code = models.CharField(max_length=3)
    account_number_masked = models.CharField(max_length=32)
    account_number_hash = models.CharField(max_length=64)
    user_name = SealedField(key_from="submission.data_key_id", help_text="Account holder name the applicant gave.")
    account_holder_name = SealedField(key_from="submission.data_key_id", help_text="Holder name reported by the bank.")
    code_hash = models.CharField(max_length=64)
    provider_reference = models.CharField(max_length=64)
    deposited_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.bank_code} {self.account_number_masked}"


class SandboxBankTransfer(models.Model):
    """The sandbox bank's statement: the 1-won deposits it made, as an account holder sees them."""

    reference = models.CharField(max_length=64, unique=True)
    bank_code = models.CharField(max_length=3)
    account_number = models.CharField(max_length=32)
    amount_won = models.PositiveIntegerField(default=1)
    depositor_text = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.bank_code}-{self.account_number}: {self.depositor_text}"


class FaceDescriptor(models.Model):
    """The selfie's face descriptor (128 float32), kept for face duplicate verification.

    Written at Step 2 when the project has the option on; searched by later applicants once its
    submission is approved (`approved_at`), through the in-process index of
    `submissions.selectors.face_index_for_project`.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="face_descriptor")
    identity_key = models.CharField(max_length=64, blank=True)
    vector = SealedField(codec="bytes", key_from="submission.data_key_id")
    created_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "approved_at"], name="facedesc_project_approved")]

    def __str__(self) -> str:
        return f"face of {self.submission_id}"
