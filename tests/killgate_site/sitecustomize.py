"""Loaded by every Python process a test starts with ``KillGate.env()`` (it puts this folder on
PYTHONPATH): installs the rename gates of tests/killgate.py, so the CLI, its fork server and its
pool workers all stop where the test can kill them. Nothing else ever has this folder on its path."""

import os

if os.environ.get("ARCHIVE_KILLGATE"):
    import killgate

    killgate.install()
