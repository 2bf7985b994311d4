"""API key authentication: `x-api-key` names the project; wrong or missing keys get `unauthorized`."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication

from kycreview.ratelimit import client_address, limit_parse, rate_hit

from .codes import ApiLimitCode, Step1ErrorCode
from .exceptions import SubmissionError
from .models import ApiKey, Project

# last_used_at is for operators ("is this key still in use?"), so minute precision is
# enough and spares a write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


def api_key_authenticate(raw_key: str, *, address: str = "") -> ApiKey:
    parts = ApiKey.split(raw_key) if raw_key else None
    api_key = (
        ApiKey.objects.select_related("project").filter(prefix=parts[0], revoked_at__isnull=True).first()
        if parts
        else None
    )
    if api_key is None or not api_key.matches(raw_key):
        if address:
            # Counted here, checked by ApiLimitsMiddleware on the address's next request.
            rate_hit("badkey", address, limit_parse(settings.KYC_RATE_LIMIT_WRONG_KEYS_PER_IP))
        raise SubmissionError(Step1ErrorCode.UNAUTHORIZED)
    wait = rate_hit("key", str(api_key.pk), limit_parse(settings.KYC_RATE_LIMIT_PER_KEY)) if address else None
    if wait is not None:
        raise SubmissionError(ApiLimitCode.TOO_MANY_REQUESTS, http_status=429, retry_after=wait, seconds=wait)
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_PRECISION:
        # After the request's transaction: an UPDATE inside it would hold the key's row lock
        # until the response, queueing every concurrent request of the same key behind it.
        transaction.on_commit(
            lambda: ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now), robust=True
        )
    return api_key


def api_project_resolve(*, api_key: ApiKey, project_id: str) -> Project:
    """The key's project, refusing another project's id and closed projects."""
    project = api_key.project
    if project_id and project_id != project.project_id:
        raise SubmissionError(Step1ErrorCode.INVALID_REQUEST)
    if not project.is_active:
        raise SubmissionError(Step1ErrorCode.INVALID_PROJECT)
    return project


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        return (None, api_key_authenticate(request.headers.get("x-api-key", "").strip(),
                                           address=client_address(request)))

    def authenticate_header(self, request) -> str:
        return "x-api-key"


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "submissions.auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "x-api-key"}
