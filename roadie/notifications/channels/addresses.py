"""Which addresses a channel may reach: public ones, and networks the operator allowed.

A channel URL is typed by people (customer admins included); without this check a webhook
pointed at 127.0.0.1, a private network or a cloud metadata service (169.254.169.254) would
make Roadie's worker a way into its own network. The host name is resolved here and only the
allowed addresses are connected to, so a name that resolves differently later (DNS rebinding)
gains nothing, and a refused host is never touched (no port scanning through error messages).
"""

import ipaddress
import socket

from django.conf import settings

from roadie.notifications.channels.base import PermanentFailure

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

REFUSED = (
    "the URL's host is a private or local address; Roadie does not send there unless "
    "ROADIE_WEBHOOK_ALLOWED_NETWORKS includes it"
)

# IPv6 ranges that carry an IPv4 address or reach a local network whatever Python's is_global
# says of them (its answers have changed between patch releases).
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NEVER_PUBLIC_V6 = [
    ipaddress.ip_network(n)
    for n in (
        "64:ff9b:1::/48",  # local-use NAT64
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0:0/96",  # IPv4-translated
        "2001::/32",  # Teredo
        "fec0::/10",  # site-local (deprecated)
    )
]


class BlockedAddress(PermanentFailure):
    pass


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_allowed(address: IpAddress) -> bool:
    if any(address in network for network in settings.ROADIE_WEBHOOK_ALLOWED_NETWORKS):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            return is_allowed(embedded)
        if any(address in network for network in NEVER_PUBLIC_V6):
            return False
    return address.is_global and not address.is_multicast


def literal_address(host: str) -> IpAddress | None:
    """The host as an IP address when the URL names one, else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def create_connection(
    address: tuple[str, int], timeout: float | None = None, source_address: object = None
) -> socket.socket:
    """socket.create_connection to the host's allowed addresses only (http.client calls it).

    Raises BlockedAddress, naming no address, when the host has none that is allowed; a name
    that does not resolve or a refused connection is an OSError as usual.
    """
    host, port = address
    candidates = [
        info
        for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        if is_allowed(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
    ]
    if not candidates:
        raise BlockedAddress(REFUSED)
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in candidates:
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)  # type: ignore[arg-type]
            sock.connect(sockaddr)
            return sock
        except OSError as failure:
            error = failure
            sock.close()
    assert error is not None
    raise error
