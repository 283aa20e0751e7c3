"""Which network addresses the fetcher may reach: the public internet, by default."""

from __future__ import annotations

import socket
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address
Resolver = Callable[[str, int], list[str]]
AddressPolicy = Callable[[IPAddress], bool]
# NAT64 gateways translate these IPv6 addresses to the IPv4 address in their last 32 bits.
NAT64_PREFIX = IPv6Network("64:ff9b::/96")


def is_public_address(address: IPAddress) -> bool:
    """Whether an address is on the public internet (the default fetch policy)."""
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        # 6to4 and NAT64 addresses lead to the IPv4 address inside them.
        embedded = address.sixtofour
        if embedded is None and address in NAT64_PREFIX:
            embedded = IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(embedded):
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for a host, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))
