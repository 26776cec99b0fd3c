"""Which addresses a channel may reach: public ones, and networks the operator allowed.

A channel URL is typed by people (customer admins included); without this check a webhook
pointed at 127.0.0.1, a private network or a cloud metadata service (169.254.169.254) would
make Roadie's worker a way into its own network. The address is checked where the socket
connects, so a name that resolves differently later (DNS rebinding) gains nothing.
"""

import ipaddress
import socket

from django.conf import settings

from roadie.notifications.channels.base import PermanentFailure

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(PermanentFailure):
    pass


def _plain(address: IpAddress) -> IpAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_allowed(address: IpAddress) -> bool:
    address = _plain(address)
    if any(address in network for network in settings.ROADIE_WEBHOOK_ALLOWED_NETWORKS):
        return True
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
    """socket.create_connection, refusing a peer that is not allowed (http.client calls it)."""
    sock = socket.create_connection(address, timeout, source_address)  # type: ignore[arg-type]
    peer = ipaddress.ip_address(sock.getpeername()[0])
    if not is_allowed(peer):
        sock.close()
        raise BlockedAddress(
            f"{address[0]} is {_plain(peer)}, a private or local address; Roadie does not send "
            "there unless ROADIE_WEBHOOK_ALLOWED_NETWORKS includes it"
        )
    return sock
