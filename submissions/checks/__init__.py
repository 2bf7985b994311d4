"""The check pipeline. Importing this package registers the shipped checks.

Run order is each check's `run_order` (capture 10, document 20, registry 30, tampering 40, ID
liveness 50): the first error (HTTP 400) stops the pipeline, so the document checks that can answer
one (not_an_id, ocr_fail) run after the capture checks they consult, and the registry checks
(invalid_id) before the slower forensic ones.
"""

from . import (
    bank,  # noqa: F401
    capture,  # noqa: F401
    document,  # noqa: F401
    face,  # noqa: F401
    face_duplicates,  # noqa: F401
    id_liveness,  # noqa: F401
    identity,  # noqa: F401
    registry,  # noqa: F401
    tampering,  # noqa: F401
)
from .base import Check, CheckContext, CheckReport, Finding, check_list, check_register
from .pipeline import PipelineOutcome, pipeline_run

__all__ = [
    "Check", "CheckContext", "CheckReport", "Finding", "PipelineOutcome",
    "check_list", "check_register", "pipeline_run",
]
