"""archive.capture.urls: every URL from outside goes through check_url, and hostile ones are refused.

No test here connects anywhere: check_url only parses and resolves, and the resolver is injected
where a name must resolve to a chosen address.
"""

from __future__ import annotations

import ipaddress
import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from archive.capture.urls import address_problem, check_url
from archive.errors import URLRefusedError

PUBLIC = "93.184.216.34"  # never connected to: the resolver below only names it


def public_resolver(host: str, port: int) -> list[str]:
    return [PUBLIC]


def refused(url: str, **kwargs) -> str:
    with pytest.raises(URLRefusedError) as caught:
        check_url(url, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("refused URL ")
    return message


# --- examples, one per rule -------------------------------------------------------------------

@pytest.mark.parametrize("url, reason", [
    ("file:///etc/passwd", "scheme 'file:' is not allowed"),
    ("FILE:///etc/passwd", "scheme 'file:' is not allowed"),
    ("ftp://example.org/x", "scheme 'ftp:' is not allowed"),
    ("data:text/html,<h1>x</h1>", "scheme 'data:' is not allowed"),
    ("javascript:alert(1)", "scheme 'javascript:' is not allowed"),
    ("gopher://example.org/", "scheme 'gopher:' is not allowed"),
    ("http://user:secret@example.org/", "credentials in a URL are not allowed"),
    ("http://user@example.org/", "credentials in a URL are not allowed"),
    ("example.org/article", "give a full http:// or https:// URL"),
    ("//example.org/article", "give a full http:// or https:// URL"),
    ("http:/example.org", "give a full http:// or https:// URL"),
    ("http://", "no host"),
    ("http://exa mple.org/", "space or control character"),
    ("http://example.org/\x00", "space or control character"),
    ("http://example.org\\@evil.test/", "backslash"),
    ("http://example.org:99999/", "malformed port"),
    ("http://example.org:0/", "malformed port"),
    ("http://example.org:8o/", "malformed port"),
    ("http://[::1/", "malformed"),
    ("http://[fe80::1%25eth0]/", "zone identifiers"),
    ("http://1.2.3.4.5/", "malformed IPv4"),
    ("http://256.1.1.1/", "out of range"),
    ("http://0x100000000/", "out of range"),
    ("http://exa_mple..org/", "malformed host name"),
    ("http://ex%61mple.org/", "percent-encoded host"),
    ("", "empty URL"),
])
def test_malformed_and_forbidden_urls_are_refused(url, reason):
    assert reason in refused(url, resolver=public_resolver)


@pytest.mark.parametrize("url, address, kind", [
    ("http://127.0.0.1/", "127.0.0.1", "loopback"),
    ("http://127.1/", "127.0.0.1", "loopback"),
    ("http://2130706433/", "127.0.0.1", "loopback"),
    ("http://0x7f000001/", "127.0.0.1", "loopback"),
    ("http://0x7f.0.0.1/", "127.0.0.1", "loopback"),
    ("http://0177.0.0.1/", "127.0.0.1", "loopback"),
    ("http://017700000001/", "127.0.0.1", "loopback"),
    ("http://10.0.0.1/", "10.0.0.1", "private"),
    ("http://192.168.1.1./", "192.168.1.1", "private"),
    ("http://172.16.0.1:8080/", "172.16.0.1", "private"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "link-local"),
    ("http://100.64.0.1/", "100.64.0.1", "shared"),
    ("http://0.0.0.0/", "0.0.0.0", "unspecified"),
    ("http://0/", "0.0.0.0", "unspecified"),
    ("http://224.0.0.1/", "224.0.0.1", "multicast"),
    ("http://240.0.0.1/", "240.0.0.1", "reserved"),
    ("http://255.255.255.255/", "255.255.255.255", "broadcast"),
    ("http://[::1]/", "::1", "loopback"),
    ("http://[::]/", "::", "unspecified"),
    ("http://[fe80::1]/", "fe80::1", "link-local"),
    ("http://[fc00::1]/", "fc00::1", "private"),
    ("http://[ff02::1]/", "ff02::1", "multicast"),
    ("http://[::ffff:127.0.0.1]/", "127.0.0.1", "loopback"),
    ("http://[::ffff:10.0.0.1]/", "10.0.0.1", "private"),
    ("http://[::ffff:169.254.169.254]/", "169.254.169.254", "link-local"),
    ("http://[2002:7f00:1::]/", "127.0.0.1", "loopback"),
    ("http://[64:ff9b::a00:1]/", "10.0.0.1", "private"),
    ("http://[::127.0.0.1]/", "127.0.0.1", "loopback"),
])
def test_private_and_special_addresses_are_refused_in_every_spelling(url, address, kind):
    message = refused(url, resolver=public_resolver)
    assert kind in message and address in message


def test_names_resolving_to_private_addresses_are_refused():
    message = refused("http://intranet.example/", resolver=lambda host, port: ["10.1.2.3"])
    assert "intranet.example resolves to 10.1.2.3" in message and "private" in message
    # one private answer among public ones is enough (round-robin DNS tricks)
    message = refused("http://mixed.example/", resolver=lambda host, port: [PUBLIC, "::1"])
    assert "::1" in message
    # localhost really resolves (from /etc/hosts, no network)
    assert "loopback" in refused("http://localhost/")


def test_a_name_that_does_not_resolve_is_refused_in_one_line():
    def nowhere(host, port):
        raise OSError("Name or service not known")

    assert "cannot resolve host 'nowhere.example'" in refused("http://nowhere.example/", resolver=nowhere)


def test_allow_private_admits_loopback_and_private_but_never_unspecified_or_multicast():
    assert check_url("http://127.0.0.1:8000/a", allow_private=True).addresses == ("127.0.0.1",)
    assert check_url("http://0x7f.1/", allow_private=True).host == "127.0.0.1"
    assert check_url("http://[::1]:81/", allow_private=True).host_header == "[::1]:81"
    for url in ("http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/", "http://240.0.0.1/"):
        refused(url, allow_private=True)


def test_the_canonical_form_is_what_gets_fetched():
    checked = check_url("HTTP://Example.ORG:80/a b/../é?q=ü#frag".replace(" ", "%20"),
                        resolver=public_resolver)
    assert checked.url == "http://example.org/a%20b/../%C3%A9?q=%C3%BC"
    assert checked.target == "/a%20b/../%C3%A9?q=%C3%BC" and checked.port == 80
    assert checked.addresses == (PUBLIC,)
    idn = check_url("https://bücher.example/", resolver=public_resolver)
    assert idn.host == "xn--bcher-kva.example" and idn.host_header == "xn--bcher-kva.example"


def test_address_problem_judges_embedded_ipv4():
    assert address_problem("::ffff:8.8.8.8") is None
    assert "private" in address_problem("::ffff:192.168.0.1")
    assert address_problem("192.168.0.1", allow_private=True) is None


# --- Hypothesis: hostile URLs -------------------------------------------------------------------

NON_GLOBAL_V4 = st.sampled_from([
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
]).flatmap(lambda net: st.integers(
    int(ipaddress.IPv4Network(net).network_address), int(ipaddress.IPv4Network(net).broadcast_address)
)).map(ipaddress.IPv4Address)


@st.composite
def ipv4_spelling(draw, address: ipaddress.IPv4Address) -> str:
    """``address`` written in one of the forms browsers (and inet_aton) accept."""
    octets = list(address.packed)
    parts_count = draw(st.integers(1, 4))
    head = octets[: parts_count - 1]
    tail = int.from_bytes(bytes(octets[parts_count - 1:]), "big")

    def spell(number: int) -> str:
        form = draw(st.sampled_from(["dec", "hex", "HEX", "oct"]))
        if form == "hex":
            return hex(number)
        if form == "HEX":
            return "0X" + format(number, "X")
        if form == "oct":
            return "0" + format(number, "o")
        return str(number)

    text = ".".join([*map(spell, head), spell(tail)])
    return text + draw(st.sampled_from(["", "."]))


@given(data=st.data(), address=NON_GLOBAL_V4)
def test_hypothesis_no_spelling_of_a_non_global_ipv4_address_gets_through(data, address):
    host = data.draw(ipv4_spelling(address))
    url = f"http://{host}/" if data.draw(st.booleans()) else f"https://{host}:8443/x"
    message = refused(url, resolver=public_resolver)
    assert str(address) in message
    # and with allow_private, the host it would connect to is exactly that address
    if address_problem(address, allow_private=True) is None:
        assert check_url(url, allow_private=True).addresses == (str(address),)


NON_GLOBAL_V6 = st.one_of(
    NON_GLOBAL_V4.map(lambda a: ipaddress.IPv6Address(f"::ffff:{a}")),
    NON_GLOBAL_V4.map(lambda a: ipaddress.IPv6Address((0x2002 << 112) | (int(a) << 80))),
    NON_GLOBAL_V4.map(lambda a: ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(a))),
    st.sampled_from(["fe80::/10", "fc00::/7", "ff00::/8", "::1/128", "2001:db8::/32", "::/128"]).flatmap(
        lambda net: st.integers(int(ipaddress.IPv6Network(net).network_address),
                                int(ipaddress.IPv6Network(net).broadcast_address))
    ).map(ipaddress.IPv6Address),
)


