"""Page requisites: the same-origin images and stylesheets a captured page needs to replay.

Only what the page's own HTML names in ``<img src>`` and ``<link rel="stylesheet" href>`` (and
``<base href>`` when it stays on the page's origin), resolved against the page's final URL, and
only when scheme, host and port equal the page's: a page cannot make the archive fetch from other
hosts. Each requisite is fetched like the page itself (every hop checked, time-outs), under its
own size limit, and the list is bounded in count and in total bytes. A requisite that fails is a
note in the capture's metadata, never a failed capture.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin

from archive.capture.urls import parse_url
from archive.errors import URLRefusedError


@dataclass(frozen=True)
class RequisiteLimits:
    """How much a page may pull in: ``max_count`` requisites, each at most ``max_bytes``, and
    at most ``total_bytes`` in all (counted as received)."""

    max_count: int = 25
    max_bytes: int = 10 * 1024 * 1024
    total_bytes: int = 50 * 1024 * 1024


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        scheme, host, port, _target = parse_url(url)
    except URLRefusedError:
        return None
    return scheme, host, port


def find_requisites(html: bytes, page_url: str, *, max_count: int) -> tuple[list[str], list[str]]:
    """Same-origin image and stylesheet URLs named by ``html`` (in document order, no repeats, at
    most ``max_count``), and notes on what was left out."""
    import lxml.etree
    import lxml.html

    origin = _origin(page_url)
    if origin is None or not html.strip():
        return [], []
    try:
        tree = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return [], ["requisites: the page could not be parsed as HTML"]
    base = page_url
    for element in tree.iter("base"):
        href = (element.get("href") or "").strip()
        if href and _origin(urljoin(page_url, href)) == origin:
            base = urljoin(page_url, href)
        break
    found: list[str] = []
    skipped = 0
    for element in tree.iter("img", "link"):
        if element.tag == "img":
            value = element.get("src")
        elif "stylesheet" in (element.get("rel") or "").lower().split():
            value = element.get("href")
        else:
            continue
        value = (value or "").strip()
        if not value or value.lower().startswith(("data:", "javascript:", "about:", "blob:")):
            continue
        url = urldefrag(urljoin(base, value))[0]
        if _origin(url) != origin:
            skipped += 1
            continue
        if url not in found and url != page_url:
            found.append(url)
    notes = []
    if skipped:
        notes.append(f"requisites: {skipped} on other origins not fetched")
    if len(found) > max_count:
        notes.append(f"requisites: {len(found) - max_count} beyond the limit of {max_count} not fetched")
    return found[:max_count], notes
