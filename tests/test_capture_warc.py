"""archive.capture.warc: captures written as WARC 1.1, checked by warcio's own tools, replayed
byte for byte; failed captures write nothing. Pages come from a real server on 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from servers.http_pages import ARTICLE, PDF, PNG, STYLE, serve_pages

from archive.capture.fetch import Limits
from archive.capture.requisites import RequisiteLimits
from archive.capture.warc import capture_page, open_final_payload, read_final_payload
from archive.errors import (
    CaptureError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    RedirectError,
    ResponseTooLargeError,
    URLRefusedError,
)

CONTACT = "ada@example.org"
LIMITS = Limits(read_seconds=30, total_seconds=120, max_bytes=2_000_000)
"""For every capture that must get its answers: the server is a thread in this process, and on a
loaded machine it may not be scheduled for a few tenths of a second; a 0.3 s read time-out then
turned an answer into a spurious "the server sent nothing"."""
QUICK = Limits(read_seconds=0.3, total_seconds=20, max_bytes=2_000_000)
"""Only for the pages that never answer (the server waits on an Event the test never sets)."""
STALLS = ("/slow", "/slow-body")
BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pages():
    with serve_pages() as server:
        yield server


def capture(pages, path, folder: Path, name="page.warc.gz", **kwargs):
    kwargs.setdefault("limits", LIMITS)
    return capture_page(pages.url(path), folder / name, contact=CONTACT, allow_private=True, **kwargs)


def warcio(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "warcio"), *map(str, args)], capture_output=True, text=True, timeout=300)


def assert_warcio_accepts(warc: Path) -> list[dict]:
    """``warcio check`` passes every digest and ``warcio index`` reads every record."""
    checked = warcio("check", "-v", warc)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    verdicts = [line.strip() for line in checked.stdout.splitlines() if line.startswith("    ")]
    assert verdicts and set(verdicts) == {"digest pass"}, checked.stdout
    indexed = warcio("index", "-f", "warc-type,warc-target-uri,warc-payload-digest,warc-block-digest,"
                     "content-type,warc-refers-to,warc-concurrent-to", warc)
    assert indexed.returncode == 0, indexed.stderr
    return [json.loads(line) for line in indexed.stdout.splitlines()]


CASES = {
    "/article": ARTICLE.encode(),
    "/gzip": ARTICLE.encode(),
    "/deflate": ARTICLE.encode(),
    "/br": ARTICLE.encode(),
    "/chunked": ARTICLE.encode(),
    "/doc.pdf": PDF,
    "/image.png": PNG,
}


@pytest.mark.parametrize("path", list(CASES))
def test_capture_passes_warcio_check_and_index_and_replays_byte_for_byte(pages, tmp_path, path):
    summary = capture(pages, path, tmp_path)
    index = assert_warcio_accepts(summary.warc)
    assert [r["warc-type"] for r in index] == ["warcinfo", "response", "request", "metadata"]
    response, request, metadata = index[1:]
    for record in (response, request):
        assert record["warc-target-uri"] == pages.url(path)
        assert record["warc-payload-digest"].startswith("sha1:") and record["warc-block-digest"]
    assert response["content-type"] == "application/http; msgtype=response"
    assert request["warc-concurrent-to"] == metadata["warc-refers-to"] == summary.response_record_id
    assert read_final_payload(summary.warc, decoded=False) == pages.sent[path]  # as the server sent it
    assert read_final_payload(summary.warc) == CASES[path]  # Content-Encoding undone
    assert summary.payload_sha256 == hashlib.sha256(CASES[path]).hexdigest()
    assert summary.payload_length == len(CASES[path])


def test_the_warc_is_warc_1_1_with_a_warcinfo_naming_the_software(pages, tmp_path):
    summary = capture(pages, "/article", tmp_path)
    text = gzip.decompress(summary.warc.read_bytes()).decode("utf-8")
    assert text.startswith("WARC/1.1\r\nWARC-Type: warcinfo\r\n")
    assert text.count("WARC/1.1\r\n") == 4
    assert "software: article-archive/0.1.0 (warcio/" in text
    assert "http-header-user-agent: article-archive/0.1.0 (+mailto:ada@example.org)" in text
    assert "WARC-IP-Address: 127.0.0.1" in text
    assert f"final-url: {pages.url('/article')}" in text and "payload-sha256: " in text
    # each record is its own gzip member (what warcio and replay tools expect)
    assert summary.warc.read_bytes().count(b"\x1f\x8b\x08") >= 4


def test_each_redirect_hop_gets_its_request_and_response_records(pages, tmp_path):
    summary = capture(pages, "/redirect/3", tmp_path)
    index = assert_warcio_accepts(summary.warc)
    hops = ["/redirect/3", "/redirect/2", "/redirect/1", "/article"]
    assert [(r["warc-type"], r.get("warc-target-uri")) for r in index[1:-1]] == [
        (kind, pages.url(hop)) for hop in hops for kind in ("response", "request")]
    assert summary.chain == [(302, pages.url(h)) for h in hops[:3]] + [(200, pages.url("/article"))]
    assert summary.final_url == pages.url("/article") and summary.requested == pages.url("/redirect/3")
    assert read_final_payload(summary.warc, decoded=False) == ARTICLE.encode()
    text = gzip.decompress(summary.warc.read_bytes()).decode()
    assert f"via: 302 {pages.url('/redirect/1')}" in text


def test_chunked_framing_is_removed_and_the_header_kept_under_another_name(pages, tmp_path):
    summary = capture(pages, "/chunked", tmp_path)
    text = gzip.decompress(summary.warc.read_bytes()).decode()
    assert "\r\nX-Archive-Orig-Transfer-Encoding: chunked\r\n" in text
    assert "\r\nTransfer-Encoding:" not in text


def test_notes_and_charsets_go_into_the_metadata_record(pages, tmp_path):
    summary = capture(pages, "/wrong-charset", tmp_path)
    assert_warcio_accepts(summary.warc)
    text = gzip.decompress(summary.warc.read_bytes()).decode("utf-8", "replace")
    assert "declared-charset: utf-8" in text and "note: body does not decode as the declared charset" in text
    assert read_final_payload(summary.warc) == pages.sent["/wrong-charset"]
    pdf = capture(pages, "/doc.pdf", tmp_path, name="doc.warc.gz")
    assert "not HTML (application/pdf): kept as received" in pdf.notes


def test_a_changing_page_is_captured_as_it_was_each_time(pages, tmp_path):
    first = capture(pages, "/counter", tmp_path, name="one.warc.gz")
    sent_first = pages.sent["/counter"]
    second = capture(pages, "/counter", tmp_path, name="two.warc.gz")
    assert read_final_payload(first.warc) == sent_first
    assert read_final_payload(second.warc) == pages.sent["/counter"] != sent_first
    assert first.payload_sha256 != second.payload_sha256
    assert second.captured > first.captured


def test_json_ld_metadata_survives_the_capture_into_the_html_extractor(pages, tmp_path):
    from archive.extract.html import extract_html

    summary = capture(pages, "/article", tmp_path)
    page = tmp_path / "page.html"
    page.write_bytes(read_final_payload(summary.warc))
    extraction = extract_html(page)
    assert extraction.fields["title"] == "Tidal Archives of the North Sea"
    assert "Bremen and Hull" in extraction.derived_text
    assert "2024-03-05" in json.dumps(extraction.fields)


@pytest.mark.parametrize("path, error, message", [
    ("/status/404", HTTPStatusError, "the server answered 404 Not Found"),
    ("/status/410", HTTPStatusError, "the server answered 410 Gone"),
    ("/status/500", HTTPStatusError, "the server answered 500 Internal Server Error"),
    ("/loop/a", RedirectError, "redirect loop"),
    ("/slow", FetchTimeoutError, "the server sent nothing for 0.3 s"),
    ("/slow-body", FetchTimeoutError, "the server sent nothing for 0.3 s"),
    ("/endless", ResponseTooLargeError, "larger than the limit of 2,000,000 bytes"),
    ("/gzip-bomb", ResponseTooLargeError, "decoded (gzip) is larger than the limit"),
    ("/bad-gzip", FetchError, "body is not valid gzip"),
    ("/short-body", FetchError, "the connection broke off"),
    ("/redirect-to?to=file:///etc/passwd", URLRefusedError, "scheme 'file:' is not allowed"),
    ("/redirect-to?to=http://0.0.0.0/", URLRefusedError, "unspecified"),
])
def test_every_failed_capture_gives_its_error_and_writes_nothing(pages, tmp_path, path, error, message):
    folder = tmp_path / "warcs"
    folder.mkdir()
    with pytest.raises(error) as caught:
        capture(pages, path, folder, limits=QUICK if path in STALLS else LIMITS)
    text = str(caught.value)
    assert message in text and pages.url(path.split("?")[0]) in text and "\n" not in text
    assert list(folder.iterdir()) == []


def test_private_hosts_are_refused_without_allow_private_and_nothing_is_written(pages, tmp_path):
    with pytest.raises(URLRefusedError, match="loopback"):
        capture_page(pages.url("/article"), tmp_path / "x.warc.gz", contact=CONTACT)
    assert list(tmp_path.iterdir()) == []


def test_an_error_status_may_be_kept_as_evidence(pages, tmp_path):
    summary = capture(pages, "/status/410", tmp_path, keep_error_status=True)
    assert summary.status == 410
    assert_warcio_accepts(summary.warc)
    assert read_final_payload(summary.warc) == pages.sent["/status/410"]


def test_an_existing_file_is_never_overwritten(pages, tmp_path):
    (tmp_path / "page.warc.gz").write_bytes(b"keep me")
    with pytest.raises(CaptureError, match="already exists"):
        capture(pages, "/article", tmp_path)
    assert (tmp_path / "page.warc.gz").read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["page.warc.gz"]


def test_a_damaged_warc_is_refused_on_read_back(pages, tmp_path):
    summary = capture(pages, "/article", tmp_path)
    plain = gzip.decompress(summary.warc.read_bytes())
    damaged = tmp_path / "damaged.warc"
    damaged.write_bytes(plain.replace(b"Bremen and Hull", b"Bremen and Hall", 1))
    assert warcio("check", damaged).returncode != 0  # warcio sees it too
    with pytest.raises(CaptureError, match=r"damaged\.warc is damaged: .*digest"):
        read_final_payload(damaged)
    assert read_final_payload(summary.warc) == ARTICLE.encode()


def test_a_file_that_is_not_a_capture_is_refused(tmp_path):
    other = tmp_path / "other.warc.gz"
    other.write_bytes(b"not a warc at all")
    with pytest.raises(CaptureError, match=r"other\.warc\.gz"):
        read_final_payload(other)


@pytest.mark.slow
def test_a_50_mb_response_streams_to_the_warc_in_bounded_memory(pages, tmp_path):
    """A child process captures 50 MiB and reads it back; its peak RSS stays under 100 MB.

    Peak RSS is the kernel's VmHWM of the child's own address space: ru_maxrss would also count
    the pytest process the child was forked from (Linux keeps it across exec)."""
    child = f"""