@given(address=NON_GLOBAL_V6, compressed=st.booleans())
def test_hypothesis_no_non_global_ipv6_address_gets_through(address, compressed):
    host = address.compressed if compressed else address.exploded
    refused(f"http://[{host}]/", resolver=public_resolver)


def dns_label(longest: int) -> st.SearchStrategy[str]:
    """``[a-z][a-z0-9-]{0,longest}``, built from its parts: the same names ``st.from_regex`` drew,
    for a fraction of its generation time (most of this test's time went to the regex)."""
    return st.builds(str.__add__, st.sampled_from(string.ascii_lowercase),
                     st.text(alphabet=string.ascii_lowercase + string.digits + "-", max_size=longest))


HOST_NAMES = st.builds(lambda head, rest: ".".join([head, *rest]),
                       dns_label(20), st.lists(dns_label(10), min_size=1, max_size=3))
"""``[a-z][a-z0-9-]{0,20}(\\.[a-z][a-z0-9-]{0,10}){1,3}``: a name of two to four labels."""


@given(address=st.one_of(NON_GLOBAL_V4, NON_GLOBAL_V6), name=HOST_NAMES)
def test_hypothesis_names_that_resolve_to_non_global_addresses_are_refused(address, name):
    assume(not name.split(".")[-1].isdigit())
    message = refused(f"http://{name}/", resolver=lambda host, port: [PUBLIC, str(address)])
    assert name in message and str(address) in message


