"""Run a step's registered checks and turn their findings into one outcome.

Rules, in order:
- a check that does not apply to the submission, or all of whose codes the project's
  options switch off, does not run;
- a Step 1 retry code whose gating option is off is recorded as `suppressed` and not
  answered (with ID card validation off only the MRZ/barcode protocol codes reach the client);
- the first error finding (HTTP 400) stops the pipeline;
- a check that raises is recorded as `fault` and answers its `fault_code`, or the step's
  processing code; the traceback is logged, never answered.

Prefetch (`pipeline_prefetch`, setting `KYC_CHECK_PREFETCH`): Step 1 spends most of its time in one
OCR read. While a helper thread makes it, the request thread computes the pure image measurements of
the other checks (`Check.prefetch`), so their time overlaps the read's instead of following it. On a
2-core host the read itself keeps both cores busy much of the time, so the overlap hides part of the
rest, not all of it (docs/benchmarks.md). Checks still run one by one in their order on the request
thread and read the memoized values, so the outcome is the same with prefetch on or off.
"""

import contextlib
import contextvars
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections

from ..choices import CheckOutcome, Step
from ..codes import STEP1_RETRY_GATES, Step1ErrorCode, Step1RetryCode, Step2ErrorCode, Step2RetryCode
from ..exceptions import SubmissionError
from .base import Check, CheckContext, CheckReport, Finding, check_list, check_prefetches

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
    duration_ms: float  # its run, plus its prefetch when it had one (the run may have waited for it)
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


class PrefetchQueryRefused(RuntimeError):
    pass


def _refuse_queries(execute, sql, params, many, context):
    raise PrefetchQueryRefused("a check's prefetch must not query the database (it runs on another thread, "
                               "outside the request's transaction)")


def _prefetch_one(check: Check, ctx: CheckContext, timings: dict[str, float]) -> None:
    """One check's prefetch, with this thread's database connections refused (on either thread, so that
    a prefetch that queries fails the same way wherever it happens to run); its milliseconds go to
    `timings`."""
    started = time.perf_counter()
    try:
        with contextlib.ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(_refuse_queries))
            check.prefetch(ctx)
    except PrefetchQueryRefused:
        logger.error("prefetch of check %s queried the database", check.name, exc_info=True)
    except Exception:  # noqa: BLE001 - the check's run computes it again and answers as a check fault
        logger.debug("prefetch of check %s failed", check.name, exc_info=True)
    finally:
        timings[check.name] = (time.perf_counter() - started) * 1000


@contextlib.contextmanager
def pipeline_prefetch(ctx: CheckContext, checks: list[Check]) -> Iterator[dict[str, float]]:
    """Prefetch `checks` on two threads, then let the block run them; yields each prefetch's milliseconds.

    Two workers share one queue of the prefetching checks in run order: a helper thread starts with
    the check marked `prefetch_first` (the OCR read, the longest computation), the request thread
    takes the others from the head, and whichever is free takes the next. When the queue is empty
    the block runs the checks in order, each waiting, if need be, for a value the helper is still
    computing. On leaving, the helper is joined (after dropping what it has not started, should the
    request thread be interrupted): nothing of the request runs after it.
    """
    queue = deque(check for check in checks if check_prefetches(check))
    first = next((check for check in queue if check.prefetch_first), None)
    timings: dict[str, float] = {}
    if not settings.KYC_CHECK_PREFETCH or first is None or len(queue) < 2:
        yield timings
        return
    queue.remove(first)
    guard = threading.Lock()

    def take() -> Check | None:
        with guard:
            return queue.popleft() if queue else None

    def helper() -> None:
        check = first
        while check is not None:
            _prefetch_one(check, ctx, timings)
            check = take()

    thread = threading.Thread(target=contextvars.copy_context().run, args=(helper,), name="kyc-check-prefetch",
                              daemon=True)
    thread.start()
    try:
        while (check := take()) is not None:
            _prefetch_one(check, ctx, timings)
        yield timings
    finally:
        with guard:
            queue.clear()
        thread.join()


def pipeline_run(ctx: CheckContext, checks: list[Check] | None = None) -> PipelineOutcome:
    enabled = [check for check in (checks if checks is not None else check_list(ctx.step))
               if check_is_enabled(check, ctx)]
    with pipeline_prefetch(ctx, enabled) as prefetch_ms:
        return _pipeline_run(ctx, enabled, prefetch_ms)


def _pipeline_run(ctx: CheckContext, checks: list[Check], prefetch_ms: dict[str, float]) -> PipelineOutcome:
    outcome = PipelineOutcome()
    for check in checks:
        started = time.perf_counter() - prefetch_ms.get(check.name, 0.0) / 1000
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
