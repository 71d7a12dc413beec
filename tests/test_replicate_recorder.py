"""archive replicate to a folder replica records its batches beside the copying, not instead of it.

A batch's record (one syncfs, then one catalogue transaction of ~15 fsyncs) takes longer than
copying a few hundred seed bags; were it done by the thread that copies (a folder replica's
calling thread), the copying would stop for its whole length. Here the first batch's record is
held until every bag of the run has been renamed into place on the replica (a hook in the CLI
process, waiting for that event with a bound): it can only happen when the copying goes on while
a batch is recorded. What was recorded must still be only bags renamed and synced first
(tests/test_replicate_folder.py checks the order of those steps with the copying going on).
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

from helpers import ARCHIVE_BIN
from test_replicate import NAME, copies, make_archive, replication_events

SITE = textwrap.dedent('''
    import os, threading
    if os.environ.get("TEST_HOLD_FIRST_RECORD"):
        from archive.replicas import push

        expected = int(os.environ["TEST_HOLD_FIRST_RECORD"])
        report = os.environ["TEST_HOLD_REPORT"]
        all_renamed = threading.Event()
        renamed = []
        lock = threading.Lock()
        real_copy_bag, real_record = push.copy_bag, push.record_copies
        held = []

        def counting_copy_bag(ctx, bags, record_id, entry):
            done = real_copy_bag(ctx, bags, record_id, entry)
            with lock:
                renamed.append(record_id)
                if len(renamed) == expected:
                    all_renamed.set()
            return done

        def held_record(arc, name, label, done):
            if not held:  # the first batch: held until every bag is in place, or 120 s went by
                held.append(all_renamed.wait(120))
                with open(report, "w") as out:
                    out.write(f"{held[0]} {len(done)} {len(renamed)}")
            real_record(arc, name, label, done)

        push.copy_bag = counting_copy_bag
        push.record_copies = held_record
        push.FLUSH_SECONDS = 0.0
''')


def test_the_copiers_go_on_while_a_batch_is_recorded(cli, archive_root, tmp_path):
    ids = make_archive(cli, archive_root, tmp_path, count=8)
    replica = tmp_path / "rep"
    assert cli("--root", archive_root, "replica", "add", NAME, replica).code == 0
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITE)
    report = tmp_path / "held.txt"
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1", "TEST_HOLD_FIRST_RECORD": str(len(ids)),
           "TEST_HOLD_REPORT": str(report)}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    env.pop("ARCHIVE_ROOT", None)
    done = subprocess.run([str(ARCHIVE_BIN), "--root", str(archive_root), "replicate", "--jobs", "2"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    held, first_batch, renamed = report.read_text().split()
    assert held == "True", f"only {renamed} of {len(ids)} bags were copied while the first batch was recorded"
    assert int(first_batch) < len(ids)
    assert set(copies(archive_root)) == {(record_id, 1) for record_id in ids}
    assert len(replication_events(archive_root)) == len(ids)
    assert all((replica / "bags" / record_id / "v1" / "bagit.txt").is_file() for record_id in ids)


def test_a_run_with_one_copier_records_its_batches_too(cli, archive_root, tmp_path):
    """``--jobs 1`` copies in the calling thread: its batches are recorded, each once."""
    ids = make_archive(cli, archive_root, tmp_path, count=3)
    replica = tmp_path / "rep"
    assert cli("--root", archive_root, "replica", "add", NAME, replica).code == 0
    assert cli("--root", archive_root, "replicate", "--jobs", "1").code == 0
    assert set(copies(archive_root)) == {(record_id, 1) for record_id in ids}
    assert len(replication_events(archive_root)) == len(ids)
    assert Path(replica / "catalog" / "latest.json").is_file()
