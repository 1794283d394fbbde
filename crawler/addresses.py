"""Staying in lane: addresses a crawl must never connect to (private networks, loopback,
link-local, ...), checked after DNS resolution so a public name cannot point the crawler at an
internal service. On by default; `crawl.blocked_addresses: []` switches it off for local testing."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Named ranges a config may list besides CIDR blocks.
NAMED_RANGES: dict[str, tuple[str, ...]] = {
    "private": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"),
    "loopback": ("127.0.0.0/8", "::1/128"),
    "link-local": ("169.254.0.0/16", "fe80::/10"),
    "unspecified": ("0.0.0.0/8", "::/128"),
    "multicast": ("224.0.0.0/4", "ff00::/8"),
    "reserved": ("240.0.0.0/4", "192.0.0.0/24", "198.18.0.0/15"),
}
DEFAULT_BLOCKED = ["private", "loopback", "link-local", "unspecified", "multicast", "reserved"]


def parse_networks(entries: Iterable[str]) -> list[Network]:
    """Named ranges and CIDR blocks → networks; raises ValueError naming a bad entry."""
    networks: list[Network] = []
    for entry in entries:
        for block in NAMED_RANGES.get(entry.strip().lower(), (entry.strip(),)):
            try:
                networks.append(ipaddress.ip_network(block, strict=False))
            except ValueError:
                known = ", ".join(NAMED_RANGES)
                raise ValueError(f"{entry!r} is neither a CIDR block nor one of: {known}") from None
    return networks


def blocked(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False  # a name, not an address: the resolver checks it
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks)


class BlockedAddress(DNSLookupError):
    """The host resolves to an address the configuration forbids."""


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's resolver, refusing names that resolve to a blocked address."""

    networks: Sequence[Network] = ()

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.networks = parse_networks(crawler.settings.getlist("NEWSARCHIVE_BLOCKED_ADDRESSES"))
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Any:  # noqa: N802 (Twisted's name)
        def check(address: str) -> str:
            if blocked(address, self.networks):
                raise BlockedAddress(f"{name} resolves to {address}, a blocked address")
            return address

        return super().getHostByName(name, timeout).addCallback(check)


class AddressGuardMiddleware:
    """Downloader middleware for URLs that name an IP address directly (no DNS lookup happens)."""

    def __init__(self, networks: Sequence[Network]):
        self.networks = networks

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        networks = parse_networks(crawler.settings.getlist("NEWSARCHIVE_BLOCKED_ADDRESSES"))
        if not networks:
            raise NotConfigured("no blocked addresses")
        return cls(networks)

    def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        if blocked(host, self.networks):
            raise IgnoreRequest(f"blocked address: {host}")
