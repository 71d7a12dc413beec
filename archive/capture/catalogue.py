"""A web capture catalogued: URL in, a record whose source is the page, its WARC and its text.

``capture_url`` fetches the page (``warc.capture_page``: every hop vetted, limits, WARC 1.1
written atomically) into a work folder under ``staging/``, reads the final response body back
from the WARC (so what is catalogued is provably what the WARC holds), decides the page's
encoding by the HTML standard's order (``charset``), and hands the page to the same import
pipeline ``archive add`` uses, through ``catalog.add_source_set``: the HTML as received (role
``original``), the ``.warc.gz`` (role ``warc``) and the text extracted from the page (role
``text``). The record's ``url`` is the final URL after redirects, ``accessed`` the capture's
date, ``provenance.acquisition`` names the capture (requested URL, status, time, WARC and its
response record), and the ``capture`` event carries the same facts for machines.

Only HTML is catalogued. A PDF, an image or any other media type is refused with one line naming
what the server sent: the catalogue's original must be text a reader can be shown (the archive's
text rules), and storing a PDF's bytes as an "article" with no text would pass every check while
preserving nothing a reader or the citation can use. The archivist can save such a file and add
its text with ``archive add``. Any failure leaves the archive as it was: the work folder goes,
and ``add_source_set`` writes all or nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from archive.bagging.staging import work_folder
from archive.capture.charset import mismatch_note, page_charset
from archive.capture.fetch import Limits
from archive.capture.requisites import RequisiteLimits
from archive.capture.urls import Resolver
from archive.capture.warc import CaptureSummary, capture_page, open_final_payload
from archive.errors import CaptureError, UsageError
from archive.layout import Archive
from archive.source_files import WARC

HTML_TYPES = ("text/html", "application/xhtml+xml")
_SNIFF = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.I | re.S)
_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
MAX_STEM = 80


@dataclass(frozen=True)
class CaptureOptions:
    """How captures are made: the fetch limits, requisites, private addresses (tests on
    127.0.0.1), a local CA for HTTPS tests, and a resolver for tests of name checks."""

    limits: Limits = Limits()  # noqa: RUF009 - frozen, shared safely
    requisites: bool = False
    allow_private: bool = False
    allow_duplicate: bool = False
    ca_file: str | None = None
    resolver: Resolver | None = None


@dataclass
class Captured:
    """A capture made: the record it became (or None when nothing was added) and its facts."""

    record: dict[str, Any] | None
    summary: CaptureSummary
    facts: dict[str, Any] = field(default_factory=dict)


def contact_of(arc: Archive) -> str:
    """The contact e-mail a capture's User-Agent names; refused when archive.toml has none."""
    contact = arc.settings.contact_email
    if not contact:
        raise UsageError("archive.toml sets no contact_email, which web capture names in its User-Agent; "
                         "set it (archive init --contact-email, or contact_email in archive.toml)")
    return contact


def file_stem(url: str) -> str:
    """A plain file name stem for a page: host and path, e.g. ``example.org-news-story``."""
    parts = urlsplit(url)
    path = unquote(parts.path).strip("/")
    for suffix in (".html", ".htm", ".xhtml", ".php", ".asp", ".aspx"):
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)]
    text = "-".join(filter(None, [parts.hostname or "page", path.replace("/", "-")]))
    stem = _NAME_CHARS.sub("-", text).strip("-._")[:MAX_STEM].strip("-._")
    return stem or "page"


def is_html(summary: CaptureSummary, page: Path) -> bool:
    """An HTML media type, or no Content-Type at all and a body that starts as HTML does."""
    if summary.content_type in HTML_TYPES:
        return True
    if summary.content_type is None:
        with page.open("rb") as handle:
            return bool(_SNIFF.match(handle.read(1024)))
    return False


def fetch_page(arc: Archive, url: str, work: Path, options: CaptureOptions, *,
               keep_error_status: bool = False) -> tuple[CaptureSummary, Path]:
    """Capture ``url`` into ``work`` (its WARC), and read the final body back from the WARC."""
    summary = capture_page(
        url, work / "capture.warc.gz", contact=contact_of(arc), limits=options.limits,
        allow_private=options.allow_private, resolver=options.resolver,
        keep_error_status=keep_error_status,
        requisites=RequisiteLimits() if options.requisites else None, ca_file=options.ca_file,
    )
    body = work / "body"
    with open_final_payload(summary.warc) as stream, body.open("wb") as out:
        shutil.copyfileobj(stream, out, 1 << 16)
    return summary, body


