"""The check pipeline. Importing this package registers the shipped checks.

Registration order is run order: the first error (HTTP 400) stops the pipeline, so the document
checks that can answer one (not_an_id, ocr_fail, invalid_id, id_liveness_error) run after the
capture checks they consult and before the slower forensic checks.
"""

from . import (
    bank,  # noqa: F401
    capture,  # noqa: F401
    document,  # noqa: F401
    id_liveness,  # noqa: F401
    registry,  # noqa: F401
    tampering,  # noqa: F401
)
from .base import Check, CheckContext, CheckReport, Finding, check_list, check_register
from .pipeline import PipelineOutcome, pipeline_run

__all__ = [
    "Check", "CheckContext", "CheckReport", "Finding", "PipelineOutcome",
    "check_list", "check_register", "pipeline_run",
]