import hashlib, json, re
from pathlib import Path
from archive.capture.fetch import Limits
from archive.capture.requisites import RequisiteLimits
from archive.capture.warc import capture_page, open_final_payload
summary = capture_page({pages.url('/big/50')!r}, Path({str(tmp_path / 'big.warc.gz')!r}),
                       contact="ada@example.org", allow_private=True, limits=Limits(read_seconds=30))
digest = hashlib.sha256()
with open_final_payload(summary.warc, decoded=False) as stream:
    for piece in iter(lambda: stream.read(1 << 16), b""):
        digest.update(piece)
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
print(json.dumps({{"peak_kib": peak,
                  "replayed": digest.hexdigest(), "recorded": summary.payload_sha256}}))
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    sent = pages.sent_sha256["/big/50"]
    assert figures["replayed"] == figures["recorded"] == sent
    assert figures["peak_kib"] < 100 * 1024, f"peak RSS {figures['peak_kib'] / 1024:.0f} MiB"
    assert_warcio_accepts(tmp_path / "big.warc.gz")


def test_capture_modules_stay_out_of_archive_help():
    done = subprocess.run([sys.executable, "-X", "importtime", str(BIN / "archive"), "--help"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert "archive" in loaded  # the import trace was read
    assert not loaded & {"warcio", "urllib3", "httpx", "requests", "brotlicffi"}


def test_open_final_payload_streams(pages, tmp_path):
    summary = capture(pages, "/gzip", tmp_path)
    with open_final_payload(summary.warc) as stream:
        first = stream.read(10)
        rest = stream.read()
    assert first + rest == ARTICLE.encode()


def test_requisites_same_origin_images_and_stylesheets_go_into_the_same_warc(pages, tmp_path):
    summary = capture(pages, "/with-requisites", tmp_path,
                      requisites=RequisiteLimits(max_count=5, max_bytes=1_000_000))
    index = assert_warcio_accepts(summary.warc)
    responses = [r["warc-target-uri"] for r in index if r["warc-type"] == "response"]
    expected = ("/with-requisites", "/style.css", "/image.png", "/status/404")
    assert responses == [pages.url(path) for path in expected]
    assert summary.requisites == [(200, pages.url("/style.css")), (200, pages.url("/image.png")),
                                  (404, pages.url("/status/404"))]
    notes = " | ".join(summary.notes)
    assert "requisites: 2 on other origins not fetched" in notes
    assert "requisites: 40 beyond the limit of 5 not fetched" in notes
    assert "unspecified" in notes and "/big/3: response body is larger than the limit of 1,000,000" in notes
    # the page is still the capture's final response, and each requisite replays as sent
    assert read_final_payload(summary.warc) == pages.sent["/with-requisites"]
    text = gzip.decompress(summary.warc.read_bytes())
    assert pages.sent["/style.css"] in text and pages.sent["/image.png"] in text
    assert f"requisite: 200 {pages.url('/style.css')}".encode() in text


def test_requisites_stop_at_the_total_limit(pages, tmp_path):
    summary = capture(pages, "/with-requisites", tmp_path,
                      requisites=RequisiteLimits(max_count=50, total_bytes=len(STYLE) + len(PNG)))
    assert summary.requisites == [(200, pages.url("/style.css")), (200, pages.url("/image.png"))]
    assert any("total limit of" in note for note in summary.notes)
    assert_warcio_accepts(summary.warc)


def test_requisites_are_only_looked_for_in_html(pages, tmp_path):
    summary = capture(pages, "/doc.pdf", tmp_path, requisites=RequisiteLimits())
    assert summary.requisites == []
