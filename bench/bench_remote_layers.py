"""Which remote-filesystem layer the replicas use: fsspec (s3fs + sshfs/asyncssh) or boto3 + paramiko.

    .venv/bin/python bench/bench_remote_layers.py               # 1 GiB multipart, 200 small objects
    .venv/bin/python bench/bench_remote_layers.py --mib 128     # a quicker look

Both layers talk to real servers on 127.0.0.1 started here (moto's S3 server in its own process,
so its memory is not counted; OpenSSH sshd with throwaway keys). Each figure is taken in a fresh
child process: import time, peak RSS of a streamed multipart upload, objects per second with 8
concurrent transfers, and whether the S3 SHA-256 checksum can be stored at upload and read back
without downloading. A layer that is not installed is reported as such (the project installs only
the one it chose; `pip install s3fs sshfs` adds the other for a rerun).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from remote_servers import DUMMY_AWS, Sshd, sshd_available  # noqa: E402

MOTO_CHILD = """
import sys
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
s = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False); s.start()
print(s.get_host_and_port()[1], flush=True); sys.stdin.read()
"""

PRELUDE = """
import hashlib, base64, json, os, resource, sys, time, threading
from concurrent.futures import ThreadPoolExecutor
CFG = json.loads(sys.argv[1])
BLOCK = os.urandom(1 << 20)
def chunks(mib):
    for i in range(mib):
        yield i.to_bytes(8, "big") + BLOCK[8:]
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def out(**kw):
    print(json.dumps(kw), flush=True)
"""

CHILDREN = {
    ("boto3+paramiko", "import"):
        "t = time.perf_counter(); import boto3, paramiko; out(seconds=time.perf_counter() - t)",
    ("fsspec", "import"):
        "t = time.perf_counter(); import fsspec, s3fs, sshfs; out(seconds=time.perf_counter() - t)",
    ("boto3+paramiko", "s3"): """
import boto3
from botocore.config import Config
c = boto3.client("s3", endpoint_url=CFG["endpoint"], region_name="us-east-1",
                 config=Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=16))
c.create_bucket(Bucket="bench-a")
data = b"checksum me" * 1000
c.put_object(Bucket="bench-a", Key="one", Body=data, ChecksumAlgorithm="SHA256")
head = c.head_object(Bucket="bench-a", Key="one", ChecksumMode="ENABLED")
stored = base64.b64decode(head.get("ChecksumSHA256", "")).hex()
checksum_ok = stored == hashlib.sha256(data).hexdigest()
small = [os.urandom(8192) for _ in range(CFG["small"])]
inflight = [0, 0]; lock = threading.Lock()
def put(i):
    with lock: inflight[0] += 1; inflight[1] = max(inflight)
    c.put_object(Bucket="bench-a", Key=f"s/{i}", Body=small[i], ChecksumAlgorithm="SHA256")
    with lock: inflight[0] -= 1
t = time.perf_counter()
with ThreadPoolExecutor(8) as pool: list(pool.map(put, range(len(small))))
small_rate = len(small) / (time.perf_counter() - t)
base = peak_mb(); t = time.perf_counter()
up = c.create_multipart_upload(Bucket="bench-a", Key="big", ChecksumAlgorithm="SHA256")
parts = []; buf = bytearray(); whole = hashlib.sha256()
def send(b):
    n = len(parts) + 1
    digest = base64.b64encode(hashlib.sha256(b).digest()).decode()
    r = c.upload_part(Bucket="bench-a", Key="big", UploadId=up["UploadId"], PartNumber=n, Body=bytes(b),
                      ChecksumSHA256=digest)
    parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": digest})
for ch in chunks(CFG["mib"]):
    whole.update(ch); buf += ch
    if len(buf) >= 8 << 20: send(buf); buf = bytearray()
if buf: send(buf)
c.complete_multipart_upload(Bucket="bench-a", Key="big", UploadId=up["UploadId"],
                            MultipartUpload={"Parts": parts})
secs = time.perf_counter() - t
out(checksum_at_upload=checksum_ok, checksum_without_download=checksum_ok, small_per_s=small_rate,
    max_inflight=inflight[1], big_mb_s=CFG["mib"] * 1.048576 / secs, base_mb=base, peak_mb=peak_mb())
""",
    ("fsspec", "s3"): """
import s3fs
fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": CFG["endpoint"]},
                       s3_additional_kwargs={"ChecksumAlgorithm": "SHA256"})
