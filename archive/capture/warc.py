"""Keep a fetch as a WARC 1.1 file (warcio), and read its final response back.

One capture is one ``.warc.gz``: a warcinfo record naming the software, then for every hop
(each redirect too) a response record and the request record that caused it, then a metadata
record (``application/warc-fields``) that names the requested and final URL, the redirect chain,
what the response declared and every note, and refers to the final response by its record id.
warcio writes every record with WARC-Block-Digest and WARC-Payload-Digest, each record its own
gzip member. The file is written under a temporary name beside its destination, fsynced and
renamed, so a failed or killed capture leaves no ``.warc.gz`` at all.

Response bodies are streamed from the fetch's spool files, so a response of any size goes to the
WARC in bounded memory (warcio reads a record twice, for its digests, and then copies it).

What the response record holds: the status line and headers as received, and the body exactly as
the server sent it (still gzip or br when it was so encoded), with one difference: HTTP/1.1
chunked framing is removed (urllib3 reads through it), so a ``Transfer-Encoding`` header is kept as
``X-Archive-Orig-Transfer-Encoding`` and the record stays self-consistent for replay tools.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archive import __version__
from archive.capture import decode
from archive.capture.fetch import FetchResult, Hop, Limits, fetch
from archive.capture.requisites import RequisiteLimits, find_requisites
from archive.capture.urls import Resolver
from archive.errors import CaptureError, HTTPStatusError
from archive.store.atomic import fsync_dir

READ_SIZE = 64 * 1024
RENAMED_PREFIX = "X-Archive-Orig-"
_RENAMED = {"transfer-encoding"}


def software() -> str:
    from importlib.metadata import version

    return f"article-archive/{__version__} (warcio/{version('warcio')})"


@dataclass
class CaptureSummary:
    """What a caller (the catalogue, a batch) needs to know about a written capture."""

    warc: Path
    requested: str
    final_url: str
    status: int
    captured: datetime
    content_type: str | None
    charset: str | None
    payload_sha256: str
    payload_length: int
    response_record_id: str
    chain: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requisites: list[tuple[int, str]] = field(default_factory=list)


def capture_page(
    url: str,
    dest: Path,
    *,
    contact: str,
    limits: Limits = Limits(),  # noqa: B008 - frozen
    allow_private: bool = False,
    resolver: Resolver | None = None,
    keep_error_status: bool = False,
    requisites: RequisiteLimits | None = None,
    ca_file: str | None = None,
) -> CaptureSummary:
    """Fetch ``url`` and write the whole exchange to ``dest`` (a new ``.warc.gz``).

    A final 4xx/5xx answer raises ``HTTPStatusError`` and writes nothing, unless
    ``keep_error_status`` (a recapture keeps a 404 or 410 as the evidence of a takedown). Every
    other failure raises its ``CaptureError`` and writes nothing either. ``requisites`` also
    captures the page's same-origin images and stylesheets into the same WARC, within its limits.
    """
    if dest.exists() or dest.is_symlink():
        raise CaptureError(f"capturing {url}: {dest} already exists")
    with contextlib.ExitStack() as spools:
        result = spools.enter_context(fetch(url, contact=contact, limits=limits, allow_private=allow_private,
                                            resolver=resolver, ca_file=ca_file))
        final = result.final
        if final.status >= 400 and not keep_error_status:
            raise HTTPStatusError(
                f"fetching {url}: the server answered {final.status} {final.reason}".rstrip()
                + (f" (at {result.final_url})" if result.final_url != url else ""),
                final.status,
            )
        extra: list[FetchResult] = []
        notes: list[str] = []
        if requisites is not None and result.is_html:
            extra, notes = _fetch_requisites(spools, result, requisites, contact=contact, limits=limits,
                                             allow_private=allow_private, resolver=resolver, ca_file=ca_file)
        return write_warc(result, dest, requisites=extra, notes=notes)


MAX_HTML_FOR_REQUISITES = 20 * 1024 * 1024


def _fetch_requisites(
    spools: contextlib.ExitStack, page: FetchResult, bounds: RequisiteLimits, *, contact: str,
    limits: Limits, allow_private: bool, resolver: Resolver | None, ca_file: str | None,
) -> tuple[list[FetchResult], list[str]]:
    """Fetch the page's requisites; their spool files live as long as ``spools``."""
    if page.decoded_length > MAX_HTML_FOR_REQUISITES:
        return [], [f"requisites: page larger than {MAX_HTML_FOR_REQUISITES:,} bytes, not searched"]
    urls, notes = find_requisites(page.decoded.read_bytes(), page.final_url, max_count=bounds.max_count)
    fetched: list[FetchResult] = []
    used = 0
    origin = page.final.url.origin
    for url in urls:
        room = min(bounds.max_bytes, bounds.total_bytes - used)
        if room <= 0:
            notes.append(f"requisites: total limit of {bounds.total_bytes:,} bytes reached; rest not fetched")
            break
        try:
            result = spools.enter_context(fetch(url, contact=contact, limits=replace(limits, max_bytes=room),
                                                allow_private=allow_private, resolver=resolver,
                                                ca_file=ca_file))
        except CaptureError as exc:
            notes.append(f"requisite not captured: {exc}")
            continue
        used += sum(hop.body_length for hop in result.hops)
        if result.final.url.origin != origin:
            notes.append(f"requisite {url} redirected to another origin ({result.final_url}); not kept")
            continue
        fetched.append(result)
    return fetched, notes


