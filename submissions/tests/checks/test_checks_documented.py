"""docs/checks.md lists every Step 1 check, every code they answer and every threshold."""

from pathlib import Path

import pytest
from django.conf import settings

from submissions.checks import check_list
from submissions.choices import Step
from submissions.codes import Step1RetryCode
from verification.thresholds import thresholds_all

CHECKS_DOC = Path(settings.BASE_DIR) / "docs" / "checks.md"

# The marker keeps the image-analysis checks registered (the root conftest removes them otherwise);
# nothing here analyses an image.
pytestmark = pytest.mark.image_checks


def test_every_step1_check_and_code_is_documented():
    text = CHECKS_DOC.read_text(encoding="utf-8")
    for check in check_list(Step.STEP1):
        assert f"`{check.name}`" in text, check.name
        for code in check.codes:
            assert f"`{code.value}`" in text, code.value
    # and every documented retry code has a check that can answer it
    answered = {code.value for check in check_list(Step.STEP1) for code in check.codes}
    assert {code.value for code in Step1RetryCode} <= answered


def test_every_threshold_is_documented():
    text = CHECKS_DOC.read_text(encoding="utf-8")
    for name in thresholds_all():
        assert f"`{name}`" in text, name
