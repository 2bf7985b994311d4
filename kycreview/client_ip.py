"""Who the client is: one resolver for the rate limits, the login lockout and the stored applicant IP.

Behind N proxies that each append the address they received the request from to
X-Forwarded-For, the last N entries were written by those proxies and everything to their left
by the client, who may write anything. So the client's address is the N-th entry from the
right, never the left-most one. With no proxy (N = 0) it is REMOTE_ADDR.

Settings (docs/security.md):
- KYC_TRUSTED_PROXY_COUNT: how many proxies in front of gunicorn append to the header.
- KYC_CLIENT_IP_HEADER: the header they append to (default HTTP_X_FORWARDED_FOR). Set on its
  own, as older configurations did, it means one trusted proxy.
"""

import ipaddress

from django.conf import settings

DEFAULT_FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"


def client_ip_trusted_proxies() -> tuple[str, int]:
    """(header, count of trusted proxies appending to it); count 0 means REMOTE_ADDR alone."""
    count = settings.KYC_TRUSTED_PROXY_COUNT
    header = settings.KYC_CLIENT_IP_HEADER
    if count <= 0 and header:
        # The old meaning of KYC_CLIENT_IP_HEADER alone: one proxy in front. It used to trust the
        # left-most entry, which the client writes; one proxy's entry is the right-most.
        count = 1
    return header or DEFAULT_FORWARDED_HEADER, max(count, 0)


def ip_parse(value: str) -> str | None:
    """A bare, normalised IP address from one header entry ("1.2.3.4", "1.2.3.4:80", "[::1]:80"), or None."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address as the trusted proxies saw it; None when there is none at all.

    A header with fewer entries than trusted proxies did not come through all of them, and an
    entry that is no address was not written by a proxy: neither is trusted, and the peer
    address (REMOTE_ADDR) stands instead.
    """
    remote = ip_parse(request.META.get("REMOTE_ADDR", "") or "")
    header, count = client_ip_trusted_proxies()
    if count == 0:
        return remote
    entries = [entry for entry in request.META.get(header, "").split(",") if entry.strip()]
    if len(entries) < count:
        return remote
    return ip_parse(entries[-count]) or remote