def write_warc(
    result: FetchResult, dest: Path, *, requisites: Sequence[FetchResult] = (), notes: Sequence[str] = ()
) -> CaptureSummary:
    """Write ``result`` (and any requisites, after the page) to ``dest`` atomically; the summary
    names the final response record."""
    temp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    try:
        with temp.open("xb") as out:
            writer = WARCWriter(out, gzip=True, warc_version="1.1")
            response_id = _write_records(writer, result, dest, requisites, [*result.notes, *notes])
            out.flush()
            os.fsync(out.fileno())
        if dest.exists():
            raise CaptureError(f"capturing {result.requested}: {dest} already exists")
        os.replace(temp, dest)
        fsync_dir(dest.parent)
    except OSError as exc:
        raise CaptureError(
            f"capturing {result.requested}: cannot write {dest}: {exc.strerror or exc}; nothing was written"
        ) from None
    finally:
        temp.unlink(missing_ok=True)
    sha256, length = _digest(result.decoded)
    return CaptureSummary(
        warc=dest, requested=result.requested, final_url=result.final_url,
        status=result.final.status, captured=result.final.started,
        content_type=result.content_type, charset=result.charset,
        payload_sha256=sha256, payload_length=length, response_record_id=response_id,
        chain=[(hop.status, hop.url.url) for hop in result.hops], notes=[*result.notes, *notes],
        requisites=[(extra.final.status, extra.final_url) for extra in requisites],
    )


def _write_records(
    writer: WARCWriter, result: FetchResult, dest: Path, requisites: Sequence[FetchResult], notes: list[str]
) -> str:
    info = {
        "software": software(),
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "http-header-user-agent": result.user_agent,
        "robots": "not consulted: one page captured at an archivist's request",
        "description": f"capture of {result.requested}",
    }
    writer.write_record(writer.create_warcinfo_record(dest.name, info))
    response_id = ""
    for hop in result.hops:
        response_id = _write_hop(writer, hop)
    for extra in requisites:
        for hop in extra.hops:
            _write_hop(writer, hop)
    writer.write_record(_metadata(writer, result, response_id, requisites, notes))
    return response_id


def _write_hop(writer: WARCWriter, hop: Hop) -> str:
    date = _warc_date(hop.started)
    common = {"WARC-Date": date, "WARC-IP-Address": hop.address}
    headers = [
        (RENAMED_PREFIX + name if name.lower() in _RENAMED else name, value) for name, value in hop.headers
    ]
    http_headers = StatusAndHeaders(f"{hop.status} {hop.reason}".rstrip(), headers, protocol=hop.version)
    with hop.body.open("rb") as body:
        response = writer.create_warc_record(
            hop.url.url, "response", payload=body, length=hop.body_length,
            warc_headers_dict=dict(common), http_headers=http_headers,
        )
        writer.write_record(response)
    response_id = response.rec_headers.get_header("WARC-Record-ID")
    request = writer.create_warc_record(
        hop.url.url, "request", payload=io.BytesIO(hop.request), length=len(hop.request),
        warc_headers_dict={**common, "WARC-Concurrent-To": response_id},
    )
    writer.write_record(request)
    return response_id


