"""Recapture: fetch a captured page's URL again and record what became of it.

- The text a reader sees is unchanged (compared word for word, whitespace aside): a ``capture``
  event on the record says so, with the new capture's time and status, and nothing else is kept
  (the new WARC is dropped: it would only repeat the first).
- The text changed (a stealth edit, a correction), or the server answers 404 or 410 (a takedown):
  a new record is catalogued from the new capture, as ``archive capture`` would make it, and the
  two are linked both ways by ``capture`` events: the new record's names ``recapture_of`` the one it
  was compared with, and that one gets an event naming ``recaptured_as``. A takedown's record keeps
  the first record's title, creators and publication (the error page says nothing of the article)
  and its source is the error answer as received (HTML, or plain text; an empty or binary answer
  is kept as the status line and headers, the WARC holding the rest).
- Anything else (a refused URL, no answer, a 5xx) is a one-line error and changes nothing.

A record is compared with the newest capture of its chain: recapturing the first record of a page
recaptured twice compares with the second recapture. ``archive diff ID`` shows the words that
changed between a capture and its recapture, with both capture times.
"""

from __future__ import annotations

import difflib
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archive.bagging.staging import work_folder
from archive.capture.catalogue import (
    HTML_TYPES,
    CaptureOptions,
    catalogue_page,
    fetch_page,
    is_html,
    refuse_unless_html,
)
from archive.capture.charset import page_charset
from archive.clock import now_epoch
from archive.errors import ArchiveError, HTTPStatusError
from archive.events import make_event
from archive.layout import Archive

GONE = (404, 410)
KEPT_WHEN_GONE = ("title", "subtitle", "creators", "container_title", "publisher", "issued", "language",
                  "type", "subjects")


@dataclass
class Recaptured:
    """What a recapture found: ``unchanged``, ``changed`` or ``gone``; ``new_id`` when a record
    was made; ``compared`` the capture it was compared with."""

    record_id: str
    compared: str
    outcome: str
    status: int
    captured_at: str
    new_id: str | None = None


def capture_facts(arc: Archive, record_id: str) -> dict[str, Any] | None:
    """The facts of the capture that made ``record_id`` (its first capture event), or None."""
    for event in arc.store.events(record_id):
        facts = event.get("outcome_detail")
        if isinstance(facts, dict) and facts.get("final_url") and facts.get("requested_url") \
                and not facts.get("unchanged") and not facts.get("recaptured_as"):
            return facts
    return None


def recaptured_as(arc: Archive, record_id: str) -> str | None:
    """The record a recapture of ``record_id`` made, if any (the newest)."""
    found = None
    for event in arc.store.events(record_id):
        facts = event.get("outcome_detail")
        if isinstance(facts, dict) and facts.get("recaptured_as"):
            found = str(facts["recaptured_as"])
    return found


def newest_in_chain(arc: Archive, record_id: str) -> str:
    seen = {record_id}
    current = record_id
    while (later := recaptured_as(arc, current)) and later not in seen:
        seen.add(later)
        current = later
    return current


def last_captured(arc: Archive, record_id: str) -> str:
    """When the page was last fetched for this record (a capture or an unchanged recapture)."""
    times = [str(e["outcome_detail"].get("captured_at")) for e in arc.store.events(record_id)
             if isinstance(e.get("outcome_detail"), dict) and e["outcome_detail"].get("captured_at")]
    return max(times, default="")


def _words(text: str) -> list[str]:
    return text.split()


