"""Abuse limits of the public API: counters in the shared cache (Redis in production).

Three fixed-window counters per minute, each a single atomic INCR:

- per client address, every /v3/ request (the middleware, before the body is read);
- per client address, wrong or missing API keys (`unauthorized` answers): a brute force of keys
  is throttled while every wrong key below the limit still gets its `unauthorized`;
- per API key, once the key is authenticated (counting by the bare prefix would let anyone who
  saw a key's public prefix spend its budget).

Beyond a limit the answer is HTTP 429 with `Retry-After` in the documented envelope. The
middleware also refuses a request whose Content-Length exceeds KYC_MAX_REQUEST_BYTES with 413
before reading it.

When the shared cache cannot be reached the limits fail over to counters in this process (each
web process then counts alone) with a warning, instead of failing every API call: Step 2 must
still save while Redis is down, since the webhook outbox exists for exactly that.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import JsonResponse

from kycreview.client_ip import client_ip
from submissions.codes import ApiLimitCode, code_message


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


def limit_parse(value: str) -> Limit:
    """"600/60" -> 600 requests per 60 seconds."""
    count, _, seconds = value.partition("/")
    return Limit(int(count), int(seconds or 60))


def client_address(request) -> str:
    """The client's address as counters key it (kycreview/client_ip.py resolves it)."""
    return client_ip(request) or "unknown"


def _window(limit: Limit) -> tuple[int, int]:
    now = time.time()
    start = int(now // limit.seconds) * limit.seconds
    return start, max(1, int(start + limit.seconds - now + 0.999))


logger = logging.getLogger(__name__)

# Counters of this process, used while the shared cache is unreachable.
local_counters = LocMemCache("kycreview-ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
# After a failure the shared cache is left alone this long: a cache that hangs until its socket
# timeout must not add that wait to every request. One warning per period keeps logs readable.
SHARED_CACHE_RETRY_SECONDS = 5
SHARED_CACHE_WARNING_SECONDS = 60
_shared_cache_state = {"down_until": 0.0, "warned_at": float("-inf")}


def _shared_cache_failed(exc: Exception) -> None:
    now = time.monotonic()
    _shared_cache_state["down_until"] = now + SHARED_CACHE_RETRY_SECONDS
    if now - _shared_cache_state["warned_at"] >= SHARED_CACHE_WARNING_SECONDS:
        _shared_cache_state["warned_at"] = now
        logger.warning("Rate limit counters: the shared cache is unreachable (%s: %s); counting in this "
                       "process until it answers again.", type(exc).__name__, exc)


def _counted(operation, *args):
    """operation(counters, *args) on the shared cache, or on this process's counters when it fails."""
    if time.monotonic() >= _shared_cache_state["down_until"]:
        try:
            return operation(cache, *args)
        except Exception as exc:  # any backend's connection fault: redis, memcached, ...
            _shared_cache_failed(exc)
    return operation(local_counters, *args)


def _hit(counters, key: str, timeout: int) -> int:
    counters.add(key, 0, timeout=timeout)
    try:
        return counters.incr(key)
    except ValueError:  # evicted between add and incr: count this hit as the first
        counters.add(key, 1, timeout=timeout)
        return 1


def _count(counters, key: str) -> int:
    return counters.get(key, 0)


def rate_hit(scope: str, ident: str, limit: Limit) -> int | None:
    """Count one hit; the seconds to wait when the limit is exceeded, else None."""
    start, retry_after = _window(limit)
    count = _counted(_hit, f"kyc:rl:{scope}:{ident}:{start}", limit.seconds + 5)
    return retry_after if count > limit.count else None


def rate_exceeded(scope: str, ident: str, limit: Limit) -> int | None:
    """The seconds to wait if the counter is already past the limit (no hit counted)."""
    start, retry_after = _window(limit)
    count = _counted(_count, f"kyc:rl:{scope}:{ident}:{start}")
    return retry_after if count >= limit.count else None


def limit_response(code: ApiLimitCode, status: int, *, retry_after: int | None = None, **params) -> JsonResponse:
    response = JsonResponse({"statusCode": status, "errorCode": code.value, "message": code_message(code, **params)},
                            status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


class ApiLimitsMiddleware:
    """Per-address limits and the request size limit of every /v3/ request, before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/v3/"):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.KYC_MAX_REQUEST_BYTES:
            return limit_response(ApiLimitCode.REQUEST_TOO_LARGE, 413,
                                  megabytes=settings.KYC_MAX_REQUEST_BYTES // (1024 * 1024))
        address = client_address(request)
        wait = rate_exceeded("badkey", address, limit_parse(settings.KYC_RATE_LIMIT_WRONG_KEYS_PER_IP))
        if wait is None:
            wait = rate_hit("ip", address, limit_parse(settings.KYC_RATE_LIMIT_PER_IP))
        if wait is not None:
            return limit_response(ApiLimitCode.TOO_MANY_REQUESTS, 429, retry_after=wait, seconds=wait)
        return self.get_response(request)
