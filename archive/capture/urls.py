"""The one door for a URL from outside: parse it, refuse what may not be fetched, vet its addresses.

A capture fetches whatever URL an archivist pastes (or a page redirects to), so a URL is hostile
input: it may name a file (``file://``), carry a password, or point at the archive machine itself
or its private network (``http://127.1/``, ``http://0x7f000001/``, ``http://[::ffff:10.0.0.1]/``,
or a name that resolves there). ``check_url`` is the only way a URL becomes fetchable: it parses
strictly, reads numeric hosts the way browsers do (so every spelling of an address is caught),
resolves the name once and vets every address it gets. The fetcher then connects to a vetted
address, never to the name again, so a DNS answer that changes between check and connect (DNS
rebinding) cannot steer it elsewhere; it also checks the peer address of the connection.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from archive.errors import URLRefusedError

MAX_URL_LENGTH = 8192
DEFAULT_PORTS = {"http": 80, "https": 443}
# What may stay unescaped in a path or query: RFC 3986 pchar plus "/" and "?" and "%" (already
# escaped octets are kept as they are).
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
_SAFE_QUERY = _SAFE_PATH + "?"
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")

Resolver = Callable[[str, int], Sequence[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class CheckedURL:
    """A URL that passed every check, with the addresses a fetch may connect to.

    ``url`` is the canonical form (lower-case scheme and host, numeric hosts in dotted form,
    default port dropped, fragment dropped, non-ASCII percent-encoded): it is what the WARC
    names. ``target`` is the request target sent on the request line; ``host_header`` the Host.
    """

    url: str
    scheme: str
    host: str
    port: int
    target: str
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:/*)([^/?#@]*@)")


def refuse(url: str, reason: str) -> URLRefusedError:
    """The one-line error for a URL; ``url`` is shown shortened, with controls escaped and any
    password replaced by ``***`` (errors end up in cron mail and logs)."""
    shown = _USERINFO.sub(lambda m: m.group(1) + (m.group(2).split(":", 1)[0] + ":***@"
                                                  if ":" in m.group(2) else m.group(2)), url)
    shown = shown if len(shown) <= 200 else shown[:200] + "…"
    return URLRefusedError(f"refused URL {shown!r}: {reason}")


def check_url(
    text: str, *, allow_private: bool = False, resolver: Resolver | None = None
) -> CheckedURL:
    """Parse ``text`` strictly and vet every address its host resolves to.

    Raises ``URLRefusedError`` naming the URL for anything malformed, any scheme but http(s),
    credentials, and hosts that are or resolve to loopback, private, link-local, shared
    (100.64/10), multicast, reserved or unspecified addresses; ``allow_private`` admits loopback,
    private, link-local and shared ones (tests on 127.0.0.1 pass it), never the rest.
    """
    scheme, host, port, target = parse_url(text)
    literal = _literal_address(host)
    addresses = [literal] if literal is not None else _resolve(text, host, port, resolver or system_resolver)
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private)
        if problem:
            subject = host if literal is not None else f"{host} resolves to {address}, which"
            raise refuse(text, f"{subject} is {problem}")
    url = f"{scheme}://{_host_in_url(host)}"
    if port != DEFAULT_PORTS[scheme]:
        url += f":{port}"
    return CheckedURL(url + target, scheme, host, port, target, tuple(str(a) for a in addresses))


def parse_url(text: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, request target) of ``text``, or ``URLRefusedError``; no DNS."""
    if not isinstance(text, str) or not text:
        raise refuse(str(text), "empty URL")
    if len(text) > MAX_URL_LENGTH:
        raise refuse(text, f"longer than {MAX_URL_LENGTH} characters")
    bad = next((ch for ch in text if _is_control_or_space(ch)), None)
    if bad is not None:
        raise refuse(text, f"contains a space or control character (U+{ord(bad):04X})")
    if "\\" in text:
        raise refuse(text, "contains a backslash")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise refuse(text, f"malformed ({exc})") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise refuse(text, "malformed: give a full http:// or https:// URL")
    if scheme not in DEFAULT_PORTS:
        raise refuse(text, f"scheme {scheme + ':'!r} is not allowed (only http and https)")
    if not text[len(scheme) + 1:].startswith("//"):
        raise refuse(text, "malformed: give a full http:// or https:// URL")
    netloc = parts.netloc
    if "@" in netloc:
        raise refuse(text, "credentials in a URL are not allowed")
    host = _host(text, netloc)
    port = _port(text, netloc, scheme)
    path = quote(parts.path or "/", safe=_SAFE_PATH)
    if not path.startswith("/"):
        raise refuse(text, "malformed path")
    target = path + ("?" + quote(parts.query, safe=_SAFE_QUERY) if parts.query else "")
    return scheme, host, port, target