def recapture(arc: Archive, record_id: str, options: CaptureOptions = CaptureOptions()) -> Recaptured:  # noqa: B008
    """Fetch ``record_id``'s URL again (see the module's description)."""
    from archive.catalog import get_record, read_text

    record = get_record(arc, record_id)
    if record.get("status") == "deaccessioned":
        raise ArchiveError(f"{record_id} is deaccessioned; it is not recaptured")
    head = newest_in_chain(arc, record_id)
    facts = capture_facts(arc, head)
    if facts is None:
        raise ArchiveError(f"{record_id} was not captured from the web (no capture of a URL in its history); "
                           "nothing to recapture")
    url = str(facts["requested_url"])
    with work_folder(arc.staging_dir, "capture") as work:
        summary, body = fetch_page(arc, url, work, options, keep_error_status=True)
        when = summary.captured.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if summary.status >= 400 and summary.status not in GONE:
            raise HTTPStatusError(f"recapturing {head} ({url}): the server answered {summary.status}; "
                                  "nothing was recorded", summary.status)
        if summary.status in GONE:
            new = _catalogue_gone(arc, get_record(arc, head), summary, body, work, options)
            outcome = "gone"
        else:
            refuse_unless_html(url, summary, body)
            if _same_text(body, summary, read_text(arc, head), work):
                _log(arc, head, f"recaptured {url}: the text is unchanged since the capture of "
                     f"{facts.get('captured_at', '?')}", {
                         "requested_url": url, "final_url": summary.final_url, "http_status": summary.status,
                         "captured_at": when, "payload_sha256": summary.payload_sha256, "unchanged": True})
                return Recaptured(record_id, head, "unchanged", summary.status, when)
            new = catalogue_page(arc, summary, body, work, options, facts={"recapture_of": head},
                                 note=f"Recapture of {head}: the text changed since its capture.",
                                 extra_acquisition=f"; recapture of {head}", allow_duplicate=True)
            outcome = "changed"
    _log(arc, head, f"recaptured {url}: {_said(outcome, summary.status)}; the new capture is {new['id']}",
         {"recaptured_as": new["id"], "http_status": summary.status, "captured_at": when})
    return Recaptured(record_id, head, outcome, summary.status, when, new["id"])


def _said(outcome: str, status: int) -> str:
    return f"the server answered {status} (gone)" if outcome == "gone" else "the text changed"


def _same_text(body: Path, summary, old_text: str, work: Path) -> bool:  # type: ignore[no-untyped-def]
    """Whether the page's extracted text equals ``old_text``, word for word."""
    from archive.extract import extract

    page = work / "compare.html"  # the extractor reads HTML by its suffix
    shutil.copyfile(body, page)
    encoding, _ = page_charset(page, summary.charset)
    text = extract(page, charset=encoding).derived_text or ""
    page.unlink()
    return _words(text) == _words(old_text)


def _catalogue_gone(arc: Archive, old: dict, summary, body: Path, work: Path,  # type: ignore[no-untyped-def]
                    options: CaptureOptions) -> dict:
    fields = {name: old[name] for name in KEPT_WHEN_GONE if old.get(name)}
    note = (f"Recapture of {old['id']}: the server answered {summary.status} "
            f"({'gone' if summary.status == 410 else 'not found'}); the page is no longer served.")
    facts = {"recapture_of": old["id"]}
    if summary.content_type in HTML_TYPES or is_html(summary, body):
        return catalogue_page(arc, summary, body, work, options, fields=fields, facts=facts, note=note,
                              extra_acquisition=f"; recapture of {old['id']}", allow_duplicate=True)
    data = body.read_bytes() if body.stat().st_size < (1 << 20) else b""
    try:
        text = data.decode("utf-8")
        usable = bool(text.strip()) and not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text)
    except UnicodeDecodeError:
        usable = False
    if not usable:  # an empty or binary answer: its status line and headers stand for it
        body.write_text(_status_text(summary), encoding="utf-8")
    return catalogue_page(arc, summary, body, work, options, fields=fields, facts=facts, note=note,
                          extra_acquisition=f"; recapture of {old['id']}", suffix=".txt",
                          allow_duplicate=True)


def _status_text(summary) -> str:  # type: ignore[no-untyped-def]
    from archive.capture.warc import read_response_head

    return read_response_head(summary.warc)


def _log(arc: Archive, record_id: str, detail: str, facts: dict[str, Any]) -> None:
    with arc.store.transaction() as tx:
        tx.log(make_event("cap", record_id, detail=detail, outcome_detail=facts))


