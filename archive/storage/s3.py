"""S3-compatible object storage (AWS S3, MinIO, Ceph RGW, Wasabi, B2) as a Storage, through boto3.

Why boto3 and not fsspec/s3fs: bench/bench_remote_layers.py measured both; boto3 exposes the S3
checksum feature directly (ChecksumSHA256 at upload, HeadObject with ChecksumMode to read it back
without downloading), imports in about half the time, and does not pin botocore to a three-release
window as s3fs (through aiobotocore) does. boto3 is imported here, lazily, on first use: never at
CLI start-up.

Atomicity comes from S3 itself: a PUT or a multipart upload appears whole, and only when it
completes. write_atomic hashes what it sends and commits (single PUT, or CompleteMultipartUpload)
only when the SHA-256 matches; otherwise it aborts the upload and nothing is left under the key.
Each PUT and each part carries its own x-amz-checksum-sha256, so the server verifies the bytes it
received. The whole object's SHA-256 is read back by ``stat`` without downloading: the stored
full-object checksum for a single PUT, or, for a multipart object (whose S3 checksum is only a
checksum of part checksums), the ``sha256`` metadata written at CreateMultipartUpload when the
caller passed ``sha256=`` and confirmed before completion.

Identity is the ETag; ``open_read(expect=...)`` sends If-Match, so an object replaced since the
listing is refused by the server (NotTheSameFile) rather than hashed in its place.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from archive.storage.base import Entry, NotTheSameFile, StorageError, check_relpath
from archive.storage.streams import reader

PART_SIZE = 8 << 20
"""Bytes per multipart part (S3's minimum is 5 MiB); doubled every PARTS_PER_STEP parts so the
10,000-part limit is never reached while memory stays bounded by one part."""
PARTS_PER_STEP = 1000
SECRET_PARAMS = re.compile(r"(?i)\b(x-amz-signature|signature|x-amz-credential|x-amz-security-token|"
                           r"awsaccesskeyid|aws_secret_access_key|aws_session_token)=[^&\s'\"]+")


class S3Storage:
    """Objects under ``s3://bucket/prefix``; credentials from the AWS environment, config, profiles."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, *, attempts: int = 4, timeout: float = 30.0,
                 part_size: int = PART_SIZE) -> None:
        self.bucket = bucket
        self.prefix = check_relpath(prefix.strip("/"))
        self.endpoint_url = endpoint_url
        self.region = region
        self.attempts = attempts
        self.timeout = timeout
        self.part_size = max(part_size, 5 << 20)
        self._client: Any = None
        self._session: Any = None
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    # -- plumbing -------------------------------------------------------------------------------

    def _s3(self) -> Any:
        """The boto3 client, made on first use (thread-safe, shared by every transfer)."""
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                self._session = boto3.session.Session(region_name=self.region)
                config = Config(
                    retries={"max_attempts": self.attempts, "mode": "standard"},
                    connect_timeout=self.timeout, read_timeout=self.timeout, max_pool_connections=32,
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                )
                try:
                    self._client = self._session.client("s3", endpoint_url=self.endpoint_url, config=config)
                except Exception as exc:
                    raise self._error("", exc) from None
            return self._client

    def _key(self, path: str) -> str:
        check_relpath(path)
        return f"{self.prefix}/{path}" if self.prefix and path else (self.prefix or path)

    def _error(self, path: str, exc: BaseException, doing: str = "") -> StorageError:
        """One line naming the storage and the path; credentials and signatures scrubbed out."""
        response = getattr(exc, "response", None)
        if isinstance(response, dict) and "Error" in response:
            err = response["Error"]
            text = f"{err.get('Code', '?')}: {err.get('Message', '')}".rstrip(": ")
        else:
            text = str(exc) or type(exc).__name__
        if type(exc).__name__ == "NoCredentialsError":
            text += " (set them in the AWS environment, ~/.aws/credentials or a profile)"
        where = f"{self.label}: {path or '(root)'}"
        return StorageError(f"{where}: {doing + ': ' if doing else ''}{self._scrub(text)}")

    def _scrub(self, text: str) -> str:
        text = SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", text)
        creds = self._session.get_credentials() if self._session is not None else None
        if creds is not None:
            frozen = creds.get_frozen_credentials()
            for secret in (frozen.access_key, frozen.secret_key, frozen.token):
                if secret:
                    text = text.replace(secret, "***")
        return " ".join(text.split())

    @staticmethod
    def _code(exc: BaseException) -> str:
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            return str(response.get("Error", {}).get("Code", ""))
        return ""

    # -- the Storage contract ---------------------------------------------------------------------

    def walk(self, prefix: str = "") -> Iterator[Entry]:
        """Every object under ``prefix``; sizes and ETags from the listing (checksums: use stat).

        S3 has no folders, only keys: each folder a key implies below ``prefix`` is listed once,
        before the first object in it, as the contract asks (a bag check looks for data/)."""
        base = self._key(prefix)
        list_prefix = f"{base}/" if base else ""
        strip = f"{self.prefix}/" if self.prefix else ""
        depth = len(prefix.split("/")) if prefix else 0
        seen: set[str] = set()
        try:
            pages = self._s3().get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                         Prefix=list_prefix)
            for page in pages:
                for obj in page.get("Contents", []):
                    entry = self._listed(obj, strip)
                    parts = entry.path.split("/")[:-1] if entry.kind == "file" else entry.path.split("/")
                    for end in range(depth + 1, len(parts) + 1):
                        folder = "/".join(parts[:end])
                        if folder not in seen:
                            seen.add(folder)
                            yield Entry(path=folder, kind="folder")
                    if entry.kind == "file":
                        yield entry
        except StorageError:
            raise
        except Exception as exc:
            raise self._error(prefix, exc, "listing failed") from None

    def _listed(self, obj: dict[str, Any], strip: str) -> Entry:
        rel = obj["Key"][len(strip):]
        if rel.endswith("/"):  # a "folder marker" some tools write
            return Entry(path=check_relpath(rel.rstrip("/")), kind="folder")
        try:
            check_relpath(rel)
        except StorageError:
            raise StorageError(f"{self.label}: refused object key {rel!r}: not a safe relative path") \
                from None
        return Entry(path=rel, kind="file", size=int(obj["Size"]), identity=obj.get("ETag"))

    def stat(self, path: str) -> Entry | None:
        key = self._key(path)
        if not key:
            return Entry(path="", kind="folder")  # the bucket's root: no object, always a folder
        try:
            head = self._s3().head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        except Exception as exc:
            if self._code(exc) not in ("404", "NoSuchKey", "NotFound"):
                raise self._error(path, exc, "stat failed") from None
            return self._folder_or_none(path, key)
        return Entry(path=path, kind="file", size=int(head["ContentLength"]), identity=head.get("ETag"),
                     checksums=_stored_sha256(head))

    def _folder_or_none(self, path: str, key: str) -> Entry | None:
        try:
            listing = self._s3().list_objects_v2(Bucket=self.bucket, Prefix=f"{key}/", MaxKeys=1)
        except Exception as exc:
            raise self._error(path, exc, "stat failed") from None
        return Entry(path=path, kind="folder") if listing.get("KeyCount", 0) else None

    def open_read(self, path: str, expect: Entry | None = None) -> BinaryIO:
        if expect is not None and expect.kind != "file":
            raise StorageError(f"{self.label}: {path}: refused to read a {expect.kind}")
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(path)}
        if expect is not None and expect.identity:
            args["IfMatch"] = str(expect.identity)
        try:
            body = self._s3().get_object(**args)["Body"]
        except Exception as exc:
            code = self._code(exc)
            if code in ("PreconditionFailed", "412"):
                raise NotTheSameFile(f"{self.label}: {path}: the object changed since it was listed") \
                    from None
            if code in ("404", "NoSuchKey", "NotFound"):
                raise StorageError(f"{self.label}: {path}: no such object") from None
            raise self._error(path, exc, "read failed") from None
        return reader(body, lambda exc: self._error(path, exc, "read failed"))

    def write_atomic(self, path: str, chunks: Iterable[bytes], *, sha256: str | None = None) -> Entry:
        """One PUT when the bytes fit one part, else a multipart upload; committed only when the
        SHA-256 of what was sent matches ``sha256`` (when given), aborted otherwise."""
        upload = _Upload(self, path, sha256.lower() if sha256 else None)
        try:
            return upload.run(chunks)
        except BaseException as exc:
            upload.abort()
            if isinstance(exc, StorageError):
                raise
            if isinstance(exc, Exception):
                raise self._error(path, exc, "write failed") from None
            raise


