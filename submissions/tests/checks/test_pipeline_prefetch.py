"""Step 1 prefetch: later checks' image measurements computed on a second thread while OCR runs.

Prefetch changes when a value is computed, never what: the pipeline's outcome (every check's outcome,
finding, score, threshold and evidence) is the same with KYC_CHECK_PREFETCH on and off. A prefetch
may not query the database, a failing prefetch leaves the check to fail as a check, and the helper
thread is gone when the pipeline returns.
"""

import io
import json
import logging
import threading

import pytest
from django.test import override_settings
from PIL import Image

from submissions.checks import check_list, pipeline_run
from submissions.checks.base import Check, CheckContext, CheckReport
from submissions.checks.pipeline import check_prefetches
from submissions.choices import CheckOutcome, FileKind, Step
from submissions.codes import Step1ErrorCode, Step1RetryCode
from submissions.images import image_read_bytes
from submissions.models import Project
from submissions.tests.factories import ProjectFactory, SubmissionFactory
from verification.analysis import DocumentAnalysis
from verification.generator import generate_document

pytestmark = pytest.mark.image_checks

HELPER = "kyc-check-prefetch"
ID_TYPES = {"passport": "passport", "id_card": "government_id", "drivers_license": "drivers_license"}


def _context(front: bytes, back: bytes | None, *, kind: str, country: str) -> CheckContext:
    project = ProjectFactory(id_card_validation=True, attack_prevention=True)
    submission = SubmissionFactory(project=project, step1_done=False, requested_id_type=ID_TYPES[kind],
                                   id_type=ID_TYPES[kind], issuing_country=country)
    images = {FileKind.ID_FRONT: image_read_bytes(front)}
    if back is not None:
        images[FileKind.ID_BACK] = image_read_bytes(back)
    return CheckContext(submission=submission, project=project, step=Step.STEP1, images=images)


def _upside_down(data: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).rotate(180).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _summary(outcome) -> list:
    """Everything a run records, as JSON text (evidence holds floats, lists and dicts)."""
    return [json.dumps({"check": run.check_name, "outcome": run.outcome,
                        "code": None if run.finding is None else run.finding.code.value,
                        "score": run.report.score, "threshold": run.report.threshold,
                        "evidence": run.report.evidence}, sort_keys=True, default=str)
            for run in outcome.runs]


def _run(document, *, prefetch: bool, front: bytes | None = None):
    with override_settings(KYC_CHECK_PREFETCH=prefetch):
        ctx = _context(front or document.front, document.back, kind=document.kind, country=document.country)
        return pipeline_run(ctx)


def test_the_document_read_is_the_first_prefetch_and_the_slow_measurements_prefetch_too():
    checks = {check.name: check for check in check_list(Step.STEP1)}
    assert [name for name, check in checks.items() if check.prefetch_first] == ["document_detection"]
    for name in ("image_too_blurry", "glare_detected", "screen_detected", "recaptured_document", "barcode",
                 "mrz", "image_edited", "image_forgery", "artificial_image", "id_liveness"):
        assert check_prefetches(checks[name]), name


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "country", "defects", "turned"), [
    ("drivers_license", "USA", (), False),
    ("id_card", "UTO", (), False),  # MRZ on the back: the back's OCR read is prefetched too
    ("passport", "UTO", ("wrong_check_digit",), False),
    ("id_card", "UTO", (), True),  # upside down: OCR turns the crop while capture measures read it
])
def test_prefetch_on_or_off_gives_the_same_outcome(kind, country, defects, turned):
    document = generate_document(kind, country=country, seed=5, defects=defects)
    front = _upside_down(document.front) if turned else None
    sequential = _run(document, prefetch=False, front=front)
    prefetched = _run(document, prefetch=True, front=front)
    assert _summary(prefetched) == _summary(sequential)
    assert sequential.error == prefetched.error
    assert [f.code for f in sequential.retry] == [f.code for f in prefetched.retry]