# ----- choosing what to recapture -------------------------------------------------------------
def due_for_recapture(arc: Archive, older_than: float) -> list[str]:
    """Captured records, newest of their chain and not withdrawn, last fetched before the cutoff."""
    cutoff = datetime.fromtimestamp(now_epoch(), UTC) - timedelta(seconds=older_than)
    stamp = cutoff.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    due = []
    for summary in arc.store.summaries():
        record_id = summary["id"]
        if summary.get("status") == "deaccessioned" or recaptured_as(arc, record_id):
            continue
        if capture_facts(arc, record_id) is None:
            continue
        if last_captured(arc, record_id) < stamp:
            due.append(record_id)
    return due


# ----- diff -----------------------------------------------------------------------------------
@dataclass
class TextDiff:
    old_id: str
    new_id: str
    old_captured: str
    new_captured: str
    ops: list[tuple[str, str]]
    """("=", words) unchanged, ("-", words) only in the old text, ("+", words) only in the new."""

    @property
    def changed(self) -> bool:
        return any(op != "=" for op, _ in self.ops)


def capture_pair(arc: Archive, record_id: str) -> tuple[str, str]:
    """(old, new): ``record_id`` and the recapture made from it, or the capture it recaptured."""
    facts = capture_facts(arc, record_id)
    if facts and facts.get("recapture_of"):
        return str(facts["recapture_of"]), record_id
    later = recaptured_as(arc, record_id)
    if later:
        return record_id, later
    raise ArchiveError(f"{record_id} has no recapture that differs from it (run 'archive recapture "
                       f"{record_id}' first; an unchanged text makes no new capture)")


def diff_captures(arc: Archive, record_id: str) -> TextDiff:
    from archive.catalog import get_record, read_text

    get_record(arc, record_id)
    old_id, new_id = capture_pair(arc, record_id)
    old, new = _words(read_text(arc, old_id)), _words(read_text(arc, new_id))
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    ops: list[tuple[str, str]] = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("=", " ".join(old[a1:a2])))
            continue
        if a2 > a1:
            ops.append(("-", " ".join(old[a1:a2])))
        if b2 > b1:
            ops.append(("+", " ".join(new[b1:b2])))
    old_facts, new_facts = capture_facts(arc, old_id) or {}, capture_facts(arc, new_id) or {}
    return TextDiff(old_id, new_id, str(old_facts.get("captured_at", "?")),
                    str(new_facts.get("captured_at", "?")), ops)


def render_diff(diff: TextDiff, context: int = 8) -> str:
    """git's ``--word-diff=plain`` style: ``[-removed-]{+added+}``, unchanged runs shortened to
    ``context`` words either side of a change."""
    lines = [f"--- {diff.old_id}  captured {diff.old_captured}",
             f"+++ {diff.new_id}  captured {diff.new_captured}"]
    if not diff.changed:
        return "\n".join([*lines, "(the texts are the same)"])
    parts: list[str] = []
    for index, (op, words) in enumerate(diff.ops):
        if op == "-":
            parts.append(f"[-{words}-]")
        elif op == "+":
            if index and diff.ops[index - 1][0] == "-":  # a replacement reads as one: [-a-]{+b+}
                parts[-1] += f"{{+{words}+}}"
            else:
                parts.append(f"{{+{words}+}}")
        else:
            split = words.split()
            first, last = index == 0, index == len(diff.ops) - 1
            if len(split) > 2 * context or first or last:
                head = [] if first else split[:context]
                tail = [] if last else split[-context:]
                if len(head) + len(tail) < len(split):
                    parts.append(" ".join([*head, "…", *tail]).strip())
                else:
                    parts.append(words)
            else:
                parts.append(words)
    return "\n".join([*lines, " ".join(parts)])


__all__ = ["Recaptured", "TextDiff", "capture_pair", "diff_captures", "due_for_recapture", "recapture",
           "render_diff"]
