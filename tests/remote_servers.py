"""Real servers on 127.0.0.1 for the replica tests and benches: moto's S3 and an OpenSSH sshd.

Plain classes, no pytest, so bench/ can start the same servers the tests use. Each waits for its
server to be ready by an event (sshd's "Server listening" line, then its SSH banner on the port;
moto's socket bound), never by a fixed sleep, and stops only the processes it started.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
SSH_KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
READY_SECONDS = 60.0
"""A guard against a server that never starts, not a wait: on a loaded machine sshd may take
seconds to log that it listens and more to answer (it re-executes itself for each connection)."""

# Dummy credentials for moto; tests assert they never appear in an error message.
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "AKIADUMMYACCESSKEY42",
    "AWS_SECRET_ACCESS_KEY": "dummy-SECRET-key-Zq9wXy7",
    "AWS_SESSION_TOKEN": "dummy-SESSION-token-Qp3",
}


def free_port() -> int:
    """A port nothing listens on now (the OS picks it); the caller binds it soon after."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_banner(port: int, timeout: float = 2.0) -> bytes:
    """The first line a server on 127.0.0.1:port sends (an SSH server's version banner)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        return sock.makefile("rb").readline()


def moto_available() -> bool:
    try:
        import moto.moto_server.threaded_moto_server  # noqa: F401
    except ImportError:
        return False
    return True


def sshd_available() -> bool:
    return Path(SSHD).is_file() and Path(SSH_KEYGEN).is_file()


class MotoServer:
    """moto's ThreadedMotoServer on 127.0.0.1, on a free port, stoppable and restartable.

    Its buckets live in this process's moto backend, so they survive a stop and restart: a test
    can stop the server mid-transfer and look afterwards at what was (not) stored.
    """

    def __init__(self) -> None:
        self.port = 0
        self._server = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()  # returns once the listening socket is bound
        self.port = self._server.get_host_and_port()[1]
        return self

    def stop(self) -> None:
        """Stop serving and close the socket, so clients are refused rather than left hanging."""
        if self._server is None:
            return
        self._server.stop()
        inner = self._server._server  # ThreadedMotoServer.stop leaves its socket open
        if inner is not None:
            inner.server_close()
        self._server = None


class Sshd:
    """OpenSSH sshd as a child process on 127.0.0.1 with a throwaway host key and user key.

    ``home`` is a throwaway home folder: .ssh/id_ed25519 (the user key), .ssh/known_hosts (the
    throwaway host key for [127.0.0.1]:port) and .ssh/config (a ``replica-box`` alias), so a client
    run with HOME pointed there finds its credentials in the standard places and never in the
    user's own ~/.ssh.
    """

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.home = workdir / "home"
        self.port = 0
        self.user = _login_name()  # sshd run as this user lets only this user log in
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: list[str] = []
        self._make_keys()

    def _make_keys(self) -> None:
        ssh = self.home / ".ssh"
        ssh.mkdir(parents=True, exist_ok=True)
        ssh.chmod(0o700)
        for name, target in (("host", self.dir / "host_ed25519"), ("user", ssh / "id_ed25519")):
            if not target.exists():
                subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", f"throwaway-{name}",
                                "-f", str(target)], check=True)
        shutil.copyfile(ssh / "id_ed25519.pub", self.dir / "authorized_keys")

    def _write_config(self) -> Path:
        config = self.dir / "sshd_config"
        config.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.dir / 'host_ed25519'}\n"
            f"AuthorizedKeysFile {self.dir / 'authorized_keys'}\nPidFile {self.dir / 'sshd.pid'}\n"
            "StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nAllowTcpForwarding no\n"
            "X11Forwarding no\nSubsystem sftp internal-sftp\nLogLevel INFO\n"
        )
        host_pub = (self.dir / "host_ed25519.pub").read_text().split()
        ssh = self.home / ".ssh"
        (ssh / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        (ssh / "config").write_text(
            f"Host replica-box\n  HostName 127.0.0.1\n  Port {self.port}\n  User {self.user}\n"
        )
        return config

    def start(self) -> Sshd:
        """Start sshd (on the same port as before when restarting) and wait until it answers."""
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privsep folder, as root
        for _attempt in range(5):
            self.port = self.port or free_port()
            config = self._write_config()
            self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                         start_new_session=True)
            if self._wait_listening():
                return self
            self.stop()
            if "Address already in use" not in "".join(self._log):
                break
            self.port = 0
        raise RuntimeError("sshd did not start: " + " | ".join(self._log[-5:]))

    def _wait_listening(self) -> bool:
        """True once sshd logged "Server listening" and its port sends the SSH banner."""
        assert self.proc is not None and self.proc.stderr is not None
        listening = threading.Event()
        stderr = self.proc.stderr
        log = self._log = []

        def pump() -> None:
            for raw in stderr:
                line = raw.decode(errors="replace").rstrip()
                log.append(line)
                if "Server listening on" in line:
                    listening.set()
            listening.set()  # sshd exited: stop waiting

        threading.Thread(target=pump, daemon=True).start()
        if not listening.wait(READY_SECONDS) or self.proc.poll() is not None:
            return False
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            try:
                return read_banner(self.port).startswith(b"SSH-2.0-")
            except OSError:
                continue  # listening was logged, so a refusal here is a momentary race
        return False

    def stop(self) -> None:
        """Stop sshd and every session it forked (each session calls setsid, so by pid, not group)."""
        if self.proc is None:
            return
        import psutil

        try:
            family = [psutil.Process(self.proc.pid), *psutil.Process(self.proc.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        for proc in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGKILL)
        psutil.wait_procs(family, timeout=10)
        self.proc.wait(10)
        self.proc = None


def _login_name() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name