def refuse_unless_html(url: str, summary: CaptureSummary, body: Path) -> None:
    if is_html(summary, body):
        return
    sent = summary.content_type or "no Content-Type"
    at = f" at {summary.final_url}" if summary.final_url != url else ""
    raise CaptureError(
        f"capturing {url}: the server sent {sent}{at}, not an HTML page; only HTML pages are "
        "catalogued (save the file and add its text with 'archive add'); nothing was added"
    )


def capture_facts(summary: CaptureSummary, warc_name: str, warc: Path) -> dict[str, Any]:
    """What the capture event records about the capture, for machines (diff, recapture)."""
    return {
        "requested_url": summary.requested,
        "final_url": summary.final_url,
        "http_status": summary.status,
        "captured_at": summary.captured.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "warc": warc_name,
        "warc_sha256": _sha256(warc),
        "response_record_id": summary.response_record_id,
        "payload_sha256": summary.payload_sha256,
        "redirects": [f"{status} {hop}" for status, hop in summary.chain[:-1]],
    }


def acquisition(summary: CaptureSummary, warc_name: str, extra: str = "") -> str:
    """``provenance.acquisition``: one line naming the capture."""
    via = f" (redirected to {summary.final_url})" if summary.final_url != summary.requested else ""
    return (f"web capture: GET {summary.requested}{via} answered {summary.status} at "
            f"{summary.captured.strftime('%Y-%m-%dT%H:%M:%SZ')}; the exchange is kept as WARC {warc_name} "
            f"(response record {summary.response_record_id}){extra}")[:2000]


def catalogue_page(arc: Archive, summary: CaptureSummary, body: Path, work: Path, options: CaptureOptions,
                   *, fields: dict[str, Any] | None = None, facts: dict[str, Any] | None = None,
                   note: str = "", extra_acquisition: str = "", suffix: str = ".html",
                   allow_duplicate: bool | None = None) -> dict[str, Any]:
    """Hand the captured page and its WARC to ``add_source_set``; returns the new record.

    ``suffix`` ``.txt`` catalogues a body that is not HTML as plain UTF-8 text (a takedown's
    answer, on recapture)."""
    from archive.catalog import SourcePart, add_source_set

    stem = file_stem(summary.final_url)
    page = work / f"{stem}{suffix}"
    body.rename(page)
    encoding: str | None = None
    notes: list[str] = []
    if suffix == ".html":
        encoding, notes = page_charset(page, summary.charset)
        mismatch = mismatch_note(encoding, page)
        if mismatch and mismatch not in notes:
            notes.append(mismatch)
    warc_name = f"{stem}.warc.gz"
    given: dict[str, Any] = {
        "url": summary.final_url,
        "accessed": summary.captured.strftime("%Y-%m-%d"),
        **(fields or {}),
    }
    provenance = dict(given.get("provenance") or {})
    provenance["acquisition"] = acquisition(summary, warc_name, extra_acquisition)
    capture_notes = [*filter(None, [note]), *notes, *(f"Capture: {n}." for n in summary.notes)]
    if capture_notes:
        provenance["notes"] = " ".join(capture_notes)[:20000]
    given["provenance"] = provenance
    all_facts = {**capture_facts(summary, warc_name, summary.warc), "encoding": encoding or "utf-8",
                 **(facts or {})}
    return add_source_set(
        arc, page, [SourcePart(WARC, path=summary.warc, filename=warc_name, media_type="application/warc")],
        given, filename=page.name, origin=summary.final_url,
        allow_duplicate=options.allow_duplicate if allow_duplicate is None else allow_duplicate,
        charset=encoding,
        event_detail=f"web capture of {summary.requested} ({summary.status}, WARC {warc_name})",
        event_facts=all_facts,
    )


def capture_url(arc: Archive, url: str, options: CaptureOptions = CaptureOptions(),
                *, facts: dict[str, Any] | None = None,
                catalogue_lock: AbstractContextManager[Any] | None = None) -> Captured:
    """Capture ``url`` and catalogue it; raises a one-line ``ArchiveError`` and changes nothing
    when anything fails (a refused URL, the network, an HTTP error, not HTML, the catalogue).
    ``catalogue_lock`` (a batch's) is held around the cataloguing only, not the fetch."""
    with work_folder(arc.staging_dir, "capture") as work:
        summary, body = fetch_page(arc, url, work, options)
        refuse_unless_html(url, summary, body)
        with catalogue_lock or contextlib.nullcontext():
            record = catalogue_page(arc, summary, body, work, options, facts=facts)
        return Captured(record, summary, facts or {})


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for piece in iter(lambda: handle.read(1 << 16), b""):
            digest.update(piece)
    return digest.hexdigest()