SCHEMES = st.sampled_from(["file", "ftp", "data", "javascript", "gopher", "ws", "wss", "mailto",
                           "about", "blob", "chrome", "jar", "ldap", "dict", "sftp", "smb", "HtTpX"])


@given(scheme=SCHEMES, rest=st.text(max_size=40))
def test_hypothesis_every_other_scheme_is_refused(scheme, rest):
    url = f"{scheme}:{rest}"
    with pytest.raises(URLRefusedError):
        check_url(url, resolver=public_resolver)


@given(user=st.text(min_size=1, max_size=10).filter(lambda t: "@" not in t and "/" not in t),
       password=st.one_of(st.none(), st.text(max_size=10)))
def test_hypothesis_credentials_are_refused(user, password):
    credentials = user if password is None else f"{user}:{password}"
    with pytest.raises(URLRefusedError):
        check_url(f"http://{credentials}@example.org/", resolver=public_resolver)


@given(text=st.one_of(
    st.text(max_size=80),
    st.builds(lambda a, b: f"http://{a}/{b}", st.text(max_size=30), st.text(max_size=30)),
    st.builds(lambda a: f"https://{a}", st.text(alphabet="0123456789abcdefxX.:[]@%/-_", max_size=40)),
))
def test_hypothesis_any_text_is_refused_cleanly_or_becomes_a_stable_http_url(text):
    """Nothing raises but URLRefusedError, and an accepted URL is canonical: checking it again
    gives it back unchanged, on a public address, over http(s)."""
    try:
        checked = check_url(text, resolver=public_resolver)
    except URLRefusedError as exc:
        assert "\n" not in str(exc) and "\r" not in str(exc)
        return
    assert checked.scheme in ("http", "https") and checked.url.startswith(checked.scheme + "://")
    assert all(address_problem(a) is None for a in checked.addresses)
    assert " " not in checked.url and all(31 < ord(c) < 127 for c in checked.url)
    assert check_url(checked.url, resolver=public_resolver) == checked