@pytest.mark.django_db
def test_the_front_is_read_on_the_helper_thread_and_the_helper_is_gone_afterwards(monkeypatch):
    readers = []
    ocr = DocumentAnalysis._ocr

    def spy(self, side):
        readers.append((side, threading.current_thread().name))
        return ocr(self, side)

    monkeypatch.setattr(DocumentAnalysis, "_ocr", spy)
    document = generate_document("drivers_license", seed=5)
    outcome = _run(document, prefetch=True)
    assert outcome.error is None
    assert ("front", HELPER) in readers
    assert not [thread for thread in threading.enumerate() if thread.name == HELPER]


# -- the rules, on checks of the test's own -------------------------------------------------------


class _Slow(Check):
    name = "test_slow"
    step = Step.STEP1
    codes = (Step1RetryCode.IMAGE_TOO_BLURRY,)
    prefetch_first = True

    def prefetch(self, ctx):
        ctx.shared("slow", lambda: threading.current_thread().name)

    def run(self, ctx):
        return CheckReport(evidence={"computed_on": ctx.shared("slow", lambda: threading.current_thread().name)})


class _Queries(Check):
    name = "test_queries"
    step = Step.STEP1
    codes = (Step1RetryCode.GLARE_DETECTED,)

    def prefetch(self, ctx):
        ctx.shared("projects", lambda: Project.objects.count())

    def run(self, ctx):
        return CheckReport(evidence={"projects": ctx.shared("projects", lambda: Project.objects.count())})


class _Broken(Check):
    name = "test_broken"
    step = Step.STEP1
    codes = (Step1RetryCode.SCREEN_DETECTED,)
    fault_code = Step1ErrorCode.ID_IMAGE_ERROR
    attempts: list = []

    def prefetch(self, ctx):
        ctx.shared("broken", self._compute)

    def run(self, ctx):
        ctx.shared("broken", self._compute)
        return CheckReport()

    def _compute(self):
        _Broken.attempts.append(threading.current_thread().name)
        raise ValueError("a hostile image")


def _plain_context() -> CheckContext:
    project = ProjectFactory(id_card_validation=True)
    submission = SubmissionFactory(project=project, step1_done=False)
    return CheckContext(submission=submission, project=project, step=Step.STEP1)


@pytest.mark.django_db
@override_settings(KYC_CHECK_PREFETCH=True)
def test_a_prefetch_may_not_query_the_database_and_its_check_runs_as_usual(caplog):
    ctx = _plain_context()
    with caplog.at_level(logging.ERROR, logger="submissions.checks.pipeline"):
        outcome = pipeline_run(ctx, checks=[_Slow(), _Queries()])
    assert [run.outcome for run in outcome.runs] == [CheckOutcome.PASSED, CheckOutcome.PASSED]
    assert outcome.runs[0].report.evidence == {"computed_on": HELPER}
    assert outcome.runs[1].report.evidence == {"projects": Project.objects.count()}  # run, on the request thread
    assert "prefetch of check test_queries queried the database" in caplog.text


@pytest.mark.django_db
@override_settings(KYC_CHECK_PREFETCH=True)
def test_a_failing_prefetch_leaves_the_check_to_fail_as_a_check():
    _Broken.attempts = []
    outcome = pipeline_run(_plain_context(), checks=[_Slow(), _Broken()])
    assert outcome.runs[-1].outcome == CheckOutcome.FAULT
    assert outcome.error.code == Step1ErrorCode.ID_IMAGE_ERROR
    assert len(_Broken.attempts) == 2  # the prefetch's failure was not kept: run computed again


@pytest.mark.django_db
@override_settings(KYC_CHECK_PREFETCH=False)
def test_with_prefetch_off_every_value_is_computed_on_the_request_thread():
    outcome = pipeline_run(_plain_context(), checks=[_Slow(), _Queries()])
    assert outcome.runs[0].report.evidence == {"computed_on": threading.current_thread().name}
