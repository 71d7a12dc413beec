"""Deposit to a remote target (``s3://bucket/prefix``, ``sftp://user@host/path``), as DART sends bags
to an APTrust receiving bucket.

The same checks as a deposit into a folder (deposit.py: full fixity, then the BagIt profile), the
same file (``<id>_v<N>.<ext>``, serialised in staging/) and the same ``.sha256`` sidecar, sent
through the storage seam: each object is written under a temporary name and committed only when
the bytes sent hash to the digest computed here.

A receiving bucket acts on the bag object (the DART/APTrust convention): it ingests ``<id>_v<N>.tar``
as soon as that name appears. So the sidecar goes first and the bag's name is committed last: a
sidecar that cannot be sent means the bag is never sent, and nothing there looks like a deposit;
a bag that cannot be sent after its sidecar leaves only the sidecar, which no receiver acts on
alone (and the next deposit of the record replaces it), and the refusal says so. Each object is
tried ``ATTEMPTS`` times with backoff (the local file is read again each time), on top of the
storages' own request retries. The ``tra`` event names the target by its storage label, which
never holds a secret (archive.storage.urls refuses URLs that do), and is recorded only when both
objects were confirmed. A transfer that fails refuses that record with one line and records
nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from archive.deposit.deposit import Deposited, DepositFailed, DepositReport, deposit_each
from archive.deposit.serialize import serialise
from archive.layout import Archive
from archive.progress import Cancel, Progress
from archive.storage.base import Entry, Storage, StorageError
from archive.storage.urls import storage_from_url

CHUNK = 8 << 20
ATTEMPTS = 3
BACKOFF_S = 0.5
"""Seconds before the second attempt at an object; doubled before each later one."""


def is_remote_target(to: str) -> bool:
    """True for the targets this module sends to; anything else is a local folder."""
    return to.lower().startswith(("s3://", "sftp://"))


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


class SendFailed(StorageError):
    """An object could not be sent after every attempt; the message says what the target holds."""


def _attempts(name: str, write: Callable[[], Entry]) -> Entry:
    """``write()`` up to ATTEMPTS times, waiting BACKOFF_S, then twice that, between tries."""
    for attempt in range(ATTEMPTS):
        try:
            return write()
        except StorageError as exc:
            if attempt + 1 == ATTEMPTS:
                raise SendFailed(f"{name} not sent after {ATTEMPTS} attempts: {exc}") from None
            time.sleep(BACKOFF_S * 2 ** attempt)
    raise AssertionError("unreachable")


def send(storage: Storage, path: Path, sidecar: Path, digest: str) -> str:
    """The sidecar, then the serialised bag (its name committed last, see the module docstring),
    each confirmed by its SHA-256; the bag's remote label. SendFailed says what was left."""
    side = sidecar.read_bytes()
    try:
        _attempts(sidecar.name, lambda: storage.write_atomic(sidecar.name, [side],
                                                             sha256=hashlib.sha256(side).hexdigest()))
    except SendFailed as exc:
        raise SendFailed(f"{exc}; nothing was sent under {path.name}") from None
    try:
        _attempts(path.name, lambda: storage.write_atomic(path.name, _chunks(path), sha256=digest))
    except SendFailed as exc:
        raise SendFailed(f"{exc}; its sidecar {sidecar.name} was sent first and is left there without "
                         "its bag (a receiver acts on the bag object only; the next deposit replaces it)") \
            from None
    return f"{storage.label.rstrip('/')}/{path.name}"


def deposit_remote(arc: Archive, ids: Iterable[str], *, to: str, fmt: str = "tar",
                   endpoint_url: str | None = None, region: str | None = None, profile: Path | None = None,
                   progress: Progress | None = None, cancel: Cancel | None = None) -> DepositReport:
    """Check, serialise and send the newest bag of each record to the remote target ``to``."""
    storage = storage_from_url(to, endpoint_url=endpoint_url, region=region)
    work = arc.staging_dir / f"deposit-{secrets.token_hex(6)}"

    def write_remote(bag: Path, record_id: str, version: int) -> tuple[Deposited, str, dict]:
        folder = work / f"{record_id}_v{version}"
        try:
            folder.mkdir(parents=True)
            path, digest = serialise(bag, f"{record_id}_v{version}", fmt, folder)
            where = send(storage, path, folder / f"{path.name}.sha256", digest)
        except OSError as exc:
            raise DepositFailed(f"cannot serialise the bag in {work}: {exc.strerror or exc}") from None
        except StorageError as exc:
            raise DepositFailed(f"not deposited to {storage.label}: {exc}") from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return (Deposited(record_id, version, where, digest),
                f"bag v{version} serialised as {path.name} and sent to {storage.label}",
                {"target": storage.label})

    try:
        return deposit_each(arc, ids, fmt=fmt, profile=profile, write=write_remote, progress=progress,
                            cancel=cancel)
    finally:
        shutil.rmtree(work, ignore_errors=True)