def _is_control_or_space(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")


def _host(text: str, netloc: str) -> str:
    """The host of ``netloc`` in canonical form: IPv6 without brackets, IPv4 dotted, names IDNA."""
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise refuse(text, "malformed IPv6 address (no closing bracket)")
        inside = netloc[1:end]
        if "%" in inside:
            raise refuse(text, "IPv6 zone identifiers are not allowed")
        try:
            return str(ipaddress.IPv6Address(inside))
        except ValueError:
            raise refuse(text, f"malformed IPv6 address {inside!r}") from None
    host = netloc.rsplit(":", 1)[0] if ":" in netloc else netloc
    if not host:
        raise refuse(text, "no host")
    if "%" in host:
        raise refuse(text, "percent-encoded host names are not allowed")
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise refuse(text, f"malformed host name {host!r}") from None
    numeric = _whatwg_ipv4(text, ascii_host)
    if numeric is not None:
        return numeric
    stripped = ascii_host[:-1] if ascii_host.endswith(".") else ascii_host
    if not stripped or not set(stripped) <= _HOST_CHARS or any(
        not label or len(label) > 63 for label in stripped.split(".")
    ) or len(stripped) > 253:
        raise refuse(text, f"malformed host name {host!r}")
    return stripped


def _whatwg_ipv4(text: str, host: str) -> str | None:
    """Read a numeric host the way browsers do (``127.1``, ``0x7f.0.0.1``, ``0177.0.0.1``,
    ``2130706433``), so no spelling of an address slips past the checks; None for a name."""
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels = labels[:-1]
    if not _looks_numeric(labels[-1]):
        return None
    if len(labels) > 4:
        raise refuse(text, f"malformed IPv4 address {host!r}")
    numbers = []
    for label in labels:
        value = _ipv4_number(label)
        if value is None:
            raise refuse(text, f"malformed IPv4 address {host!r}")
        numbers.append(value)
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise refuse(text, f"malformed IPv4 address {host!r} (a part is out of range)")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    return str(ipaddress.IPv4Address(value))


def _looks_numeric(label: str) -> bool:
    if label[:2].lower() == "0x":
        return all(c in "0123456789abcdef" for c in label[2:].lower())
    return label.isascii() and label.isdigit()


def _ipv4_number(label: str) -> int | None:
    if not label:
        return None
    try:
        if label[:2].lower() == "0x":
            return int(label[2:], 16) if label[2:] else 0
        if len(label) > 1 and label.startswith("0"):
            return int(label[1:], 8)
        return int(label, 10) if label.isascii() and label.isdigit() else None
    except ValueError:
        return None


def _port(text: str, netloc: str, scheme: str) -> int:
    tail = netloc[netloc.rfind("]") + 1:] if netloc.startswith("[") else netloc
    if ":" not in tail:
        return DEFAULT_PORTS[scheme]
    digits = tail.rsplit(":", 1)[1]
    if digits == "":
        return DEFAULT_PORTS[scheme]
    if not (digits.isascii() and digits.isdigit()) or not 0 < int(digits) < 65536:
        raise refuse(text, f"malformed port {digits!r}")
    return int(digits)


def _host_in_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (TCP), in its order, no repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _resolve(text: str, host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    try:
        found = list(resolver(host, port))
    except (OSError, UnicodeError) as exc:
        raise refuse(text, f"cannot resolve host {host!r} ({exc})") from None
    if not found:
        raise refuse(text, f"host {host!r} resolves to no address")
    addresses = []
    for item in found:
        try:
            addresses.append(ipaddress.ip_address(str(item).split("%", 1)[0]))
        except ValueError:
            raise refuse(text, f"host {host!r} resolves to a malformed address {item!r}") from None
    return addresses


# Special-purpose addresses (IANA's registries), judged by our own table rather than the
# stdlib's is_global, whose answers vary between Python releases (192.0.0.0/24 changed in 3.11.10).
_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network
_PRIVATE = (  # admitted by allow_private
    ("loopback", (_V4("127.0.0.0/8"), _V6("::1/128"))),
    ("private", (_V4("10.0.0.0/8"), _V4("172.16.0.0/12"), _V4("192.168.0.0/16"), _V6("fc00::/7"))),
    ("link-local", (_V4("169.254.0.0/16"), _V6("fe80::/10"))),
    ("shared (carrier-grade NAT)", (_V4("100.64.0.0/10"),)),
    ("site-local", (_V6("fec0::/10"),)),
)
_NEVER = (  # refused even with allow_private: no web server can be there
    ("unspecified", (_V4("0.0.0.0/32"), _V6("::/128"))),
    ("multicast", (_V4("224.0.0.0/4"), _V6("ff00::/8"))),
    ("broadcast", (_V4("255.255.255.255/32"),)),
    ("reserved", (_V4("0.0.0.0/8"), _V4("192.0.0.0/24"), _V4("192.88.99.0/24"), _V4("240.0.0.0/4"),
                  _V6("100::/64"), _V6("2001::/23"), _V6("5f00::/16"))),
    ("documentation", (_V4("192.0.2.0/24"), _V4("198.51.100.0/24"), _V4("203.0.113.0/24"),
                       _V6("2001:db8::/32"), _V6("3fff::/20"))),
    ("benchmarking", (_V4("198.18.0.0/15"), _V6("2001:2::/48"))),
)
_GLOBAL_UNICAST_V6 = _V6("2000::/3")


def address_problem(address: IPAddress | str, *, allow_private: bool = False) -> str | None:
    """Why a fetch may not connect to ``address`` (a phrase), or None if it may.

    IPv6 forms that embed an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, Teredo, NAT64) are
    judged by the address they carry as well; IPv6 outside 2000::/3 is unallocated (reserved).
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    for embedded in _embedded_ipv4(ip):
        problem = address_problem(embedded, allow_private=allow_private)
        if problem:
            return f"an address embedding {embedded}, {problem}"
    for name, networks in _NEVER:
        if any(ip.version == net.version and ip in net for net in networks):
            return f"a {name} address"
    for name, networks in _PRIVATE:
        if any(ip.version == net.version and ip in net for net in networks):
            return None if allow_private else f"a {name} address (pass allow_private to fetch it)"
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _GLOBAL_UNICAST_V6 and not _embedded_ipv4(ip):
        return "a reserved address"
    return None


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def _embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    # IPv4-compatible (::a.b.c.d, deprecated): ::/96 less :: and ::1
    if int(ip) >> 32 == 0 and int(ip) > 1:
        found.append(ipaddress.IPv4Address(int(ip)))
    return found
