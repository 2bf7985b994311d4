"""Where a webhook may be sent: https to public addresses, checked when the URL is saved and again at connect time.

A project's operator chooses the webhook URL, and the server POSTs to it: without these checks the
URL is a way into the server's own network (databases, Redis, the cloud metadata service) and the
delivery log a port scanner. One policy, used by the model field's validator (the admin form and
`kyc_project`) and by delivery:

- the scheme is https; plain http only with `KYC_WEBHOOK_ALLOW_HTTP` (development);
- every address the host resolves to must be globally reachable: loopback, private, link-local,
  shared, multicast, reserved and unspecified addresses are refused, also when wrapped in IPv6
  (IPv4-mapped, 6to4, Teredo, NAT64);
- `KYC_WEBHOOK_ALLOWED_HOSTS` (on premises) names internal receivers allowed anyway: host names,
  addresses or networks.

At connect time the host is resolved once, every answer is checked, and the socket connects to a
checked address (`WebhookAdapter`): a second DNS answer (rebinding) never gets a say. TLS is still
verified against the host name of the URL.
"""

import ipaddress
import socket
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# 64:ff9b::/96 (RFC 6052) carries an IPv4 address in its last 32 bits, reached through a NAT64 gateway.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
ALLOWED_HOSTS_HINT = "list it in KYC_WEBHOOK_ALLOWED_HOSTS to allow an internal receiver on premises"


class WebhookDestinationError(Exception):
    """A webhook URL or address the policy refuses; the message says why, for the operator.

    Not an OSError on purpose: raised inside urllib3 while connecting, it must not be taken for a
    network failure and retried against the next address.
    """


@dataclass(frozen=True)
class WebhookDestination:
    scheme: str
    host: str  # lower case, without brackets or a trailing dot
    port: int


@dataclass(frozen=True)
class _AllowList:
    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]


@lru_cache(maxsize=8)
def _allow_list_parse(entries: tuple[str, ...]) -> _AllowList:
    hosts, networks = set(), []
    for entry in (e.strip().lower().rstrip(".") for e in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            hosts.add(entry)
    return _AllowList(frozenset(hosts), tuple(networks))


def _allow_list() -> _AllowList:
    return _allow_list_parse(tuple(settings.KYC_WEBHOOK_ALLOWED_HOSTS))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address; the server's is public by construction
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def webhook_address_refusal(address: IPAddress) -> str | None:
    """Why `address` may not receive webhooks ("a loopback address", ...); None when it may."""
    if any(address in network for network in _allow_list().networks):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = webhook_address_refusal(embedded)
            return None if reason is None else f"{reason} (inside an IPv6 address)"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


def webhook_destination_parse(url: str) -> WebhookDestination:
    """The scheme, host and port of a webhook URL, checked without the network.

    Raises WebhookDestinationError: a scheme other than https (http when allowed), no host, or a
    host that is an address (or `localhost`) the policy refuses.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookDestinationError(f"The webhook URL is not valid: {exc}.") from exc
    scheme = parts.scheme.lower()
    allowed_schemes = ("https", "http") if settings.KYC_WEBHOOK_ALLOW_HTTP else ("https",)
    if scheme not in allowed_schemes:
        if scheme == "http":
            raise WebhookDestinationError(
                "The webhook URL must use https (plain http is only for development: KYC_WEBHOOK_ALLOW_HTTP)."
            )
        raise WebhookDestinationError(f"The webhook URL must use https, not {scheme or 'no scheme'}.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise WebhookDestinationError("The webhook URL has no host.")
    destination = WebhookDestination(scheme, host, port or (443 if scheme == "https" else 80))
    if host in _allow_list().hosts:
        return destination
    if host == "localhost" or host.endswith(".localhost"):
        raise WebhookDestinationError(f"The webhook host {host} is this server itself; {ALLOWED_HOSTS_HINT}.")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return destination
    reason = webhook_address_refusal(literal)
    if reason is not None:
        raise WebhookDestinationError(f"The webhook host {host} is {reason}; {ALLOWED_HOSTS_HINT}.")
    return destination


def webhook_destination_addresses(destination: WebhookDestination) -> list[tuple[int, str]]:
    """(address family, address) of every answer for the destination's host, each checked.

    Raises WebhookDestinationError when the host does not resolve or when any answer is refused:
    a name that resolves to one internal address among public ones is an internal name.
    """
    try:
        answers = socket.getaddrinfo(destination.host, destination.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # gaierror, and an IDNA label too long to encode
        raise WebhookDestinationError(f"The webhook host {destination.host} does not resolve.") from exc
    trusted_name = destination.host in _allow_list().hosts
    addresses: list[tuple[int, str]] = []
    for family, _, _, _, sockaddr in answers:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        text = sockaddr[0].split("%", 1)[0]  # an IPv6 zone ("fe80::1%eth0") is not part of the address
        if not trusted_name:
            reason = webhook_address_refusal(ipaddress.ip_address(text))
            if reason is not None:
                # The address itself is left out: the message must not map internal names for the operator.
                raise WebhookDestinationError(
                    f"The webhook host {destination.host} resolves to {reason}; {ALLOWED_HOSTS_HINT}."
                )
        if (family, text) not in addresses:
            addresses.append((family, text))
    if not addresses:
        raise WebhookDestinationError(f"The webhook host {destination.host} has no IPv4 or IPv6 address.")
    return addresses


def webhook_url_validate(url: str) -> None:
    """The model field's validator (admin form, `kyc_project`): the URL and what its host resolves to now."""
    if not isinstance(url, str):
        return  # not a URL at all: the field's URLValidator says so (every validator of a field runs)
    try:
        webhook_destination_addresses(webhook_destination_parse(url))
    except WebhookDestinationError as exc:
        raise ValidationError(str(exc), code="webhook_destination") from exc


# -- connecting to a checked address only --------------------------------------------


class _PinnedConnectionMixin:
    """Resolves the host itself, refuses what the policy refuses, and connects to a checked address.

    urllib3 would resolve the host again inside `create_connection`; here the socket is opened to
    the address just checked, and the peer it reached is checked once more. TLS (HTTPSConnection)
    wraps this socket afterwards, with SNI and certificate checks on the URL's host name.
    """

    def _new_conn(self) -> socket.socket:
        destination = webhook_destination_parse(f"{self.webhook_scheme}://{_url_host(self.host)}:{self.port}/")
        last_error: OSError | None = None
        for family, address in webhook_destination_addresses(destination):
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                if isinstance(self.timeout, int | float):  # else urllib3's "default": blocking, as it does
                    sock.settimeout(self.timeout)
                sock.connect((address, self.port))
                peer = ipaddress.ip_address(sock.getpeername()[0].split("%", 1)[0])
            except TimeoutError as exc:
                sock.close()
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                sock.close()
                last_error = exc
                continue
            if peer != ipaddress.ip_address(address):
                sock.close()
                raise WebhookDestinationError(f"The webhook host {self.host} connected to an address not checked.")
            return sock
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class WebhookHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    webhook_scheme = "http"


class WebhookHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    webhook_scheme = "https"


class _WebhookHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = WebhookHTTPConnection


class _WebhookHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = WebhookHTTPSConnection


class WebhookAdapter(HTTPAdapter):
    """A requests adapter whose connections go only where `webhook_destination_addresses` allows."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WebhookHTTPConnectionPool,
            "https": _WebhookHTTPSConnectionPool,
        }
