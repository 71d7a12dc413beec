"""A folder on an SSH server as a Storage, through paramiko's SFTP client.

Why paramiko and not fsspec/sshfs (asyncssh): bench/bench_remote_layers.py measured both; with one
SSH connection and a channel per thread, paramiko sent small files several times faster than sshfs,
with the same bounded memory for a large file, and it keeps the S3 side's choice (boto3) free of
fsspec's pins. paramiko is imported here, lazily, on first use: never at CLI start-up.

Credentials come from the standard places only: ~/.ssh/config (HostName, Port, User,
IdentityFile, UserKnownHostsFile), ssh-agent, and the default key files. The server's host key
must already be in ~/.ssh/known_hosts (or the config's UserKnownHostsFile): an unknown host is
refused, never trusted on first use.

write_atomic writes a temporary name in the same folder, hashes what it sends, fsyncs it
(fsync@openssh.com) and renames it over the final name (posix-rename@openssh.com) only when the
SHA-256 matches. Links are never followed: listings and stat use lstat, and open_read refuses
anything but a regular file. Identity is (size, mtime), all SFTP v3 offers.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import secrets
import stat as st
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, TypeVar

from archive.storage.base import Entry, Kind, NotTheSameFile, StorageError, check_relpath
from archive.storage.streams import reader

T = TypeVar("T")
TEMP_MARK = ".archive-tmp-"


class SFTPStorage:
    """Files under ``path`` on ``host``, reached as ``user`` (None: from ~/.ssh/config)."""

    def __init__(self, user: str | None, host: str, port: int | None, path: str, *, attempts: int = 4,
                 timeout: float = 15.0, backoff: float = 0.25) -> None:
        self.user = user
        self.host = host
        self.port = port
        self.root = path.rstrip("/") or "/"
        self.attempts = attempts
        self.timeout = timeout
        self.backoff = backoff
        self._client: Any = None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._generation = 0
        self._folders: set[str] = set()
        """Folders known to exist, so a bag's hundred files do not each re-check their parents."""

    @property
    def label(self) -> str:
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"sftp://{user}{self.host}{port}{'' if self.root.startswith('/') else '/~/'}{self.root}"

    # -- connection -----------------------------------------------------------------------------

    def _connect(self) -> Any:
        import paramiko

        _quiet_paramiko()
        config = paramiko.SSHConfig()
        config_path = os.path.expanduser("~/.ssh/config")
        if os.path.isfile(config_path):
            config = paramiko.SSHConfig.from_path(config_path)
        opts = config.lookup(self.host)
        client = paramiko.SSHClient()
        client.load_system_host_keys()  # ~/.ssh/known_hosts
        for known in opts.get("userknownhostsfile", "").split():
            known = os.path.expanduser(known)
            if os.path.isfile(known):
                client.load_host_keys(known)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        keys = [os.path.expanduser(k) for k in opts.get("identityfile", [])]
        keys = [k for k in keys if os.path.isfile(k)]
        client.connect(
            opts.get("hostname", self.host), port=self.port or int(opts.get("port", 22)),
            username=self.user or opts.get("user"), key_filename=keys or None,
            allow_agent=True, look_for_keys=True, timeout=self.timeout, banner_timeout=self.timeout,
            auth_timeout=self.timeout,
        )
        transport = client.get_transport()
        if transport is not None:
            transport.set_keepalive(15)
        return client

    def _sftp(self) -> Any:
        """This thread's SFTP channel over the one shared SSH connection, (re)connected on demand."""
        with self._lock:
            transport = self._client.get_transport() if self._client is not None else None
            if transport is None or not transport.is_active():
                self._drop_locked()
                self._client = self._connect()
                self._generation += 1
            generation, client = self._generation, self._client
        local = self._local
        if getattr(local, "generation", None) != generation:
            local.sftp = client.open_sftp()
            local.generation = generation
        return local.sftp

    def _drop_locked(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
        self._client = None

    def close(self) -> None:
        with self._lock:
            self._drop_locked()

    def _alive(self) -> bool:
        transport = self._client.get_transport() if self._client is not None else None
        return transport is not None and transport.is_active()

    def _call(self, path: str, doing: str, op: Callable[[Any], T]) -> T:
        """``op(sftp)`` with bounded retries and backoff while the connection is what failed."""
        import paramiko

        last: BaseException | None = None
        for attempt in range(self.attempts):
            try:
                return op(self._sftp())
            except (paramiko.AuthenticationException, paramiko.BadHostKeyException) as exc:
                raise self._error(path, doing, exc) from None
            except (OSError, EOFError, paramiko.SSHException) as exc:
                if isinstance(exc, paramiko.SSHException) and ("known_hosts" in str(exc) or _no_key(exc)):
                    raise self._error(path, doing, exc) from None  # retrying finds no key nor host key
                if self._alive() and isinstance(exc, OSError):
                    raise self._error(path, doing, exc) from None  # the server answered: not transient
                last = exc
                with self._lock:
                    self._drop_locked()
                if attempt + 1 < self.attempts:
                    time.sleep(self.backoff * 2**attempt)
        assert last is not None
        raise self._error(path, doing, last, retried=True) from None

    def _error(self, path: str, doing: str, exc: BaseException, retried: bool = False) -> StorageError:
        text = str(exc).strip() or type(exc).__name__
        if type(exc).__name__ == "AuthenticationException":
            text += " (keys are taken from ssh-agent, ~/.ssh/config and ~/.ssh/id_*)"
        elif _no_key(exc):
            text = ("no key to log in with: none in ssh-agent (SSH_AUTH_SOCK), none named by IdentityFile "
                    "in ~/.ssh/config, no ~/.ssh/id_* file")
        if type(exc).__name__ == "SSHException" and "known_hosts" in text:
            text = f"host key of {self.host} is not in ~/.ssh/known_hosts; add it (ssh-keyscan) first"
        after = f" (after {self.attempts} attempts)" if retried else ""
        text = " ".join(text.split())
        return StorageError(f"{self.label}: {path or '(root)'}: {doing} failed{after}: {text}")

    def _remote(self, path: str) -> str:
        check_relpath(path)
        return posixpath.join(self.root, path) if path else self.root

    # -- the Storage contract ---------------------------------------------------------------------

    def walk(self, prefix: str = "") -> Iterator[Entry]:
        """Every entry under ``prefix`` (nothing when it does not exist yet), lstat-ed by the server."""

        def listdir(sftp: Any, folder: str) -> list[Any]:
            try:
                return sftp.listdir_attr(self._remote(folder))
            except FileNotFoundError:
                if folder == prefix:
                    return []
                raise

        pending = [prefix]
        while pending:
            folder = pending.pop()
            listing = self._call(folder, "listing", lambda s, f=folder: listdir(s, f))
            for attr in sorted(listing, key=lambda a: a.filename):
                name = attr.filename
                if name in (".", "..") or "/" in name:
                    continue
                entry = _entry(f"{folder}/{name}" if folder else name, attr)
                yield entry
                if entry.kind == "folder":
                    pending.append(entry.path)

    def stat(self, path: str) -> Entry | None:
        def look(sftp: Any) -> Any:
            try:
                return sftp.lstat(self._remote(path))
            except FileNotFoundError:
                return None

        attr = self._call(path, "stat", look)
        return None if attr is None else _entry(path, attr)

    def open_read(self, path: str, expect: Entry | None = None) -> BinaryIO:
        def opener(sftp: Any) -> Any:
            remote = self._remote(path)
            before = _entry(path, sftp.lstat(remote))
            if before.kind != "file":
                raise StorageError(f"{self.label}: {path}: refused to read a {before.kind}")
            if expect is not None and expect.identity is not None and before.identity != expect.identity:
                raise NotTheSameFile(f"{self.label}: {path}: the file changed since it was listed")
            handle = sftp.open(remote, "rb")
            if _entry(path, handle.stat()).identity != before.identity:  # swapped between lstat and open
                handle.close()
                raise NotTheSameFile(f"{self.label}: {path}: the file changed while it was opened")
            handle.prefetch()
            return handle

        return reader(self._call(path, "open", opener), lambda exc: self._error(path, "read", exc))

    def write_atomic(self, path: str, chunks: Iterable[bytes], *, sha256: str | None = None) -> Entry:
        """Temporary name, hash while sending, fsync, then posix-rename; never retried mid-transfer
        (``chunks`` may be a one-shot stream), so a broken connection is one clear error."""
        final = self._remote(path)
        folder, name = posixpath.split(final)
        temp = posixpath.join(folder, f"{TEMP_MARK}{secrets.token_hex(6)}-{name}")
        if folder not in self._folders:
            self._call(path, "making folders", lambda s: _makedirs(s, folder, self.label))
            self._folders.add(folder)
        sftp = self._call(path, "connect", lambda s: s)  # a failed (re)connect: one clear, retried error
        digest = hashlib.sha256()
        size = 0
        try:
            with sftp.open(temp, "wb") as handle:
                handle.set_pipelined(True)
                for chunk in chunks:
                    handle.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                handle.flush()
                _fsync(handle)
                attr = handle.stat()  # on the open handle: one round trip, and rename keeps it
            if sha256 is not None and digest.hexdigest() != sha256.lower():
                raise StorageError(f"{self.label}: {path}: the bytes sent hash to sha256 "
                                   f"{digest.hexdigest()}, expected {sha256.lower()}; nothing was written")
            if attr.st_size != size:
                raise StorageError(f"{self.label}: {path}: the server holds a different size than was sent")
            _rename(sftp, temp, final)
        except BaseException as exc:
            self._folders.discard(folder)
            _remove_quietly(sftp, temp)
            if isinstance(exc, StorageError):
                raise
            if isinstance(exc, (OSError, EOFError)) or type(exc).__module__.startswith("paramiko"):
                with self._lock:
                    self._drop_locked()
                raise self._error(path, "write", exc) from None
            raise
        return _entry(path, attr)


def _no_key(exc: BaseException) -> bool:
    """paramiko's SSHException when it found no key at all to offer (an empty or absent agent and
    no key file): a setting to fix, not a network fault worth retrying."""
    return type(exc).__name__ == "SSHException" and "No authentication methods available" in str(exc)


def _kind(mode: int) -> Kind:
    if st.S_ISLNK(mode):
        return "link"
    if st.S_ISDIR(mode):
        return "folder"
    return "file" if st.S_ISREG(mode) else "special"


def _entry(path: str, attr: Any) -> Entry:
    kind = _kind(attr.st_mode or 0)
    size = int(attr.st_size or 0) if kind == "file" else 0
    return Entry(path=path, kind=kind, size=size, identity=(size, attr.st_mtime) if kind == "file" else None)


def _makedirs(sftp: Any, folder: str, label: str) -> None:
    missing: list[str] = []
    while folder not in ("", "/", "."):
        try:
            if not st.S_ISDIR(sftp.stat(folder).st_mode or 0):
                raise StorageError(f"{label}: {folder} exists and is not a folder")
            break
        except FileNotFoundError:
            missing.append(folder)
            folder = posixpath.dirname(folder)
    for each in reversed(missing):
        try:
            sftp.mkdir(each)
        except OSError:
            if not st.S_ISDIR(sftp.stat(each).st_mode or 0):  # made by a concurrent writer is fine
                raise


def _fsync(handle: Any) -> None:
    """fsync@openssh.com, which paramiko has no method for; skipped where the server lacks it."""
    from paramiko.sftp import CMD_EXTENDED

    try:
        handle.sftp._request(CMD_EXTENDED, "fsync@openssh.com", handle.handle)
    except OSError as exc:
        if "unsupported" not in str(exc).lower():
            raise


def _rename(sftp: Any, temp: str, final: str) -> None:
    try:
        sftp.posix_rename(temp, final)
    except OSError as exc:
        if "unsupported" not in str(exc).lower():
            raise
        sftp.rename(temp, final)  # plain SFTP rename: fails rather than replace an existing file


def _remove_quietly(sftp: Any, temp: str) -> None:
    with contextlib.suppress(Exception):
        sftp.remove(temp)


def _quiet_paramiko() -> None:
    """Keep paramiko's own log records off stderr. Its transport thread logs a connection reset
    during the banner with a traceback; with no handler configured, Python's last-resort handler
    prints it amid the command's output, where every problem must be one ``archive: error`` line
    (the retrying caller reports the failure itself)."""
    import logging

    logger = logging.getLogger("paramiko")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
