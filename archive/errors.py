"""Errors an archivist can read.

Every failure the library expects is an ``ArchiveError`` whose ``str()`` is one plain line, so the
CLI and the TUI can show it as it is and never a traceback.
"""

from __future__ import annotations


class ArchiveError(Exception):
    """A failure the user can act on; the message is one line."""


class NotAnArchiveError(ArchiveError):
    """The folder given (or found) is not an archive."""


class ValidationError(ArchiveError):
    """A record failed its schema; ``problems`` holds one ``path: reason`` line per fault."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems) if problems else "invalid record")


class RecordNotFoundError(ArchiveError):
    """No record has that id."""


class StaleRecordError(ArchiveError):
    """The record changed since the caller read it; reload and edit again."""


class StoreError(ArchiveError):
    """The catalogue could not be read or written (corrupt file, full disk, lock timeout)."""


class SourceFileError(ArchiveError):
    """A source file cannot be accepted (empty, binary, not UTF-8, too large, unreadable)."""


class DuplicateSourceError(ArchiveError):
    """The same bytes are already catalogued; ``existing_id`` names the record holding them."""

    def __init__(self, message: str, existing_id: str):
        self.existing_id = existing_id
        super().__init__(message)


class UsageError(ArchiveError):
    """The command was called wrongly (a bad option value); the CLI exits 2, as argparse does."""


class InstallationError(ArchiveError):
    """This copy of article-archive is incomplete (a shipped file is missing); reinstall it."""


class PayloadError(ArchiveError):
    """The staged payload cannot be bagged as it is (a symlinked folder, a file missing from a
    manifest); the message is one line for the archivist."""


class BagInfoError(ArchiveError, ValueError):
    """A tag file (bagit.txt, bag-info.txt) cannot be parsed or rendered.

    Also a ``ValueError``, which is what its readers have always caught around the parser.
    """


class PackageRefusedError(ArchiveError):
    """A bag package (.tar, .tar.gz, .zip, folder) is refused before use; ``reasons`` lists every
    problem found."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))


class CaptureError(ArchiveError):
    """A web capture failed; the message names the URL. Nothing was written."""


class URLRefusedError(CaptureError):
    """A URL from outside (given, or met in a redirect) is malformed or may not be fetched."""


class FetchError(CaptureError):
    """The server could not be reached, or its answer broke a limit or the protocol."""


class FetchTimeoutError(FetchError):
    """The server was too slow: a read stalled, or the whole fetch ran past its time limit."""


class ResponseTooLargeError(FetchError):
    """A response body (as received, or once decoded) passed the size limit."""


class RedirectError(FetchError):
    """Too many redirects, or a redirect loop."""


class HTTPStatusError(FetchError):
    """The final answer was an HTTP error (4xx/5xx); ``status`` holds its code."""

    def __init__(self, message: str, status: int):
        self.status = status
        super().__init__(message)


class SnapshotError(ArchiveError):
    """A catalogue snapshot cannot be written to or taken from a replica (missing, tampered with,
    of an unknown format, or holding a record or event that fails its checks); names the path."""
