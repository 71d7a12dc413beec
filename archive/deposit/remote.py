"""Deposit to a remote target (``s3://bucket/prefix``, ``sftp://user@host/path``), as DART sends bags
to an APTrust receiving bucket.

The same checks as a deposit into a folder (deposit.py: full fixity, then the BagIt profile), the
same file (``<id>_v<N>.<ext>``, serialised in staging/) and the same ``.sha256`` sidecar, sent
through the storage seam: each object is written under a temporary name and committed only when
the bytes sent hash to the digest computed here, the bag first and its sidecar after it, so a
receiver that waits for the sidecar never picks up half a bag. The ``tra`` event names the target
by its storage label, which never holds a secret (archive.storage.urls refuses URLs that do). A
transfer that fails (the server stops, a refusal) refuses that record with one line and records
nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from archive.deposit.deposit import Deposited, DepositFailed, DepositReport, deposit_each
from archive.deposit.serialize import serialise
from archive.layout import Archive
from archive.progress import Cancel, Progress
from archive.storage.base import Storage, StorageError
from archive.storage.urls import storage_from_url

CHUNK = 8 << 20


def is_remote_target(to: str) -> bool:
    """True for the targets this module sends to; anything else is a local folder."""
    return to.lower().startswith(("s3://", "sftp://"))


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def send(storage: Storage, path: Path, sidecar: Path, digest: str) -> str:
    """The serialised bag, then its sidecar, each confirmed by its SHA-256; the bag's remote label."""
    storage.write_atomic(path.name, _chunks(path), sha256=digest)
    side = sidecar.read_bytes()
    storage.write_atomic(sidecar.name, [side], sha256=hashlib.sha256(side).hexdigest())
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