def _stored_sha256(head: dict[str, Any]) -> dict[str, str]:
    """The whole object's SHA-256 as S3 keeps it: its full-object checksum for a single PUT, the
    confirmed ``sha256`` metadata for a multipart object (whose checksum covers only the parts)."""
    multipart = "-" in str(head.get("ETag", ""))
    stored = head.get("ChecksumSHA256") or ""
    if stored and not multipart and "-" not in stored:
        return {"sha256": base64.b64decode(stored).hex()}
    meta = str(head.get("Metadata", {}).get("sha256", "")).lower()
    return {"sha256": meta} if re.fullmatch(r"[0-9a-f]{64}", meta) else {}


class _Upload:
    """One write_atomic: buffers at most one part, hashes everything it sends."""

    def __init__(self, storage: S3Storage, path: str, expected: str | None) -> None:
        self.s = storage
        self.path = path
        self.key = storage._key(path)
        self.expected = expected
        self.whole = hashlib.sha256()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []
        self.part_size = storage.part_size
        self.size = 0

    def run(self, chunks: Iterable[bytes]) -> Entry:
        buf = bytearray()
        for chunk in chunks:
            self.whole.update(chunk)
            self.size += len(chunk)
            buf += chunk
            while len(buf) >= self.part_size:
                self._send_part(bytes(buf[: self.part_size]))
                del buf[: self.part_size]
        digest = self.whole.hexdigest()
        if self.expected is not None and digest != self.expected:
            raise StorageError(f"{self.s.label}: {self.path}: the bytes sent hash to sha256 {digest}, "
                               f"expected {self.expected}; nothing was written")
        client = self.s._s3()
        if self.upload_id is None:
            resp = client.put_object(Bucket=self.s.bucket, Key=self.key, Body=bytes(buf),
                                     ChecksumSHA256=_b64(hashlib.sha256(buf).digest()),
                                     Metadata={"sha256": digest})
        else:
            if buf:
                self._send_part(bytes(buf))
            resp = client.complete_multipart_upload(Bucket=self.s.bucket, Key=self.key,
                                                    UploadId=self.upload_id,
                                                    MultipartUpload={"Parts": self.parts})
            self.upload_id = None
        checksums = {"sha256": digest} if self.expected is not None or not self.parts else {}
        return Entry(path=self.path, kind="file", size=self.size, identity=resp.get("ETag"),
                     checksums=checksums)

    def _send_part(self, data: bytes) -> None:
        client = self.s._s3()
        if self.upload_id is None:
            extra = {"Metadata": {"sha256": self.expected}} if self.expected else {}
            self.upload_id = client.create_multipart_upload(Bucket=self.s.bucket, Key=self.key,
                                                            ChecksumAlgorithm="SHA256", **extra)["UploadId"]
        number = len(self.parts) + 1
        checksum = _b64(hashlib.sha256(data).digest())
        resp = client.upload_part(Bucket=self.s.bucket, Key=self.key, UploadId=self.upload_id,
                                  PartNumber=number, Body=data, ChecksumSHA256=checksum)
        self.parts.append({"PartNumber": number, "ETag": resp["ETag"], "ChecksumSHA256": checksum})
        if number % PARTS_PER_STEP == 0:
            self.part_size *= 2

    def abort(self) -> None:
        """Best effort: an unfinished multipart upload is invisible anyway, and a bucket lifecycle
        rule (AbortIncompleteMultipartUpload) reclaims one that could not be aborted."""
        if self.upload_id is None:
            return
        with contextlib.suppress(Exception):
            self.s._s3().abort_multipart_upload(Bucket=self.s.bucket, Key=self.key, UploadId=self.upload_id)
        self.upload_id = None


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")