def _metadata(  # type: ignore[no-untyped-def]
    writer: WARCWriter, result: FetchResult, response_id: str, requisites: Sequence[FetchResult],
    notes: list[str],
):
    sha256, length = _digest(result.decoded)
    lines = [
        ("software", software()),
        ("requested-url", result.requested),
        ("final-url", result.final_url),
        *[("via", f"{hop.status} {hop.url.url}") for hop in result.hops[:-1]],
        ("status", str(result.final.status)),
        ("content-type", result.content_type or ""),
        ("declared-charset", result.charset or ""),
        ("payload-sha256", sha256),
        ("payload-length", str(length)),
        *[("requisite", f"{extra.final.status} {extra.final_url}") for extra in requisites],
        *[("note", note) for note in notes],
    ]
    text = "".join(f"{name}: {' '.join(value.split())}\r\n" for name, value in lines if value)
    payload = text.encode("utf-8")
    return writer.create_warc_record(
        result.final_url, "metadata", payload=io.BytesIO(payload), length=len(payload),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Refers-To": response_id,
                           "WARC-Date": _warc_date(result.final.started)},
    )


def _warc_date(moment: datetime) -> str:
    """WARC-Date in UTC with microseconds (warcio wants a naive UTC datetime)."""
    return datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True)


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    length = 0
    with path.open("rb") as handle:
        for piece in iter(lambda: handle.read(READ_SIZE), b""):
            digest.update(piece)
            length += len(piece)
    return digest.hexdigest(), length


@contextlib.contextmanager
def open_final_payload(warc: Path, *, decoded: bool = True) -> Iterator[BinaryIO]:
    """A stream of the capture's final response body, read back from ``warc``.

    ``decoded`` undoes the Content-Encoding (gzip, deflate, br: with our own bounded decoders,
    since warcio cannot decode br with a maintained binding), giving the bytes the catalogue keeps
    as "HTML as received"; ``decoded=False`` gives the body exactly as the server sent it. The
    record's digests are checked as it is read: a damaged WARC raises ``CaptureError``.
    """
    wanted = _final_response_id(warc)
    with warc.open("rb") as handle:
        record = _find_record(warc, handle, wanted)
        pieces: Iterator[bytes] = iter(lambda: record.raw_stream.read(READ_SIZE), b"")
        if decoded:
            coding = record.http_headers.get_header("Content-Encoding") if record.http_headers else None
            pieces = decode.decode(pieces, coding)
        stream = _Checked(pieces, record, warc)
        yield io.BufferedReader(stream, READ_SIZE)  # type: ignore[misc]


def read_response_head(warc: Path) -> str:
    """The final response's status line and headers as recorded (for an answer with no usable body)."""
    wanted = _final_response_id(warc)
    with warc.open("rb") as handle:
        record = _find_record(warc, handle, wanted)
        return record.http_headers.to_str() if record.http_headers else ""


def read_final_payload(warc: Path, *, decoded: bool = True) -> bytes:
    """The whole final body as bytes: for small pages and tests; use ``open_final_payload`` else."""
    with open_final_payload(warc, decoded=decoded) as stream:
        return stream.read()


def _find_record(warc: Path, handle: BinaryIO, wanted: str):  # type: ignore[no-untyped-def]
    try:
        for record in ArchiveIterator(handle, check_digests=True):
            if record.rec_headers.get_header("WARC-Record-ID") == wanted:
                return record
    except (ArchiveLoadFailed, ValueError) as exc:
        raise CaptureError(f"cannot read {warc}: {exc}") from None
    raise CaptureError(f"{warc} holds no response record {wanted}")


class _Checked(io.RawIOBase):
    """A record's body as a stream that fails at its end if the record's digests do not match."""

    def __init__(self, pieces: Iterator[bytes], record, warc: Path):  # type: ignore[no-untyped-def]
        self._pieces, self._record, self._warc = pieces, record, warc
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if not self._left:
            try:
                self._left = next(self._pieces, b"")
            except decode.DecodeFailed as exc:
                raise CaptureError(f"{self._warc}: the final response cannot be decoded: {exc}") from None
            except ArchiveLoadFailed as exc:
                raise CaptureError(f"cannot read {self._warc}: {exc}") from None
            if not self._left:
                self._verify()
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size

    def _verify(self) -> None:
        checker = self._record.digest_checker
        if checker is not None and checker.passed is False:
            raise CaptureError(f"{self._warc} is damaged: {'; '.join(map(str, checker.problems))}")


def _final_response_id(warc: Path) -> str:
    """The response the capture's metadata record refers to (the last hop)."""
    try:
        with warc.open("rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "metadata":
                    refers = record.rec_headers.get_header("WARC-Refers-To")
                    if refers:
                        return refers
    except (ArchiveLoadFailed, OSError, ValueError) as exc:
        raise CaptureError(f"cannot read {warc}: {exc}") from None
    raise CaptureError(f"{warc} is not a capture made by this archive (no metadata record)")
