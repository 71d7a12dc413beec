"""archive.capture.fetch against a real HTTP server on 127.0.0.1 (tests/servers/http_pages.py).

Every case that must fail does so with its own one-line error naming the URL; slow pages never
make a test slow (the server waits on an Event the test never sets; the client's time-out is
small).
"""

from __future__ import annotations

import re
import socket
import time

import pytest
from servers.http_pages import ARTICLE, PDF, PNG, serve_pages

from archive import __version__
from archive.capture.fetch import Limits, fetch
from archive.errors import (
    FetchError,
    FetchTimeoutError,
    RedirectError,
    ResponseTooLargeError,
    URLRefusedError,
    UsageError,
)

CONTACT = "ada@example.org"
LIMITS = Limits(read_seconds=30, total_seconds=120, max_bytes=2_000_000)
"""For every fetch that must get its answer: the server is a thread in this process, and on a
loaded machine it may not be scheduled for a few tenths of a second; a 0.3 s read time-out then
turned an answer into a spurious "the server sent nothing" (or a TLS handshake into one)."""
QUICK = Limits(read_seconds=0.3, total_seconds=20, max_bytes=2_000_000)
"""Only for the pages that never answer (the server waits on an Event the test never sets)."""


@pytest.fixture(scope="module")
def pages():
    with serve_pages() as server:
        yield server


def get(server, path, **kwargs):
    """Fetch and return (result fields copied out), so spool files may vanish afterwards."""
    kwargs.setdefault("limits", LIMITS)
    with fetch(server.url(path), contact=CONTACT, allow_private=True, **kwargs) as result:
        return result, result.decoded.read_bytes(), [h.body.read_bytes() for h in result.hops]


def test_article_is_fetched_with_a_user_agent_naming_the_archive_and_contact(pages):
    result, body, _ = get(pages, "/article")
    assert result.final.status == 200 and body == ARTICLE.encode("utf-8")
    assert result.final_url == pages.url("/article") and len(result.hops) == 1
    assert (result.content_type, result.charset, result.notes) == ("text/html", "utf-8", [])
    agent = f"article-archive/{__version__} (+mailto:{CONTACT})"
    assert ("/article", agent) in pages.hits
    request = result.final.request.decode("ascii")
    assert request.startswith("GET /article HTTP/1.1\r\n") and f"User-Agent: {agent}\r\n" in request
    assert result.final.address == "127.0.0.1"


@pytest.mark.parametrize("contact", ["", "ada", "ada@example", "ada@example.org\r\nX-Evil: 1", "<a@b.org>"])
def test_a_contact_that_is_not_a_plain_email_is_a_usage_error(pages, contact):
    with pytest.raises(UsageError, match="contact e-mail"), fetch(pages.url("/article"), contact=contact,
                                                                    allow_private=True):
        pass


def test_redirect_chain_is_followed_and_every_hop_is_kept(pages):
    result, body, _ = get(pages, "/redirect/3")
    assert [hop.status for hop in result.hops] == [302, 302, 302, 200]
    assert [hop.url.url for hop in result.hops] == [
        pages.url("/redirect/3"), pages.url("/redirect/2"), pages.url("/redirect/1"), pages.url("/article")]
    assert result.final_url == pages.url("/article") and body == ARTICLE.encode()
    assert all(h.request.startswith(f"GET {h.url.target} ".encode()) for h in result.hops)


def test_too_many_redirects_is_refused(pages):
    with pytest.raises(RedirectError, match="more than 2 redirects"):
        get(pages, "/redirect/5", limits=Limits(max_redirects=2, read_seconds=5))
    result, _, _ = get(pages, "/redirect/2", limits=Limits(max_redirects=2, read_seconds=5))
    assert result.final.status == 200


def test_a_redirect_loop_is_named(pages):
    with pytest.raises(RedirectError) as caught:
        get(pages, "/loop/a")
    message = str(caught.value)
    assert "redirect loop" in message and message.count("/loop/a") == 3 and "/loop/b" in message


@pytest.mark.parametrize("target, reason", [
    ("file:///etc/passwd", "scheme 'file:' is not allowed"),
    ("ftp://example.org/", "scheme 'ftp:' is not allowed"),
    ("http://user:pw@127.0.0.1/", "credentials"),
    ("http://0.0.0.0/", "unspecified"),          # refused even with allow_private:
    ("http://[ff02::1]/", "multicast"),          # these are never connected to
    ("http://240.0.0.1/", "reserved"),
    ("http://[::ffff:0.0.0.0]/", "unspecified"),
    ("not a url", "space or control character"),
])
def test_every_redirect_hop_is_checked(pages, target, reason):
    from urllib.parse import quote

    with pytest.raises(URLRefusedError) as caught:
        get(pages, "/redirect-to?to=" + quote(target, safe=""))
    message = str(caught.value)
    assert reason in message and "redirect from" in message and "\n" not in message


