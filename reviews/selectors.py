"""Reads for the review UI: what a reviewer looks at before deciding."""

from dataclasses import dataclass

from django.db.models import QuerySet

from submissions.choices import FileKind
from submissions.models import CheckResult, StoredFile, Submission

from .models import ReviewDecision


def review_current_files(*, submission: Submission) -> list[StoredFile]:
    """The newest non-superseded file of each kind, in the FileKind order (ID front first)."""
    newest: dict[str, StoredFile] = {}
    files = StoredFile.objects.filter(submission=submission, superseded_at__isnull=True).order_by("-created_at", "-pk")
    for stored in files:
        newest.setdefault(stored.kind, stored)
    return [newest[kind] for kind in FileKind.values if kind in newest]


def review_check_results(*, submission: Submission) -> QuerySet[CheckResult]:
    return CheckResult.objects.filter(submission=submission).order_by("created_at", "pk")


def review_decisions(*, submission: Submission) -> QuerySet[ReviewDecision]:
    return ReviewDecision.objects.filter(submission=submission).order_by("-created_at", "-pk")


@dataclass(frozen=True)
class DataRow:
    key: str
    extracted: object
    entered: object

    @property
    def differs(self) -> bool:
        return self.extracted not in (None, "") and self.entered not in (None, "") and self.extracted != self.entered


def review_data_rows(*, submission: Submission) -> list[DataRow]:
    """Extracted (document) and entered (applicant) data side by side, one row per key."""
    extracted, entered = submission.extracted_data or {}, submission.entered_data or {}
    keys = list(dict.fromkeys([*entered, *extracted]))
    return [DataRow(key, extracted.get(key), entered.get(key)) for key in keys]
