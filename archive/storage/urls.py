"""Replica URLs to storages: a folder (path or file://), sftp://user@host[:port]/path, s3://bucket/prefix.

A URL comes from the command line and ends up in archive.toml, so it must never carry a secret:
one holding a password (``sftp://u:pw@h/...``), S3 credentials, or a query string (where presigned
signatures live) is refused, and the refusal never repeats it. Credentials come from the standard
places only (see s3.py and sftp.py). Each backend module is imported only when its URL is used, so
the CLI starts without boto3 or paramiko.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

from archive.errors import UsageError
from archive.storage.base import Storage, StorageError, check_relpath

BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")
USER = re.compile(r"[A-Za-z0-9._][A-Za-z0-9._-]{0,63}")
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def storage_from_url(url: str, *, endpoint_url: str | None = None, region: str | None = None) -> Storage:
    """The storage a replica URL names; UsageError (never echoing a secret) when it is not usable."""
    if not url or "\x00" in url or any(ord(c) < 32 for c in url):
        raise UsageError("replica URL is empty or holds control characters")
    scheme = SCHEME.match(url)
    kind = scheme.group(1).lower() if scheme else ""
    if kind in ("", "file") or (len(kind) == 1 and url[1:2] == ":"):
        return _folder(url, kind)
    if kind not in ("sftp", "s3"):
        raise UsageError(f"replica URL scheme {kind!r} is not supported: use a folder, file://, sftp:// or s3://")
    parts = _split(url, kind)
    if kind == "sftp":
        return _sftp(parts)
    return _s3(parts, endpoint_url, region)


def _split(url: str, kind: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
    except ValueError:
        raise UsageError(f"{kind} replica URL is malformed") from None
    userinfo = netloc.rpartition("@")[0] if "@" in netloc else ""
    if ":" in userinfo or userinfo.count("@"):
        raise UsageError(f"{kind} replica URL holds a password or credentials; they are refused here: "
                         "use ssh-agent or key files (SFTP), or the AWS environment, config or profiles (S3)")
    if parts.query or parts.fragment or url.rstrip().endswith(("?", "#")):
        raise UsageError(f"{kind} replica URL must not have a query string or fragment")
    return parts


def _folder(url: str, kind: str) -> Storage:
    if kind == "file":
        try:
            parts = urlsplit(url)
        except ValueError:  # an unclosed or bad [IPv6] host: "file://[" (urlsplit's own check)
            raise UsageError("file:// replica URL is malformed") from None
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise UsageError("file:// replica URL must name a local folder: file:///path/to/folder")
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise UsageError("file:// replica URL must hold an absolute path")
    else:
        path = url
    from archive.storage.local import LocalStorage  # lands with the local-disk storage

    return LocalStorage(Path(path))


def _sftp(parts: SplitResult) -> Storage:
    netloc = parts.netloc
    user, _, hostport = netloc.rpartition("@")
    user = unquote(user)
    if user and not USER.fullmatch(user):
        raise UsageError("sftp replica URL has an invalid user name")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise UsageError("sftp replica URL has an invalid port") from None
    if not host or not HOST.fullmatch(hostport.rsplit(":", 1)[0] if port else hostport):
        raise UsageError("sftp replica URL needs a host name: sftp://user@host[:port]/path")
    if port == 0:
        raise UsageError("sftp replica URL has an invalid port")
    path = unquote(parts.path)
    if path in ("", "/") or "\x00" in path:
        raise UsageError("sftp replica URL needs a folder path after the host: sftp://user@host/path")
    if path.startswith("/~/"):
        path = path[3:]  # relative to the login folder
    _check_path(path.strip("/"), "sftp")
    from archive.storage.sftp import SFTPStorage

    return SFTPStorage(user or None, host, port, path)


def _s3(parts: SplitResult, endpoint_url: str | None, region: str | None) -> Storage:
    if "@" in parts.netloc or ":" in parts.netloc:
        raise UsageError("s3 replica URL holds credentials or a port; name only s3://bucket/prefix")
    bucket = parts.netloc
    if not BUCKET.fullmatch(bucket) or ".." in bucket:
        raise UsageError("s3 replica URL needs a valid bucket name: s3://bucket/prefix")
    prefix = unquote(parts.path).strip("/")
    _check_path(prefix, "s3")
    if endpoint_url is not None:
        _check_endpoint(endpoint_url)
    from archive.storage.s3 import S3Storage

    return S3Storage(bucket, prefix, endpoint_url=endpoint_url, region=region)


def _check_path(path: str, kind: str) -> None:
    try:
        check_relpath(path)
    except StorageError:
        raise UsageError(f"{kind} replica URL path has an empty, '.' or '..' component") from None


def _check_endpoint(endpoint_url: str) -> None:
    try:
        parts = urlsplit(endpoint_url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise UsageError("--endpoint-url is malformed") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("--endpoint-url must be an http:// or https:// URL")
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise UsageError("--endpoint-url must not hold credentials or a query string")
