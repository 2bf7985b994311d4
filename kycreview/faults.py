"""Answers when a dependency is down: the API's JSON envelope, a plain 503 elsewhere, never Django's HTML 500.

With ATOMIC_REQUESTS the request's transaction opens before any view runs, so a database that
cannot be reached fails outside the API's exception handler. DependencyFaultMiddleware catches
that (and any other connection fault a view raises) and `server_error` (handler500) catches what
fails in a middleware before the view. A dependency outage is logged as one warning line, not a
traceback per request.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults

from submissions.codes import Step1ErrorCode
from submissions.exceptions import SubmissionError

logger = logging.getLogger(__name__)

API_PREFIX = "/v3/"
# The database driver's connection faults: refused, reset, closed, timed out.
DATABASE_FAULTS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def fault_api_code(request):
    """The answering view's documented fault code (Step 1 and reads: data_processing_error)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
    view_class = getattr(getattr(match, "func", None), "view_class", None)
    return getattr(view_class, "fault_code", Step1ErrorCode.DATA_PROCESSING_ERROR)


def fault_response(request) -> HttpResponse:
    """The answer to a request that failed because a dependency is down (nothing was saved)."""
    if request.path_info.startswith(API_PREFIX):
        # The code tables answer server faults with their processing codes in the 400 envelope.
        error = SubmissionError(fault_api_code(request))
        return JsonResponse(error.as_body(), status=error.http_status)
    response = HttpResponse("Service temporarily unavailable. Please retry in a moment.\n",
                            content_type="text/plain; charset=utf-8", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DependencyFaultMiddleware:
    """A view (or the request's transaction) that cannot reach the database gets fault_response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_FAULTS):
            return None
        logger.warning("Database unavailable for %s %s (%s: %s)", request.method, request.path,
                       type(exception).__name__, exception)
        return fault_response(request)


def server_error(request):
    """handler500: a fault outside any view (a middleware) answers like DependencyFaultMiddleware.

    Any other uncaught fault keeps Django's page off the API, which answers JSON only.
    """
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_FAULTS) or request.path_info.startswith(API_PREFIX):
        return fault_response(request)
    return defaults.server_error(request)