fs.mkdir("bench-b")
data = b"checksum me" * 1000
fs.pipe_file("bench-b/one", data)
info = fs.info("bench-b/one")
via_info = base64.b64decode(info.get("ChecksumSHA256", "") or "").hex() == hashlib.sha256(data).hexdigest()
head = fs.call_s3("head_object", Bucket="bench-b", Key="one", ChecksumMode="ENABLED")
via_raw = base64.b64decode(head.get("ChecksumSHA256", "") or "").hex() == hashlib.sha256(data).hexdigest()
small = [os.urandom(8192) for _ in range(CFG["small"])]
t = time.perf_counter()
fs.pipe({f"bench-b/s/{i}": small[i] for i in range(len(small))}, batch_size=8)
small_rate = len(small) / (time.perf_counter() - t)
base = peak_mb(); t = time.perf_counter()
with fs.open("bench-b/big", "wb", block_size=8 << 20) as f:
    for ch in chunks(CFG["mib"]): f.write(ch)
secs = time.perf_counter() - t
head = fs.call_s3("head_object", Bucket="bench-b", Key="big", ChecksumMode="ENABLED")
out(checksum_at_upload=via_raw, checksum_without_download=f"info(): {via_info}, raw call_s3: {via_raw}",
    small_per_s=small_rate, max_inflight="batch_size=8 (asyncio)", big_mb_s=CFG["mib"] * 1.048576 / secs,
    base_mb=base, peak_mb=peak_mb(), big_checksum=str(head.get("ChecksumSHA256")))
""",
    ("boto3+paramiko", "sftp"): """
import paramiko
def client():
    c = paramiko.SSHClient(); c.load_host_keys(CFG["known_hosts"])
    c.set_missing_host_key_policy(paramiko.RejectPolicy())
    c.connect("127.0.0.1", CFG["port"], username=CFG["user"], key_filename=CFG["key"],
              allow_agent=False, look_for_keys=False)
    return c
t = time.perf_counter(); ssh = client(); connect_s = time.perf_counter() - t
root = CFG["root"] + "/p"; ssh.open_sftp().mkdir(root)
small = [os.urandom(8192) for _ in range(CFG["small"])]
local = threading.local()
def put(i):
    if not hasattr(local, "sftp"): local.sftp = ssh.open_sftp()
    with local.sftp.open(f"{root}/s{i}", "wb") as f: f.write(small[i])
t = time.perf_counter()
with ThreadPoolExecutor(8) as pool: list(pool.map(put, range(len(small))))
small_rate = len(small) / (time.perf_counter() - t)
sftp = ssh.open_sftp(); base = peak_mb(); t = time.perf_counter()
with sftp.open(f"{root}/big.tmp", "wb") as f:
    f.set_pipelined(True)
    for ch in chunks(CFG["sftp_mib"]): f.write(ch)
sftp.posix_rename(f"{root}/big.tmp", f"{root}/big")
secs = time.perf_counter() - t
out(connect_s=connect_s, small_per_s=small_rate, big_mb_s=CFG["sftp_mib"] * 1.048576 / secs,
    base_mb=base, peak_mb=peak_mb())
""",
    ("fsspec", "sftp"): """
import sshfs
t = time.perf_counter()
fs = sshfs.SSHFileSystem("127.0.0.1", port=CFG["port"], username=CFG["user"], client_keys=[CFG["key"]],
                         known_hosts=CFG["known_hosts"], agent_path=None)
connect_s = time.perf_counter() - t
root = CFG["root"] + "/f"; fs.mkdir(root)
small = [os.urandom(8192) for _ in range(CFG["small"])]
t = time.perf_counter()
fs.pipe({f"{root}/s{i}": small[i] for i in range(len(small))}, batch_size=8)
small_rate = len(small) / (time.perf_counter() - t)
base = peak_mb(); t = time.perf_counter()
with fs.open(f"{root}/big.tmp", "wb") as f:
    for ch in chunks(CFG["sftp_mib"]): f.write(ch)
fs.mv(f"{root}/big.tmp", f"{root}/big")
secs = time.perf_counter() - t
out(connect_s=connect_s, small_per_s=small_rate, big_mb_s=CFG["sftp_mib"] * 1.048576 / secs,
    base_mb=base, peak_mb=peak_mb())
""",
    ("archive storage", "s3"): """
import boto3
from archive.storage.s3 import S3Storage
boto3.client("s3", endpoint_url=CFG["endpoint"], region_name="us-east-1").create_bucket(Bucket="bench-c")
store = S3Storage("bench-c", "replica", endpoint_url=CFG["endpoint"], region="us-east-1")
small = [os.urandom(8192) for _ in range(CFG["small"])]
inflight = [0, 0]; lock = threading.Lock()
def put(i):
    with lock: inflight[0] += 1; inflight[1] = max(inflight)
    store.write_atomic(f"s/{i}", [small[i]], sha256=hashlib.sha256(small[i]).hexdigest())
    with lock: inflight[0] -= 1
