"""Step 2: the applicant reads back the 1-won deposit's code and the account holder's name."""

import hashlib
import hmac

from django.conf import settings

from ..choices import Step
from ..codes import Step2RetryCode
from ..names import names_match
from .base import Check, CheckContext, CheckReport, Finding, check_register


def bank_code_hash(*, submission_id: str, code: str) -> str:
    # Keyed and salted by submission so a leaked table does not reveal 3-digit codes.
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{submission_id}:{code}".encode(), hashlib.sha256).hexdigest()


@check_register
class BankOccupancyCheck(Check):
    name = "bank_occupancy"
    step = Step.STEP2
    codes = (
        Step2RetryCode.BANK_AUTHENTICATION_FAIL,
        Step2RetryCode.BANK_AUTHENTICATION_CODE_FAIL,
        Step2RetryCode.BANK_AUTHENTICATION_NAME_FAIL,
    )

    def applies(self, ctx: CheckContext) -> bool:
        return bool(ctx.project.account_occupancy_kor)

    def run(self, ctx: CheckContext) -> CheckReport:
        verification = ctx.submission.bank_verification
        code = ctx.data["userOccupancyCode"]
        expected = bank_code_hash(submission_id=ctx.submission.submission_id, code=code)
        code_ok = hmac.compare_digest(verification.code_hash, expected)
        name_ok = names_match(ctx.data["userOccupancyName"], verification.account_holder_name)
        evidence = {
            "bank_code": verification.bank_code,
            "account": verification.account_number_masked,
            "code_matches": code_ok,
            "holder_name_matches": name_ok,
            "provider_reference": verification.provider_reference,
        }
        findings = []
        if not code_ok and not name_ok:
            findings.append(Finding(Step2RetryCode.BANK_AUTHENTICATION_FAIL))
        elif not code_ok:
            findings.append(Finding(Step2RetryCode.BANK_AUTHENTICATION_CODE_FAIL))
        elif not name_ok:
            findings.append(Finding(Step2RetryCode.BANK_AUTHENTICATION_NAME_FAIL))
        return CheckReport(findings=findings, evidence=evidence)
