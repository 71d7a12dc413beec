"""Whether other processes changed a catalogue since its store last looked, asked without touching
the store, so a thread can ask while another uses it.

The TUI asks every few seconds: ``Store.refresh`` stats every shard (391 at 100,000 records) and
reloads the changed ones, on the thread that owns the store. Asked here first, from a worker
thread, the UI thread refreshes only when something did change, instead of paying for the stats
in the middle of whatever key it is handling.
"""

from __future__ import annotations

import os

from archive.store.catalog_store import Store
from archive.store.shard import file_stamp


def changed_on_disk(store: Store) -> bool:
    """True when a shard was added, removed or replaced since ``store`` last read the folder (or
    the folder cannot be read: its refresh will then say why)."""
    known = {shard: index.stamp for shard, index in list(store._index.items())}  # one C-level copy
    try:
        names = os.listdir(store.records_dir)
    except OSError:
        return True
    on_disk = {int(n[:-5]) for n in names if n.endswith(".json") and n[:-5].isdigit()}
    if on_disk != set(known):
        return True
    records = os.fspath(store.records_dir)
    return any(file_stamp(os.path.join(records, f"{shard:06d}.json")) != stamp
               for shard, stamp in known.items())
