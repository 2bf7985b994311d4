"""The automatic reject rules of a project, as pure functions of a submission's data.

Applied when Step 2 succeeds (codes `blacklistCountry`, `under_ageLimit`,
`invalid_acceptedID`) and again when a reviewer edits the country or birth date
(`id_info_blacklist`, `id_info_notOfAge`). `customOptions` may switch a rule off for one
submission, never on.
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from reviews.codes import RejectCode

from .codes import code_message
from .inputs import parse_date


@dataclass(frozen=True)
class RuleRejection:
    code: RejectCode
    comment: str


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def submission_birth_date(submission) -> date | None:
    raw = submission.entered_data.get("date_of_birth") or submission.extracted_data.get("date_of_birth") or ""
    return parse_date(raw)


def rule_enabled(submission, custom_key: str) -> bool:
    return submission.custom_options.get(custom_key, True) is not False


def rules_evaluate(submission, project, *, on_review_edit: bool = False) -> list[RuleRejection]:
    """Every rule the submission now breaks, in the order the table lists them."""
    rejections: list[RuleRejection] = []
    country = submission.issuing_country
    if rule_enabled(submission, "blacklistCountries") and country in project.blacklist_countries:
        code = RejectCode.ID_INFO_BLACKLIST if on_review_edit else RejectCode.BLACKLIST_COUNTRY
        rejections.append(RuleRejection(code, code_message(code, country=country)))
    birth = submission_birth_date(submission)
    limit = project.age_limit
    if limit and rule_enabled(submission, "ageLimit") and birth and age_on(birth, timezone.localdate()) < limit:
        code = RejectCode.ID_INFO_NOT_OF_AGE if on_review_edit else RejectCode.UNDER_AGE_LIMIT
        rejections.append(RuleRejection(code, code_message(code, age=limit)))
    if submission.id_type and not project.accepts_id_type(
        country=country, id_type=submission.id_type
    ):
        code = RejectCode.INVALID_ACCEPTED_ID
        rejections.append(RuleRejection(code, code_message(code)))
    return rejections
