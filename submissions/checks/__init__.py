"""The check pipeline. Importing this package registers the shipped checks."""

from . import bank  # noqa: F401
from .base import Check, CheckContext, CheckReport, Finding, check_list, check_register
from .pipeline import PipelineOutcome, pipeline_run

__all__ = [
    "Check", "CheckContext", "CheckReport", "Finding", "PipelineOutcome",
    "check_list", "check_register", "pipeline_run",
]
