"""Fixtures of the API tests: scripted test doubles of pipeline checks."""

import itertools

import pytest

from submissions.checks.base import Check, CheckReport, check_register, check_unregister
from submissions.choices import Step
from submissions.codes import Step1RetryCode, Step2RetryCode

# helpers.changes_nothing asserts on dicts: show the difference when it fails.
pytest.register_assert_rewrite("submissions.tests.apis.helpers")


class ScriptedCheck(Check):
    """Test double of a registered pipeline check: answers what the test scripted.

    `answers` is consumed one item per run: a list of findings, a CheckReport, an
    exception to raise, or a function of the CheckContext returning one of those; once it
    is empty every run answers `default`.
    """

    answers: list = []
    default: object = None

    def run(self, ctx):
        answer = type(self).answers.pop(0) if type(self).answers else type(self).default
        type(self).runs += 1
        if callable(answer):
            answer = answer(ctx)
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, CheckReport):
            return answer
        return CheckReport(findings=list(answer or []))


_check_names = itertools.count()


@pytest.fixture
def scripted_check():
    """scripted_check(step=..., codes=..., fault_code=...) -> a registered ScriptedCheck subclass.

    The server thread runs in this process, so it runs the same registry; every check is
    unregistered on teardown.
    """
    names = []

    def make(*, step=Step.STEP1, codes=None, fault_code=None, answers=None, default=None):
        if codes is None:
            codes = (Step1RetryCode.MRZ_PROTOCOL_FAIL,) if step == Step.STEP1 else (Step2RetryCode.LIVENESS_FAIL,)
        name = f"test_scripted_{next(_check_names)}"
        check_class = type(name, (ScriptedCheck,), {
            "name": name, "step": step, "codes": tuple(codes), "fault_code": fault_code,
            "answers": list(answers or []), "default": default, "runs": 0,
        })
        check_register(check_class)
        names.append(name)
        return check_class

    yield make
    for name in names:
        check_unregister(name)