def test_a_redirect_to_a_name_resolving_inward_is_refused_and_each_hop_resolves_once(pages):
    """The resolver answers once per hop; the fetch connects to that vetted answer (the name is
    never resolved again), so a DNS answer that changes after the check cannot steer it."""
    calls = []

    def resolver(host, port):
        calls.append(host)
        if host == "pages.test":
            assert calls.count(host) == 1, "resolved twice: the fetch must connect to the vetted address"
            return ["127.0.0.1"]
        return ["0.0.0.0"]

    port = pages.server_address[1]
    with pytest.raises(URLRefusedError, match=r"rebound\.test resolves to 0\.0\.0\.0"), fetch(
        f"http://pages.test:{port}/redirect-to?to=http://rebound.test/", contact=CONTACT,
        allow_private=True, resolver=resolver, limits=LIMITS,
    ):
        pass
    assert calls == ["pages.test", "rebound.test"]
    # the Host header named the host, while the connection went to the vetted address
    calls.clear()
    with fetch(f"http://pages.test:{port}/article", contact=CONTACT, allow_private=True,
               resolver=resolver, limits=LIMITS) as result:
        assert f"Host: pages.test:{port}\r\n".encode() in result.final.request
        assert result.final.address == "127.0.0.1"


def test_private_hosts_are_refused_without_allow_private(pages):
    with pytest.raises(URLRefusedError, match="loopback"), fetch(pages.url("/article"), contact=CONTACT):
        pass
    assert not [hit for hit in pages.hits if hit[0] == "/never"]


@pytest.mark.parametrize("code", [404, 410, 500])
def test_http_error_statuses_are_reported_not_raised_by_fetch(pages, code):
    result, body, _ = get(pages, f"/status/{code}")
    assert result.final.status == code and f"status {code}".encode() in body


def test_a_server_that_never_answers_times_out_quickly(pages):
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError, match=r"/slow: the server sent nothing for 0\.3 s"):
        get(pages, "/slow", limits=QUICK)
    assert time.monotonic() - started < 10


def test_a_body_that_stalls_times_out(pages):
    with pytest.raises(FetchTimeoutError, match="/slow-body"):
        get(pages, "/slow-body", limits=QUICK)


def test_the_total_time_limit_bounds_every_read(pages):
    # the read gets what is left of the 0.2 s (0.196 s when the first few ms went to connecting), not 30 s.
    # On a loaded machine the steps before the read may take most of the 0.2 s (the read then gets
    # 0.05 s, say) or all of it (the fetch stops before reading, on the total limit).
    with pytest.raises(FetchTimeoutError) as caught:
        get(pages, "/slow", limits=Limits(read_seconds=30, total_seconds=0.2))
    message = str(caught.value)
    waited = re.search(r"sent nothing for ([0-9.e+-]+) s", message)
    if waited is None:
        assert message.endswith("/slow: took longer than 0.2 s in all"), message
    else:
        assert 0 < float(waited.group(1)) <= 0.2, message


def test_an_endless_body_stops_at_the_size_limit(pages):
    with pytest.raises(ResponseTooLargeError, match=r"/endless: response body is larger than the limit "
                                                     r"of 2,000,000 bytes"):
        get(pages, "/endless")


def test_a_gzip_bomb_stops_at_the_size_limit_once_decoded(pages):
    with pytest.raises(ResponseTooLargeError, match=r"decoded \(gzip\) is larger than the limit"):
        get(pages, "/gzip-bomb", limits=Limits(read_seconds=5, max_bytes=10_000_000))


@pytest.mark.parametrize("path, reason", [
    ("/bad-gzip", "body is not valid gzip"),
    ("/compress", "unsupported Content-Encoding 'compress'"),
    ("/short-body", "the connection broke off"),
])
def test_broken_responses_are_clear_errors(pages, path, reason):
    with pytest.raises(FetchError, match=reason):
        get(pages, path)