t = time.perf_counter()
with ThreadPoolExecutor(8) as pool: list(pool.map(put, range(len(small))))
small_rate = len(small) / (time.perf_counter() - t)
whole = hashlib.sha256()
for ch in chunks(CFG["mib"]): whole.update(ch)
base = peak_mb(); t = time.perf_counter()
store.write_atomic("big", chunks(CFG["mib"]), sha256=whole.hexdigest())
secs = time.perf_counter() - t
ok = store.stat("big").checksums.get("sha256") == whole.hexdigest()
out(stored_sha256_read_back=ok, small_per_s=small_rate, max_inflight=inflight[1],
    big_mb_s=CFG["mib"] * 1.048576 / secs, base_mb=base, peak_mb=peak_mb())
""",
    ("archive storage", "sftp"): """
os.environ["HOME"] = CFG["home"]; os.environ.pop("SSH_AUTH_SOCK", None)
from archive.storage.sftp import SFTPStorage
store = SFTPStorage(CFG["user"], "127.0.0.1", CFG["port"], CFG["root"] + "/a")
small = [os.urandom(8192) for _ in range(CFG["small"])]
t = time.perf_counter()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(lambda i: store.write_atomic(f"s/{i}", [small[i]]), range(len(small))))
small_rate = len(small) / (time.perf_counter() - t)
base = peak_mb(); t = time.perf_counter()
store.write_atomic("big", chunks(CFG["sftp_mib"]))
secs = time.perf_counter() - t
out(small_per_s=small_rate, big_mb_s=CFG["sftp_mib"] * 1.048576 / secs, base_mb=base, peak_mb=peak_mb())
""",
}


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 server in a child process (its memory is not the client's); yields its endpoint."""
    moto = subprocess.Popen([sys.executable, "-c", MOTO_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        assert moto.stdout is not None and moto.stdin is not None
        yield f"http://127.0.0.1:{int(moto.stdout.readline())}"  # printed once its socket is bound
    finally:
        if moto.stdin is not None:
            moto.stdin.close()
        moto.wait(60)


def run_child(layer: str, what: str, cfg: dict) -> dict:
    code = PRELUDE + textwrap.dedent(CHILDREN[(layer, what)])
    env = {**os.environ, **DUMMY_AWS, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(cfg)], capture_output=True, text=True,
                          env=env, timeout=1800)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": last[:200]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def installed(layer: str) -> bool:
    mods = {"boto3+paramiko": ["boto3", "paramiko"], "fsspec": ["fsspec", "s3fs", "sshfs"],
            "archive storage": ["archive", "boto3", "paramiko"]}[layer]
    probe = f"import importlib.util,sys; sys.exit(any(importlib.util.find_spec(m) is None for m in {mods!r}))"
    return subprocess.run([sys.executable, "-c", probe]).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="size of the multipart S3 upload")
    parser.add_argument("--sftp-mib", type=int, default=256, help="size of the streamed SFTP upload")
    parser.add_argument("--small", type=int, default=200, help="small objects sent 8 at a time")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-remote-"))
    sshd = Sshd(tmp / "sshd").start() if sshd_available() else None
    cfg = {"mib": args.mib, "sftp_mib": args.sftp_mib,
           "small": args.small, "root": str(tmp)}
    if sshd is not None:
        cfg.update(port=sshd.port, user=sshd.user, key=str(sshd.home / ".ssh/id_ed25519"),
                   known_hosts=str(sshd.home / ".ssh/known_hosts"), home=str(sshd.home))
    try:
        for layer in ("boto3+paramiko", "fsspec", "archive storage"):
            print(f"\n== {layer} ==", flush=True)
            if not installed(layer):
                print("  not installed in this venv")
                continue
            for what in ("import", "s3", "sftp"):
                if (layer, what) not in CHILDREN:
                    continue
                if what == "sftp" and sshd is None:
                    print("  sftp: sshd not installed")
                    continue
                if what == "s3":  # a fresh moto per run: it keeps every object in its memory
                    with moto_server() as endpoint:
                        result = run_child(layer, what, {**cfg, "endpoint": endpoint})
                else:
                    result = run_child(layer, what, cfg)
                print(f"  {what}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in result.items()), flush=True)
    finally:
        if sshd is not None:
            sshd.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _fmt(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    sys.exit(main())
