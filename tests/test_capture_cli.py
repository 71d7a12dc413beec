"""`archive capture`: pages from a real server on 127.0.0.1 become records whose source is the
HTML as received, its extracted text and the WARC, bagged and verified like any record; every
failure leaves the archive byte for byte as it was. The CLI runs as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from helpers import snapshot_tree, stored_record
from servers.http_pages import ARTICLE, serve_pages

from archive.capture.warc import read_final_payload

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def pages():
    with serve_pages() as server:
        yield server


def capture(cli, root: Path, *args, **kwargs):
    return cli("--root", root, "capture", "--allow-private", "--delay", "0", *map(str, args), **kwargs)


def shown(cli, root: Path, record_id: str) -> dict:
    result = cli("--root", root, "show", record_id, "--json")
    assert result.code == 0, result
    return json.loads(result.out)


def record(cli, root: Path, record_id: str) -> dict:
    """What the capture catalogued, read through the library: a ``show`` CLI run per test would only
    add a process start (the first test reads it back through ``show --json``)."""
    return stored_record(root, record_id)


def only_id(result) -> str:
    ids = [line.split()[0] for line in result.out.splitlines() if line.startswith("ART-")]
    assert len(ids) == 1, result
    return ids[0]


def warcio(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "warcio"), *map(str, args)], capture_output=True, text=True, timeout=300)


def assert_warcio_accepts(warc: Path) -> list[dict]:
    checked = warcio("check", "-v", warc)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    verdicts = {line.strip() for line in checked.stdout.splitlines() if line.startswith("    ")}
    assert verdicts == {"digest pass"}, checked.stdout
    indexed = warcio("index", "-f", "warc-type,warc-target-uri,warc-record-id", warc)
    assert indexed.returncode == 0, indexed.stderr
    return [json.loads(line) for line in indexed.stdout.splitlines()]


def test_a_capture_is_catalogued_bagged_and_verified(cli, archive_root, pages):
    result = capture(cli, archive_root, pages.url("/redirect/2"))
    assert result.code == 0, result
    record_id = only_id(result)
    rec = shown(cli, archive_root, record_id)
    assert rec["url"] == pages.url("/article")  # the final URL after the redirects
    acquisition = rec["provenance"]["acquisition"]
    assert pages.url("/redirect/2") in acquisition and "answered 200" in acquisition
    assert "WARC 127.0.0.1-article.warc.gz" in acquisition and "urn:uuid:" in acquisition
    # the page's JSON-LD and meta tags, through the HTML import pipeline
    assert rec["title"] == "Tidal Archives of the North Sea"
    assert rec["creators"][0]["family"] == "Lovelace" and rec["container_title"] == "Sea Gazette"
    assert rec["issued"] == "2024-03-05" and rec["type"] == "article-newspaper"
    files = {f["role"]: f for f in rec["source"]["files"]}
    assert set(files) == {"original", "text", "warc"}
    assert files["warc"]["media_type"] == "application/warc"
    folder = archive_root / "sources" / record_id
    html = (folder / files["original"]["filename"]).read_bytes()
    assert html == pages.sent["/article"] == ARTICLE.encode("utf-8")  # the HTML as received
    assert "café notes" in (folder / files["text"]["filename"]).read_text(encoding="utf-8")
    warc = folder / files["warc"]["filename"]
    index = assert_warcio_accepts(warc)
    kinds = [entry["warc-type"] for entry in index]
    assert kinds == ["warcinfo"] + ["response", "request"] * 3 + ["metadata"]
    assert read_final_payload(warc, decoded=False) == pages.sent["/article"]  # replays byte for byte
    history = cli("--root", archive_root, "history", record_id, "--json")
    event = json.loads(history.out)[0]
    assert event["type"]["label"] == "capture" and pages.url("/redirect/2") in event["detail"]
    facts = event["outcome_detail"]
    assert facts["final_url"] == pages.url("/article") and facts["http_status"] == 200
    assert rec["accessed"] == facts["captured_at"][:10]  # the capture's own date (UTC)
    assert facts["redirects"] == [f"302 {pages.url('/redirect/2')}", f"302 {pages.url('/redirect/1')}"]

    assert cli("--root", archive_root, "bag", record_id).code == 0
    bag = archive_root / "bags" / record_id / "v1"
    for entry in files.values():
        assert (bag / "data" / "source" / entry["filename"]).read_bytes() == (
            folder / entry["filename"]).read_bytes()
        manifest = (bag / "manifest-sha256.txt").read_text()
        assert f"{entry['sha256']}  data/source/{entry['filename']}" in manifest
    verified = cli("--root", archive_root, "verify")
    assert verified.code == 0, verified


def test_gzip_keeps_the_coded_body_in_the_warc_and_the_decoded_page_as_the_original(cli, archive_root, pages):
    result = capture(cli, archive_root, pages.url("/gzip"))
    assert result.code == 0, result
    rec = record(cli, archive_root, only_id(result))
    folder = archive_root / "sources" / rec["id"]
    assert (folder / rec["source"]["filename"]).read_bytes() == ARTICLE.encode("utf-8")
    warc = folder / next(f["filename"] for f in rec["source"]["files"] if f["role"] == "warc")
    assert_warcio_accepts(warc)
    assert read_final_payload(warc, decoded=False) == pages.sent["/gzip"] != ARTICLE.encode("utf-8")


@pytest.mark.parametrize(("path", "encoding", "note"), [
    ("/header-charset", "windows-1252", None),  # no <meta>: the header decides
    ("/meta-overruled", "windows-1252", "outranks it"),  # <meta> says utf-8; the header wins
    ("/wrong-charset", "windows-1252", "does not decode as utf-8"),  # a header that is wrong
    ("/no-charset", "utf-8", None),  # nothing declared anywhere: UTF-8
    ("/unknown-charset", "utf-8", "not a text encoding"),  # a header naming no charset: <meta>
])
def test_the_charset_follows_the_html_standard_order(cli, archive_root, pages, path, encoding, note):
    result = capture(cli, archive_root, pages.url(path), "--allow-duplicate")
    assert result.code == 0, result
    rec = record(cli, archive_root, only_id(result))
    assert rec["source"]["encoding"] == encoding
    folder = archive_root / "sources" / rec["id"]
    text = next(f["filename"] for f in rec["source"]["files"] if f["role"] == "text")
    assert "café notes" in (folder / text).read_text(encoding="utf-8")  # read in the right charset
    assert (folder / rec["source"]["filename"]).read_bytes() == pages.sent[path]  # kept as received
    if note:
        assert note in rec["provenance"]["notes"]


FAILURES = [
    ("/status/404", "404 Not Found"),
    ("/status/410", "410 Gone"),
    ("/status/500", "500 Internal Server Error"),
    ("/loop/a", "redirect loop"),
    ("/redirect/12", "more than 10 redirects"),
    ("/slow", "time-out"),
    ("/endless", "larger than the limit"),
    ("/gzip-bomb", "larger than the limit"),
    ("/doc.pdf", "the server sent application/pdf"),
    ("/image.png", "the server sent image/png"),
    ("/data.json", "the server sent application/json"),
    ("/redirect-to?to=file:///etc/passwd", "scheme 'file:'"),
]


@pytest.mark.parametrize(("path", "message"), FAILURES, ids=[p for p, _ in FAILURES])
def test_a_failed_capture_changes_nothing(cli, archive_root, pages, path, message):
    before = snapshot_tree(archive_root)
    # Only the page that never answers gets the short time-out: the server is a thread of this
    # process, and on a loaded machine a 0.5 s wait for an answer that does come could run out.
    timeout = "0.5" if path == "/slow" else "60"
    result = capture(cli, archive_root, pages.url(path), "--timeout", timeout, "--max-mb", "1")
    assert result.code == 1, result
    errors = [line for line in result.err.splitlines() if line.startswith("archive: error: ")]
    assert len(errors) == 1 and message in errors[0], result
    assert "Traceback" not in result.err
    assert snapshot_tree(archive_root) == before


@pytest.mark.parametrize(("url", "message", "code"), [
    ("file:///etc/passwd", "scheme 'file:' is not allowed", 1),
    ("ftp://example.org/a", "scheme 'ftp:' is not allowed", 1),
    ("http://", "refused URL", 1),
    ("http://exa mple.org/", "refused URL", 1),
    ("http://user:secret@127.0.0.1/", "credentials", 1),
])
def test_bad_urls_are_refused(cli, archive_root, url, message, code):
    before = snapshot_tree(archive_root)
    result = capture(cli, archive_root, url)
    assert result.code == code and message in result.err, result
    assert "secret" not in result.err
    assert snapshot_tree(archive_root) == before


def test_private_addresses_need_allow_private(cli, archive_root, pages):
    before = snapshot_tree(archive_root)
    result = cli("--root", archive_root, "capture", pages.url("/article"))
    assert result.code == 1 and "loopback" in result.err and "--allow-private" in result.err, result
    assert snapshot_tree(archive_root) == before


def test_no_url_is_a_usage_error(cli, archive_root):
    result = cli("--root", archive_root, "capture")
    assert result.code == 2 and "at least one URL" in result.err, result


def test_the_same_page_twice_is_already_in_the_archive(cli, archive_root, pages):
    first = capture(cli, archive_root, pages.url("/page/same"))
    assert first.code == 0, first
    again = capture(cli, archive_root, pages.url("/page/same"))
    assert again.code == 0 and "already in the archive" in again.out, again
    assert only_id(again) == only_id(first)


def test_requisites_go_into_the_same_warc(cli, archive_root, pages):
    result = capture(cli, archive_root, pages.url("/with-requisites"), "--requisites")
    assert result.code == 0, result
    rec = record(cli, archive_root, only_id(result))
    warc = archive_root / "sources" / rec["id"] / next(
        f["filename"] for f in rec["source"]["files"] if f["role"] == "warc")
    uris = [entry.get("warc-target-uri") for entry in assert_warcio_accepts(warc)]
    assert pages.url("/style.css") in uris and pages.url("/image.png") in uris


def test_a_batch_lists_failures_with_their_status_and_a_summary(cli, archive_root, tmp_path):
    with ExitStack() as stack:
        a, b = stack.enter_context(serve_pages()), stack.enter_context(serve_pages())
        listing = tmp_path / "urls.txt"
        urls = [a.url("/page/1"), b.url("/page/2"), a.url("/status/404"), b.url("/status/410"),
                a.url("/page/3"), "file:///etc/passwd", b.url("/doc.pdf")]
        listing.write_text("# watch list\n" + "\n".join(urls) + "\n\n", encoding="utf-8")
        result = capture(cli, archive_root, "--from-file", listing, "--json")
        assert result.code == 1, result
        report = json.loads(result.out)
        assert [line["url"] for line in report["captured"]] == [urls[0], urls[1], urls[4]]
        failed = {line["url"]: line for line in report["failed"]}
        assert failed[urls[2]]["status"] == 404 and failed[urls[3]]["status"] == 410
        assert failed[urls[5]]["status"] is None and "scheme" in failed[urls[5]]["error"]
        assert "application/pdf" in failed[urls[6]]["error"]
        assert report["summary"] == "captured 3, already in the archive 0, failed 4"
        text = capture(cli, archive_root, "--from-file", listing)
        assert text.code == 1
        assert text.out.strip().splitlines()[-1] == "captured 0, already in the archive 3, failed 4"
        assert f"{urls[2]}  HTTP 404" in text.err and f"{urls[5]}  error" in text.err
        assert not (archive_root / "staging" / "captures").exists()  # a finished batch forgets


def test_an_archive_without_a_contact_email_cannot_capture(cli, tmp_path, pages):
    root = tmp_path / "nocontact"
    assert cli("init", root, "--org", "Test Archive").code == 0
    before = snapshot_tree(root)
    result = capture(cli, root, pages.url("/article"))
    assert result.code == 2 and "contact_email" in result.err and "User-Agent" in result.err, result
    assert snapshot_tree(root) == before


def test_the_user_agent_names_the_archive_and_its_contact(cli, archive_root, pages):
    result = capture(cli, archive_root, pages.url("/page/agent"))
    assert result.code == 0, result
    agents = {agent for path, agent in pages.hits if path == "/page/agent"}
    assert len(agents) == 1 and agents.pop().endswith("(+mailto:ada@example.org)")


def test_https_capture_checks_the_certificate(cli, archive_root, tmp_path):
    """ARCHIVE_CAPTURE_CA_FILE names a local certificate authority (for tests); without it the
    system's authorities do not know the test server's certificate and the capture is refused."""
    import ssl

    import trustme

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with serve_pages(tls=server_context, client_tls=client_context) as server:
        assert server.url("/article").startswith("https://")
        before = snapshot_tree(archive_root)
        refused = capture(cli, archive_root, server.url("/article"))
        assert refused.code == 1 and "TLS failed" in refused.err, refused
        assert snapshot_tree(archive_root) == before
        trusted = {"ARCHIVE_CAPTURE_CA_FILE": str(ca_file)}
        result = capture(cli, archive_root, server.url("/article"), env=trusted)
        assert result.code == 0, result
        assert record(cli, archive_root, only_id(result))["url"] == server.url("/article")
