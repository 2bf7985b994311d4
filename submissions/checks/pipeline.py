"""Run a step's registered checks and turn their findings into one outcome.

Rules, in order:
- a check that does not apply to the submission, or all of whose codes the project's
  options switch off, does not run;
- a Step 1 retry code whose gating option is off is recorded as `suppressed` and not
  answered (with ID card validation off only the MRZ/barcode protocol codes reach the client);
- the first error finding (HTTP 400) stops the pipeline;
- a check that raises is recorded as `fault` and answers its `fault_code`, or the step's
  processing code; the traceback is logged, never answered.
"""

import logging
import time
from dataclasses import dataclass, field

from ..choices import CheckOutcome, Step
from ..codes import STEP1_RETRY_GATES, Step1ErrorCode, Step1RetryCode, Step2ErrorCode, Step2RetryCode
from ..exceptions import SubmissionError
from .base import Check, CheckContext, CheckReport, Finding, check_list

logger = logging.getLogger(__name__)

RETRY_FAMILIES = (Step1RetryCode, Step2RetryCode)
STEP_FAULT_CODES = {
    Step.STEP1: Step1ErrorCode.DATA_PROCESSING_ERROR,
    Step.STEP2: Step2ErrorCode.UNEXPECTED_ERROR,
}


@dataclass
class CheckRun:
    """One check's result, ready to be stored as a CheckResult row."""

    check_name: str
    outcome: CheckOutcome
    report: CheckReport
    duration_ms: float
    finding: Finding | None = None


@dataclass
class PipelineOutcome:
    runs: list[CheckRun] = field(default_factory=list)
    retry: list[Finding] = field(default_factory=list)
    error: SubmissionError | None = None

    @property
    def score(self) -> float | None:
        """The weakest score among passed checks that report one; None when none does."""
        scores = [run.report.score for run in self.runs if run.outcome == CheckOutcome.PASSED]
        scores = [s for s in scores if s is not None]
        return min(scores) if scores else None


def finding_is_retry(finding: Finding) -> bool:
    return isinstance(finding.code, RETRY_FAMILIES)


def finding_is_enabled(finding: Finding, project) -> bool:
    if not isinstance(finding.code, Step1RetryCode):
        return True
    gate = STEP1_RETRY_GATES[finding.code]
    return gate is None or bool(getattr(project, gate))


def check_is_enabled(check: Check, ctx: CheckContext) -> bool:
    if not check.applies(ctx):
        return False
    # A check that can only answer switched-off codes is not worth its time.
    return any(finding_is_enabled(Finding(code=code), ctx.project) for code in check.codes)


def pipeline_run(ctx: CheckContext, checks: list[Check] | None = None) -> PipelineOutcome:
    outcome = PipelineOutcome()
    for check in checks if checks is not None else check_list(ctx.step):
        if not check_is_enabled(check, ctx):
            continue
        started = time.perf_counter()
        try:
            report = check.run(ctx)
        except SubmissionError as exc:
            # A check may answer a documented error directly (e.g. an external service down).
            elapsed = (time.perf_counter() - started) * 1000
            outcome.runs.append(CheckRun(check.name, CheckOutcome.ERROR, CheckReport(), elapsed))
            outcome.error = exc
            return outcome
        except Exception as exc:  # noqa: BLE001 - any fault of a check becomes a documented code
            elapsed = (time.perf_counter() - started) * 1000
            logger.exception("check %s failed on submission %s", check.name, ctx.submission.submission_id)
            report = CheckReport(evidence={"fault": type(exc).__name__})
            outcome.runs.append(CheckRun(check.name, CheckOutcome.FAULT, report, elapsed))
            outcome.error = SubmissionError(check.fault_code or STEP_FAULT_CODES[ctx.step])
            return outcome
        elapsed = (time.perf_counter() - started) * 1000
        if not report.findings:
            outcome.runs.append(CheckRun(check.name, CheckOutcome.PASSED, report, elapsed))
            continue
        for finding in report.findings:
            if not finding_is_retry(finding):
                outcome.runs.append(CheckRun(check.name, CheckOutcome.ERROR, report, elapsed, finding))
                outcome.error = SubmissionError(finding.code, variant=finding.variant, **finding.params)
                return outcome
            if finding_is_enabled(finding, ctx.project):
                outcome.runs.append(CheckRun(check.name, CheckOutcome.RETRY, report, elapsed, finding))
                outcome.retry.append(finding)
            else:
                outcome.runs.append(CheckRun(check.name, CheckOutcome.SUPPRESSED, report, elapsed, finding))
    return outcome
