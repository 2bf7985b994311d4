"""Fixtures for calling the submission services directly: typed inputs and scripted checks."""

from collections import deque
from datetime import date

import pytest

from conftest import image_bytes
from submissions.checks import CheckReport, Finding
from submissions.checks.base import Check, check_register, check_unregister
from submissions.choices import Step
from submissions.codes import Step1ErrorCode, Step1RetryCode, Step2ErrorCode, Step2RetryCode
from submissions.images import image_read_bytes
from submissions.inputs import Step1Input, Step2Input


@pytest.fixture
def step1_input():
    """step1_input(email=..., submission_id=..., custom_options=...) -> Step1Input with a real JPEG."""

    def make(*, email="anna@example.com", country="POL", id_type="passport", submission_id="",
             custom_options=None, back=False) -> Step1Input:
        return Step1Input(
            issuing_country=country,
            email=email,
            id_type=id_type,
            id_image=image_read_bytes(image_bytes()),
            id_back_image=image_read_bytes(image_bytes(color=(90, 90, 90))) if back else None,
            submission_id=submission_id,
            custom_options=custom_options or {},
        )

    return make


@pytest.fixture
def step2_input():
    """step2_input(submission_id, name=..., date_of_birth=..., **fields) -> Step2Input with a real JPEG."""

    def make(submission_id: str, *, name="Anna Nowak", date_of_birth=date(1990, 4, 12), **fields) -> Step2Input:
        return Step2Input(
            submission_id=submission_id,
            face_image=image_read_bytes(image_bytes(size=(480, 640))),
            name=name,
            date_of_birth=date_of_birth,
            fields=fields,
        )

    return make


class ScriptedChecks:
    """Queued answers for one scripted check per step; an empty queue passes with `score`."""

    def __init__(self) -> None:
        self.queues = {Step.STEP1: deque(), Step.STEP2: deque()}
        self.score: float | None = None

    def retry(self, step: Step, times: int = 1) -> None:
        code = Step1RetryCode.MRZ_PROTOCOL_FAIL if step == Step.STEP1 else Step2RetryCode.FACE_COMPARE_UNDERSCORE
        for _ in range(times):
            self.queues[step].append(CheckReport(findings=[Finding(code)]))

    def error(self, step: Step) -> None:
        code = Step1ErrorCode.ID_DETECTION_ERROR if step == Step.STEP1 else Step2ErrorCode.FACE_VALIDATION_ERROR
        self.queues[step].append(CheckReport(findings=[Finding(code)]))

    def report(self, step: Step) -> CheckReport:
        return self.queues[step].popleft() if self.queues[step] else CheckReport(score=self.score)


@pytest.fixture
def scripted_checks():
    """Register a scripted check on Step 1 and Step 2 for the test; `.retry(step)` queues a retry."""
    script = ScriptedChecks()
    names = []
    for step, codes in ((Step.STEP1, (Step1RetryCode.MRZ_PROTOCOL_FAIL, Step1ErrorCode.ID_DETECTION_ERROR)),
                        (Step.STEP2, (Step2RetryCode.FACE_COMPARE_UNDERSCORE, Step2ErrorCode.FACE_VALIDATION_ERROR))):
        name = f"test_scripted_{step}"
        attrs = {"name": name, "step": step, "codes": codes,
                 "run": lambda self, ctx, step=step: script.report(step)}
        check_register(type(f"Scripted{step.title()}Check", (Check,), attrs))
        names.append(name)
    yield script
    for name in names:
        check_unregister(name)
