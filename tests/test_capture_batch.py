"""archive.capture.batch: concurrent across hosts, one request at a time per host with a pause.

Two real servers on 127.0.0.1, different ports (host:port is the politeness key). Concurrency is
proved by a rendezvous, not by timing: each server's page answers 200 only while the other
server is serving too, so a runner that fetched one at a time would get 504s.
"""

from __future__ import annotations

import itertools
from contextlib import ExitStack
from pathlib import Path

import pytest
from servers.http_pages import serve_pages

from archive.capture.batch import politeness_key, run_batch
from archive.capture.fetch import Limits
from archive.capture.warc import capture_page
from archive.errors import UsageError

CONTACT = "ada@example.org"


def capturer(folder: Path, **kwargs):
    names = iter(range(10_000))

    def work(url: str):
        return capture_page(url, folder / f"{next(names)}.warc.gz", contact=CONTACT, allow_private=True,
                            limits=Limits(read_seconds=15), **kwargs)

    return work


@pytest.fixture
def two_servers():
    shared: dict = {}
    with ExitStack() as stack:
        yield stack.enter_context(serve_pages(shared)), stack.enter_context(serve_pages(shared))


def test_the_politeness_key_is_host_and_port():
    assert politeness_key("http://127.0.0.1:8000/a") == "127.0.0.1:8000"
    assert politeness_key("https://Example.org/a") == "example.org:443"
    assert politeness_key("http://example.org/b") == "example.org:80"
    assert politeness_key("http://[::1]:81/") == "[::1]:81"
    assert politeness_key("file:///x").startswith("invalid:")


def test_hosts_are_fetched_at_the_same_time(two_servers, tmp_path):
    a, b = two_servers
    urls = [a.url("/rendezvous/a/b"), b.url("/rendezvous/b/a")]
    outcomes = run_batch(urls, capturer(tmp_path), workers=2, delay=0)
    assert [o.ok for o in outcomes] == [True, True], [o.error for o in outcomes]
    assert [o.value.status for o in outcomes] == [200, 200]


def test_one_request_at_a_time_per_host_with_a_pause_between(two_servers, tmp_path):
    a, b = two_servers
    delay = 0.15
    urls = [server.url(f"/page/{n}") for n in range(4) for server in (a, b)]
    done = []
    outcomes = run_batch(urls, capturer(tmp_path), workers=4, delay=delay, on_done=done.append)
    assert all(o.ok for o in outcomes) and len(done) == len(urls)
    assert [o.url for o in outcomes] == urls  # outcomes come back in input order
    for server in (a, b):
        assert server.max_in_flight == 1
        visits = sorted((start, end) for path, start, end in server.timeline if path.startswith("/page/"))
        assert len(visits) == 4
        gaps = [later[0] - earlier[1] for earlier, later in itertools.pairwise(visits)]
        assert min(gaps) >= delay, gaps
        # and in the order given, host by host
        timeline = sorted(server.timeline, key=lambda visit: visit[1])
        order = [path for path, _, _ in timeline if path.startswith("/page/")]
        assert order == [f"/page/{n}" for n in range(4)]


def test_failures_are_listed_with_their_status_and_do_not_stop_the_batch(two_servers, tmp_path):
    a, b = two_servers
    urls = [a.url("/status/404"), "file:///etc/passwd", b.url("/article"), a.url("/status/410"),
            b.url("/loop/a"), a.url("/article")]
    outcomes = run_batch(urls, capturer(tmp_path), workers=3, delay=0)
    assert [o.ok for o in outcomes] == [False, False, True, False, False, True]
    assert [o.status for o in outcomes] == [404, None, None, 410, None, None]
    assert "404 Not Found" in outcomes[0].error and "scheme 'file:'" in outcomes[1].error
    assert "redirect loop" in outcomes[4].error
    assert len(list(tmp_path.iterdir())) == 2  # only the two that succeeded wrote a WARC


def test_an_unexpected_exception_is_an_outcome_too():
    def work(url):
        if url.endswith("boom"):
            raise RuntimeError("kaput")
        return url

    outcomes = run_batch(["http://a.example/boom", "http://a.example/fine"], work, delay=0)
    assert outcomes[0].error == "unexpected: RuntimeError: kaput" and outcomes[1].value == "http://a.example/fine"


def test_bad_settings_are_refused():
    with pytest.raises(UsageError, match="at least 1 worker"):
        run_batch([], lambda url: url, workers=0)
    assert run_batch([], lambda url: url) == []
