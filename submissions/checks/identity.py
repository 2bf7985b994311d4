"""Step 2 identity verification: the typed data against an authoritative source.

- USA / CAN / MEX driving licences: against the PDF417 read at Step 1 (`extracted_data["aamva"]`);
- Bulgaria: the EGN (Step 2 `identity_number`, else the personal number read off the document)
  must be valid and agree with the birth date and gender;
- Korea (ID card, driving licence): the government's authentication service through
  `submissions.kor_id` (an outage answers `verify_kor_error`, HTTP 400, and changes nothing).

Nothing to compare with (no barcode was read, no EGN, no Korean number) is not a failure: the
evidence says what was not verified, for the reviewer.
"""

from django.utils.dateparse import parse_date

from verification.identity import EGN_INVALID, aamva_mismatches, egn_mismatches

from ..choices import Step
from ..codes import Step2ErrorCode, Step2RetryCode
from ..exceptions import SubmissionError
from ..kor_id import KorIdUnavailable, kor_id_service
from .base import Check, CheckContext, CheckReport, Finding, check_register

BARCODE_COUNTRIES = ("USA", "CAN", "MEX")
KOREAN_ID_TYPES = ("government_id", "drivers_license")


def _fields_message(fields: list[str]) -> str:
    return "Mismatched: " + ", ".join(fields)


@check_register
class IdentityVerificationCheck(Check):
    name = "identity_verification"
    step = Step.STEP2
    codes = (Step2RetryCode.IDENTITY_VERIFICATION_FAIL, Step2ErrorCode.VERIFY_KOR_ERROR)

    def run(self, ctx: CheckContext) -> CheckReport:
        submission = ctx.submission
        country, id_type = submission.issuing_country, submission.id_type or ctx.data.get("idType", "")
        if country in BARCODE_COUNTRIES and id_type == "drivers_license":
            return self._barcode(ctx)
        if country == "BGR":
            return self._egn(ctx)
        if country == "KOR" and id_type in KOREAN_ID_TYPES:
            return self._korea(ctx)
        return CheckReport(evidence={"verified": False, "reason": "no authoritative source for this document"})

    def _barcode(self, ctx: CheckContext) -> CheckReport:
        aamva = (ctx.submission.extracted_data or {}).get("aamva")
        if not aamva:
            return CheckReport(evidence={"source": "pdf417", "verified": False, "reason": "no barcode was read at Step 1"})
        mismatches = aamva_mismatches(
            aamva, name=ctx.data["name"], birth_date=ctx.data["date_of_birth"], gender=ctx.data.get("gender", ""),
            number=ctx.data.get("license_number") or ctx.data.get("document_number", ""))
        evidence = {"source": "pdf417", "verified": True, "mismatches": mismatches}
        if not mismatches:
            return CheckReport(evidence=evidence)
        return CheckReport(evidence=evidence, findings=[Finding(
            Step2RetryCode.IDENTITY_VERIFICATION_FAIL, variant="barcode", params={"message": _fields_message(mismatches)})])

    def _egn(self, ctx: CheckContext) -> CheckReport:
        extracted = ctx.submission.extracted_data or {}
        egn, origin = ctx.data.get("identity_number", ""), "identity_number"
        if not egn and extracted.get("personal_number"):
            egn, origin = extracted["personal_number"], "document"
        if not egn:
            return CheckReport(evidence={"source": "egn", "verified": False, "reason": "no EGN entered or read"})
        mismatches = egn_mismatches(egn, birth_date=ctx.data["date_of_birth"], gender=ctx.data.get("gender", ""))
        evidence = {"source": "egn", "egn_from": origin, "verified": True, "mismatches": mismatches}
        if not mismatches:
            return CheckReport(evidence=evidence)
        message = "The EGN is not valid" if mismatches == [EGN_INVALID] else _fields_message(mismatches)
        return CheckReport(evidence=evidence, findings=[Finding(
            Step2RetryCode.IDENTITY_VERIFICATION_FAIL, variant="egn", params={"message": message})])

    def _korea(self, ctx: CheckContext) -> CheckReport:
        number = ctx.data.get("identity_number", "")
        if not number:
            return CheckReport(evidence={"source": "kor_id", "verified": False, "reason": "no identity number entered"})
        issue = ctx.data.get("date_of_issue")
        try:
            answer = kor_id_service().authenticate(
                name=ctx.data["name"], identity_number=number, birth_date=ctx.data["date_of_birth"],
                issue_date=parse_date(issue) if issue else None)
        except KorIdUnavailable as exc:
            raise SubmissionError(Step2ErrorCode.VERIFY_KOR_ERROR) from exc
        evidence = {"source": "kor_id", "verified": True, "authenticated": answer.authenticated,
                    "reason": answer.reason, "reference": answer.reference}
        if answer.authenticated:
            return CheckReport(evidence=evidence)
        return CheckReport(evidence=evidence, findings=[Finding(
            Step2RetryCode.IDENTITY_VERIFICATION_FAIL, params={"message": "Korean ID authentication failed"})])
