import logging
from typing import Any

from django.db import models
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from .codes import Step1ErrorCode, code_message

logger = logging.getLogger(__name__)


class SubmissionError(Exception):
    """A documented error answer: one code, its message (variant and placeholders filled)."""

    def __init__(
        self, code: models.TextChoices, *, variant: str | None = None, http_status: int = 400,
        retry_after: int | None = None, **params: Any
    ) -> None:
        self.code = code
        self.message = code_message(code, variant, **params)
        self.http_status = http_status
        self.retry_after = retry_after
        self.params = params
        super().__init__(self.message)

    def as_body(self) -> dict[str, Any]:
        return {"statusCode": self.http_status, "errorCode": self.code.value, "message": self.message}


def api_error_response(error: SubmissionError) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return Response(error.as_body(), status=error.http_status, headers=headers)


def api_exception_handler(exc: Exception, context: dict) -> Response:
    """Render every failure of an API view in the documented 400 envelope.

    Marks the request's transaction for rollback, so an error answer changes nothing.
    Unknown faults are logged with their traceback and answered with the view's
    `fault_code`, never with the traceback itself.
    """
    set_rollback()
    view = context.get("view")
    if isinstance(exc, SubmissionError):
        return api_error_response(exc)
    if isinstance(exc, drf_exceptions.ParseError | drf_exceptions.UnsupportedMediaType):
        return api_error_response(SubmissionError(Step1ErrorCode.INVALID_PAYLOAD))
    if isinstance(exc, drf_exceptions.MethodNotAllowed | drf_exceptions.NotFound):
        # Not in the code tables: HTTP semantics, in the same envelope.
        return Response(
            {"statusCode": exc.status_code, "errorCode": exc.default_code, "message": str(exc.detail)},
            status=exc.status_code,
        )
    fault_code = getattr(view, "fault_code", Step1ErrorCode.DATA_PROCESSING_ERROR)
    logger.exception("unhandled fault in %s", type(view).__name__ if view else "api", exc_info=exc)
    return api_error_response(SubmissionError(fault_code))