def test_nothing_listening_is_a_clear_error():
    # The port stays bound (never listening) while the fetch connects: Linux refuses a connection
    # to it, and no other test's server (another xdist worker's free port) can take it meanwhile.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        expected = rf"127\.0\.0\.1:{port}/x: cannot connect \(Connection refused\)"
        with pytest.raises(FetchError, match=expected), fetch(
            f"http://127.0.0.1:{port}/x", contact=CONTACT, allow_private=True, limits=LIMITS
        ):
            pass


@pytest.mark.parametrize("path", ["/gzip", "/deflate", "/br", "/chunked"])
def test_encodings_are_decoded_and_the_body_as_sent_is_kept(pages, path):
    result, body, bodies = get(pages, path)
    assert body == ARTICLE.encode("utf-8")
    assert bodies[-1] == pages.sent[path]
    assert result.final.header("Content-Encoding") == {"/gzip": "gzip", "/deflate": "deflate",
                                                        "/br": "br"}.get(path)


def test_we_ask_for_encodings_we_can_decode(pages):
    result, _, _ = get(pages, "/article")
    assert b"Accept-Encoding: gzip, deflate, br\r\n" in result.final.request


@pytest.mark.parametrize("path, charset, note", [
    ("/no-charset", None, "no charset declared in Content-Type"),
    ("/wrong-charset", "utf-8", "body does not decode as the declared charset 'utf-8' (byte "),
    ("/unknown-charset", "x-no-such-charset", "is not an encoding Python knows"),
])
def test_declared_charsets_are_reported_with_what_is_wrong(pages, path, charset, note):
    result, body, _ = get(pages, path)
    assert result.charset == charset
    assert any(note in line for line in result.notes), result.notes
    assert body == pages.sent[path]


@pytest.mark.parametrize("path, media, payload", [("/doc.pdf", "application/pdf", PDF),
                                                  ("/image.png", "image/png", PNG)])
def test_a_pdf_or_image_is_kept_as_received_with_a_note(pages, path, media, payload):
    result, body, _ = get(pages, path)
    assert result.content_type == media and not result.is_html and body == payload
    assert f"not HTML ({media}): kept as received" in result.notes


def test_a_changing_page_gives_different_bodies(pages):
    _, first, _ = get(pages, "/counter")
    _, second, _ = get(pages, "/counter")
    assert first != second and b"(revision " in first and b"(revision " in second


def test_spool_files_are_removed_after_the_fetch(pages, tmp_path):
    with fetch(pages.url("/redirect/2"), contact=CONTACT, allow_private=True, spool_dir=tmp_path,
               limits=LIMITS) as result:
        assert result.decoded.exists() and len(list(tmp_path.iterdir())) == 1
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ResponseTooLargeError):
        get(pages, "/endless", spool_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- HTTPS: connect to the vetted address, verify the certificate for the name -----------------

@pytest.fixture(scope="module")
def tls_pages(tmp_path_factory):
    import ssl

    import trustme

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("pages.test").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    client_context.check_hostname = False  # the readiness check dials 127.0.0.1, not the name
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with serve_pages(tls=server_context, client_tls=client_context) as server:
        yield server, str(ca_file)


def test_https_connects_to_the_vetted_address_and_checks_the_certificate_for_the_name(tls_pages):
    server, ca_file = tls_pages
    port = server.server_address[1]
    with fetch(f"https://pages.test:{port}/article", contact=CONTACT, allow_private=True, limits=LIMITS,
               resolver=lambda host, p: ["127.0.0.1"], ca_file=ca_file) as result:
        assert result.final.status == 200 and result.decoded.read_bytes() == ARTICLE.encode()
        assert result.final.address == "127.0.0.1" and result.final_url.startswith("https://pages.test:")


def test_https_with_an_untrusted_certificate_is_refused(tls_pages):
    server, _ = tls_pages
    port = server.server_address[1]
    with pytest.raises(FetchError, match=r"TLS failed .*certificate verify failed"), fetch(
        f"https://pages.test:{port}/article", contact=CONTACT, allow_private=True, limits=LIMITS,
        resolver=lambda host, p: ["127.0.0.1"],
    ):
        pass


def test_https_with_a_certificate_for_another_name_is_refused(tls_pages):
    server, ca_file = tls_pages
    port = server.server_address[1]
    expected = r"other\.test:\d+/article: TLS failed \(hostname 'other\.test' doesn't match 'pages\.test'\)"
    with pytest.raises(FetchError, match=expected), fetch(
        f"https://other.test:{port}/article", contact=CONTACT, allow_private=True, limits=LIMITS,
        resolver=lambda host, p: ["127.0.0.1"], ca_file=ca_file,
    ):
        pass
